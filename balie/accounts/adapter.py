from types import SimpleNamespace
from urllib.parse import quote

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from balie.accounts import throttle
from balie.accounts.services import signin_guessing_report
from balie.core.links import absolute_url, site_host


class AccountAdapter(DefaultAccountAdapter):
    """Balie is invitation-only: nobody signs up by themselves (ACC-1)."""

    def is_open_for_signup(self, request) -> bool:
        return False

    def get_login_stages(self) -> list[str]:
        # Balie's own second-factor step (SMS, lock after ten wrong codes, choice of factor)
        # replaces allauth's; passkey sign-in (passwordless) skips it.
        return [
            "balie.twostep.stages.SecondFactorStage" if path == "allauth.mfa.stages.AuthenticateStage" else path
            for path in super().get_login_stages()
        ]

    def get_reauthentication_methods(self, user) -> list[dict]:
        # allauth's reauthentication pages are not mounted: Balie confirms changes with its own
        # step-up (twostep.stepup). Naming them here would reverse a missing route (a 500).
        return []

    def get_login_redirect_url(self, request) -> str:
        return reverse("home:index")

    # allauth's own lock (five failures per account) also kept the owner out, right password
    # included: anyone could lock anyone out for good. Balie's throttle (accounts/throttle.py)
    # trusts browsers the owner signed in with before and slows down every other one.
    def pre_authenticate(self, request, **credentials) -> None:
        email = credentials.get("email") or ""
        # Exactly as allauth's sign-in finds the person (lower case, no database case folding).
        user = get_user_model().objects.filter(email=email.strip().lower()).first() if email else None
        try:
            ip = self.get_client_ip(request)  # honours the trusted-proxy settings
        except PermissionDenied:
            ip = "unknown"
        attempt, lock_started = throttle.signin_attempt_start(request=request, email=email, user=user, ip=ip)
        if lock_started:
            # Queued for unknown addresses too: the request does the same work either way.
            signin_guessing_report(email=email, known_browser=lock_started == "device")
        if attempt is None:
            raise self.validation_error("too_many_login_attempts")
        self._balie_attempt = attempt

    def authenticate(self, request, **credentials):
        user = super().authenticate(request, **credentials)
        if user is not None:
            self._balie_attempt.succeeded()  # a right password is not a failure
        return user

    def post_login(self, request, user, **kwargs):
        response = super().post_login(request, user, **kwargs)
        throttle.device_cookie_set(response, request=request, user=user)
        return response

    # allauth builds these links from the request's Host header, which the sender of the request
    # chooses: a reset requested with a forged Host would mail the victim a link to the forger.
    def get_reset_password_from_key_url(self, key: str) -> str:
        path = reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"})
        return absolute_url(path.replace("UID-KEY", quote(key)))

    def get_email_confirmation_url(self, request, emailconfirmation) -> str:
        return absolute_url(reverse("account_confirm_email", args=[emailconfirmation.key]))

    def send_mail(self, template_prefix, email, context):
        # allauth's own messages (password reset) in the recipient's language, via the outbox.
        from django.contrib.auth import get_user_model
        from django.utils import translation

        from balie.notifications.outbox import outbox_add_email

        user = get_user_model().objects.filter(email__iexact=email).first()
        language = user.language if user is not None else translation.get_language()
        # allauth's templates name the site from current_site, which without django.contrib.sites
        # is the request's Host header again.
        context = {**context, "current_site": SimpleNamespace(name="Balie", domain=site_host())}
        with translation.override(language):
            message = self.render_mail(template_prefix, email, context)
        outbox_add_email(message=message)  # through the outbox like every other e-mail
