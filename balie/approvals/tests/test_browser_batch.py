"""Approving several documents with one SMS code, at 1280 and at 375 px, and the approval page by
keyboard alone: after Akkoord geven the focus is on the code field, and the document link comes
before the decision buttons."""

import re

import pytest
from playwright.sync_api import Page, expect

from balie.approvals import services
from balie.approvals.models import Decision
from balie.approvals.tests.client_support import company_with_directors, document
from balie.notifications.models import OutboxMessage
from balie.twostep.tests.test_browser import sign_in_with_sms
from balie.twostep.tests.utils import enrol_sms, sms_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("still_clock")]
NUMBER = "+31612345601"
TITLES = ("Btw-aangifte Q1 2026", "Btw-aangifte Q2 2026", "Btw-aangifte Q3 2026")


def active_id(page: Page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def fits(page: Page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def director_with_requests(personas, titles, **settings):
    bv = company_with_directors(personas, count=1, name="Jansen Installatietechniek B.V.")
    director = bv.directors[0]
    director.language = "en"  # the page texts are checked in their msgid form
    director.save(update_fields=["language"])
    enrol_sms(director, NUMBER)
    approvals = []
    for title in titles:
        doc = document(bv.client, actor=personas.staff.user, title=title)
        values = {"audience": "directors", "after": "nothing", **settings}
        approvals.append(services.request_create(document=doc, actor=personas.staff.user, **values))
    return bv, director, approvals


@pytest.mark.parametrize("width", [1280, 375])
def test_three_documents_approved_with_one_sms_code(page: Page, live_server, personas, settings, width):
    settings.BALIE_SMS_CODE_INTERVAL_SECONDS = 0
    base = live_server.url
    page.set_viewport_size({"width": width, "height": 800})
    bv, director, approvals = director_with_requests(personas, TITLES)
    sign_in_with_sms(page, base, director, NUMBER)

    page.goto(f"{base}/o/{bv.client.public_id}/overzicht-documenten/?status=open")  # Accorderingen, open tasks
    page.click("#to-batch")
    expect(page.locator("#batch-list li")).to_have_count(3)
    fits(page, width)
    for title in TITLES:
        page.get_by_role("checkbox", name=title).check()
    page.click("#approve-selected")

    # One page: each document with a link to read it and what approving means; one code field, focused.
    items = page.locator("#batch-items li")
    expect(items).to_have_count(3)
    for title in TITLES:
        expect(page.get_by_role("link", name=title)).to_be_visible()
    expect(items.first).to_contain_text("Your approval is recorded and your firm is told.")
    expect(page.locator("#stepup-code")).to_be_focused()
    fits(page, width)
    sent_before = OutboxMessage.objects.filter(channel="sms").count()
    page.click("#stepup-send-sms")
    expect(page.locator("#stepup-sms-status")).to_contain_text("••")
    page.fill("#stepup-code", sms_code(NUMBER))
    page.click("#confirm")

    expect(page.locator(".messages")).to_contain_text("3 documents have been approved.")
    expect(page).to_have_url(re.compile(r"/overzicht-documenten/\?status=open$"))
    assert OutboxMessage.objects.filter(channel="sms").count() == sent_before + 1  # one code for the three
    decisions = list(Decision.objects.order_by("request__pk"))
    assert [each.version_sha256 for each in decisions] == [each.version.sha256 for each in approvals]
    assert {each.factor for each in decisions} == {"sms"} and len({each.challenge_id for each in decisions}) == 1


def test_keyboard_only_the_document_comes_first_and_the_code_field_takes_the_focus(
    page: Page, live_server, personas, settings
):
    settings.BALIE_SMS_CODE_INTERVAL_SECONDS = 0
    base = live_server.url
    bv, director, (approval,) = director_with_requests(personas, TITLES[:1])
    sign_in_with_sms(page, base, director, NUMBER)
    page.goto(f"{base}{approval.get_absolute_url()}")
    expect(page.locator("#approve")).to_be_visible()

    # Tab from the top: the document link is reached before the decision buttons.
    reached = []
    for _step in range(80):
        page.keyboard.press("Tab")
        reached.append(active_id(page))
        if reached[-1] == "approve":
            break
    assert "approve" in reached and "open-document" in reached
    assert reached.index("open-document") < reached.index("approve")

    # Enter on Akkoord geven: the confirmation step, with the focus on the code field.
    page.keyboard.press("Enter")
    expect(page.locator("#confirm-summary")).to_contain_text(TITLES[0])
    expect(page.locator("#stepup-code")).to_be_focused()
    assert active_id(page) == "stepup-code"

    # Tab to Send SMS code, Enter; back to the code with Shift+Tab, type it, Enter confirms.
    page.keyboard.press("Tab")
    assert active_id(page) == "stepup-send-sms"
    page.keyboard.press("Enter")
    expect(page.locator("#stepup-sms-status")).to_contain_text("••")
    page.keyboard.press("Shift+Tab")
    assert active_id(page) == "stepup-code"
    page.keyboard.type(sms_code(NUMBER))
    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text("The document has been processed successfully")
    assert Decision.objects.get().version_sha256 == approval.version.sha256
