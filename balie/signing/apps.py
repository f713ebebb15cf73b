from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SigningConfig(AppConfig):
    name = "balie.signing"
    label = "signing"
    verbose_name = _("Signing")

    def ready(self) -> None:
        from balie.approvals import kernel
        from balie.approvals.models import Kind
        from balie.audit.hooks import register_checkpoint_sealer
        from balie.dossiers import publication
        from balie.signing import (
            jobs,  # noqa: F401  (registers the sealing job)
            pdf,
            seals,
            selectors,
            services,
            turns,
        )
        from balie.signing.views.staff import signing_context

        # Sign requests are a kind of request of the kernel: how they open, restart and are published,
        # and what they add to the firm's pages and the certificate.
        kernel.register_kind(
            Kind.SIGN,
            open=turns.open_for_signing,
            restart=services.copy_signers,
            publish=services.sign_request_create_for_published,
            participants_limit=pdf.MAX_SIGNERS,
            places_on_page=selectors.places_on_page,
            evidence=selectors.signing_evidence,
            staff_context=signing_context,
            annotate_list=selectors.with_sign_counts,
        )
        kernel.register_sealer(seals.seal_for_firm)  # the firm's seal: on certificates too
        register_checkpoint_sealer(seals.seal_for_firm)  # and on the audit trail's daily checkpoints
        # Files published to be signed must be signable; a bulk publication's sign settings per environment.
        publication.register_publication_hooks(
            check_signable=pdf.check_signable, sign_settings_for=selectors.sign_settings_for
        )
