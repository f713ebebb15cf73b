import time
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from balie.notifications.models import OutboxMessage
from balie.notifications.outbox import outbox_deliver_due

pytestmark = pytest.mark.django_db


def row(firm, status, n, *, minutes_ago=0):
    at = timezone.now() - timedelta(minutes=minutes_ago)
    return OutboxMessage.objects.create(
        firm=firm,
        recipient=f"r{n}@example.test",
        sender="Kantoor <noreply@example.test>",
        subject=f"Onderwerp {n}",
        body_text=f"Tekst {n}",
        status=status,
        message_id=f"<{n}@t>",
        attempts=8 if status == "failed" else 0,
        last_error="connection refused" if status == "failed" else "",
        created_at=at,
        queued_at=at,
    )


def test_staff_see_their_firms_failed_deliveries_only(client, personas):
    row(personas.firm, "failed", 1)
    row(personas.firm, "sent", 2)
    row(personas.other_firm, "failed", 3)
    client.force_login(personas.staff.user)
    response = client.get(reverse("notifications:staff_delivery"))
    assert [m.subject for m in response.context["page"]] == ["Onderwerp 1"]
    assert "connection refused" in response.content.decode()
    response = client.get(reverse("notifications:staff_delivery"), {"status": ""})
    assert {m.subject for m in response.context["page"]} == {"Onderwerp 1", "Onderwerp 2"}


def test_clients_have_no_delivery_page(client, personas):
    client.force_login(personas.client_user)
    assert client.get(reverse("notifications:staff_delivery")).status_code == 404


@pytest.mark.parametrize("status", ["failed", "pending", ""])
def test_delivery_page_uses_constant_queries(client, personas, django_assert_num_queries, status):
    row(personas.firm, "failed", 0)
    row(personas.firm, "pending", 1, minutes_ago=30)
    client.force_login(personas.staff.user)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("notifications:staff_delivery"), {"status": status})
    for n in range(2, 80):
        row(personas.firm, "failed" if n % 2 else "pending", n, minutes_ago=n)
    with django_assert_num_queries(len(few)):
        response = client.get(reverse("notifications:staff_delivery"), {"status": status, "page": 2})
    assert len(response.context["page"]) > 10


def test_staff_see_how_long_the_oldest_undelivered_email_of_their_firm_waits(client, personas, settings):
    settings.BALIE_OUTBOX_ALERT_MINUTES = 15
    with time_machine.travel(time.time(), tick=False):
        row(personas.firm, "pending", 1, minutes_ago=125)
        row(personas.firm, "pending", 2, minutes_ago=5)
        row(personas.firm, "failed", 3, minutes_ago=900)  # given up: not waiting any more
        row(personas.other_firm, "pending", 4, minutes_ago=2000)  # another firm's outage is not theirs
        client.force_login(personas.staff.user)
        response = client.get(reverse("notifications:staff_delivery"))
    assert response.context["waiting_seconds"] == 125 * 60
    assert response.context["waiting_late"] is True
    page = response.content.decode()
    assert 'id="delivery-waiting"' in page
    assert "wacht al 2\xa0uur, 5\xa0minuten" in page


def test_no_waiting_notice_when_everything_was_delivered(client, personas):
    row(personas.firm, "sent", 1, minutes_ago=60)
    client.force_login(personas.staff.user)
    response = client.get(reverse("notifications:staff_delivery"))
    assert response.context["waiting_seconds"] is None
    assert 'id="delivery-waiting"' not in response.content.decode()


def test_a_failed_message_sent_again_is_delivered_with_its_message_id(client, personas, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    failed = row(personas.firm, "failed", 1, minutes_ago=3000)
    client.force_login(personas.staff.user)
    response = client.post(reverse("notifications:staff_resend", args=[failed.public_id]), follow=True)
    assert "1 bericht staat opnieuw klaar om te versturen." in response.content.decode()
    outbox_deliver_due()
    failed.refresh_from_db()
    assert failed.status == "sent"
    assert (failed.resent_by, failed.message_id) == (personas.staff.user, "<1@t>")
    assert [m.extra_headers["Message-ID"] for m in mail.outbox] == ["<1@t>"]


@pytest.mark.real_on_commit  # not delivered at once: the test looks at the row in line
def test_a_message_sent_again_gets_a_fresh_give_up_time(client, personas, settings):
    settings.BALIE_OUTBOX_GIVE_UP_HOURS = 24
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    failed = row(personas.firm, "failed", 1, minutes_ago=3 * 24 * 60)
    client.force_login(personas.staff.user)
    with time_machine.travel(time.time(), tick=False):
        client.post(reverse("notifications:staff_resend", args=[failed.public_id]))
        failed.refresh_from_db()
        assert (failed.status, failed.attempts, failed.queued_at) == ("pending", 0, timezone.now())
        assert failed.created_at < failed.queued_at  # "when" on the page stays when it was written


def test_only_failed_messages_can_be_sent_again(client, personas):
    sent = row(personas.firm, "sent", 1)
    client.force_login(personas.staff.user)
    response = client.post(reverse("notifications:staff_resend", args=[sent.public_id]), follow=True)
    assert "Alleen een mislukt bericht" in response.content.decode()
    sent.refresh_from_db()
    assert (sent.status, sent.resent_at) == ("sent", None)


def test_an_expired_sms_code_cannot_be_sent_again(client, personas):
    code = row(personas.firm, "failed", 1)
    OutboxMessage.objects.filter(pk=code.pk).update(channel="sms", expires_at=timezone.now() - timedelta(minutes=1))
    client.force_login(personas.staff.user)
    response = client.post(reverse("notifications:staff_resend", args=[code.public_id]), follow=True)
    assert "niet meer geldig" in response.content.decode()
    assert OutboxMessage.objects.get(pk=code.pk).status == "failed"
    client.post(reverse("notifications:staff_resend_failed"))
    assert OutboxMessage.objects.get(pk=code.pk).status == "failed"


def test_sending_again_needs_a_post(client, personas):
    failed = row(personas.firm, "failed", 1)
    client.force_login(personas.staff.user)
    assert client.get(reverse("notifications:staff_resend", args=[failed.public_id])).status_code == 405
    assert client.get(reverse("notifications:staff_resend_failed")).status_code == 405


def test_sending_again_needs_the_csrf_token(personas):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    failed = row(personas.firm, "failed", 1)
    browser.force_login(personas.staff.user)
    assert browser.post(reverse("notifications:staff_resend", args=[failed.public_id])).status_code == 403
    assert browser.post(reverse("notifications:staff_resend_failed")).status_code == 403
    assert OutboxMessage.objects.get(pk=failed.pk).status == "failed"


def test_all_failed_messages_of_the_firm_are_sent_again_and_counted(client, personas, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    for n in (1, 2, 3):
        row(personas.firm, "failed", n)
    row(personas.firm, "sent", 4)
    theirs = row(personas.other_firm, "failed", 5)
    client.force_login(personas.staff.user)
    page = client.get(reverse("notifications:staff_delivery")).content.decode()
    assert "Alle 3 mislukte berichten opnieuw versturen" in page
    response = client.post(reverse("notifications:staff_resend_failed"), follow=True)
    assert "3 berichten staan opnieuw klaar om te versturen." in response.content.decode()
    outbox_deliver_due()
    assert sorted(m.to[0] for m in mail.outbox) == ["r1@example.test", "r2@example.test", "r3@example.test"]
    assert OutboxMessage.objects.filter(firm=personas.firm, resent_by=personas.staff.user).count() == 3
    theirs.refresh_from_db()
    assert (theirs.status, theirs.resent_at) == ("failed", None)


def test_another_firms_staff_cannot_send_this_firms_messages_again(client, personas):
    failed = row(personas.firm, "failed", 1)
    client.force_login(personas.outsider_staff.user)
    assert client.post(reverse("notifications:staff_resend", args=[failed.public_id])).status_code == 404
    client.post(reverse("notifications:staff_resend_failed"))  # their own firm's, of which there are none
    assert OutboxMessage.objects.get(pk=failed.pk).status == "failed"


def test_clients_cannot_send_messages_again(client, personas):
    failed = row(personas.firm, "failed", 1)
    client.force_login(personas.client_user)
    assert client.post(reverse("notifications:staff_resend", args=[failed.public_id])).status_code == 404
    assert client.post(reverse("notifications:staff_resend_failed")).status_code == 404
    assert OutboxMessage.objects.get(pk=failed.pk).status == "failed"
