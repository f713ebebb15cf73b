"""A firm's events for an auditor, with the chain's hashes: JSON Lines (verifiable offline with
``docs/audit-verify.py``) or CSV (for a spreadsheet). Both stream: rows are read in chunks and
written one by one, so a period of millions of events needs little memory.

A JSON line is the event's hashed fields (``balie.audit.chain``) plus ``hash`` and ``id``. A CSV
row has the same columns, ``details`` as compact JSON; a cell a spreadsheet would take for a formula
(starting with ``=``, ``+``, ``-``, ``@``) starts with an apostrophe there, so CSV is for reading and
JSON Lines for verifying.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from balie.audit import chain
from balie.audit.models import AuditEvent

COLUMNS = ("id", *chain.HASHED, "hash")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def rows(
    firm: Any, *, since: datetime.datetime | None = None, until: datetime.datetime | None = None
) -> Iterator[dict[str, Any]]:
    """The events of ``firm``'s chain (None: the operator's) from ``since`` up to ``until`` (not
    included), in the chain's order, each as its hashed fields plus ``id`` and ``hash``."""
    events = AuditEvent.objects.filter(firm__isnull=True) if firm is None else AuditEvent.objects.filter(firm=firm)
    if since is not None:
        events = events.filter(at__gte=since)
    if until is not None:
        events = events.filter(at__lt=until)
    return rows_of(events, firm=firm)


def rows_of(events: QuerySet[AuditEvent], *, firm: Any) -> Iterator[dict[str, Any]]:
    """``events`` (all of ``firm``'s chain, or a selection of it) in the chain's order, as ``rows``."""
    firm_public_id = "" if firm is None else str(firm.public_id)
    for event in events.order_by("seq").iterator(chunk_size=2000):
        yield {"id": event.pk, **chain.fields_of(event, firm_public_id=firm_public_id), "hash": event.hash}


def jsonl(found: Iterator[dict[str, Any]]) -> Iterator[str]:
    for row in found:
        yield json.dumps(row, sort_keys=True, ensure_ascii=True) + "\n"


def _cell(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":")) if isinstance(value, dict) else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_lines(found: Iterator[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for row in found:
        writer.writerow([_cell(row[column]) for column in COLUMNS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()  # only the header when there were no rows
