"""Filing approved requests (APR-8): idempotency, the retry schedule, crashes, Digipoort receipts."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from balie.approvals import filing
from balie.approvals.connectors import OutcomeUnknown
from balie.approvals.connectors.digipoort import SIMULATED_REFUSAL, DigipoortSimulator
from balie.approvals.connectors.webhook import WebhookConnector, verify_signature
from balie.approvals.filing import (
    RETRY_SCHEDULE,
    filing_deliver_due,
    filing_process_receipts,
    filing_reconcile,
    filing_retry,
    filing_submit,
)
from balie.approvals.models import After, Request, Submission
from balie.approvals.receivers import receiver_update
from balie.approvals.states import Status
from balie.approvals.tests.filing_support import (
    SECRET,
    DripReceiver,
    LocalReceiver,
    approved_request,
    closed_port_url,
    wait_for_requests,
)
from balie.core.testing import later, race, skip_unless_postgresql
from balie.notifications.models import DevOutboxMessage, EventKind, Notification

State = Submission.State
LEASE = timedelta(seconds=61)  # a little more than a claim lasts (BALIE_WEBHOOK_TIMEOUT_SECONDS + 50)


@pytest.fixture
def webhook_to(personas, settings):
    """Configures the firm's software at ``url`` (on 127.0.0.1, so internal targets are allowed)."""
    settings.BALIE_WEBHOOK_ALLOW_PRIVATE = True

    def configure(url):
        receiver_update(firm=personas.firm, actor=personas.staff.user, url=url, secret=SECRET)

    return configure


@pytest.fixture
def local_receiver(webhook_to):
    servers = []

    def start(*statuses):
        servers.append(LocalReceiver(statuses))
        webhook_to(servers[-1].url)
        return servers[-1]

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def frozen():
    with time_machine.travel(later(), tick=False) as traveller:
        yield traveller


def _firm_heard(personas) -> list[Notification]:
    return list(Notification.objects.filter(user=personas.staff.user, kind=EventKind.REQUEST))


def _reload(row):
    row.refresh_from_db()
    return row


# -- Submitting ---------------------------------------------------------------------------------


def test_submitting_twice_files_once(personas):
    approval = approved_request(personas, after=After.DIGIPOORT)

    first = filing_submit(approval=approval, actor=personas.client_user)
    second = filing_submit(approval=Request.objects.get(pk=approval.pk), actor=personas.client_user)

    assert first == second
    assert Submission.objects.count() == 1
    assert first.idempotency_key == f"{approval.public_id}:1"
    assert (first.state, first.connector, first.submitted_by) == (State.PENDING, "digipoort", personas.client_user)
    assert approval.status == _reload(approval).status == Status.SUBMITTED


def test_a_request_ready_to_send_is_submitted(personas):
    approval = approved_request(personas, after=After.FIRM_SOFTWARE, status=Status.READY_TO_SEND)

    submission = filing_submit(approval=approval, actor=personas.client_user)

    assert submission.connector == "firm_software"
    assert _reload(approval).status == Status.SUBMITTED


@pytest.mark.parametrize("status", [Status.OPEN, Status.WITHDRAWN, Status.REJECTED, Status.FAILED, Status.WAITING])
def test_only_an_approved_request_can_be_submitted(personas, status):
    approval = approved_request(personas, after=After.DIGIPOORT, status=status)

    with pytest.raises(ValidationError) as refused:
        filing_submit(approval=approval, actor=personas.client_user)

    assert refused.value.code == "transition"
    assert not Submission.objects.exists()
    assert _reload(approval).status == status


def test_nothing_is_filed_when_nothing_follows_the_approval(personas):
    approval = approved_request(personas, after=After.NOTHING)

    with pytest.raises(ValidationError) as refused:
        filing_submit(approval=approval, actor=personas.client_user)

    assert refused.value.code == "nothing_to_file"
    assert not Submission.objects.exists()


def test_delivery_starts_when_the_transaction_commits(personas, local_receiver, django_capture_on_commit_callbacks):
    server = local_receiver()
    approval = approved_request(personas, after=After.FIRM_SOFTWARE)

    with django_capture_on_commit_callbacks(execute=True):
        submission = filing_submit(approval=approval, actor=personas.client_user)
        assert server.received == []  # nothing goes out before the commit

    [received] = server.received
    headers = received["headers"]
    assert headers["Balie-Event-Id"] == str(submission.event_id)
    assert verify_signature(
        SECRET, headers["Balie-Event-Id"], headers["Balie-Timestamp"], received["body"], headers["Balie-Signature"]
    )
    assert (_reload(submission).state, submission.attempts, submission.reference) == (State.ACCEPTED, 1, "HTTP 200")
    assert submission.finished_at is not None
    assert _reload(approval).status == Status.COMPLETED


def test_a_rolled_back_submission_sends_nothing(personas, local_receiver, django_capture_on_commit_callbacks):
    from django.db import transaction

    server = local_receiver()
    approval = approved_request(personas, after=After.FIRM_SOFTWARE)

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        filing_submit(approval=approval, actor=personas.client_user)
        raise RuntimeError("the caller's transaction fails after submitting")

    assert callbacks == []
    assert server.received == []
    assert not Submission.objects.exists()
    assert _reload(approval).status == Status.APPROVED


# -- The retry schedule -------------------------------------------------------------------------


def test_the_retry_schedule_is_the_published_one():
    # immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h
    assert RETRY_SCHEDULE == (0, 5, 300, 1800, 7200, 18000, 36000, 36000)


def test_receiver_down_retries_on_the_schedule_then_fails_visibly_to_the_firm(personas, webhook_to, frozen):
    webhook_to(closed_port_url())
    approval = approved_request(personas, after=After.FIRM_SOFTWARE)
    submission = filing_submit(approval=approval, actor=personas.client_user)
    waits = []

    for attempt in range(1, 9):
        assert filing_deliver_due() == 0
        _reload(submission)
        assert submission.attempts == attempt
        if attempt < 8:
            assert submission.state == State.PENDING
            waits.append(round((submission.next_attempt_at - timezone.now()).total_seconds()))
            assert filing_deliver_due() == 0 and _reload(submission).attempts == attempt  # not due yet
            frozen.shift(waits[-1])

    assert waits == [5, 300, 1800, 7200, 18000, 36000, 36000]
    assert submission.state == State.FAILED and submission.finished_at is not None
    assert "127.0.0.1" in submission.last_error
    assert _reload(approval).status == Status.FAILED  # "fout bij indienen"
    [told] = _firm_heard(personas)
    assert told.client == personas.company
    assert told.link == filing.staff_link(approval) and str(approval.public_id) in told.link


def test_every_retry_carries_the_same_event_id_and_body(personas, local_receiver, frozen):
    server = local_receiver(500, 500, 500, 500, 500, 500, 500)  # then 200
    approval = approved_request(personas, after=After.FIRM_SOFTWARE)
    submission = filing_submit(approval=approval, actor=personas.client_user)

    for wait in RETRY_SCHEDULE:
        frozen.shift(wait)
        filing_deliver_due()

    assert len(server.received) == 8
    assert {item["headers"]["Balie-Event-Id"] for item in server.received} == {str(submission.event_id)}
    assert {item["body"] for item in server.received} == {server.received[0]["body"]}
    assert {event["id"] for event in server.events()} == {str(submission.event_id)}
    for item in server.received:  # each attempt is signed with its own timestamp
        headers = item["headers"]
        assert verify_signature(
            SECRET,
            headers["Balie-Event-Id"],
            headers["Balie-Timestamp"],
            item["body"],
            headers["Balie-Signature"],
            tolerance_seconds=None,  # the clock jumped hours ahead since the first ones
        )
    assert len({item["headers"]["Balie-Timestamp"] for item in server.received}) == 8
    assert (_reload(submission).state, submission.attempts) == (State.ACCEPTED, 8)
    assert _reload(approval).status == Status.COMPLETED
    assert Submission.objects.count() == 1


def test_a_redirect_counts_as_a_failed_attempt(personas, local_receiver):
    server = local_receiver(301)
    approval = approved_request(personas, after=After.FIRM_SOFTWARE)
    submission = filing_submit(approval=approval, actor=personas.client_user)

    filing_deliver_due()

    assert len(server.received) == 1
    assert (_reload(submission).state, submission.attempts) == (State.PENDING, 1)
    assert "301" in submission.last_error
    assert _reload(approval).status == Status.SUBMITTED


def test_a_receiver_answering_byte_by_byte_ends_the_attempt_at_its_deadline(
    personas, settings, webhook_to, monkeypatch
):
    """One deadline for the whole attempt: the slow answer counts as a failed attempt (outcome
    unknown, so the webhook is sent again on the schedule), and the claim outlasts the attempt."""
    settings.BALIE_WEBHOOK_TIMEOUT_SECONDS = 1
    server = DripReceiver(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 100, gap=0.1)
    webhook_to(server.url)
    approval = approved_request(personas, after=After.FIRM_SOFTWARE)
    submission = filing_submit(approval=approval, actor=personas.client_user)
    real_deliver, attempts = filing._deliver, []

    def timed(row):
        started = timezone.now()
        try:
            return real_deliver(row)
        finally:
            attempts.append((started, timezone.now(), row.claimed_until))

    monkeypatch.setattr(filing, "_deliver", timed)
    try:
        assert filing_deliver_due() == 0
    finally:
        server.close()

    [(started, ended, claimed_until)] = attempts
    assert ended - started >= timedelta(seconds=0.9)  # the deadline, not before (a full answer takes 10 s)
    assert claimed_until > ended + timedelta(seconds=30)  # no second worker could have taken it meanwhile
    assert len(wait_for_requests(server.requests)) == 1
    assert (_reload(submission).state, submission.attempts) == (State.PENDING, 1)
    assert submission.claimed_until is None and submission.last_error
    # The next attempt is 5 s after the failed one, however long that one took to fail.
    assert started + timedelta(seconds=5) <= submission.next_attempt_at <= timezone.now() + timedelta(seconds=5)
    assert _reload(approval).status == Status.SUBMITTED


def test_a_missing_webhook_address_fails_at_once_and_tells_the_firm(personas):
    approval = approved_request(personas, after=After.FIRM_SOFTWARE)
    submission = filing_submit(approval=approval, actor=personas.client_user)

    filing_deliver_due()

    assert (_reload(submission).state, submission.attempts) == (State.FAILED, 1)
    assert submission.last_error
    assert _reload(approval).status == Status.FAILED
    assert len(_firm_heard(personas)) == 1


# -- Crashes and unknown outcomes ---------------------------------------------------------------


def _crash_once_after_sending(monkeypatch):
    real = filing._record_outcome
    crashes = []

    def crash(row, outcome):
        if not crashes:
            crashes.append(row.pk)
            raise RuntimeError("the worker died after sending, before recording")
        return real(row, outcome)

    monkeypatch.setattr(filing, "_record_outcome", crash)


def test_a_webhook_sent_before_a_crash_is_delivered_again_with_the_same_event_id(
    personas, local_receiver, monkeypatch, frozen
):
    server = local_receiver()
    approval = approved_request(personas, after=After.FIRM_SOFTWARE)
    submission = filing_submit(approval=approval, actor=personas.client_user)
    _crash_once_after_sending(monkeypatch)

    with pytest.raises(RuntimeError):
        filing_deliver_due()
    assert _reload(submission).state == State.DELIVERING
    filing_deliver_due()  # its claim still runs: nobody touches it
    assert len(server.received) == 1

    frozen.shift(LEASE.total_seconds())
    filing_deliver_due()

    assert [item["headers"]["Balie-Event-Id"] for item in server.received] == [str(submission.event_id)] * 2
    assert (_reload(submission).state, submission.attempts) == (State.ACCEPTED, 2)
    assert _reload(approval).status == Status.COMPLETED
    assert Submission.objects.count() == 1


def test_a_digipoort_filing_interrupted_by_a_crash_is_flagged_and_never_filed_twice(personas, monkeypatch, frozen):
    sent = []
    real_deliver = DigipoortSimulator.deliver
    monkeypatch.setattr(DigipoortSimulator, "deliver", lambda self, row: sent.append(row.pk) or real_deliver(self, row))
    approval = approved_request(personas, after=After.DIGIPOORT)
    submission = filing_submit(approval=approval, actor=personas.client_user)
    _crash_once_after_sending(monkeypatch)

    with pytest.raises(RuntimeError):
        filing_deliver_due()
    frozen.shift(LEASE.total_seconds())
    filing_deliver_due()
    frozen.shift(3600)
    filing_deliver_due()
    filing_process_receipts()

    assert sent == [submission.pk]  # filed once, never again by itself
    assert _reload(submission).state == State.UNKNOWN
    assert submission.last_error
    assert _reload(approval).status == Status.SUBMITTED
    assert len(_firm_heard(personas)) == 1
    assert filing_submit(approval=approval, actor=personas.client_user) == submission
    with pytest.raises(ValidationError):
        filing_retry(approval=approval, actor=personas.staff.user)
    assert Submission.objects.count() == 1


def test_a_webhook_whose_last_attempt_got_no_answer_is_flagged_not_failed(personas, webhook_to, monkeypatch, frozen):
    webhook_to("http://127.0.0.1:9/hook")

    def no_answer(self, row):
        raise OutcomeUnknown("no answer within 10 seconds")

    monkeypatch.setattr(WebhookConnector, "deliver", no_answer)
    approval = approved_request(personas, after=After.FIRM_SOFTWARE)
    submission = filing_submit(approval=approval, actor=personas.client_user)

    for wait in RETRY_SCHEDULE:
        frozen.shift(wait)
        filing_deliver_due()

    assert (_reload(submission).state, submission.attempts) == (State.UNKNOWN, 8)
    assert _reload(approval).status == Status.SUBMITTED
    assert len(_firm_heard(personas)) == 1


def _unknown_digipoort_filing(personas, monkeypatch, frozen):
    approval = approved_request(personas, after=After.DIGIPOORT)
    submission = filing_submit(approval=approval, actor=personas.client_user)
    _crash_once_after_sending(monkeypatch)
    with pytest.raises(RuntimeError):
        filing_deliver_due()
    frozen.shift(LEASE.total_seconds())
    filing_deliver_due()
    assert _reload(submission).state == State.UNKNOWN
    return approval, submission


def test_the_firm_settles_an_unknown_outcome_as_received(personas, monkeypatch, frozen):
    approval, submission = _unknown_digipoort_filing(personas, monkeypatch, frozen)

    filing_reconcile(approval=approval, actor=personas.staff.user, received=True, note="Ontvangstbevestiging gezien")

    assert _reload(submission).state == State.ACCEPTED
    assert "Ontvangstbevestiging gezien" in submission.last_error
    assert _reload(approval).status == Status.COMPLETED


def test_an_unknown_outcome_settled_as_not_received_can_be_retried(personas, monkeypatch, frozen):
    approval, submission = _unknown_digipoort_filing(personas, monkeypatch, frozen)

    filing_reconcile(approval=approval, actor=personas.staff.user, received=False)
    assert (_reload(submission).state, _reload(approval).status) == (State.FAILED, Status.FAILED)
    again = filing_retry(approval=approval, actor=personas.staff.user)
    filing_deliver_due()

    assert again.idempotency_key == f"{approval.public_id}:2" and again.event_id != submission.event_id
    assert _reload(again).state == State.DELIVERED
    assert _reload(approval).status == Status.SUBMITTED


def test_only_the_firm_settles_or_retries(personas, monkeypatch, frozen):
    approval, _submission = _unknown_digipoort_filing(personas, monkeypatch, frozen)

    for actor in (personas.client_user, personas.outsider_staff.user):
        with pytest.raises(PermissionDenied):
            filing_reconcile(approval=approval, actor=actor, received=True)
        with pytest.raises(PermissionDenied):
            filing_retry(approval=approval, actor=actor)
    assert _reload(approval).status == Status.SUBMITTED


# -- Digipoort receipts -------------------------------------------------------------------------


def test_digipoort_accepts_later_and_the_approvers_get_an_email(personas, settings, frozen):
    settings.BALIE_DIGIPOORT_DELAY_SECONDS = 20
    approval = approved_request(personas, after=After.DIGIPOORT)
    submission = filing_submit(approval=approval, actor=personas.client_user)

    assert filing_deliver_due() == 1
    assert (_reload(submission).state, _reload(approval).status) == (State.DELIVERED, Status.SUBMITTED)
    assert submission.reference.startswith("SIM-")
    assert filing_process_receipts() == 0  # the receipt comes after 20 seconds
    frozen.shift(20)
    assert filing_process_receipts() == 1
    assert filing_process_receipts() == 0

    assert (_reload(submission).state, _reload(approval).status) == (State.ACCEPTED, Status.ACCEPTED)
    [mail] = DevOutboxMessage.objects.filter(recipients__contains="client@firm-a.test")
    assert "Aangifte omzetbelasting Q3 2025" in mail.subject
    assert submission.reference in mail.body_text
    assert filing.client_link(approval) in mail.body_text
    assert _firm_heard(personas) == []


def test_digipoort_refuses_a_faulty_message_and_the_firm_sees_the_error(personas, settings, frozen):
    settings.BALIE_DIGIPOORT_DELAY_SECONDS = 0
    approval = approved_request(personas, after=After.DIGIPOORT, title="Publicatiestukken 2024 FOUT")
    submission = filing_submit(approval=approval, actor=personas.client_user)

    filing_deliver_due()
    filing_process_receipts()

    assert (_reload(submission).state, submission.last_error) == (State.FAILED, SIMULATED_REFUSAL)
    assert _reload(approval).status == Status.FAILED
    assert len(_firm_heard(personas)) == 1
    assert not DevOutboxMessage.objects.filter(recipients__contains="client@firm-a.test").exists()


def test_the_firm_retries_a_failed_filing(personas, settings, frozen):
    settings.BALIE_DIGIPOORT_DELAY_SECONDS = 0
    approval = approved_request(personas, after=After.DIGIPOORT, title="Publicatiestukken 2024 FOUT")
    first = filing_submit(approval=approval, actor=personas.client_user)
    filing_deliver_due()
    filing_process_receipts()
    approval.document.__class__.objects.filter(pk=approval.document_id).update(title="Publicatiestukken 2024")

    second = filing_retry(approval=approval, actor=personas.staff.user)
    assert approval.status == Status.SUBMITTED
    filing_deliver_due()
    filing_process_receipts()

    assert second.idempotency_key == f"{approval.public_id}:2"
    assert second.submitted_by == personas.staff.user
    assert (_reload(first).state, _reload(second).state) == (State.FAILED, State.ACCEPTED)
    assert _reload(approval).status == Status.ACCEPTED


def test_a_webhook_filing_that_failed_is_retried_once_the_receiver_is_back(personas, webhook_to, frozen):
    webhook_to(closed_port_url())
    approval = approved_request(personas, after=After.FIRM_SOFTWARE)
    filing_submit(approval=approval, actor=personas.client_user)
    for wait in RETRY_SCHEDULE:
        frozen.shift(wait)
        filing_deliver_due()
    assert _reload(approval).status == Status.FAILED

    server = LocalReceiver()
    try:
        webhook_to(server.url)
        retried = filing_retry(approval=approval, actor=personas.staff.user)
        filing_deliver_due()
    finally:
        server.close()

    assert [event["id"] for event in server.events()] == [str(retried.event_id)]
    assert _reload(approval).status == Status.COMPLETED


def test_retrying_is_only_for_failed_filings(personas):
    approval = approved_request(personas, after=After.DIGIPOORT)

    with pytest.raises(ValidationError) as refused:
        filing_retry(approval=approval, actor=personas.staff.user)

    assert refused.value.code == "transition"
    assert not Submission.objects.exists()


# -- Jobs and concurrency -------------------------------------------------------------------------


def test_the_jobs_run_periodically(db, settings):
    from balie.core import jobs

    assert settings.BALIE_PERIODIC_JOBS["approvals.deliver_submissions"] <= 5
    assert settings.BALIE_PERIODIC_JOBS["approvals.digipoort_receipts"] > 0
    assert jobs.get_job("approvals.deliver_submissions")() == 0
    assert jobs.get_job("approvals.digipoort_receipts")() == 0


def test_filings_run_on_their_own_queue_which_the_worker_works_on_by_default():
    from balie.celery import app
    from balie.core import jobs
    from balie.core.management.commands.worker import Command

    assert jobs.get_job("approvals.deliver_submissions").declared_queue == "filing"
    assert jobs.get_job("approvals.digipoort_receipts").declared_queue == "filing"
    assert "filing" in Command().create_parser("balie", "worker").parse_args([]).queues.split(",")
    # The scheduler's periodic runs (sent without a queue) go to the job's queue, not "default".
    route = app.amqp.router.route({}, "approvals.deliver_submissions", (), {})
    assert route["queue"].name == "filing"


def test_a_delivery_run_claims_no_new_filing_after_its_time_limit(personas, monkeypatch, frozen):
    """A slow receiver cannot keep a run (and its worker) busy for long: after RUN_SECONDS it
    claims nothing more, and the next periodic run goes on with the rest."""
    clock = [1000.0]
    monkeypatch.setattr(filing, "_clock", lambda: clock[0])
    real_deliver = DigipoortSimulator.deliver

    def slow(self, row):
        clock[0] += 8  # each attempt takes 8 s
        return real_deliver(self, row)

    monkeypatch.setattr(DigipoortSimulator, "deliver", slow)
    submissions = [
        filing_submit(
            approval=approved_request(personas, after=After.DIGIPOORT, title=f"Aangifte {number}"),
            actor=personas.client_user,
        )
        for number in range(4)
    ]

    assert filing.RUN_SECONDS == 20
    assert filing_deliver_due() == 3  # claimed at 0, 8 and 16 s; at 24 s it stops
    assert [_reload(row).state for row in submissions] == [State.DELIVERED] * 3 + [State.PENDING]
    assert submissions[3].attempts == 0  # never claimed: nothing was sent
    assert filing_deliver_due() == 1
    assert _reload(submissions[3]).state == State.DELIVERED


def test_locks_in_the_delivery_lock_only_the_rows_they_change(personas, settings, webhook_to, monkeypatch, frozen):
    """On PostgreSQL a SELECT ... FOR UPDATE with joins would also lock the client, firm and
    document rows; every lock in filing names its own table (``of=("self",)``)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no row locks")
    settings.BALIE_DIGIPOORT_DELAY_SECONDS = 0
    with CaptureQueriesContext(connection) as queries:
        filing_submit(approval=approved_request(personas, after=After.DIGIPOORT), actor=personas.client_user)
        filing_submit(approval=approved_request(personas, after=After.FIRM_SOFTWARE), actor=personas.client_user)
        filing_deliver_due()  # Digipoort delivered; the webhook without an address fails (_finish)
        filing_process_receipts()
        approval, _submission = _unknown_digipoort_filing(personas, monkeypatch, frozen)  # the recovery
        filing_reconcile(approval=approval, actor=personas.staff.user, received=False)
        filing_retry(approval=approval, actor=personas.staff.user)

    locking = [  # the filing's own locks (e-mail and notifications lock their own tables)
        query["sql"]
        for query in queries.captured_queries
        if "FOR UPDATE" in query["sql"] and 'FROM "approvals_' in query["sql"]
    ]
    assert len(locking) >= 8
    assert [sql for sql in locking if "FOR UPDATE OF" not in sql] == []


@pytest.mark.django_db(transaction=True)
def test_simultaneous_submissions_file_once(personas):
    skip_unless_postgresql()
    approval = approved_request(personas, after=After.DIGIPOORT)

    outcomes = race(lambda _n: filing_submit(approval=Request.objects.get(pk=approval.pk), actor=None), range(8))

    assert outcomes == ["ok"] * 8
    assert Submission.objects.filter(request=approval).count() == 1
    assert _reload(approval).status == Status.SUBMITTED


def test_sending_later_as_a_batch_through_the_request_services_files_each_once(personas, settings, frozen):
    from balie.approvals.sending import request_send, requests_send_batch

    settings.BALIE_DIGIPOORT_DELAY_SECONDS = 0
    first = approved_request(personas, after=After.DIGIPOORT)
    second = approved_request(personas, after=After.DIGIPOORT, title="Aangifte omzetbelasting Q4 2025")
    request_send(approvals=[first, second], actor=personas.client_user, later=True)

    result = requests_send_batch(approvals=[first, second], actor=personas.client_user, confirmation=object())
    again = requests_send_batch(approvals=[first, second], actor=personas.client_user, confirmation=object())
    filing_deliver_due()
    filing_process_receipts()

    assert len(result.sent) == 2 and again.sent == []
    assert Submission.objects.filter(state=State.ACCEPTED).count() == 2
    assert Submission.objects.count() == 2
    assert {_reload(first).status, _reload(second).status} == {Status.ACCEPTED}
