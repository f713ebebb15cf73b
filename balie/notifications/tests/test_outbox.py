"""The outbox against a real SMTP server on loopback (aiosmtpd)."""

import socket
import time
from email import message_from_bytes

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from balie.core import jobs
from balie.core.testing import later
from balie.firms.factories import FirmFactory
from balie.notifications.jobs import relay_outbox
from balie.notifications.models import OutboxMessage
from balie.notifications.outbox import outbox_add_email, outbox_deliver_due, retry_delay_seconds

# Delivery is driven by the tests themselves: nothing is delivered "after commit" on its own.
pytestmark = [pytest.mark.django_db, pytest.mark.real_on_commit]


class Inbox:
    """An SMTP handler that keeps what it accepts and refuses recipients on request."""

    def __init__(self):
        self.messages = []
        self.refuse = set()
        self.data_answers = {}  # subject -> SMTP answer to its DATA

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content)
        answer = self.data_answers.get(message["Subject"])
        if answer:
            return answer
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def message_ids(self):
        return [m["Message-ID"] for m in self.messages]


def reserved_port() -> socket.socket:
    """A port bound without listening: connections are refused, and no other test process can be
    given it while the SMTP server is "down"."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture
def smtp(settings):
    """An SMTP server that is not running yet: ``smtp.start()`` / ``smtp.stop()``."""
    reservation = reserved_port()
    port = reservation.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 60  # only stops a hang: a busy machine may answer slowly
    inbox = Inbox()

    class Server:
        def __init__(self):
            self.controller = None
            self.inbox = inbox

        def start(self):
            reservation.close()  # the server takes the port over
            self.controller = Controller(inbox, hostname="127.0.0.1", port=port)
            self.controller.start()

        def stop(self):
            if self.controller is not None:
                self.controller.stop()
                self.controller = None

    server = Server()
    yield server
    server.stop()
    reservation.close()


def add(n: int, *, firm=None, prefix="klant"):
    for i in range(n):
        message = EmailMultiAlternatives(f"Bericht {i}", f"Tekst {i}", "Kantoor <noreply@example.test>")
        message.to = [f"{prefix}{i}@example.test"]
        message.attach_alternative(f"<p>Tekst {i}</p>", "text/html")
        outbox_add_email(message=message, firm=firm)


def test_messages_are_delivered_once_with_their_message_id(smtp):
    smtp.start()
    add(5)
    assert outbox_deliver_due() == 5
    assert len(smtp.inbox.messages) == 5
    stored = set(OutboxMessage.objects.values_list("message_id", flat=True))
    assert set(smtp.inbox.message_ids()) == stored
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}
    assert outbox_deliver_due() == 0  # nothing is sent twice
    assert len(smtp.inbox.messages) == 5


def test_smtp_down_for_ten_minutes_loses_nothing_and_sends_each_once(smtp, settings):
    settings.BALIE_OUTBOX_RETRY_SECONDS = 30
    add(20)
    outbox_deliver_due()  # the server refuses connections
    rows = OutboxMessage.objects.all()
    assert {r.status for r in rows} == {"pending"}
    assert {r.attempts for r in rows} == {1}
    assert all("connection" in r.last_error for r in rows)
    assert outbox_deliver_due() == 0  # not due yet: backoff
    for minute in (1, 3, 6, 9):  # still down: more attempts, each later than the one before
        with time_machine.travel(later(minutes=minute)):
            relay_outbox()
    assert OutboxMessage.objects.filter(status="pending").count() == 20
    smtp.start()
    with time_machine.travel(later(minutes=30)):
        assert relay_outbox() == 20
    assert sorted(smtp.inbox.message_ids()) == sorted(OutboxMessage.objects.values_list("message_id", flat=True))
    assert len(set(smtp.inbox.message_ids())) == 20
    with time_machine.travel(later(minutes=60)):
        assert relay_outbox() == 0


def test_a_refused_recipient_fails_that_message_only(smtp):
    smtp.start()
    smtp.inbox.refuse.add("klant2@example.test")
    add(4)
    assert outbox_deliver_due() == 3
    failed = OutboxMessage.objects.get(status="failed")
    assert failed.recipient == "klant2@example.test"
    assert "refused" in failed.last_error
    assert len(smtp.inbox.messages) == 3


def test_a_message_the_server_rejects_fails_alone_and_a_temporary_error_is_retried(smtp):
    smtp.start()
    smtp.inbox.data_answers = {"Bericht 0": "554 5.7.1 rejected as spam", "Bericht 1": "451 4.3.0 try again later"}
    add(4)
    assert outbox_deliver_due() == 2
    statuses = dict(OutboxMessage.objects.values_list("subject", "status"))
    assert statuses == {"Bericht 0": "failed", "Bericht 1": "pending", "Bericht 2": "sent", "Bericht 3": "sent"}
    smtp.inbox.data_answers = {}
    with time_machine.travel(later(minutes=5)):
        assert outbox_deliver_due() == 1
    assert OutboxMessage.objects.get(subject="Bericht 1").status == "sent"
    assert len(smtp.inbox.messages) == 3


def test_a_message_that_can_never_be_sent_fails_without_holding_up_the_rest(smtp):
    smtp.start()
    add(3)
    OutboxMessage.objects.filter(subject="Bericht 1").update(subject="Kapot\nBcc: iedereen@example.test")
    assert outbox_deliver_due() == 2
    broken = OutboxMessage.objects.get(subject__startswith="Kapot")
    assert broken.status == "failed"
    assert "cannot be sent" in broken.last_error
    assert not OutboxMessage.objects.filter(status="sending").exists()


def test_a_dead_workers_row_past_the_give_up_time_is_marked_failed(smtp, settings):
    settings.BALIE_OUTBOX_GIVE_UP_HOURS = 24
    smtp.start()
    add(1)
    row = OutboxMessage.objects.get()
    OutboxMessage.objects.filter(pk=row.pk).update(status="sending", attempts=40, claimed_until=row.created_at)
    with time_machine.travel(later(hours=24, minutes=1), tick=False):
        assert outbox_deliver_due() == 0
    row.refresh_from_db()
    assert row.status == "failed"
    assert smtp.inbox.messages == []


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_deliver_each_message_once(smtp):
    from balie.core.testing import race, skip_unless_postgresql

    skip_unless_postgresql()
    smtp.start()
    with transaction.atomic():
        add(60)
    race(lambda _n: outbox_deliver_due(limit=7), [1, 2, 3])
    assert OutboxMessage.objects.filter(status="sent").count() == 60
    ids = smtp.inbox.message_ids()
    assert len(ids) == 60 and len(set(ids)) == 60


def test_smtp_down_for_23_hours_keeps_the_message_and_delivers_it_when_back(smtp, settings):
    settings.BALIE_OUTBOX_GIVE_UP_HOURS = 24  # the least it may be
    settings.BALIE_OUTBOX_RETRY_SECONDS, settings.BALIE_OUTBOX_RETRY_MAX_SECONDS = 30, 1800
    start = time.time()
    with time_machine.travel(start, tick=False):
        add(1)
    delays = []
    for minute in range(1, 23 * 60, 5):  # the relay runs every few minutes; the server refuses connections
        with time_machine.travel(start + minute * 60, tick=False):
            before = OutboxMessage.objects.get().attempts
            relay_outbox()
            row = OutboxMessage.objects.get()
            assert row.status == "pending", f"given up after {minute} minutes"
            if row.attempts > before:
                delays.append((row.next_attempt_at - timezone.now()).total_seconds())
    assert "connection" in row.last_error
    assert max(delays) == 1800  # the backoff reached its cap ...
    assert all(delay <= 1800 for delay in delays)  # ... and never went past it
    assert row.attempts > 40  # so it kept trying at least every half hour
    smtp.start()
    with time_machine.travel(start + (23 * 60 + 31) * 60, tick=False):
        assert relay_outbox() == 1
    row.refresh_from_db()
    assert row.status == "sent"
    assert smtp.inbox.message_ids() == [row.message_id]


def test_a_message_is_given_up_only_after_the_give_up_hours(smtp, settings):
    settings.BALIE_OUTBOX_GIVE_UP_HOURS = 48
    start = time.time()
    with time_machine.travel(start, tick=False):
        add(1)
        outbox_deliver_due()
    for hour in (1, 12, 24, 36, 47):
        with time_machine.travel(start + hour * 3600, tick=False):
            outbox_deliver_due()
        assert OutboxMessage.objects.get().status == "pending", f"given up after {hour} hours"
    with time_machine.travel(start + 48 * 3600 + 1, tick=False):
        outbox_deliver_due()
    row = OutboxMessage.objects.get()
    assert row.status == "failed"
    assert "given up" in row.last_error and "connection" in row.last_error
    smtp.start()
    with time_machine.travel(start + 50 * 3600, tick=False):
        assert outbox_deliver_due() == 0  # failed stays failed
    assert smtp.inbox.messages == []


def test_retry_delays_double_up_to_the_cap(settings):
    settings.BALIE_OUTBOX_RETRY_SECONDS, settings.BALIE_OUTBOX_RETRY_MAX_SECONDS = 30, 1800
    assert [retry_delay_seconds(n) for n in range(1, 9)] == [30, 60, 120, 240, 480, 960, 1800, 1800]
    assert retry_delay_seconds(10_000) == 1800


def test_a_worker_that_died_mid_delivery_is_taken_over_after_its_lease(smtp, settings):
    smtp.start()
    add(1)
    row = OutboxMessage.objects.get()
    # A worker claimed it and died before sending anything.
    OutboxMessage.objects.filter(pk=row.pk).update(status="sending", attempts=1, claimed_until=row.created_at)
    with time_machine.travel(later(seconds=settings.BALIE_OUTBOX_LEASE_SECONDS + 1)):
        assert outbox_deliver_due() == 1
    row.refresh_from_db()
    assert row.status == "sent"
    assert smtp.inbox.message_ids() == [row.message_id]  # the same Message-ID it always had


def test_delivery_is_recorded_even_if_the_connection_breaks_afterwards(smtp, monkeypatch):
    smtp.start()
    add(2)
    from django.core.mail.backends import smtp as smtp_backend

    def broken_close(self):
        raise OSError("connection reset while quitting")

    monkeypatch.setattr(smtp_backend.EmailBackend, "close", broken_close)
    assert outbox_deliver_due() == 2
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}
    monkeypatch.undo()
    assert outbox_deliver_due() == 0
    assert len(smtp.inbox.messages) == 2


@pytest.mark.real_on_commit
def test_rows_are_written_in_the_changes_transaction(django_capture_on_commit_callbacks):
    firm = FirmFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        try:
            with transaction.atomic():
                add(3, firm=firm)
                raise RuntimeError("the change failed")
        except RuntimeError:
            pass
    assert not OutboxMessage.objects.exists()
    assert callbacks == []


def test_a_lost_delivery_request_is_made_good_by_the_relay(
    django_capture_on_commit_callbacks, smtp, settings, monkeypatch
):
    from balie.notifications.jobs import deliver_outbox

    def broker_down(*args, **kwargs):
        raise ConnectionError("redis is down")

    smtp.start()
    settings.BALIE_JOBS_BACKEND = "celery"  # and the broker is down: asking for delivery fails
    monkeypatch.setattr(deliver_outbox.__class__, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        add(3)  # the change commits; the request for delivery is lost
    assert OutboxMessage.objects.filter(status="pending").count() == 3
    assert smtp.inbox.messages == []
    settings.BALIE_JOBS_BACKEND = "immediate"
    assert relay_outbox() == 3  # the periodic relay finds them
    assert len(smtp.inbox.messages) == 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs REDIS_URL: .ci/run runs it with the machine's Redis")
def test_celery_worker_delivers_through_redis(smtp, settings):
    """The production path: a commit asks Celery (Redis broker) and a real worker delivers."""
    from celery.contrib.testing.worker import start_worker

    from balie.celery import app

    smtp.start()
    settings.BALIE_JOBS_BACKEND = "celery"
    with start_worker(app, pool="solo", perform_ping_check=False, queues=["transactional", "default", "bulk"]):
        with transaction.atomic():
            add(3)
        deadline = time.monotonic() + 300  # a generous bound: the worker may start slowly on a busy machine
        while OutboxMessage.objects.filter(status="sent").count() < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
    assert OutboxMessage.objects.filter(status="sent").count() == 3
    assert len(smtp.inbox.messages) == 3


def test_jobs_are_retried_with_exponential_backoff():
    assert [jobs.backoff_seconds(n, base=30, cap=3600) for n in range(1, 9)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
    ]
