from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "balie.messaging"
    label = "messaging"
    verbose_name = _("Messages")

    def ready(self) -> None:
        from balie.audit.hooks import register_object_titles
        from balie.dossiers import tabs
        from balie.messaging.selectors import thread_titles, threads_for_member
        from balie.messaging.unread import unread_thread_count

        # The Berichten tab of a dossier's page (MSG-2): its threads, with the unread ones counted.
        tabs.register_tab("berichten", label=_("Messages"), unread=unread_thread_count, items=threads_for_member)
        # The subject of a thread in the audit trail's pages.
        register_object_titles("messaging.thread", thread_titles)
