"""Where an event comes from: the request being answered, kept in a context variable for
``services.record`` (which needs no request argument), with an id of its own.

Every request gets an id (32 hex digits) in ``request.request_id`` and the ``X-Request-ID``
response header, so an event in the log can be matched with what a person saw or reported. Jobs and
commands run outside a request: their events carry no address, browser or request id.
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from dataclasses import dataclass

from balie.core.addresses import client_ip

_CURRENT = ContextVar("balie_audit_request", default=None)


@dataclass(frozen=True)
class Origin:
    ip_address: str | None = None
    user_agent: str = ""
    request_id: str = ""


def current_request():
    """The request being answered in this context, or None (a job, a command)."""
    return _CURRENT.get()


def origin() -> Origin:
    """The current request's address, browser and id; empty outside a request."""
    request = _CURRENT.get()
    if request is None:
        return Origin()
    return Origin(
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        request_id=getattr(request, "request_id", ""),
    )


class AuditRequestMiddleware:
    """Makes the request current for the audit trail while it is answered, and gives it an id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = uuid.uuid4().hex
        token = _CURRENT.set(request)
        try:
            response = self.get_response(request)
        finally:
            _CURRENT.reset(token)
        response.headers["X-Request-ID"] = request.request_id
        return response
