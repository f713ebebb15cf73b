from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "balie.approvals"
    label = "approvals"
    verbose_name = _("Approvals")

    def ready(self) -> None:
        from balie.approvals import flows, forms_staff, kernel, publishing, services
        from balie.approvals.models import Kind
        from balie.dossiers import publication

        # The kinds this app asks for; other apps register theirs (sign: balie.signing).
        kernel.register_kind(Kind.APPROVE, open=services.open_for_decision)
        kernel.register_kind(Kind.REVIEW, open=services.open_for_decision)
        # A document published with a request asks for it; replacing or withdrawing the document
        # restarts or withdraws its requests; the publish forms offer the request settings.
        publication.register_publication_hooks(
            published=services.request_create_for_published,
            replaced=services.requests_replace_for_document,
            withdrawn=services.requests_withdraw_for_document,
            after_unavailable=flows.after_unavailable,
            request_settings_form=forms_staff.request_settings_form,
            request_facts=publishing.request_facts,
            document_requests=publishing.document_requests,
        )
