"""Step-up confirmation (ACC-7): one action on one object confirmed with a fresh second factor.

A view that needs confirmation does three things::

    stepup = StepUp(request, action="password_change", object_key=f"user:{user.public_id}")
    if request.method == "POST" and form.is_valid():
        result = stepup.confirm()          # None, with stepup.error set, when it fails
        if result: ...do the action, record result.factor...
    render(..., {"stepup": stepup})        # and {% include "twostep/partials/_stepup.html" %} inside the form

The challenge is single-use, valid five minutes, and bound to ``action`` and ``object_key``: a
confirmation started for one object never confirms another. For a document version the object
key must contain the SHA-256 of that exact version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from balie.twostep import services
from balie.twostep.models import STEPUP_FACTORS, Factor, OneTimeCode, SmsFactor, StepUpChallenge
from balie.twostep.selectors import SIGN_IN_FACTORS, accepted_factors, enrolled_factors

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PASSWORD = Factor.PASSWORD.value  # only where a view allows it, for people without a second factor

_ACTIONS: dict[str, str] = {}


def register_action(name: str, label) -> None:
    """Names an action for the SMS text and the confirmation box ("to confirm <label>")."""
    _ACTIONS[name] = label


def action_label(name: str) -> str:
    return str(_ACTIONS.get(name, name))


register_action("password_change", gettext_lazy("changing your password"))
register_action("email_change", gettext_lazy("changing your e-mail address"))
register_action("email_change_confirm", gettext_lazy("the new e-mail address someone else asked for"))
register_action("mobile_change", gettext_lazy("changing your mobile number"))
register_action("factor_add", gettext_lazy("adding a sign-in method"))
register_action("factor_remove", gettext_lazy("removing a sign-in method"))
register_action("recovery_regenerate", gettext_lazy("making new recovery codes"))


@dataclass(frozen=True)
class Confirmation:
    """What confirmed the action: kept as evidence by the caller."""

    factor: str
    challenge_id: str
    confirmed_at: object


def stepup_begin(*, user, action: str, object_key: str, firm=None) -> StepUpChallenge:
    """The open challenge for this action and object, or a new one (valid five minutes)."""
    now = timezone.now()
    challenge = (
        StepUpChallenge.objects.filter(
            user=user, action=action, object_key=object_key, firm=firm, used_at__isnull=True, expires_at__gt=now
        )
        .order_by("-created_at")
        .first()
    )
    if challenge is None:
        challenge = StepUpChallenge.objects.create(
            user=user,
            action=action,
            object_key=object_key,
            firm=firm,
            expires_at=now + timedelta(seconds=settings.BALIE_STEPUP_SECONDS),
        )
    return challenge


def stepup_confirm(
    *,
    request,
    user,
    challenge_id: str,
    action: str,
    object_key: str,
    factor: str,
    code: str = "",
    credential: str = "",
    firm=None,
    allow_password: bool = False,
) -> Confirmation:
    """Checks one confirmation. Raises ValidationError with a message for the person."""
    allowed = usable_factors(user=user, firm=firm, allow_password=allow_password)
    if factor not in allowed:
        raise ValidationError(_("Choose how you want to confirm."), code="factor")
    challenge = StepUpChallenge.objects.filter(public_id=_uuid_or_none(challenge_id), user=user).first()
    if challenge is None:
        raise ValidationError(_("This confirmation is not valid. Please confirm again."), code="unknown")
    if (
        challenge.action != action
        or challenge.object_key != object_key
        or challenge.firm_id != getattr(firm, "pk", None)
    ):
        raise ValidationError(_("This confirmation was given for something else. Please confirm again."), code="other")
    if challenge.used_at is not None:
        raise ValidationError(_("This confirmation has already been used. Please confirm again."), code="used")
    if challenge.is_expired:
        raise ValidationError(
            _("This confirmation has expired (after 5 minutes). Please confirm again."), code="expired"
        )

    if factor == Factor.TOTP:
        services.verify_totp(user=user, code=code)
    elif factor == Factor.SMS:
        services.verify_sms(user=user, code=code, purpose=OneTimeCode.Purpose.STEPUP, challenge=challenge)
    elif factor == Factor.PIN:
        services.verify_pin(user=user, pin=code, firm=firm)
    elif factor == Factor.WEBAUTHN:
        services.verify_webauthn(request=request, user=user, scope=str(challenge.public_id), credential=credential)
    elif factor == PASSWORD:
        services.verify_password(user=user, password=code)

    with transaction.atomic():
        # Marked used under a row lock: two requests racing with the same challenge succeed once.
        locked = StepUpChallenge.objects.select_for_update().get(pk=challenge.pk)
        if locked.used_at is not None:
            raise ValidationError(_("This confirmation has already been used. Please confirm again."), code="used")
        locked.used_at = timezone.now()
        locked.factor = factor
        locked.save(update_fields=["used_at", "factor"])
    return Confirmation(factor=factor, challenge_id=str(locked.public_id), confirmed_at=locked.used_at)


def usable_factors(*, user, firm=None, allow_password: bool = False) -> list[str]:
    """The person's factors that confirm this action, best first.

    For an action in a firm's environment: the factors that firm accepts (its PIN letter only).
    For the person's own account (no firm): any sign-in factor they have; a PIN never. The
    password counts only where the view allows it and the person has no sign-in factor at all.
    """
    enrolled = set(enrolled_factors(user=user, firm=firm))
    if firm is None:
        usable = [factor.value for factor in STEPUP_FACTORS if factor in enrolled and factor in SIGN_IN_FACTORS]
    else:
        usable = [factor.value for factor in accepted_factors(user=user, firm=firm) if factor in enrolled]
    if not usable and allow_password and not (enrolled & SIGN_IN_FACTORS):
        usable = [PASSWORD]
    return usable


def _uuid_or_none(value):
    import uuid

    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


class StepUp:
    """The confirmation box of one form: its challenge, the person's usable factors, the outcome."""

    def __init__(self, request, *, action: str, object_key: str, firm=None, allow_password: bool = False):
        self.request = request
        self.user = request.user
        self.action = action
        self.object_key = object_key
        self.firm = firm
        self.allow_password = allow_password
        self.error: str | None = None
        self.factors = usable_factors(user=self.user, firm=firm, allow_password=allow_password)
        posted = request.POST.get("stepup_factor") if request.method == "POST" else None
        self.selected = posted if posted in self.factors else (self.factors[0] if self.factors else None)
        self._challenge: StepUpChallenge | None = None

    @property
    def label(self) -> str:
        return action_label(self.action)

    @property
    def challenge(self) -> StepUpChallenge:
        if self._challenge is None or self._challenge.used_at is not None:
            self._challenge = stepup_begin(
                user=self.user, action=self.action, object_key=self.object_key, firm=self.firm
            )
        return self._challenge

    @property
    def choices(self) -> list[tuple[str, StrOrPromise]]:
        labels = {factor.value: factor.label for factor in Factor}
        return [(factor, labels[factor]) for factor in self.factors]

    @property
    def webauthn_options(self) -> dict | None:
        if Factor.WEBAUTHN.value not in self.factors:
            return None
        return {
            "request_options": services.webauthn_begin(
                request=self.request, user=self.user, scope=str(self.challenge.public_id)
            )
        }

    @property
    def sms_number(self) -> str:
        factor = SmsFactor.objects.filter(user=self.user).first()
        return services.mask_number(factor.phone_number) if factor else ""

    @property
    def missing_message(self) -> str:
        return _("To confirm this you need a second factor your firm accepts. Set one up under Two-step verification.")

    def confirm(self) -> Confirmation | None:
        post = self.request.POST
        try:
            result = stepup_confirm(
                request=self.request,
                user=self.user,
                challenge_id=post.get("stepup_challenge", ""),
                action=self.action,
                object_key=self.object_key,
                factor=post.get("stepup_factor", ""),
                code=post.get("stepup_code", ""),
                credential=post.get("stepup_credential", ""),
                firm=self.firm,
                allow_password=self.allow_password,
            )
        except ValidationError as error:
            self.error = " ".join(error.messages)
            self._challenge = None  # the open challenge of this action and object, or a fresh one
            return None
        return result
