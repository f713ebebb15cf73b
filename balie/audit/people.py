"""Events about a person rather than one environment (their sign-in address, sessions, account):
written to the chain of every firm the person deals with, as sign-ins are (``hooks``)."""

from __future__ import annotations

from typing import Any

from balie.audit import hooks
from balie.audit.services import record


def firms_of(user) -> list:
    """The firms of ``user`` (staff or client), by id; ``[None]`` (the operator's chain) for none."""
    from balie.firms.models import Firm

    ids = hooks.firm_ids_of_user(user)
    return list(Firm.objects.filter(pk__in=ids).order_by("pk")) if ids else [None]


def record_for_person(
    action: str, *, person, actor: Any = None, obj: Any = None, details: dict[str, Any] | None = None, **kwargs
) -> None:
    """Records ``action`` about ``person`` once in each of their firms' chains (``services.record``)."""
    for firm in firms_of(person):
        record(action, firm=firm, actor=actor, obj=obj if obj is not None else person, details=details, **kwargs)
