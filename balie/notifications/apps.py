from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "balie.notifications"
    label = "notifications"
