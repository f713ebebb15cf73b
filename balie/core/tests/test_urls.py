"""The URL map: each route answers to its own name, and the areas keep their prefixes."""

import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

pytestmark = pytest.mark.once

SAMPLES = {"uuid": str(uuid.UUID(int=1)), "int": "1", "str": "x", "slug": "x", "path": "x/y"}


def _routes(resolver=None, prefix="", namespace=""):
    """(full route, namespace:name) for every named route Balie mounts (not allauth's regexes, not the admin)."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if entry.namespace != "admin":
                yield from _routes(entry, route, f"{namespace}{entry.namespace}:" if entry.namespace else namespace)
        elif isinstance(entry, URLPattern) and entry.name and "^" not in route:
            yield route, namespace + entry.name


def test_every_route_resolves_to_its_own_name():
    """No route hides behind another one mounted before it."""
    wrong = []
    for route, name in _routes():
        sample = "/" + re.sub(r"<(\w+):\w+>", lambda m: SAMPLES[m.group(1)], route)
        if resolve(sample).view_name != name:
            wrong.append(f"{sample} -> {resolve(sample).view_name}, expected {name}")
    assert wrong == []


@pytest.mark.parametrize(
    ("name", "kwargs", "path"),
    [
        ("home:index", {}, "/"),
        ("accounts:profile", {}, "/mijn-gegevens/"),
        ("home:client", {"client": SAMPLES["uuid"]}, f"/o/{SAMPLES['uuid']}/"),
        ("dossiers:list", {"client": SAMPLES["uuid"]}, f"/o/{SAMPLES['uuid']}/dossiers/"),
        (
            "todos:open",
            {"client": SAMPLES["uuid"], "todo": SAMPLES["uuid"]},
            f"/o/{SAMPLES['uuid']}/taken/{SAMPLES['uuid']}/",
        ),
        ("clients:staff_list", {}, "/kantoor/"),
        ("dossiers_inbox:list", {}, "/kantoor/aangeleverd/"),
        ("verify:seal", {}, "/kantoor/instellingen/zegelcertificaat/"),
        ("verify:page", {}, "/handtekeningen-controleren/"),
        (
            "approvals_staff:client_certificate",
            {"client": SAMPLES["uuid"], "approval": SAMPLES["uuid"]},
            f"/o/{SAMPLES['uuid']}/accordering/{SAMPLES['uuid']}/verklaring.pdf",
        ),
    ],
)
def test_areas_keep_their_prefixes(name, kwargs, path):
    assert reverse(name, kwargs=kwargs) == path
