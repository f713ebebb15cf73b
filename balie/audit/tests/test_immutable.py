"""Events are evidence: the models refuse to change or delete them everywhere, and on PostgreSQL the
database refuses plain SQL as well (migration 0002). The chain's head is not evidence: it moves."""

import pytest
from django.db import DatabaseError, connection, transaction

from balie.audit.models import AuditEvent, ChainHead
from balie.audit.services import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(personas):
    return record("document.viewed", firm=personas.firm, actor=personas.client_user, details={"title": "Aangifte"})


def unchanged(event) -> bool:
    stored = AuditEvent.objects.get(pk=event.pk)
    return (stored.action, stored.details, stored.hash) == (event.action, event.details, event.hash)


def test_saving_an_event_again_is_refused(event):
    event.action = "document.downloaded"
    with pytest.raises(ValueError, match="never changed"):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).action == "document.viewed"


def test_deleting_an_event_is_refused(event):
    with pytest.raises(ValueError, match="never deleted"):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_updating_or_deleting_in_bulk_is_refused(event):
    with pytest.raises(ValueError, match="never changed"):
        AuditEvent.objects.filter(pk=event.pk).update(action="document.downloaded")
    with pytest.raises(ValueError, match="never changed"), transaction.atomic():  # bulk_update's own is no savepoint
        AuditEvent.objects.bulk_update([event], ["action"])
    with pytest.raises(ValueError, match="never deleted"):
        AuditEvent.objects.all().delete()
    assert unchanged(event)


def test_the_chains_head_moves_on(event, personas):
    head = ChainHead.objects.get(firm=personas.firm)
    head.last_seq = 7
    head.save(update_fields=["last_seq"])
    assert ChainHead.objects.get(pk=head.pk).last_seq == 7


def test_a_firm_with_events_cannot_be_deleted(event, personas):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        personas.firm.delete()
    assert unchanged(event)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's (migration 0002)")
def test_postgresql_refuses_changing_or_deleting_an_event_with_plain_sql(event):
    for statement in (
        "UPDATE audit_auditevent SET action = 'document.downloaded' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="evidence"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [event.pk])
    assert unchanged(event)
