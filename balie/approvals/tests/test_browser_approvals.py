"""The acceptance journey of issue 7 in a real browser (Playwright driving Chromium): the firm
publishes VAT returns for a BV with two directors; director A approves both with an SMS code,
each "later", and sends them as one batch; the Digipoort simulator's receipt makes them "akkoord
digipoort"; director B's task is gone, B sees who approved and finds them in the history."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Page, expect

from balie.approvals.models import Flow, Request
from balie.approvals.states import Status
from balie.approvals.tests.client_support import company_with_directors
from balie.dossiers import services as dossiers
from balie.dossiers.tests.test_browser import one_page_pdf
from balie.todos.models import Todo
from balie.twostep.tests.test_browser import sign_in
from balie.twostep.tests.utils import enrol_sms, enrol_totp, sms_code, totp_now

# The server's clock stands still: a code typed from the app (30-second windows) or an SMS cannot
# expire while a busy machine takes its time between reading the code and checking it.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("still_clock")]


def confirm_with_sms(page: Page) -> None:
    """The step-up box: SMS, send the code, read it from the development outbox, Bevestigen."""
    page.check("input[name=stepup_factor][value=sms]")
    page.click("#stepup-send-sms")
    expect(page.locator("#stepup-sms-status")).to_contain_text("••")
    page.fill("#stepup-code", sms_code())
    page.click("#confirm")


def approve_later(page: Page, base: str, title: str) -> None:
    page.goto(f"{base}/taken/")
    page.get_by_role("link", name=re.compile(title)).click()
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator("#preview-pages canvas").first).to_be_visible()  # drawn by PDF.js
    page.fill("#id_comment", "Akkoord, dank je.")
    page.click("#approve")
    expect(page.locator("#confirm-summary")).to_contain_text(title)
    page.check("#send-later")
    confirm_with_sms(page)
    expect(page).to_have_url(re.compile(r"/klaar-om-te-verzenden/$"))
    expect(page.locator(".messages")).to_contain_text("The document has been processed successfully")


def test_two_vat_returns_approved_later_and_sent_as_one_batch(page: Page, live_server, personas, settings):
    from balie.approvals.filing import filing_process_receipts

    settings.BALIE_SMS_CODE_INTERVAL_SECONDS = 0  # three confirmations by SMS within a minute
    settings.BALIE_DIGIPOORT_DELAY_SECONDS = 0
    base = live_server.url
    bv = company_with_directors(personas, count=2, name="Jansen Installatietechniek B.V.")
    a, b = bv.directors
    for director in (a, b):
        director.language = "en"  # the page texts are checked in their msgid form
        director.save(update_fields=["language"])
    secret = enrol_totp(a)
    enrol_sms(a)
    # This firm files VAT returns through Digipoort (its own flow, APR-1 configurable per firm).
    Flow.objects.create(
        firm=personas.firm, doc_type="vat_return", mode="approve", audience="directors", after="digipoort"
    )
    dossier = dossiers.dossier_create(client=bv.client, description="Belastingen 2025")
    for quarter in ("Q2", "Q3"):
        dossiers.document_publish(
            dossier=dossier,
            uploads=[
                SimpleUploadedFile(
                    f"Btw-aangifte {quarter} 2025.pdf", one_page_pdf(f"Btw {quarter}"), content_type="application/pdf"
                )
            ],
            folder=None,
            doc_type="vat_return",
            year=2025,
            period=quarter,
            direction="firm",
            message="Graag uw akkoord voor de btw-aangifte.",
            request_kind="approve",
            actor=personas.staff.user,
        )
    assert Todo.objects.filter(status="open").count() == 2

    # Director A: signs in with the app, approves both "later" with SMS codes, sends them at once.
    sign_in(page, base, a.email)
    page.fill("#id_code", totp_now(secret))
    page.click("#verify")
    approve_later(page, base, "Btw-aangifte Q2 2025")
    approve_later(page, base, "Btw-aangifte Q3 2025")
    expect(page.locator("#ready-table tbody tr")).to_have_count(2)
    page.click("#send-selected")
    expect(page.locator("#batch-items li")).to_have_count(2)
    confirm_with_sms(page)
    expect(page.locator(".messages")).to_contain_text("2 documents have been sent.")
    expect(page.locator("#ready-empty")).to_be_visible()

    # The simulator answers: both are "akkoord digipoort".
    assert filing_process_receipts() == 2
    assert set(Request.objects.values_list("status", flat=True)) == {Status.ACCEPTED}
    page.click("#tab-history")
    expect(page.locator("#history-table .approval-status")).to_have_text(["Accepted by Digipoort"] * 2)

    # Director B: no task left, sees who approved, finds them by year and type.
    page.context.clear_cookies()
    sign_in(page, base, b.email)
    page.goto(f"{base}/taken/")
    expect(page.locator("ul.todos li")).to_have_count(0)
    page.goto(f"{base}/o/{bv.client.public_id}/")
    page.click("#menu-approvals")
    page.select_option("#id_year", "2025")
    page.select_option("#id_type", "vat_return")
    page.click("#apply-filter")
    rows = page.locator("#history-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("DirecteurA Jansen")
    page.get_by_role("link", name="Btw-aangifte Q3 2025").click()
    expect(page.locator("#settled-by")).to_contain_text("Approved by DirecteurA Jansen on")
    expect(page.locator("#approval-status")).to_have_text("Accepted by Digipoort")
    expect(page.locator("#approve")).to_have_count(0)
    page.goto(f"{base}/o/{bv.client.public_id}/overzicht-documenten/?year=2024")
    expect(page.locator("#history-empty")).to_be_visible()
