"""The turns of a sign request: whose turn it is, and asking them (their task and a notification).

A sign request asks its signers turn by turn (``Signer.position``; all at once when they share one).
The next turn is asked only when every signature before it is sealed into the PDF (``sealing``).
"""

from __future__ import annotations

from django.utils import formats, timezone
from django.utils.translation import gettext_noop

from balie.approvals import kernel
from balie.approvals.models import Request
from balie.notifications.models import EventKind
from balie.notifications.services import notify
from balie.signing.models import Signature, Signer
from balie.todos.models import Todo
from balie.todos.services import todo_create


def display_name(user) -> str:
    return user.get_full_name() or user.email


def display_when(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def current_position(approval: Request) -> int | None:
    """The turn now: the lowest position with a signer who has not signed; None when all have."""
    return (
        Signer.objects.filter(request=approval, signature__isnull=True)
        .order_by("position")
        .values_list("position", flat=True)
        .first()
    )


def before_is_sealed(approval: Request, position: int) -> bool:
    """Whether every signature of the turns before ``position`` is in the PDF."""
    return (
        not Signature.objects.filter(request=approval, signer__position__lt=position)
        .exclude(state=Signature.State.SEALED)
        .exists()
    )


def open_turn(approval: Request, *, actor) -> None:
    """Asks the signers whose turn it is (their task and a notification; the firm's signer is told
    in the back office). Called when the request opens and after each turn is sealed."""
    position = current_position(approval)
    if position is None:
        return
    now = timezone.now()
    turn = list(
        Signer.objects.filter(request=approval, position=position, signature__isnull=True, asked_at__isnull=True)
        .select_related("user")
        .order_by("slot")
    )
    if not turn:
        return
    Signer.objects.filter(pk__in=[signer.pk for signer in turn]).update(asked_at=now)
    title = approval.document.title
    for signer in turn:
        if signer.is_firm:
            notify(
                users=[signer.user],
                client=approval.client,
                kind=EventKind.REQUEST,
                title=gettext_noop("Please sign for the firm: %(title)s (%(client)s)"),
                params={"title": title, "client": approval.client.name},
                link=kernel.staff_link(approval),
                needs_action=True,
                due_date=approval.due_date,
            )
            continue
        todo_create(
            client=approval.client,
            kind=Todo.Kind.SIGN,
            title=title,
            target=approval,
            due_date=approval.due_date,
            audience=Todo.Audience.NAMED,
            assignees=[signer.user],
            created_by=actor,
        )
        if actor is None or signer.user_id != actor.pk:
            notify(
                users=[signer.user],
                client=approval.client,
                kind=EventKind.REQUEST,
                title=gettext_noop("Please sign: %(title)s"),
                params={"title": title},
                link=approval.get_absolute_url(),
                message=approval.document.message,
                needs_action=True,
                due_date=approval.due_date,
            )


def open_for_signing(approval: Request, *, actor, strict: bool) -> None:
    """The kernel's opener of sign requests (``kernel.register_kind``): the first turn is asked. A sign
    request always has its signers, so ``strict`` changes nothing."""
    open_turn(approval, actor=actor)
