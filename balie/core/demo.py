"""``balie demo`` data.

Each app that brings demo data has a ``demo`` module with ``load(context)`` and, if it brings people
to sign in as, a ``LOGINS`` list of (role, e-mail, note); ``HINTS`` are printed as things to try, and
``loaded()`` tells whether its data is already there. The loaders are found in ``INSTALLED_APPS``
order, so a loader may use what the apps listed before it created; all run in one transaction, once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module
from types import ModuleType

from django.apps import apps
from django.db import transaction
from django.utils.module_loading import module_has_submodule

DEMO_PASSWORD = "balie-demo-2026"


@dataclass
class Login:
    role: str  # "staff" or "client"
    email: str
    password: str = DEMO_PASSWORD
    note: str = ""


@dataclass
class DemoContext:
    """What loaders share: the objects earlier loaders created, by a short name."""

    objects: dict = field(default_factory=dict)


def loaders() -> list[ModuleType]:
    """Every installed app's ``demo`` module (this one aside), in ``INSTALLED_APPS`` order."""
    return [
        import_module(f"{config.name}.demo")
        for config in apps.get_app_configs()
        if f"{config.name}.demo" != __name__ and module_has_submodule(config.module, "demo")
    ]


def demo_loaded() -> bool:
    return any(getattr(loader, "loaded", lambda: False)() for loader in loaders())


@transaction.atomic
def load() -> DemoContext:
    context = DemoContext()
    for loader in loaders():
        loader.load(context)
    return context


def hints() -> list[str]:
    """Short notes of what to try, printed after the logins (a loader's ``HINTS``)."""
    return [hint for loader in loaders() for hint in getattr(loader, "HINTS", [])]


def logins() -> list[Login]:
    """The demo's logins, in the order they are printed."""
    return [
        Login(role=role, email=email, note=note)
        for loader in loaders()
        for role, email, note in getattr(loader, "LOGINS", [])
    ]
