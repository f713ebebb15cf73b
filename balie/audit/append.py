"""Appending an event to its chain in one statement, on PostgreSQL.

A page that records what someone did pays for it on every request, so on PostgreSQL an event costs
one round trip to the database: one statement locks the chain's head (``FOR UPDATE``), takes the
next number and the hash of the event before it, looks up whether the actor works at the firm
(staff or user), computes the new hash with the database's
``sha256()``, moves the head on and inserts the event. Python prepares the canonical text without
the three values it looks up (``chain.canonical_pieces``); the database puts them in
between, so the text it hashes is the one ``chain.canonical`` gives for the stored event and
``verify`` (and the offline ``docs/audit-verify.py``) check it unchanged. The canonical text is
ASCII, so its UTF-8 bytes are the same on both sides; the kind is a plain word, the hash 64 hex
digits and the number is written by ``::text`` (digits only): none needs escaping. The time is Python's, as on SQLite
(taken just before the statement rather than under the lock: an event that waited for the lock
may carry a time a little before the one ahead of it in the chain; the chain's order is ``seq``).

The statement is atomic on its own: inside the caller's transaction the event and the head's new
position commit or roll back with it; outside one it commits at once. The first event of a chain
finds no head: the head is made (``ON CONFLICT DO NOTHING``, as two first events may race) and the
statement runs again.
"""

from __future__ import annotations

import functools
from typing import Any

from django.db import connections, router
from django.db.models import Field

from balie.audit import chain
from balie.audit.models import ActorKind, AuditEvent, ChainHead
from balie.firms.models import StaffMember

# The event's own values, in the order of the statement's parameters (the slots come from the head).
VALUES = (
    "firm",
    "environment_id",
    "actor_user",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "ip_address",
    "user_agent",
    "request_id",
    "details",
    "at",
)


def _field(name: str) -> Field:
    field = AuditEvent._meta.get_field(name)
    assert isinstance(field, Field)
    return field


def _column(connection: Any, name: str) -> str:
    column = _field(name).column
    assert column is not None
    return connection.ops.quote_name(column)


@functools.cache
def _statement(alias: str) -> str:
    connection = connections[alias]
    event_table = connection.ops.quote_name(AuditEvent._meta.db_table)
    staff_table = connection.ops.quote_name(StaffMember._meta.db_table)
    staff_user = connection.ops.quote_name(StaffMember._meta.get_field("user").column)
    staff_firm = connection.ops.quote_name(StaffMember._meta.get_field("firm").column)
    head_table = connection.ops.quote_name(ChainHead._meta.db_table)
    fields = [_field(name) for name in VALUES]
    columns = [_column(connection, name) for name in VALUES]
    casts = [f"%s::{field.db_type(connection)}" for field in fields]
    own = {name: _column(connection, name) for name in (*chain.SLOTS, "hash")}
    return f"""
WITH old AS (
    SELECT id, last_seq, last_hash FROM {head_table} WHERE key = %s FOR UPDATE
), slot AS MATERIALIZED (
    SELECT id, last_seq + 1 AS seq, last_hash AS prev_hash, COALESCE(%s::text, CASE WHEN EXISTS (
        SELECT 1 FROM {staff_table} WHERE {staff_user} = %s AND {staff_firm} = %s
    ) THEN %s ELSE %s END) AS actor_kind FROM old
), hashed AS MATERIALIZED (
    SELECT slot.id, slot.seq, slot.prev_hash, slot.actor_kind, encode(sha256(convert_to(
        %s || slot.actor_kind || %s || slot.prev_hash || %s || slot.seq::text || %s, 'UTF8'
    )), 'hex') AS hash
    FROM slot
), moved AS (
    UPDATE {head_table} AS head SET last_seq = hashed.seq, last_hash = hashed.hash
    FROM hashed WHERE head.id = hashed.id
)
INSERT INTO {event_table} ({", ".join(columns)}, {own["actor_kind"]}, {own["seq"]}, {own["prev_hash"]}, {own["hash"]})
SELECT {", ".join(casts)}, hashed.actor_kind, hashed.seq, hashed.prev_hash, hashed.hash FROM hashed
RETURNING id, {own["actor_kind"]}, {own["seq"]}, {own["prev_hash"]}, {own["hash"]}
"""  # noqa: S608 (names from the models; values are parameters)


def append(event: AuditEvent, *, key: str, firm_public_id: str) -> AuditEvent:
    """Inserts ``event`` (its own values and time set; number and hashes not yet) at the end of the
    chain ``key`` in one statement, and sets its id, number and hashes. PostgreSQL only.

    An ``actor_kind`` of None is decided in the same statement: staff when the acting user works at
    the event's firm, else user (what ``services`` decides from ``user.staff_member`` on SQLite)."""
    alias = router.db_for_write(AuditEvent)
    connection = connections[alias]
    pieces = chain.canonical_pieces(chain.own_fields(event, firm_public_id=firm_public_id))
    values = [_field(name).get_db_prep_save(_value(event, name), connection) for name in VALUES]
    statement = _statement(alias)
    kind = [event.actor_kind or None, event.actor_user_id, event.firm_id, ActorKind.STAFF.value, ActorKind.USER.value]
    with connection.cursor() as cursor:
        cursor.execute(statement, [key, *kind, *pieces, *values])
        row = cursor.fetchone()
        if row is None:  # the chain's first event: make its head, then append
            ChainHead.objects.using(alias).bulk_create(
                [ChainHead(key=key, firm_id=event.firm_id, last_seq=0, last_hash=chain.GENESIS)], ignore_conflicts=True
            )
            cursor.execute(statement, [key, *kind, *pieces, *values])
            row = cursor.fetchone()
    event.pk, event.actor_kind, event.seq, event.prev_hash, event.hash = row
    event._state.adding = False
    event._state.db = alias
    return event


def _value(event: AuditEvent, name: str) -> Any:
    return getattr(event, _field(name).attname)
