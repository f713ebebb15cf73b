"""What the checkpoints hold against someone with the database: events deleted after a
checkpoint (with the chain's head moved back, or the whole chain with its head) and checkpoints
deleted and written anew over a rewritten chain are found by ``verify`` and the daily job."""

import datetime

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from balie.audit import checkpoints, hooks
from balie.audit.jobs import verify_chains
from balie.audit.models import AuditCheckpoint, AuditEvent
from balie.audit.services import record
from balie.audit.tests.test_checkpoints import rewrite_consistently, tamper
from balie.audit.verify import chain_firms, verify_all, verify_chain
from balie.notifications.models import Notification

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def unsealed():
    kept = hooks.checkpoint_sealer()
    hooks._CHECKPOINT_SEALER.clear()
    yield
    if kept is not None:
        hooks.register_checkpoint_sealer(kept)


@pytest.fixture
def three_days(personas, unsealed):
    """Two events on each of three finished days, and their checkpoints (at 2, 4 and 6)."""
    start = timezone.now() - 5 * DAY
    for day in range(3):
        with time_machine.travel(start + day * DAY, tick=False):
            for number in range(2):
                record("document.viewed", firm=personas.firm, actor=personas.client_user, details={"n": number})
    assert checkpoints.write_checkpoints() == 3
    assert verify_chain(personas.firm).broken is None and checkpoints.check_files(personas.firm) == []
    return personas.firm


def test_events_deleted_after_a_checkpoint_with_the_head_moved_back_are_found(three_days):
    firm = three_days
    kept = AuditEvent.objects.get(firm=firm, seq=2)
    tamper("DELETE FROM audit_auditevent WHERE firm_id = %s AND seq > 2", firm.pk)
    tamper("UPDATE audit_chainhead SET last_seq = 2, last_hash = %s WHERE firm_id = %s", kept.hash, firm.pk)
    broken = verify_chain(firm).broken
    assert broken is not None
    assert (broken.reason, broken.seq) == ("checkpoint", 3)
    assert "event 6" in broken.message


def test_a_chain_deleted_with_its_head_is_still_verified_and_found(three_days, personas):
    firm = three_days
    tamper("DELETE FROM audit_auditevent WHERE firm_id = %s", firm.pk)
    tamper("DELETE FROM audit_chainhead WHERE firm_id = %s", firm.pk)
    assert firm in chain_firms()
    outcome = next(outcome for outcome in verify_all() if outcome.firm == firm)
    assert outcome.broken is not None and outcome.broken.reason == "checkpoint"
    assert verify_chains() == 1
    assert Notification.objects.filter(user=personas.staff.user, firm=firm).count() == 1


def test_the_daily_job_checks_the_checkpoint_files_and_alerts(three_days, personas, settings):
    settings.ADMINS = [("Operator", "ops@balie.test")]
    found = AuditCheckpoint.objects.filter(firm=three_days).order_by("day").first()
    default_storage.delete(found.file_key)
    assert verify_chain(three_days).broken is None  # the chain itself holds
    assert verify_chains() == 1
    titles = [row.title for row in Notification.objects.filter(user=personas.staff.user, firm=three_days)]
    assert len(titles) == 1
    verify_chains()  # the same finding is not told again
    assert Notification.objects.filter(user=personas.staff.user, firm=three_days).count() == 1


def test_a_checkpoint_cannot_be_changed_or_deleted_by_the_application(three_days):
    found = AuditCheckpoint.objects.filter(firm=three_days).first()
    found.last_hash = "0" * 64
    with pytest.raises(ValueError):
        found.save()
    with pytest.raises(ValueError):
        found.delete()
    with pytest.raises(ValueError):
        AuditCheckpoint.objects.filter(firm=three_days).update(last_hash="0" * 64)
    with pytest.raises(ValueError):
        AuditCheckpoint.objects.filter(firm=three_days).delete()
    assert AuditCheckpoint.objects.filter(firm=three_days).count() == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's (migration 0004)")
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditcheckpoint SET last_hash = 'x' WHERE firm_id = %s",
        "DELETE FROM audit_auditcheckpoint WHERE firm_id = %s",
    ],
)
def test_the_database_refuses_to_change_or_delete_a_checkpoint(three_days, statement):
    refused = pytest.raises(DatabaseError, match="never changed or deleted")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, [three_days.pk])
    assert AuditCheckpoint.objects.filter(firm=three_days).count() == 3


def test_checkpoints_removed_and_written_anew_over_a_rewritten_chain_are_found(three_days):
    firm = three_days
    rewrite_consistently(firm, details={"n": 999})
    assert verify_chain(firm).broken.reason == "checkpoint"
    tamper("DELETE FROM audit_auditcheckpoint WHERE firm_id = %s", firm.pk)  # around the guards
    assert checkpoints.write_checkpoints() == 3
    assert verify_chain(firm).broken is None  # the new checkpoints match the rewritten chain
    problems = checkpoints.check_files(firm)
    assert len(problems) == 3 and all("has no record: a checkpoint was removed" in line for line in problems)
    assert verify_chains() == 1


def test_a_checkpoint_row_pointing_at_another_firms_pdf_is_found(three_days, personas):
    found = AuditCheckpoint.objects.filter(firm=three_days).order_by("day").first()
    key = f"audit/checkpoints/{personas.other_firm.public_id}/{found.day}.pdf"
    with default_storage.open(found.file_key, "rb") as handle:
        key = default_storage.save(key, ContentFile(handle.read()))
    tamper("UPDATE audit_auditcheckpoint SET file_key = %s WHERE id = %s", key, found.pk)
    problems = checkpoints.check_files(three_days)
    assert f"checkpoint {found.day}: its PDF {key} is not in the firm's own folder" in problems


def test_the_checkpoints_are_a_chain_of_their_own(three_days):
    rows = list(AuditCheckpoint.objects.filter(firm=three_days).order_by("last_seq"))
    pid = str(three_days.public_id)
    assert rows[0].prev_hash == "0" * 64
    assert [row.prev_hash for row in rows[1:]] == [checkpoints.checkpoint_digest(row, pid) for row in rows[:2]]
    with default_storage.open(rows[2].file_key, "rb") as handle:
        assert rows[2].prev_hash.encode() in handle.read()


def test_a_checkpoint_removed_from_the_middle_breaks_the_checkpoints_chain(three_days):
    middle = AuditCheckpoint.objects.filter(firm=three_days).order_by("last_seq")[1]
    tamper("DELETE FROM audit_auditcheckpoint WHERE id = %s", middle.pk)
    problems = checkpoints.check_files(three_days)
    assert any("does not follow the checkpoint before it" in line for line in problems)
