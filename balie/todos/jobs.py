"""Jobs of the to-do list."""

from balie.core import jobs
from balie.todos.services import todos_send_due_reminders


@jobs.job("todos.send_reminders", queue="bulk")
def send_reminders() -> int:
    """Periodic: automatic reminders per firm policy."""
    return todos_send_due_reminders()
