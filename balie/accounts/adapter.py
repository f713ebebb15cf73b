from types import SimpleNamespace
from urllib.parse import quote

from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse

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

    def get_login_redirect_url(self, request) -> str:
        return reverse("home:index")

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
