from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "balie.accounts"
    label = "accounts"

    def ready(self) -> None:
        from balie.accounts import signals  # noqa: F401
