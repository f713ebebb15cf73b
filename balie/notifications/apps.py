from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "balie.notifications"
    label = "notifications"

    def ready(self):
        from django.core import checks

        from balie.notifications.health import check_outbox_settings

        checks.register(check_outbox_settings, checks.Tags.compatibility)
