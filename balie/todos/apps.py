from django.apps import AppConfig


class TodosConfig(AppConfig):
    name = "balie.todos"
    label = "todos"

    def ready(self) -> None:
        from balie.clients import staff_page
        from balie.todos import selectors

        # The environment's open tasks on the firm's page of it.
        staff_page.register_section("open_todos", selectors.staff_page_open_todos)
