from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse


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

    def send_mail(self, template_prefix, email, context):
        # allauth's own messages (password reset) in the recipient's language, via the outbox.
        from django.contrib.auth import get_user_model
        from django.utils import translation

        from balie.notifications.outbox import outbox_add_email

        user = get_user_model().objects.filter(email__iexact=email).first()
        language = user.language if user is not None else translation.get_language()
        with translation.override(language):
            message = self.render_mail(template_prefix, email, context)
        outbox_add_email(message=message)  # through the outbox like every other e-mail
