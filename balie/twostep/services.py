"""Checking second factors: codes, locks, SMS sending, passkey assertions (ACC-4).

Every check counts consecutive failures per factor and account in the database (not in a cache
window): ten wrong codes lock that factor for fifteen minutes and the person is told by e-mail.
Call the ``verify_*`` functions outside a transaction that is rolled back on failure, or the
failure count is rolled back with it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from datetime import timedelta

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from balie.accounts import allauth_bridge
from balie.audit.people import record_for_person
from balie.audit.services import record
from balie.firms.models import Firm
from balie.twostep import crypto
from balie.twostep.models import STEPUP_FACTORS, Factor, FactorLock, OneTimeCode, SmsFactor, StepUpChallenge
from balie.twostep.selectors import SIGN_IN_FACTORS, active_pin_letter, firms_of_user

CODE_RE = re.compile(r"[\s\-]")


class FactorLocked(ValidationError):
    def __init__(self, until):
        self.until = until
        local = timezone.localtime(until)
        super().__init__(
            _("Too many wrong codes. This method is locked until %(time)s; try again then or use another method.")
            % {"time": formats.time_format(local, "H:i")},
            code="locked",
        )


class Throttled(ValidationError):
    def __init__(self, seconds: int, message: str):
        self.seconds = seconds
        super().__init__(message, code="throttled")


def normalise_code(code: str) -> str:
    return CODE_RE.sub("", code or "")


def code_hash(code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), normalise_code(code).encode(), hashlib.sha256).hexdigest()


def new_code() -> str:
    """Six digits from the operating system's cryptographic random source."""
    return f"{secrets.randbelow(10**6):06d}"


# -- Locks -----------------------------------------------------------------------------------------

# What a lock is called in the e-mail, for keys that are not a factor of their own.
LOCK_LABELS = {"verify_phone": gettext_lazy("mobile number verification")}


def raise_if_locked(*, user, factor: str) -> None:
    lock = FactorLock.objects.filter(user=user, factor=factor, locked_until__gt=timezone.now()).first()
    if lock is not None:
        raise FactorLocked(lock.locked_until)


def guarded_check(*, user, factor: str, check, wrong_message: str | None = None):
    """Runs ``check()`` -> (accepted, value) under the person's lock row for this factor.

    ``accepted`` is True (a right code: the count of wrong ones starts again), False (a wrong
    code: counted) or None (no code was checked, e.g. it had expired: nothing changes).

    The lock row is locked first, so codes sent at the same moment are checked one after another
    and each failure is counted before the next check: ten wrong codes in a row lock the factor
    for fifteen minutes, however they arrive. The block is durable: called inside a transaction
    it refuses to run, because a rollback there would also roll back the failure count.
    """
    locked_until = None
    with transaction.atomic(durable=True):
        FactorLock.objects.get_or_create(user=user, factor=factor)
        lock = FactorLock.objects.select_for_update().get(user=user, factor=factor)
        now = timezone.now()
        if lock.is_locked:
            raise FactorLocked(lock.locked_until)
        accepted, value = check()
        if accepted is None:
            return value
        if accepted:
            if lock.failures:
                lock.failures = 0
                lock.updated_at = now
                lock.save(update_fields=["failures", "updated_at"])
            return value
        lock.failures += 1
        lock.updated_at = now
        if lock.failures >= settings.BALIE_TWOSTEP_MAX_FAILURES:
            lock.failures = 0
            lock.locked_until = locked_until = now + timedelta(seconds=settings.BALIE_TWOSTEP_LOCK_SECONDS)
            _send_notice(
                user=user,
                subject=gettext_lazy("A sign-in method has been locked"),
                lines=[
                    _lazy_format(
                        gettext_noop(
                            "Someone entered ten wrong codes for your %(factor)s. It is locked until %(time)s."
                        ),
                        factor=LOCK_LABELS.get(factor) or Factor(factor).label,
                        time=locked_until,
                    ),
                    gettext_lazy("Was this not you? Change your password and contact your firm: someone may know it."),
                ],
            )
        lock.save()
        # At sign-in and at a step-up confirmation alike: every wrong code comes through here.
        record_for_person(
            "auth.twostep_failed",
            person=user,
            actor=user,
            details={"factor": factor, "locked": locked_until is not None},
        )
    if locked_until is not None:
        raise FactorLocked(locked_until)
    raise ValidationError(wrong_message or _("That code is not correct."), code="wrong")


# -- Factors ---------------------------------------------------------------------------------------


def _totp_counter(secret: str, code: str) -> int | None:
    for counter in allauth_bridge.totp_windows_now():
        if hmac.compare_digest(allauth_bridge.totp_code(secret, counter), code):
            return counter
    return None


def totp_matches(secret: str, code: str) -> bool:
    code = normalise_code(code)
    return code.isdigit() and _totp_counter(secret, code) is not None


def verify_totp(*, user, code: str) -> Authenticator:
    """A code of the authenticator app, each 30-second window at most once (across processes: the
    last accepted window is kept on the locked authenticator row)."""
    code = normalise_code(code)
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        raise ValidationError(_("No authenticator app is set up."), code="not_enrolled")

    def check():
        authenticator = (
            Authenticator.objects.select_for_update().filter(user=user, type=Authenticator.Type.TOTP).first()
        )
        if authenticator is None:
            return False, None
        counter = _totp_counter(crypto.decrypt(authenticator.data["secret"]), code) if code.isdigit() else None
        if counter is None or counter <= authenticator.data.get("last_counter", -1):
            return False, None
        authenticator.data["last_counter"] = counter
        authenticator.last_used_at = timezone.now()
        authenticator.save(update_fields=["data", "last_used_at"])
        return True, authenticator

    return guarded_check(user=user, factor=Factor.TOTP, check=check)


def verify_recovery_code(*, user, code: str) -> Authenticator:
    """A recovery code, each once: the row is locked while it is checked and marked."""
    code = normalise_code(code)
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).first()
    if authenticator is None:
        raise ValidationError(_("You have no recovery codes."), code="not_enrolled")

    def check():
        if not allauth_bridge.recovery_code_use(authenticator, code):  # locks the row itself
            return False, None
        authenticator.record_usage()
        return True, authenticator

    return guarded_check(
        user=user,
        factor=Factor.RECOVERY,
        check=check,
        wrong_message=_("That recovery code is not correct or already used."),
    )


def verify_pin(*, user, pin: str, firm=None) -> None:
    """The PIN of the activated letter (of this firm), where the firm accepts PIN confirmations."""
    letter = active_pin_letter(user=user, firm=firm)
    if letter is None:
        raise ValidationError(_("You have no activated PIN."), code="not_enrolled")
    guarded_check(
        user=user,
        factor=Factor.PIN,
        check=lambda: (check_password(normalise_code(pin), letter.pin_hash), None),
        wrong_message=_("That PIN is not correct."),
    )


def verify_password(*, user, password: str) -> None:
    """The password as the confirmation of someone without a second factor, counted like a code."""
    guarded_check(
        user=user,
        factor=Factor.PASSWORD,
        check=lambda: (check_password(password, user.password), None),
        wrong_message=_("That password is not correct."),
    )


def sms_send_code(*, user, purpose: str, challenge: StepUpChallenge | None = None, phone_number: str = "") -> str:
    """Sends a new six-digit code by SMS and returns the number it went to (masked for display).

    Codes for signing in and confirming go only to the verified number of the SMS factor; a number
    being verified gets its own code. Per person at most one SMS per
    BALIE_SMS_CODE_INTERVAL_SECONDS and BALIE_SMS_CODES_PER_HOUR within an hour.
    """
    from balie.notifications.outbox import outbox_add_sms

    now = timezone.now()
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()  # one send at a time
        if purpose != OneTimeCode.Purpose.VERIFY_PHONE:
            factor = SmsFactor.objects.filter(user=user).first()
            if factor is None:
                raise ValidationError(_("No verified mobile number is set up for SMS codes."), code="not_enrolled")
            phone_number = factor.phone_number
        recent = list(
            OneTimeCode.objects.filter(user=user, created_at__gte=now - timedelta(hours=1))
            .order_by("created_at")
            .values_list("created_at", flat=True)
        )
        if recent:
            wait = settings.BALIE_SMS_CODE_INTERVAL_SECONDS - (now - recent[-1]).total_seconds()
            if wait > 0:
                raise Throttled(
                    int(wait) + 1,
                    _("A code was sent just now. You can ask for a new one in %(seconds)s seconds.")
                    % {"seconds": int(wait) + 1},
                )
        if len(recent) >= settings.BALIE_SMS_CODES_PER_HOUR:
            wait = 3600 - (now - recent[-settings.BALIE_SMS_CODES_PER_HOUR]).total_seconds()
            minutes = max(1, int(wait // 60) + 1)
            raise Throttled(
                int(wait) + 1,
                _(
                    "You have asked for %(count)s codes in the last hour, the most we send. "
                    "You can ask for a new one in %(minutes)s minutes, or use another method."
                )
                % {"count": settings.BALIE_SMS_CODES_PER_HOUR, "minutes": minutes},
            )
        # A new code replaces the previous one for the same purpose.
        OneTimeCode.objects.filter(user=user, purpose=purpose, challenge=challenge, used_at__isnull=True).update(
            expires_at=now
        )
        code = new_code()
        expires_at = now + timedelta(seconds=settings.BALIE_SMS_CODE_SECONDS)
        OneTimeCode.objects.create(
            user=user,
            purpose=purpose,
            challenge=challenge,
            phone_number=phone_number,
            code_hash=code_hash(code),
            expires_at=expires_at,
        )
        with translation.override(user.language or settings.LANGUAGE_CODE):
            if challenge is not None:
                from balie.twostep.stepup import action_label

                text = _("Code to confirm %(action)s: %(code)s. Valid 5 minutes. Never share this code.") % {
                    "action": action_label(challenge.action),
                    "code": code,
                }
            elif purpose == OneTimeCode.Purpose.VERIFY_PHONE:
                text = _("Code to verify your mobile number: %(code)s. Valid 5 minutes.") % {"code": code}
            else:
                text = _("Your sign-in code: %(code)s. Valid 5 minutes. Never share this code.") % {"code": code}
        firms = firms_of_user(user=user)
        # An SMS arriving after its code expired is useless: the outbox drops it then.
        outbox_add_sms(to=phone_number, text=text, firm=firms[0] if firms else None, expires_at=expires_at)
    return mask_number(phone_number)


def mask_number(number: str) -> str:
    return "•" * max(0, len(number) - 2) + number[-2:]


# Country calling codes of one and two digits (ITU-T E.164); all others have three.
_SHORT_COUNTRY_CODES = frozenset(
    {"1", "7", "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47"}
    | {"48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65", "66"}
    | {"81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98"}
)


def phone_masked(number: str) -> str:
    """A mobile number as its owner recognises it, all but the last two digits hidden:
    +31612345678 as 06-…78, +32470123456 as +32 …56."""
    if number.startswith("+316"):
        return f"06-…{number[-2:]}"
    digits = number.removeprefix("+")
    if not number.startswith("+") or not digits.isdigit():
        return f"…{number[-2:]}"
    country = next(
        (digits[:size] for size in (1, 2) if digits[:size] in _SHORT_COUNTRY_CODES),
        digits[:3],
    )
    return f"+{country} …{number[-2:]}"


def sms_send_login_code(*, user, again: bool = False) -> str:
    """The sign-in code by SMS; returns where it went, masked (06-…78).

    On arrival at the second step (``again`` false) nothing new is sent while a code sent within
    BALIE_SMS_CODE_INTERVAL_SECONDS is still unused: a reload says where that one went. ``again``
    ("Send a new code") always asks for a new one, within the limits of ``sms_send_code``.
    """

    def just_sent() -> OneTimeCode | None:
        now = timezone.now()
        return (
            OneTimeCode.objects.filter(
                user=user,
                purpose=OneTimeCode.Purpose.LOGIN,
                used_at__isnull=True,
                expires_at__gt=now,
                created_at__gte=now - timedelta(seconds=settings.BALIE_SMS_CODE_INTERVAL_SECONDS),
            )
            .order_by("-created_at", "-id")
            .first()
        )

    sent = None if again else just_sent()
    if sent is None:
        try:
            sms_send_code(user=user, purpose=OneTimeCode.Purpose.LOGIN)
        except Throttled:
            # Two loads of the page at once: the other one sent it.
            if again or (sent := just_sent()) is None:
                raise
        else:
            sent = OneTimeCode.objects.filter(user=user, purpose=OneTimeCode.Purpose.LOGIN).order_by("-id").first()
    assert sent is not None  # sms_send_code has just stored one
    return phone_masked(sent.phone_number)


def verify_sms(*, user, code: str, purpose: str, challenge: StepUpChallenge | None = None) -> OneTimeCode:
    """The latest SMS code for this purpose (and challenge): valid 5 minutes, at most 3 tries."""
    code = normalise_code(code)
    problem = []

    def check():
        row = (
            OneTimeCode.objects.select_for_update()
            .filter(user=user, purpose=purpose, challenge=challenge, used_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        if row is None or row.expires_at <= timezone.now():
            problem.append("expired")
            return None, None  # not a guess: nothing to count, nothing reset
        if row.attempts >= settings.BALIE_SMS_CODE_ATTEMPTS:
            problem.append("attempts")
            return None, None
        row.attempts += 1
        accepted = hmac.compare_digest(row.code_hash, code_hash(code))
        if accepted:
            row.used_at = timezone.now()
        row.save(update_fields=["attempts", "used_at"])
        return accepted, row

    # Codes that verify a new number are counted apart from the SMS sign-in factor.
    lock_key = "verify_phone" if purpose == OneTimeCode.Purpose.VERIFY_PHONE else Factor.SMS
    row = guarded_check(user=user, factor=lock_key, check=check)
    if problem == ["expired"]:
        raise ValidationError(_("This code has expired or was replaced. Ask for a new code."), code="expired")
    if problem == ["attempts"]:
        raise ValidationError(_("This code was tried three times. Ask for a new code."), code="attempts")
    if purpose != OneTimeCode.Purpose.VERIFY_PHONE:
        SmsFactor.objects.filter(user=user).update(last_used_at=timezone.now())
    return row


# -- Passkeys --------------------------------------------------------------------------------------


def _webauthn_state_key(scope: str) -> str:
    return f"twostep.webauthn.{scope}"


def webauthn_begin(*, request, user, scope: str) -> dict:
    """Options for navigator.credentials.get(), with the challenge kept in the session under this
    scope (one sign-in, or one step-up challenge)."""
    options, state = allauth_bridge.passkey_authentication_begin(user)
    request.session[_webauthn_state_key(scope)] = state
    return options


def _passkey_failed(user) -> None:
    """A passkey that did not verify is a failed second step too (not counted: a passkey cannot be guessed)."""
    record_for_person(
        "auth.twostep_failed", person=user, actor=user, details={"factor": Factor.WEBAUTHN.value, "locked": False}
    )


def verify_webauthn(*, request, user, scope: str, credential: str | dict) -> Authenticator:
    state = request.session.pop(_webauthn_state_key(scope), None)
    try:
        response = json.loads(credential) if isinstance(credential, str) else credential
        if not state or not isinstance(response, dict):
            raise ValueError("no state")
        authenticator = allauth_bridge.passkey_authentication_complete(user=user, state=state, response=response)
    except (ValueError, TypeError, KeyError) as error:
        _passkey_failed(user)
        raise ValidationError(_("The passkey could not be verified. Please try again."), code="wrong") from error
    if authenticator is None:
        _passkey_failed(user)
        raise ValidationError(_("The passkey could not be verified. Please try again."), code="wrong")
    authenticator.record_usage()
    return authenticator


# -- Notices ----------------------------------------------------------------------------------------


def _lazy_format(message: str, **params):
    """A message translated when the e-mail is rendered, in the recipient's language."""
    from django.utils.functional import lazy

    def render():
        values = {
            key: (
                formats.date_format(timezone.localtime(value), "DATETIME_FORMAT") if hasattr(value, "tzinfo") else value
            )
            for key, value in params.items()
        }
        return _(message) % {key: str(value) for key, value in values.items()}

    return lazy(render, str)()


def _send_notice(*, user, subject, lines) -> None:
    """A security e-mail to the person, through the outbox, in their language."""
    from balie.notifications.email import absolute_url, send_templated_email

    firms = firms_of_user(user=user)
    send_templated_email(
        to=user.email,
        template="security_notice",
        language=user.language or settings.LANGUAGE_CODE,
        firm=firms[0] if firms else None,
        context={
            "user": user,
            "subject": subject,
            "lines": lines,
            "link": absolute_url(reverse("twostep:overview")),
        },
    )


def send_notice(*, user, subject, lines) -> None:
    _send_notice(user=user, subject=subject, lines=lines)


lazy_format = _lazy_format


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
    staff = getattr(actor, "staff_member", None)
    if staff is None or staff.firm_id != firm.pk or not staff.is_admin:
        raise ValidationError(_("Only the firm's administrators can change this."), code="forbidden")
    chosen = {Factor(value) for value in stepup_factors}
    if not chosen & SIGN_IN_FACTORS:
        raise ValidationError(_("Accept at least a passkey, the authenticator app or an SMS code."), code="weak")
    fields = ["twostep_required_for_clients", "twostep_required_for_staff", "stepup_factors"]
    before = {name: getattr(firm, name) for name in fields}
    with transaction.atomic():
        firm.twostep_required_for_clients = twostep_required_for_clients
        firm.twostep_required_for_staff = twostep_required_for_staff
        firm.stepup_factors = [factor.value for factor in STEPUP_FACTORS if factor in chosen]
        firm.save(update_fields=fields)
        changes = {name: [old, getattr(firm, name)] for name, old in before.items() if old != getattr(firm, name)}
        if changes:
            record("settings.changed", firm=firm, actor=actor, details=changes)
    return firm
