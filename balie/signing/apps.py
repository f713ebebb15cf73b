from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SigningConfig(AppConfig):
    name = "balie.signing"
    label = "signing"
    verbose_name = _("Signing")

    def ready(self) -> None:
        from balie.signing import jobs  # noqa: F401  (registers the sealing job)
