"""The approval page in a real browser: on a phone, with the Details toggle opened by keyboard, the
64-character fingerprint wraps instead of widening the page."""

import pytest
from playwright.sync_api import Page, expect

from balie.approvals.tests.test_vocabulary import accountancy_request
from balie.twostep.tests.test_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_approval_page_fits_a_phone_with_its_details_open(page: Page, live_server, personas):
    approval = accountancy_request(personas)
    page.set_viewport_size({"width": 375, "height": 800})
    sign_in(page, live_server.url, personas.client_user.email)
    page.goto(live_server.url + approval.get_absolute_url())
    expect(page.locator("#version-sha256")).to_be_hidden()  # the technical facts wait behind the toggle
    page.locator("#request-details summary").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#version-sha256")).to_be_visible()
    expect(page.locator("#version-sha256")).to_have_text(approval.version.sha256)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
