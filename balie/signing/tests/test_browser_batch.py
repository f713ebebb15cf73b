"""Signing two documents with one drawing and one SMS code, at 1280 and at 375 px: each gets the
signature bound to its own version and is sealed into its own PDF. And the signing confirmation
puts the focus on the code field, as the approval page does."""

import re

import pytest
from playwright.sync_api import Page, expect

from balie.approvals.states import Status
from balie.notifications.models import OutboxMessage
from balie.signing import services
from balie.signing.models import Signature
from balie.signing.tests.support import annual_accounts, company_with_directors
from balie.signing.tests.test_browser_signing import draw_signature
from balie.twostep.tests.test_browser import sign_in_with_sms
from balie.twostep.tests.utils import enrol_sms, sms_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("still_clock")]
NUMBER = "+31612345601"
TITLES = ("Jaarrekening 2025", "Notulen AVA 2025")


def signer_with_requests(personas, titles):
    bv = company_with_directors(personas, count=1, name="Jansen Installatietechniek B.V.")
    director = bv.directors[0]
    director.language = "en"  # the page texts are checked in their msgid form
    director.save(update_fields=["language"])
    enrol_sms(director, NUMBER)
    approvals = [
        services.sign_request_create(
            document=annual_accounts(bv.client, actor=personas.staff.user, title=title, pages=1),
            actor=personas.staff.user,
            signers=[director],
        )
        for title in titles
    ]
    return bv, director, approvals


@pytest.mark.parametrize("width", [1280, 375])
def test_two_documents_signed_with_one_drawing_and_one_code(page: Page, live_server, personas, settings, width):
    settings.BALIE_SMS_CODE_INTERVAL_SECONDS = 0
    base = live_server.url
    page.set_viewport_size({"width": width, "height": 800})
    bv, director, approvals = signer_with_requests(personas, TITLES)
    sign_in_with_sms(page, base, director, NUMBER)

    page.goto(f"{base}/o/{bv.client.public_id}/overzicht-documenten/?status=open")
    page.click("#to-sign-batch")
    expect(page.locator("#batch-list li")).to_have_count(2)
    for title in TITLES:
        page.get_by_role("checkbox", name=title).check()
    page.click("#sign-selected")
    expect(page.locator("#batch-items li")).to_have_count(2)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.locator("#signature-canvas").scroll_into_view_if_needed()  # below the list on a phone
    draw_signature(page)
    page.click("#to-confirm")

    expect(page.locator("#signature-preview")).to_be_visible()
    expect(page.locator("#stepup-code")).to_be_focused()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    sent_before = OutboxMessage.objects.filter(channel="sms").count()
    page.click("#stepup-send-sms")
    expect(page.locator("#stepup-sms-status")).to_contain_text("••")
    page.fill("#stepup-code", sms_code(NUMBER))
    page.click("#confirm")

    expect(page.locator(".messages")).to_contain_text("2 documents have been signed.")
    assert OutboxMessage.objects.filter(channel="sms").count() == sent_before + 1
    signatures = list(Signature.objects.select_related("decision").order_by("request__pk"))
    assert [each.decision.version_sha256 for each in signatures] == [each.version.sha256 for each in approvals]
    assert len({each.image_sha256 for each in signatures}) == 1
    assert {each.state for each in signatures} == {Signature.State.SEALED}  # each by its own job
    for approval in approvals:
        approval.refresh_from_db()
        assert approval.status == Status.SIGNED


def test_the_signing_confirmation_puts_the_focus_on_the_code(page: Page, live_server, personas):
    base = live_server.url
    bv, director, (approval,) = signer_with_requests(personas, TITLES[:1])
    sign_in_with_sms(page, base, director, NUMBER)
    page.goto(f"{base}/o/{bv.client.public_id}/ondertekenen/{approval.public_id}/tekenen/")
    page.click("label.pad-tab:has(#pad-method-typed)")
    page.locator("#id_typed_name").press("Enter")  # the name is there already; Enter sends the pad
    expect(page).to_have_url(re.compile(r"/tekenen/$"))
    expect(page.locator("#signature-preview")).to_be_visible()
    expect(page.locator("#stepup-code")).to_be_focused()
    assert page.evaluate("document.activeElement.id") == "stepup-code"
