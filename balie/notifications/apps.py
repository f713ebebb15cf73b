from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "balie.notifications"
    label = "notifications"

    def ready(self):
        from django.core import checks

        from balie.core.health import register_check
        from balie.notifications.health import check_outbox_settings, email_health

        register_check("email", email_health)
        checks.register(check_outbox_settings, checks.Tags.compatibility)
