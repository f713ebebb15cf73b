"""Roles enforced (ORG-4): every role × every action of the environment's data, contacts and access.

One table says what Beheerder, Medewerker+ and Medewerker may do; each page and each action is
tried by each role. Refused means 403 and nothing written; allowed means the page or action works.
"""

import pytest
from django.urls import reverse

from balie.accounts.factories import UserFactory
from balie.clients.factories import ClientFactory, MembershipFactory
from balie.clients.models import ChangeRequest, Client, ContactPerson, Membership
from balie.clients.roles import ALLOWED, Action, can

pytestmark = pytest.mark.django_db

ADMIN, PLUS, EMPLOYEE = Membership.Role.ADMIN, Membership.Role.EMPLOYEE_PLUS, Membership.Role.EMPLOYEE

# The issue's table, written out: what each role may do.
EXPECTED = {
    Action.VIEW_ORGANISATION: {ADMIN, PLUS, EMPLOYEE},
    Action.CHANGE_ORGANISATION: {ADMIN},
    Action.VIEW_HISTORY: {ADMIN, PLUS},
    Action.MANAGE_CONTACTS: {ADMIN},
    Action.EDIT_OWN_CONTACT: {ADMIN, PLUS, EMPLOYEE},
    Action.VIEW_VIEWERS: {ADMIN},  # who at the firm opened the environment's things (SEC-2)
}


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", [ADMIN, PLUS, EMPLOYEE])
def test_the_role_table_is_the_issues_table(role, action):
    membership = Membership(role=role)
    assert can(membership, action) is (role in EXPECTED[action])
    assert (action in ALLOWED[role]) is (role in EXPECTED[action])


def test_no_membership_may_do_nothing():
    assert not any(can(None, action) for action in Action)


@pytest.fixture
def office(personas):
    """The company of firm A with one member per role, a colleague's contact and a pending request."""
    company = personas.company  # client_user is its Beheerder, employee its Medewerker
    plus = UserFactory(email="plus@firm-a.test", first_name="Petra", last_name="Plus")
    MembershipFactory(user=plus, client=company, role=PLUS)
    colleague = ContactPerson.objects.create(
        client=company, salutation="ms", first_name="Carla", last_name="Collega", email="carla@bakker.test"
    )
    request = ChangeRequest.objects.create(
        client=company, requested_by=personas.client_user, old_values={"city": ""}, new_values={"city": "Utrecht"}
    )
    return {
        ADMIN: personas.client_user,
        PLUS: plus,
        EMPLOYEE: personas.employee,
        "company": company,
        "colleague": colleague,
        "request": request,
    }


def own_contact(office, role):
    return ContactPerson.objects.get(client=office["company"], membership__user=office[role])


# (url name, method, kwargs builder, action it needs, form data for a POST)
PAGES = [
    ("organisation:detail", "get", lambda o, r: {}, Action.VIEW_ORGANISATION, None),
    ("organisation:edit", "get", lambda o, r: {}, Action.CHANGE_ORGANISATION, None),
    ("organisation:edit", "post", lambda o, r: {}, Action.CHANGE_ORGANISATION, {"name": "Overgenomen B.V."}),
    (
        "organisation:withdraw",
        "post",
        lambda o, r: {"request": o["request"].public_id},
        Action.CHANGE_ORGANISATION,
        {},
    ),
    ("organisation:history", "get", lambda o, r: {}, Action.VIEW_HISTORY, None),
    ("contacts:list", "get", lambda o, r: {}, Action.VIEW_ORGANISATION, None),
    ("contacts:add", "get", lambda o, r: {}, Action.MANAGE_CONTACTS, None),
    (
        "contacts:add",
        "post",
        lambda o, r: {},
        Action.MANAGE_CONTACTS,
        {"salutation": "mr", "first_name": "Nieuw", "last_name": "Persoon"},
    ),
    ("contacts:edit", "get", lambda o, r: {"contact": o["colleague"].public_id}, Action.MANAGE_CONTACTS, None),
    (
        "contacts:edit",
        "post",
        lambda o, r: {"contact": o["colleague"].public_id},
        Action.MANAGE_CONTACTS,
        {"salutation": "ms", "first_name": "Carla", "last_name": "Veranderd"},
    ),
    ("contacts:edit", "get", lambda o, r: {"contact": own_contact(o, r).public_id}, Action.EDIT_OWN_CONTACT, None),
    (
        "contacts:access_remove",
        "post",
        lambda o, r: {"contact": own_contact(o, EMPLOYEE if r != EMPLOYEE else PLUS).public_id},
        Action.MANAGE_CONTACTS,
        {},
    ),
    ("contacts:delete", "post", lambda o, r: {"contact": o["colleague"].public_id}, Action.MANAGE_CONTACTS, {}),
]


def snapshot(company):
    """Everything these pages could write."""
    company = Client.objects.get(pk=company.pk)
    return (
        company.name,
        sorted(ContactPerson.objects.filter(client=company).values_list("first_name", "last_name", "membership")),
        sorted(Membership.objects.filter(client=company).values_list("user_id", "role")),
        sorted(ChangeRequest.objects.filter(client=company).values_list("status", flat=True)),
    )


@pytest.mark.parametrize("role", [ADMIN, PLUS, EMPLOYEE])
@pytest.mark.parametrize(("name", "method", "kwargs", "action", "data"), PAGES, ids=[f"{p[0]}-{p[1]}" for p in PAGES])
def test_every_role_and_every_page(client, office, role, name, method, kwargs, action, data):
    client.force_login(office[role])
    url = reverse(name, kwargs={"client": office["company"].public_id, **kwargs(office, role)})
    before = snapshot(office["company"])
    response = getattr(client, method)(url, data) if method == "post" else client.get(url)
    if role in EXPECTED[action]:
        assert response.status_code in (200, 302), (role, name, method, response.status_code)
        if method == "get":
            assert response.status_code == 200
    else:
        assert response.status_code == 403, (role, name, method, response.status_code)
        assert snapshot(office["company"]) == before  # nothing written


@pytest.mark.parametrize("role", [ADMIN, PLUS, EMPLOYEE])
def test_menus_and_buttons_follow_the_role(client, office, role):
    client.force_login(office[role])
    company = office["company"].public_id
    organisation = client.get(reverse("organisation:detail", args=[company])).content.decode()
    contacts = client.get(reverse("contacts:list", args=[company])).content.decode()
    assert (reverse("organisation:edit", args=[company]) in organisation) is (role == ADMIN)
    assert (reverse("organisation:history", args=[company]) in organisation) is (role in (ADMIN, PLUS))
    assert (reverse("contacts:add", args=[company]) in contacts) is (role == ADMIN)
    colleague_edit = reverse("contacts:edit", args=[company, office["colleague"].public_id])
    assert (colleague_edit in contacts) is (role == ADMIN)
    assert reverse("contacts:edit", args=[company, own_contact(office, role).public_id]) in contacts
    home = client.get(reverse("home:client", args=[company])).content.decode()
    assert reverse("organisation:detail", args=[company]) in home  # the menu entry, for every role


def test_a_role_change_takes_effect_on_the_next_request(client, office):
    client.force_login(office[EMPLOYEE])
    url = reverse("contacts:add", args=[office["company"].public_id])
    assert client.get(url).status_code == 403
    Membership.objects.filter(user=office[EMPLOYEE], client=office["company"]).update(role=ADMIN)
    assert client.get(url).status_code == 200
    Membership.objects.filter(user=office[EMPLOYEE], client=office["company"]).update(role=EMPLOYEE)
    assert client.get(url).status_code == 403


def test_a_role_in_one_environment_gives_nothing_in_another(client, personas):
    """Beheerder of one company, Medewerker of another: the weaker role applies there."""
    other = ClientFactory(firm=personas.firm, kind=Client.Kind.COMPANY, name="Tweede B.V.")
    MembershipFactory(user=personas.employee, client=other, role=ADMIN)
    client.force_login(personas.employee)
    assert client.get(reverse("contacts:add", args=[other.public_id])).status_code == 200
    assert client.get(reverse("contacts:add", args=[personas.company.public_id])).status_code == 403
