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
    """Records ``action`` about ``person`` once in each of their firms' chains (``services.record``).

    When the actor is staff of a firm, only that firm's chain learns who it was and from where; the
    person's other firms get the event without its actor and origin, as done by another firm
    (``record(anonymous=True)``). The person themselves, a client or the system: the same event
    everywhere."""
    own_firm_id = None if actor is not None and actor.pk == person.pk else _staff_firm_id(actor)
    for firm in firms_of(person):
        anonymous = own_firm_id is not None and (firm is None or firm.pk != own_firm_id)
        record(
            action,
            firm=firm,
            actor=actor,
            obj=obj if obj is not None else person,
            details=details,
            anonymous=anonymous,
            **kwargs,
        )


def _staff_firm_id(actor: Any) -> int | None:
    """The firm ``actor`` works at, or None (no actor, not a person, not staff)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    staff = getattr(actor, "staff_member", None)  # cached on the user after the first look
    return None if staff is None else staff.firm_id
