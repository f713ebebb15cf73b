from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DossiersConfig(AppConfig):
    name = "balie.dossiers"
    label = "dossiers"
    verbose_name = _("Dossiers")

    def ready(self) -> None:
        from balie.audit.hooks import register_object_titles
        from balie.clients import staff_page
        from balie.dossiers import selectors

        # The environment's dossiers on the firm's page of it.
        staff_page.register_section("dossiers", selectors.staff_page_dossiers)
        # What a document or dossier is called, in the audit trail's pages.
        register_object_titles("dossiers.document", selectors.document_titles)
        register_object_titles("dossiers.dossier", selectors.dossier_titles)
