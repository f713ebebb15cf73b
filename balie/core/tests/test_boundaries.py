"""App boundaries, read from the source (no import of the project): no private name crosses from one
app into another, and no new import cycle between apps appears.

The imports are read by ``balie/core/boundaries.py``: those inside functions count as much as those at
the top of a module, and tests and migrations are left out. The cycles that exist today are listed
below as app-to-app edges; the list may only shrink (the test fails when an edge closes a new cycle,
and also when a listed edge no longer does, so the list stays the truth).
"""

import pytest

from balie.core.boundaries import ROOT, components, cycle_edges, imports

pytestmark = pytest.mark.once

# Edges (importing app, imported app) inside today's import cycles: to be taken away, never added to.
KNOWN_CYCLE_EDGES: set[tuple[str, str]] = {
    ("approvals", "clients"),
    ("approvals", "dossiers"),
    ("approvals", "todos"),
    ("clients", "dossiers"),
    ("clients", "todos"),
    ("dossiers", "approvals"),
    ("dossiers", "clients"),
    ("dossiers", "messaging"),
    ("dossiers", "signing"),
    ("dossiers", "todos"),
    ("messaging", "clients"),
    ("messaging", "dossiers"),
    ("messaging", "todos"),
    ("signing", "approvals"),
    ("signing", "clients"),
    ("signing", "dossiers"),
    ("signing", "todos"),
    ("todos", "clients"),
}


def test_no_private_name_is_imported_from_another_app():
    private = [
        f"{found.path.relative_to(ROOT.parent)}: {found.module}"
        for found in imports()
        if found.name is not None and found.name.startswith("_")
    ]
    assert private == [], "use (or add) a public function of the app that owns it"


def test_no_new_import_cycle_between_apps():
    edges = cycle_edges()
    new = sorted(edges - KNOWN_CYCLE_EDGES)
    assert new == [], f"these imports close a cycle between apps: {new}; a lower app may not import a higher one"
    gone = sorted(KNOWN_CYCLE_EDGES - edges)
    assert gone == [], f"no longer in a cycle, take them off KNOWN_CYCLE_EDGES: {gone}"


def test_the_check_sees_a_cycle_and_a_private_import():
    assert components({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    assert components({"a": {"b"}, "b": set()}) == []
