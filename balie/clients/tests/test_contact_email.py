"""A contact person's page (names link to it), and a Beheerder or the firm changing a contact
person's sign-in address through a confirmation sent to the new address."""

import re

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from balie.clients.models import ChangeLogEntry, ContactPerson
from balie.clients.tests.test_contacts import confirmed, contact_of
from balie.core.factories import TEST_PASSWORD, UserFactory
from balie.core.testing import duplicate_ids, labels_without_target
from balie.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db
NEW = "medewerker@nieuw.test"
CONFIRM_PATH = re.compile(r"https?://[^/\s]+(/mijn-gegevens/e-mailadres/bevestigen/\S+/)")


def url(name, environment, contact, side="contacts"):
    return reverse(f"{side}:{name}", args=[environment.public_id, contact.public_id])


def link_in_mail_to(address: str) -> str:
    mail = OutboxMessage.objects.filter(recipient=address).latest("id")
    return CONFIRM_PATH.search(mail.body_text).group(1)


@pytest.fixture
def employee_contact(personas):
    return contact_of(personas.employee, personas.company)


# -- The contact person's page ------------------------------------------------------------------------


def test_names_in_the_list_link_to_the_contact_person_page_for_every_member(client, personas, employee_contact):
    client.force_login(personas.employee)
    listing = client.get(reverse("contacts:list", args=[personas.company.public_id])).content.decode()
    assert f'href="{url("detail", personas.company, employee_contact)}"' in listing
    boss = contact_of(personas.client_user, personas.company)
    page = client.get(url("detail", personas.company, boss))
    assert page.status_code == 200
    assert boss.full_name in page.content.decode()
    assert 'id="contact-change-email"' not in page.content.decode()  # a Medewerker manages nothing


def test_the_firms_client_page_links_each_name_to_the_firms_contact_page(client, personas, employee_contact):
    client.force_login(personas.staff.user)
    page = client.get(reverse("clients:staff_detail", args=[personas.company.public_id])).content.decode()
    detail = url("detail", personas.company, employee_contact, side="contacts_staff")
    assert f'href="{detail}"' in page
    response = client.get(detail)
    assert response.status_code == 200
    assert 'id="contact-change-email"' in response.content.decode()


def test_a_contact_of_another_environment_is_404_on_both_sides(client, personas):
    elsewhere = ContactPerson.objects.create(client=personas.outsider_client, first_name="Vera", last_name="Visser")
    client.force_login(personas.client_user)
    assert client.get(url("detail", personas.company, elsewhere)).status_code == 404
    assert client.get(url("email", personas.company, elsewhere)).status_code == 404
    client.force_login(personas.staff.user)
    assert client.get(url("detail", personas.company, elsewhere, side="contacts_staff")).status_code == 404
    assert client.get(url("email", personas.company, elsewhere, side="contacts_staff")).status_code == 404


# -- Changing the sign-in address ---------------------------------------------------------------------


def test_a_beheerder_changes_a_sign_in_address_which_the_person_confirms(client, personas, employee_contact):
    old = personas.employee.email
    client.force_login(personas.client_user)
    first = client.post(url("email", personas.company, employee_contact), {"email": "Medewerker@Nieuw.test"})
    assert first.status_code == 200 and first.context["stepup"] is not None  # confirmation first
    assert not OutboxMessage.objects.filter(recipient=NEW).exists()
    response = confirmed(client, url("email", personas.company, employee_contact), {"email": "Medewerker@Nieuw.test"})
    assert response.status_code == 302
    personas.employee.refresh_from_db()
    assert personas.employee.email == old  # nothing changes before the new mailbox is proven
    to_new = OutboxMessage.objects.get(recipient=NEW)
    assert "Pieter" in to_new.body_text  # says who asked
    assert OutboxMessage.objects.filter(recipient=old).exists()  # the old address is told
    entry = ChangeLogEntry.objects.filter(client=personas.company).latest("at")
    assert entry.changes == [["login_email", old, NEW]]

    path = link_in_mail_to(NEW)
    assert client.post(path).status_code == 400  # the Beheerder cannot confirm it for them
    person = HttpClient()
    assert person.post(path).status_code == 302  # to sign in (with the old address) first
    person.force_login(personas.employee)
    assert person.post(path).status_code == 302
    personas.employee.refresh_from_db()
    employee_contact.refresh_from_db()
    assert personas.employee.email == NEW
    assert employee_contact.email == NEW  # the contact person shows the address they sign in with
    assert HttpClient().post(reverse("account_login"), {"login": NEW, "password": TEST_PASSWORD}).status_code == 302


def test_links_in_the_mails_use_the_configured_site_url(client, personas, employee_contact, settings):
    settings.BALIE_SITE_URL = "https://portaal.example.test:8443"
    client.force_login(personas.client_user)
    confirmed(client, url("email", personas.company, employee_contact), {"email": NEW})
    body = OutboxMessage.objects.get(recipient=NEW).body_text
    assert "https://portaal.example.test:8443/mijn-gegevens/e-mailadres/bevestigen/" in body


def test_a_non_beheerder_is_refused_and_nothing_is_sent(client, personas, employee_contact):
    boss = contact_of(personas.client_user, personas.company)
    client.force_login(personas.employee)
    assert client.get(url("email", personas.company, boss)).status_code == 403
    assert client.post(url("email", personas.company, boss), {"email": NEW}).status_code == 403
    assert client.post(url("email", personas.company, employee_contact), {"email": NEW}).status_code == 403
    assert not OutboxMessage.objects.filter(recipient=NEW).exists()


def test_an_address_in_use_is_refused_without_saying_whose(client, personas, employee_contact):
    taken = UserFactory(email="bezet@example.test")
    client.force_login(personas.client_user)
    response = confirmed(client, url("email", personas.company, employee_contact), {"email": taken.email})
    assert response.status_code == 400
    assert "email" in response.context["form"].errors
    assert not OutboxMessage.objects.filter(recipient=taken.email).exists()
    personas.employee.refresh_from_db()
    assert personas.employee.email == "employee@firm-a.test"


def test_a_contact_person_without_portal_access_has_no_sign_in_address_to_change(client, personas):
    plain = ContactPerson.objects.create(client=personas.company, first_name="Gert", last_name="Later")
    client.force_login(personas.client_user)
    assert client.get(url("email", personas.company, plain)).status_code == 404
    assert 'id="contact-change-email"' not in client.get(url("detail", personas.company, plain)).content.decode()


def test_the_link_expires_after_an_hour(client, personas, employee_contact):
    import time_machine

    from balie.core.testing import later

    client.force_login(personas.client_user)
    confirmed(client, url("email", personas.company, employee_contact), {"email": NEW})
    path = link_in_mail_to(NEW)
    person = HttpClient()
    with time_machine.travel(later(minutes=61), tick=False):
        person.force_login(personas.employee)
        assert person.post(path).status_code == 400
    personas.employee.refresh_from_db()
    assert personas.employee.email != NEW


def test_the_firm_changes_a_sign_in_address_the_same_way(client, personas, employee_contact):
    client.force_login(personas.staff.user)
    address = url("email", personas.company, employee_contact, side="contacts_staff")
    response = confirmed(client, address, {"email": NEW})
    assert response.status_code == 302
    assert OutboxMessage.objects.filter(recipient=NEW).exists()
    entry = ChangeLogEntry.objects.filter(client=personas.company).latest("at")
    assert entry.via == ChangeLogEntry.Via.FIRM
    person = HttpClient()
    person.force_login(personas.employee)
    assert person.post(link_in_mail_to(NEW)).status_code == 302
    personas.employee.refresh_from_db()
    assert personas.employee.email == NEW


def test_the_new_pages_have_unique_ids_and_labels_with_targets(client, personas, employee_contact):
    client.force_login(personas.client_user)
    first = client.post(url("email", personas.company, employee_contact), {"email": NEW})
    pages = [client.get(url("detail", personas.company, employee_contact)), first]
    client.force_login(personas.staff.user)
    pages.append(client.get(url("detail", personas.company, employee_contact, side="contacts_staff")))
    pages.append(client.get(url("email", personas.company, employee_contact, side="contacts_staff")))
    for response in pages:
        html = response.content.decode()
        assert duplicate_ids(html) == [] and labels_without_target(html) == []
