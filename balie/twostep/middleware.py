import time

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from balie.twostep.selectors import has_sign_in_factor, twostep_required

SESSION_KEY = "twostep.checked_at"
RECHECK_SECONDS = 60


class TwoStepRequiredMiddleware:
    """Where a firm requires two-step verification (FIRM-3), a signed-in person without a second
    factor reaches nothing but the set-up pages (and signing out, the language switch) until one
    is set up; those pages then show no environment data either (``request.twostep_pending``).

    A passing check is kept in the session for a minute, so a policy change or a method removed
    in another session takes effect within a minute without costing every request two queries.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.twostep_pending = False
        if request.user.is_authenticated and not self._satisfied(request):
            request.twostep_pending = True
            if not self._allowed(request.path):
                messages.warning(
                    request, _("Your firm requires two-step verification. Please set it up before you continue.")
                )
                return redirect("twostep:overview")
        return self.get_response(request)

    @staticmethod
    def _allowed(path: str) -> bool:
        if path.startswith(reverse("twostep:overview")):
            return True
        exact = {reverse("account_logout"), reverse("accounts:set_language"), reverse("health")}
        return path in exact or path.startswith(("/static/", "/huisstijl/"))

    @staticmethod
    def _satisfied(request) -> bool:
        checked_at = request.session.get(SESSION_KEY)
        if isinstance(checked_at, int | float) and 0 <= time.time() - checked_at < RECHECK_SECONDS:
            return True
        return remember(request, request.user)


def remember(request, user) -> bool:
    """Checks the person against the policy; a pass is kept in the session for a minute."""
    if has_sign_in_factor(user=user) or not twostep_required(user=user):
        request.session[SESSION_KEY] = time.time()
        return True
    request.session.pop(SESSION_KEY, None)
    return False


def forget(request) -> None:
    """Called when a factor is removed: the next request checks again."""
    request.session.pop(SESSION_KEY, None)


def on_login(sender, request, user, **kwargs) -> None:
    """Checked once at sign-in, so that the first pages do not pay for it."""
    if request is not None and hasattr(request, "session"):
        remember(request, user)
