"""Demo history for the audit trail: Pieter's sign-ins (from his laptop and his phone), one failed
attempt on his account from an unknown address, and Sanne (the firm) opening Pieter's BV. The
events are written through ``record`` as if by the requests that caused them, so they carry an
address and a browser; the document Sanne opened is the dossiers loader's (it runs after this one).
"""

from __future__ import annotations

from django.http import HttpResponse
from django.test import RequestFactory

from balie.audit.middleware import AuditRequestMiddleware
from balie.audit.models import ActorKind
from balie.audit.services import record
from balie.core.demo import DemoContext

LAPTOP = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
UNKNOWN = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
HINTS = [
    "Audit: Pieter sees under Organisatie → Wie heeft mijn gegevens bekeken that Sanne opened the BV and a "
    "document, and his sign-ins (one failed) under Mijn gegevens → Aanmeldingen; Sanne filters and exports "
    "the firm's log under Instellingen → Logboek."
]


def _from(address: str, browser: str, write) -> None:
    """Runs ``write`` as part of a request from ``address`` with ``browser``."""
    request = RequestFactory().get("/", REMOTE_ADDR=address, HTTP_USER_AGENT=browser)

    def answer(_request):
        write()
        return HttpResponse()

    AuditRequestMiddleware(answer)(request)


def load(context: DemoContext) -> None:
    objects = context.objects
    firm, pieter, sanne, company = objects["firm"], objects["pieter"], objects["sanne"].user, objects["company"]
    _from("192.0.2.44", LAPTOP, lambda: record("auth.signin", firm=firm, actor=pieter, obj=pieter))
    _from(
        "203.0.113.77",
        UNKNOWN,
        lambda: record("auth.signin_failed", firm=firm, actor_kind=ActorKind.ANONYMOUS, obj=pieter),
    )
    _from("198.51.100.23", PHONE, lambda: record("auth.signin", firm=firm, actor=pieter, obj=pieter))
    _from(
        "192.0.2.10",
        LAPTOP,
        lambda: record(
            "staff.environment_viewed",
            firm=firm,
            actor=sanne,
            environment=company,
            obj=company,
            details={"page": "environment"},
        ),
    )
