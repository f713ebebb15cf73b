import time

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from balie.twostep.selectors import has_sign_in_factor, twostep_required

SESSION_KEY = "twostep.ok"
RECHECK_SECONDS = 60

# What a person who must still set up two-step verification may reach.
ALLOWED_PREFIXES = ("/static/", "/media/", "/health", "/taal/", "/dev/")
ALLOWED_NAMES = {"account_logout", "set_language"}


class TwoStepRequiredMiddleware:
    """Where a firm requires two-step verification (FIRM-3), a signed-in person without a second
    factor reaches nothing but the set-up pages (and signing out) until one is set up.

    The outcome is kept in the session: "set up" for good, "not required" for a minute.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and not self._satisfied(request):
            path = request.path_info
            setup_prefix = reverse("twostep:overview")
            if not (
                path.startswith(setup_prefix)
                or path.startswith(ALLOWED_PREFIXES)
                or path == reverse("account_logout")
                or path.startswith(reverse("accounts:set_language"))
            ):
                messages.warning(
                    request, _("Your firm requires two-step verification. Please set it up before you continue.")
                )
                return redirect("twostep:overview")
        return self.get_response(request)

    def _satisfied(self, request) -> bool:
        state = request.session.get(SESSION_KEY)
        if state == "ok":
            return True
        if isinstance(state, int | float) and time.time() - state < RECHECK_SECONDS:
            return True
        return remember(request, request.user)


def remember(request, user) -> bool:
    """Checks the person against the policy and keeps the outcome in the session."""
    if has_sign_in_factor(user=user):
        request.session[SESSION_KEY] = "ok"
        return True
    if not twostep_required(user=user):
        request.session[SESSION_KEY] = time.time()
        return True
    request.session.pop(SESSION_KEY, None)
    return False


def forget(request) -> None:
    """Called when a factor is removed: the next request checks again."""
    request.session.pop(SESSION_KEY, None)


def on_login(sender, request, user, **kwargs) -> None:
    """Checked once at sign-in, so that pages do not pay for it."""
    if request is not None and hasattr(request, "session"):
        remember(request, user)
