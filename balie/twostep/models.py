"""Two-step verification beyond allauth's authenticators (ACC-4, ACC-5, ACC-7).

allauth's ``mfa.Authenticator`` holds the authenticator app (TOTP), recovery codes and passkeys.
Balie adds the SMS factor, one-time codes, step-up challenges, PIN letters, the lock after ten
wrong codes and the record of resets by staff.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Factor(models.TextChoices):
    WEBAUTHN = "webauthn", _("Passkey")
    TOTP = "totp", _("Authenticator app")
    SMS = "sms", _("SMS code")
    PIN = "pin", _("PIN code")
    RECOVERY = "recovery", _("Recovery code")
    PASSWORD = "password", _("Password")  # confirmation only, for people without a second factor


# Offered in this order: the phishing-resistant passkey and the app before SMS.
FACTOR_ORDER = [Factor.WEBAUTHN, Factor.TOTP, Factor.SMS, Factor.PIN, Factor.RECOVERY]
STEPUP_FACTORS = [Factor.WEBAUTHN, Factor.TOTP, Factor.SMS, Factor.PIN]
DEFAULT_STEPUP_FACTORS = [Factor.WEBAUTHN.value, Factor.TOTP.value, Factor.SMS.value]


class SmsFactor(models.Model):
    """SMS codes as a second factor, only ever to this verified mobile number."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sms_factor")
    phone_number = models.CharField(_("mobile number"), max_length=20)
    verified_with = models.CharField(max_length=20, default="sms")  # sms or pin (letter by post)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("SMS factor")
        verbose_name_plural = _("SMS factors")

    def __str__(self) -> str:
        return str(self.user)


class FactorLock(models.Model):
    """Consecutive wrong codes per factor and account; ten lock the factor for fifteen minutes."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="factor_locks")
    factor = models.CharField(max_length=20, choices=Factor.choices)
    failures = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "factor"], name="twostep_factorlock_user_factor")]

    def __str__(self) -> str:
        return f"{self.user} {self.factor}: {self.failures}"

    @property
    def is_locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > timezone.now()


class StepUpChallenge(models.Model):
    """One confirmation of one action on one object (ACC-7): single use, valid five minutes.

    ``object_key`` names the object exactly (for a document version: its SHA-256), so a
    confirmation for A never confirms B, nor a newer version of A.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stepup_challenges")
    action = models.CharField(max_length=60)
    object_key = models.CharField(max_length=200)
    # The firm whose policy decides which factors count (none: the person's own account).
    firm = models.ForeignKey("firms.Firm", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    factor = models.CharField(max_length=20, choices=Factor.choices, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "action", "object_key"])]

    def __str__(self) -> str:
        return f"{self.user} {self.action} {self.object_key}"

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at


class OneTimeCode(models.Model):
    """A code sent by SMS: for signing in, for one step-up challenge, or to verify a number."""

    class Purpose(models.TextChoices):
        LOGIN = "login", _("sign-in")
        STEPUP = "stepup", _("confirmation")
        VERIFY_PHONE = "verify_phone", _("verify mobile number")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="one_time_codes")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    challenge = models.ForeignKey(StepUpChallenge, null=True, blank=True, on_delete=models.CASCADE)
    phone_number = models.CharField(max_length=20)
    code_hash = models.CharField(max_length=64)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"])]

    def __str__(self) -> str:
        return f"{self.user} {self.purpose} {self.created_at:%Y-%m-%d %H:%M}"


class PinLetter(models.Model):
    """An activation letter with a PIN, printed by the firm and sent by post (ACC-5).

    The PIN links and verifies a mobile number within 30 days; after that it stays the person's
    confirmation PIN where the firm accepts PIN confirmations. Only a hash of the PIN is kept.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pin_letters")
    firm = models.ForeignKey("firms.Firm", on_delete=models.CASCADE, related_name="pin_letters")
    pin_hash = models.CharField(max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    activated_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} ({self.created_at:%Y-%m-%d})"


class FactorReset(models.Model):
    """Staff removed a person's second factors after checking who they are out of band."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="factor_resets")
    reset_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    firm = models.ForeignKey("firms.Firm", on_delete=models.CASCADE, related_name="factor_resets")
    note = models.TextField(_("how the identity was checked"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} by {self.reset_by} ({self.created_at:%Y-%m-%d})"
