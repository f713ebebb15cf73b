"""Recording an event: one call, in the caller's transaction, joining its firm's chain."""

import pytest
from django.db import transaction

from balie.audit import chain
from balie.audit.models import ActorKind, AuditEvent, ChainHead
from balie.audit.services import record
from balie.firms.factories import FirmFactory

pytestmark = pytest.mark.django_db


def test_an_event_records_who_what_and_where(personas):
    event = record(
        "settings.changed",
        firm=personas.firm,
        actor=personas.staff.user,
        environment=personas.company,
        obj=personas.company,
        details={"name": ["Bakker B.V.", "Bakker Beheer B.V."]},
    )
    event = AuditEvent.objects.get(pk=event.pk)
    assert (event.firm, event.seq, event.action) == (personas.firm, 1, "settings.changed")
    assert event.environment_id == personas.company.public_id
    assert (event.actor_kind, event.actor_user_id) == (ActorKind.STAFF, personas.staff.user.pk)
    assert event.actor_name == str(personas.staff.user)
    assert (event.object_type, event.object_id) == ("clients.client", str(personas.company.public_id))
    assert event.details == {"name": ["Bakker B.V.", "Bakker Beheer B.V."]}
    assert (event.ip_address, event.user_agent, event.request_id) == (None, "", "")  # no request: a job
    assert event.prev_hash == chain.GENESIS
    assert event.hash == chain.digest(chain.fields_of(event, firm_public_id=str(personas.firm.public_id)))


def test_a_client_is_a_user_and_no_actor_is_the_system(personas):
    as_client = record("document.viewed", firm=personas.firm, actor=personas.client_user)
    by_job = record("document.published", firm=personas.firm)
    assert (as_client.actor_kind, as_client.actor_name) == (ActorKind.USER, "Pieter " + personas.client_user.last_name)
    assert (by_job.actor_kind, by_job.actor_user_id, by_job.actor_name) == (ActorKind.SYSTEM, None, "")


def test_staff_of_another_firm_is_a_user_in_this_firms_chain(personas):
    event = record("document.viewed", firm=personas.firm, actor=personas.outsider_staff.user)
    assert event.actor_kind == ActorKind.USER


def test_the_actor_survives_the_deletion_of_the_user(personas):
    event = record("document.viewed", firm=personas.firm, actor=personas.employee)
    user_id = personas.employee.pk
    personas.employee.delete()
    event = AuditEvent.objects.get(pk=event.pk)
    assert (event.actor_user_id, event.actor_name) == (user_id, str(personas.employee))


def test_each_event_links_to_the_one_before_it(personas):
    first = record("document.viewed", firm=personas.firm, actor=personas.client_user)
    second = record("document.downloaded", firm=personas.firm, actor=personas.client_user)
    assert (first.seq, second.seq) == (1, 2)
    assert second.prev_hash == first.hash
    head = ChainHead.objects.get(firm=personas.firm)
    assert (head.last_seq, head.last_hash) == (2, second.hash)


def test_two_firms_have_independent_chains(personas):
    a1 = record("document.viewed", firm=personas.firm)
    b1 = record("document.viewed", firm=personas.other_firm)
    a2 = record("document.viewed", firm=personas.firm)
    assert (a1.seq, b1.seq, a2.seq) == (1, 1, 2)
    assert b1.prev_hash == chain.GENESIS
    assert a2.prev_hash == a1.hash


def test_events_without_a_firm_form_the_operators_chain(db):
    first = record("auth.signin_failed", firm=None, actor_kind=ActorKind.ANONYMOUS)
    second = record("auth.signin_failed", firm=None, actor_kind=ActorKind.ANONYMOUS)
    assert (first.firm_id, first.seq, second.seq) == (None, 1, 2)
    assert ChainHead.objects.get(key=ChainHead.OPERATOR).last_hash == second.hash
    record("auth.signin_failed", firm=FirmFactory())
    assert AuditEvent.objects.filter(firm__isnull=True).count() == 2


def test_a_rolled_back_change_leaves_no_event(personas):
    kept = record("document.viewed", firm=personas.firm)
    with pytest.raises(RuntimeError), transaction.atomic():
        record("document.published", firm=personas.firm)
        raise RuntimeError("the change fails")
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [kept.pk]
    head = ChainHead.objects.get(firm=personas.firm)
    assert (head.last_seq, head.last_hash) == (1, kept.hash)  # the chain goes on from the kept event
    assert record("document.published", firm=personas.firm).seq == 2


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_an_event_is_committed_at_once(personas):
    assert transaction.get_autocommit()
    event = record("document.viewed", firm=personas.firm)
    assert AuditEvent.objects.get(pk=event.pk).seq == 1


def test_an_unknown_action_is_refused(personas):
    with pytest.raises(ValueError, match="Unknown audit action"):
        record("document.viewd", firm=personas.firm)
    assert not AuditEvent.objects.exists()


def test_an_environment_of_another_firm_is_refused(personas):
    with pytest.raises(ValueError, match="environment"):
        record("document.viewed", firm=personas.firm, environment=personas.outsider_client)


@pytest.mark.parametrize(
    "details",
    [
        {"password": "geheim"},
        {"new_password": "geheim"},
        {"code": "123456"},
        {"otp": "123456"},
        {"pin": "1234"},
        {"token": "abc"},
        {"apiKey": "abc"},
        {"secret": "abc"},
        {"changes": {"recovery_codes": ["a", "b"]}},
        {"items": [{"session_key": "x"}]},
        {"content": "de tekst van het document"},
    ],
)
def test_details_that_name_a_secret_are_refused(personas, details):
    with pytest.raises(ValueError, match="never hold secrets"):
        record("settings.changed", firm=personas.firm, details=details)
    assert not AuditEvent.objects.exists()


def test_details_are_small(personas):
    with pytest.raises(ValueError, match="small"):
        record("settings.changed", firm=personas.firm, details={"note": "x" * 5000})


def test_details_are_stored_as_they_are_read_back(personas):
    event = record("settings.changed", firm=personas.firm, details={"limits": (1, 2), "nested": {"b": 1, "a": None}})
    assert event.details == {"limits": [1, 2], "nested": {"a": None, "b": 1}}


def test_a_job_records_where_and_when_its_request_happened(personas):
    import datetime

    from balie.audit.middleware import Origin

    where = Origin(ip_address="2001:db8:0:0::1", user_agent="Browser", request_id="a" * 32)
    amsterdam = datetime.timezone(datetime.timedelta(hours=1))
    when = datetime.datetime(2026, 3, 2, 10, 15, 30, 123456, tzinfo=amsterdam)
    event = record("document.viewed", firm=personas.firm, origin=where, at=when)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.ip_address, stored.user_agent, stored.request_id) == ("2001:db8::1", "Browser", "a" * 32)
    assert stored.at == when and chain.moment(stored.at) == chain.moment(event.at) == "2026-03-02T09:15:30.123456+00:00"
    assert (
        stored.hash == event.hash == chain.digest(chain.fields_of(stored, firm_public_id=str(personas.firm.public_id)))
    )
    with pytest.raises(ValueError, match="aware"):
        record("document.viewed", firm=personas.firm, at=datetime.datetime(2026, 3, 2, 10, 15))  # noqa: DTZ001
    assert AuditEvent.objects.count() == 1
