"""``balie audit verify`` finds an edited, a deleted and a moved event at the right place. The
events are tampered with in plain SQL, around the models' guards (on PostgreSQL with triggers
switched off inside the test's transaction, as a database superuser could)."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from balie.audit import chain
from balie.audit.models import AuditEvent
from balie.audit.services import record
from balie.audit.verify import verify_chain

pytestmark = pytest.mark.django_db


def tamper(statement: str, *params) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # a superuser's way around every trigger
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(statement, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")


@pytest.fixture
def events(personas):
    """Four events of firm A (seq 1-4), one of firm B."""
    found = [
        record("document.viewed", firm=personas.firm, actor=personas.client_user, details={"n": number})
        for number in range(1, 5)
    ]
    record("document.viewed", firm=personas.other_firm, actor=personas.outsider)
    return found


def verify(*arguments) -> tuple[str, int]:
    out = StringIO()
    try:
        call_command("audit", "verify", *arguments, stdout=out)
    except CommandError as error:
        return out.getvalue() + str(error), error.returncode
    return out.getvalue(), 0


def test_intact_chains_verify(events, personas):
    outcome = verify_chain(personas.firm)
    assert (outcome.events, outcome.broken) == (4, None)
    output, status = verify()
    assert status == 0
    assert "van-dijk: 4 events, intact" in output and "hoekstra: 1 events, intact" in output


def test_an_edited_event_is_reported_at_its_place(events, personas):
    tamper("UPDATE audit_auditevent SET details = %s WHERE id = %s", '{"n": 20}', events[1].pk)
    broken = verify_chain(personas.firm).broken
    assert (broken.reason, broken.seq, broken.event_id) == ("changed", 2, events[1].pk)
    assert verify_chain(personas.other_firm).broken is None  # the other firm's chain is its own


def test_an_edited_event_with_a_new_hash_breaks_the_link_of_the_next_one(events, personas):
    edited = AuditEvent.objects.get(pk=events[1].pk)
    edited.actor_name = "Iemand anders"
    new_hash = chain.digest(chain.fields_of(edited, firm_public_id=str(personas.firm.public_id)))
    tamper(
        "UPDATE audit_auditevent SET actor_name = %s, hash = %s WHERE id = %s", edited.actor_name, new_hash, edited.pk
    )
    broken = verify_chain(personas.firm).broken
    assert (broken.reason, broken.seq, broken.event_id) == ("link", 3, events[2].pk)


def test_a_deleted_event_is_reported_where_it_is_missing(events, personas):
    tamper("DELETE FROM audit_auditevent WHERE id = %s", events[1].pk)
    outcome = verify_chain(personas.firm)
    assert (outcome.broken.reason, outcome.broken.seq, outcome.broken.event_id) == ("missing", 2, None)
    assert outcome.events == 1


def test_a_deleted_and_renumbered_event_breaks_the_link(events, personas):
    tamper("DELETE FROM audit_auditevent WHERE id = %s", events[1].pk)
    for event in events[2:]:
        tamper("UPDATE audit_auditevent SET seq = seq - 1 WHERE id = %s", event.pk)
    broken = verify_chain(personas.firm).broken
    assert (broken.reason, broken.seq, broken.event_id) == ("moved", 2, events[2].pk)


def test_a_reordered_pair_is_reported_at_the_first_of_them(events, personas):
    second, third = events[1], events[2]
    tamper("UPDATE audit_auditevent SET seq = 0 WHERE id = %s", second.pk)
    tamper("UPDATE audit_auditevent SET seq = 2 WHERE id = %s", third.pk)
    tamper("UPDATE audit_auditevent SET seq = 3 WHERE id = %s", second.pk)
    broken = verify_chain(personas.firm).broken
    assert (broken.reason, broken.seq, broken.event_id) == ("moved", 2, third.pk)


def test_deleting_the_last_events_is_found_by_the_chains_head(events, personas):
    tamper("DELETE FROM audit_auditevent WHERE id IN (%s, %s)", events[2].pk, events[3].pk)
    outcome = verify_chain(personas.firm)
    assert (outcome.events, outcome.broken.reason, outcome.broken.seq) == (2, "end", 3)


def test_the_command_fails_on_a_broken_chain_and_names_the_place(events, personas):
    tamper("UPDATE audit_auditevent SET action = %s WHERE id = %s", "document.downloaded", events[2].pk)
    output, status = verify()
    assert status == 1
    assert f"van-dijk: BROKEN at event 3: event 3 (id {events[2].pk}) was changed" in output
    assert "hoekstra: 1 events, intact" in output
    assert verify("--firm", "hoekstra")[1] == 0
    assert verify("--firm", str(personas.firm.public_id))[1] == 1


def test_the_operators_chain_is_verified_too(db):
    record("auth.signin_failed", firm=None)
    output, status = verify()
    assert (output.strip(), status) == ("operator: 1 events, intact", 0)


def test_an_unknown_firm_is_an_error(db):
    with pytest.raises(CommandError, match="No firm"):
        call_command("audit", "verify", "--firm", "nobody")
