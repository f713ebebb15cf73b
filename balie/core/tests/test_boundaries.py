"""App boundaries, read from the source (no import of the project): no private name crosses from one
app into another, and no new import cycle between apps appears.

Imports inside functions count as much as those at the top of a module: they only hide a cycle from
Python, not from a reader. Tests and migrations are left out. The cycles that exist today are listed
below as app-to-app edges; the list may only shrink (the test fails when an edge closes a new cycle,
and also when a listed edge no longer does, so the list stays the truth).
"""

import ast
from collections import defaultdict
from pathlib import Path

import pytest

pytestmark = pytest.mark.once

ROOT = Path(__file__).resolve().parents[2]  # the balie package
APPS = sorted(path.name for path in ROOT.iterdir() if path.is_dir() and (path / "apps.py").exists())

# Edges (importing app, imported app) inside today's import cycles: to be taken away, never added to.
KNOWN_CYCLE_EDGES: set[tuple[str, str]] = {
    ("accounts", "clients"),
    ("accounts", "core"),
    ("accounts", "notifications"),
    ("accounts", "twostep"),
    ("approvals", "clients"),
    ("approvals", "core"),
    ("approvals", "dossiers"),
    ("approvals", "firms"),
    ("approvals", "notifications"),
    ("approvals", "todos"),
    ("approvals", "twostep"),
    ("clients", "accounts"),
    ("clients", "core"),
    ("clients", "dossiers"),
    ("clients", "firms"),
    ("clients", "notifications"),
    ("clients", "todos"),
    ("clients", "twostep"),
    ("core", "accounts"),
    ("core", "clients"),
    ("core", "firms"),
    ("dossiers", "approvals"),
    ("dossiers", "clients"),
    ("dossiers", "core"),
    ("dossiers", "firms"),
    ("dossiers", "messaging"),
    ("dossiers", "notifications"),
    ("dossiers", "signing"),
    ("dossiers", "todos"),
    ("firms", "core"),
    ("firms", "twostep"),
    ("messaging", "clients"),
    ("messaging", "core"),
    ("messaging", "dossiers"),
    ("messaging", "firms"),
    ("messaging", "notifications"),
    ("messaging", "todos"),
    ("notifications", "core"),
    ("notifications", "firms"),
    ("signing", "approvals"),
    ("signing", "clients"),
    ("signing", "core"),
    ("signing", "dossiers"),
    ("signing", "firms"),
    ("signing", "notifications"),
    ("signing", "todos"),
    ("signing", "twostep"),
    ("todos", "clients"),
    ("todos", "core"),
    ("todos", "firms"),
    ("todos", "notifications"),
    ("twostep", "accounts"),
    ("twostep", "clients"),
    ("twostep", "core"),
    ("twostep", "firms"),
    ("twostep", "notifications"),
}


def _sources():
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if len(parts) < 2 or parts[0] not in APPS or "migrations" in parts or "tests" in parts:
            continue
        yield parts[0], path


def _imports():
    """(app, path, imported app, imported name or None) for every import of another balie app."""
    for app, path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("balie."):
                target = node.module.split(".")[1]
                if target != app and target in APPS:
                    for alias in node.names:
                        yield app, path, target, f"{node.module}.{alias.name}", alias.name
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("balie."):
                        target = alias.name.split(".")[1]
                        if target != app and target in APPS:
                            yield app, path, target, alias.name, None


def _components(edges: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components with more than one app (Tarjan, iterative over a small graph)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(edges.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = set()
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.add(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(component)

    for app in sorted(set(edges) | {target for targets in edges.values() for target in targets}):
        if app not in index:
            visit(app)
    return found


def cycle_edges() -> set[tuple[str, str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for app, _path, target, _module, _name in _imports():
        edges[app].add(target)
    inside = set()
    for component in _components(edges):
        inside |= {(app, target) for app in component for target in edges[app] if target in component}
    return inside


def test_no_private_name_is_imported_from_another_app():
    private = [
        f"{path.relative_to(ROOT.parent)}: {module}"
        for _app, path, _target, module, name in _imports()
        if name is not None and name.startswith("_")
    ]
    assert private == [], "use (or add) a public function of the app that owns it"


def test_no_new_import_cycle_between_apps():
    edges = cycle_edges()
    new = sorted(edges - KNOWN_CYCLE_EDGES)
    assert new == [], f"these imports close a cycle between apps: {new}; a lower app may not import a higher one"
    gone = sorted(KNOWN_CYCLE_EDGES - edges)
    assert gone == [], f"no longer in a cycle, take them off KNOWN_CYCLE_EDGES: {gone}"


def test_the_check_sees_a_cycle_and_a_private_import():
    assert _components({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    assert _components({"a": {"b"}, "b": set()}) == []
