"""Reads for the firm's back office: the two-step verification of the people in an environment."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from allauth.mfa.models import Authenticator
from django.db.models import Q
from django.utils import timezone

from balie.firms.models import StaffMember
from balie.twostep.models import FACTOR_ORDER, Factor, FactorLock, FactorReset, PinLetter, SmsFactor
from balie.twostep.selectors import SIGN_IN_FACTORS
from balie.twostep.services import mask_number

AUTHENTICATOR_FACTORS = {
    Authenticator.Type.WEBAUTHN: Factor.WEBAUTHN,
    Authenticator.Type.TOTP: Factor.TOTP,
    Authenticator.Type.RECOVERY_CODES: Factor.RECOVERY,
}


@dataclass
class TwoStepStatus:
    """What the firm's staff see of one person's two-step verification."""

    factors: list[Factor] = field(default_factory=list)
    sms_number: str = ""  # masked: the last two digits
    locks: list[FactorLock] = field(default_factory=list)  # locked now
    pending_letter: PinLetter | None = None  # this firm's letter not yet used
    active_letter: PinLetter | None = None  # this firm's letter whose PIN was activated
    last_reset: FactorReset | None = None  # by this firm
    is_staff: bool = False  # works at a firm: manages their own factors, never reset by a client's firm

    @property
    def has_sign_in_factor(self) -> bool:
        return bool(SIGN_IN_FACTORS & set(self.factors))


def twostep_status_for_users(*, user_ids, firm) -> dict[int, TwoStepStatus]:
    """Per person: factors (as ``enrolled_factors``), locks (as ``locks_for``), PIN letters and
    the last reset, in one query per kind whatever the number of people.

    Factors and locks belong to the account, whichever firm the person deals with; letters and
    resets are shown only when they are this firm's (a reset note is another firm's business).
    """
    ids = list(user_ids)
    statuses = {user_id: TwoStepStatus() for user_id in ids}
    if not ids:
        return statuses
    now = timezone.now()
    found: dict[int, set[Factor]] = defaultdict(set)

    for user_id, kind in Authenticator.objects.filter(user_id__in=ids).values_list("user_id", "type").distinct():
        if kind in AUTHENTICATOR_FACTORS:
            found[user_id].add(AUTHENTICATOR_FACTORS[kind])
    for user_id, number in SmsFactor.objects.filter(user_id__in=ids).values_list("user_id", "phone_number"):
        found[user_id].add(Factor.SMS)
        statuses[user_id].sms_number = mask_number(number)

    letters = (
        PinLetter.objects.filter(user_id__in=ids, revoked_at__isnull=True)
        .filter(Q(activated_at__isnull=False) | Q(expires_at__gt=now))
        .select_related("created_by")
        .order_by("-created_at")
    )
    for letter in letters:
        status = statuses[letter.user_id]
        if letter.activated_at is not None:
            found[letter.user_id].add(Factor.PIN)  # as ``active_pin_letter``: any firm's activated PIN
            if letter.firm_id == firm.pk and status.active_letter is None:
                status.active_letter = letter
        elif letter.firm_id == firm.pk and status.pending_letter is None:
            status.pending_letter = letter

    locks = FactorLock.objects.filter(user_id__in=ids, locked_until__gt=now)
    for lock in sorted(locks, key=lambda lock: _factor_rank(lock.factor)):
        statuses[lock.user_id].locks.append(lock)

    resets = FactorReset.objects.filter(user_id__in=ids, firm=firm).select_related("reset_by").order_by("-created_at")
    for reset in resets:
        if statuses[reset.user_id].last_reset is None:
            statuses[reset.user_id].last_reset = reset

    for user_id in StaffMember.objects.filter(user_id__in=ids).values_list("user_id", flat=True):
        statuses[user_id].is_staff = True

    for user_id, status in statuses.items():
        status.factors = [factor for factor in FACTOR_ORDER if factor in found[user_id]]
    return statuses


def _factor_rank(value: str) -> int:
    order = [factor.value for factor in FACTOR_ORDER]
    return order.index(value) if value in order else len(order)
