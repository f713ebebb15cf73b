"""Alerts: a broken chain tells the firm's administrators and the operator; many downloads outside
one's own environments and repeated sign-in locks tell the administrators; each finding once."""

import logging

import pytest
from django.db import connection

from balie.audit import alerts
from balie.audit.jobs import check_alerts, verify_chains
from balie.audit.models import ActorKind
from balie.audit.services import record
from balie.firms.models import StaffMember
from balie.notifications.models import Notification, OutboxMessage

pytestmark = pytest.mark.django_db


def tamper(statement: str, *params) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(statement, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")


def told(user) -> list[str]:
    return [row.title for row in Notification.objects.filter(user=user, client__isnull=True)]


def download(personas, environment, times: int, *, actor=None) -> None:
    for _ in range(times):
        record("document.downloaded", firm=personas.firm, actor=actor or personas.staff.user, environment=environment)


def test_an_intact_trail_alerts_nobody(personas):
    record("document.viewed", firm=personas.firm, actor=personas.client_user)
    verify_chains.enqueue()
    assert verify_chains() == 0
    assert told(personas.staff.user) == []


def test_a_broken_chain_tells_the_admins_and_the_operator_once(personas, settings, caplog):
    settings.ADMINS = [("Operator", "ops@balie.test")]
    events = [record("document.viewed", firm=personas.firm, details={"n": n}) for n in range(3)]
    tamper("UPDATE audit_auditevent SET details = %s WHERE id = %s", '{"n": 20}', events[1].pk)
    with caplog.at_level(logging.ERROR, logger="balie.audit.alerts"):
        assert verify_chains() == 1
    assert "van-dijk is broken at event 2" in caplog.text
    titles = told(personas.staff.user)
    assert len(titles) == 1 and "2" in titles[0]
    row = Notification.objects.get(user=personas.staff.user, client__isnull=True)
    assert row.firm == personas.firm
    mail = OutboxMessage.objects.get(recipient="ops@balie.test")
    assert "event 2" in mail.subject and "event 2" in mail.body_text
    verify_chains()  # the next day: the same break is not told again
    assert len(told(personas.staff.user)) == 1
    assert OutboxMessage.objects.filter(recipient="ops@balie.test").count() == 1


def test_downloads_in_managed_environments_do_not_count(personas, settings):
    settings.BALIE_AUDIT_DOWNLOAD_ALERT = 3
    download(personas, personas.company, 5)  # the staff member manages the company
    assert alerts.check_downloads(personas.firm) == 0


def test_many_downloads_elsewhere_tell_the_admins_once(personas, settings):
    settings.BALIE_AUDIT_DOWNLOAD_ALERT = 3
    employee = StaffMember.objects.create(firm=personas.firm, user=personas.employee, role=StaffMember.Role.EMPLOYEE)
    download(personas, personas.private, 2, actor=employee.user)
    download(personas, personas.holding, 2, actor=employee.user)
    assert check_alerts() == 1
    titles = told(personas.staff.user)
    assert len(titles) == 1 and "4" in titles[0]
    download(personas, personas.holding, 1, actor=employee.user)
    assert check_alerts() == 0  # told within the hour already
    assert told(employee.user) == []  # only administrators


def test_few_downloads_elsewhere_are_no_alert(personas, settings):
    settings.BALIE_AUDIT_DOWNLOAD_ALERT = 3
    download(personas, personas.private, 3)
    assert alerts.check_downloads(personas.firm) == 0


def failures(personas, times: int) -> None:
    for _ in range(times):
        record("auth.signin_failed", firm=personas.firm, actor_kind=ActorKind.ANONYMOUS, obj=personas.client_user)


def test_repeated_sign_in_locks_tell_the_admins_once(personas, settings):
    settings.BALIE_SIGNIN_ACCOUNT_FAILURES = 2
    settings.BALIE_AUDIT_SIGNIN_ALERT_LOCKS = 2
    failures(personas, 5)
    assert alerts.check_signin_failures(personas.firm) == 0  # one lock only
    failures(personas, 1)
    assert alerts.check_signin_failures(personas.firm) == 1
    titles = told(personas.staff.user)
    assert len(titles) == 1 and personas.client_user.email in titles[0]
    failures(personas, 3)
    assert alerts.check_signin_failures(personas.firm) == 0
    assert alerts.check_signin_failures(personas.other_firm) == 0


def test_an_alert_about_the_firm_is_e_mailed_bundled_in_the_firms_name(personas):
    from balie.notifications.services import notifications_send_chunk

    failures(personas, 20)
    alerts.check_signin_failures(personas.firm)
    download(personas, personas.private, 60)
    alerts.check_downloads(personas.firm)
    user = personas.staff.user
    sent = notifications_send_chunk(
        user_ids=[user.pk], status=Notification.Email.PENDING, template="notification_bundle"
    )
    assert sent == 1  # both alerts in one e-mail
    mail = OutboxMessage.objects.get(recipient=user.email)
    assert "Van Dijk" in mail.body_text and "60" in mail.body_text
