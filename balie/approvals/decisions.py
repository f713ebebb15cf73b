"""Deciding on a request (APR-2, APR-7): Akkoord / Niet akkoord on an approval request, "seen" on a
review, a decision given outside the portal, and approving several at once with one confirmation.

Every service is keyword-only, runs in one transaction, locks the request (``kernel.lock``) and
settles it through the kernel's status machine: two directors clicking at the same moment decide
once, the other is told who was first.

    request_decide(approval=approval, user=director, outcome="approved", confirmation=confirmation)
    requests_approve_batch(items=[(approval, sha256), ...], user=director, confirmation=confirmation)
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from balie.approvals import kernel, selectors
from balie.approvals.models import After, Decision, Kind, Request, Required
from balie.approvals.sending import request_send
from balie.approvals.states import Status
from balie.notifications.models import EventKind
from balie.notifications.services import notify
from balie.todos.models import Todo

Outcome = Decision.Outcome
OUTSIDE = "outside"  # the factor of a decision given outside the portal (paper, phone)


def _waits_for_label(approval: Request) -> str:
    return approval.waits_for.document.title if approval.waits_for else ""


def _settled_error(locked: Request) -> ValidationError:
    first = (
        # A None lookup is valid (IS NULL, so no row); the stubs only accept a value.
        Decision.objects.filter(request=locked, user_id=locked.settled_by_id).select_related("user").first()  # type: ignore[misc]
        or Decision.objects.filter(request=locked).select_related("user").order_by("decided_at", "pk").first()
    )
    if first is None:  # settled without a decision (cannot happen through these services)
        return ValidationError(_("This request has already been settled."), code="settled")
    templates: dict[str, str] = {
        Outcome.APPROVED: _("Already approved by %(who)s on %(when)s."),
        Outcome.REJECTED: _("Already rejected by %(who)s on %(when)s."),
        Outcome.ACKNOWLEDGED: _("Already seen by %(who)s on %(when)s."),
    }
    template = templates[first.outcome]
    return ValidationError(
        template % {"who": kernel.person_name(first.user), "when": kernel.moment(first.decided_at)}, code="settled"
    )


def _check_open(locked: Request) -> None:
    """Raises why the request cannot be decided on (any more), naming who settled it."""
    if locked.status == Status.OPEN:
        return
    if locked.status == Status.WAITING:
        raise ValidationError(
            _("This request waits for %(step)s; it cannot be decided on yet.") % {"step": _waits_for_label(locked)},
            code="waiting",
        )
    if locked.status == Status.WITHDRAWN:
        raise ValidationError(_("The firm has withdrawn this request."), code="withdrawn")
    if locked.status == Status.REPLACED:
        raise ValidationError(
            _("This request has been replaced by one on a new version of the document."), code="replaced"
        )
    raise _settled_error(locked)


def request_why_not_decidable(*, approval: Request, user) -> str | None:
    """Why ``user`` cannot decide on ``approval`` now (None: they can), for pages. Read without a
    lock: the services check again under it."""
    try:
        _check_open(approval)
    except ValidationError as error:
        return " ".join(error.messages)
    earlier = Decision.objects.filter(request=approval, user=user).first()
    if earlier is not None:
        return _("You already decided on this request on %(when)s.") % {"when": kernel.moment(earlier.decided_at)}
    return None


def _tell_the_firm(locked: Request, decision: Decision) -> None:
    client = locked.client
    values = {"who": kernel.person_name(decision.user), "title": locked.document.title, "client": client.name}
    if decision.outcome == Outcome.APPROVED:
        title = gettext_noop("%(who)s approved %(title)s (%(client)s)")
    elif decision.outcome == Outcome.REJECTED:
        values["reason"] = kernel.short(decision.comment)
        title = gettext_noop("%(who)s did not approve %(title)s (%(client)s): %(reason)s")
    else:
        title = gettext_noop("%(who)s has seen %(title)s (%(client)s)")
    notify(
        users=kernel.firm_people(client),
        client=client,
        kind=EventKind.REQUEST,
        title=title,
        params=values,
        link=kernel.staff_link(locked),
    )


def _tell_the_others(locked: Request, decision: Decision) -> None:
    """The other people asked learn that the request was settled, and by whom."""
    values = {"who": kernel.person_name(decision.user), "title": locked.document.title}
    titles: dict[str, str] = {
        Outcome.APPROVED: gettext_noop("%(title)s has been approved by %(who)s"),
        Outcome.REJECTED: gettext_noop("%(title)s has been rejected by %(who)s"),
        Outcome.ACKNOWLEDGED: gettext_noop("%(title)s has been seen by %(who)s"),
    }
    title = titles[decision.outcome]
    others = [user for user in selectors.asked_users(approval=locked) if user.pk != decision.user_id]
    notify(
        users=others,
        client=locked.client,
        kind=EventKind.REQUEST,
        title=title,
        params=values,
        link=locked.get_absolute_url(),
    )


def _settle(locked: Request, decision: Decision) -> None:
    """Applies the threshold (one, all) to the new decision: settle, or wait for the others."""
    user = decision.user
    if decision.outcome == Outcome.REJECTED:
        new = Status.REJECTED
    elif decision.outcome == Outcome.ACKNOWLEDGED:
        new = Status.COMPLETED
    else:
        # With everyone's approval needed: recorded; the others still have to approve.
        if locked.required == Required.ALL and not selectors.approval_would_settle(approval=locked, user=user):
            for todo in Todo.objects.filter(
                status=Todo.Status.OPEN,
                target_type=ContentType.objects.get_for_model(Request),
                target_id=str(locked.pk),
            ):
                todo.assignees.remove(user)
            _tell_the_firm(locked, decision)
            return
        new = Status.APPROVED
    kernel.set_status(locked, new, settled_by=user)
    kernel.close_tasks(locked, done_by=user)  # theirs handled, anyone else's task about it closes
    _tell_the_others(locked, decision)
    _tell_the_firm(locked, decision)
    if new in (Status.APPROVED, Status.COMPLETED):
        kernel.open_followers(locked, actor=user)
    elif new == Status.REJECTED:
        kernel.withdraw_followers(locked)


def record_decided(locked: Request, decision: Decision, *, was: str) -> None:
    """The audit event of a decision, written with its evidence (who, on which version, how confirmed)."""
    details: dict[str, object] = {
        "outcome": decision.outcome,
        "factor": decision.factor,
        "version_sha256": decision.version_sha256,
    }
    if decision.recorded_by_id is not None:
        details["given_by"] = kernel.person_name(decision.user)  # outside the portal
    if locked.status != was:
        details["status"] = [was, locked.status]
    kernel.record_event("request.decided", locked, actor=decision.recorded_by or decision.user, details=details)


def _decide(approval: Request, *, user, kind: str, not_asked: str, wrong_kind: str, check=None, **evidence) -> Decision:
    """Under the request's lock: ``check(locked)`` if given, then that ``user`` was asked, that the
    request is of ``kind`` and open (the messages name what is wrong); records ``user``'s decision
    with ``evidence`` and applies the threshold."""
    with transaction.atomic():
        locked = kernel.lock(approval)
        if check is not None:
            check(locked)
        if not selectors.may_decide(approval=locked, user=user):
            raise ValidationError(not_asked, code="not_asked")
        if locked.kind != kind:
            raise ValidationError(wrong_kind, code="kind")
        _check_open(locked)
        was = locked.status
        decision = kernel.record_decision(locked, user=user, **evidence)
        _settle(locked, decision)
        record_decided(locked, decision, was=was)
    approval.status = locked.status
    return decision


def request_decide(
    *,
    approval: Request,
    user,
    outcome: str,
    comment: str = "",
    confirmation,
    ip_address: str | None = None,
    user_agent: str = "",
) -> Decision:
    """Records ``user``'s Akkoord ("approved") or Niet akkoord ("rejected", a reason required) on the
    request's exact version, with the confirmation as evidence (APR-2, APR-7).

    Only someone asked may decide, on an OPEN request. With one approval required the first one
    settles it; with all, the last one does; any rejection settles it. A decision on a settled
    request is refused (code ``settled``) naming who settled it and when.
    """
    if outcome not in (Outcome.APPROVED, Outcome.REJECTED):
        raise ValidationError(_("Choose approve or do not approve."), code="outcome")
    comment = (comment or "").strip()
    if outcome == Outcome.REJECTED and not comment:
        raise ValidationError(_("Give the reason why you do not approve."), code="reason")
    if confirmation is None:
        raise ValidationError(_("Confirm your decision."), code="confirmation")
    return _decide(
        approval,
        user=user,
        kind=Kind.APPROVE,
        not_asked=_("You have not been asked to decide on this request."),
        wrong_kind=_("This document is to review, not to approve."),
        outcome=outcome,
        comment=comment,
        factor=confirmation.factor,
        challenge_id=confirmation.challenge_id,
        ip_address=ip_address,
        user_agent=user_agent,
    )


def requests_approve_batch(
    *,
    items: Iterable[tuple[Request, str]],
    user,
    confirmation,
    ip_address: str | None = None,
    user_agent: str = "",
) -> list[Decision]:
    """Akkoord on several requests with one confirmation: ``items`` pairs each request with the
    SHA-256 of the version the person was shown. All or nothing, in one transaction: each decision
    goes through ``request_decide`` (with its own evidence bound to its own version), and a request
    that cannot be approved (withdrawn, decided, a changed version) refuses the whole batch, its
    message prefixed with the document's title. An approval that settles a request with something
    following it puts it under Klaar om te verzenden, to send from there."""
    if confirmation is None:
        raise ValidationError(_("Confirm your decision."), code="confirmation")

    def approve(approval: Request) -> Decision:
        decision = request_decide(
            approval=approval,
            user=user,
            outcome=Outcome.APPROVED,
            confirmation=confirmation,
            ip_address=ip_address,
            user_agent=user_agent,
        )
        if approval.status == Status.APPROVED and approval.after != After.NOTHING:
            request_send(approvals=[approval], actor=user, later=True)
        return decision

    return kernel.each_chosen(items, approve)


def request_acknowledge(
    *, approval: Request, user, confirmation=None, ip_address: str | None = None, user_agent: str = ""
) -> Decision:
    """A review request (a draft to look at) is seen: it is COMPLETED and its task leaves every list."""
    return _decide(
        approval,
        user=user,
        kind=Kind.REVIEW,
        not_asked=_("You have not been asked to look at this document."),
        wrong_kind=_("This document is to approve, not only to review."),
        outcome=Outcome.ACKNOWLEDGED,
        comment="",
        factor=getattr(confirmation, "factor", ""),
        challenge_id=getattr(confirmation, "challenge_id", ""),
        ip_address=ip_address,
        user_agent=user_agent,
    )


def decision_record_outside(
    *, approval: Request, user, outcome: str, comment: str = "", note: str, recorded_by
) -> Decision:
    """Staff enter a decision the client gave outside the portal (on paper, by phone): marked as such
    (factor "outside", who recorded it and how it was given); the same settling rules apply."""
    from balie.firms.models import StaffMember

    note = (note or "").strip()
    comment = (comment or "").strip()
    if not note:
        raise ValidationError(_("Say how and when the client gave this decision."), code="note")
    if outcome not in Outcome.values:
        raise ValidationError(_("Choose a decision."), code="outcome")
    if outcome == Outcome.REJECTED and not comment:
        raise ValidationError(_("Give the reason the client gave for not approving."), code="reason")

    def check_staff(locked: Request) -> None:
        if not StaffMember.objects.filter(user=recorded_by, firm_id=locked.client.firm_id).exists():
            raise ValidationError(_("Only the firm's staff can record a decision."), code="not_staff")

    return _decide(
        approval,
        user=user,
        kind=Kind.REVIEW if outcome == Outcome.ACKNOWLEDGED else Kind.APPROVE,
        not_asked=_("This person has not been asked to decide on this request."),
        wrong_kind=_("This decision does not fit this request."),
        check=check_staff,
        outcome=outcome,
        comment=comment,
        factor=OUTSIDE,
        recorded_by=recorded_by,
        note=note,
    )
