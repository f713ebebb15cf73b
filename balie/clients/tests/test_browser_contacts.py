"""Contact persons in a real browser (Playwright driving Chromium): a Beheerder gives someone access."""

import re

import pytest
from playwright.sync_api import Page, expect

from balie.accounts.factories import TEST_PASSWORD, UserFactory
from balie.clients.factories import ClientFactory
from balie.clients.models import Client, ContactPerson, Membership
from balie.clients.services import membership_create
from balie.firms.factories import FirmFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NEW_PASSWORD = "mijn eigen lange wachtwoord"


def sign_in(page: Page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.click("#sign-in")


def test_a_beheerder_gives_a_new_medewerker_access_who_then_sees_but_cannot_manage(page: Page, live_server, settings):
    settings.BALIE_SITE_URL = live_server.url
    base = live_server.url
    firm = FirmFactory(name="Van Dijk & Partners")
    company = ClientFactory(firm=firm, kind=Client.Kind.COMPANY, name="Bakker Installatietechniek B.V.")
    boss = UserFactory(email="pieter@bakker.test", first_name="Pieter", last_name="Bakker")
    # The service, not the factory: it links the contact person inside its own transaction (PostgreSQL).
    membership_create(client=company, user=boss, role=Membership.Role.ADMIN, is_director=True)

    # The Beheerder adds a contact person with portal access as Medewerker.
    sign_in(page, base, boss.email, TEST_PASSWORD)
    expect(page.locator(".user-menu")).to_be_visible()
    page.goto(f"{base}/o/{company.public_id}/contactpersonen/")
    page.click("#contact-add")
    page.select_option("#id_salutation", "ms")
    page.fill("#id_first_name", "Nina")
    page.fill("#id_last_name", "de Vries")
    page.fill("#id_job_title", "Boekhouder")
    page.fill("#id_email", "nina@bakker.test")
    page.check("#id_give_access")
    page.select_option("#id_role", "employee")
    expect(page.locator("#sharing-notice")).to_contain_text("Bakker Installatietechniek B.V.")
    page.click("#contact-save")

    # What will happen, said plainly, and the confirmation with the password.
    expect(page.locator("#access-summary")).to_contain_text("Nina de Vries")
    expect(page.locator("#access-summary")).to_contain_text("Bakker Installatietechniek B.V.")
    assert not ContactPerson.objects.filter(last_name="de Vries").exists()
    page.fill("#stepup-code", TEST_PASSWORD)
    page.click("#contact-save")
    expect(page).to_have_url(re.compile(f"/o/{company.public_id}/contactpersonen/$"))
    expect(page.locator(".message.success")).to_contain_text("nina@bakker.test")
    contact = ContactPerson.objects.get(client=company, last_name="de Vries")
    expect(page.locator(f"#contact-{contact.public_id}")).to_have_attribute("data-access", "invited")
    page.context.clear_cookies()  # the new person, in another browser

    # The invitation arrives in the development outbox; the person sets a password.
    page.goto(f"{base}/dev/outbox/")
    page.locator("tbody tr a").first.click()
    link = page.locator("a[href*='/uitnodiging/']").first.get_attribute("href")
    page.goto(link)
    page.fill("#id_password1", NEW_PASSWORD)
    page.fill("#id_password2", NEW_PASSWORD)
    page.click("#activate")
    expect(page).to_have_url(re.compile(r"/mijn-gegevens/$"))
    expect(page.locator(".user-menu")).to_be_visible()

    # Signed in as a Medewerker: the contact list without "Add contact person", own row editable.
    page.goto(f"{base}/o/{company.public_id}/contactpersonen/")
    expect(page.locator("#contact-table")).to_contain_text("Pieter Bakker")
    expect(page.locator(f"#contact-{contact.public_id}")).to_have_attribute("data-access", "member")
    expect(page.locator("#contact-add")).to_have_count(0)
    expect(page.locator(f"#edit-{contact.public_id}")).to_be_visible()
    boss_contact = ContactPerson.objects.get(client=company, membership__user=boss)
    expect(page.locator(f"#edit-{boss_contact.public_id}")).to_have_count(0)
    contact.refresh_from_db()
    assert contact.membership.role == Membership.Role.EMPLOYEE

    # Opening the add page directly is refused.
    response = page.goto(f"{base}/o/{company.public_id}/contactpersonen/toevoegen/")
    assert response.status == 403


def test_a_beheerder_changes_a_medewerkers_sign_in_address_and_the_medewerker_confirms(
    page: Page, live_server, settings
):
    """Names link to the contact person; the link in the mail to the new address is posted from
    Chromium by the person themselves, signed in with the old address."""
    settings.BALIE_SITE_URL = live_server.url
    base = live_server.url
    firm = FirmFactory(name="Van Dijk & Partners")
    company = ClientFactory(firm=firm, kind=Client.Kind.COMPANY, name="Bakker Installatietechniek B.V.")
    boss = UserFactory(email="pieter@bakker.test", first_name="Pieter", last_name="Bakker")
    membership_create(client=company, user=boss, role=Membership.Role.ADMIN, is_director=True)
    nina = UserFactory(email="nina@bakker.test", first_name="Nina", last_name="de Vries")
    membership_create(client=company, user=nina, role=Membership.Role.EMPLOYEE)

    sign_in(page, base, boss.email, TEST_PASSWORD)
    expect(page.locator(".user-menu")).to_be_visible()
    page.goto(f"{base}/o/{company.public_id}/contactpersonen/")
    page.get_by_role("link", name="Nina de Vries").click()
    expect(page.locator("h1")).to_have_text("Nina de Vries")
    page.set_viewport_size({"width": 375, "height": 800})  # the contact's page fits a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.click("#contact-change-email")
    expect(page.locator("#id_email")).to_be_visible()  # the link has loaded its page
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.fill("#id_email", "nina@nieuw.test")
    page.click("#email-save")
    page.fill("#stepup-code", TEST_PASSWORD)
    page.click("#email-save")
    expect(page.locator(".message.success")).to_contain_text("nina@nieuw.test")
    expect(page.locator("#contact-login")).to_have_text("nina@bakker.test")  # until Nina confirms

    # Nina signs in with her current address and opens the link from the outbox.
    page.context.clear_cookies()
    sign_in(page, base, nina.email, TEST_PASSWORD)
    expect(page.locator(".user-menu")).to_be_visible()
    page.goto(f"{base}/dev/outbox/")
    page.locator("tbody tr", has_text="nina@nieuw.test").locator("a").first.click()
    expect(page.locator("body")).to_contain_text("Pieter Bakker")
    page.locator("a[href*='/mijn-gegevens/e-mailadres/bevestigen/']").first.click()
    # The page says which address becomes which, who asked and where, and warns; one click is not
    # enough: Nina confirms with her own password (she has no second factor).
    expect(page.locator("#email-change-old")).to_have_text("nina@bakker.test")
    expect(page.locator("#email-change-new")).to_have_text("nina@nieuw.test")
    expect(page.locator("#email-change-by")).to_contain_text("Pieter Bakker")
    expect(page.locator("#email-change-by")).to_contain_text("Bakker Installatietechniek B.V.")
    expect(page.locator("#email-change-warning")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.click("#confirm-email")
    expect(page.locator("#stepup-error")).to_be_visible()
    nina.refresh_from_db()
    assert nina.email == "nina@bakker.test"
    page.fill("#stepup-code", TEST_PASSWORD)
    page.locator("#stepup-code").press("Enter")  # by keyboard
    expect(page.locator(".message.success")).to_contain_text("nina@nieuw.test")
    nina.refresh_from_db()
    assert nina.email == "nina@nieuw.test"
    assert ContactPerson.objects.get(client=company, membership__user=nina).email == "nina@nieuw.test"
