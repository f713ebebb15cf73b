from allauth.account import views as allauth_views
from allauth.core import ratelimit
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from balie.accounts import selectors, services, throttle
from balie.accounts.forms import InvitationAcceptForm, NewLinkForm, ProfileForm
from balie.accounts.hooks import environments, has_sign_in_factor

BACKEND = "allauth.account.auth_backends.AuthenticationBackend"


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    """Mijn gegevens: name, mobile number, language and preferred environment (ACC-6), and the
    person's organisations with their role in each (ORG-2)."""
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = services.profile_update(form=form)
        messages.success(request, _("Your details have been saved."))
        response = redirect("accounts:profile")
        response.set_cookie(
            "balie_language", user.language, max_age=365 * 24 * 3600, samesite="Lax", secure=request.is_secure()
        )
        return response
    memberships = environments().memberships_of(user=request.user)
    return render(request, "accounts/profile.html", {"form": form, "memberships": memberships})


@login_required
@require_http_methods(["GET", "POST"])
def sessions(request):
    """Actieve sessies (ACC-6): where this account is signed in; POST signs out everywhere else."""
    if request.method == "POST":
        services.user_end_sessions(user=request.user, keep_session_key=request.session.session_key)
        messages.success(request, _("You have been signed out everywhere else."))
        return redirect("accounts:sessions")
    items = selectors.session_list_for_user(user=request.user, current_session_key=request.session.session_key)
    context = {
        "sessions": items,
        "idle_minutes": settings.SESSION_COOKIE_AGE / 60,
        "max_hours": settings.BALIE_SESSION_MAX_SECONDS / 3600,
    }
    return render(request, "accounts/sessions.html", context)


@login_required
@require_POST
def session_end(request, session):
    """Signs one of the user's sessions out, on whatever device holds it."""
    user_session = selectors.get_session_for_user(user=request.user, public_id=session)
    services.user_session_end(user_session=user_session)
    if user_session.session_key == request.session.session_key:
        logout(request)  # not offered for this session (that is "Sign out"), but it amounts to the same
        return redirect(settings.LOGIN_URL)
    messages.success(request, _("The session on %(device)s has been signed out.") % {"device": user_session.device})
    return redirect("accounts:sessions")


def _invalid(request, reason: str, email: str = ""):
    form = NewLinkForm(initial={"email": email} if email else None)
    return render(request, "accounts/invitation_invalid.html", {"reason": reason, "form": form}, status=410)


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept(request, token):
    """The link in the invitation e-mail.

    A new person sets a password and is signed in; a person with an account signs in (if needed)
    and accepts with one click.
    """
    invitation = services.invitation_for_token(token=token)
    if invitation is None or not invitation.is_pending:
        return _invalid(request, "used")
    if invitation.is_expired:
        return _invalid(request, "expired", invitation.email)
    if services.invitation_is_for_existing_account(invitation):
        return _accept_with_account(request, token, invitation)

    initial = {"first_name": invitation.first_name, "last_name": invitation.last_name}
    form = InvitationAcceptForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            user, invitation = services.invitation_accept(
                token=token,
                password=form.cleaned_data["password1"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
            )
        except ValidationError as error:
            if getattr(error, "code", None) in {"used", "expired"}:
                return _invalid(request, error.code)
            form.add_error("password1", error)
        else:
            if has_sign_in_factor(user=user):  # never skip a second step the account already has
                messages.success(request, _("Your password is set. Please sign in."))
                return redirect(settings.LOGIN_URL)
            login(request, user, backend=BACKEND)
            messages.success(
                request,
                _("Welcome to %(firm)s's portal. Please check your details.") % {"firm": invitation.client.firm.name},
            )
            return redirect("accounts:profile")
    return render(request, "accounts/invitation_accept.html", {"form": form, "invitation": invitation})


def _accept_with_account(request, token, invitation):
    if not request.user.is_authenticated:
        messages.info(request, _("Sign in to accept the invitation."))
        return redirect_to_login(request.get_full_path())
    if request.user.email.lower() != invitation.email.lower():
        return render(request, "accounts/invitation_other_account.html", {"invitation": invitation}, status=403)
    if request.method == "POST":
        try:
            services.invitation_accept_for_user(token=token, user=request.user)
        except ValidationError as error:
            return _invalid(request, getattr(error, "code", "used"))
        messages.success(request, _("You now have access to %(client)s.") % {"client": invitation.client.name})
        return redirect("home:client", client=invitation.client.public_id)
    return render(request, "accounts/invitation_accept_existing.html", {"invitation": invitation})


@require_http_methods(["GET", "POST"])
def invitation_new_link(request):
    """Asks for a fresh invitation link. The answer is the same for known and unknown addresses."""
    form = NewLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].lower()
        if ratelimit.consume(request, action="invitation_new_link", key=email):
            services.invitation_request_new_link(email=email)
        return render(request, "accounts/invitation_new_link_sent.html", {"email": email})
    return render(request, "accounts/invitation_invalid.html", {"reason": "ask", "form": form})


@require_POST
def set_language(request):
    """The language switch in the footer; for a signed-in user it also changes their profile."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in {code for code, _name in settings.LANGUAGES}:
        request.user.language = language
        request.user.save(update_fields=["language"])
    return django_set_language(request)


def password_reset_from_key(request, *args, **kwargs):
    """allauth's page behind the mailed reset link. The browser that completes the reset gets a
    device cookie (bound to the new password), so its owner signs in from it while a stranger keeps
    unknown browsers locked out. The reset does not sign in: the sign-in after it still asks for
    the password and the second factor."""
    response = allauth_views.password_reset_from_key(request, *args, **kwargs)
    throttle.device_cookie_keep_promise(response, request=request)
    return response
