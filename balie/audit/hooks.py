"""What the audit trail asks of the apps above it, which answer from their ``AppConfig.ready()``.

A sign-in belongs to the chains of the firms the person deals with: the firm they work at (known
here, from ``firms``) and the firms whose environments they are a member of, which only ``clients``
knows. It registers a function ``(*, user) -> firm ids`` with ``register_firms_of_user``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

_FIRMS_OF_USER: list[Callable[..., Iterable[int]]] = []


def register_firms_of_user(answer: Callable[..., Iterable[int]]) -> None:
    """Adds a source of a person's firm ids (once per app; registering it again changes nothing)."""
    if answer not in _FIRMS_OF_USER:
        _FIRMS_OF_USER.append(answer)


def firm_ids_of_user(user) -> list[int]:
    """The ids of the firms a person works at or is a client of, sorted, without repeats."""
    from balie.firms.models import StaffMember

    found = set(StaffMember.objects.filter(user_id=user.pk).values_list("firm_id", flat=True))
    for answer in _FIRMS_OF_USER:
        found.update(answer(user=user))
    return sorted(found)
