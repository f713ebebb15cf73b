"""The client's journey through a dossier in a real browser (Playwright driving Chromium)."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from balie.dossiers import services
from balie.twostep.tests.test_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ORIGINAL_NAME = "Jaarrekening 2025 – definitief.pdf"
CHROMIUM_PDF_VIEWER = "chrome-extension://mhjfbmdgcfjbbpaeojofohoefgiehjai/"
# Would say so if run: a dialog, and the title changes (a viewer that runs a PDF's scripts shows both).
OPEN_ACTION_SCRIPT = "app.alert('PDF script ran'); this.info.Title = 'PDF script ran';"


def pdf_document(texts: list[str], *, javascript: str = "") -> bytes:
    """A small but complete PDF (cross-reference table and all), one page per text, so that a real
    viewer renders it; with ``javascript``, run on opening (an ``/OpenAction`` of ``/S /JavaScript``)."""
    pages = len(texts)
    kids = " ".join(f"{3 + 2 * index} 0 R" for index in range(pages))
    font = 3 + 2 * pages
    open_action = b" /OpenAction %d 0 R" % (font + 1) if javascript else b""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R" + open_action + b" >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids.encode(), pages),
    ]
    for index, text in enumerate(texts):
        stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET 0.2 0.3 0.6 rg 72 600 300 60 re f".encode()
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R"
            b" /Resources << /Font << /F1 %d 0 R >> >> >>" % (4 + 2 * index, font)
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    if javascript:
        objects.append(b"<< /Type /Action /S /JavaScript /JS (%s) >>" % javascript.encode())
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


def one_page_pdf(text: str) -> bytes:
    return pdf_document([text])


def publish_pdf(personas, name: str, content: bytes):
    dossier = services.dossier_create(client=personas.company, description="Doorlopend dossier")
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    return services.document_add(dossier=dossier, upload=upload, direction="firm", actor=personas.staff.user)


def drawn_pixels(page: Page, selector: str) -> int:
    """How many pixels of the canvas are not white: PDF.js fills a page white, then draws on it."""
    return page.locator(selector).evaluate(
        """canvas => {
            const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data
            let drawn = 0
            for (let i = 0; i < data.length; i += 4) {
              if (data[i] < 200 || data[i + 1] < 200 || data[i + 2] < 200) drawn++
            }
            return drawn
        }"""
    )


def assert_no_browser_pdf_viewer(page: Page) -> None:
    assert page.locator("iframe, embed, object").count() == 0
    assert not any(frame.url.startswith(CHROMIUM_PDF_VIEWER) for frame in page.frames)


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
    assert preview.value.headers["content-type"] == "application/octet-stream"
    assert preview.value.headers["content-disposition"].startswith("attachment;")
    expect(page.locator("h1")).to_have_text("Jaarrekening 2025 – definitief")
    expect(page.locator("#preview-pages canvas")).to_have_count(1)
    expect(page.locator("#preview-status")).to_have_text("Dit document heeft 1 pagina.")

    with page.expect_download() as download_info:
        page.click("#download")
    download = download_info.value
    assert download.suggested_filename == ORIGINAL_NAME
    with open(download.path(), "rb") as saved:
        assert saved.read() == content

    page.click("#back-to-dossier")
    expect(page.locator("#tab-firm .count")).to_have_text("0")
    expect(page.locator("#document-table tr.unread")).to_have_count(0)


def test_a_pdf_with_javascript_is_drawn_by_pdfjs_and_never_by_the_browsers_viewer(page: Page, live_server, personas):
    """Issue 15: the preview is canvases drawn by Balie's PDF.js, the PDF's script does not run, and
    its bytes, even opened directly, are a download the browser never renders."""
    base = live_server.url
    content = pdf_document(["Jaarrekening 2025", "Toelichting"], javascript=OPEN_ACTION_SCRIPT)
    document = publish_pdf(personas, "Jaarrekening 2025.pdf", content)
    dialogs, console = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    sign_in(page, base, personas.client_user.email)
    document_url = f"{base}/o/{personas.company.public_id}/documenten/{document.public_id}/"
    page.goto(document_url)
    page.wait_for_load_state("load")

    expect(page.locator("#preview-status")).to_have_text("Dit document heeft 2 pagina's.")
    expect(page.locator("#preview-pages .pdf-page")).to_have_count(2)
    expect(page.locator("#preview-pages .pdf-page").first).to_have_attribute("aria-label", "Pagina 1 van 2")
    expect(page.locator("#preview-pages .pdf-page[data-page='1'] canvas")).to_have_count(1)
    assert drawn_pixels(page, "#preview-pages canvas >> nth=0") > 1000  # the text and the blue bar
    expect(page.locator("#preview-fallback")).to_be_hidden()
    assert_no_browser_pdf_viewer(page)
    # Parsed in PDF.js's worker from Balie's own static files, allowed by the page's CSP.
    assert any(worker.url.endswith("/static/vendor/pdfjs/pdf.worker.min.mjs") for worker in page.workers)
    page.locator("#preview-pages").focus()  # a keyboard user reaches the pages and scrolls them
    expect(page.locator("#preview-pages")).to_be_focused()

    data_url = f"{base}/o/{personas.company.public_id}/documenten/{document.public_id}/inline/"
    answer = page.request.get(data_url)
    assert answer.status == 200 and answer.body() == content
    assert answer.headers["content-type"] == "application/octet-stream"
    assert answer.headers["content-disposition"].startswith("attachment;")
    assert answer.headers["content-security-policy"].startswith("sandbox;")
    assert answer.headers["x-content-type-options"] == "nosniff"
    # Opened directly, the bytes are a download: the browser shows nothing, runs nothing.
    with page.expect_download() as download_info:
        try:
            page.goto(data_url)
        except PlaywrightError as error:
            assert "Download is starting" in str(error)
    assert download_info.value.suggested_filename == "Jaarrekening 2025.pdf"
    assert_no_browser_pdf_viewer(page)
    assert dialogs == []

    # On a phone: the same preview, no wider than the screen.
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(document_url)
    page.wait_for_load_state("load")
    expect(page.locator("#preview-pages .pdf-page[data-page='1'] canvas")).to_have_count(1)
    for selector in ("#preview-pdf", "#preview-pages canvas >> nth=0"):
        box = page.locator(selector).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375, (selector, box)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert dialogs == []
    assert not [line for line in console if "Content Security Policy" in line or "fake worker" in line], console


def test_a_long_pdf_draws_its_pages_as_they_scroll_into_view(page: Page, live_server, personas):
    base = live_server.url
    document = publish_pdf(personas, "Grootboek.pdf", pdf_document([f"Bladzijde {number}" for number in range(1, 41)]))
    sign_in(page, base, personas.client_user.email)
    page.goto(f"{base}/o/{personas.company.public_id}/documenten/{document.public_id}/")
    page.wait_for_load_state("load")
    expect(page.locator("#preview-status")).to_have_text("Dit document heeft 40 pagina's.")
    expect(page.locator("#preview-pages .pdf-page")).to_have_count(40)
    expect(page.locator("#preview-pages .pdf-page[data-page='1'] canvas")).to_have_count(1)
    last = page.locator("#preview-pages .pdf-page[data-page='40']")
    expect(last.locator("canvas")).to_have_count(0)
    assert page.locator("#preview-pages canvas").count() < 10

    page.locator("#preview-pages").focus()
    page.keyboard.press("End")  # scrolls the focused preview to its last page
    expect(last.locator("canvas")).to_have_count(1)
    assert drawn_pixels(page, "#preview-pages .pdf-page[data-page='40'] canvas") > 1000
    expect(page.locator("#preview-pages .pdf-page[data-page='1'] canvas")).to_have_count(0)  # given back


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


def drop_files(page: Page, files: dict[str, bytes]) -> None:
    transfer = page.evaluate_handle(
        """files => { const data = new DataTransfer();
            for (const [name, text] of Object.entries(files)) {
              data.items.add(new File([text], name, {type: 'application/octet-stream'}))
            }
            return data }""",
        {name: content.decode("latin-1") for name, content in files.items()},
    )
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": transfer})


def open_upload_page(page: Page, base: str, personas):
    dossier = services.dossier_create(client=personas.company, description="Doorlopend dossier")
    sign_in(page, base, personas.client_user.email)
    page.goto(f"{base}/o/{personas.company.public_id}/dossiers/{dossier.public_id}/aanleveren/")
    page.wait_for_load_state()  # the upload script (deferred) listens for drops once the page has loaded
    page.select_option("#id_map", label="Administratie")
    return dossier


def test_a_file_sent_again_after_the_connection_dropped_is_stored_once(page: Page, live_server, personas):
    """The server stored the file, but its answer never arrived: Verzenden again sends the same id."""
    from balie.dossiers.models import Document
    from balie.dossiers.tests.utils import stored_files

    dossier = open_upload_page(page, live_server.url, personas)
    answered: list[str] = []

    def drop_the_first_answer(route):
        if route.request.method == "POST" and not answered:
            answered.append(route.fetch().text())  # the request reaches the server, which stores the file
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route(re.compile(r"/aanleveren/$"), drop_the_first_answer)
    drop_files(page, {"bankafschrift.pdf": one_page_pdf("Bank")})
    page.click("#send-files")
    expect(page.locator(".upload-item.has-error")).to_contain_text("Niet verstuurd")
    assert '"ok": true' in answered[0] and Document.objects.filter(dossier=dossier).count() == 1
    page.click("#send-files")
    expect(page).to_have_url(re.compile(r"\?tab=client$"))
    expect(page.locator("#document-table")).to_contain_text("bankafschrift")
    assert Document.objects.filter(dossier=dossier).count() == 1 and len(stored_files()) == 1


def test_an_infected_file_shows_the_virus_message_and_is_not_stored(page: Page, live_server, personas, clamav):
    from balie.dossiers.models import Document
    from balie.dossiers.tests.utils import EICAR, stored_files

    open_upload_page(page, live_server.url, personas)
    drop_files(page, {"eicar.txt": EICAR, "notitie.txt": b"Alles in orde.\n"})
    page.click("#send-files")
    expect(page.locator(".upload-item.has-error")).to_contain_text(
        "Het bestand “eicar.txt” bevat een virus (Balie.Test.EICAR.UNOFFICIAL) en is niet opgeslagen."
    )
    expect(page.locator(".upload-item.done")).to_contain_text("notitie.txt")
    assert list(Document.objects.values_list("title", flat=True)) == ["notitie"]
    assert len(stored_files()) == 1
