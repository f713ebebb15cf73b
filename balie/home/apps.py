from django.apps import AppConfig


class HomeConfig(AppConfig):
    name = "balie.home"
    label = "home"
