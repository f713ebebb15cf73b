"""Where an event comes from: the request being answered gives its address, browser and id."""

import re

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from balie.audit.middleware import AuditRequestMiddleware, current_request
from balie.audit.models import AuditEvent
from balie.audit.services import record

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Balie-test"


def test_every_response_carries_a_request_id(client):
    first = client.get(reverse("account_login"))["X-Request-ID"]
    second = client.get(reverse("account_login"))["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and first != second


def test_an_event_written_in_a_request_has_its_address_browser_and_id(personas):
    def view(request):
        event = record("document.viewed", firm=personas.firm, actor=personas.client_user)
        return HttpResponse(str(event.pk))

    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT=BROWSER + "x" * 400)
    response = AuditRequestMiddleware(view)(request)
    event = AuditEvent.objects.get(pk=int(response.content))
    assert event.ip_address == "203.0.113.7"
    assert event.user_agent == (BROWSER + "x" * 400)[:300]
    assert event.request_id == response["X-Request-ID"] == request.request_id


def test_the_request_is_forgotten_after_the_response(personas):
    seen = []
    AuditRequestMiddleware(lambda request: seen.append(current_request()) or HttpResponse())(RequestFactory().get("/"))
    assert seen[0] is not None
    assert current_request() is None
    event = record("document.viewed", firm=personas.firm)  # as a job would, after the request
    assert (event.ip_address, event.user_agent, event.request_id) == (None, "", "")


def test_the_request_is_forgotten_when_the_view_fails(personas):
    def failing(request):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        AuditRequestMiddleware(failing)(RequestFactory().get("/"))
    assert current_request() is None


def test_an_ipv6_address_is_stored_as_the_database_gives_it_back(personas):
    def view(request):
        return HttpResponse(str(record("document.viewed", firm=personas.firm).pk))

    request = RequestFactory().get("/", REMOTE_ADDR="2001:0db8:0000:0000:0001:0000:0000:0001")
    event = AuditEvent.objects.get(pk=int(AuditRequestMiddleware(view)(request).content))
    assert event.ip_address == "2001:db8::1:0:0:1"
    from balie.audit.verify import verify_chain

    assert verify_chain(personas.firm).broken is None
