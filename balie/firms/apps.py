from django.apps import AppConfig


class FirmsConfig(AppConfig):
    name = "balie.firms"
    label = "firms"
