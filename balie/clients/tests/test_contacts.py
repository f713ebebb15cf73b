"""Contact persons and portal access, client side (ORG-2, ORG-4, ORG-5, BEY-4)."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, override

from balie.accounts.factories import TEST_PASSWORD, UserFactory
from balie.accounts.models import Invitation, User, UserSession
from balie.accounts.services import invitation_accept
from balie.clients.contacts import Access, contact_update, memberships_end_expired
from balie.clients.factories import ClientFactory, MembershipFactory
from balie.clients.models import ChangeLogEntry, Client, ContactPerson, Membership
from balie.clients.services import invitation_create
from balie.core import jobs
from balie.core.testing import race, skip_unless_postgresql
from balie.firms.factories import StaffMemberFactory
from balie.firms.models import StaffMember
from balie.notifications.models import DevOutboxMessage, EventKind, Notification

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "een lange zin als wachtwoord"
Via = ChangeLogEntry.Via
Subject = ChangeLogEntry.Subject


def nl(msgid: str, **values) -> str:
    """A message as a Dutch page shows it (the msgid until it is translated)."""
    with override("nl"):
        text = gettext(msgid)
    return text % values if values else text


def url(name, environment, contact=None):
    args = [environment.public_id] + ([contact.public_id] if contact is not None else [])
    return reverse(f"contacts:{name}", args=args)


def contact_of(user, environment) -> ContactPerson:
    return ContactPerson.objects.get(client=environment, membership__user=user)


def contact_data(**overrides):
    data = {
        "salutation": ContactPerson.Salutation.MS,
        "first_name": "Nina",
        "last_name": "Nieuw",
        "job_title": "Boekhouder",
        "email": "nina@example.test",
        "phone": "+31 6 1234 5678",
        "role": Membership.Role.EMPLOYEE,
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def confirmed(client, address, data, password=TEST_PASSWORD):
    """Sends a form that needs a step-up twice: once to get the confirmation box, once confirmed."""
    first = client.post(address, data)
    assert first.status_code == 200, first.content.decode()[-2000:]
    stepup = first.context["stepup"]
    assert stepup is not None and stepup.factors == ["password"]
    challenge = stepup.challenge.public_id
    return client.post(
        address, {**data, "stepup_challenge": challenge, "stepup_factor": "password", "stepup_code": password}
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def history(environment, **filters):
    return list(ChangeLogEntry.objects.filter(client=environment, **filters).order_by("at", "pk"))


# -- The list ---------------------------------------------------------------------------------------


def test_every_member_sees_the_contact_persons_but_only_a_beheerder_manages_them(client, personas):
    own = contact_of(personas.employee, personas.company)
    boss = contact_of(personas.client_user, personas.company)
    ContactPerson.objects.create(client=personas.company, salutation="mr", first_name="Gert", last_name="Geen")

    client.force_login(personas.employee)
    response = client.get(url("list", personas.company))
    body = response.content.decode()
    assert [row.contact for row in response.context["rows"]] == list(
        ContactPerson.objects.filter(client=personas.company).order_by("last_name", "first_name", "pk")
    )
    assert "Gert Geen" in body and personas.client_user.email in body
    assert 'id="contact-add"' not in body
    assert f'id="edit-{own.public_id}"' in body  # own row only
    assert f'id="edit-{boss.public_id}"' not in body
    assert "access-remove-" not in body and "delete-" not in body

    client.force_login(personas.client_user)
    body = client.get(url("list", personas.company)).content.decode()
    assert 'id="contact-add"' in body
    for contact in ContactPerson.objects.filter(client=personas.company):
        assert f'id="edit-{contact.public_id}"' in body
        assert f'id="delete-{contact.public_id}"' in body


def test_the_list_shows_access_role_flags_end_date_and_pending_invitations(still_clock, client, personas):
    personas.employee.memberships.update(ends_on=timezone.localdate() + timedelta(days=30), may_handle_documents=True)
    invited = ContactPerson.objects.create(
        client=personas.company, salutation="ms", first_name="Ida", last_name="Uitgenodigd", email="ida@example.test"
    )
    invitation_create(
        client=personas.company, actor=personas.client_user, email=invited.email, contact=invited, role="employee_plus"
    )
    client.force_login(personas.client_user)
    rows = {row.contact.pk: row for row in client.get(url("list", personas.company)).context["rows"]}
    employee = rows[contact_of(personas.employee, personas.company).pk]
    assert (employee.state, employee.role, employee.may_handle_documents) == ("member", "employee", True)
    assert employee.ends_on == timezone.localdate() + timedelta(days=30)
    assert rows[contact_of(personas.client_user, personas.company).pk].is_director is True
    assert (rows[invited.pk].state, rows[invited.pk].role) == ("invited", "employee_plus")


def _fill(environment, count):
    for number in range(count):
        if number % 3 == 0:
            MembershipFactory(client=environment, user=UserFactory(), role="employee_plus")
        elif number % 3 == 1:
            contact = ContactPerson.objects.create(
                client=environment, salutation="mr", first_name="Iemand", last_name=f"{number:03d}"
            )
            invitation_create(client=environment, actor=None, email=f"p{number}@example.test", contact=contact)
        else:
            ContactPerson.objects.create(client=environment, salutation="ms", first_name="Ander", last_name=f"{number}")


def test_the_list_is_paginated_with_the_same_number_of_queries_for_3_or_30(
    client, personas, django_assert_max_num_queries
):
    small = ClientFactory(firm=personas.firm, name="Klein B.V.")
    large = ClientFactory(firm=personas.firm, name="Groot B.V.")
    for environment, count in ((small, 3), (large, 30)):
        MembershipFactory(client=environment, user=personas.client_user, role="admin")
        _fill(environment, count)
    client.force_login(personas.client_user)
    counts = []
    for environment in (small, large):
        with CaptureQueriesContext(connection) as queries:
            client.get(url("list", environment))
        counts.append(len(queries))
    assert counts[0] == counts[1]
    # Session, user, membership, remembering the environment, layout (switcher, bell, tasks,
    # unread messages), then the contacts: count, page with membership and user, pending invitations.
    with django_assert_max_num_queries(13):
        response = client.get(url("list", small))
    assert len(response.context["rows"]) == 4
    with django_assert_max_num_queries(13):
        response = client.get(url("list", large))
    assert len(response.context["rows"]) == 25
    assert response.context["page"].paginator.count == 31
    assert len(client.get(url("list", large), {"page": 2}).context["rows"]) == 6


# -- Adding ---------------------------------------------------------------------------------------------


def test_a_beheerder_adds_a_contact_person_without_access(client, personas):
    client.force_login(personas.client_user)
    response = client.post(url("add", personas.company), contact_data(email=""), follow=True)
    contact = ContactPerson.objects.get(client=personas.company, last_name="Nieuw")
    assert (contact.salutation, contact.first_name, contact.job_title, contact.phone) == (
        "ms",
        "Nina",
        "Boekhouder",
        "+31 6 1234 5678",
    )
    assert contact.membership is None
    assert not Invitation.objects.exists()
    assert not DevOutboxMessage.objects.exists()
    assert messages_of(response) == [nl("%(name)s has been added.", name="Nina Nieuw")]
    [entry] = history(personas.company)
    assert (entry.subject, entry.via, entry.actor, entry.subject_label) == (
        Subject.CONTACT,
        Via.DIRECT,
        personas.client_user,
        "Nina Nieuw",
    )
    assert ["first_name", "", "Nina"] in entry.changes
    # The relationship manager hears of it.
    notification = Notification.objects.get(user=personas.staff.user)
    assert notification.kind == EventKind.DETAILS and "Nina Nieuw" in notification.title


def test_without_relationship_managers_the_firms_administrators_hear_of_a_change(client, personas):
    colleague = StaffMemberFactory(firm=personas.firm, role=StaffMember.Role.EMPLOYEE)
    client.force_login(personas.client_user)
    client.post(url("add", personas.holding), contact_data(email=""))
    assert list(Notification.objects.values_list("user", flat=True)) == [personas.staff.user.pk]
    assert not Notification.objects.filter(user=colleague.user).exists()


def test_giving_access_needs_confirmation_then_invites_and_the_invitation_links_the_contact(client, personas):
    client.force_login(personas.client_user)
    until = timezone.localdate() + timedelta(days=60)
    data = contact_data(give_access="on", role="employee_plus", may_handle_documents="on", ends_on=until.isoformat())

    first = client.post(url("add", personas.company), data)
    assert first.status_code == 200
    body = first.content.decode()
    assert 'id="access-summary"' in body and 'name="stepup_code"' in body
    assert "Bakker B.V." in body  # the sharing notice names the environment
    assert not ContactPerson.objects.filter(last_name="Nieuw").exists()
    assert not DevOutboxMessage.objects.exists()

    response = confirmed(client, url("add", personas.company), data)
    assert response.status_code == 302
    contact = ContactPerson.objects.get(client=personas.company, last_name="Nieuw")
    invitation = Invitation.objects.get()
    assert (invitation.contact, invitation.email, invitation.role) == (contact, "nina@example.test", "employee_plus")
    assert invitation.may_handle_documents and not invitation.is_director
    assert invitation.ends_on == until
    assert invitation.invited_by == personas.client_user
    mail = DevOutboxMessage.objects.get()
    assert mail.recipients == "nina@example.test"
    access = history(personas.company, subject=Subject.ACCESS)
    assert [entry.changes[0] for entry in access] == [["access", "", "1"]]
    assert ["role", "", "employee_plus"] in access[0].changes

    token = re.search(r"/uitnodiging/([\w-]+)/", mail.body_text).group(1)
    user, _invitation = invitation_accept(token=token, password=NEW_PASSWORD)
    contact.refresh_from_db()
    assert contact.membership.user == user
    assert contact.membership.ends_on == until
    assert contact.membership.role == "employee_plus"
    assert ContactPerson.objects.filter(client=personas.company, last_name="Nieuw").count() == 1


def test_a_wrong_password_gives_no_access(client, personas):
    client.force_login(personas.client_user)
    response = confirmed(client, url("add", personas.company), contact_data(give_access="on"), password="fout")
    assert response.status_code == 400
    assert response.context["stepup"].error
    assert not ContactPerson.objects.filter(last_name="Nieuw").exists()
    assert not Invitation.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "niet-een-adres"}, "email"),
        ({"phone": "12"}, "phone"),
        ({"salutation": None}, "salutation"),
        ({"last_name": ""}, "last_name"),
        ({"give_access": "on", "email": ""}, "email"),
        ({"give_access": "on", "ends_on": "2001-01-01"}, "ends_on"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(client, personas, overrides, field):
    client.force_login(personas.client_user)
    response = client.post(url("add", personas.company), contact_data(**overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert response.context["stepup"] is None
    assert ContactPerson.objects.filter(client=personas.company).count() == 2
    assert not Invitation.objects.exists() and not ChangeLogEntry.objects.exists()


def test_inviting_an_address_that_already_has_access_is_refused_and_stores_nothing(client, personas):
    client.force_login(personas.client_user)
    response = confirmed(
        client, url("add", personas.company), contact_data(give_access="on", email=personas.employee.email)
    )
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert ContactPerson.objects.filter(client=personas.company).count() == 2
    assert not Invitation.objects.exists()


def test_a_personal_environment_refuses_a_second_contact_person_and_member(client, personas):
    client.force_login(personas.client_user)
    response = client.get(url("add", personas.private), follow=True)
    assert response.redirect_chain[-1][0] == url("list", personas.private)
    assert len(messages_of(response)) == 1
    assert 'id="contact-add"' not in response.content.decode()
    assert 'id="add-refusal"' in response.content.decode()
    response = client.post(url("add", personas.private), contact_data(give_access="on"))
    assert ContactPerson.objects.filter(client=personas.private).count() == 1
    assert not Invitation.objects.exists()


def test_a_personal_environment_without_anyone_takes_one_contact_person_only(personas):
    from django.core.exceptions import ValidationError

    from balie.clients.contacts import contact_create

    empty = ClientFactory(firm=personas.firm, kind=Client.Kind.PERSONAL)
    details = {"salutation": "mr", "first_name": "Piet", "last_name": "Privé"}
    contact_create(client=empty, actor=personas.staff.user, via=Via.FIRM, details=details)
    with pytest.raises(ValidationError):
        contact_create(client=empty, actor=personas.staff.user, via=Via.FIRM, details=details)
    assert ContactPerson.objects.filter(client=empty).count() == 1


# -- Editing ----------------------------------------------------------------------------------------


def test_a_medewerker_edits_their_own_details(client, personas):
    own = contact_of(personas.employee, personas.company)
    client.force_login(personas.employee)
    response = client.post(
        url("edit", personas.company, own),
        {"salutation": "neutral", "first_name": "Eva", "last_name": "Eigen", "job_title": "Inkoop", "phone": ""},
    )
    assert response.status_code == 302
    own.refresh_from_db()
    assert (own.salutation, own.full_name, own.job_title) == ("neutral", "Eva Eigen", "Inkoop")
    [entry] = history(personas.company)
    assert (entry.subject, entry.via, entry.actor, entry.subject_label) == (
        Subject.CONTACT,
        Via.DIRECT,
        personas.employee,
        "Eva Eigen",
    )


def test_a_medewerker_posting_role_flags_end_date_or_email_changes_none_of_them(client, personas):
    own = contact_of(personas.employee, personas.company)
    before_email = own.email
    client.force_login(personas.employee)
    client.post(
        url("edit", personas.company, own),
        {
            "salutation": "mr",
            "first_name": "Eva",
            "last_name": "Eigen",
            "email": "ander@example.test",
            "role": "admin",
            "is_director": "on",
            "may_handle_documents": "on",
            "ends_on": "2099-12-31",
            "give_access": "on",
        },
    )
    membership = Membership.objects.get(user=personas.employee, client=personas.company)
    assert (membership.role, membership.is_director, membership.may_handle_documents, membership.ends_on) == (
        "employee",
        False,
        False,
        None,
    )
    own.refresh_from_db()
    assert own.email == before_email and own.first_name == "Eva"
    assert not history(personas.company, subject=Subject.ACCESS)


def test_a_medewerker_cannot_open_another_contact_or_add_or_remove(client, personas):
    boss = contact_of(personas.client_user, personas.company)
    own = contact_of(personas.employee, personas.company)
    client.force_login(personas.employee)
    data = contact_data(first_name="Gekaapt")
    assert client.get(url("edit", personas.company, boss)).status_code == 403
    assert client.post(url("edit", personas.company, boss), data).status_code == 403
    assert client.get(url("add", personas.company)).status_code == 403
    assert client.post(url("add", personas.company), data).status_code == 403
    for name in ("access_remove", "delete"):
        for target in (boss, own):
            assert client.get(url(name, personas.company, target)).status_code == 403
            assert client.post(url(name, personas.company, target)).status_code == 403
    assert client.post(url("invitation_resend", personas.company, boss)).status_code == 403
    boss.refresh_from_db()
    assert boss.first_name != "Gekaapt" and boss.membership is not None
    assert ContactPerson.objects.filter(client=personas.company).count() == 2
    assert Membership.objects.filter(client=personas.company).count() == 2
    assert not ChangeLogEntry.objects.exists()


def test_a_contact_of_another_environment_is_404(client, personas):
    elsewhere = contact_of(personas.client_user, personas.holding)
    client.force_login(personas.client_user)
    assert client.get(url("edit", personas.company, elsewhere)).status_code == 404
    assert client.post(url("delete", personas.company, elsewhere)).status_code == 404
    assert ContactPerson.objects.filter(pk=elsewhere.pk).exists()


def _edit_data(contact, membership, **overrides):
    data = {
        "salutation": contact.salutation,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "job_title": contact.job_title,
        "phone": contact.phone,
        "role": membership.role,
        "ends_on": membership.ends_on.isoformat() if membership.ends_on else "",
    }
    if membership.is_director:
        data["is_director"] = "on"
    if membership.may_handle_documents:
        data["may_handle_documents"] = "on"
    data.update(overrides)
    return data


def test_a_role_change_without_confirmation_changes_nothing(client, personas):
    contact = contact_of(personas.employee, personas.company)
    membership = contact.membership
    client.force_login(personas.client_user)
    address = url("edit", personas.company, contact)
    data = _edit_data(contact, membership, role="admin", may_handle_documents="on")
    response = client.post(address, data)
    assert response.status_code == 200 and response.context["stepup"] is not None
    # A made-up or someone else's confirmation does not count either.
    response = client.post(
        address, {**data, "stepup_challenge": "00000000-0000-0000-0000-000000000000", "stepup_factor": "password"}
    )
    assert response.status_code == 400
    membership.refresh_from_db()
    assert (membership.role, membership.may_handle_documents) == ("employee", False)
    assert not ChangeLogEntry.objects.exists()


def test_a_confirmation_for_one_role_does_not_confirm_another(client, personas):
    contact = contact_of(personas.employee, personas.company)
    client.force_login(personas.client_user)
    address = url("edit", personas.company, contact)
    first = client.post(address, _edit_data(contact, contact.membership, role="employee_plus"))
    challenge = first.context["stepup"].challenge.public_id
    response = client.post(
        address,
        {
            **_edit_data(contact, contact.membership, role="admin"),
            "stepup_challenge": challenge,
            "stepup_factor": "password",
            "stepup_code": TEST_PASSWORD,
        },
    )
    assert response.status_code == 400
    assert Membership.objects.get(pk=contact.membership_id).role == "employee"


def test_a_role_change_confirmed_with_the_password_is_made_and_recorded(client, personas):
    contact = contact_of(personas.employee, personas.company)
    client.force_login(personas.client_user)
    until = timezone.localdate() + timedelta(days=10)
    response = confirmed(
        client,
        url("edit", personas.company, contact),
        _edit_data(contact, contact.membership, role="employee_plus", is_director="on", ends_on=until.isoformat()),
    )
    assert response.status_code == 302
    membership = Membership.objects.get(pk=contact.membership_id)
    assert (membership.role, membership.is_director, membership.ends_on) == ("employee_plus", True, until)
    [entry] = history(personas.company, subject=Subject.ACCESS)
    assert entry.via == Via.DIRECT and entry.actor == personas.client_user
    assert entry.subject_label == contact.full_name
    assert entry.changes == [
        ["role", "employee", "employee_plus"],
        ["is_director", "", "1"],
        ["ends_on", "", until.isoformat()],
    ]


def test_a_beheerder_changes_details_without_confirmation_but_not_a_login_address(client, personas):
    contact = contact_of(personas.employee, personas.company)
    client.force_login(personas.client_user)
    response = client.post(
        url("edit", personas.company, contact),
        _edit_data(contact, contact.membership, job_title="Magazijn", email="ander@example.test"),
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.job_title == "Magazijn"
    assert contact.email == personas.employee.email
    assert [entry.subject for entry in history(personas.company)] == [Subject.CONTACT]


def test_a_beheerder_gives_access_to_a_contact_person_without_it(client, personas):
    contact = ContactPerson.objects.create(
        client=personas.company, salutation="mr", first_name="Gert", last_name="Later", email="gert@example.test"
    )
    client.force_login(personas.client_user)
    data = {"salutation": "mr", "first_name": "Gert", "last_name": "Later", "email": "gert@example.test"}
    data.update(give_access="on", role="employee")
    response = confirmed(client, url("edit", personas.company, contact), data)
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.contact, invitation.email) == (contact, "gert@example.test")
    assert DevOutboxMessage.objects.get().recipients == "gert@example.test"


def test_changing_a_pending_invitation_changes_what_acceptance_gives(client, personas):
    contact = ContactPerson.objects.create(client=personas.company, salutation="ms", first_name="Ida", last_name="Ik")
    invitation = invitation_create(client=personas.company, actor=None, email="ida@example.test", contact=contact)
    client.force_login(personas.client_user)
    data = {"salutation": "ms", "first_name": "Ida", "last_name": "Ik", "role": "admin"}
    assert confirmed(client, url("edit", personas.company, contact), data).status_code == 302
    invitation.refresh_from_db()
    assert invitation.role == "admin"
    assert invitation.email == "ida@example.test"


# -- The last Beheerder ----------------------------------------------------------------------------------


def test_the_last_beheerder_cannot_remove_demote_or_end_themselves(client, personas):
    own = contact_of(personas.client_user, personas.company)
    client.force_login(personas.client_user)
    response = client.post(url("access_remove", personas.company, own))
    assert response.status_code == 400 and response.context["error"]
    response = client.post(url("delete", personas.company, own))
    assert response.status_code == 400
    for change in ({"role": "employee"}, {"ends_on": (timezone.localdate() + timedelta(days=5)).isoformat()}):
        response = confirmed(client, url("edit", personas.company, own), _edit_data(own, own.membership, **change))
        assert response.status_code == 400
        assert "form-errors" in response.content.decode()
    membership = Membership.objects.get(pk=own.membership_id)
    assert (membership.role, membership.ends_on) == ("admin", None)
    assert ContactPerson.objects.filter(pk=own.pk).exists()
    assert not history(personas.company, subject=Subject.ACCESS)


def test_nobody_removes_the_last_beheerder_not_even_the_firm(personas):
    from django.core.exceptions import ValidationError

    from balie.clients.contacts import contact_access_remove

    own = contact_of(personas.client_user, personas.company)
    with pytest.raises(ValidationError) as raised:
        contact_access_remove(contact=own, actor=personas.staff.user, via=Via.FIRM)
    assert raised.value.code == "last_admin"


def test_a_beheerder_with_an_end_date_does_not_count_as_the_one_that_stays(personas):
    from django.core.exceptions import ValidationError

    second = MembershipFactory(client=personas.company, role="admin", ends_on=timezone.localdate() + timedelta(days=3))
    own = contact_of(personas.client_user, personas.company)
    with pytest.raises(ValidationError):
        contact_update(contact=own, actor=personas.client_user, via=Via.DIRECT, access=Access(role="employee"))
    second.ends_on = None
    second.save()
    contact_update(contact=own, actor=personas.client_user, via=Via.DIRECT, access=Access(role="employee"))
    assert Membership.objects.get(pk=own.membership_id).role == "employee"


def test_with_a_second_beheerder_the_first_may_step_down_and_leave(client, personas):
    MembershipFactory(client=personas.company, role="admin")
    own = contact_of(personas.client_user, personas.company)
    client.force_login(personas.client_user)
    response = confirmed(
        client, url("edit", personas.company, own), _edit_data(own, own.membership, role="employee_plus")
    )
    assert response.status_code == 302
    assert Membership.objects.get(pk=own.membership_id).role == "employee_plus"
    # Now a Medewerker+, they may not remove anyone; the other Beheerder removes them.


def test_a_beheerder_may_remove_their_own_access_when_another_remains(client, personas):
    MembershipFactory(client=personas.company, role="admin")
    own = contact_of(personas.client_user, personas.company)
    client.force_login(personas.client_user)
    response = client.post(url("access_remove", personas.company, own))
    assert response.status_code == 302 and response.url == "/"
    assert not Membership.objects.filter(client=personas.company, user=personas.client_user).exists()
    own.refresh_from_db()
    assert own.membership is None  # the contact person stays
    assert client.get(url("list", personas.company)).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_two_beheerders_demoting_each_other_at_once_leave_one():
    from balie.clients.services import membership_create

    skip_unless_postgresql()
    for _ in range(5):
        company = ClientFactory()
        first, second = UserFactory(), UserFactory()
        memberships = [membership_create(client=company, user=user, role="admin") for user in (first, second)]
        contacts = [ContactPerson.objects.get(membership=membership) for membership in memberships]
        actors = {contacts[0].pk: second, contacts[1].pk: first}

        def demote(contact, actors=actors):
            contact_update(contact=contact, actor=actors[contact.pk], via=Via.DIRECT, access=Access(role="employee"))

        assert race(demote, contacts) == ["last_admin", "ok"]
        assert Membership.objects.filter(client=company, role="admin").count() == 1


# -- Removing access and contact persons --------------------------------------------------------


def test_removing_access_takes_the_environment_away_at_the_next_request_and_ends_lone_sessions(personas):
    from django.test import Client as Browser

    contact = contact_of(personas.employee, personas.company)
    employee = Browser()
    employee.force_login(personas.employee)
    assert employee.get(url("list", personas.company)).status_code == 200
    assert UserSession.objects.filter(user=personas.employee).exists()

    boss = Browser()
    boss.force_login(personas.client_user)
    response = boss.post(url("access_remove", personas.company, contact), follow=True)
    assert messages_of(response) == [nl("The portal access of %(name)s has been removed.", name=contact.full_name)]
    contact.refresh_from_db()
    assert contact.membership is None
    assert not Membership.objects.filter(user=personas.employee).exists()
    # No environment left: signed out everywhere at once.
    assert not UserSession.objects.filter(user=personas.employee).exists()
    response = employee.get(url("list", personas.company))
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))
    [entry] = history(personas.company, subject=Subject.ACCESS)
    assert entry.changes == [["access", "1", ""]] and entry.via == Via.DIRECT


def test_someone_with_other_environments_stays_signed_in_but_loses_this_one(personas):
    from django.test import Client as Browser

    MembershipFactory(client=personas.holding, user=personas.employee)
    contact = contact_of(personas.employee, personas.company)
    employee = Browser()
    employee.force_login(personas.employee)
    assert employee.get(url("list", personas.company)).status_code == 200
    boss = Browser()
    boss.force_login(personas.client_user)
    boss.post(url("access_remove", personas.company, contact))
    assert employee.get(url("list", personas.company)).status_code == 404
    assert employee.get(url("list", personas.holding)).status_code == 200


def test_removing_access_revokes_a_pending_invitation(client, personas):
    contact = ContactPerson.objects.create(client=personas.company, salutation="ms", first_name="Ida", last_name="Ik")
    invitation = invitation_create(client=personas.company, actor=None, email="ida@example.test", contact=contact)
    token_mail = DevOutboxMessage.objects.get().body_text
    client.force_login(personas.client_user)
    client.post(url("access_remove", personas.company, contact))
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    token = re.search(r"/uitnodiging/([\w-]+)/", token_mail).group(1)
    client.logout()
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        invitation_accept(token=token, password=NEW_PASSWORD)
    assert not User.objects.filter(email="ida@example.test").exists()


def test_removing_a_contact_person_removes_their_access_and_records_both(client, personas):
    contact = contact_of(personas.employee, personas.company)
    client.force_login(personas.client_user)
    page = client.get(url("delete", personas.company, contact))
    assert 'id="confirm-remove"' in page.content.decode()
    response = client.post(url("delete", personas.company, contact))
    assert response.status_code == 302
    assert not ContactPerson.objects.filter(pk=contact.pk).exists()
    assert not Membership.objects.filter(user=personas.employee).exists()
    assert [(entry.subject, entry.changes[0]) for entry in history(personas.company)] == [
        (Subject.ACCESS, ["access", "1", ""]),
        (Subject.CONTACT, ["salutation", contact.salutation, ""]),
    ]


def test_a_pending_invitation_is_sent_again(client, personas):
    contact = ContactPerson.objects.create(client=personas.company, salutation="ms", first_name="Ida", last_name="Ik")
    invitation_create(client=personas.company, actor=None, email="ida@example.test", contact=contact)
    client.force_login(personas.client_user)
    response = client.post(url("invitation_resend", personas.company, contact), follow=True)
    assert messages_of(response) == [nl("The invitation has been sent to %(email)s again.", email="ida@example.test")]
    assert DevOutboxMessage.objects.filter(recipients="ida@example.test").count() == 2


# -- End dates (BEY-4) ----------------------------------------------------------------------------------


def test_access_ends_after_its_last_day_and_the_job_removes_it(still_clock, client, personas):
    today = timezone.localdate()
    Membership.objects.filter(user=personas.employee).update(ends_on=today - timedelta(days=1))
    last_day = MembershipFactory(client=personas.company, ends_on=today)
    client.force_login(personas.employee)
    assert client.get(url("list", personas.company)).status_code == 404
    client.force_login(last_day.user)
    assert client.get(url("list", personas.company)).status_code == 200

    employee_session = UserSession.objects.filter(user=personas.employee).count()
    assert employee_session == 1
    assert jobs.get_job("clients.end_expired_memberships")() == 1
    assert not Membership.objects.filter(user=personas.employee).exists()
    assert Membership.objects.filter(pk=last_day.pk).exists()
    assert contact_of(last_day.user, personas.company)  # untouched
    assert ContactPerson.objects.filter(client=personas.company, email=personas.employee.email).exists()
    [entry] = history(personas.company)
    assert (entry.subject, entry.via, entry.actor, entry.changes) == (
        Subject.ACCESS,
        Via.EXPIRY,
        None,
        [["access", "1", ""]],
    )
    assert not UserSession.objects.filter(user=personas.employee).exists()
    assert memberships_end_expired() == 0  # nothing left to do: runs twice safely


def test_the_job_is_scheduled():
    from django.conf import settings

    assert "clients.end_expired_memberships" in settings.BALIE_PERIODIC_JOBS


def test_an_invitation_whose_end_date_passed_is_revoked(personas):
    invitation = invitation_create(
        client=personas.company, actor=None, email="ida@example.test", ends_on=timezone.localdate()
    )
    memberships_end_expired(today=timezone.localdate() + timedelta(days=1))
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


# -- Confirmations bound to what they confirm ------------------------------------------------------


def _without_access(environment, email="wim@example.test"):
    return ContactPerson.objects.create(
        client=environment, salutation="mr", first_name="Wim", last_name="Wachter", email=email
    )


def _give_access_data(email, **overrides):
    data = {"salutation": "mr", "first_name": "Wim", "last_name": "Wachter", "email": email, "give_access": "on"}
    data.update(role="employee", **overrides)
    return data


def test_giving_access_is_confirmed_for_the_address_the_invitation_goes_to(client, personas):
    contact = _without_access(personas.company)
    client.force_login(personas.client_user)
    address = url("edit", personas.company, contact)
    first = client.post(address, _give_access_data("wim@example.test"))
    assert first.status_code == 200
    assert first.context["summary"]["email"] == "wim@example.test"
    assert 'id="access-summary-email"' in first.content.decode()
    challenge = first.context["stepup"].challenge.public_id
    # Confirmed for wim@, sent for someone else's address in the same post: refused.
    response = client.post(
        address,
        {
            **_give_access_data("aanvaller@example.test"),
            "stepup_challenge": challenge,
            "stepup_factor": "password",
            "stepup_code": TEST_PASSWORD,
        },
    )
    assert response.status_code == 400 and response.context["stepup"].error
    assert not Invitation.objects.exists() and not DevOutboxMessage.objects.exists()
    contact.refresh_from_db()
    assert contact.email == "wim@example.test"
    # The address in another case or with spaces is the same address.
    response = confirmed(client, address, _give_access_data(" Wim@Example.test"))
    assert response.status_code == 302
    assert Invitation.objects.get().email == "wim@example.test"


def test_adding_with_access_is_confirmed_for_the_address_too(client, personas):
    client.force_login(personas.client_user)
    address = url("add", personas.company)
    first = client.post(address, contact_data(give_access="on"))
    challenge = first.context["stepup"].challenge.public_id
    response = client.post(
        address,
        {
            **contact_data(give_access="on", email="ander@example.test"),
            "stepup_challenge": challenge,
            "stepup_factor": "password",
            "stepup_code": TEST_PASSWORD,
        },
    )
    assert response.status_code == 400
    assert not Invitation.objects.exists() and not ContactPerson.objects.filter(last_name="Nieuw").exists()


# -- A Beheerder with an end date only next to one without ------------------------------------------


def test_a_beheerder_with_an_end_date_is_given_only_next_to_one_without(client, personas):
    until = (timezone.localdate() + timedelta(days=30)).isoformat()
    client.force_login(personas.client_user)
    # The acting Beheerder has no end date: another Beheerder with one is fine.
    response = confirmed(
        client, url("add", personas.company), contact_data(give_access="on", role="admin", ends_on=until)
    )
    assert response.status_code == 302
    assert Invitation.objects.get().ends_on.isoformat() == until
    # Without a Beheerder without an end date (left from before this rule), it is refused.
    Membership.objects.filter(client=personas.company, user=personas.client_user).update(
        ends_on=timezone.localdate() + timedelta(days=60)
    )
    data = contact_data(give_access="on", role="admin", ends_on=until, email="tweede@example.test", last_name="Twee")
    response = confirmed(client, url("add", personas.company), data)
    assert response.status_code == 400 and response.context["form"].non_field_errors()
    assert Invitation.objects.count() == 1
    assert not ContactPerson.objects.filter(last_name="Twee").exists()


def test_promoting_to_beheerder_with_an_end_date_needs_another_active_beheerder(personas):
    from django.core.exceptions import ValidationError

    until = timezone.localdate() + timedelta(days=30)
    employee = contact_of(personas.employee, personas.company)
    personas.client_user.is_active = False  # the only other Beheerder cannot sign in: does not count
    personas.client_user.save(update_fields=["is_active"])
    with pytest.raises(ValidationError) as refused:
        contact_update(
            contact=employee, actor=personas.staff.user, via=Via.FIRM, access=Access(role="admin", ends_on=until)
        )
    assert refused.value.code == "admin_end_date"
    invited = _without_access(personas.company)
    with pytest.raises(ValidationError):
        contact_update(
            contact=invited, actor=personas.staff.user, via=Via.FIRM, access=Access(role="admin", ends_on=until)
        )
    assert Membership.objects.get(pk=employee.membership_id).role == "employee"
    assert not Invitation.objects.exists()
    personas.client_user.is_active = True
    personas.client_user.save(update_fields=["is_active"])
    contact_update(
        contact=employee, actor=personas.staff.user, via=Via.FIRM, access=Access(role="admin", ends_on=until)
    )
    assert Membership.objects.get(pk=employee.membership_id).ends_on == until


def test_the_end_date_job_then_keeps_a_beheerder(personas):
    from balie.clients.contacts import contact_create

    until = timezone.localdate() + timedelta(days=3)
    contact_create(
        client=personas.company,
        actor=personas.staff.user,
        via=Via.FIRM,
        details={"salutation": "ms", "first_name": "Tijdelijk", "last_name": "Beheer", "email": "tb@example.test"},
        access=Access(role="admin", ends_on=until),
    )
    token = re.search(r"/uitnodiging/([\w-]+)/", DevOutboxMessage.objects.get().body_text).group(1)
    invitation_accept(token=token, password=NEW_PASSWORD)
    memberships_end_expired(today=until + timedelta(days=1))
    assert list(Membership.objects.filter(client=personas.company, role="admin").values_list("user", flat=True)) == [
        personas.client_user.pk
    ]


# -- Removing another Beheerder is confirmed ------------------------------------------------------------


@pytest.mark.parametrize("name", ["access_remove", "delete"])
def test_removing_another_beheerder_needs_confirmation(client, personas, name):
    other = MembershipFactory(client=personas.company, role="admin")
    contact = contact_of(other.user, personas.company)
    client.force_login(personas.client_user)
    address = url(name, personas.company, contact)
    page = client.get(address)
    assert page.context["stepup"] is not None and 'name="stepup_code"' in page.content.decode()
    # Without a confirmation, or with a made-up one or a wrong password, nothing changes.
    assert client.post(address).status_code == 200
    made_up = {"stepup_challenge": "00000000-0000-0000-0000-000000000000", "stepup_factor": "password"}
    assert client.post(address, {**made_up, "stepup_code": TEST_PASSWORD}).status_code == 400
    assert confirmed(client, address, {}, password="fout").status_code == 400
    assert Membership.objects.filter(pk=other.pk).exists() and ContactPerson.objects.filter(pk=contact.pk).exists()
    assert not ChangeLogEntry.objects.exists()
    # A confirmation for removing someone else does not remove this one.
    boss_page = client.get(url(name, personas.company, contact_of(personas.client_user, personas.company)))
    assert boss_page.context["stepup"] is None  # removing oneself: no confirmation (refused anyway if last)
    response = confirmed(client, address, {})
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=other.pk).exists()


def test_removing_a_medewerker_or_an_invitation_needs_no_confirmation(client, personas):
    client.force_login(personas.client_user)
    employee = contact_of(personas.employee, personas.company)
    assert client.get(url("access_remove", personas.company, employee)).context["stepup"] is None
    invited = _without_access(personas.company)
    invitation_create(client=personas.company, actor=None, email=invited.email, contact=invited, role="admin")
    assert client.post(url("access_remove", personas.company, invited)).status_code == 302
    assert client.post(url("delete", personas.company, employee)).status_code == 302
    assert not Membership.objects.filter(user=personas.employee).exists()
    assert Invitation.objects.get().revoked_at is not None


# -- The last Beheerder: who counts, and when nobody else is left ---------------------------------------


def test_a_deactivated_or_ended_beheerder_does_not_count_as_the_other_one(personas):
    from django.core.exceptions import ValidationError

    from balie.accounts.services import user_deactivate
    from balie.clients.contacts import contact_access_remove

    other = MembershipFactory(client=personas.company, role="admin")
    user_deactivate(user=other.user)
    own = contact_of(personas.client_user, personas.company)
    with pytest.raises(ValidationError) as refused:
        contact_update(contact=own, actor=personas.client_user, via=Via.DIRECT, access=Access(role="employee"))
    assert refused.value.code == "last_admin"
    with pytest.raises(ValidationError):
        contact_access_remove(contact=own, actor=personas.staff.user, via=Via.FIRM)
    assert Membership.objects.get(pk=own.membership_id).role == "admin"
    # The deactivated one may go themselves: they do not keep the environment managed.
    contact_access_remove(contact=contact_of(other.user, personas.company), actor=personas.staff.user, via=Via.FIRM)


def test_the_only_member_may_remove_their_own_access(client, personas):
    own = contact_of(personas.client_user, personas.holding)  # nobody else in the holding
    client.force_login(personas.client_user)
    response = client.post(url("access_remove", personas.holding, own))
    assert response.status_code == 302 and response.url == "/"
    assert not Membership.objects.filter(client=personas.holding).exists()
    own.refresh_from_db()
    assert own.membership is None


def test_the_last_beheerder_stays_while_an_invitation_is_pending(client, personas):
    own = contact_of(personas.client_user, personas.holding)
    invitation = invitation_create(client=personas.holding, actor=None, email="later@example.test")
    client.force_login(personas.client_user)
    response = client.post(url("access_remove", personas.holding, own))
    assert response.status_code == 400 and response.context["error"]
    assert Membership.objects.filter(client=personas.holding, user=personas.client_user).exists()
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


# -- Pending invitations without a contact person --------------------------------------------------------


def test_a_beheerder_withdraws_an_older_invitation_without_contact_person(client, personas):
    invitation = invitation_create(client=personas.company, actor=personas.staff.user, email="oud@example.test")
    assert invitation.contact is None
    client.force_login(personas.client_user)
    revoke = reverse("contacts:invitation_revoke", args=[personas.company.public_id, invitation.public_id])
    body = client.get(url("list", personas.company)).content.decode()
    assert revoke in body
    response = client.post(revoke, follow=True)
    assert messages_of(response) == [nl("The invitation to %(email)s has been withdrawn.", email="oud@example.test")]
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert revoke not in response.content.decode()
    [entry] = history(personas.company)
    assert (entry.subject, entry.via, entry.changes, entry.subject_label) == (
        Subject.ACCESS,
        Via.DIRECT,
        [["access", "1", ""]],
        "oud@example.test",
    )
    assert client.post(revoke).status_code == 404  # no longer pending
    token = re.search(r"/uitnodiging/([\w-]+)/", DevOutboxMessage.objects.get().body_text).group(1)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        invitation_accept(token=token, password=NEW_PASSWORD)


def test_only_a_beheerder_withdraws_invitations_and_only_of_their_environment(client, personas):
    here = invitation_create(client=personas.company, actor=None, email="hier@example.test")
    elsewhere = invitation_create(client=personas.outsider_client, actor=None, email="daar@example.test")
    client.force_login(personas.employee)
    assert (
        client.post(
            reverse("contacts:invitation_revoke", args=[personas.company.public_id, here.public_id])
        ).status_code
        == 403
    )
    client.force_login(personas.client_user)
    for environment in (personas.company, personas.holding):
        response = client.post(reverse("contacts:invitation_revoke", args=[environment.public_id, elsewhere.public_id]))
        assert response.status_code == 404
    response = client.post(reverse("contacts:invitation_revoke", args=[personas.holding.public_id, here.public_id]))
    assert response.status_code == 404
    assert Invitation.objects.filter(revoked_at__isnull=True).count() == 2
    assert not ChangeLogEntry.objects.exists()


# -- A pending change request ends with the requester's access --------------------------------------------


def _request_of(user, environment, city="Ede"):
    from balie.clients.organisation import change_request_create, organisation_values

    return change_request_create(
        client=environment, actor=user, values={**organisation_values(environment), "city": city}
    )


def _withdrawn(change_request) -> bool:
    from balie.clients.models import ChangeRequest

    change_request.refresh_from_db()
    return change_request.status == ChangeRequest.Status.WITHDRAWN and change_request.decided_at is not None


@pytest.mark.parametrize("name", ["access_remove", "delete"])
def test_removing_someone_withdraws_their_pending_change_request(client, personas, name):
    other = MembershipFactory(client=personas.company, role="admin")
    change_request = _request_of(other.user, personas.company)
    mine = _request_of(personas.client_user, personas.holding)
    client.force_login(personas.client_user)
    assert (
        confirmed(client, url(name, personas.company, contact_of(other.user, personas.company)), {}).status_code == 302
    )
    assert _withdrawn(change_request)
    assert change_request.note == nl("Withdrawn: the requester's access ended.")
    assert not _withdrawn(mine)  # another environment's request stays


def test_the_end_date_job_withdraws_the_pending_change_request(personas):
    other = MembershipFactory(client=personas.company, role="admin")
    change_request = _request_of(other.user, personas.company)
    Membership.objects.filter(pk=other.pk).update(ends_on=timezone.localdate() - timedelta(days=1))
    assert memberships_end_expired() == 1
    assert _withdrawn(change_request)


def test_a_beheerder_made_medewerker_loses_their_pending_change_request(personas):
    other = MembershipFactory(client=personas.company, role="admin")
    change_request = _request_of(other.user, personas.company)
    contact = contact_of(other.user, personas.company)
    contact_update(
        contact=contact, actor=personas.client_user, via=Via.DIRECT, access=Access(role="admin", is_director=True)
    )
    assert not _withdrawn(change_request)  # still a Beheerder
    contact_update(contact=contact, actor=personas.client_user, via=Via.DIRECT, access=Access(role="employee_plus"))
    assert _withdrawn(change_request)
    assert change_request.note == nl("Withdrawn: the requester is no longer an administrator.")
