"""Writes of firm settings and policies."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from balie.firms.models import Firm, StaffMember


def firm_twostep_policy_update(
    *,
    firm: Firm,
    actor,
    twostep_required_for_clients: bool,
    twostep_required_for_staff: bool,
    stepup_factors: list[str],
) -> Firm:
    """Saves the firm's two-step verification policy (FIRM-3).

    ``actor`` must be one of the firm's administrators; the caller checked this with
    ``firm_admin_required``, and it is checked again here so no other path skips it.
    """
    from balie.twostep.models import STEPUP_FACTORS, Factor
    from balie.twostep.selectors import SIGN_IN_FACTORS

    staff = getattr(actor, "staff_member", None)
    if staff is None or staff.firm_id != firm.pk or not staff.is_admin:
        raise ValidationError(_("Only the firm's administrators can change this."), code="forbidden")
    chosen = {Factor(value) for value in stepup_factors}
    if not chosen & SIGN_IN_FACTORS:
        raise ValidationError(_("Accept at least a passkey, the authenticator app or an SMS code."), code="weak")
    with transaction.atomic():
        firm.twostep_required_for_clients = twostep_required_for_clients
        firm.twostep_required_for_staff = twostep_required_for_staff
        firm.stepup_factors = [factor.value for factor in STEPUP_FACTORS if factor in chosen]
        firm.save(update_fields=["twostep_required_for_clients", "twostep_required_for_staff", "stepup_factors"])
    return firm


def staff_contactable_update(*, firm: Firm, actor, contactable: set[int]) -> int:
    """Which of the firm's staff clients may write to (MSG-1), besides their relationship managers:
    the staff members whose ids are in ``contactable``; everyone else of the firm is unticked.
    Only the firm's administrators may change this. Returns how many are contactable now."""
    staff = getattr(actor, "staff_member", None)
    if staff is None or staff.firm_id != firm.pk or not staff.is_admin:
        raise ValidationError(_("Only the firm's administrators can change this."), code="forbidden")
    with transaction.atomic():
        members = StaffMember.objects.filter(firm=firm)
        members.filter(pk__in=contactable, contactable=False).update(contactable=True)
        members.exclude(pk__in=contactable).filter(contactable=True).update(contactable=False)
        return members.filter(contactable=True).count()


def firm_tax_filing_update(*, firm: Firm, actor, uses_tax_filing: bool) -> Firm:
    """Whether the firm works with tax returns, and so whether its clients read the accountant's
    words (Accorderingen, aangifte, Digipoort) or "Acties". Only the firm's administrators."""
    staff = getattr(actor, "staff_member", None)
    if staff is None or staff.firm_id != firm.pk or not staff.is_admin:
        raise ValidationError(_("Only the firm's administrators can change this."), code="forbidden")
    if firm.uses_tax_filing != uses_tax_filing:
        firm.uses_tax_filing = uses_tax_filing
        firm.save(update_fields=["uses_tax_filing"])
    return firm
