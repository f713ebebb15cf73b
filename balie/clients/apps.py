from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "balie.clients"
    label = "clients"
