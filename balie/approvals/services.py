"""Requests on a document (APR-1, APR-4, BEY-2): asking for an approval or a review, and the firm
withdrawing or replacing a request. Deciding is in ``decisions``, sending in ``sending``; callers
import those services from there.

What every kind of request shares (the lock, the status machine, the steps waiting for a request,
the evidence of a decision) is the request kernel, ``approvals.kernel``; ``open_for_decision`` is
how the kinds approve and review open (registered in ``apps.py``). Every service is keyword-only,
runs in one transaction, locks the request row (``select_for_update``) and changes its status only
through ``states.check``.

    approval = request_create(document=doc, actor=staff_user, audience="directors", after="firm_software")
    decisions.request_decide(approval=approval, user=director, outcome="approved", confirmation=confirmation)
    sending.request_send(approvals=[approval], actor=director, later=True)  # Klaar om te verzenden
    sending.requests_send_batch(approvals=[...], actor=director, confirmation=confirmation)
    decisions.requests_approve_batch(items=[(approval, sha256), ...], user=director, confirmation=confirmation)
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from balie.approvals import kernel, selectors
from balie.approvals.kernel import DEAD_END, all_active_members, check_waits_for
from balie.approvals.models import After, Audience, Kind, Request, Required
from balie.approvals.states import Status
from balie.dossiers.models import Document
from balie.notifications.models import EventKind
from balie.notifications.services import notify
from balie.todos.models import Todo
from balie.todos.services import todo_create, todos_close_for_target

# Waiting, open, or gathered to send: the firm can still withdraw or replace these, and an APPROVED
# request with something still to follow (``is_unsent``); one with nothing after it is over.
IN_PROGRESS = frozenset({Status.WAITING, Status.OPEN, Status.READY_TO_SEND})


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


def open_for_decision(approval: Request, *, actor, strict: bool) -> None:
    """The kernel's opener of approve and review requests (``kernel.register_kind``): gives the people
    asked their task and tells them (NOT-1). ``strict``: refuse when nobody can act (on creation);
    otherwise (a chained step opening) the firm is told instead."""
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
            raise kernel.nobody_error(client=client, audience=approval.audience)
        notify(
            users=kernel.firm_people(client),
            client=client,
            kind=EventKind.REQUEST,
            title=gettext_noop("Nobody in %(client)s can act on %(title)s"),
            params={"client": client.name, "title": approval.document.title},
            link=kernel.staff_link(approval),
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
        raise kernel.nobody_error(client=client, audience=audience)  # checked now, for a waiting step too
    waiting = waits_for is not None and not kernel.is_done(waits_for)
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
        kernel.open_request(approval, actor=actor, strict=True)
    kernel.record_event("request.created", approval, actor=actor, details={"audience": audience, "required": required})
    return approval


def request_create_for_published(*, document: Document, actor, settings: dict | None = None) -> Request | None:
    """The request a published document asks for (DOS-7): ``request_kind`` approve or review, with
    the flow of its document type (APR-1) when that flow is of the same kind, else the plain default
    (everyone who may handle documents, one approval, nothing afterwards). ``settings`` (audience,
    required, after, due_date, named, waits_for) override those defaults, e.g. from the publish form."""
    from balie.approvals.flows import flow_for

    publish = kernel.publisher(document.request_kind)  # another app's kind (sign: ``balie.signing``)
    if publish is not None:
        return publish(document=document, actor=actor, settings=settings)
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
    locked = kernel.lock(approval)
    _withdraw(locked, actor=actor)
    kernel.record_event("request.withdrawn", locked, actor=actor)
    approval.status = locked.status
    return locked


def _withdraw(locked: Request, *, actor) -> None:
    if not is_withdrawable(locked):
        raise _not_withdrawable(locked)
    was_waiting = locked.status == Status.WAITING
    kernel.set_status(locked, Status.WITHDRAWN)
    todos_close_for_target(target=locked)
    if not was_waiting:
        _tell_withdrawn(locked, title=gettext_noop("The firm has withdrawn the request about %(title)s"))
    kernel.withdraw_followers(locked)


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
    kernel.set_status(locked, Status.REPLACED)
    todos_close_for_target(target=locked)
    waits_for = _step_to_wait_for(locked.waits_for)
    waiting = waits_for is not None and not kernel.is_done(waits_for)
    assert document.current_version_id is not None  # differs from the request's version, checked above
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
    kernel.restarted(old=locked, new=new)  # e.g. a sign request keeps its signers and places
    # The steps still waiting for it now wait for the new one (those already under way stay as they are).
    Request.objects.filter(waits_for=locked, status=Status.WAITING).update(waits_for=new)
    if not waiting:
        kernel.open_request(new, actor=actor, strict=False)
    return new


@transaction.atomic
def request_replace(*, approval: Request, actor) -> Request:
    """After a new version of the document: the request (waiting, open, or approved but not sent
    yet) becomes REPLACED and a new request with the same settings starts on the new version.

    The old request's decisions, an approval included, stay on record as given on the old version;
    they no longer count, and the old request is never sent: the new version is decided on anew.
    """
    locked = kernel.lock(approval)
    if not is_replaceable(locked):
        raise ValidationError(
            _("This request is %(status)s and can no longer be replaced.")
            % {"status": Status(locked.status).label.lower()},
            code="transition",
        )
    locked.document = Document.objects.get(pk=locked.document_id)  # its current version, fresh
    new = _replace(locked, actor=actor)
    _record_replaced(locked, new, actor=actor)
    approval.status = locked.status
    return new


def _record_replaced(old: Request, new: Request, *, actor) -> None:
    kernel.record_event("request.replaced", old, actor=actor, details={"replaced_by": str(new.public_id)})


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
            locked = kernel.lock(approval)
            if not is_replaceable(locked):  # meanwhile withdrawn, or approved with nothing to follow
                continue
            locked.document = Document.objects.get(pk=locked.document_id)  # its current version, fresh
            replaced.append((locked, _replace(locked, actor=actor)))
        for old, new in replaced:  # after every lock of the loop (the trail's lock comes last)
            _record_replaced(old, new, actor=actor)
    return [new for _old, new in replaced]


def requests_withdraw_for_document(*, document: Document, actor) -> int:
    """Called when the firm withdraws ``document``: its requests that are waiting, open or approved
    but not sent yet are withdrawn (and the steps waiting for them); none of them is ever sent."""
    withdrawn = []
    with transaction.atomic():
        for approval in _candidates(document):
            locked = kernel.lock(approval)
            if not is_withdrawable(locked):  # withdrawn already with the step it waited for, or over
                continue
            _withdraw(locked, actor=actor)
            withdrawn.append(locked)
        for locked in withdrawn:  # after every lock of the loop (the trail's lock comes last)
            kernel.record_event("request.withdrawn", locked, actor=actor)
    return len(withdrawn)
