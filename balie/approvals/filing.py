"""Filing approved requests with a receiver (APR-8), exactly once.

    filing_submit(approval=..., actor=...)     approved / ready to send  -> submitted
    filing_retry(approval=..., actor=...)      failed (fout bij indienen) -> submitted, a new submission
    filing_reconcile(approval=..., actor=..., received=...)   settles an outcome nobody could know

Each filing is a ``Submission`` row with a unique idempotency key (``<request>:<generation>``) and
one event id for all its attempts, written in the caller's transaction; the delivery job
(``approvals.deliver_submissions``) sends it after the commit and again on a schedule:

    attempt 1 at once, then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (RETRY_SCHEDULE)

A worker claims a row (state ``delivering``, ``claimed_until``) before it sends and records the
outcome only while it still holds that claim. The claim lasts well beyond one attempt (a webhook
attempt, name lookup included, ends at BALIE_WEBHOOK_TIMEOUT_SECONDS), so no row is ever sent by
two workers at once. After the last attempt the submission and the request are ``failed`` and the
firm is told; the firm can retry.

Deliveries run on their own job queue (``filing``), so a slow receiver never holds up sign-in codes
or e-mail, and one run claims no new row after RUN_SECONDS: it ends within about RUN_SECONDS plus
one attempt, and the next periodic run goes on with the rest.

A retry by the firm (``filing_retry``) is a new delivery: a new submission with a new idempotency
key and a new event id, so a receiver that drops repeated event ids does not drop it. A failed
attempt may still have reached the receiver (it processed the event but answered too late or with
an error); a receiver for which that matters deduplicates on the request id in ``data``
(``data.request.id``), which stays the same.

Crashes: a row still ``delivering`` after its claim ran out was sent or not — nobody knows. For a
connector whose re-delivery is harmless (the webhook: same event id, the receiver drops
duplicates) it is simply delivered again. For any other (Digipoort: a second message would be a
second filing) it becomes ``unknown``, the request stays ``submitted``, and the firm is asked to
check with the receiver and settle it with ``filing_reconcile``; it is never sent again by itself.
The same holds for a webhook whose last attempt timed out after sending: ``unknown``, not failed.

Digipoort answers later: a delivered submission waits for its receipt (``approvals.digipoort_receipts``):
accepted -> the request is ``accepted`` ("akkoord digipoort") and the people who approved get an
e-mail; refused -> ``failed`` with the receiver's error, and the firm is told.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from balie.approvals.connectors import (
    Delivered,
    OutcomeUnknown,
    PermanentFailure,
    TemporaryFailure,
    get_connector,
)
from balie.approvals.jobs import deliver_submissions
from balie.approvals.models import After, Decision, Request, Submission
from balie.approvals.states import Status, check

logger = logging.getLogger(__name__)

# Seconds before attempt 1, 2, ... 8 (each counted from the failure of the one before).
RETRY_SCHEDULE: tuple[int, ...] = (0, 5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
MAX_ATTEMPTS = len(RETRY_SCHEDULE)
RECEIPT_POLL_SECONDS = 60  # when a receiver has no receipt yet
# One delivery run claims no new row after this many seconds (the next periodic run goes on), so
# it ends within about RUN_SECONDS plus one attempt.
RUN_SECONDS = 20
# A submission in one of these states is the request's filing: submitting again returns it.
LIVE = (
    Submission.State.PENDING,
    Submission.State.DELIVERING,
    Submission.State.DELIVERED,
    Submission.State.ACCEPTED,
    Submission.State.UNKNOWN,
)
State = Submission.State


# -- Services -----------------------------------------------------------------------------------


def _lock(approval: Request) -> Request:
    return Request.objects.select_for_update(of=("self",)).select_related("client__firm").get(pk=approval.pk)


def _set_status(approval: Request, status: str) -> None:
    check(approval.status, status)
    approval.status = status
    approval.status_changed_at = timezone.now()
    approval.save(update_fields=["status", "status_changed_at"])


def _require_staff(*, approval: Request, actor) -> None:
    from balie.firms.models import StaffMember

    if actor is None or not StaffMember.objects.filter(user=actor, firm_id=approval.client.firm_id).exists():
        raise PermissionDenied


def _new_submission(approval: Request, actor) -> Submission:
    generation = approval.submissions.count() + 1  # under the request's lock: no two alike
    submission = Submission.objects.create(
        request=approval,
        connector=approval.after,
        idempotency_key=f"{approval.public_id}:{generation}",
        submitted_by=actor,
        next_attempt_at=timezone.now(),
    )
    _set_status(approval, Status.SUBMITTED)
    transaction.on_commit(request_delivery)
    return submission


def _refresh(caller: Request, locked: Request) -> None:
    caller.status, caller.status_changed_at = locked.status, locked.status_changed_at


def filing_submit(*, approval: Request, actor) -> Submission:
    """Files an approved (or ready-to-send) request with its receiver, in the caller's transaction.

    Locks the request. When it already has a filing in progress or done, returns that one: a
    double click, a batch sent twice or two directors at once file once. Delivery starts after the
    commit. Raises ValidationError (code ``transition``) for a request in any other state (a
    failed filing is retried by the firm with ``filing_retry``) and ``nothing_to_file`` when
    nothing follows the approval.
    """
    with transaction.atomic():
        locked = _lock(approval)
        existing = locked.submissions.filter(state__in=LIVE).order_by("-created_at", "-pk").first()
        if existing is not None:
            _refresh(approval, locked)
            return existing
        if locked.after == After.NOTHING:
            raise ValidationError(_("Nothing is filed for this request."), code="nothing_to_file")
        if locked.status not in (Status.APPROVED, Status.READY_TO_SEND):
            raise ValidationError(
                _("This request is %(status)s and cannot be sent.") % {"status": Status(locked.status).label.lower()},
                code="transition",
            )
        submission = _new_submission(locked, actor)
        _refresh(approval, locked)
        return submission


def filing_retry(*, approval: Request, actor) -> Submission:
    """Files a request whose filing failed ("fout bij indienen") again: a new submission (new
    idempotency key and event id), the failed one stays on record. Firm staff only."""
    with transaction.atomic():
        locked = _lock(approval)
        _require_staff(approval=locked, actor=actor)
        if locked.status != Status.FAILED:
            raise ValidationError(
                _("Only a failed filing can be retried; this request is %(status)s.")
                % {"status": Status(locked.status).label.lower()},
                code="transition",
            )
        if locked.submissions.filter(state__in=LIVE).exists():  # cannot happen through the services
            raise ValidationError(_("This request is already being filed."), code="in_progress")
        submission = _new_submission(locked, actor)
        _refresh(approval, locked)
        return submission


def filing_reconcile(*, approval: Request, actor, received: bool, note: str = "") -> Submission:
    """Settles a submission whose outcome is unknown, after the firm checked with the receiver.

    ``received``: the receiver has it -> the request is completed; otherwise the submission and
    the request are failed, and the firm can retry. Firm staff only.
    """
    with transaction.atomic():
        locked = _lock(approval)
        _require_staff(approval=locked, actor=actor)
        submission = locked.submissions.select_for_update(of=("self",)).filter(state=State.UNKNOWN).first()
        if submission is None:
            raise ValidationError(_("This request has no filing with an unknown outcome."), code="not_unknown")
        who = actor.get_full_name() or actor.email
        verdict = _("received by the receiver") if received else _("not received by the receiver")
        submission.last_error = "\n".join(
            part
            for part in (
                submission.last_error,
                _("Checked by %(who)s: %(verdict)s.") % {"who": who, "verdict": verdict},
                note.strip(),
            )
            if part
        )[:4000]
        submission.state = State.ACCEPTED if received else State.FAILED
        submission.finished_at = timezone.now()
        submission.save(update_fields=["state", "last_error", "finished_at"])
        _set_status(locked, Status.COMPLETED if received else Status.FAILED)
        _refresh(approval, locked)
        return submission


def request_delivery() -> None:
    """Asks for a delivery run now; the periodic run finds the rows anyway if this is lost."""
    try:
        deliver_submissions.enqueue()
    except Exception:
        logger.warning("could not request filing delivery; the periodic run will pick it up", exc_info=True)


# -- Delivery -----------------------------------------------------------------------------------


def _lease() -> timedelta:
    """How long a claim on one row lasts: longer than one whole attempt (a webhook attempt, name
    lookup included, ends at BALIE_WEBHOOK_TIMEOUT_SECONDS) plus recording it, with room to spare,
    so a claim never runs out while its attempt is still under way."""
    return timedelta(seconds=settings.BALIE_WEBHOOK_TIMEOUT_SECONDS + 50)


_clock = time.monotonic  # the run's time limit (replaced in tests)


def _held(row: Submission):
    """The row while this worker still holds its claim: a worker whose claim ran out writes nothing."""
    return Submission.objects.filter(pk=row.pk, state=State.DELIVERING, claimed_until=row.claimed_until)


def _claim_one() -> Submission | None:
    now = timezone.now()
    with transaction.atomic():
        row = (
            Submission.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(state=State.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
            .first()
        )
        if row is None:
            return None
        row.state = State.DELIVERING
        row.attempts += 1
        row.claimed_until = now + _lease()
        row.save(update_fields=["state", "attempts", "claimed_until"])
    return Submission.objects.select_related("request__client__firm", "request__document", "request__version").get(
        pk=row.pk
    )


def _recover_interrupted() -> int:
    """Rows left ``delivering`` by a worker that died: re-deliver (idempotent connectors) or flag."""
    now = timezone.now()
    stale = list(
        Submission.objects.filter(state=State.DELIVERING, claimed_until__lt=now).values_list("pk", "request_id")[:100]
    )
    for pk, request_id in stale:
        with transaction.atomic():
            approval = Request.objects.select_for_update(of=("self",)).get(pk=request_id)
            row = Submission.objects.select_for_update(of=("self",)).filter(
                pk=pk, state=State.DELIVERING, claimed_until__lt=now
            )
            row = row.first()
            if row is None:
                continue
            error = _("Attempt %(attempt)s was interrupted before its outcome was recorded.") % {
                "attempt": row.attempts
            }
            if get_connector(row.connector).idempotent and row.attempts < MAX_ATTEMPTS:
                row.state, row.claimed_until, row.next_attempt_at = State.PENDING, None, now
                row.last_error = error
                row.save(update_fields=["state", "claimed_until", "next_attempt_at", "last_error"])
            else:
                row.state, row.claimed_until, row.last_error = State.UNKNOWN, None, error
                row.save(update_fields=["state", "claimed_until", "last_error"])
                _tell_the_firm(approval, unknown=True)
    return len(stale)


def _finish(row: Submission, *, state: str, error: str) -> bool:
    """Ends ``row`` as failed or unknown (under the request's lock) and tells the firm."""
    with transaction.atomic():
        approval = (
            Request.objects.select_for_update(of=("self",))
            .select_related("client__firm", "document")
            .get(pk=row.request_id)
        )
        fields = {"state": state, "last_error": error[:4000], "claimed_until": None}
        if state == State.FAILED:
            fields["finished_at"] = timezone.now()
        if not _held(row).update(**fields):
            return False
        if state == State.FAILED and approval.status == Status.SUBMITTED:
            _set_status(approval, Status.FAILED)
        _tell_the_firm(approval, unknown=state == State.UNKNOWN)
    return True


def _retry_later(row: Submission, error: str, *, unknown: bool = False) -> None:
    if row.attempts >= MAX_ATTEMPTS:
        _finish(row, state=State.UNKNOWN if unknown else State.FAILED, error=error)
        return
    _held(row).update(
        state=State.PENDING,
        last_error=error[:4000],
        claimed_until=None,
        next_attempt_at=timezone.now() + timedelta(seconds=RETRY_SCHEDULE[row.attempts]),
    )


def _record_outcome(row: Submission, outcome: Delivered) -> bool:
    """Records a delivery the moment the receiver took it (under the request's lock)."""
    now = timezone.now()
    with transaction.atomic():
        approval = Request.objects.select_for_update(of=("self",)).get(pk=row.request_id)
        fields = {"reference": outcome.reference[:100], "claimed_until": None, "last_error": ""}
        if outcome.final:
            fields.update(state=State.ACCEPTED, finished_at=now)
        else:
            fields.update(state=State.DELIVERED, next_attempt_at=now + timedelta(seconds=outcome.receipt_after))
        if not _held(row).update(**fields):
            return False
        if outcome.final and approval.status == Status.SUBMITTED:
            _set_status(approval, Status.COMPLETED)
    return True


def _deliver(row: Submission) -> bool:
    """One attempt for one claimed row; True when the receiver took it."""
    try:
        connector = get_connector(row.connector)
        outcome = connector.deliver(row)
    except PermanentFailure as error:
        _finish(row, state=State.FAILED, error=str(error))
        return False
    except OutcomeUnknown as error:
        if connector.idempotent:
            _retry_later(row, str(error), unknown=True)
        else:
            _finish(row, state=State.UNKNOWN, error=str(error))
        return False
    except TemporaryFailure as error:
        _retry_later(row, str(error))
        return False
    except Exception as error:  # a bug or an unexpected answer: retried on the schedule, and logged
        logger.exception("filing %s: attempt %s failed unexpectedly", row.pk, row.attempts)
        _retry_later(row, f"{type(error).__name__}: {error}")
        return False
    return _record_outcome(row, outcome)


def filing_deliver_due(*, limit: int = 100, run_seconds: float | None = None) -> int:
    """Delivers submissions whose attempt is due (at most ``limit``); returns how many the receivers took.

    Claims no new row after ``run_seconds`` (default RUN_SECONDS): what is left waits for the
    next run, so one slow receiver holds a run for about that long plus one attempt at most.
    """
    stop_claiming_at = _clock() + (RUN_SECONDS if run_seconds is None else run_seconds)
    _recover_interrupted()
    delivered = 0
    for _round in range(limit):
        if _clock() >= stop_claiming_at:
            break
        row = _claim_one()
        if row is None:
            break
        delivered += _deliver(row)
    return delivered


# -- Receipts -----------------------------------------------------------------------------------


def filing_process_receipts(*, limit: int = 100) -> int:
    """Fetches the receipts of delivered Digipoort submissions that are due; returns how many were settled."""
    now = timezone.now()
    due = list(
        Submission.objects.filter(
            connector=Submission.Connector.DIGIPOORT, state=State.DELIVERED, next_attempt_at__lte=now
        ).values_list("pk", flat=True)[:limit]
    )
    settled = 0
    for pk in due:
        row = Submission.objects.select_related("request__client__firm", "request__document").get(pk=pk)
        connector = get_connector(row.connector)
        try:
            receipt = connector.receipt(row)
        except Exception:
            logger.warning("filing %s: no receipt yet", pk, exc_info=True)
            receipt = None
        if receipt is None:
            Submission.objects.filter(pk=pk, state=State.DELIVERED).update(
                next_attempt_at=now + timedelta(seconds=RECEIPT_POLL_SECONDS)
            )
            continue
        with transaction.atomic():
            approval = (
                Request.objects.select_for_update(of=("self",))
                .select_related("client__firm", "document")
                .get(pk=row.request_id)
            )
            locked = Submission.objects.select_for_update(of=("self",)).filter(pk=pk, state=State.DELIVERED).first()
            if locked is None:  # another worker settled it
                continue
            locked.finished_at = timezone.now()
            if receipt.accepted:
                locked.state = State.ACCEPTED
                locked.save(update_fields=["state", "finished_at"])
                if approval.status == Status.SUBMITTED:
                    _set_status(approval, Status.ACCEPTED)
                    _tell_the_approvers(approval, submission=locked)
            else:
                locked.state, locked.last_error = State.FAILED, receipt.error[:4000]
                locked.save(update_fields=["state", "finished_at", "last_error"])
                if approval.status == Status.SUBMITTED:
                    _set_status(approval, Status.FAILED)
                    _tell_the_firm(approval, unknown=False)
            settled += 1
    return settled


# -- Who hears of it ------------------------------------------------------------------------------


def staff_link(approval: Request) -> str:
    """The firm's page of the request (the back office's request page when it exists)."""
    try:
        return reverse("approvals_staff:detail", args=[approval.public_id])
    except NoReverseMatch:
        document = approval.document
        return reverse(
            "dossiers_staff:document", args=[approval.client.public_id, document.dossier.public_id, document.public_id]
        )


def client_link(approval: Request) -> str:
    try:
        return approval.get_absolute_url()
    except NoReverseMatch:
        return approval.document.get_absolute_url()


def _tell_the_firm(approval: Request, *, unknown: bool) -> None:
    """The client's relationship managers (else the firm's administrators) hear of a failed or
    uncertain filing at once."""
    from balie.notifications.models import EventKind
    from balie.notifications.services import notify

    client = approval.client
    people = [staff.user for staff in client.relationship_managers.select_related("user")]
    if not people:
        people = [staff.user for staff in client.firm.staff.filter(role="admin").select_related("user")]
    names = {"title": approval.document.title, "client": client.name}
    if unknown:
        title = gettext_noop("Filing outcome unknown, check with the receiver: %(title)s (%(client)s)")
    else:
        title = gettext_noop("Filing failed: %(title)s (%(client)s)")
    notify(
        users=people,
        client=client,
        kind=EventKind.REQUEST,
        title=title,
        params=names,
        link=staff_link(approval),
        urgent=True,
    )


def _tell_the_approvers(approval: Request, *, submission: Submission) -> None:
    """An e-mail to each person who approved and still has access: the receiver accepted it (seed 002)."""
    from balie.clients.models import Membership
    from balie.notifications.email import absolute_url, send_templated_email

    client = approval.client
    with_access = Membership.objects.active().filter(client=client).values("user_id")
    decisions = (
        Decision.objects.filter(request=approval, outcome=Decision.Outcome.APPROVED, user_id__in=with_access)
        .filter(Q(user__is_active=True))
        .select_related("user")
    )
    link = absolute_url(client_link(approval))
    for decision in decisions:
        send_templated_email(
            to=decision.user.email,
            template="approval_accepted",
            language=decision.user.language,
            firm=client.firm,
            context={
                "user": decision.user,
                "client": client,
                "document": approval.document,
                "reference": submission.reference,
                "link": link,
            },
        )
