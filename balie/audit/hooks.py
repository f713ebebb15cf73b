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


# -- names for the log's pages ------------------------------------------------------------------------
# The log keeps an environment as its public id and an object as its type and public id; the apps
# that own them say what they are called, one query per kind for a whole page of events.

_ENVIRONMENTS: list[Callable[..., list[tuple[str, str]]]] = []
_TITLES: dict[str, Callable[..., dict[str, str]]] = {}


def register_environments_of_firm(answer: Callable[..., list[tuple[str, str]]]) -> None:
    """``(*, firm_id) -> [(public id, name), ...]``: the firm's environments, by name (``clients``)."""
    if answer not in _ENVIRONMENTS:
        _ENVIRONMENTS.append(answer)


def environments_of_firm(*, firm_id: int) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for answer in _ENVIRONMENTS:
        found.extend(answer(firm_id=firm_id))
    return found


def register_object_titles(object_type: str, answer: Callable[..., dict[str, str]]) -> None:
    """``(*, firm_id, ids) -> {public id: title}`` for objects of ``object_type`` ("app.model") of
    the firm; an object that no longer exists is simply not in the answer."""
    _TITLES[object_type] = answer


def object_titles(*, firm_id: int, events: Iterable) -> dict[tuple[str, str], str]:
    """The titles of the events' objects, ``{(object type, object id): title}``: one question per
    kind of object among them, whatever the number of events."""
    wanted: dict[str, set[str]] = {}
    for event in events:
        if event.object_type in _TITLES and event.object_id:
            wanted.setdefault(event.object_type, set()).add(event.object_id)
    titles: dict[tuple[str, str], str] = {}
    for object_type, ids in wanted.items():
        for object_id, title in _TITLES[object_type](firm_id=firm_id, ids=sorted(ids)).items():
            titles[(object_type, str(object_id))] = title
    return titles
