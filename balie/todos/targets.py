"""What a task can be about (TASK-1): an object with a page where the task is done.

A task must lead somewhere it can be done, so ``todo_create`` accepts only a target that says so.
A model whose objects tasks can be about implements this small interface:

``client_id``
    The environment the object belongs to (a field, or a property for an object that reaches its
    environment through another row, such as a dossier folder).
``todo_kinds() -> Collection[str]``
    The ``Todo.Kind`` values that can be done on the object's page: an approval request offers
    "approve", a review request "review", a sign request "sign", a message thread "reply", a
    dossier folder "upload".
``todo_url(kind) -> str``
    The client-portal page where a task of ``kind`` about the object is done (``todos:open``
    redirects there).

A kind nothing offers yet (``Todo.Kind.FILL_IN`` until questionnaires exist) is refused for every
target. Whether the object still needs doing is a separate question: ``is_withdrawn`` (optional)
says the firm withdrew it, and its tasks close.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol


class TodoTarget(Protocol):
    client_id: int

    def todo_kinds(self) -> Collection[str]: ...

    def todo_url(self, kind: str) -> str: ...


def todo_kinds_of(target) -> Collection[str]:
    """The kinds of task that can be done about ``target``; none for ``None`` or any other object."""
    if target is None or not callable(getattr(target, "todo_kinds", None)):
        return ()
    return target.todo_kinds()


def todo_page(target, kind: str) -> str | None:
    """The page where a task of ``kind`` about ``target`` is done, or None when there is none."""
    if kind not in todo_kinds_of(target):
        return None
    return target.todo_url(kind)
