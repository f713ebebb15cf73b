"""A change of address under the review policy, in a real browser (Playwright driving Chromium)."""

import re

import pytest
from playwright.sync_api import Page, expect

from balie.twostep.tests.test_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_client_proposes_a_new_address_staff_approve_and_the_client_sees_it(
    page: Page, browser, browser_context_args, live_server, personas
):
    base = live_server.url
    company = personas.company
    company.street, company.postal_code, company.city = "Dorpsstraat 1", "1234 AB", "Utrecht"
    company.save()

    # The client (Beheerder) proposes a new address.
    sign_in(page, base, personas.client_user.email)
    expect(page.locator(".user-menu")).to_be_visible()
    page.goto(f"{base}/o/{company.public_id}/organisatie/")
    expect(page.locator("#review-policy")).to_be_visible()
    page.click("#change-details")
    expect(page.locator("#id_street")).to_have_value("Dorpsstraat 1")
    page.fill("#id_street", "Iets anders 5")
    page.click("#reset-form")  # Herstel: back to the current values
    expect(page.locator("#id_street")).to_have_value("Dorpsstraat 1")
    page.fill("#id_street", "Kerkplein 2")
    page.fill("#id_postal_code", "3512ab")
    page.fill("#id_city", "Zeist")
    page.click("#send-request")
    expect(page).to_have_url(re.compile(f"/o/{company.public_id}/organisatie/$"))
    expect(page.locator(".message.success")).to_be_visible()
    expect(page.locator("#value-street")).to_have_text("Dorpsstraat 1")  # not before the firm's review
    expect(page.locator("#pending-changes")).to_contain_text("3512 AB")

    # The relationship manager, in another browser, approves it from the change requests inbox.
    staff_context = browser.new_context(**browser_context_args)
    try:
        staff_page = staff_context.new_page()
        sign_in(staff_page, base, personas.staff.user.email)
        expect(staff_page.locator(".user-menu")).to_be_visible()
        staff_page.goto(f"{base}/kantoor/wijzigingsverzoeken/")
        expect(staff_page.locator("#request-table tbody tr")).to_have_count(1)
        staff_page.get_by_role("link", name="Bakker B.V.").click()
        expect(staff_page.locator("#row-street")).to_contain_text("Kerkplein 2")
        expect(staff_page.locator("#row-street")).to_contain_text("Dorpsstraat 1")
        staff_page.click("#approve-request")
        expect(staff_page.locator(".message.success")).to_be_visible()
        expect(staff_page.locator("#requests-empty")).to_be_visible()
    finally:
        staff_context.close()

    # The client reloads: the new address, and a notification under the bell.
    page.reload()
    expect(page.locator("#value-street")).to_have_text("Kerkplein 2")
    expect(page.locator("#value-postal_code")).to_have_text("3512 AB")
    expect(page.locator("#value-city")).to_have_text("Zeist")
    expect(page.locator("#pending-request")).to_have_count(0)
    expect(page.locator("#bell-count")).to_have_text("1")
    page.click(".bell")
    expect(page.locator("main .list li.unread")).to_have_count(1)
    expect(page.locator("main .list li.unread")).to_contain_text("Bakker B.V.")
