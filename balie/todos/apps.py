from django.apps import AppConfig


class TodosConfig(AppConfig):
    name = "balie.todos"
    label = "todos"
