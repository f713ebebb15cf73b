import time

from allauth.account.signals import password_changed, password_reset
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from balie.accounts import services
from balie.accounts.throttle import device_cookie_promise, signin_failures_clear
from balie.core.addresses import client_ip

SESSION_AUTH_AT = "balie_auth_at"
SESSION_SEEN_AT = "balie_seen_at"  # last renewal of the idle deadline (see SessionLifetimeMiddleware)


def _register(request, user) -> None:
    if request.session.session_key is None:
        request.session.save()
    services.session_register(
        user=user,
        session_key=request.session.session_key,
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )


@receiver(user_logged_in)
def remember_session(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    request.session[SESSION_AUTH_AT] = request.session[SESSION_SEEN_AT] = time.time()
    _register(request, user)


@receiver(password_changed)
def end_other_sessions_on_password_change(sender, request, user, **kwargs):
    # The password change gave this session a new key: keep tracking it, end all others.
    _register(request, user)
    services.user_end_sessions(user=user, keep_session_key=request.session.session_key)


@receiver(password_reset)
def end_sessions_on_password_reset(sender, request, user, **kwargs):
    services.user_end_sessions(user=user)
    # Only the mailbox's owner gets this far: let them sign in from a new browser even while a
    # stranger keeps unknown browsers locked out.
    signin_failures_clear(email=user.email)
    # A stranger who keeps guessing locks unknown browsers out again right after the reset: trust
    # the browser that completed it (accounts.views.password_reset_from_key sets the cookie).
    device_cookie_promise(request, user=user)
