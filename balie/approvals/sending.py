"""Sending an approved request (APR-3): gathering it under Klaar om te verzenden, or submitting it now
(filing, APR-8, ``approvals.filing``), one at a time or as a batch with one confirmation.

    request_send(approvals=[approval], actor=director, later=True)          # Klaar om te verzenden
    requests_send_batch(approvals=[...], actor=director, confirmation=confirmation)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from balie.approvals import kernel, selectors
from balie.approvals.models import After, Request
from balie.approvals.states import Status

SENT = frozenset({Status.SUBMITTED, Status.ACCEPTED, Status.COMPLETED, Status.FAILED})


@dataclass
class SendResult:
    """What a batch send did: what went, and what was skipped with the reason (for the person)."""

    sent: list[Request] = field(default_factory=list)
    skipped: list[tuple[Request, str]] = field(default_factory=list)


def _check_may_send(locked: Request, actor) -> None:
    from balie.firms.models import StaffMember

    if selectors.may_decide(approval=locked, user=actor):
        return
    if StaffMember.objects.filter(user=actor, firm_id=locked.client.firm_id).exists():
        return
    raise ValidationError(_("You may not send this document."), code="not_asked")


def _not_sendable_reason(locked: Request) -> ValidationError:
    if locked.status == Status.WITHDRAWN:
        return ValidationError(_("The firm has withdrawn it."), code="withdrawn")
    if locked.status == Status.REPLACED:
        return ValidationError(
            _("It has been replaced by a request on a new version of the document."), code="replaced"
        )
    if locked.status in SENT:
        return ValidationError(_("It has already been sent."), code="sent")
    if locked.status == Status.APPROVED:
        return ValidationError(_("It is not among the documents ready to send."), code="not_ready")
    return ValidationError(
        _("It is %(status)s and cannot be sent.") % {"status": Status(locked.status).label.lower()}, code="transition"
    )


def _check_version_sendable(locked: Request) -> None:
    """A guard before anything is sent: the document must still be there and the approval must be of
    its current version (withdrawing or replacing the document normally stops the request already)."""
    document = locked.document
    if document.is_withdrawn:
        raise ValidationError(_("The firm has withdrawn the document."), code="document_withdrawn")
    if document.current_version_id != locked.version_id:
        raise ValidationError(
            _("There is a newer version of the document; the approval was for an earlier version."),
            code="not_current",
        )


def _submit(locked: Request, actor) -> None:
    from balie.approvals.filing import filing_submit

    filing_submit(approval=locked, actor=actor)


@transaction.atomic
def request_send(*, approvals: Iterable[Request], actor, later: bool) -> list[Request]:
    """After the approval: ``later`` gathers the requests under Klaar om te verzenden; otherwise they
    are submitted now (filing, APR-8). Only approved requests with something after the approval, on
    the document's current version (not a withdrawn document, not an earlier version)."""
    done = []
    for approval in sorted(approvals, key=lambda each: each.pk):  # one lock order: no deadlocks
        locked = kernel.lock(approval)
        _check_may_send(locked, actor)
        if locked.after == After.NOTHING:
            raise ValidationError(_("Nothing follows the approval of this document."), code="nothing_to_send")
        if later:
            if locked.status != Status.APPROVED:
                raise _not_sendable_reason(locked)
            _check_version_sendable(locked)
            kernel.set_status(locked, Status.READY_TO_SEND)
        else:
            if locked.status not in (Status.APPROVED, Status.READY_TO_SEND):
                raise _not_sendable_reason(locked)
            _check_version_sendable(locked)
            _submit(locked, actor)
            locked.refresh_from_db(fields=["status", "status_changed_at"])
        approval.status = locked.status
        done.append(locked)
    for locked in done:  # after every lock of the loop (the trail's lock comes last)
        kernel.record_event("request.queued" if later else "request.sent", locked, actor=actor)
    return done


@transaction.atomic
def requests_send_batch(*, approvals: Iterable[Request], actor, confirmation) -> SendResult:
    """Sends the chosen requests of Klaar om te verzenden as one batch with one confirmation (APR-3).

    Items that meanwhile were withdrawn (or their document), replaced, sent by someone else or are
    otherwise no longer ready to send are skipped, each with its reason; the others go.
    """
    if confirmation is None:
        raise ValidationError(_("Confirm sending."), code="confirmation")
    result = SendResult()
    for approval in sorted(approvals, key=lambda each: each.pk):
        try:
            with transaction.atomic():
                locked = kernel.lock(approval)
                if locked.status != Status.READY_TO_SEND:
                    raise _not_sendable_reason(locked)
                _check_may_send(locked, actor)
                _check_version_sendable(locked)
                _submit(locked, actor)
        except ValidationError as error:
            result.skipped.append((approval, " ".join(error.messages)))
        else:
            locked.refresh_from_db(fields=["status", "status_changed_at"])
            result.sent.append(locked)
    for locked in result.sent:  # after every lock of the loop (the trail's lock comes last)
        kernel.record_event("request.sent", locked, actor=actor)
    return result
