"""The client's journey through a dossier in a real browser (Playwright driving Chromium)."""

import re
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Page, expect

from balie.dossiers import services
from balie.twostep.tests.test_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ORIGINAL_NAME = "Jaarrekening 2025 – definitief.pdf"
CHROMIUM_PDF_VIEWER = "chrome-extension://mhjfbmdgcfjbbpaeojofohoefgiehjai/"


def one_page_pdf(text: str) -> bytes:
    """A small but complete PDF (cross-reference table and all), so that a real viewer renders it."""
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    pdf = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return pdf


def wait_for_pdf_viewer(page: Page, timeout: float = 10) -> None:
    """Chromium's PDF viewer is an extension frame inside the preview's frame: it is there once it renders."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(frame.url.startswith(CHROMIUM_PDF_VIEWER) for frame in page.frames):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"no PDF viewer in the preview; frames: {[frame.url for frame in page.frames]}")


def test_client_opens_previews_and_downloads_a_new_document_and_the_count_drops(page: Page, live_server, personas):
    base = live_server.url
    content = one_page_pdf("Jaarrekening 2025")
    dossier = services.dossier_create(client=personas.company, description="Doorlopend dossier", number="2025-001")
    services.document_add(
        dossier=dossier,
        upload=SimpleUploadedFile(ORIGINAL_NAME, content, content_type="application/pdf"),
        direction="firm",
        actor=personas.staff.user,
        folder=dossier.folders.get(name="Jaarrekening"),
        doc_type="annual_accounts",
        year=2025,
        message="Graag voor vrijdag bekijken.",
    )

    sign_in(page, base, personas.client_user.email)
    page.goto(f"{base}/o/{personas.company.public_id}/")
    page.click("#menu-dossiers")
    page.click("#dossier-table a:has-text('Doorlopend dossier')")
    expect(page.locator("#tab-firm .count")).to_have_text("1")
    expect(page.locator("#document-table tr.unread")).to_have_count(1)

    with page.expect_response(lambda response: response.url.endswith("/inline/")) as preview:
        page.click("#document-table a:has-text('Jaarrekening 2025 – definitief')")
    assert preview.value.status == 200
    assert preview.value.headers["content-type"] == "application/pdf"
    assert preview.value.headers["x-frame-options"] == "SAMEORIGIN"
    expect(page.locator("h1")).to_have_text("Jaarrekening 2025 – definitief")
    wait_for_pdf_viewer(page)

    with page.expect_download() as download_info:
        page.click("#download")
    download = download_info.value
    assert download.suggested_filename == ORIGINAL_NAME
    with open(download.path(), "rb") as saved:
        assert saved.read() == content

    page.click("#back-to-dossier")
    expect(page.locator("#tab-firm .count")).to_have_text("0")
    expect(page.locator("#document-table tr.unread")).to_have_count(0)


def test_client_drops_two_files_into_administratie_and_the_firm_finds_them(page: Page, live_server, personas):
    """DOS-6: drag and drop, a progress bar per file, then the relationship manager's inbox."""
    base = live_server.url
    dossier = services.dossier_create(client=personas.company, description="Doorlopend dossier")
    sign_in(page, base, personas.client_user.email)
    page.goto(f"{base}/o/{personas.company.public_id}/dossiers/{dossier.public_id}/")
    page.click("#supply")
    page.wait_for_load_state()  # the upload script (deferred) listens for drops once the page has loaded
    page.select_option("#id_map", label="Administratie")
    # Drop two files (and one that is refused before it is sent).
    files = {"bank september.pdf": one_page_pdf("Bank"), "loonstrook.pdf": one_page_pdf("Loon"), "leeg.pdf": ""}
    transfer = page.evaluate_handle(
        """files => { const data = new DataTransfer();
            for (const [name, text] of Object.entries(files)) {
              data.items.add(new File([text], name, {type: 'application/pdf'}))
            }
            return data }""",
        {name: content.decode("latin-1") if content else "" for name, content in files.items()},
    )
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": transfer})
    expect(page.locator(".upload-item")).to_have_count(3)
    expect(page.locator(".upload-item.has-error")).to_contain_text("leeg.pdf")
    page.locator(".upload-item.has-error .upload-remove").click()  # removed before sending
    expect(page.locator(".upload-item")).to_have_count(2)
    page.click("#send-files")
    expect(page).to_have_url(re.compile(r"\?tab=client$"))
    expect(page.locator("#document-table")).to_contain_text("bank september")
    expect(page.locator("#document-table")).to_contain_text("loonstrook")

    page.context.clear_cookies()
    sign_in(page, base, personas.staff.user.email)
    page.click("#menu-inbox")
    expect(page.locator("#inbox-table tbody tr")).to_have_count(2)
    page.get_by_role("link", name="loonstrook").click()
    page.click("#menu-inbox")
    expect(page.locator("#inbox-table tbody tr")).to_have_count(1)


def test_an_upload_larger_than_the_request_limit_says_so_on_its_row(page: Page, live_server, personas, settings):
    """The server refuses a body over the limit unread (413); the file's row shows why, nothing is stored."""
    settings.BALIE_MAX_BODY_BYTES = 20_000
    settings.BALIE_MAX_UPLOAD_BYTES = 30_000  # with the form around it: 50 kB per request
    base = live_server.url
    dossier = services.dossier_create(client=personas.company, description="Doorlopend dossier")
    sign_in(page, base, personas.client_user.email)
    page.goto(f"{base}/o/{personas.company.public_id}/dossiers/{dossier.public_id}/aanleveren/")
    page.wait_for_load_state()
    page.select_option("#id_map", label="Administratie")
    page.set_input_files(
        "#id_files",
        files=[{"name": "groot.pdf", "mimeType": "application/pdf", "buffer": one_page_pdf("X" * 80_000)}],
    )
    page.click("#send-files")
    expect(page.locator(".upload-item.has-error")).to_contain_text("te groot")
    assert not dossier.documents.exists()


def test_staff_publish_a_document_the_client_reads_it_and_the_count_drops(page: Page, live_server, personas):
    """DOS-7 then DOS-2/DOS-5: published through the back office, unread for the client until opened."""
    base = live_server.url
    dossier = services.dossier_create(client=personas.company, description="Doorlopend dossier")
    sign_in(page, base, personas.staff.user.email)
    page.goto(f"{base}/kantoor/omgevingen/{personas.company.public_id}/dossiers/{dossier.public_id}/")
    page.set_input_files(
        "#id_files",
        files=[{"name": "Btw-aangifte Q3.pdf", "mimeType": "application/pdf", "buffer": one_page_pdf("Btw Q3")}],
    )
    page.select_option("#id_doc_type", "vat_return")
    page.fill("#id_year", "2026")
    page.fill("#id_period", "Q3")
    page.check("input[name=direction][value=firm]")
    page.fill("#id_message", "Graag akkoord geven.")
    page.click("#publish-submit")
    expect(page.locator("#documents")).to_contain_text("Btw-aangifte Q3")

    page.context.clear_cookies()
    sign_in(page, base, personas.client_user.email)
    page.goto(f"{base}/o/{personas.company.public_id}/dossiers/{dossier.public_id}/")
    expect(page.locator("#tab-firm .count")).to_have_text("1")
    page.get_by_role("link", name=re.compile("Btw-aangifte Q3")).click()
    expect(page.locator("body")).to_contain_text("Graag akkoord geven.")
    with page.expect_download() as download:
        page.get_by_role("link", name="Downloaden").first.click()
    assert download.value.suggested_filename == "Btw-aangifte Q3.pdf"
    page.goto(f"{base}/o/{personas.company.public_id}/dossiers/{dossier.public_id}/")
    expect(page.locator("#tab-firm .count")).to_have_text("0")
