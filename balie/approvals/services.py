"""Writes of requests and decisions (APR-1 .. APR-5, APR-7, BEY-2).

Every service is keyword-only, runs in one transaction, locks the request row
(``select_for_update``) and changes its status only through ``states.check``: two directors
clicking at the same moment decide once, the other is told who was first.

    approval = request_create(document=doc, actor=staff_user, audience="directors", after="firm_software")
    request_decide(approval=approval, user=director, outcome="approved", confirmation=confirmation)
    request_send(approvals=[approval], actor=director, later=True)          # Klaar om te verzenden
    requests_send_batch(approvals=[...], actor=director, confirmation=confirmation)
    requests_approve_batch(items=[(approval, sha256), ...], user=director, confirmation=confirmation)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from balie.approvals import selectors, states
from balie.approvals.models import After, Audience, Decision, Kind, Request, Required
from balie.approvals.states import Status
from balie.clients.models import Membership
from balie.dossiers.models import Document
from balie.notifications.models import EventKind
from balie.notifications.services import notify
from balie.todos.models import Todo
from balie.todos.services import todo_create, todos_close_for_target, todos_handle_for_target

Outcome = Decision.Outcome
OUTSIDE = "outside"  # the factor of a decision given outside the portal (paper, phone)
# The request's step is over (for what waits for it): approved, and whatever follows an approval.
DONE = frozenset({Status.APPROVED, Status.READY_TO_SEND, Status.SUBMITTED, Status.ACCEPTED, Status.FAILED})
DONE |= {Status.COMPLETED, Status.SIGNED}
# Nothing will ever make it done.
DEAD_END = frozenset({Status.REJECTED, Status.WITHDRAWN, Status.REPLACED})
SENT = frozenset({Status.SUBMITTED, Status.ACCEPTED, Status.COMPLETED, Status.FAILED})
# Waiting, open, or gathered to send: the firm can still withdraw or replace these, and an APPROVED
# request with something still to follow (``is_unsent``); one with nothing after it is over.
IN_PROGRESS = frozenset({Status.WAITING, Status.OPEN, Status.READY_TO_SEND})


@dataclass
class SendResult:
    """What a batch send did: what went, and what was skipped with the reason (for the person)."""

    sent: list[Request] = field(default_factory=list)
    skipped: list[tuple[Request, str]] = field(default_factory=list)


# -- helpers -------------------------------------------------------------------------------------------


def _name(user) -> str:
    return (user.get_full_name() or user.email) if user is not None else _("someone")


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "j F Y H:i")


def _lock(approval: Request) -> Request:
    return (
        Request.objects.select_for_update(of=("self",))
        .select_related("client__firm", "document", "version")
        .get(pk=approval.pk)
    )


def _set_status(locked: Request, new: str, *, settled_by=None) -> None:
    states.check(locked.status, new)
    locked.status = new
    locked.status_changed_at = timezone.now()
    fields = ["status", "status_changed_at"]
    if settled_by is not None:
        locked.settled_by = settled_by
        fields.append("settled_by")
    locked.save(update_fields=fields)


def _staff_link(approval: Request) -> str:
    """The request's page in the back office (the environment's page until that exists)."""
    for name, args in (
        ("approvals_staff:detail", [approval.public_id]),
        ("approvals_staff:request", [approval.public_id]),
    ):
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    return reverse("clients:staff_detail", args=[approval.client.public_id])


def _firm_people(client) -> list:
    """Who at the firm hears of decisions: the relationship managers, else the firm's administrators."""
    managers = [staff.user for staff in client.relationship_managers.select_related("user")]
    if not managers:
        managers = [staff.user for staff in client.firm.staff.filter(role="admin").select_related("user")]
    return managers


def _waits_for_label(approval: Request) -> str:
    return approval.waits_for.document.title if approval.waits_for_id else ""


def _is_done(approval: Request) -> bool:
    return approval.status in DONE


def _short(text: str, length: int = 120) -> str:
    """For a notification's title (300 characters at most): long comments and lists are cut."""
    return Truncator(text).chars(length)


def is_unsent(approval: Request) -> bool:
    """Approved, with a filing or a notice still to follow, and not sent yet."""
    return approval.status == Status.READY_TO_SEND or (
        approval.status == Status.APPROVED and approval.after != After.NOTHING
    )


def is_withdrawable(approval: Request) -> bool:
    """Whether the firm can still stop ``approval``: waiting, open, or approved but not sent yet."""
    return approval.status in IN_PROGRESS or is_unsent(approval)


def is_replaceable(approval: Request) -> bool:
    """Whether a new version of the document restarts ``approval`` (the same requests as withdrawable)."""
    return is_withdrawable(approval)


# -- creating, opening ---------------------------------------------------------------------------------


def _check_settings(*, kind: str, audience: str, required: str, after: str) -> None:
    if kind == "sign":
        raise ValidationError(
            _("A signature is asked for with a signing request, not with an approval request."), code="sign"
        )
    if kind not in Kind.values:
        raise ValidationError(_("Choose approve or review."), code="kind")
    if audience not in Audience.values:
        raise ValidationError(_("Choose who must act."), code="audience")
    if required not in Required.values:
        raise ValidationError(_("Choose how many approvals are needed."), code="required")
    if after not in After.values:
        raise ValidationError(_("Choose what happens after the approval."), code="after")
    if kind == Kind.REVIEW and after != After.NOTHING:
        raise ValidationError(_("A document to review is not sent anywhere afterwards."), code="after")


def _open(approval: Request, *, actor, strict: bool) -> None:
    """Gives the people asked their task and tells them (NOT-1). ``strict``: refuse when nobody can act
    (on creation); otherwise (a chained step opening) the firm is told instead. A sign request asks
    its signers turn by turn (``balie.signing``)."""
    if approval.kind == Kind.SIGN:
        from balie.signing.services import open_turn

        open_turn(approval, actor=actor)
        return
    client = approval.client
    asked = selectors.asked_users(approval=approval)
    todo_kind = Todo.Kind.REVIEW if approval.kind == Kind.REVIEW else Todo.Kind.APPROVE
    # A task per person for "all must approve" and for directors (fixed at the moment of asking);
    # the shared handlers' task follows the flag as it changes.
    if approval.audience == Audience.HANDLERS and approval.required == Required.ONE:
        todo_audience, assignees = Todo.Audience.HANDLERS, []
    else:
        todo_audience, assignees = Todo.Audience.NAMED, asked
    if todo_audience == Todo.Audience.NAMED and not assignees:
        if strict:
            raise _nobody_error(client=client, audience=approval.audience)
        notify(
            users=_firm_people(client),
            client=client,
            kind=EventKind.REQUEST,
            title=gettext_noop("Nobody in %(client)s can act on %(title)s"),
            params={"client": client.name, "title": approval.document.title},
            link=_staff_link(approval),
        )
        return
    todo_create(
        client=client,
        kind=todo_kind,
        title=approval.document.title,
        target=approval,
        due_date=approval.due_date,
        audience=todo_audience,
        assignees=assignees,
        created_by=actor,
    )
    if approval.kind == Kind.REVIEW:
        title = gettext_noop("Please review: %(title)s")
    else:
        title = gettext_noop("Please approve: %(title)s")
    notify(
        users=[user for user in asked if actor is None or user.pk != actor.pk],
        client=client,
        kind=EventKind.REQUEST,
        title=title,
        params={"title": approval.document.title},
        link=approval.get_absolute_url(),  # the page where it is decided, not the document
        message=approval.document.message,
        needs_action=True,
        due_date=approval.due_date,
    )


def _nobody_error(*, client, audience: str) -> ValidationError:
    if audience == Audience.DIRECTORS:
        return ValidationError(
            _(
                "Nobody in %(client)s is a director with access to the portal. Give a director access, "
                "or ask everyone who may handle documents or named people instead."
            )
            % {"client": client.name},
            code="no_directors",
        )
    return ValidationError(
        _("Nobody in %(client)s can be asked: give someone access or choose other people.") % {"client": client.name},
        code="nobody",
    )


def all_active_members(*, client, users) -> bool:
    """Whether every one of ``users`` is an active member of ``client`` who can sign in."""
    members = set(
        Membership.objects.active()
        .filter(client=client, user__in=users, user__is_active=True)
        .values_list("user_id", flat=True)
    )
    return not ({user.pk for user in users} - members)


def check_waits_for(waits_for: Request, *, client) -> Request:
    """The step a new request waits for (BEY-2), fresh; refused from another environment or over."""
    if waits_for.client_id != client.pk:
        raise ValidationError(_("A step can only wait for a step in the same environment."), code="other_client")
    waits_for = Request.objects.select_related("document").get(pk=waits_for.pk)
    if waits_for.status in DEAD_END:
        raise ValidationError(
            _("The step to wait for is %(status)s.") % {"status": Status(waits_for.status).label.lower()},
            code="waits_for_over",
        )
    return waits_for


@transaction.atomic
def request_create(
    *,
    document: Document,
    actor,
    kind: str = Kind.APPROVE,
    audience: str = Audience.HANDLERS,
    required: str = Required.ONE,
    after: str = After.NOTHING,
    due_date: date | None = None,
    named: Iterable = (),
    waits_for: Request | None = None,
) -> Request:
    """Asks for an approval (or review) of the document's current version.

    Starts WAITING ("wacht op …", no task yet) when ``waits_for`` is not done yet; otherwise OPEN,
    with a task for the people asked and a notification to each of them. Refuses named people who
    are not active members, and directors when the environment has none with portal access.
    """
    _check_settings(kind=kind, audience=audience, required=required, after=after)
    document = Document.objects.select_for_update(of=("self",)).select_related("client__firm").get(pk=document.pk)
    if document.is_withdrawn:
        raise ValidationError(_("This document has been withdrawn."), code="withdrawn")
    if document.current_version_id is None:
        raise ValidationError(_("This document has no file."), code="no_version")
    client = document.client
    named = list(named)
    if audience == Audience.NAMED:
        if not named:
            raise ValidationError(_("Name at least one person who must act."), code="no_named")
        if not all_active_members(client=client, users=named):
            raise ValidationError(_("Only active members of the environment can be asked."), code="not_member")
    elif named:
        raise ValidationError(_("Name people only when named people must act."), code="named")
    if waits_for is not None:
        waits_for = check_waits_for(waits_for, client=client)
    if audience == Audience.DIRECTORS and not selectors.directors_with_access(client=client):
        raise _nobody_error(client=client, audience=audience)  # checked now, for a waiting step too
    waiting = waits_for is not None and not _is_done(waits_for)
    approval = Request.objects.create(
        client=client,
        document=document,
        version_id=document.current_version_id,
        kind=kind,
        audience=audience,
        required=required,
        after=after,
        due_date=due_date,
        status=Status.WAITING if waiting else Status.OPEN,
        waits_for=waits_for,
        created_by=actor,
    )
    if named:
        approval.named.set(named)
    if not waiting:
        _open(approval, actor=actor, strict=True)
    return approval


def request_create_for_published(*, document: Document, actor, settings: dict | None = None) -> Request | None:
    """The request a published document asks for (DOS-7): ``request_kind`` approve or review, with
    the flow of its document type (APR-1) when that flow is of the same kind, else the plain default
    (everyone who may handle documents, one approval, nothing afterwards). ``settings`` (audience,
    required, after, due_date, named, waits_for) override those defaults, e.g. from the publish form."""
    from balie.approvals.flows import flow_for

    if document.request_kind == Kind.SIGN:
        from balie.signing.services import sign_request_create_for_published

        return sign_request_create_for_published(document=document, actor=actor, settings=settings)
    if document.request_kind not in (Kind.APPROVE, Kind.REVIEW):
        return None
    spec = flow_for(firm=document.client.firm, doc_type=document.doc_type)
    values: dict = {}
    if spec.mode == document.request_kind:
        values = {"audience": spec.audience, "required": spec.required}
        if document.request_kind == Kind.APPROVE:
            values["after"] = spec.after
        if spec.due_days:
            values["due_date"] = timezone.localdate() + timedelta(days=spec.due_days)
    values.update(settings or {})
    return request_create(document=document, actor=actor, kind=document.request_kind, **values)


# -- deciding ------------------------------------------------------------------------------------------


def _settled_error(locked: Request) -> ValidationError:
    first = (
        Decision.objects.filter(request=locked, user_id=locked.settled_by_id).select_related("user").first()
        or Decision.objects.filter(request=locked).select_related("user").order_by("decided_at", "pk").first()
    )
    if first is None:  # settled without a decision (cannot happen through these services)
        return ValidationError(_("This request has already been settled."), code="settled")
    template = {
        Outcome.APPROVED: _("Already approved by %(who)s on %(when)s."),
        Outcome.REJECTED: _("Already rejected by %(who)s on %(when)s."),
        Outcome.ACKNOWLEDGED: _("Already seen by %(who)s on %(when)s."),
    }[first.outcome]
    return ValidationError(template % {"who": _name(first.user), "when": _when(first.decided_at)}, code="settled")


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
        return _("You already decided on this request on %(when)s.") % {"when": _when(earlier.decided_at)}
    return None


def _record(
    locked: Request,
    *,
    user,
    outcome: str,
    comment: str,
    factor: str,
    challenge_id: str = "",
    ip_address=None,
    user_agent: str = "",
    recorded_by=None,
    note: str = "",
) -> Decision:
    if Decision.objects.filter(request=locked, user=user).exists():
        earlier = Decision.objects.get(request=locked, user=user)
        raise ValidationError(
            _("You already decided on this request on %(when)s.") % {"when": _when(earlier.decided_at)},
            code="decided",
        )
    try:
        with transaction.atomic():
            return Decision.objects.create(
                request=locked,
                user=user,
                outcome=outcome,
                comment=comment,
                ip_address=ip_address or None,
                user_agent=(user_agent or "")[:300],
                factor=factor,
                challenge_id=challenge_id or "",
                version_sha256=locked.version.sha256,
                recorded_by=recorded_by,
                outside_note=note,
            )
    except IntegrityError:  # the same person twice at once: the other request holds the lock first
        raise ValidationError(_("You already decided on this request."), code="decided") from None


def _tell_the_firm(locked: Request, decision: Decision) -> None:
    client = locked.client
    values = {"who": _name(decision.user), "title": locked.document.title, "client": client.name}
    if decision.outcome == Outcome.APPROVED:
        title = gettext_noop("%(who)s approved %(title)s (%(client)s)")
    elif decision.outcome == Outcome.REJECTED:
        values["reason"] = _short(decision.comment)
        title = gettext_noop("%(who)s did not approve %(title)s (%(client)s): %(reason)s")
    else:
        title = gettext_noop("%(who)s has seen %(title)s (%(client)s)")
    notify(
        users=_firm_people(client),
        client=client,
        kind=EventKind.REQUEST,
        title=title,
        params=values,
        link=_staff_link(locked),
    )


def _tell_the_others(locked: Request, decision: Decision) -> None:
    """The other people asked learn that the request was settled, and by whom."""
    values = {"who": _name(decision.user), "title": locked.document.title}
    title = {
        Outcome.APPROVED: gettext_noop("%(title)s has been approved by %(who)s"),
        Outcome.REJECTED: gettext_noop("%(title)s has been rejected by %(who)s"),
        Outcome.ACKNOWLEDGED: gettext_noop("%(title)s has been seen by %(who)s"),
    }[decision.outcome]
    others = [user for user in selectors.asked_users(approval=locked) if user.pk != decision.user_id]
    notify(
        users=others,
        client=locked.client,
        kind=EventKind.REQUEST,
        title=title,
        params=values,
        link=locked.get_absolute_url(),
    )


def _open_followers(locked: Request, *, actor) -> None:
    """BEY-2: the steps that waited for this one open, with their tasks."""
    for follower in (
        Request.objects.select_for_update(of=("self",))
        .select_related("client__firm", "document")
        .filter(waits_for=locked, status=Status.WAITING)
        .order_by("pk")
    ):
        _set_status(follower, Status.OPEN)
        _open(follower, actor=actor, strict=False)


def _withdraw_followers(locked: Request) -> list[Request]:
    """BEY-2: the steps waiting for a request that will never be done (rejected, withdrawn) would
    wait forever: they are withdrawn too (and what waits for them), and the firm is told which."""
    withdrawn = _withdraw_waiting(locked)
    if withdrawn:
        values = {
            "title": locked.document.title,
            "client": locked.client.name,
            "steps": _short(", ".join(each.document.title for each in withdrawn), 150),
        }
        if locked.status == Status.REJECTED:
            title = gettext_noop(
                "%(title)s was not approved (%(client)s); the steps waiting for it are withdrawn: %(steps)s"
            )
        else:
            title = gettext_noop(
                "%(title)s was withdrawn (%(client)s); the steps waiting for it are withdrawn too: %(steps)s"
            )
        notify(
            users=_firm_people(locked.client),
            client=locked.client,
            kind=EventKind.REQUEST,
            title=title,
            params=values,
            link=_staff_link(locked),
        )
    return withdrawn


def _withdraw_waiting(locked: Request) -> list[Request]:
    withdrawn = []
    for follower in (
        Request.objects.select_for_update(of=("self",))
        .select_related("client__firm", "document")
        .filter(waits_for=locked, status=Status.WAITING)
        .order_by("pk")
    ):
        _set_status(follower, Status.WITHDRAWN)
        todos_close_for_target(target=follower)  # a waiting step has no task yet; to be sure
        withdrawn.append(follower)
        withdrawn += _withdraw_waiting(follower)  # marked withdrawn first: a cycle ends here
    return withdrawn


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
    _set_status(locked, new, settled_by=user)
    todos_handle_for_target(target=locked, user=user)
    todos_close_for_target(target=locked)  # anyone else's task about it closes
    _tell_the_others(locked, decision)
    _tell_the_firm(locked, decision)
    if new in (Status.APPROVED, Status.COMPLETED):
        _open_followers(locked, actor=user)
    elif new == Status.REJECTED:
        _withdraw_followers(locked)


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
    with transaction.atomic():
        locked = _lock(approval)
        if not selectors.may_decide(approval=locked, user=user):
            raise ValidationError(_("You have not been asked to decide on this request."), code="not_asked")
        if locked.kind != Kind.APPROVE:
            raise ValidationError(_("This document is to review, not to approve."), code="kind")
        _check_open(locked)
        decision = _record(
            locked,
            user=user,
            outcome=outcome,
            comment=comment,
            factor=confirmation.factor,
            challenge_id=confirmation.challenge_id,
            ip_address=ip_address,
            user_agent=user_agent,
        )
        _settle(locked, decision)
    approval.status = locked.status
    return decision


def check_chosen_version(approval: Request, sha256: str) -> None:
    """Refuses a request whose document is no longer the exact version the person was shown (by its
    SHA-256): a new version was published, or the document was withdrawn, since they chose it. A
    request's version never changes; the document is read afresh."""
    document = Document.objects.only("current_version_id", "status").get(pk=approval.document_id)
    if document.is_withdrawn:
        raise ValidationError(_("The firm has withdrawn the document."), code="document_withdrawn")
    if approval.version.sha256 != sha256 or document.current_version_id != approval.version_id:
        raise ValidationError(
            _("The document has changed since you chose it. Open it and look at the new version."),
            code="not_current",
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
    decisions = []
    with transaction.atomic():
        for approval, sha256 in sorted(items, key=lambda item: item[0].pk):  # one lock order: no deadlocks
            try:
                check_chosen_version(approval, sha256)
                decisions.append(
                    request_decide(
                        approval=approval,
                        user=user,
                        outcome=Outcome.APPROVED,
                        confirmation=confirmation,
                        ip_address=ip_address,
                        user_agent=user_agent,
                    )
                )
                if approval.status == Status.APPROVED and approval.after != After.NOTHING:
                    request_send(approvals=[approval], actor=user, later=True)
            except ValidationError as error:
                title = approval.document.title
                raise ValidationError(
                    _("%(title)s: %(reason)s") % {"title": title, "reason": " ".join(error.messages)},
                    code=getattr(error, "code", None) or "refused",
                ) from None
    return decisions


def request_acknowledge(
    *, approval: Request, user, confirmation=None, ip_address: str | None = None, user_agent: str = ""
) -> Decision:
    """A review request (a draft to look at) is seen: it is COMPLETED and its task leaves every list."""
    with transaction.atomic():
        locked = _lock(approval)
        if not selectors.may_decide(approval=locked, user=user):
            raise ValidationError(_("You have not been asked to look at this document."), code="not_asked")
        if locked.kind != Kind.REVIEW:
            raise ValidationError(_("This document is to approve, not only to review."), code="kind")
        _check_open(locked)
        decision = _record(
            locked,
            user=user,
            outcome=Outcome.ACKNOWLEDGED,
            comment="",
            factor=getattr(confirmation, "factor", ""),
            challenge_id=getattr(confirmation, "challenge_id", ""),
            ip_address=ip_address,
            user_agent=user_agent,
        )
        _settle(locked, decision)
    approval.status = locked.status
    return decision


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
    with transaction.atomic():
        locked = _lock(approval)
        if not StaffMember.objects.filter(user=recorded_by, firm_id=locked.client.firm_id).exists():
            raise ValidationError(_("Only the firm's staff can record a decision."), code="not_staff")
        if not selectors.may_decide(approval=locked, user=user):
            raise ValidationError(_("This person has not been asked to decide on this request."), code="not_asked")
        expected = Kind.REVIEW if outcome == Outcome.ACKNOWLEDGED else Kind.APPROVE
        if locked.kind != expected:
            raise ValidationError(_("This decision does not fit this request."), code="kind")
        _check_open(locked)
        decision = _record(
            locked, user=user, outcome=outcome, comment=comment, factor=OUTSIDE, recorded_by=recorded_by, note=note
        )
        _settle(locked, decision)
    approval.status = locked.status
    return decision


# -- sending (APR-3) -----------------------------------------------------------------------------------


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
        locked = _lock(approval)
        _check_may_send(locked, actor)
        if locked.after == After.NOTHING:
            raise ValidationError(_("Nothing follows the approval of this document."), code="nothing_to_send")
        if later:
            if locked.status != Status.APPROVED:
                raise _not_sendable_reason(locked)
            _check_version_sendable(locked)
            _set_status(locked, Status.READY_TO_SEND)
        else:
            if locked.status not in (Status.APPROVED, Status.READY_TO_SEND):
                raise _not_sendable_reason(locked)
            _check_version_sendable(locked)
            _submit(locked, actor)
            locked.refresh_from_db(fields=["status", "status_changed_at"])
        approval.status = locked.status
        done.append(locked)
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
                locked = _lock(approval)
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
    return result


# -- the firm: withdraw, replace -----------------------------------------------------------------------


def _tell_withdrawn(locked: Request, *, title: str) -> None:
    notify(
        users=selectors.asked_users(approval=locked),
        client=locked.client,
        kind=EventKind.REQUEST,
        title=title,
        params={"title": locked.document.title},
        link=locked.get_absolute_url(),
    )


@transaction.atomic
def request_withdraw(*, approval: Request, actor) -> Request:
    """The firm withdraws a request that is waiting, open, or approved but not sent yet (approved
    with something to follow, or ready to send): it is never sent, its tasks close and the people
    asked are told. The steps waiting for it are withdrawn too, and the firm is told which.
    Decisions already given stay on record."""
    locked = _lock(approval)
    _withdraw(locked, actor=actor)
    approval.status = locked.status
    return locked


def _withdraw(locked: Request, *, actor) -> None:
    if not is_withdrawable(locked):
        raise _not_withdrawable(locked)
    was_waiting = locked.status == Status.WAITING
    _set_status(locked, Status.WITHDRAWN)
    todos_close_for_target(target=locked)
    if not was_waiting:
        _tell_withdrawn(locked, title=gettext_noop("The firm has withdrawn the request about %(title)s"))
    _withdraw_followers(locked)


def _not_withdrawable(locked: Request) -> ValidationError:
    return ValidationError(
        _("This request is %(status)s and can no longer be withdrawn.")
        % {"status": Status(locked.status).label.lower()},
        code="transition",
    )


def _step_to_wait_for(waits_for: Request | None) -> Request | None:
    """What a new request replacing a chained step waits for: the step before it, or that step's
    replacement when it was replaced too; nothing when that step ended without being done."""
    seen = set()
    while waits_for is not None and waits_for.status == Status.REPLACED and waits_for.pk not in seen:
        seen.add(waits_for.pk)
        waits_for = Request.objects.filter(replaces=waits_for).first()
    if waits_for is not None and waits_for.status in DEAD_END:
        return None
    return waits_for


def _replace(locked: Request, *, actor) -> Request:
    document = locked.document
    if document.current_version_id == locked.version_id:
        raise ValidationError(
            _("Add a new version of the document first: the request restarts on the new version."),
            code="same_version",
        )
    _set_status(locked, Status.REPLACED)
    todos_close_for_target(target=locked)
    waits_for = _step_to_wait_for(locked.waits_for)
    waiting = waits_for is not None and not _is_done(waits_for)
    new = Request.objects.create(
        client=locked.client,
        document=document,
        version_id=document.current_version_id,
        kind=locked.kind,
        audience=locked.audience,
        required=locked.required,
        after=locked.after,
        due_date=locked.due_date,
        status=Status.WAITING if waiting else Status.OPEN,
        waits_for=waits_for,
        replaces=locked,
        created_by=actor,
    )
    named = list(locked.named.all())
    if named:
        new.named.set(named)
    if new.kind == Kind.SIGN:
        from balie.signing.services import copy_signers

        copy_signers(old=locked, new=new)  # the same signers and places; nobody signed the new version
    # The steps still waiting for it now wait for the new one (those already under way stay as they are).
    Request.objects.filter(waits_for=locked, status=Status.WAITING).update(waits_for=new)
    if not waiting:
        _open(new, actor=actor, strict=False)
    return new


@transaction.atomic
def request_replace(*, approval: Request, actor) -> Request:
    """After a new version of the document: the request (waiting, open, or approved but not sent
    yet) becomes REPLACED and a new request with the same settings starts on the new version.

    The old request's decisions, an approval included, stay on record as given on the old version;
    they no longer count, and the old request is never sent: the new version is decided on anew.
    """
    locked = _lock(approval)
    if not is_replaceable(locked):
        raise ValidationError(
            _("This request is %(status)s and can no longer be replaced.")
            % {"status": Status(locked.status).label.lower()},
            code="transition",
        )
    locked.document = Document.objects.get(pk=locked.document_id)  # its current version, fresh
    new = _replace(locked, actor=actor)
    approval.status = locked.status
    return new


def _candidates(document: Document) -> list[Request]:
    """The document's requests that may still be stopped (checked again, one by one, under the lock)."""
    statuses = (*IN_PROGRESS, Status.APPROVED)
    return list(Request.objects.filter(document=document, status__in=statuses).order_by("pk"))


def requests_replace_for_document(*, document: Document, actor) -> list[Request]:
    """Called when a new version of ``document`` is stored: its requests that are waiting, open or
    approved but not sent yet restart on it (the old decisions stay on record)."""
    replaced = []
    with transaction.atomic():
        for approval in _candidates(document):
            locked = _lock(approval)
            if not is_replaceable(locked):  # meanwhile withdrawn, or approved with nothing to follow
                continue
            locked.document = Document.objects.get(pk=locked.document_id)  # its current version, fresh
            replaced.append(_replace(locked, actor=actor))
    return replaced


def requests_withdraw_for_document(*, document: Document, actor) -> int:
    """Called when the firm withdraws ``document``: its requests that are waiting, open or approved
    but not sent yet are withdrawn (and the steps waiting for them); none of them is ever sent."""
    count = 0
    with transaction.atomic():
        for approval in _candidates(document):
            locked = _lock(approval)
            if not is_withdrawable(locked):  # withdrawn already with the step it waited for, or over
                continue
            _withdraw(locked, actor=actor)
            count += 1
    return count
