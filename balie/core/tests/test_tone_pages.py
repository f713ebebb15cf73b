"""Every page, opened in Dutch by the person it is for: client pages say "u" and never "je";
a staff page (under /kantoor/) may be informal, but does not mix "je" and "u"."""

import re

import pytest
from django.test import Client as HttpClient
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from balie.clients.services import invitation_create
from balie.core.tests.test_isolation import CASES, a_task
from balie.core.tests.test_tone import INFORMAL

pytestmark = pytest.mark.django_db

POLITE = re.compile(r"\b(u|uw|uzelf)\b", re.IGNORECASE)
STAFF_PREFIX = "/kantoor/"
# Its case builds a passkey of the client's for the outsider; opened by its owner it is a
# confirmation page that the two-step tests cover.
SKIPPED = {"twostep:passkey_remove"}


def _routes_without_arguments(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin" or entry.pattern.regex.groups:
                continue  # the operator's admin; routes under a prefix with an argument (o/<client>/)
            yield from _routes_without_arguments(entry, f"{prefix}{entry.namespace}:" if entry.namespace else prefix)
        elif isinstance(entry, URLPattern) and entry.name and not entry.pattern.regex.groups:
            yield prefix + entry.name


def _visible_text(response) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _pages(personas):
    for name in _routes_without_arguments():
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        yield personas.client_user, url
        yield personas.staff.user, url
    invitation = invitation_create(client=personas.company, actor=personas.staff.user, email="x@example.test")
    todo = a_task(personas)
    for name, (who, kwargs, methods) in CASES.items():
        if "get" in methods and name not in SKIPPED:
            owner = personas.client_user if who == "outsider" else personas.staff.user
            yield owner, reverse(name, kwargs=kwargs(personas, invitation, todo))


def test_client_pages_say_u_and_staff_pages_do_not_mix(personas):
    browser = HttpClient(raise_request_exception=False)
    wrong, checked = [], 0
    for user, url in _pages(personas):
        browser.force_login(user)
        response = browser.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        checked += 1
        text = _visible_text(response)
        informal = sorted({word.lower() for word in INFORMAL.findall(text)})
        if url.startswith(STAFF_PREFIX):
            if informal and POLITE.search(text):
                wrong.append(f"{url} mixes {informal} with u/uw")
        elif informal:
            wrong.append(f"{url} ({user.email}) says {informal}")
    assert checked > 40
    assert wrong == []
