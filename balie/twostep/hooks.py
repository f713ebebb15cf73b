"""What twostep asks of clients, which sits above it and answers from its ``AppConfig.ready()``.

A firm's policy can require two-step verification of its clients: twostep asks which firms a person
is a client of. The firm's staff print PIN letters for, and reset the second factors of, the people
of an environment: twostep asks for the environment and the person's membership, within the
staff member's reach. clients plugs the answers in with ``register_members``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Members:
    """The answers of the app that owns environments and memberships (clients)."""

    client_firm_ids: Callable  # (*, user) -> the ids of the firms of the environments the person
    #   has current access to (a queryset of ids, so it can be used in another query)
    client_for_staff: Callable  # (*, staff, client_public_id) -> the environment; 404 outside the staff's firm
    member_for_staff: Callable  # (*, client, person_public_id) -> the person's current membership of
    #   that environment; 404 for anyone else, and for people who work at a firm


_MEMBERS: list[Members] = []


def register_members(**answers: Callable) -> None:
    """Plugs the members in (once, from the owning app's ``ready``; again replaces them)."""
    _MEMBERS[:] = [Members(**answers)]


def members() -> Members:
    if not _MEMBERS:
        raise LookupError("No members are registered (see twostep.hooks.register_members).")
    return _MEMBERS[0]
