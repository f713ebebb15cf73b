"""The ``balie`` command: the project's manage.py, plus ``balie demo``."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "balie.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["balie", *sys.argv[1:]])


if __name__ == "__main__":
    main()
