from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SigningConfig(AppConfig):
    name = "balie.signing"
    label = "signing"
    verbose_name = _("Signing")

    def ready(self) -> None:
        from balie.approvals import kernel
        from balie.approvals.models import Kind
        from balie.signing import (
            jobs,  # noqa: F401  (registers the sealing job)
            services,
        )

        # Sign requests are a kind of request of the kernel: how they open, restart and are published.
        kernel.register_kind(
            Kind.SIGN,
            open=services.open_for_signing,
            restart=services.copy_signers,
            publish=services.sign_request_create_for_published,
        )
