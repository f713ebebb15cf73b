"""Reads of a firm's own data."""

from __future__ import annotations

from django.db.models import QuerySet

from balie.firms.models import Firm, StaffMember


def staff_list_for_firm(*, firm: Firm) -> QuerySet[StaffMember]:
    """The firm's staff, with their logins, by name."""
    return (
        StaffMember.objects.filter(firm=firm)
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__email")
    )
