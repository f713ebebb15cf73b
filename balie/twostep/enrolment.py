"""Setting up, removing and resetting second factors (ACC-4, ACC-5)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from balie.accounts import allauth_bridge
from balie.audit.people import record_for_person
from balie.audit.services import record
from balie.twostep import crypto, services
from balie.twostep.models import Factor, FactorLock, FactorReset, OneTimeCode, PinLetter, SmsFactor
from balie.twostep.selectors import SIGN_IN_FACTORS, enrolled_factors, may_remove_factor


def _lock_person(user) -> None:
    """Changes to one person's methods happen one at a time (inside the caller's transaction):
    two removals at once cannot both pass the "not the last one" check."""
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()


def totp_enrol(*, user, secret: str, code: str) -> Authenticator:
    """Activates the authenticator app once the person has typed a first code from it."""
    code = services.normalise_code(code)
    counter = services._totp_counter(secret, code) if code.isdigit() else None
    if counter is None:  # the view checks this before the confirmation too
        raise ValidationError(
            _("That code does not match. Check the time on your phone and enter the current code."), code="wrong"
        )
    with transaction.atomic():
        _lock_person(user)
        if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            raise ValidationError(_("An authenticator app is already set up."), code="exists")
        authenticator = Authenticator.objects.create(
            user=user,
            type=Authenticator.Type.TOTP,
            data={"secret": crypto.encrypt(secret), "last_counter": counter},
        )
        _added(user=user, factor=Factor.TOTP)
    return authenticator


def sms_enrol(*, user, phone_number: str, code: str) -> SmsFactor:
    """Verifies the number with the code sent to it and makes it the number for SMS codes."""
    row = services.verify_sms(user=user, code=code, purpose=OneTimeCode.Purpose.VERIFY_PHONE)
    if row.phone_number != phone_number:
        raise ValidationError(_("The code was sent to another number. Ask for a new code."), code="other_number")
    return _set_verified_number(user=user, phone_number=phone_number, verified_with="sms")


def _set_verified_number(*, user, phone_number: str, verified_with: str) -> SmsFactor:
    with transaction.atomic():
        _lock_person(user)
        factor, created = SmsFactor.objects.update_or_create(
            user=user, defaults={"phone_number": phone_number, "verified_with": verified_with}
        )
        if user.mobile_number != phone_number:
            user.mobile_number = phone_number
            user.save(update_fields=["mobile_number"])
        if created:
            _added(user=user, factor=Factor.SMS)
        else:
            record_for_person(
                "twostep.factor_changed",
                person=user,
                actor=user,
                details={"factor": Factor.SMS.value, "via": verified_with},
            )
    return factor


def passkey_begin(*, user) -> dict:
    """Options for navigator.credentials.create(): a passkey that can also sign in by itself."""
    return allauth_bridge.passkey_registration_begin(user)


def passkey_add(*, user, name: str, credential) -> Authenticator:
    try:
        allauth_bridge.passkey_registration_complete(credential)
    except ValidationError as error:
        raise ValidationError(_("The passkey could not be registered. Please try again."), code="wrong") from error
    with transaction.atomic():
        _lock_person(user)
        authenticator = allauth_bridge.passkey_store(user=user, name=name, credential=credential)
        _added(user=user, factor=Factor.WEBAUTHN)
    return authenticator


def recovery_codes_ensure(*, user) -> Authenticator:
    return allauth_bridge.recovery_codes_activate(user)


@transaction.atomic
def recovery_codes_regenerate(*, user) -> Authenticator:
    """A new set; the old codes stop working at once."""
    _lock_person(user)
    Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).delete()
    authenticator = allauth_bridge.recovery_codes_activate(user)
    services.send_notice(
        user=user,
        subject=gettext_lazy("New recovery codes"),
        lines=[gettext_lazy("New recovery codes were made for your account. The old ones no longer work.")],
    )
    record_for_person("twostep.recovery_renewed", person=user, actor=user)
    return authenticator


def recovery_codes_unviewed(*, user) -> list[str] | None:
    """The codes, once: the first time after they were made. Afterwards only their number."""
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).first()
    if authenticator is None:
        return None
    if allauth_bridge.recovery_codes_viewed(authenticator):
        return None
    codes = allauth_bridge.recovery_codes_unused(authenticator)
    allauth_bridge.recovery_codes_mark_viewed(authenticator)
    return codes


def recovery_codes_left(*, user) -> int:
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).first()
    return len(allauth_bridge.recovery_codes_unused(authenticator)) if authenticator else 0


def _added(*, user, factor: Factor) -> None:
    recovery_codes_ensure(user=user)
    services.send_notice(
        user=user,
        subject=gettext_lazy("Two-step verification changed"),
        lines=[
            services.lazy_format(
                gettext_noop("A sign-in method was added to your account: %(factor)s."), factor=factor.label
            )
        ],
    )
    record_for_person("twostep.factor_added", person=user, actor=user, details={"factor": factor.value})


def factor_remove(*, user, factor: Factor, authenticator_id: int | None = None) -> None:
    """Removes one factor (a passkey by id). The last one is refused while a firm requires one."""
    with transaction.atomic():
        _lock_person(user)
        if not may_remove_factor(user=user, factor=factor, authenticator_id=authenticator_id):
            raise ValidationError(
                _("Your firm requires two-step verification, so you cannot remove your last method."), code="required"
            )
        if factor == Factor.WEBAUTHN:
            deleted, _rows = Authenticator.objects.filter(
                user=user, type=Authenticator.Type.WEBAUTHN, pk=authenticator_id
            ).delete()
        elif factor == Factor.TOTP:
            deleted, _rows = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).delete()
        elif factor == Factor.SMS:
            deleted, _rows = SmsFactor.objects.filter(user=user).delete()
        elif factor == Factor.PIN:
            deleted = PinLetter.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
        else:
            raise ValidationError(_("This method cannot be removed."), code="invalid")
        if not deleted:
            raise ValidationError(_("This method was already removed."), code="gone")
        if not SIGN_IN_FACTORS & set(enrolled_factors(user=user)):
            Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).delete()
        services.send_notice(
            user=user,
            subject=gettext_lazy("Two-step verification changed"),
            lines=[
                services.lazy_format(
                    gettext_noop("A sign-in method was removed from your account: %(factor)s."), factor=factor.label
                ),
                gettext_lazy("Was this not you? Contact your firm straight away."),
            ],
        )
        record_for_person("twostep.factor_removed", person=user, actor=user, details={"factor": factor.value})


# -- PIN by post (ACC-5) -------------------------------------------------------------------------


def pin_letter_create(*, user, firm, created_by) -> tuple[PinLetter, str]:
    """A new activation letter; earlier letters not yet used stop working. Returns the PIN once."""
    pin = f"{secrets.randbelow(10**6):06d}"
    now = timezone.now()
    with transaction.atomic():
        PinLetter.objects.filter(user=user, activated_at__isnull=True, revoked_at__isnull=True).update(revoked_at=now)
        letter = PinLetter.objects.create(
            user=user,
            firm=firm,
            pin_hash=make_password(pin),
            created_by=created_by,
            expires_at=now + timedelta(days=settings.BALIE_PIN_LETTER_DAYS),
        )
        services.send_notice(
            user=user,
            subject=gettext_lazy("A letter with a PIN is on its way"),
            lines=[
                services.lazy_format(
                    gettext_noop(
                        "%(firm)s made an activation letter with a PIN for you; it comes by post. "
                        "With it you link your mobile number under Two-step verification."
                    ),
                    firm=firm.name,
                ),
                gettext_lazy("Did you not ask for this? Contact your firm straight away."),
            ],
        )
        record(
            "twostep.pin_letter_created",
            firm=firm,
            actor=created_by,
            obj=user,
            details={"letter": str(letter.public_id)},
        )
    return letter, pin


def pin_check(*, user, pin: str) -> PinLetter:
    """The PIN of the pending letter; five wrong tries make the letter void."""
    from django.contrib.auth.hashers import check_password

    with transaction.atomic():
        letter = (
            PinLetter.objects.select_for_update()
            .filter(user=user, activated_at__isnull=True, revoked_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        if letter is None or letter.expires_at <= timezone.now():
            raise ValidationError(
                _("There is no valid activation letter for you. Ask your firm for a new letter."), code="no_letter"
            )
        if check_password(services.normalise_code(pin), letter.pin_hash):
            return letter
        letter.attempts += 1
        if letter.attempts >= settings.BALIE_PIN_ATTEMPTS:
            letter.revoked_at = timezone.now()
        letter.save(update_fields=["attempts", "revoked_at"])
        left = settings.BALIE_PIN_ATTEMPTS - letter.attempts
        record(
            "auth.twostep_failed",
            firm=letter.firm,
            actor=user,
            obj=user,
            details={"factor": "pin_letter", "locked": letter.revoked_at is not None},
        )
    if left <= 0:
        raise ValidationError(
            _("The PIN was entered wrongly too often; this letter no longer works. Ask your firm for a new letter."),
            code="void",
        )
    raise ValidationError(
        _("That PIN is not correct. You can try %(count)s more times.") % {"count": left}, code="wrong"
    )


def pin_activate(*, user, letter_public_id: str, phone_number: str, code: str) -> SmsFactor:
    """After the PIN was checked: the code sent to the new number links and verifies it."""
    letter = PinLetter.objects.filter(
        user=user, public_id=letter_public_id, activated_at__isnull=True, revoked_at__isnull=True
    ).first()
    if letter is None or letter.expires_at <= timezone.now():
        raise ValidationError(
            _("There is no valid activation letter for you. Ask your firm for a new letter."), code="no_letter"
        )
    row = services.verify_sms(user=user, code=code, purpose=OneTimeCode.Purpose.VERIFY_PHONE)
    if row.phone_number != phone_number:
        raise ValidationError(_("The code was sent to another number. Ask for a new code."), code="other_number")
    with transaction.atomic():
        PinLetter.objects.filter(pk=letter.pk).update(activated_at=timezone.now())
        return _set_verified_number(user=user, phone_number=phone_number, verified_with="pin")


# -- Lost phone: reset by staff ------------------------------------------------------------------


def factors_reset(*, user, firm, reset_by, note: str) -> FactorReset:
    """Removes all second factors of a person after staff checked who they are out of band.

    Recorded with who and when; the person's sessions end and they are told by e-mail.
    """
    from balie.accounts.services import user_end_sessions

    if not note.strip():
        raise ValidationError(_("Write down how you checked who the person is."), code="note")
    with transaction.atomic():
        _lock_person(user)
        Authenticator.objects.filter(user=user).delete()
        SmsFactor.objects.filter(user=user).delete()
        PinLetter.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
        FactorLock.objects.filter(user=user).delete()
        reset = FactorReset.objects.create(user=user, firm=firm, reset_by=reset_by, note=note.strip())
        user_end_sessions(user=user)
        services.send_notice(
            user=user,
            subject=gettext_lazy("Your two-step verification was reset"),
            lines=[
                services.lazy_format(
                    gettext_noop(
                        "At your request, %(firm)s removed the sign-in methods of your account. "
                        "Sign in with your password and set up two-step verification again."
                    ),
                    firm=firm.name,
                ),
                gettext_lazy("Did you not ask for this? Contact your firm straight away."),
            ],
        )
        record("twostep.factors_reset", firm=firm, actor=reset_by, obj=user)  # the reset's own row stays too
    return reset
