""" "Dit was ik niet": a person reports a sign-in they do not recognise. Every session of theirs
ends (whoever holds one is signed out), the firm hears of it, and the audit trail records it."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_noop

from balie.accounts.hooks import environments
from balie.accounts.services import user_end_sessions
from balie.audit import hooks as audit_hooks
from balie.audit.services import record
from balie.firms.models import Firm, StaffMember
from balie.notifications.models import EventKind
from balie.notifications.services import notify


def _firm_people(client: Any) -> list:
    """Who at the firm hears of it: the environment's relationship managers, else the firm's admins."""
    people = [staff.user for staff in client.relationship_managers.select_related("user")]
    if not people:
        admins = StaffMember.objects.filter(firm_id=client.firm_id, role=StaffMember.Role.ADMIN)
        people = [staff.user for staff in admins.select_related("user")]
    return people


@transaction.atomic
def user_report_not_me(*, user: Any, signin: Any = None) -> int:
    """Ends every session of ``user`` (this one too), tells each of their firms (the people of
    their first environment there; for staff, the firm's other administrators) and records
    ``auth.reported_not_me`` in each firm's chain. ``signin`` is the reported event (an
    ``AuditEvent`` of the person's own), or None. Returns the number of sessions ended."""
    ended = user_end_sessions(user=user)
    first_of_firm: dict[int, Any] = {}
    for membership in environments().memberships_of(user=user):
        first_of_firm.setdefault(membership.client.firm_id, membership.client)
    for client in first_of_firm.values():
        notify(
            users=_firm_people(client),
            client=client,
            kind=EventKind.DETAILS,
            title=gettext_noop("%(name)s reports a sign-in that was not them"),
            params={"name": str(user)},
            link=reverse("clients:staff_detail", kwargs={"client": client.public_id}),
            urgent=True,
        )
    staff = StaffMember.objects.filter(user=user).select_related("firm").first()
    if staff is not None:  # someone of the firm itself: its other administrators hear of it
        admins = StaffMember.objects.filter(firm_id=staff.firm_id, role=StaffMember.Role.ADMIN).exclude(user=user)
        notify(
            users=[admin.user for admin in admins.select_related("user")],
            client=None,
            firm=staff.firm,
            kind=EventKind.DETAILS,
            title=gettext_noop("%(name)s reports a sign-in that was not them"),
            params={"name": str(user)},
            link=reverse("audit_staff:log") + f"?person={user.public_id}",
            urgent=True,
        )
    details: dict[str, Any] = {"sessions_ended": ended}
    if signin is not None:
        details.update({"signin_at": signin.at.isoformat(), "signin_event": signin.seq})
    firm_ids = audit_hooks.firm_ids_of_user(user)
    firms = list(Firm.objects.filter(pk__in=firm_ids).order_by("pk")) if firm_ids else [None]
    for firm in firms:
        record("auth.reported_not_me", firm=firm, actor=user, obj=user, details=details)
    return ended
