"""Events about a person, written to each of their firms' chains: another firm's staff stay
anonymous outside their own firm."""

import pytest
from django.test import RequestFactory

from balie.accounts.services import email_change_cancel, email_change_request, user_deactivate
from balie.audit.middleware import _CURRENT
from balie.audit.models import ActorKind, AuditEvent
from balie.audit.people import record_for_person
from balie.audit.services import record
from balie.clients.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def from_firm_a():
    """A request of firm A's staff member: address, browser and request id."""
    request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.99", HTTP_USER_AGENT="FirmA-Staff-Browser")
    request.request_id = "a" * 32
    token = _CURRENT.set(request)
    yield request
    _CURRENT.reset(token)


@pytest.fixture
def client_of_both(personas):
    """Pieter, client of firm A, is also a member of an environment of firm B."""
    MembershipFactory(user=personas.client_user, client=personas.outsider_client)
    return personas.client_user


def assert_anonymous(event):
    assert (event.actor_kind, event.actor_user_id, event.actor_name) == (ActorKind.SYSTEM, None, "")
    assert (event.ip_address, event.user_agent, event.request_id) == (None, "", "")
    assert event.details["by"] == "another_firm"


def assert_by_staff_of_a(event, personas):
    assert (event.actor_kind, event.actor_user_id) == (ActorKind.STAFF, personas.staff.user.pk)
    assert (event.ip_address, event.user_agent) == ("203.0.113.99", "FirmA-Staff-Browser")
    assert "by" not in event.details


def test_an_address_change_by_firm_a_leaves_firm_a_unnamed_in_firm_b(personas, client_of_both, from_firm_a):
    email_change_request(user=client_of_both, email="new@pieter.test", requested_by=personas.staff.user)
    assert_by_staff_of_a(AuditEvent.objects.get(firm=personas.firm, action="email.change_requested"), personas)
    in_b = AuditEvent.objects.get(firm=personas.other_firm, action="email.change_requested")
    assert_anonymous(in_b)
    assert in_b.object_type == "accounts.emailchangerequest"


def test_a_cancelled_change_and_a_deactivation_by_firm_a_are_anonymous_in_firm_b(personas, client_of_both, from_firm_a):
    change = email_change_request(user=client_of_both, email="new@pieter.test", requested_by=personas.staff.user)
    assert email_change_cancel(change=change, actor=personas.staff.user)
    user_deactivate(user=client_of_both, actor=personas.staff.user)
    for action in ("email.change_cancelled", "account.deactivated"):
        assert_by_staff_of_a(AuditEvent.objects.get(firm=personas.firm, action=action), personas)
        assert_anonymous(AuditEvent.objects.get(firm=personas.other_firm, action=action))


def test_staff_acting_on_a_person_of_another_firm_only_is_anonymous_there(personas, from_firm_a):
    record_for_person("account.deactivated", person=personas.outsider, actor=personas.staff.user)
    assert_anonymous(AuditEvent.objects.get(firm=personas.other_firm, action="account.deactivated"))
    assert not AuditEvent.objects.filter(firm=personas.firm).exists()


def test_the_person_themselves_is_named_in_every_firm(personas, client_of_both, from_firm_a):
    record_for_person("profile.changed", person=client_of_both, actor=client_of_both, details={"name": ["a", "b"]})
    events = AuditEvent.objects.filter(action="profile.changed").order_by("firm_id")
    assert [event.firm for event in events] == [personas.firm, personas.other_firm]
    for event in events:
        assert (event.actor_kind, event.actor_user_id) == (ActorKind.USER, client_of_both.pk)
        assert event.ip_address == "203.0.113.99"
        assert event.details == {"name": ["a", "b"]}


def test_staff_changing_their_own_account_are_named_where_they_are_a_client(personas, from_firm_a):
    MembershipFactory(user=personas.staff.user, client=personas.outsider_client)
    record_for_person("profile.changed", person=personas.staff.user, actor=personas.staff.user)
    in_b = AuditEvent.objects.get(firm=personas.other_firm, action="profile.changed")
    assert (in_b.actor_kind, in_b.actor_user_id, in_b.ip_address) == (
        ActorKind.USER,
        personas.staff.user.pk,
        "203.0.113.99",
    )


def test_an_anonymous_record_has_no_actor_and_no_origin(personas, from_firm_a):
    event = record(
        "account.deactivated", firm=personas.firm, actor=personas.outsider_staff.user, details={"x": 1}, anonymous=True
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert_anonymous(stored)
    assert stored.details == {"x": 1, "by": "another_firm"}
    assert (stored.hash, stored.seq) == (event.hash, 1)


def test_firm_bs_log_shows_staff_of_another_firm_without_a_name_or_address(client, personas, client_of_both):
    from django.urls import reverse

    with_request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.99")
    token = _CURRENT.set(with_request)
    try:
        email_change_request(user=client_of_both, email="new@pieter.test", requested_by=personas.staff.user)
    finally:
        _CURRENT.reset(token)
    personas.outsider_staff.role = personas.outsider_staff.Role.ADMIN
    personas.outsider_staff.save(update_fields=["role"])
    client.force_login(personas.outsider_staff.user)
    html = client.get(reverse("audit_staff:log")).content.decode()
    assert "Medewerker van een ander kantoor" in html
    assert str(personas.staff.user) not in html and "203.0.113.99" not in html
