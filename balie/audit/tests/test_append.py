"""Appending an event in one statement (PostgreSQL): one query per event, and the database hashes
exactly the canonical text that Python checks, whatever the names and details hold."""

import datetime
import hashlib
import random

import pytest
from django.db import connection, transaction

from balie.accounts.factories import UserFactory
from balie.audit import chain
from balie.audit.models import AuditEvent, ChainHead
from balie.audit.services import record
from balie.audit.verify import verify_chain
from balie.core.testing import skip_unless_postgresql

pytestmark = pytest.mark.django_db

# Texts that need escaping in JSON, or are not ASCII, or look like the canonical form itself.
AWKWARD = [
    "Zoë",
    "O'Brien",
    'say "hi"',
    "back\\slash",
    "two\nlines\r\ttab",
    "emoji 😀🇳🇱",
    "",
    "\u0001\u001f",
    '","seq":"1',
    "prev_hash",
    "日本語",
    "%s %% {}",
]


def character(rng: random.Random) -> str:
    """Any character but a surrogate (not text) or NUL (which PostgreSQL does not store)."""
    code = rng.randrange(0x1, 0x2FFFF)
    return chr(code) if not 0xD800 <= code < 0xE000 else "\ufffd"


def awkward_details(rng: random.Random) -> dict:
    def value(depth: int):
        kind = rng.randrange(6 if depth < 2 else 4)
        if kind == 0:
            return rng.choice(AWKWARD)
        if kind == 1:
            return rng.choice([0, -1, 2**53, 1.5, True, False, None])
        if kind == 2:
            return "".join(rng.choice(AWKWARD) for _ in range(3))
        if kind == 3:
            return character(rng) if rng.random() < 0.5 else rng.choice(AWKWARD)
        if kind == 4:
            return [value(depth + 1) for _ in range(rng.randrange(3))]
        return {rng.choice(AWKWARD) + str(i): value(depth + 1) for i in range(rng.randrange(3))}

    return {f"{rng.choice(AWKWARD)}_{i}": value(0) for i in range(rng.randrange(1, 4))}


def fields(rng: random.Random) -> dict:
    return {
        "firm": "2b1f7d1e-1111-4c3a-9f00-000000000001",
        "seq": str(rng.randrange(1, 10**12)),
        "at": chain.moment(
            datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(seconds=rng.random())
        ),
        "environment": "",
        "actor_kind": rng.choice(["user", "staff", "api_key", "system", "operator", "anonymous"]),
        "actor_user": "7",
        "actor_name": rng.choice(AWKWARD) + rng.choice(AWKWARD),
        "action": "document.viewed",
        "object_type": "dossiers.document",
        "object_id": rng.choice(AWKWARD),
        "ip_address": "::1",
        "user_agent": rng.choice(AWKWARD),
        "request_id": "",
        "details": awkward_details(rng),
        "prev_hash": hashlib.sha256(str(rng.random()).encode()).hexdigest(),
    }


def test_the_pieces_with_the_slots_filled_in_are_the_canonical_text():
    rng = random.Random(18)
    for _ in range(500):
        event = fields(rng)
        pieces = chain.canonical_pieces(event)
        assert len(pieces) == len(chain.SLOTS) + 1
        assert all(piece.isascii() for piece in pieces)
        filled = chain.fill(pieces, actor_kind=event["actor_kind"], prev_hash=event["prev_hash"], seq=int(event["seq"]))
        assert filled == chain.canonical(event)


def test_the_database_hashes_the_bytes_python_hashes():
    skip_unless_postgresql()
    rng = random.Random(3)
    with connection.cursor() as cursor:
        for _ in range(100):
            event = fields(rng)
            pieces = chain.canonical_pieces(event)
            cursor.execute(
                "SELECT encode(sha256(convert_to("
                "%s || %s || %s || %s || %s || %s::bigint::text || %s, 'UTF8')), 'hex')",
                [
                    pieces[0],
                    event["actor_kind"],
                    pieces[1],
                    event["prev_hash"],
                    pieces[2],
                    int(event["seq"]),
                    pieces[3],
                ],
            )
            assert cursor.fetchone()[0] == chain.digest(event)


def test_an_event_is_one_query(personas, django_assert_num_queries):
    skip_unless_postgresql()
    record("document.viewed", firm=personas.firm)  # the chain's head exists from now on
    actor = type(personas.client_user).objects.get(pk=personas.client_user.pk)  # as a request loads it
    with django_assert_num_queries(1):  # whether the actor works at the firm is decided in the statement too
        event = record(
            "document.viewed",
            firm=personas.firm,
            actor=actor,
            environment=personas.company,
            obj=personas.company,
            details={"title": ["Jaarrekening", "Jaarrekening 2025"]},
        )
    with transaction.atomic(), django_assert_num_queries(1):  # inside the caller's transaction: no savepoint
        record("document.downloaded", firm=personas.firm, obj=personas.company)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (event.seq, event.at, event.prev_hash, event.hash) == (stored.seq, stored.at, stored.prev_hash, stored.hash)
    assert (event.seq, event.actor_kind, stored.actor_kind) == (2, "user", "user") and not event._state.adding
    staff = type(personas.staff.user).objects.get(pk=personas.staff.user.pk)
    outsider = type(personas.outsider_staff.user).objects.get(pk=personas.outsider_staff.user.pk)
    with django_assert_num_queries(2):
        as_staff = record("document.viewed", firm=personas.firm, actor=staff)
        as_outsider = record("document.viewed", firm=personas.firm, actor=outsider)
    assert (as_staff.actor_kind, as_outsider.actor_kind) == ("staff", "user")
    assert AuditEvent.objects.get(pk=as_staff.pk).actor_kind == "staff"
    assert verify_chain(personas.firm).broken is None


def test_the_first_event_of_a_chain_makes_its_head(personas, django_assert_num_queries):
    skip_unless_postgresql()
    with django_assert_num_queries(3):  # no head: make it, then append
        first = record("document.viewed", firm=personas.firm)
    assert (first.seq, first.prev_hash) == (1, chain.GENESIS)
    head = ChainHead.objects.get(firm=personas.firm)
    assert (head.key, head.last_seq, head.last_hash) == (str(personas.firm.pk), 1, first.hash)


def test_a_long_chain_of_awkward_events_verifies(personas):
    rng = random.Random(42)
    actors = [
        UserFactory(email=f"persoon{number}@firm-a.test", first_name=rng.choice(AWKWARD), last_name=name)
        for number, name in enumerate(AWKWARD)
    ]
    written = []
    for number in range(300):
        written.append(
            record(
                "settings.changed",
                firm=personas.firm,
                actor=rng.choice(actors),
                environment=personas.company if number % 2 else None,
                obj=personas.company,
                details=awkward_details(rng),
            )
        )
    assert [event.seq for event in written] == list(range(1, 301))
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(written, written[1:], strict=False))
    for event in AuditEvent.objects.filter(firm=personas.firm):
        assert event.hash == chain.digest(chain.fields_of(event, firm_public_id=str(personas.firm.public_id)))
    outcome = verify_chain(personas.firm)
    assert (outcome.events, outcome.broken) == (300, None)
    head = ChainHead.objects.get(firm=personas.firm)
    assert (head.last_seq, head.last_hash) == (300, written[-1].hash)
