"""Contact persons and portal access, the firm's side: same services, history "by the firm"."""

import pytest
from django.urls import reverse

from balie.accounts.models import Invitation
from balie.accounts.services import invitation_accept, invitation_create
from balie.clients.models import ChangeLogEntry, ContactPerson, Membership
from balie.clients.tests.test_contacts import NEW_PASSWORD, confirmed, contact_data, contact_of
from balie.core.factories import MembershipFactory
from balie.notifications.models import DevOutboxMessage, Notification

pytestmark = pytest.mark.django_db
Via = ChangeLogEntry.Via
Subject = ChangeLogEntry.Subject


def url(name, environment, contact=None):
    args = [environment.public_id] + ([contact.public_id] if contact is not None else [])
    return reverse(f"contacts_staff:{name}", args=args)


def detail(environment):
    return reverse("clients:staff_detail", args=[environment.public_id])


def test_the_detail_page_lists_contact_persons_with_access_and_pending_invitations(client, personas):
    waiting = ContactPerson.objects.create(
        client=personas.company, salutation="mr", first_name="Wim", last_name="Wacht", email="wim@example.test"
    )
    invitation = invitation_create(client=personas.company, actor=None, email="wim@example.test", contact=waiting)
    client.force_login(personas.staff.user)
    response = client.get(detail(personas.company))
    body = response.content.decode()
    rows = {row.contact.pk: row.state for row in response.context["rows"]}
    assert rows == {
        contact_of(personas.client_user, personas.company).pk: "member",
        contact_of(personas.employee, personas.company).pk: "member",
        waiting.pk: "invited",
    }
    assert reverse("contacts_staff:add", args=[personas.company.public_id]) in body
    assert reverse("contacts_staff:edit", args=[personas.company.public_id, waiting.public_id]) in body
    assert reverse("clients:staff_invitation_resend", args=[personas.company.public_id, invitation.public_id]) in body
    assert 'id="twostep"' in body  # the members' two-step verification stays


def test_staff_add_a_contact_person_with_access_without_a_step_up(client, personas):
    client.force_login(personas.staff.user)
    response = client.post(url("add", personas.company), contact_data(give_access="on", is_director="on"))
    assert response.status_code == 302 and response.url == detail(personas.company) + "#contacts"
    contact = ContactPerson.objects.get(client=personas.company, last_name="Nieuw")
    invitation = Invitation.objects.get()
    assert (invitation.contact, invitation.is_director, invitation.invited_by) == (contact, True, personas.staff.user)
    assert DevOutboxMessage.objects.get().recipients == "nina@example.test"
    entries = ChangeLogEntry.objects.filter(client=personas.company).order_by("pk")
    assert [(entry.subject, entry.via, entry.actor) for entry in entries] == [
        (Subject.CONTACT, Via.FIRM, personas.staff.user),
        (Subject.ACCESS, Via.FIRM, personas.staff.user),
    ]
    assert not Notification.objects.exists()  # the firm does not notify itself


def test_the_older_invite_route_makes_a_contact_person_that_acceptance_links(client, personas):
    client.force_login(personas.staff.user)
    response = client.post(
        reverse("clients:staff_invite", args=[personas.company.public_id]),
        {"email": "nieuw@example.test", "first_name": "Nina", "last_name": "Nieuw", "role": "employee"},
    )
    assert response.status_code == 302
    contact = ContactPerson.objects.get(client=personas.company, email="nieuw@example.test")
    assert contact.salutation == ContactPerson.Salutation.NEUTRAL
    invitation = Invitation.objects.get()
    assert invitation.contact == contact
    token = DevOutboxMessage.objects.get().body_text.split("/uitnodiging/")[1].split("/")[0]
    user, _ = invitation_accept(token=token, password=NEW_PASSWORD)
    contact.refresh_from_db()
    assert contact.membership.user == user
    assert ContactPerson.objects.filter(client=personas.company).count() == 3


def test_staff_change_a_role_only_with_their_own_confirmation(client, personas):
    contact = contact_of(personas.employee, personas.company)
    client.force_login(personas.staff.user)
    data = {**contact_data(first_name=contact.first_name, last_name=contact.last_name), "role": "admin"}
    data.pop("email")
    first = client.post(url("edit", personas.company, contact), data)
    assert first.status_code == 200 and first.context["stepup"].firm is None
    assert Membership.objects.get(pk=contact.membership_id).role == "employee"
    response = confirmed(client, url("edit", personas.company, contact), data)
    assert response.status_code == 302
    assert Membership.objects.get(pk=contact.membership_id).role == "admin"
    entry = ChangeLogEntry.objects.get(client=personas.company, subject=Subject.ACCESS)
    assert (entry.via, entry.actor, entry.changes) == (Via.FIRM, personas.staff.user, [["role", "employee", "admin"]])


def test_staff_remove_access_and_contact_persons_recorded_as_the_firm(client, personas):
    MembershipFactory(client=personas.company, role="admin")  # so the client's Beheerder may go
    boss = contact_of(personas.client_user, personas.company)
    employee = contact_of(personas.employee, personas.company)
    client.force_login(personas.staff.user)
    assert client.get(url("access_remove", personas.company, boss)).status_code == 200
    assert client.post(url("access_remove", personas.company, boss)).status_code == 302
    assert client.post(url("delete", personas.company, employee)).status_code == 302
    boss.refresh_from_db()
    assert boss.membership is None
    assert not ContactPerson.objects.filter(pk=employee.pk).exists()
    assert not Membership.objects.filter(client=personas.company, user__in=[personas.client_user, personas.employee])
    entries = ChangeLogEntry.objects.filter(client=personas.company)
    assert {entry.via for entry in entries} == {Via.FIRM}
    assert {entry.subject_label for entry in entries} == {boss.full_name, employee.full_name}


def test_staff_cannot_remove_the_last_beheerder(client, personas):
    boss = contact_of(personas.client_user, personas.holding)
    client.force_login(personas.staff.user)
    response = client.post(url("access_remove", personas.holding, boss))
    assert response.status_code == 400 and response.context["error"]
    assert Membership.objects.filter(client=personas.holding, user=personas.client_user).exists()


def test_staff_of_another_firm_get_404_and_change_nothing(client, personas):
    contact = contact_of(personas.employee, personas.company)
    elsewhere = contact_of(personas.outsider, personas.outsider_client)
    client.force_login(personas.outsider_staff.user)
    assert client.get(url("add", personas.company)).status_code == 404
    assert client.post(url("add", personas.company), contact_data()).status_code == 404
    for name in ("edit", "access_remove", "delete"):
        assert client.get(url(name, personas.company, contact)).status_code == 404
        assert client.post(url(name, personas.company, contact), contact_data()).status_code == 404
    # Firm A's staff with firm B's contact person in their own environment's URL: 404 too.
    client.force_login(personas.staff.user)
    for name in ("edit", "access_remove", "delete"):
        assert client.post(url(name, personas.company, elsewhere), contact_data()).status_code == 404
    assert ContactPerson.objects.filter(pk__in=[contact.pk, elsewhere.pk]).count() == 2
    assert Membership.objects.filter(pk__in=[contact.membership_id, elsewhere.membership_id]).count() == 2
    assert not ChangeLogEntry.objects.exists()


def test_a_client_user_has_no_staff_contact_pages(client, personas):
    client.force_login(personas.client_user)
    contact = contact_of(personas.employee, personas.company)
    assert client.get(url("add", personas.company)).status_code == 404
    assert client.post(url("delete", personas.company, contact)).status_code == 404
    assert ContactPerson.objects.filter(pk=contact.pk).exists()


def test_an_end_date_set_by_staff_may_not_lie_in_the_past(client, personas):
    contact = contact_of(personas.employee, personas.company)
    client.force_login(personas.staff.user)
    data = {**contact_data(first_name=contact.first_name, last_name=contact.last_name), "ends_on": "2001-01-01"}
    response = client.post(url("edit", personas.company, contact), data)
    assert response.status_code == 400 and "ends_on" in response.context["form"].errors
    assert Membership.objects.get(pk=contact.membership_id).ends_on is None
