"""Writes of firm settings and policies."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from balie.core import trail
from balie.firms.models import Firm, StaffMember


def staff_contactable_update(*, firm: Firm, actor, contactable: set[int]) -> int:
    """Which of the firm's staff clients may write to (MSG-1), besides their relationship managers:
    the staff members whose ids are in ``contactable``; everyone else of the firm is unticked.
    Only the firm's administrators may change this. Returns how many are contactable now."""
    staff = getattr(actor, "staff_member", None)
    if staff is None or staff.firm_id != firm.pk or not staff.is_admin:
        raise ValidationError(_("Only the firm's administrators can change this."), code="forbidden")
    with transaction.atomic():
        members = StaffMember.objects.filter(firm=firm)
        on = list(members.filter(pk__in=contactable, contactable=False).values_list("pk", flat=True))
        off = list(members.exclude(pk__in=contactable).filter(contactable=True).values_list("pk", flat=True))
        members.filter(pk__in=on).update(contactable=True)
        members.filter(pk__in=off).update(contactable=False)
        if on or off:
            trail.record(
                "settings.changed",
                firm=firm,
                actor=actor,
                details={"setting": "contactable_staff", "added": len(on), "removed": len(off)},
            )
        return members.filter(contactable=True).count()


def firm_tax_filing_update(*, firm: Firm, actor, uses_tax_filing: bool) -> Firm:
    """Whether the firm works with tax returns, and so whether its clients read the accountant's
    words (Accorderingen, aangifte, Digipoort) or "Acties". Only the firm's administrators."""
    staff = getattr(actor, "staff_member", None)
    if staff is None or staff.firm_id != firm.pk or not staff.is_admin:
        raise ValidationError(_("Only the firm's administrators can change this."), code="forbidden")
    if firm.uses_tax_filing != uses_tax_filing:
        with transaction.atomic():
            firm.uses_tax_filing = uses_tax_filing
            firm.save(update_fields=["uses_tax_filing"])
            trail.record(
                "settings.changed",
                firm=firm,
                actor=actor,
                details={"uses_tax_filing": [not uses_tax_filing, uses_tax_filing]},
            )
    return firm
