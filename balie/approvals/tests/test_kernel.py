"""The request kernel's boundary: every kind is plugged in, approvals never reaches into signing,
and signing uses the kernel's public names only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from balie.approvals import kernel
from balie.approvals.models import Kind

ROOT = Path(__file__).resolve().parents[2]


def _modules(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        yield path, ast.parse(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("kind", Kind.values)
def test_every_kind_of_request_is_registered_with_the_kernel(kind):
    hooks = kernel.hooks_for(kind)
    assert callable(hooks.open)


def test_the_sign_kind_brings_what_the_pages_and_the_certificate_ask_of_it():
    hooks = kernel.hooks_for(Kind.SIGN)
    assert hooks.restart and hooks.publish and hooks.evidence and hooks.staff_context and hooks.annotate_list
    assert kernel.participants_limit(Kind.SIGN) == 8
    assert kernel.participants_limit(Kind.APPROVE) is None


def test_an_unknown_kind_is_refused_clearly():
    with pytest.raises(LookupError, match="register_kind"):
        kernel.hooks_for("questionnaire")


def test_approvals_does_not_import_signing():
    found = []
    for path, tree in _modules("approvals"):
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            found += [f"{path.name}: {name}" for name in names if name.startswith("balie.signing")]
    assert found == []


def test_signing_uses_no_private_name_of_approvals():
    found = []
    for path, tree in _modules("signing"):
        modules = {}  # local name -> approvals module imported under it
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("balie.approvals"):
                for alias in node.names:
                    if alias.name.startswith("_"):
                        found.append(f"{path.name}: {node.module}.{alias.name}")
                    modules[alias.asname or alias.name] = node.module
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in modules
                and node.attr.startswith("_")
            ):
                found.append(f"{path.name}: {node.value.id}.{node.attr}")
    assert found == []
