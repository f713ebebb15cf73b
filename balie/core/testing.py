"""Small helpers for tests."""

import time
from collections import Counter
from datetime import timedelta
from html.parser import HTMLParser


def later(**delta) -> float:
    """A moment from now as a Unix timestamp, for ``time_machine.travel``.

    A timestamp rather than an aware datetime: travelling to an aware datetime also switches the
    process's time zone, which would shift naive clocks (such as password-reset tokens) by the UTC offset.
    """
    return time.time() + timedelta(**delta).total_seconds()


def race(target, arguments) -> list[str]:
    """Calls ``target(argument)`` for every argument at the same moment, each in its own thread and
    database connection. Returns the sorted outcomes: "ok", or the code of the ValidationError raised.
    """
    import threading

    from django.core.exceptions import ValidationError
    from django.db import connection

    barrier = threading.Barrier(len(arguments))
    outcomes: list[str] = []

    def run(argument):
        try:
            barrier.wait()
            target(argument)
            outcomes.append("ok")
        except ValidationError as error:
            outcomes.append(getattr(error, "code", None) or "invalid")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(argument,)) for argument in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


def skip_unless_postgresql() -> None:
    import pytest
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("concurrency test: needs PostgreSQL (SQLite serialises all writers anyway)")


class _IdsAndLabels(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: list[str] = []
        self.label_targets: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("id") is not None:
            self.ids.append(attributes["id"])
        if tag == "label" and attributes.get("for") is not None:
            self.label_targets.append(attributes["for"])


def duplicate_ids(html: str) -> list[str]:
    """The ids that occur more than once in a page (an id must be unique: labels, aria and scripts
    find the first one only). ``<template>`` contents count too, as they are in the page's text."""
    parser = _IdsAndLabels()
    parser.feed(html)
    return sorted(value for value, count in Counter(parser.ids).items() if count > 1)


def labels_without_target(html: str) -> list[str]:
    """The ``for`` values of labels that point at no element of the page."""
    parser = _IdsAndLabels()
    parser.feed(html)
    return sorted(set(parser.label_targets) - set(parser.ids))
