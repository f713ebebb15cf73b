from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "balie.audit"
    label = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        from balie.audit import signals  # noqa: F401  (connects the sign-in receivers)
        from balie.audit.people import record_for_person
        from balie.audit.services import record
        from balie.core import trail

        trail.register(record=record, record_for_person=record_for_person)
