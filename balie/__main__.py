"""The ``balie`` command: the project's manage.py, plus ``balie demo``.

A command may be written with hyphens: ``balie verify-pdf`` runs the ``verify_pdf`` command.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "balie.settings")
    from django.core.management import execute_from_command_line

    arguments = sys.argv[1:]
    named = 1 if arguments[:1] == ["help"] else 0  # the command, or the one ``balie help`` explains
    if len(arguments) > named and not arguments[named].startswith("-"):
        arguments[named] = arguments[named].replace("-", "_")
    execute_from_command_line(["balie", *arguments])


if __name__ == "__main__":
    main()
