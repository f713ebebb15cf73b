"""docs/architecture.md draws the apps' imports from the code, so the map cannot drift from it."""

from io import StringIO

import pytest
from django.core.management import call_command

from balie.core.boundaries import mermaid
from balie.core.management.commands.architecture import documented_graph

pytestmark = pytest.mark.once


def test_the_documented_graph_is_the_one_the_code_draws():
    assert documented_graph() == mermaid(), "the imports changed: run `uv run balie architecture --write`"


def test_the_command_prints_the_graph():
    out = StringIO()
    call_command("architecture", stdout=out)
    assert out.getvalue() == mermaid()


def test_the_graph_shows_imports_and_marks_cycles():
    graph = mermaid({"home": {"clients"}, "clients": {"firms"}, "firms": {"clients"}})
    assert "    home --> clients\n" in graph
    assert "    clients -.-> firms\n" in graph
    assert "    firms -.-> clients\n" in graph
