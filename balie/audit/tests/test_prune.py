"""Retention: events past the firm's period go by whole days up to a checkpoint, the removal is
itself recorded, and verification goes on from the checkpoint. Nothing else may delete events."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.utils import timezone

from balie.audit import checkpoints, hooks, prune
from balie.audit.models import AuditEvent
from balie.audit.services import record
from balie.audit.verify import verify_chain

pytestmark = pytest.mark.django_db

LATER = datetime.timedelta(days=8 * 366)  # past the default seven years


@pytest.fixture(autouse=True)
def unsealed():
    kept = hooks.checkpoint_sealer()
    hooks._CHECKPOINT_SEALER.clear()
    yield
    if kept is not None:
        hooks.register_checkpoint_sealer(kept)


@pytest.fixture
def old_day(personas):
    """Three events, a checkpoint after them (their day is over), then two more events."""
    for number in range(3):
        record("document.viewed", firm=personas.firm, actor=personas.client_user, details={"n": number})
    checkpoints.write_checkpoints(now=timezone.now() + datetime.timedelta(days=1))
    for number in range(2):
        record("document.viewed", firm=personas.firm, actor=personas.client_user, details={"n": 10 + number})


def seqs(firm) -> list[int]:
    return list(AuditEvent.objects.filter(firm=firm).order_by("seq").values_list("seq", flat=True))


def test_nothing_is_pruned_within_the_retention(old_day, personas):
    assert prune.prune_firm(personas.firm) is None
    assert seqs(personas.firm) == [1, 2, 3, 4, 5]


def test_old_days_are_pruned_up_to_the_checkpoint_and_recorded(old_day, personas):
    pruned = prune.prune_firm(personas.firm, now=timezone.now() + LATER)
    assert (pruned.first_seq, pruned.last_seq, pruned.events) == (1, 3, 3)
    assert seqs(personas.firm) == [4, 5, 6]
    event = AuditEvent.objects.get(firm=personas.firm, seq=6)
    assert event.action == "audit.pruned"
    assert event.details["first_seq"] == 1 and event.details["last_seq"] == 3 and event.details["events"] == 3
    assert event.details["last_day"] == timezone.localdate().isoformat()
    outcome = verify_chain(personas.firm)
    assert (outcome.broken, outcome.events) == (None, 3)


def test_a_longer_retention_keeps_the_events(old_day, personas):
    personas.firm.audit_retention_years = 10
    personas.firm.save(update_fields=["audit_retention_years"])
    assert prune.prune_firm(personas.firm, now=timezone.now() + LATER) is None


def test_a_dry_run_removes_nothing(old_day, personas):
    out = StringIO()
    call_command("audit", "prune", "--dry-run", stdout=out)
    assert "Nothing to remove." in out.getvalue()
    assert prune.prune_firm(personas.firm, now=timezone.now() + LATER, dry_run=True).events == 3
    assert seqs(personas.firm) == [1, 2, 3, 4, 5]


def test_the_command_prunes_one_firm(old_day, personas):
    out = StringIO()
    call_command("audit", "prune", "--firm", "van-dijk", stdout=out)
    assert "Nothing to remove." in out.getvalue()


def test_events_removed_without_a_record_are_reported(old_day, personas):
    rows = AuditEvent.objects.filter(firm=personas.firm, seq__lte=3)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL balie.audit_prune = 'on'")
        rows._raw_delete(rows.db)  # as a database administrator could
    outcome = verify_chain(personas.firm)
    assert outcome.broken is not None and (outcome.broken.reason, outcome.broken.seq) == ("pruned", 4)


def test_events_removed_without_a_checkpoint_are_reported_missing(personas):
    for number in range(3):
        record("document.viewed", firm=personas.firm, details={"n": number})
    rows = AuditEvent.objects.filter(firm=personas.firm, seq=1)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    rows._raw_delete(rows.db)
    outcome = verify_chain(personas.firm)
    assert outcome.broken is not None and (outcome.broken.reason, outcome.broken.seq) == ("missing", 1)


def test_the_models_still_refuse_to_delete(old_day, personas):
    with pytest.raises(ValueError):
        AuditEvent.objects.filter(firm=personas.firm).delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_the_trigger_allows_only_the_prune_path(old_day, personas):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE firm_id = %s AND seq = 1", [personas.firm.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL balie.audit_prune = 'on'")  # allowed only up to the checkpoint
        cursor.execute("DELETE FROM audit_auditevent WHERE firm_id = %s AND seq = 4", [personas.firm.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL balie.audit_prune = 'on'")
        cursor.execute("UPDATE audit_auditevent SET action = 'x' WHERE firm_id = %s AND seq = 1", [personas.firm.pk])
    assert prune.prune_firm(personas.firm, now=timezone.now() + LATER) is not None
