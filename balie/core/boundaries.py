"""The imports between Balie's apps, read from the source with ``ast`` (nothing is imported).

Used by the boundaries test (``core/tests/test_boundaries.py``: no private name crosses an app
border, no new import cycle) and by ``balie architecture``, which draws the app graph of
``docs/architecture.md``. Imports inside functions count as much as those at the top of a module:
they only hide a cycle from Python, not from a reader. Tests and migrations are left out.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]  # the balie package
APPS = sorted(path.name for path in ROOT.iterdir() if path.is_dir() and (path / "apps.py").exists())

# The apps from the bottom up: each imports only apps before it. A lower app that must react to a
# higher one defines a signal or a registry that the higher app fills from its AppConfig.ready().
LAYERS = [
    "core",
    "firms",
    "notifications",
    "audit",
    "accounts",
    "twostep",
    "clients",
    "todos",
    "dossiers",
    "messaging",
    "approvals",
    "signing",
    "home",
]


class Import(NamedTuple):
    app: str  # the importing app
    path: Path  # the importing file
    target: str  # the imported app
    module: str  # what is imported, dotted ("balie.clients.selectors.client_list_for_user")
    name: str | None  # the imported name of ``from ... import name``, else None


def modules() -> Iterator[Path]:
    """Every module of the balie package, less tests and migrations."""
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if "migrations" in parts or "tests" in parts:
            continue
        yield path


def sources() -> Iterator[tuple[str, Path]]:
    """(app, path) for every module of an app, less its tests and migrations."""
    for path in modules():
        parts = path.relative_to(ROOT).parts
        if len(parts) >= 2 and parts[0] in APPS:
            yield parts[0], path


def imports() -> Iterator[Import]:
    """Every import of another balie app."""
    for app, path in sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("balie."):
                target = node.module.split(".")[1]
                if target != app and target in APPS:
                    for alias in node.names:
                        yield Import(app, path, target, f"{node.module}.{alias.name}", alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("balie."):
                        target = alias.name.split(".")[1]
                        if target != app and target in APPS:
                            yield Import(app, path, target, alias.name, None)


def upward_imports(found: Iterable[Import] | None = None) -> list[Import]:
    """The imports of an app above the importing one in ``LAYERS`` (all of them when not given)."""
    rank = {app: place for place, app in enumerate(LAYERS)}
    return [one for one in (imports() if found is None else found) if rank[one.target] > rank[one.app]]


def app_edges() -> dict[str, set[str]]:
    """App -> the apps it imports."""
    edges: dict[str, set[str]] = defaultdict(set)
    for found in imports():
        edges[found.app].add(found.target)
    return edges


def components(edges: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components with more than one app (Tarjan, recursive over a small graph)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

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


def cycle_edges(edges: dict[str, set[str]] | None = None) -> set[tuple[str, str]]:
    """The (importing app, imported app) edges that lie inside an import cycle."""
    edges = app_edges() if edges is None else edges
    inside = set()
    for component in components(edges):
        inside |= {(app, target) for app in component for target in edges.get(app, ()) if target in component}
    return inside


def mermaid(edges: dict[str, set[str]] | None = None) -> str:
    """The app graph as a Mermaid flowchart: an arrow from each app to each app it imports; an edge
    inside an import cycle is dotted (those are to be taken away, see the boundaries test)."""
    edges = app_edges() if edges is None else edges
    in_cycle = cycle_edges(edges)
    lines = [
        "flowchart TD",
        "    %% generated by `balie architecture`: A --> B means A imports B; dotted: inside an import cycle",
    ]
    lines += [f"    {app}" for app in APPS if not edges.get(app) and not any(app in t for t in edges.values())]
    for app in sorted(edges):
        for target in sorted(edges[app]):
            arrow = "-.->" if (app, target) in in_cycle else "-->"
            lines.append(f"    {app} {arrow} {target}")
    return "\n".join(lines) + "\n"
