from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "balie.approvals"
    label = "approvals"
    verbose_name = _("Approvals")

    def ready(self) -> None:
        from balie.approvals import kernel, services
        from balie.approvals.models import Kind

        # The kinds this app asks for; other apps register theirs (sign: balie.signing).
        kernel.register_kind(Kind.APPROVE, open=services.open_for_decision)
        kernel.register_kind(Kind.REVIEW, open=services.open_for_decision)
