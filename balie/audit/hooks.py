"""What the audit trail asks of the apps above it, which answer from their ``AppConfig.ready()``.

A sign-in belongs to the chains of the firms the person deals with: the firm they work at (known
here, from ``firms``) and the firms whose environments they are a member of, which only ``clients``
knows. It registers a function ``(*, user) -> firm ids`` with ``register_firms_of_user``.

The daily checkpoint PDF is sealed with the firm's seal, which ``signing`` holds: it registers
``(data, *, firm, reason) -> sealed bytes`` with ``register_checkpoint_sealer``. Without one the
checkpoint is written unsealed (and says so).

The download alert needs the environments a staff member is relationship manager of, which
``clients`` knows: it registers ``(*, user) -> environment public ids`` with
``register_managed_environments``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

_FIRMS_OF_USER: list[Callable[..., Iterable[int]]] = []
_CHECKPOINT_SEALER: list[Callable[..., bytes]] = []
_MANAGED_ENVIRONMENTS: list[Callable[..., Iterable[Any]]] = []


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


def register_checkpoint_sealer(seal: Callable[..., bytes]) -> None:
    """Sets the sealer of checkpoint PDFs (one; registering another replaces it)."""
    _CHECKPOINT_SEALER[:] = [seal]


def checkpoint_sealer() -> Callable[..., bytes] | None:
    return _CHECKPOINT_SEALER[0] if _CHECKPOINT_SEALER else None


def register_managed_environments(answer: Callable[..., Iterable[Any]]) -> None:
    """Adds a source of the environments (public ids) a staff member is relationship manager of."""
    if answer not in _MANAGED_ENVIRONMENTS:
        _MANAGED_ENVIRONMENTS.append(answer)


def managed_environments(user) -> set[str]:
    """The public ids (as text) of the environments ``user`` is relationship manager of."""
    found: set[str] = set()
    for answer in _MANAGED_ENVIRONMENTS:
        found.update(str(public_id) for public_id in answer(user=user))
    return found
