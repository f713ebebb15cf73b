import re

import pytest
from django.urls import reverse

from balie.accounts.factories import UserFactory
from balie.accounts.models import Invitation
from balie.clients.factories import ClientFactory, MembershipFactory
from balie.clients.models import Client, Membership
from balie.dossiers.services import dossier_create
from balie.firms.factories import StaffMemberFactory
from balie.notifications.models import DevOutboxMessage

pytestmark = pytest.mark.django_db


def invite_data(**overrides):
    data = {
        "email": "nieuw@example.test",
        "first_name": "Nina",
        "last_name": "Nieuw",
        "role": Membership.Role.EMPLOYEE,
        "is_director": "on",
    }
    data.update(overrides)
    return data


def test_client_user_has_no_back_office(client, personas):
    client.force_login(personas.client_user)
    assert client.get(reverse("clients:staff_list")).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, personas):
    response = client.get(reverse("clients:staff_list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_staff_list_shows_own_firm_only_and_searches(client, personas):
    client.force_login(personas.staff.user)
    response = client.get(reverse("clients:staff_list"))
    names = {c.name for c in response.context["page"]}
    assert names == {"Bakker Holding B.V.", "Bakker B.V.", "P. Bakker (privé)"}
    response = client.get(reverse("clients:staff_list"), {"q": "privé"})
    assert [c.name for c in response.context["page"]] == ["P. Bakker (privé)"]
    response = client.get(reverse("clients:staff_list"), {"q": "Visser"})
    assert list(response.context["page"]) == []
    assert "Er zijn geen omgevingen gevonden voor je zoekopdracht." in response.content.decode()


def test_staff_search_on_kvk_and_number(client, personas):
    ClientFactory(firm=personas.firm, name="Zoekbaar B.V.", kvk_number="12345678", number="A-77")
    client.force_login(personas.staff.user)
    for term in ("12345678", "A-77"):
        response = client.get(reverse("clients:staff_list"), {"q": term})
        assert [c.name for c in response.context["page"]] == ["Zoekbaar B.V."]


def test_staff_list_is_paginated_with_constant_queries(client, personas, django_assert_max_num_queries):
    client.force_login(personas.staff.user)
    manager = personas.staff
    for i in range(60):
        c = ClientFactory(firm=personas.firm, name=f"Klant {i:03d}")
        c.relationship_managers.add(manager)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("clients:staff_list"))
    assert len(response.context["page"]) == 25
    assert response.context["page"].paginator.count == 63
    with django_assert_max_num_queries(10):
        response = client.get(reverse("clients:staff_list"), {"page": 3})
    assert len(response.context["page"]) == 13


def test_staff_create_environment(client, personas):
    client.force_login(personas.staff.user)
    response = client.post(
        reverse("clients:staff_new"),
        {
            "kind": Client.Kind.COMPANY,
            "name": "Nieuw B.V.",
            "kvk_number": "87654321",
            "parent": personas.holding.pk,
            "relationship_managers": [personas.staff.pk],
        },
    )
    created = Client.objects.get(name="Nieuw B.V.")
    assert response.url == reverse("clients:staff_detail", args=[created.public_id])
    assert created.firm == personas.firm
    assert created.parent == personas.holding
    assert list(created.relationship_managers.all()) == [personas.staff]


def test_staff_create_refuses_bad_input_and_keeps_it(client, personas):
    client.force_login(personas.staff.user)
    response = client.post(
        reverse("clients:staff_new"),
        {"kind": Client.Kind.PERSONAL, "name": "Privé", "kvk_number": "123", "parent": personas.holding.pk},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "kvk_number" in form.errors
    assert "parent" in form.errors
    assert 'value="Privé"' in response.content.decode()
    assert not Client.objects.filter(name="Privé").exists()


def test_staff_cannot_pick_another_firms_holding_or_staff(client, personas):
    other_holding = ClientFactory(firm=personas.other_firm, kind=Client.Kind.HOLDING)
    client.force_login(personas.staff.user)
    response = client.post(
        reverse("clients:staff_new"),
        {
            "kind": Client.Kind.COMPANY,
            "name": "Sluiproute B.V.",
            "parent": other_holding.pk,
            "relationship_managers": [personas.outsider_staff.pk],
        },
    )
    assert response.status_code == 200
    assert {"parent", "relationship_managers"} <= set(response.context["form"].errors)
    assert not Client.objects.filter(name="Sluiproute B.V.").exists()


def test_staff_detail_shows_members_and_managers(client, personas):
    client.force_login(personas.staff.user)
    response = client.get(reverse("clients:staff_detail", args=[personas.company.public_id]))
    body = response.content.decode()
    assert personas.client_user.email in body
    assert personas.employee.email in body
    assert personas.staff.user.get_full_name() in body


def test_staff_of_firm_a_gets_404_for_firm_b_environment(client, personas):
    client.force_login(personas.staff.user)
    assert client.get(reverse("clients:staff_detail", args=[personas.outsider_client.public_id])).status_code == 404
    response = client.post(reverse("clients:staff_invite", args=[personas.outsider_client.public_id]), invite_data())
    assert response.status_code == 404
    assert not Invitation.objects.exists()


def test_staff_invites_a_new_person(client, personas):
    client.force_login(personas.staff.user)
    response = client.post(reverse("clients:staff_invite", args=[personas.company.public_id]), invite_data())
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.email == "nieuw@example.test"
    assert invitation.is_director is True
    assert invitation.may_handle_documents is False
    mail = DevOutboxMessage.objects.get()
    assert mail.recipients == "nieuw@example.test"
    assert "/uitnodiging/" in mail.body_text
    assert personas.firm.name in mail.sender


def test_inviting_a_malformed_email_is_refused(client, personas):
    client.force_login(personas.staff.user)
    response = client.post(
        reverse("clients:staff_invite", args=[personas.company.public_id]), invite_data(email="niet-een-adres")
    )
    assert response.status_code == 400
    assert "email" in response.context["form"].errors
    assert not Invitation.objects.exists()
    assert not DevOutboxMessage.objects.exists()


def test_inviting_an_existing_member_is_refused(client, personas):
    client.force_login(personas.staff.user)
    response = client.post(
        reverse("clients:staff_invite", args=[personas.company.public_id]),
        invite_data(email=personas.employee.email.upper()),
    )
    assert response.status_code == 400
    assert "heeft al toegang tot deze omgeving" in str(response.context["form"].non_field_errors())
    assert not DevOutboxMessage.objects.exists()


def test_inviting_twice_is_refused_with_a_hint_to_resend(client, personas):
    client.force_login(personas.staff.user)
    url = reverse("clients:staff_invite", args=[personas.company.public_id])
    client.post(url, invite_data())
    response = client.post(url, invite_data(email="NIEUW@example.test"))
    assert response.status_code == 400
    assert Invitation.objects.count() == 1


def test_second_person_for_personal_environment_is_refused(client, personas):
    client.force_login(personas.staff.user)
    response = client.post(reverse("clients:staff_invite", args=[personas.private.public_id]), invite_data())
    assert response.status_code == 400
    assert "precies één lid" in str(response.context["form"].non_field_errors())
    assert not Invitation.objects.exists()


def test_inviting_an_existing_account_needs_their_consent_and_reveals_nothing(client, personas):
    client.force_login(personas.staff.user)
    url = reverse("clients:staff_invite", args=[personas.holding.public_id])

    def answer(email):
        response = client.post(url, invite_data(email=email), follow=True)
        return response.status_code, [str(m) for m in response.context["messages"]]

    known = answer(personas.outsider.email)  # has an account, at another firm
    unknown = answer("onbekend@example.test")
    assert known == (200, [f"Er is een uitnodiging verstuurd naar {personas.outsider.email}."])
    assert unknown == (200, ["Er is een uitnodiging verstuurd naar onbekend@example.test."])
    # No access without the person following the link.
    assert not Membership.objects.filter(client=personas.holding, user=personas.outsider).exists()
    assert Invitation.objects.filter(client=personas.holding).count() == 2


def test_resend_invitation_replaces_the_link(client, personas):
    client.force_login(personas.staff.user)
    client.post(reverse("clients:staff_invite", args=[personas.company.public_id]), invite_data())
    invitation = Invitation.objects.get()
    old_hash = invitation.token_hash
    first_link = re.search(r"/uitnodiging/[\w-]+/", DevOutboxMessage.objects.get().body_text).group(0)
    response = client.post(
        reverse("clients:staff_invitation_resend", args=[personas.company.public_id, invitation.public_id])
    )
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.token_hash != old_hash
    assert DevOutboxMessage.objects.count() == 2
    second_link = re.search(r"/uitnodiging/[\w-]+/", DevOutboxMessage.objects.latest("id").body_text).group(0)
    assert second_link != first_link
    client.logout()
    assert client.get(first_link).status_code == 200  # the earlier link keeps working until used
    assert client.get(second_link).status_code == 200


def test_resend_of_another_environments_invitation_is_404(client, personas):
    staff_b = personas.outsider_staff
    client.force_login(staff_b.user)
    client.post(reverse("clients:staff_invite", args=[personas.outsider_client.public_id]), invite_data())
    invitation = Invitation.objects.get()
    client.force_login(personas.staff.user)
    # Firm A's own environment id with firm B's invitation id, and firm B's environment outright.
    for url in (
        reverse("clients:staff_invitation_resend", args=[personas.company.public_id, invitation.public_id]),
        reverse("clients:staff_invitation_resend", args=[personas.outsider_client.public_id, invitation.public_id]),
    ):
        assert client.post(url).status_code == 404
    assert DevOutboxMessage.objects.count() == 1


def test_detail_page_queries_do_not_grow_with_members(client, personas, django_assert_max_num_queries):
    for _ in range(30):
        MembershipFactory(client=personas.company, user=UserFactory())
    StaffMemberFactory(firm=personas.firm)
    client.force_login(personas.staff.user)
    for number in range(5):
        dossier_create(client=personas.company, description=f"Dossier {number}")
    # six for two-step verification, one per kind; dossiers; tiles; three for data changes (the panel
    # and the menu's count); two for the contact persons with their pending invitations
    # The menu counts messages waiting for the firm too; opening the page is recorded (audit: 5 on SQLite).
    with django_assert_max_num_queries(29):
        response = client.get(reverse("clients:staff_detail", args=[personas.company.public_id]))
    assert len(response.context["members"]) == 32
    assert len(response.context["dossiers"]) == 5


def test_staff_edit_environment_and_its_relationship_managers(client, personas):
    colleague = StaffMemberFactory(firm=personas.firm)
    client.force_login(personas.staff.user)
    url = reverse("clients:staff_edit", args=[personas.company.public_id])
    assert client.get(url).context["form"].initial["name"] == "Bakker B.V."
    response = client.post(
        url,
        {"kind": Client.Kind.COMPANY, "name": "Bakker Techniek B.V.", "relationship_managers": [colleague.pk]},
    )
    assert response.status_code == 302
    personas.company.refresh_from_db()
    assert personas.company.name == "Bakker Techniek B.V."
    assert personas.company.parent is None
    assert list(personas.company.relationship_managers.all()) == [colleague]


def test_environment_with_several_members_cannot_become_personal(client, personas):
    client.force_login(personas.staff.user)
    response = client.post(
        reverse("clients:staff_edit", args=[personas.company.public_id]),
        {"kind": Client.Kind.PERSONAL, "name": "Bakker B.V."},
    )
    assert response.status_code == 200
    assert "meerdere leden of uitnodigingen" in str(response.context["form"].non_field_errors())
    personas.company.refresh_from_db()
    assert personas.company.kind == Client.Kind.COMPANY


def test_a_holding_cannot_be_its_own_holding_through_the_form(client, personas):
    client.force_login(personas.staff.user)
    response = client.post(
        reverse("clients:staff_edit", args=[personas.holding.public_id]),
        {"kind": Client.Kind.HOLDING, "name": "Bakker Holding B.V.", "parent": personas.holding.pk},
    )
    assert "parent" in response.context["form"].errors
