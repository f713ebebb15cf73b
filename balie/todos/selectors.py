"""Reads of to-do items. "Which tasks may this user handle" is defined once, in ``_entitled``."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from balie.clients.models import Client, Membership
from balie.firms.models import StaffMember
from balie.todos.models import Todo


def _entitled(user) -> Q:
    member = Membership.objects.active().filter(client=OuterRef("client"), user=user)
    named = Todo.assignees.through.objects.filter(todo=OuterRef("pk"), user=user)
    return (
        Q(Exists(member), audience=Todo.Audience.MEMBERS)
        | Q(Exists(member.filter(may_handle_documents=True)), audience=Todo.Audience.HANDLERS)
        | Q(Exists(member), Exists(named), audience=Todo.Audience.NAMED)
    )


def todo_list_for_user(*, user) -> QuerySet[Todo]:
    """Open tasks the user may handle, across all their environments, most urgent first."""
    if not user.is_authenticated or not user.is_active:
        return Todo.objects.none()
    return (
        Todo.objects.filter(_entitled(user), status=Todo.Status.OPEN)
        .select_related("client", "client__firm")
        .order_by("due_date", "created_at", "pk")
    )


def open_todos_about(*, user, targets, kind: str) -> list[Todo]:
    """The user's open tasks of ``kind`` about any of ``targets`` (objects of one model), due first;
    one query, e.g. what the firm asked to supply into the folders of a dossier."""
    targets = list(targets)
    if not targets or not user.is_authenticated:
        return []
    from django.contrib.contenttypes.models import ContentType

    return list(
        Todo.objects.filter(
            _entitled(user),
            status=Todo.Status.OPEN,
            kind=kind,
            target_type=ContentType.objects.get_for_model(targets[0]),
            target_id__in=[str(target.pk) for target in targets],
        ).order_by("due_date", "created_at", "pk")
    )


def user_may_handle(*, user, todo: Todo) -> bool:
    return Todo.objects.filter(_entitled(user), pk=todo.pk).exists()


def get_todo_for_member(*, membership: Membership, todo_public_id) -> Todo:
    """A task of the member's environment (handled ones too, for old links); 404 otherwise."""
    try:
        return Todo.objects.select_related("handled_by", "client").get(
            client_id=membership.client_id, public_id=todo_public_id
        )
    except (Todo.DoesNotExist, ValueError, ValidationError):
        raise Http404 from None


def todo_recipients(*, todo: Todo):
    """The users who may handle ``todo`` (for reminders)."""
    members = Membership.objects.active().filter(client_id=todo.client_id, user__is_active=True).select_related("user")
    if todo.audience == Todo.Audience.HANDLERS:
        members = members.filter(may_handle_documents=True)
    elif todo.audience == Todo.Audience.NAMED:
        members = members.filter(user__in=todo.assignees.all())
    return [m.user for m in members]


def todo_list_for_staff(*, staff: StaffMember, overdue_only: bool = False, client: Client | None = None):
    """Open tasks of the staff member's firm, oldest due first."""
    todos = Todo.objects.filter(client__firm_id=staff.firm_id, status=Todo.Status.OPEN)
    if client is not None:
        todos = todos.filter(client=client)
    if overdue_only:
        todos = todos.filter(due_date__lt=timezone.localdate())
    return todos.select_related("client").order_by("due_date", "created_at", "pk")


def get_open_todo_for_staff(*, staff: StaffMember, todo_public_id) -> Todo:
    try:
        return Todo.objects.select_related("client__firm").get(
            client__firm_id=staff.firm_id, public_id=todo_public_id, status=Todo.Status.OPEN
        )
    except (Todo.DoesNotExist, ValueError, ValidationError):
        raise Http404 from None


def staff_page_open_todos(*, staff: StaffMember, client: Client) -> dict:
    """The open tasks' count on the firm's page of an environment (``clients.staff_page``)."""
    return {"open_todos": todo_list_for_staff(staff=staff, client=client).count()}
