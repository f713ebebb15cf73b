"""Two-step verification pages of "Mijn gegevens", the second step of signing in, confirmations."""

from __future__ import annotations

import time

from allauth.account.forms import ChangePasswordForm
from allauth.core import ratelimit
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from balie.accounts.allauth_bridge import (
    change_password,
    login_stage_of,
    login_stage_required,
    record_authentication,
    totp_secret_new,
)
from balie.core.actions import service_refusal
from balie.twostep import enrolment, services
from balie.twostep.forms import CodeForm, EmailChangeForm, MobileForm, PasskeyForm, PinForm, TotpForm
from balie.twostep.middleware import forget
from balie.twostep.models import Factor, OneTimeCode, SmsFactor, StepUpChallenge
from balie.twostep.selectors import (
    active_pin_letter,
    enrolled_factors,
    has_sign_in_factor,
    locks_for,
    pending_pin_letter,
    twostep_required,
)
from balie.twostep.stages import SecondFactorStage
from balie.twostep.stepup import StepUp, usable_factors

LOGIN_FACTORS = [Factor.WEBAUTHN, Factor.TOTP, Factor.SMS, Factor.RECOVERY]
TOTP_SECRET_KEY = "twostep.totp_secret"
PENDING_NUMBER_KEY = "twostep.pending_number"
PENDING_SECONDS = 10 * 60


# -- Second step of signing in -------------------------------------------------------------------


@login_stage_required(stage=SecondFactorStage.key, redirect_urlname="account_login")
@require_http_methods(["GET", "POST"])
def authenticate(request):
    """The second step after the password: the person picks one of their factors (ACC-4)."""
    stage = login_stage_of(request)
    user = stage.login.user
    factors = [factor for factor in enrolled_factors(user=user) if factor in LOGIN_FACTORS]
    if not factors:  # removed meanwhile (a reset by staff): start signing in again
        return stage.abort()
    wanted = request.POST.get("factor") or request.GET.get("methode")
    factor = next((each for each in factors if each.value == wanted), factors[0])
    form = CodeForm(request.POST or None) if factor != Factor.WEBAUTHN else None
    error = sent_to = None
    if request.method == "GET" and factor == Factor.SMS:
        # The code goes out on arrival: the page asks for it at once.
        with service_refusal() as outcome:
            sent_to = services.sms_send_login_code(user=user)
        error = outcome.text
    if request.method == "POST":
        with service_refusal() as outcome:
            if "send" in request.POST and factor == Factor.SMS:
                sent_to = services.sms_send_login_code(user=user, again=True)
                form = CodeForm()
            else:
                _verify_login(request, user, factor, form)
                record_authentication(request, user, method="mfa", type=factor.value)
                return stage.exit()
        error = outcome.text
    locks = locks_for(user=user)
    context = {
        "factor": factor,
        "factors": factors,
        "form": form,
        "error": error,
        "sent_to": sent_to,
        "locks": locks,
        "lock": locks.get(factor.value),
        "webauthn": (
            {"request_options": services.webauthn_begin(request=request, user=user, scope="login")}
            if factor == Factor.WEBAUTHN
            else None
        ),
    }
    return render(
        request, "twostep/authenticate.html", context, status=400 if error and request.method == "POST" else 200
    )


def _verify_login(request, user, factor, form) -> None:
    if factor == Factor.WEBAUTHN:
        services.verify_webauthn(
            request=request, user=user, scope="login", credential=request.POST.get("credential", "")
        )
        return
    if not form.is_valid():
        raise ValidationError(_("Enter the code."))
    code = form.cleaned_data["code"]
    if factor == Factor.TOTP:
        services.verify_totp(user=user, code=code)
    elif factor == Factor.SMS:
        services.verify_sms(user=user, code=code, purpose=OneTimeCode.Purpose.LOGIN)
    elif factor == Factor.RECOVERY:
        services.verify_recovery_code(user=user, code=code)


# -- Overview and set-up ----------------------------------------------------------------------------


@login_required
def overview(request):
    user = request.user
    factors = enrolled_factors(user=user)
    context = {
        "factors": factors,
        "passkeys": Authenticator.objects.filter(user=user, type=Authenticator.Type.WEBAUTHN).order_by("created_at"),
        "totp": Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first(),
        "sms": SmsFactor.objects.filter(user=user).first(),
        "pin_pending": pending_pin_letter(user=user),
        "pin_active": active_pin_letter(user=user) is not None,
        "recovery_left": enrolled_codes_left(user),
        "has_factor": has_sign_in_factor(user=user),
        "required": twostep_required(user=user),
        "locks": locks_for(user=user),
        "Factor": Factor,
    }
    return render(request, "twostep/overview.html", context)


def enrolled_codes_left(user) -> int | None:
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).exists():
        return None
    return enrolment.recovery_codes_left(user=user)


def _stepup_for_adding(request, key: str) -> StepUp | None:
    """Adding a method when one exists already needs confirmation with an existing one."""
    if not has_sign_in_factor(user=request.user):
        return None
    return StepUp(request, action="factor_add", object_key=f"{request.user.public_id}:{key}")


def _confirmed(request, stepup: StepUp | None) -> bool:
    return stepup is None or stepup.confirm() is not None


def _after_adding(request, *, first: bool):
    """After a method was added. The first one also signs out every other session: whoever may
    have signed in with the password alone is out."""
    from balie.accounts.services import user_end_sessions

    if first:
        user_end_sessions(user=request.user, keep_session_key=request.session.session_key)
    forget(request)
    messages.success(request, _("Two-step verification is set up."))
    if enrolment.recovery_codes_left(user=request.user) and not _codes_viewed(request.user):
        return redirect("twostep:recovery_codes")
    return redirect("twostep:overview")


def _codes_viewed(user) -> bool:
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).first()
    return authenticator is None or bool(authenticator.data.get("viewed_at"))


@login_required
@require_http_methods(["GET", "POST"])
def totp_add(request):
    """Authenticator app: QR code and the secret as text, confirmed with a first code."""
    if Authenticator.objects.filter(user=request.user, type=Authenticator.Type.TOTP).exists():
        messages.info(request, _("An authenticator app is already set up."))
        return redirect("twostep:overview")
    secret = request.session.get(TOTP_SECRET_KEY) or totp_secret_new()
    request.session[TOTP_SECRET_KEY] = secret
    form = TotpForm(request.POST or None)
    stepup = _stepup_for_adding(request, "totp")
    if request.method == "POST" and form.is_valid() and not services.totp_matches(secret, form.cleaned_data["code"]):
        form.add_error("code", _("That code does not match. Check the time on your phone and enter the current code."))
    if request.method == "POST" and form.is_valid() and _confirmed(request, stepup):
        with service_refusal(form=form, field="code") as outcome:
            enrolment.totp_enrol(user=request.user, secret=secret, code=form.cleaned_data["code"])
        if outcome.ok:
            request.session.pop(TOTP_SECRET_KEY, None)
            return _after_adding(request, first=stepup is None)
    adapter = get_mfa_adapter()
    url = adapter.build_totp_url(request.user, secret)
    context = {
        "form": form,
        "stepup": stepup,
        "secret": secret,
        "secret_groups": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "qr_svg": adapter.build_totp_svg(url),
    }
    return render(request, "twostep/totp_add.html", context, status=400 if form.errors or _failed(stepup) else 200)


def _failed(stepup: StepUp | None) -> bool:
    return stepup is not None and stepup.error is not None


def _pending_number(request) -> str | None:
    pending = request.session.get(PENDING_NUMBER_KEY)
    if not pending or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    return pending.get("number")


@login_required
@require_http_methods(["GET", "POST"])
def sms_add(request):
    """Set up SMS codes or change the mobile number: the new number is verified with a code.

    Changing it needs confirmation with an existing method first (ACC-7).
    """
    stepup = _stepup_for_adding(request, "sms")
    pending = _pending_number(request)
    number_form = MobileForm(request.POST if "send" in request.POST else None)
    code_form = CodeForm(request.POST if "verify" in request.POST else None)
    sent_to = None
    if request.method == "POST" and "send" in request.POST:
        if number_form.is_valid() and _confirmed(request, stepup):
            number = number_form.cleaned_data["phone_number"]
            with service_refusal(form=number_form) as outcome:
                sent_to = services.sms_send_code(
                    user=request.user, purpose=OneTimeCode.Purpose.VERIFY_PHONE, phone_number=number
                )
            if outcome.ok:
                request.session[PENDING_NUMBER_KEY] = {"number": number, "at": time.time()}
                pending = number
                code_form = CodeForm()
    elif request.method == "POST" and "verify" in request.POST and pending and code_form.is_valid():
        with service_refusal(form=code_form, field="code") as outcome:
            enrolment.sms_enrol(user=request.user, phone_number=pending, code=code_form.cleaned_data["code"])
        if outcome.ok:
            request.session.pop(PENDING_NUMBER_KEY, None)
            return _after_adding(request, first=stepup is None)
    context = {
        "number_form": number_form,
        "code_form": code_form,
        "pending": pending,
        "pending_masked": services.mask_number(pending) if pending else "",
        "sent_to": sent_to,
        "stepup": stepup,
        "current": SmsFactor.objects.filter(user=request.user).first(),
    }
    bad = number_form.errors or code_form.errors or _failed(stepup)
    return render(request, "twostep/sms_add.html", context, status=400 if bad else 200)


@login_required
@require_http_methods(["GET", "POST"])
def pin_activate(request):
    """PIN by post (ACC-5): the PIN from the letter links a mobile number, verified by SMS."""
    letter = pending_pin_letter(user=request.user)
    pending = _pin_pending(request)
    pin_form = PinForm(request.POST if "send" in request.POST else None)
    code_form = CodeForm(request.POST if "verify" in request.POST else None)
    stepup = _stepup_for_adding(request, "pin")  # replacing a verified number needs confirmation
    sent_to = None
    if request.method == "POST" and "send" in request.POST and pin_form.is_valid() and _confirmed(request, stepup):
        sent = _pin_send(request, pin_form)
        if sent is None:
            letter = pending_pin_letter(user=request.user)
        else:
            pending, sent_to = sent
            code_form = CodeForm()
    elif request.method == "POST" and "verify" in request.POST and pending and code_form.is_valid():
        verified = _pin_verify(request, pending, code_form)
        if verified:
            return _after_adding(request, first=stepup is None)
    context = {
        "letter": letter,
        "pin_form": pin_form,
        "code_form": code_form,
        "pending": pending,
        "pending_masked": services.mask_number(pending["number"]) if pending else "",
        "sent_to": sent_to,
        "stepup": stepup,
    }
    bad = pin_form.errors or code_form.errors or _failed(stepup)
    return render(request, "twostep/pin_activate.html", context, status=400 if bad else 200)


def _pin_pending(request) -> dict | None:
    """The number waiting for its SMS code since the PIN was checked, unless that was too long ago."""
    pending = request.session.get("twostep.pin_pending")
    if pending and time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    return pending


def _pin_send(request, pin_form: PinForm) -> tuple[dict, str] | None:
    """Checks the PIN and texts a code to the number: the pending state (kept in the session) and
    where the code went, or None with the reason on the form."""
    with service_refusal(form=pin_form) as outcome:
        checked = enrolment.pin_check(user=request.user, pin=pin_form.cleaned_data["pin"])
        number = pin_form.cleaned_data["phone_number"]
        sent_to = services.sms_send_code(
            user=request.user, purpose=OneTimeCode.Purpose.VERIFY_PHONE, phone_number=number
        )
    if not outcome.ok:
        return None
    pending = {"number": number, "letter": str(checked.public_id), "at": time.time()}
    request.session["twostep.pin_pending"] = pending
    return pending, sent_to


def _pin_verify(request, pending: dict, code_form: CodeForm) -> bool:
    """Links the pending number with the code from the SMS; False with the reason on the form."""
    with service_refusal(form=code_form, field="code") as outcome:
        enrolment.pin_activate(
            user=request.user,
            letter_public_id=pending["letter"],
            phone_number=pending["number"],
            code=code_form.cleaned_data["code"],
        )
    if not outcome.ok:
        return False
    request.session.pop("twostep.pin_pending", None)
    return True


@login_required
@require_http_methods(["GET", "POST"])
def passkey_add(request):
    """A passkey (WebAuthn): several per person, each with a name."""
    form = PasskeyForm(request.POST or None)
    stepup = _stepup_for_adding(request, "webauthn")
    if request.method == "POST" and form.is_valid() and _confirmed(request, stepup):
        with service_refusal(form=form) as outcome:
            enrolment.passkey_add(
                user=request.user, name=form.cleaned_data["name"], credential=form.cleaned_data["credential"]
            )
        if outcome.ok:
            return _after_adding(request, first=stepup is None)
    context = {"form": form, "stepup": stepup, "creation_options": enrolment.passkey_begin(user=request.user)}
    return render(request, "twostep/passkey_add.html", context, status=400 if form.errors or _failed(stepup) else 200)


@login_required
@require_http_methods(["GET", "POST"])
def recovery_codes(request):
    """Recovery codes: shown once after they are made; new ones replace all old ones."""
    if not has_sign_in_factor(user=request.user):
        messages.info(request, _("Set up two-step verification first; recovery codes come with it."))
        return redirect("twostep:overview")
    stepup = StepUp(request, action="recovery_regenerate", object_key=str(request.user.public_id))
    if request.method == "POST" and stepup.confirm() is not None:
        enrolment.recovery_codes_regenerate(user=request.user)
        return redirect("twostep:recovery_codes")
    codes = enrolment.recovery_codes_unviewed(user=request.user) if request.method == "GET" else None
    context = {"codes": codes, "left": enrolment.recovery_codes_left(user=request.user), "stepup": stepup}
    response = render(request, "twostep/recovery_codes.html", context, status=400 if stepup.error else 200)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def factor_remove(request, factor):
    """Removing a method needs confirmation; the last one is refused while a firm requires one."""
    try:
        factor = Factor(factor)
    except ValueError:
        raise Http404 from None
    if factor == Factor.PIN:
        present = active_pin_letter(user=request.user) is not None
    else:
        present = factor in {Factor.TOTP, Factor.SMS} and factor in enrolled_factors(user=request.user)
    if not present:
        raise Http404
    return _remove(request, factor, None, factor.label)


@login_required
@require_http_methods(["GET", "POST"])
def passkey_remove(request, pk):
    passkey = get_object_or_404(Authenticator, pk=pk, user=request.user, type=Authenticator.Type.WEBAUTHN)
    return _remove(request, Factor.WEBAUTHN, passkey.pk, passkey.wrap().name)


def _remove(request, factor, authenticator_id, name):
    stepup = StepUp(
        request, action="factor_remove", object_key=f"{request.user.public_id}:{factor}:{authenticator_id or ''}"
    )
    error = None
    if request.method == "POST" and stepup.confirm() is not None:
        with service_refusal() as outcome:
            enrolment.factor_remove(user=request.user, factor=factor, authenticator_id=authenticator_id)
        error = outcome.text
        if outcome.ok:
            forget(request)
            messages.success(request, _("%(name)s has been removed.") % {"name": name})
            return redirect("twostep:overview")
    context = {"stepup": stepup, "name": name, "factor": factor, "error": error}
    return render(request, "twostep/factor_remove.html", context, status=400 if error or stepup.error else 200)


# -- Confirmations (step-up) -----------------------------------------------------------------------


@login_required
@require_POST
def stepup_sms(request, challenge):
    """Sends the SMS code of one confirmation ("Nieuw token versturen" sends another)."""
    challenge = get_object_or_404(StepUpChallenge, public_id=challenge, user=request.user, used_at__isnull=True)
    with service_refusal() as outcome:
        if challenge.is_expired:
            raise ValidationError(_("This confirmation has expired (after 5 minutes). Please confirm again."))
        if Factor.SMS.value not in usable_factors(user=request.user, firm=challenge.firm):
            raise ValidationError(_("Choose how you want to confirm."))
        sent_to = services.sms_send_code(user=request.user, purpose=OneTimeCode.Purpose.STEPUP, challenge=challenge)
    ok = outcome.ok
    message = (
        _("We sent a code to %(number)s. It is valid for 5 minutes.") % {"number": sent_to} if ok else outcome.text
    )
    if request.htmx:  # htmx swaps only successful answers; the fragment says what went wrong
        return render(request, "twostep/partials/_stepup_sms_status.html", {"message": message, "ok": ok})
    (messages.success if ok else messages.error)(request, message)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = "/"
    return redirect(back)


# -- Changes of personal data that need confirmation ----------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def password_change(request):
    """Change password: the current password, and a second factor when the person has one.
    All other sessions end."""
    if request.method == "POST" and not ratelimit.consume(request, action="change_password", user=request.user):
        messages.error(request, _("Too many attempts. Please wait a minute and try again."))
        return redirect("twostep:password_change")
    form = ChangePasswordForm(data=request.POST or None, user=request.user)
    stepup = StepUp(request, action="password_change", object_key=str(request.user.public_id))
    if not stepup.factors:
        stepup = None  # no second factor: the current password is the confirmation
    if request.method == "POST" and form.is_valid() and _confirmed(request, stepup):
        change_password(request, request.user, password=form.cleaned_data["password1"])
        return redirect("accounts:profile")
    status = 400 if form.errors or _failed(stepup) else 200
    return render(request, "twostep/password_change.html", {"form": form, "stepup": stepup}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def email_change(request):
    """Change the sign-in e-mail address: confirmed with a second factor (or the password for
    people without one), then with a link sent to the new address. The answer does not tell
    whether another account uses the address (no link goes to it then); at most
    BALIE_EMAIL_CHANGES_PER_HOUR requests an hour."""
    from balie.accounts.services import email_change_request

    form = EmailChangeForm(request.POST or None, user=request.user)
    stepup = StepUp(request, action="email_change", object_key=str(request.user.public_id), allow_password=True)
    if request.method == "POST" and form.is_valid() and stepup.confirm() is not None:
        if not ratelimit.consume(request, action="email_change", user=request.user):
            form.add_error(None, _("You have asked for too many address changes. Please try again in an hour."))
            return render(request, "twostep/email_change.html", {"form": form, "stepup": stepup}, status=400)
        with service_refusal(form=form, field="email") as outcome:
            email_change_request(user=request.user, email=form.cleaned_data["email"])
        if outcome.ok:
            messages.success(
                request,
                _("We sent a link to %(email)s. Open it within an hour to finish the change.")
                % {"email": form.cleaned_data["email"]},
            )
            return redirect("accounts:profile")
    status = 400 if form.errors or stepup.error else 200
    return render(request, "twostep/email_change.html", {"form": form, "stepup": stepup}, status=status)


def email_change_confirm_stepup(request, change) -> StepUp | None:
    """A change someone else asked for is confirmed with the person's own sign-in factors (a PIN
    never; the current password for someone without a second factor), bound to that request."""
    if not change.delegated:
        return None  # the person confirmed their own request when making it
    return StepUp(
        request,
        action="email_change_confirm",
        object_key=f"user:{request.user.public_id}:email-change:{change.public_id}",
        allow_password=True,
    )


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def email_change_confirm(request, token):
    """The link in the e-mail to the new address. The page says which address becomes which; a
    change the person asked for themselves is finished with one click (POST). A change someone
    else asked for shows who asked and where, warns, and needs the person's own confirmation."""
    from balie.accounts.services import email_change_confirm as confirm
    from balie.accounts.services import email_change_of_token

    error = None
    change = stepup = None
    with service_refusal() as outcome:
        change = email_change_of_token(user=request.user, token=token)
    error = outcome.text
    if outcome.ok:
        stepup = email_change_confirm_stepup(request, change)
        if request.method == "POST" and _confirmed(request, stepup):
            with service_refusal() as outcome:
                email = confirm(
                    user=request.user,
                    token=token,
                    keep_session_key=request.session.session_key,
                    stepup_confirmed=stepup is not None,
                )
            error = outcome.text
            if outcome.ok:
                messages.success(
                    request, _("Your e-mail address is now %(email)s. Sign in with it from now on.") % {"email": email}
                )
                return redirect("accounts:profile")
    context = {"error": error, "change": change, "stepup": stepup}
    status = 400 if error or _failed(stepup) else 200
    response = render(request, "twostep/email_change_confirm.html", context, status=status)
    # The token in the address goes to Balie alone. Not "no-referrer": the browser would then post
    # the form with "Origin: null", which Django's CSRF check refuses.
    response["Referrer-Policy"] = "same-origin"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def email_change_cancel(request, change):
    """The link in the notice to the old address: the person cancels a requested change of their
    sign-in address (POST); its link to the new address then no longer works."""
    from balie.accounts.selectors import get_email_change_for_user
    from balie.accounts.services import email_change_cancel as cancel

    change = get_email_change_for_user(user=request.user, public_id=change)
    if request.method == "POST":
        if cancel(change=change, actor=request.user):
            messages.success(
                request,
                _("The change of your e-mail address to %(email)s has been cancelled. You still sign in with %(old)s.")
                % {"email": change.new_email, "old": request.user.email},
            )
        else:
            messages.info(request, _("This change is no longer pending: there is nothing to cancel."))
        return redirect("accounts:profile")
    return render(request, "twostep/email_change_cancel.html", {"change": change})
