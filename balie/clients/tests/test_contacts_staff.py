"""Contact persons and portal access, the firm's side: same services, history "by the firm"."""

import pytest
from django.urls import reverse

from balie.accounts.models import Invitation
from balie.accounts.services import invitation_accept
from balie.clients.factories import MembershipFactory
from balie.clients.models import ChangeLogEntry, ContactPerson, Membership
from balie.clients.services import invitation_create
from balie.clients.tests.test_contacts import NEW_PASSWORD, confirmed, contact_data, contact_of
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
    # A Beheerder goes only with the staff member's own confirmation (a Medewerker without).
    assert confirmed(client, url("access_remove", personas.company, boss), {}).status_code == 302
    assert client.post(url("delete", personas.company, employee)).status_code == 302
    boss.refresh_from_db()
    assert boss.membership is None
    assert not ContactPerson.objects.filter(pk=employee.pk).exists()
    assert not Membership.objects.filter(client=personas.company, user__in=[personas.client_user, personas.employee])
    entries = ChangeLogEntry.objects.filter(client=personas.company)
    assert {entry.via for entry in entries} == {Via.FIRM}
    assert {entry.subject_label for entry in entries} == {boss.full_name, employee.full_name}


def test_staff_cannot_remove_the_last_beheerder_while_others_have_access(client, personas):
    boss = contact_of(personas.client_user, personas.company)
    client.force_login(personas.staff.user)
    for name in ("access_remove", "delete"):
        response = confirmed(client, url(name, personas.company, boss), {})
        assert response.status_code == 400 and response.context["error"]
    assert Membership.objects.filter(client=personas.company, user=personas.client_user).exists()
    assert ContactPerson.objects.filter(pk=boss.pk).exists()


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


def test_staff_give_a_beheerder_an_end_date_only_next_to_one_without(client, personas):
    from datetime import timedelta

    from django.utils import timezone

    from balie.clients.factories import ClientFactory

    until = (timezone.localdate() + timedelta(days=3)).isoformat()
    environment = ClientFactory(firm=personas.firm, name="Zonder Beheer B.V.")
    MembershipFactory(client=environment, role="employee")
    client.force_login(personas.staff.user)
    data = contact_data(give_access="on", role="admin", ends_on=until)
    response = client.post(url("add", environment), data)
    assert response.status_code == 400 and response.context["form"].non_field_errors()
    assert not Invitation.objects.exists() and not ContactPerson.objects.filter(last_name="Nieuw").exists()
    # Giving an existing contact person that access: refused as well.
    waiting = ContactPerson.objects.create(
        client=environment, salutation="mr", first_name="Wim", last_name="Wacht", email="wim@example.test"
    )
    data = contact_data(first_name="Wim", last_name="Wacht", email="wim@example.test", give_access="on")
    response = client.post(url("edit", environment, waiting), {**data, "role": "admin", "ends_on": until})
    assert response.status_code == 400 and not Invitation.objects.exists()
    # Without an end date, or next to a Beheerder without one, it is fine.
    MembershipFactory(client=environment, role="admin")
    assert (
        client.post(url("add", environment), contact_data(give_access="on", role="admin", ends_on=until)).status_code
        == 302
    )
    assert Invitation.objects.get().ends_on.isoformat() == until


@pytest.mark.parametrize("name", ["access_remove", "delete"])
def test_staff_remove_a_beheerder_only_with_their_own_confirmation(client, personas, name):
    other = MembershipFactory(client=personas.company, role="admin")
    contact = contact_of(other.user, personas.company)
    client.force_login(personas.staff.user)
    page = client.get(url(name, personas.company, contact))
    assert page.context["stepup"].firm is None
    assert client.post(url(name, personas.company, contact)).status_code == 200
    assert confirmed(client, url(name, personas.company, contact), {}, password="fout").status_code == 400
    assert Membership.objects.filter(pk=other.pk).exists()
    assert not ChangeLogEntry.objects.exists()
    assert confirmed(client, url(name, personas.company, contact), {}).status_code == 302
    assert not Membership.objects.filter(pk=other.pk).exists()
    # A Medewerker goes without one.
    employee = contact_of(personas.employee, personas.company)
    assert client.get(url(name, personas.company, employee)).context["stepup"] is None
    assert client.post(url(name, personas.company, employee)).status_code == 302


def test_staff_off_board_the_one_person_of_an_environment(client, personas):
    private = contact_of(personas.client_user, personas.private)
    holding = contact_of(personas.client_user, personas.holding)
    client.force_login(personas.staff.user)
    assert confirmed(client, url("access_remove", personas.private, private), {}).status_code == 302
    assert confirmed(client, url("delete", personas.holding, holding), {}).status_code == 302
    assert not Membership.objects.filter(client__in=[personas.private, personas.holding]).exists()
    private.refresh_from_db()
    assert private.membership is None
    assert not ContactPerson.objects.filter(pk=holding.pk).exists()
    # The company, where a Medewerker remains, keeps its Beheerder.
    boss = contact_of(personas.client_user, personas.company)
    assert confirmed(client, url("access_remove", personas.company, boss), {}).status_code == 400


def test_staff_withdraw_a_pending_invitation(client, personas):
    invitation = invitation_create(client=personas.company, actor=personas.staff.user, email="oud@example.test")
    elsewhere = invitation_create(client=personas.outsider_client, actor=None, email="daar@example.test")
    client.force_login(personas.staff.user)
    revoke = reverse("contacts_staff:invitation_revoke", args=[personas.company.public_id, invitation.public_id])
    assert f'action="{revoke}"' in client.get(detail(personas.company)).content.decode()  # the button
    response = client.post(revoke)
    assert response.status_code == 302 and response.url == detail(personas.company) + "#contacts"
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    entry = ChangeLogEntry.objects.get(client=personas.company)
    assert (entry.subject, entry.via, entry.actor) == (Subject.ACCESS, Via.FIRM, personas.staff.user)
    assert client.post(revoke).status_code == 404
    foreign = reverse("contacts_staff:invitation_revoke", args=[personas.company.public_id, elsewhere.public_id])
    assert client.post(foreign).status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.revoked_at is None


def test_the_one_person_of_a_personal_environment_may_have_an_end_date(client, personas):
    from datetime import timedelta

    from django.utils import timezone

    from balie.clients.factories import ClientFactory
    from balie.clients.models import Client

    until = timezone.localdate() + timedelta(days=3)
    environment = ClientFactory(firm=personas.firm, kind=Client.Kind.PERSONAL, name="J. Jansen (privé)")
    client.force_login(personas.staff.user)
    response = client.post(url("add", environment), contact_data(give_access="on", ends_on=until.isoformat()))
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.role, invitation.ends_on) == ("admin", until)  # nobody else can be left without one
