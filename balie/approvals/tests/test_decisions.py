"""Decisions are evidence (APR-7): never changed or deleted, not one by one, not in bulk, and on
PostgreSQL not even with plain SQL."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models.deletion import ProtectedError

from balie.approvals import decisions, services
from balie.approvals.models import Decision
from balie.approvals.tests.client_support import company_with_directors, confirmation, document

pytestmark = pytest.mark.django_db


@pytest.fixture
def decision(personas):
    bv = company_with_directors(personas)
    approval = services.request_create(
        document=document(bv.client, actor=personas.staff.user), actor=personas.staff.user, audience="directors"
    )
    return decisions.request_decide(
        approval=approval, user=bv.directors[0], outcome="approved", comment="Klopt", confirmation=confirmation()
    )


def unchanged(decision) -> bool:
    stored = Decision.objects.get(pk=decision.pk)
    return (stored.outcome, stored.comment, stored.version_sha256) == ("approved", "Klopt", decision.version_sha256)


def test_a_decision_cannot_be_changed_or_deleted_one_by_one(decision):
    decision.comment = "Anders"
    with pytest.raises(ValueError, match="never changed"):
        decision.save()
    with pytest.raises(ValueError, match="never deleted"):
        decision.delete()
    assert unchanged(decision)


def test_decisions_cannot_be_changed_or_deleted_in_bulk(decision):
    with pytest.raises(ValueError, match="never changed"):
        Decision.objects.filter(pk=decision.pk).update(outcome="rejected", comment="x", version_sha256="0" * 64)
    with pytest.raises(ValueError, match="never changed"):
        Decision.objects.update(comment="x")
    with pytest.raises(ValueError, match="never changed"):
        decision.request.decisions.update(comment="x")  # the related manager too
    decision.comment = "x"
    with pytest.raises(ValueError, match="never changed"), transaction.atomic():  # it opens its own
        Decision.objects.bulk_update([decision], ["comment"])
    with pytest.raises(ValueError, match="never deleted"):
        Decision.objects.filter(pk=decision.pk).delete()
    with pytest.raises(ValueError, match="never deleted"):
        Decision.objects.all().delete()
    with pytest.raises(ValueError, match="never deleted"):
        decision.request.decisions.all().delete()
    assert unchanged(decision)


def test_adding_decisions_still_works(decision):
    """create (the services) and bulk_create add rows (on PostgreSQL with the trigger in place)."""
    approval = decision.request
    Decision.objects.bulk_create(
        [Decision(request=approval, user=approval.created_by, outcome="approved", version_sha256="0" * 64)]
    )
    assert approval.decisions.count() == 2
    assert unchanged(decision)


def test_a_request_with_decisions_cannot_be_deleted(decision):
    with pytest.raises(ProtectedError):
        decision.request.delete()
    assert unchanged(decision)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's (migration 0003)")
def test_postgresql_refuses_changing_or_deleting_a_decision_with_plain_sql(decision):
    for statement in (
        "UPDATE approvals_decision SET comment = 'Anders' WHERE id = %s",
        "DELETE FROM approvals_decision WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="evidence"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [decision.pk])
    assert unchanged(decision)
