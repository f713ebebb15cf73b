"""The canonical form of an audit event and its hash: what links the events of one chain.

Every firm has its own chain (events without a firm, such as a failed sign-in of an unknown
address, form the operator's chain). Each event stores the hash of the event before it in its
chain (``prev_hash``; the first event of a chain has ``GENESIS``) and its own ``hash``:

    hash = sha256(canonical(fields)).hexdigest()

``fields`` is the event as a flat JSON object with these keys, every value a string except
``details``, which is the event's JSON object as stored:

    firm         the firm's public id ("" for the operator's chain)
    seq          the event's number in its chain, from 1 ("1", "2", ...)
    at           the time in UTC, ISO 8601 with microseconds ("2026-12-07T22:01:25.123456+00:00")
    environment  the environment's public id, or ""
    actor_kind   user, staff, api_key, system, operator or anonymous
    actor_user   the acting user's id, or ""
    actor_name   the actor's name when the event was written
    action       the dotted action ("document.viewed")
    object_type  "app.model" of the object, or ""
    object_id    the object's public id, or ""
    ip_address   the client's address as stored, or ""
    user_agent   the browser's user agent (cut to 300 characters), or ""
    request_id   the request's id (32 hex digits), or ""
    details      a JSON object (old → new for changes)
    prev_hash    the hash of the event before it

``canonical`` is that object as JSON with its keys sorted (at every depth), no spaces (``,`` and
``:`` as separators), non-ASCII characters escaped (``\\u00e9``), encoded as UTF-8. The JSON Lines
export writes exactly these keys plus ``hash`` (and ``id``, which is not hashed), so
``docs/audit-verify.py`` can check an export with Python's standard library alone.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from typing import Any

GENESIS = "0" * 64
HASHED = (
    "firm",
    "seq",
    "at",
    "environment",
    "actor_kind",
    "actor_user",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "ip_address",
    "user_agent",
    "request_id",
    "details",
    "prev_hash",
)


def moment(at: datetime.datetime) -> str:
    """An aware time as the canonical form writes it: UTC, with microseconds."""
    if at.tzinfo is None:
        raise ValueError("An audit event's time is aware.")
    return at.astimezone(datetime.UTC).isoformat(timespec="microseconds")


def canonical(fields: dict[str, Any]) -> bytes:
    return json.dumps(
        {key: fields[key] for key in HASHED}, sort_keys=True, separators=(",", ":"), ensure_ascii=True
    ).encode("utf-8")


def digest(fields: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(fields)).hexdigest()


# The fields the database fills in when it appends an event in one statement (PostgreSQL): the
# place in the chain, known once the chain's head is locked, and whether the actor works at the
# firm. Their values never need escaping in JSON (a word of ``ActorKind``, 64 hex digits, an
# integer), so the canonical text is the pieces around them with the values put in between, each
# in quotes.
SLOTS = ("actor_kind", "prev_hash", "seq")


def canonical_pieces(fields: dict[str, Any]) -> list[str]:
    """The canonical text of ``fields`` without the values of ``SLOTS``, as the texts around them in
    the order of the sorted keys: ``pieces[0] + actor_kind + pieces[1] + prev_hash + pieces[2] + seq
    + pieces[3]`` is ``canonical(fields)`` (ASCII). ``fields`` need not have the keys of ``SLOTS``."""
    pieces: list[str] = []
    current = "{"
    for number, key in enumerate(sorted(HASHED)):
        if number:
            current += ","
        current += json.dumps(key) + ":"
        if key in SLOTS:
            pieces.append(current + '"')
            current = '"'
        else:
            current += json.dumps(fields[key], sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    pieces.append(current + "}")
    return pieces


def fill(pieces: list[str], *, actor_kind: str, prev_hash: str, seq: int) -> bytes:
    """The canonical text from ``canonical_pieces`` and the slots' values, as the database makes it."""
    values = {"actor_kind": actor_kind, "prev_hash": prev_hash, "seq": str(seq)}
    text = pieces[0]
    for piece, key in zip(pieces[1:], sorted(SLOTS), strict=True):
        text += values[key] + piece
    return text.encode("utf-8")


def fields_of(event: Any, *, firm_public_id: str) -> dict[str, Any]:
    """The hashed fields of a stored event (``AuditEvent``), as the canonical form has them."""
    return {
        **own_fields(event, firm_public_id=firm_public_id),
        "actor_kind": event.actor_kind,
        "seq": str(event.seq),
        "prev_hash": event.prev_hash,
    }


def own_fields(event: Any, *, firm_public_id: str) -> dict[str, Any]:
    """The hashed fields of an event but its place in the chain (``SLOTS``): what it is on its own."""
    return {
        "firm": firm_public_id,
        "at": moment(event.at),
        "environment": str(event.environment_id or ""),
        "actor_user": "" if event.actor_user_id is None else str(event.actor_user_id),
        "actor_name": event.actor_name,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "ip_address": event.ip_address or "",
        "user_agent": event.user_agent,
        "request_id": event.request_id,
        "details": event.details,
    }
