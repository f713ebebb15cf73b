"""Which second factors a person has, which the firms require and accept."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.utils import timezone

from balie.twostep.hooks import members
from balie.twostep.models import (
    DEFAULT_STEPUP_FACTORS,
    FACTOR_ORDER,
    Factor,
    FactorLock,
    PinLetter,
    SmsFactor,
)

# Factors that count as "two-step verification is set up" (a PIN or recovery codes alone do not).
SIGN_IN_FACTORS = {Factor.WEBAUTHN, Factor.TOTP, Factor.SMS}


def enrolled_factors(*, user, firm=None) -> list[Factor]:
    """The person's factors, passkey and app first (a PIN counts only with its firm's letter)."""
    found: set[Factor] = set()
    types = set(Authenticator.objects.filter(user=user).values_list("type", flat=True))
    if Authenticator.Type.WEBAUTHN in types:
        found.add(Factor.WEBAUTHN)
    if Authenticator.Type.TOTP in types:
        found.add(Factor.TOTP)
    if Authenticator.Type.RECOVERY_CODES in types:
        found.add(Factor.RECOVERY)
    if SmsFactor.objects.filter(user=user).exists():
        found.add(Factor.SMS)
    if firm is not None and active_pin_letter(user=user, firm=firm) is not None:
        found.add(Factor.PIN)
    return [factor for factor in FACTOR_ORDER if factor in found]


def has_sign_in_factor(*, user) -> bool:
    return (
        Authenticator.objects.filter(
            user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
        ).exists()
        or SmsFactor.objects.filter(user=user).exists()
    )


def active_pin_letter(*, user, firm=None) -> PinLetter | None:
    """The activated PIN that confirms actions (a PIN letter not yet used does not count); with a
    firm, only that firm's letter: a PIN from one firm never confirms at another."""
    letters = PinLetter.objects.filter(user=user, activated_at__isnull=False, revoked_at__isnull=True)
    if firm is not None:
        letters = letters.filter(firm=firm)
    return letters.order_by("-activated_at").first()


def pending_pin_letter(*, user) -> PinLetter | None:
    """The newest letter that can still be activated."""
    return (
        PinLetter.objects.filter(
            user=user, activated_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
        .order_by("-created_at")
        .first()
    )


def firms_of_user(*, user) -> list:
    """Every firm the person deals with: as staff, or through an environment."""
    from balie.firms.models import Firm

    firm_ids = set(members().client_firm_ids(user=user))
    staff = getattr(user, "staff_member", None) if user.is_authenticated else None
    firms = list(Firm.objects.filter(pk__in=firm_ids))
    if staff is not None and staff.firm_id not in firm_ids:
        firms.append(staff.firm)
    return firms


def twostep_required(*, user) -> bool:
    """Firm policy (FIRM-3): required for its clients and/or its staff."""
    from balie.firms.models import Firm, StaffMember

    if StaffMember.objects.filter(user=user, firm__twostep_required_for_staff=True).exists():
        return True
    return Firm.objects.filter(pk__in=members().client_firm_ids(user=user), twostep_required_for_clients=True).exists()


def may_remove_factor(*, user, factor: Factor | None = None, authenticator_id: int | None = None) -> bool:
    """Removing the last sign-in factor is refused while a firm requires two-step verification."""
    if not twostep_required(user=user):
        return True
    remaining = SIGN_IN_FACTORS & set(enrolled_factors(user=user))
    if factor == Factor.WEBAUTHN and authenticator_id is not None:
        others = Authenticator.objects.filter(user=user, type=Authenticator.Type.WEBAUTHN).exclude(pk=authenticator_id)
        if others.exists():
            return True
    if factor is not None:
        remaining.discard(factor)
    return bool(remaining)


def accepted_factors(*, user, firm=None) -> list[Factor]:
    """Which factors confirm an action: the firm's policy for an action in one of its environments,
    otherwise what any of the person's firms accepts."""
    if firm is not None:
        allowed = set(firm.stepup_factors or DEFAULT_STEPUP_FACTORS)
    else:
        allowed = set()
        for each in firms_of_user(user=user):
            allowed |= set(each.stepup_factors or DEFAULT_STEPUP_FACTORS)
        allowed = allowed or set(DEFAULT_STEPUP_FACTORS)
    return [factor for factor in FACTOR_ORDER if factor.value in allowed]


def locks_for(*, user) -> dict[str, FactorLock]:
    """The factors that are locked now, by factor."""
    now = timezone.now()
    return {lock.factor: lock for lock in FactorLock.objects.filter(user=user, locked_until__gt=now)}
