"""The first writers: signing in and failing to, in the chains of the person's firms."""

import pytest
from django.contrib.auth.signals import user_login_failed
from django.urls import reverse

from balie.accounts.factories import TEST_PASSWORD, UserFactory
from balie.audit.models import ActorKind, AuditEvent
from balie.audit.verify import verify_chain

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (Balie-test)"


def sign_in(client, email: str, password: str = TEST_PASSWORD):
    return client.post(
        reverse("account_login"),
        {"login": email, "password": password},
        REMOTE_ADDR="198.51.100.4",
        HTTP_USER_AGENT=BROWSER,
    )


def test_a_client_signing_in_is_recorded_in_the_chain_of_their_firm(client, personas):
    response = sign_in(client, personas.client_user.email)
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="auth.signin")
    assert event.firm == personas.firm
    assert (event.actor_kind, event.actor_user_id) == (ActorKind.USER, personas.client_user.pk)
    assert (event.object_type, event.object_id) == ("accounts.user", str(personas.client_user.public_id))
    assert (event.ip_address, event.user_agent) == ("198.51.100.4", BROWSER)
    assert event.request_id == response["X-Request-ID"]


def test_staff_signing_in_is_recorded_as_staff(client, personas):
    sign_in(client, personas.staff.user.email)
    event = AuditEvent.objects.get(action="auth.signin")
    assert (event.firm, event.actor_kind) == (personas.firm, ActorKind.STAFF)


def test_a_client_of_two_firms_is_recorded_in_both_chains(client, personas):
    from balie.clients.factories import MembershipFactory

    MembershipFactory(user=personas.client_user, client=personas.outsider_client)
    sign_in(client, personas.client_user.email)
    firms = set(AuditEvent.objects.filter(action="auth.signin").values_list("firm__slug", flat=True))
    assert firms == {"van-dijk", "hoekstra"}
    assert len(set(AuditEvent.objects.values_list("request_id", flat=True))) == 1


def test_a_person_of_no_firm_signs_in_on_the_operators_chain(client):
    operator = UserFactory(is_staff=True)
    client.force_login(operator)
    event = AuditEvent.objects.get(action="auth.signin")
    assert (event.firm, event.actor_user_id) == (None, operator.pk)


def test_a_failed_sign_in_is_recorded_for_the_accounts_firm_without_the_password(client, personas):
    response = sign_in(client, personas.client_user.email, password="wrong horse")
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="auth.signin_failed")
    assert event.firm == personas.firm
    assert (event.actor_kind, event.actor_user_id, event.actor_name) == (ActorKind.ANONYMOUS, None, "")
    assert event.object_id == str(personas.client_user.public_id)
    assert (event.ip_address, event.details) == ("198.51.100.4", {})
    assert not AuditEvent.objects.filter(action="auth.signin").exists()


def test_a_failed_sign_in_of_an_unknown_address_goes_to_the_operators_chain(client, personas):
    sign_in(client, "Nobody@Example.test", password="wrong horse")
    event = AuditEvent.objects.get(action="auth.signin_failed")
    assert (event.firm, event.object_id, event.details) == (None, "", {"domain": "example.test"})
    assert verify_chain(None).broken is None


def test_a_password_typed_as_the_address_is_not_kept(db):
    # The sign-in form refuses what is not an address; another way in (the admin's) may not.
    user_login_failed.send(sender=__name__, credentials={"username": "my secret password", "password": "*" * 20})
    event = AuditEvent.objects.get(action="auth.signin_failed")
    assert event.details == {"domain": ""}
    assert "secret" not in str(AuditEvent.objects.values_list())


def test_a_password_shaped_like_an_address_is_not_kept(db):
    user_login_failed.send(sender=__name__, credentials={"username": "Zomer@2026!", "password": "*" * 20})
    event = AuditEvent.objects.get(action="auth.signin_failed")
    assert event.details == {"domain": ""}
    assert "zomer" not in str(AuditEvent.objects.values_list()).lower()


def test_of_an_unknown_address_only_its_domain_is_kept(client, personas):
    sign_in(client, "kees.colleague@bakker.test", password="wrong horse")
    event = AuditEvent.objects.get(action="auth.signin_failed")
    assert event.details == {"domain": "bakker.test"}
    assert "kees" not in str(AuditEvent.objects.values_list())


# A failed sign-in is written by a job: the request does the same work for any address.

TRIED = "2026-03-02T09:15:30.123456+00:00"


def fail_in_request(email: str) -> str:
    """Sends a failed sign-in inside a request (as allauth does), returning the request's id."""
    from django.http import HttpResponse
    from django.test import RequestFactory

    from balie.audit.middleware import AuditRequestMiddleware

    def view(request):
        user_login_failed.send(
            sender=__name__, credentials={"email": email, "password": "wrong horse"}, request=request
        )
        return HttpResponse()

    request = RequestFactory().post("/", REMOTE_ADDR="198.51.100.4", HTTP_USER_AGENT=BROWSER)
    return AuditRequestMiddleware(view)(request)["X-Request-ID"]


@pytest.mark.real_on_commit
def test_the_request_does_the_same_queries_for_a_known_and_an_unknown_address(
    personas, django_capture_on_commit_callbacks, settings, monkeypatch
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from balie.celery import app

    UserFactory(email="tweede@firm-a.test")  # a known address of no firm: the operator's chain
    addresses = [personas.client_user.email, "tweede@firm-a.test", "niemand@example.test", "geen adres"]

    def queries(email: str, *, commit: bool) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            with django_capture_on_commit_callbacks() as callbacks:
                fail_in_request(email)
            for callback in callbacks if commit else []:  # what runs once the transaction commits
                callback()
        return len(captured), len(callbacks)

    # The job not run: what the request does before its transaction commits.
    assert {queries(email, commit=False) for email in addresses} == {(0, 1)}
    # The job handed to the workers once the transaction commits (Celery; the broker stubbed).
    sent = []
    monkeypatch.setattr(app, "send_task", lambda name, args=None, kwargs=None, **options: sent.append(kwargs))
    settings.BALIE_JOBS_BACKEND = "celery"
    assert {queries(email, commit=True) for email in addresses} == {(0, 1)}
    assert [sorted(kwargs) for kwargs in sent] == [["at", "identifier", "ip_address", "request_id", "user_agent"]] * 4
    assert "wrong horse" not in str(sent) and "geen adres" not in str(sent)  # neither password nor a non-address
    assert not AuditEvent.objects.exists()


@pytest.mark.real_on_commit
def test_the_job_writes_the_failure_as_it_happened_in_the_request(client, personas, django_capture_on_commit_callbacks):
    import datetime

    import time_machine

    from balie.clients.factories import MembershipFactory

    MembershipFactory(user=personas.client_user, client=personas.outsider_client)
    tried = datetime.datetime.fromisoformat(TRIED)
    with django_capture_on_commit_callbacks() as callbacks, time_machine.travel(tried, tick=False):
        known = sign_in(client, personas.client_user.email, password="wrong horse")["X-Request-ID"]
        unknown = sign_in(client, "Nobody@Example.test", password="wrong horse")["X-Request-ID"]
    assert len(callbacks) == 2 and not AuditEvent.objects.exists()
    for callback in callbacks:  # later, in the job (run in the caller in tests)
        callback()
    events = sorted(AuditEvent.objects.filter(action="auth.signin_failed"), key=lambda e: e.firm.slug if e.firm else "")
    assert [(event.firm.slug if event.firm else None, event.request_id) for event in events] == [
        (None, unknown),
        ("hoekstra", known),
        ("van-dijk", known),
    ]
    for event in events:
        assert (event.at, event.ip_address, event.user_agent) == (tried, "198.51.100.4", BROWSER)
        assert (event.actor_kind, event.actor_user_id, event.actor_name) == (ActorKind.ANONYMOUS, None, "")
    assert [(event.object_id, event.details) for event in events] == [
        ("", {"domain": "example.test"}),
        (str(personas.client_user.public_id), {}),
        (str(personas.client_user.public_id), {}),
    ]
    assert all(verify_chain(firm).broken is None for firm in (None, personas.firm, personas.outsider_client.firm))


def test_the_job_writes_a_failure_once_however_often_it_runs(personas):
    from balie.audit.jobs import signin_failed

    kwargs = {"identifier": personas.client_user.email, "ip_address": None, "user_agent": "", "request_id": ""}
    assert signin_failed(**kwargs, at=TRIED) == 1
    assert signin_failed(**kwargs, at=TRIED) == 0  # a job may run twice
    unknown = {**kwargs, "identifier": "niemand@example.test", "request_id": "b" * 32}
    assert (signin_failed(**unknown, at=TRIED), signin_failed(**unknown, at=TRIED)) == (1, 0)
    assert signin_failed(**{**unknown, "request_id": "c" * 32}, at=TRIED) == 1  # another request
    assert AuditEvent.objects.filter(action="auth.signin_failed").count() == 3


def test_an_address_the_database_folds_onto_someones_is_not_theirs(client, personas):
    # PostgreSQL's UPPER() makes "clıent" (dotless i) "CLIENT"; allauth's sign-in never finds the
    # person with it, so it is not their failed sign-in either.
    sign_in(client, "clıent@firm-a.test", password="wrong horse")
    sign_in(client, personas.client_user.email.upper(), password="wrong horse")  # lower case: theirs
    events = AuditEvent.objects.filter(action="auth.signin_failed").order_by("pk")
    assert [(event.firm, event.object_id, event.details) for event in events] == [
        (None, "", {"domain": "firm-a.test"}),
        (personas.firm, str(personas.client_user.public_id), {}),
    ]
