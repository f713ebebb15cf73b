"""The audit trail's journey in a real browser (Playwright driving Chromium): Sanne (staff) opens
Pieter's BV and a document; Pieter sees it under "Wie heeft mijn gegevens bekeken" on a phone; the
firm's administrator filters the log to Sanne by keyboard, exports it, and the downloaded file
verifies with the documented script; Pieter reports a sign-in with "Dit was ik niet"."""

import subprocess
import sys

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from playwright.sync_api import Page, expect

from balie.core.boundaries import ROOT
from balie.firms.factories import StaffMemberFactory
from balie.twostep.tests.test_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCRIPT = ROOT.parent / "docs" / "audit-verify.py"


def fits(page: Page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_sanne_opens_the_bv_pieter_sees_it_and_the_admin_exports_a_verified_log(
    page: Page, browser, browser_context_args, live_server, personas, tmp_path
):
    from balie.dossiers.services import document_add, dossier_create

    base = live_server.url
    company = personas.company
    sanne = StaffMemberFactory(firm=personas.firm, user__first_name="Sanne", user__last_name="de Vries").user
    dossier = dossier_create(client=company, description="Doorlopend dossier")
    upload = SimpleUploadedFile("jaarrekening.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    document = document_add(dossier=dossier, upload=upload, direction="firm", actor=personas.staff.user)

    # Sanne, at the firm, opens the BV and the document.
    staff_context = browser.new_context(**browser_context_args)
    try:
        staff_page = staff_context.new_page()
        sign_in(staff_page, base, sanne.email)
        expect(staff_page.locator(".user-menu")).to_be_visible()
        staff_page.goto(base + reverse("clients:staff_detail", kwargs={"client": company.public_id}))
        expect(staff_page.locator("h1")).to_contain_text("Bakker B.V.")
        kwargs = {"client": company.public_id, "dossier": dossier.public_id, "document": document.public_id}
        staff_page.goto(base + reverse("dossiers_staff:document", kwargs=kwargs))
        expect(staff_page.locator("h1")).to_contain_text(document.title)
    finally:
        staff_context.close()

    # Pieter, on his phone, finds it under the BV's "Wie heeft mijn gegevens bekeken".
    page.set_viewport_size({"width": 375, "height": 800})
    sign_in(page, base, personas.client_user.email)
    expect(page.locator(".user-menu")).to_be_visible()
    page.goto(f"{base}/o/{company.public_id}/organisatie/")
    page.locator("#tab-viewers").focus()
    page.keyboard.press("Enter")
    rows = page.locator("#viewers-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Sanne de Vries")
    expect(rows.first).to_contain_text(document.title)
    expect(rows.nth(1)).to_contain_text("Bakker B.V.")
    fits(page, 375)

    # The firm's administrator filters the log to Sanne, by keyboard, and exports it.
    admin_context = browser.new_context(**browser_context_args)
    try:
        admin = admin_context.new_page()
        admin.set_viewport_size({"width": 375, "height": 800})
        sign_in(admin, base, personas.staff.user.email)
        expect(admin.locator(".user-menu")).to_be_visible()
        admin.goto(f"{base}/kantoor/logboek/")
        fits(admin, 375)
        admin.locator("#id_person").focus()
        admin.locator("#id_person").select_option(label="Sanne de Vries")
        admin.locator("#log-filter").focus()
        admin.keyboard.press("Enter")
        expect(admin.locator("#log-table tbody tr")).to_have_count(3)  # her sign-in, the BV, the document
        for row in admin.locator("#log-table tbody tr").all():
            expect(row).to_contain_text("Sanne de Vries")
        fits(admin, 375)
        expect(admin.locator("#log-export")).to_contain_text("--selection")
        with admin.expect_download() as download:
            admin.click("#log-export-jsonl")
        path = tmp_path / "logboek.jsonl"
        download.value.save_as(path)
    finally:
        admin_context.close()

    # Pieter's own sign-ins, on his phone; he reports one by keyboard and is signed out everywhere.
    page.goto(base + reverse("accounts:signins"))
    expect(page.locator("#signins-table tbody tr")).to_have_count(1)
    fits(page, 375)
    page.locator("#not-me-button").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#not-me-done")).to_be_visible()
    fits(page, 375)

    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--selection", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "intact: 3 events (a selection)" in result.stdout
