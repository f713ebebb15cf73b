"""The audit trail for the apps below ``audit`` (``firms``, ``notifications``): they record their
events through this registry, which ``audit`` fills when it starts (``AuditConfig.ready``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_WRITERS: dict[str, Callable[..., Any]] = {}


def register(*, record: Callable[..., Any], record_for_person: Callable[..., Any]) -> None:
    _WRITERS.update(record=record, record_for_person=record_for_person)


def _writer(name: str) -> Callable[..., Any]:
    if name not in _WRITERS:
        raise RuntimeError("The audit trail is not installed (balie.audit in INSTALLED_APPS).")
    return _WRITERS[name]


def record(action: str, **kwargs: Any) -> Any:
    """``balie.audit.services.record`` (the same arguments)."""
    return _writer("record")(action, **kwargs)


def record_for_person(action: str, **kwargs: Any) -> Any:
    """``balie.audit.people.record_for_person`` (the same arguments)."""
    return _writer("record_for_person")(action, **kwargs)
