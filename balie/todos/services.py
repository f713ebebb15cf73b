"""Writes of to-do items: the interface every capability uses.

todo_create(client=..., kind=Todo.Kind.APPROVE, title=..., target=request, due_date=...)
    # the target offers a page where the task is done (balie/todos/targets.py), else ValidationError
todos_handle_for_target(target=request, user=director)   # when the object was handled
todos_close_for_target(target=document)                  # when the firm withdrew it
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from balie.audit.services import record
from balie.clients.models import Client, Membership
from balie.notifications.models import EventKind
from balie.notifications.services import notify
from balie.todos.models import Todo
from balie.todos.selectors import todo_recipients, user_may_handle
from balie.todos.targets import todo_kinds_of, todo_page


def _target_fields(target) -> dict:
    if target is None:
        return {"target_type": None, "target_id": ""}
    return {"target_type": ContentType.objects.get_for_model(target), "target_id": str(target.pk)}


@transaction.atomic
def todo_create(
    *,
    client: Client,
    kind: str,
    title: str,
    target=None,
    due_date: date | None = None,
    audience: str = Todo.Audience.HANDLERS,
    assignees: Iterable = (),
    created_by=None,
) -> Todo:
    """Creates an open task in ``client`` about ``target`` for the given audience.

    Refuses (ValidationError) a target without a page where this kind of task can be done: no
    target (code ``no_target``), or one whose ``todo_kinds()`` does not offer ``kind``
    (``no_page``); see balie/todos/targets.py.
    """
    assignees = list(assignees)
    if kind not in Todo.Kind.values:
        raise ValidationError(_("Choose a valid kind of task."), code="kind")
    if target is None:
        raise ValidationError(
            _("A task must be about something that can be acted on: a request, a message or a folder."),
            code="no_target",
        )
    if kind not in todo_kinds_of(target):
        raise ValidationError(
            _("There is no page for “%(target)s” where this task (%(kind)s) can be done.")
            % {"target": target, "kind": Todo.Kind(kind).label},
            code="no_page",
        )
    owner = getattr(target, "client_id", None)
    if owner is not None and owner != client.pk:
        raise ValidationError(_("A task can only be about something in its own environment."), code="other_client")
    if audience == Todo.Audience.NAMED:
        if not assignees:
            raise ValidationError(_("Name at least one person for this task."), code="no_assignees")
        members = set(
            Membership.objects.active().filter(client=client, user__in=assignees).values_list("user_id", flat=True)
        )
        if {user.pk for user in assignees} - members:
            raise ValidationError(_("Only members of the environment can be given a task."), code="not_member")
    todo = Todo.objects.create(
        client=client,
        kind=kind,
        title=title.strip(),
        due_date=due_date,
        audience=audience,
        created_by=created_by,
        **_target_fields(target),
    )
    if assignees:
        todo.assignees.set(assignees)
    return todo


@transaction.atomic
def todo_handle(*, todo: Todo, user) -> Todo:
    """Marks the task handled by ``user``; the first entitled person to act wins, later calls change nothing."""
    todo = Todo.objects.select_for_update().get(pk=todo.pk)
    if not todo.is_open:
        return todo
    if not user_may_handle(user=user, todo=todo):
        raise ValidationError(_("You may not handle this task."), code="not_entitled")
    todo.status, todo.handled_by, todo.handled_at = Todo.Status.DONE, user, timezone.now()
    todo.save(update_fields=["status", "handled_by", "handled_at"])
    return todo


def _open_for_target(target):
    return Todo.objects.filter(status=Todo.Status.OPEN, **_target_fields(target))


@transaction.atomic
def todos_handle_for_target(*, target, user) -> int:
    """Handles every open task about ``target`` that ``user`` may handle; returns how many."""
    handled = 0
    for todo in _open_for_target(target).select_for_update():
        if user_may_handle(user=user, todo=todo):
            todo_handle(todo=todo, user=user)
            handled += 1
    return handled


def todo_close(*, todo: Todo) -> None:
    """Closes a task whose object is gone or withdrawn: it leaves every list, nobody handled it."""
    Todo.objects.filter(pk=todo.pk, status=Todo.Status.OPEN).update(status=Todo.Status.CLOSED)
    todo.status = Todo.Status.CLOSED


def todos_close_for_target(*, target) -> int:
    return _open_for_target(target).update(status=Todo.Status.CLOSED)


def todo_target_gone(todo: Todo) -> bool:
    """Whether the task can no longer be done: its object is gone, withdrawn, or has no page for it."""
    return todo_url(todo) is None


def todo_url(todo: Todo) -> str | None:
    """The page where the task is done, or None when it can no longer be done there."""
    target = todo.target if todo.target_type_id else None
    if target is None or getattr(target, "is_withdrawn", False):
        return None
    return todo_page(target, todo.kind)


@transaction.atomic
def todo_remind(*, todo: Todo, urgent: bool = False, actor=None) -> int:
    """Reminds everyone who may handle the task, through their notifications (bell and e-mail per
    their choice for reminders), at most once per task per day; returns how many people."""
    todo = Todo.objects.select_for_update().select_related("client__firm").get(pk=todo.pk)
    if not todo.is_open:
        raise ValidationError(_("This task has already been handled."), code="handled")
    now = timezone.now()
    if todo.last_reminded_at and now - todo.last_reminded_at < timedelta(days=1):
        raise ValidationError(_("A reminder for this task was already sent today."), code="reminded_today")
    recipients = todo_recipients(todo=todo)
    notify(
        users=recipients,
        client=todo.client,
        kind=EventKind.REMINDER,
        title=gettext_noop("Reminder: %(title)s"),
        params={"title": todo.title},
        needs_action=True,
        due_date=todo.due_date,
        link=reverse("todos:open", args=[todo.client.public_id, todo.public_id]),
        urgent=urgent,
    )
    todo.last_reminded_at = now
    todo.save(update_fields=["last_reminded_at"])
    client = todo.client
    record(
        "todo.reminded",
        firm=client.firm,
        actor=actor,
        environment=client,
        obj=todo,
        details={"title": todo.title, "recipients": len(recipients), "urgent": urgent},
    )
    return len(recipients)


def todos_send_due_reminders(*, now=None) -> int:
    """Reminds open tasks per their firm's policy (e.g. 7 and 14 days after creation).

    A reminder is due when a policy day has passed since the last reminder (or creation); missed
    runs catch up with one reminder, and never more than one per task per day. Returns how many
    tasks were reminded.
    """
    now = now or timezone.now()
    reminded = 0
    todos = Todo.objects.filter(status=Todo.Status.OPEN).select_related("client__firm").order_by("pk")
    for todo in todos.iterator(chunk_size=500):
        schedule = todo.client.firm.reminder_schedule
        passed = [day for day in schedule if now - todo.created_at >= timedelta(days=day)]
        if not passed:
            continue
        mark = todo.created_at + timedelta(days=passed[-1])
        if todo.last_reminded_at is not None and todo.last_reminded_at >= mark:
            continue
        if todo_target_gone(todo):
            todo_close(todo=todo)  # nothing to remind of: the firm withdrew it
            continue
        try:
            todo_remind(todo=todo)
        except ValidationError:
            continue  # handled meanwhile, or already reminded today
        reminded += 1
    return reminded
