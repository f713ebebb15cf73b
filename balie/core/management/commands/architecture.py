"""``balie architecture``: the app import graph of ``docs/architecture.md``, drawn from the code."""

from __future__ import annotations

import re

from django.core.management.base import BaseCommand, CommandError

from balie.core.boundaries import ROOT, mermaid

DOC = ROOT.parent / "docs" / "architecture.md"
# The one Mermaid block of the document, between its fences.
BLOCK = re.compile(r"(```mermaid\n)(.*?)(```)", re.DOTALL)


def documented_graph() -> str:
    """The Mermaid block as docs/architecture.md has it now."""
    found = BLOCK.search(DOC.read_text(encoding="utf-8"))
    if found is None:
        raise CommandError(f"{DOC} has no ```mermaid block")
    return found.group(2)


class Command(BaseCommand):
    help = "Prints the graph of imports between the apps as Mermaid (--write: into docs/architecture.md)."

    def add_arguments(self, parser):
        parser.add_argument("--write", action="store_true", help="Replace the Mermaid block of docs/architecture.md.")

    def handle(self, *args, write, **options):
        graph = mermaid()
        if not write:
            self.stdout.write(graph, ending="")
            return
        documented_graph()  # fails loudly when the block is missing
        text = DOC.read_text(encoding="utf-8")
        DOC.write_text(BLOCK.sub(lambda m: m.group(1) + graph + m.group(3), text, count=1), encoding="utf-8")
        self.stdout.write(f"{DOC.relative_to(ROOT.parent)}: graph written")
