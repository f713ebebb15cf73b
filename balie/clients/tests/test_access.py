import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from balie.accounts.factories import UserFactory
from balie.clients.factories import ClientFactory
from balie.clients.models import Client, Membership
from balie.clients.selectors import client_list_for_staff, client_list_for_user
from balie.clients.services import membership_create
from balie.core.testing import race, skip_unless_postgresql

pytestmark = pytest.mark.django_db


def test_user_sees_exactly_their_own_environments(personas):
    seen = set(client_list_for_user(user=personas.client_user))
    assert seen == {personas.private, personas.company, personas.holding}
    assert set(client_list_for_user(user=personas.outsider)) == {personas.outsider_client}


def test_staff_see_only_their_own_firms_environments(personas):
    seen = set(client_list_for_staff(staff=personas.staff))
    assert personas.outsider_client not in seen
    assert {personas.private, personas.company, personas.holding} <= seen
    assert set(client_list_for_staff(staff=personas.outsider_staff)) == {personas.outsider_client}


def test_disabled_user_sees_nothing(personas):
    personas.client_user.is_active = False
    assert list(client_list_for_user(user=personas.client_user)) == []


def test_member_opens_environment_by_deep_link(client, personas):
    client.force_login(personas.client_user)
    response = client.get(reverse("home:client", args=[personas.holding.public_id]))
    assert response.status_code == 200
    assert response.context["current_client"] == personas.holding
    personas.client_user.refresh_from_db()
    assert personas.client_user.last_client == personas.holding


def test_outsider_gets_404_for_another_firms_environment(client, personas):
    client.force_login(personas.outsider)
    response = client.get(reverse("home:client", args=[personas.company.public_id]))
    assert response.status_code == 404
    assert "Bakker" not in response.content.decode()


def test_non_member_of_same_firm_gets_404(client, personas):
    client.force_login(personas.employee)  # member of the company only
    assert client.get(reverse("home:client", args=[personas.private.public_id])).status_code == 404
    assert client.get(reverse("home:client", args=[personas.company.public_id])).status_code == 200


def test_unknown_environment_in_url_is_404(client, personas):
    client.force_login(personas.client_user)
    assert client.get("/o/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get("/o/not-a-uuid/").status_code == 404


def test_staff_member_is_no_member_of_client_environment(client, personas):
    client.force_login(personas.staff.user)
    assert client.get(reverse("home:client", args=[personas.company.public_id])).status_code == 404


def test_root_opens_the_preferred_environment_then_the_last_one(client, personas):
    user = personas.client_user
    client.force_login(user)
    client.get(reverse("home:client", args=[personas.holding.public_id]))
    assert client.get("/").url == reverse("home:client", args=[personas.holding.public_id])
    user.refresh_from_db()
    user.preferred_client = personas.private
    user.save()
    assert client.get("/").url == reverse("home:client", args=[personas.private.public_id])


def test_root_ignores_a_remembered_environment_the_user_lost(client, personas):
    user = personas.employee
    user.last_client = personas.outsider_client
    user.save()
    client.force_login(user)
    assert client.get("/").url == reverse("home:client", args=[personas.company.public_id])


def test_root_sends_staff_without_environments_to_the_back_office(client, personas):
    client.force_login(personas.staff.user)
    assert client.get("/").url == reverse("clients:staff_list")


def test_root_without_any_access_explains_it(client, db):
    client.force_login(UserFactory())
    response = client.get("/")
    assert response.status_code == 200
    assert response.templates[0].name == "home/no_environment.html"
    assert "Nog geen omgeving" in response.content.decode()


def test_switcher_lists_and_searches_own_environments_only(client, personas):
    client.force_login(personas.client_user)
    response = client.get(reverse("clients:switcher"))
    names = [c.name for c in response.context["page"]]
    assert names == sorted([personas.private.name, personas.company.name, personas.holding.name])
    response = client.get(reverse("clients:switcher"), {"q": "holding"})
    assert [c.name for c in response.context["page"]] == ["Bakker Holding B.V."]
    response = client.get(reverse("clients:switcher"), {"q": "Visser"})
    assert list(response.context["page"]) == []


def test_switcher_answers_htmx_with_the_list_only(client, personas):
    client.force_login(personas.client_user)
    response = client.get(reverse("clients:switcher"), {"q": "Bakker"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert 'id="switcher-items"' in body
    assert "<html" not in body


def test_second_member_for_personal_environment_is_refused_with_a_message(personas):
    with pytest.raises(ValidationError) as error:
        membership_create(client=personas.private, user=personas.employee)
    assert error.value.code == "personal_has_member"
    assert "privéomgeving heeft precies één lid" in str(error.value)


def test_database_refuses_second_member_of_personal_environment(personas):
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership(client=personas.private, user=personas.employee).save()


def test_company_environment_takes_several_members(personas):
    extra = UserFactory()
    membership_create(client=personas.company, user=extra, role=Membership.Role.EMPLOYEE_PLUS)
    assert personas.company.memberships.count() == 3


def test_duplicate_membership_is_refused(personas):
    with pytest.raises(ValidationError):
        membership_create(client=personas.company, user=personas.client_user)


def test_environment_cannot_be_its_own_holding(personas):
    holding = ClientFactory(firm=personas.firm, kind=Client.Kind.HOLDING)
    holding.parent = holding
    with pytest.raises(IntegrityError), transaction.atomic():
        holding.save()


def test_operator_admin_cannot_change_the_kind_of_an_environment(client, personas):
    operator = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(operator)
    page = client.get(reverse("admin:clients_client_change", args=[personas.company.pk]))
    assert page.status_code == 200
    assert 'name="kind"' not in page.content.decode()  # shown read-only


@pytest.mark.django_db(transaction=True)
def test_concurrent_members_of_a_personal_environment_get_exactly_one():
    skip_unless_postgresql()
    for _ in range(10):
        personal = ClientFactory(kind=Client.Kind.PERSONAL)
        users = [UserFactory() for _ in range(4)]
        outcomes = race(lambda user, c=personal: membership_create(client=c, user=user), users)
        assert outcomes == ["ok"] + ["personal_has_member"] * 3
        assert personal.memberships.count() == 1


def test_selectors_answer_404_for_malformed_ids(personas):
    from django.http import Http404

    from balie.clients.selectors import get_client_for_staff, get_membership_for_user

    for bad in ("niets", "1; drop table", ""):
        with pytest.raises(Http404):
            get_membership_for_user(user=personas.client_user, client_public_id=bad)
        with pytest.raises(Http404):
            get_client_for_staff(staff=personas.staff, client_public_id=bad)
