"""``balie demo`` data. Each capability adds a loader to ``LOADERS``; all run in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.module_loading import import_string

DEMO_PASSWORD = "balie-demo-2026"

LOADERS = [
    "balie.clients.demo.load",
]


@dataclass
class Login:
    role: str  # "staff" or "client"
    email: str
    password: str = DEMO_PASSWORD
    note: str = ""


@dataclass
class DemoContext:
    """What loaders share: the objects they created, by a short name, and the logins to print."""

    objects: dict = field(default_factory=dict)
    logins: list[Login] = field(default_factory=list)


def demo_loaded() -> bool:
    from balie.firms.models import Firm

    return Firm.objects.filter(slug="van-dijk-partners").exists()


@transaction.atomic
def load() -> DemoContext:
    context = DemoContext()
    for path in LOADERS:
        import_string(path)(context)
    return context


def logins() -> list[Login]:
    """The demo's logins, in the order they are printed."""
    from balie.clients.demo import LOGINS

    return [Login(role=role, email=email, note=note) for role, email, note in LOGINS]
