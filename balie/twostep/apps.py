from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TwoStepConfig(AppConfig):
    name = "balie.twostep"
    label = "twostep"
    verbose_name = _("Two-step verification")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from balie.accounts.hooks import register_sign_in_factor_check
        from balie.twostep.middleware import on_login
        from balie.twostep.selectors import has_sign_in_factor

        user_logged_in.connect(on_login, dispatch_uid="twostep-policy-at-login")
        register_sign_in_factor_check(has_sign_in_factor)
