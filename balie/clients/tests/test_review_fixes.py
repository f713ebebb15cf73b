"""Edge cases of environment data and access: left-over requests, leavers, phone numbers, conversions."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from balie.accounts.factories import UserFactory
from balie.clients.factories import ClientFactory
from balie.clients.models import ChangeRequest, Client, ContactPerson, Membership
from balie.clients.organisation import (
    change_request_approve,
    change_request_create,
    organisation_change_direct,
    organisation_values,
)
from balie.clients.services import client_update, membership_create
from balie.notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_a_direct_change_withdraws_a_request_left_from_the_review_policy(personas):
    company = personas.company
    request = change_request_create(
        client=company, actor=personas.client_user, values={**organisation_values(company), "city": "Ede"}
    )
    company.change_policy = "direct"
    company.save(update_fields=["change_policy"])
    organisation_change_direct(
        client=company, actor=personas.client_user, values={**organisation_values(company), "city": "Zeist"}
    )
    request.refresh_from_db()
    assert request.status == ChangeRequest.Status.WITHDRAWN
    assert request.decided_at is not None
    company.refresh_from_db()
    assert company.city == "Zeist"  # and approving the old request is no longer possible
    with pytest.raises(ValidationError) as refused:
        change_request_approve(change_request=request, actor=personas.staff.user)
    assert refused.value.code == "handled"
    company.refresh_from_db()
    assert company.city == "Zeist"


def test_the_outcome_is_not_sent_to_a_requester_who_has_left(personas):
    company = personas.company
    request = change_request_create(
        client=company, actor=personas.client_user, values={**organisation_values(company), "city": "Ede"}
    )
    Membership.objects.filter(client=company, user=personas.client_user).update(
        ends_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    change_request_approve(change_request=request, actor=personas.staff.user)
    assert not Notification.objects.filter(user=personas.client_user).exists()


def test_a_members_sms_number_is_not_copied_into_the_contact_list(client, personas):
    person = UserFactory(email="sms@bakker.test", first_name="Sam", last_name="Sms", mobile_number="+31612345678")
    membership_create(client=personas.company, user=person)
    contact = ContactPerson.objects.get(membership__user=person)
    assert contact.phone == ""
    client.force_login(personas.employee)
    page = client.get(reverse("contacts:list", args=[personas.company.public_id])).content.decode()
    assert "Sam Sms" in page and "+31612345678" not in page


def test_turning_an_environment_into_a_personal_one_makes_its_one_member_its_administrator(personas):
    company = ClientFactory(firm=personas.firm, kind=Client.Kind.COMPANY, name="Eenmanszaak Jansen")
    person = UserFactory(email="jansen@example.test")
    membership_create(client=company, user=person, role=Membership.Role.EMPLOYEE)
    values = {name: getattr(company, name) for name in ("name", "number", "kvk_number", "street", "postal_code")}
    client_update(
        client=company, actor=personas.staff.user, relationship_managers=[], kind="personal", parent=None, **values
    )
    membership = Membership.objects.get(client=company)
    assert (membership.role, membership.is_personal) == (Membership.Role.ADMIN, True)


def test_staff_cannot_reach_the_factors_of_someone_whose_access_has_ended(client, personas):
    Membership.objects.filter(client=personas.company, user=personas.employee).update(
        ends_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    client.force_login(personas.staff.user)
    url = reverse("twostep_staff:factors_reset", args=[personas.company.public_id, personas.employee.public_id])
    assert client.get(url).status_code == 404
