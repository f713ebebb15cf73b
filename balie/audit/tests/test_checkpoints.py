"""Daily checkpoints: written once per firm and finished day, sealed with the firm's seal when a
sealer is there (else unsealed, and saying so), and compared by ``verify``: a chain rewritten
consistently after a checkpoint (every hash recomputed) is caught there."""

import datetime
import hashlib
import json
from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone, translation

from balie.audit import chain, checkpoints, hooks
from balie.audit.models import AuditCheckpoint, AuditEvent
from balie.audit.services import record
from balie.audit.verify import verify_chain

pytestmark = pytest.mark.django_db

TOMORROW = datetime.timedelta(days=1)


def tamper(statement: str, *params) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # a superuser's way around every trigger
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(statement, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")


@pytest.fixture
def unsealed():
    """No sealer registered (as without the signing app)."""
    kept = hooks.checkpoint_sealer()
    hooks._CHECKPOINT_SEALER.clear()
    yield
    if kept is not None:
        hooks.register_checkpoint_sealer(kept)


@pytest.fixture
def events(personas):
    return [
        record("document.viewed", firm=personas.firm, actor=personas.client_user, details={"n": number})
        for number in range(1, 4)
    ]


def rewrite_consistently(firm, *, details: dict) -> None:
    """Changes the first event and recomputes every hash after it, as someone with the database
    could: the chain in itself is intact again."""
    prev_hash = chain.GENESIS
    for event in AuditEvent.objects.filter(firm=firm).order_by("seq"):
        if event.seq == 1:
            event.details = details
        event.prev_hash = prev_hash
        event.hash = chain.digest(chain.fields_of(event, firm_public_id=str(firm.public_id)))
        tamper(
            "UPDATE audit_auditevent SET details = %s, prev_hash = %s, hash = %s WHERE id = %s",
            json.dumps(event.details),
            event.prev_hash,
            event.hash,
            event.pk,
        )
        prev_hash = event.hash
    tamper("UPDATE audit_chainhead SET last_hash = %s WHERE firm_id = %s", prev_hash, firm.pk)


def test_no_checkpoint_is_written_for_a_day_that_is_not_over(events):
    assert checkpoints.write_checkpoints() == 0


def test_a_finished_day_gets_one_sealed_checkpoint(events, personas):
    assert checkpoints.write_checkpoints(now=timezone.now() + TOMORROW) == 1
    assert checkpoints.write_checkpoints(now=timezone.now() + TOMORROW) == 0  # once
    found = AuditCheckpoint.objects.get(firm=personas.firm)
    assert (found.last_seq, found.last_hash, found.events, found.sealed) == (3, events[2].hash, 3, True)
    assert found.day == timezone.localdate()
    with default_storage.open(found.file_key, "rb") as handle:
        data = handle.read()
    assert hashlib.sha256(data).hexdigest() == found.file_sha256
    assert b"/ByteRange" in data  # a PDF signature: the firm's seal
    assert checkpoints.check_files(personas.firm) == []
    assert AuditCheckpoint.objects.filter(firm=personas.other_firm).count() == 0


def test_without_a_sealer_the_checkpoint_is_unsealed_and_says_so(events, personas, unsealed):
    checkpoints.write_checkpoints(now=timezone.now() + TOMORROW)
    found = AuditCheckpoint.objects.get(firm=personas.firm)
    assert found.sealed is False
    with default_storage.open(found.file_key, "rb") as handle:
        data = handle.read()
    assert b"/ByteRange" not in data
    assert hashlib.sha256(data).hexdigest() == found.file_sha256
    lines = checkpoints._lines(personas.firm, found.day, 3, found.last_hash, 3, False)
    assert any("Not sealed" in line or "Niet verzegeld" in line for line in lines)


def test_the_pdf_names_the_firm_the_day_and_the_last_hash(personas):
    day = datetime.date(2026, 12, 1)
    with translation.override("nl"):
        lines = checkpoints._lines(personas.firm, day, 12, "ab" * 32, 5, True)
    assert lines[0] == "Controlepunt audittrail Van Dijk 2026-12-01"
    assert "ab" * 32 in lines and any("12" in line for line in lines)


def test_a_consistently_rewritten_chain_is_caught_by_its_checkpoint(events, personas, unsealed):
    checkpoints.write_checkpoints(now=timezone.now() + TOMORROW)
    rewrite_consistently(personas.firm, details={"n": 99})
    outcome = verify_chain(personas.firm)
    assert outcome.broken is not None
    assert (outcome.broken.reason, outcome.broken.seq) == ("checkpoint", 3)


def test_without_checkpoints_a_consistent_rewrite_goes_unseen(events, personas):
    rewrite_consistently(personas.firm, details={"n": 99})
    assert verify_chain(personas.firm).broken is None


def test_the_command_reports_a_checkpoint_mismatch(events, personas, unsealed):
    checkpoints.write_checkpoints(now=timezone.now() + TOMORROW)
    rewrite_consistently(personas.firm, details={"n": 99})
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("audit", "verify", "--firm", "van-dijk", stdout=out)
    assert "BROKEN at event 3" in out.getvalue() and "checkpoint" in out.getvalue()


def test_the_checkpoint_job_runs_in_process(events, personas, unsealed):
    from balie.audit.jobs import write_checkpoints

    write_checkpoints.enqueue()  # today is not over: nothing yet
    assert not AuditCheckpoint.objects.exists()


def test_the_command_checks_the_stored_checkpoint_files(events, personas, unsealed):
    checkpoints.write_checkpoints(now=timezone.now() + TOMORROW)
    out = StringIO()
    call_command("audit", "verify", "--firm", "van-dijk", stdout=out)
    assert "van-dijk: 3 events, intact" in out.getvalue()
    found = AuditCheckpoint.objects.get(firm=personas.firm)
    tamper("UPDATE audit_auditcheckpoint SET last_hash = %s WHERE id = %s", "0" * 64, found.pk)
    assert checkpoints.check_files(personas.firm) == [
        f"checkpoint {found.day}: its PDF names another event or hash than its record"
    ]
    default_storage.delete(found.file_key)
    with default_storage.open(found.file_key, "wb") as handle:
        handle.write(b"%PDF-1.4 other")
    assert "was changed" in checkpoints.check_files(personas.firm)[0]
    default_storage.delete(found.file_key)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("audit", "verify", "--firm", "van-dijk", stdout=out)
    assert "is missing" in out.getvalue()
