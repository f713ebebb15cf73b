"""Demo tasks, created through the same interface the capabilities use.

Until documents and requests exist, the tasks point at the environment itself.
"""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from balie.core.demo import DemoContext
from balie.notifications.models import EventKind
from balie.notifications.services import notify
from balie.todos.models import Todo
from balie.todos.selectors import todo_recipients
from balie.todos.services import todo_create


def load(context: DemoContext) -> None:
    objects = context.objects
    today = timezone.localdate()
    for client, kind, title, days, audience in [
        (objects["company"], Todo.Kind.REVIEW, "Bedrijfsgegevens 2026 controleren", 5, Todo.Audience.HANDLERS),
        (objects["holding"], Todo.Kind.APPROVE, "Conceptjaarrekening 2025 doornemen", 14, Todo.Audience.HANDLERS),
        (objects["private"], Todo.Kind.UPLOAD, "Jaaropgave 2025 van de bank aanleveren", -2, Todo.Audience.MEMBERS),
        (
            objects["fatima_private"],
            Todo.Kind.FILL_IN,
            "Gegevens aangifte IB 2025 aanvullen",
            10,
            Todo.Audience.MEMBERS,
        ),
    ]:
        todo = todo_create(
            client=client,
            kind=kind,
            title=title,
            target=client,
            due_date=today + timedelta(days=days),
            audience=audience,
            created_by=objects["sanne"].user,
        )
        # The people concerned hear of it under the bell (and by e-mail, bundled).
        notify(
            users=todo_recipients(todo=todo),
            client=client,
            kind=EventKind.REQUEST,
            title=f"{todo.get_kind_display()}: {title}",
            link=reverse("todos:open", args=[client.public_id, todo.public_id]),
        )
