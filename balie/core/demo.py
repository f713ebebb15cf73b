"""``balie demo`` data.

Each capability adds a module to ``LOADERS`` with ``load(context)`` and, if it brings people to
sign in as, a ``LOGINS`` list of (role, e-mail, note); ``HINTS`` are printed as things to try.
All loaders run in one transaction, once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module

from django.db import transaction

DEMO_PASSWORD = "balie-demo-2026"

LOADERS = [
    "balie.clients.demo",
    "balie.twostep.demo",
    "balie.dossiers.demo",
    "balie.approvals.demo",
    "balie.signing.demo",
    "balie.messaging.demo",
]


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


def demo_loaded() -> bool:
    from balie.firms.models import Firm

    return Firm.objects.filter(slug="van-dijk-partners").exists()


@transaction.atomic
def load() -> DemoContext:
    context = DemoContext()
    for path in LOADERS:
        import_module(path).load(context)
    return context


def hints() -> list[str]:
    """Short notes of what to try, printed after the logins (a loader's ``HINTS``)."""
    return [hint for path in LOADERS for hint in getattr(import_module(path), "HINTS", [])]


def logins() -> list[Login]:
    """The demo's logins, in the order they are printed."""
    return [
        Login(role=role, email=email, note=note)
        for path in LOADERS
        for role, email, note in getattr(import_module(path), "LOGINS", [])
    ]
