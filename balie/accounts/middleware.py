import time
from datetime import UTC, datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _

from balie.accounts import services
from balie.accounts.signals import SESSION_AUTH_AT, SESSION_SEEN_AT


class SessionLifetimeMiddleware:
    """Ends a session a fixed time after sign-in, however active it is (absolute lifetime), and
    keeps an active session alive: the idle timeout is the session age, renewed by re-saving the
    session when the last renewal is over BALIE_SESSION_TOUCH_SECONDS old (and then, only then,
    records the session's "last seen" time).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            signed_in_at = request.session.get(SESSION_AUTH_AT)
            if signed_in_at is None or time.time() - signed_in_at > settings.BALIE_SESSION_MAX_SECONDS:
                logout(request)
                messages.info(request, _("Your session has ended. Please sign in again."))
                return redirect(settings.LOGIN_URL)
            now = time.time()
            if now - request.session.get(SESSION_SEEN_AT, 0) > settings.BALIE_SESSION_TOUCH_SECONDS:
                request.session[SESSION_SEEN_AT] = now  # saved with a fresh expiry at the end
                # "Last seen" in the list of sessions moves with it; other requests cost nothing.
                services.session_touch(session_key=request.session.session_key, at=datetime.fromtimestamp(now, tz=UTC))
        return self.get_response(request)


class UserLanguageMiddleware:
    """A signed-in user sees their own language, whatever the browser asks for."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = str(request.user.language) if request.user.is_authenticated and request.user.language else None
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if language:
            response.headers["Content-Language"] = language
        return response
