"""What each role in a client environment may do (ORG-4): the one table, used by views, menus and tests.

- Beheerder (administrator): everything of the environment, including its data, contact persons,
  portal access and roles, and who at the firm opened its documents, conversations and data ("Wie
  heeft mijn gegevens bekeken"; in a personal environment that is its owner).
- Medewerker+ (employee+): sees the organisation, its contact persons and the history of changes;
  changes only their own contact details. (In messages, later: also the questions of colleagues.)
- Medewerker (employee): sees the organisation and its contact persons; changes only their own
  contact details.

Handling documents (approve, reject, sign) is not a role but the member's own flag
``may_handle_documents``. A role change takes effect on the next request: the membership is read
fresh on every request by ``client_required``.
"""

from __future__ import annotations

from enum import StrEnum
from functools import wraps

from django.core.exceptions import PermissionDenied

from balie.clients.models import Membership

Role = Membership.Role


class Action(StrEnum):
    VIEW_ORGANISATION = "view_organisation"
    CHANGE_ORGANISATION = "change_organisation"  # a change request, or a direct change (per policy)
    VIEW_HISTORY = "view_history"
    MANAGE_CONTACTS = "manage_contacts"  # add, edit, remove contacts; give and end access; set roles
    EDIT_OWN_CONTACT = "edit_own_contact"
    VIEW_VIEWERS = "view_viewers"  # who at the firm opened the environment's documents and data


ALLOWED: dict[str, frozenset[Action]] = {
    Role.ADMIN: frozenset(Action),
    Role.EMPLOYEE_PLUS: frozenset({Action.VIEW_ORGANISATION, Action.VIEW_HISTORY, Action.EDIT_OWN_CONTACT}),
    Role.EMPLOYEE: frozenset({Action.VIEW_ORGANISATION, Action.EDIT_OWN_CONTACT}),
}


def can(membership: Membership | None, action: Action | str) -> bool:
    return membership is not None and Action(action) in ALLOWED.get(membership.role, frozenset())


def allowed_actions(membership: Membership | None) -> frozenset[str]:
    """For templates: ``{% if "manage_contacts" in client_can %}``."""
    if membership is None:
        return frozenset()
    return frozenset(str(action) for action in ALLOWED.get(membership.role, frozenset()))


def require(membership: Membership | None, action: Action | str) -> None:
    if not can(membership, action):
        raise PermissionDenied


def role_required(action: Action):
    """For views behind ``client_required``: 403 unless the member's role allows ``action``."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            require(getattr(request, "membership", None), action)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
