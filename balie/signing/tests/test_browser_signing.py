"""The acceptance journey of issue 8 in a real browser (Playwright driving Chromium): the firm asks
the two directors of a BV to sign the annual accounts in turn; each reads the document, draws a
signature on the canvas with the mouse and confirms it with an SMS code; the page follows the
sealing to its done message. The final PDF validates with pyHanko: both signatures intact, covering
the document, each showing its drawn image. And the pad works with a finger on a phone."""

import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pyhanko.pdf_utils.reader import PdfFileReader

from balie.accounts.factories import TEST_PASSWORD
from balie.approvals.states import Status
from balie.signing import pdf, sealing, seals, services
from balie.signing.models import Signature, SignedFile
from balie.signing.tests.support import annual_accounts, company_with_directors
from balie.signing.tests.test_pdf import _flatten_resources
from balie.twostep.tests.test_browser import sign_in
from balie.twostep.tests.utils import enrol_sms, enrol_totp, sms_code, totp_now

# The server's clock stands still: a code typed from the app (30-second windows) or an SMS cannot
# expire while a busy machine takes its time between reading the code and checking it.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("still_clock")]
TITLE = "Jaarrekening 2025"


def draw_signature(page: Page) -> None:
    """A signature with the mouse: two strokes across the canvas (down, move, up)."""
    canvas = page.locator("#signature-canvas")
    expect(canvas).to_be_visible()
    box = canvas.bounding_box()
    x, y, width, height = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + width * 0.1, y + height * 0.7)
    page.mouse.down()
    for fx, fy in ((0.2, 0.25), (0.3, 0.75), (0.4, 0.3), (0.5, 0.7), (0.6, 0.35)):
        page.mouse.move(x + width * fx, y + height * fy, steps=6)
    page.mouse.up()
    page.mouse.move(x + width * 0.55, y + height * 0.55)
    page.mouse.down()
    page.mouse.move(x + width * 0.85, y + height * 0.5, steps=8)
    page.mouse.up()


def sign_by_drawing(page: Page, base: str, secret: str, user, number: str) -> None:
    """Signs in with the app, opens the task, reads, draws, confirms with an SMS code."""
    sign_in(page, base, user.email)
    page.fill("#id_code", totp_now(secret))
    page.click("#verify")
    page.goto(f"{base}/taken/")
    page.get_by_role("link", name=re.compile(TITLE)).click()
    expect(page).to_have_url(re.compile(r"/ondertekenen/[0-9a-f-]+/$"))
    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.locator("#preview-pages canvas").first).to_be_visible()  # drawn by PDF.js
    expect(page.locator("#statement")).to_contain_text("not a qualified electronic signature")
    page.click("#to-sign")
    draw_signature(page)
    page.click("#to-confirm")
    expect(page.locator("#signature-preview")).to_be_visible()
    page.check("input[name=stepup_factor][value=sms]")
    page.click("#stepup-send-sms")
    expect(page.locator("#stepup-sms-status")).to_contain_text("••")
    page.fill("#stepup-code", sms_code(number))
    page.click("#confirm")
    expect(page).to_have_url(re.compile(r"/voortgang/$"))
    expect(page.locator("#signed-done")).to_have_text("You have signed the document.")


def test_two_directors_sign_in_turn_by_drawing_and_the_pdf_validates(page: Page, live_server, personas, settings):
    settings.BALIE_SMS_CODE_INTERVAL_SECONDS = 0
    base = live_server.url
    bv = company_with_directors(personas, count=2, name="Jansen Installatietechniek B.V.")
    a, b = bv.directors
    numbers = {a.pk: "+31612345601", b.pk: "+31612345602"}
    secrets = {}
    for director in (a, b):
        director.language = "en"  # the page texts are checked in their msgid form
        director.save(update_fields=["language"])
        secrets[director.pk] = enrol_totp(director)
        enrol_sms(director, numbers[director.pk])
    document = annual_accounts(bv.client, actor=personas.staff.user, title=TITLE)
    original = document.current_version
    approval = services.sign_request_create(document=document, actor=personas.staff.user, signers=[a, b])

    # Director A signs first; B is asked next.
    sign_by_drawing(page, base, secrets[a.pk], a, numbers[a.pk])
    expect(page.locator("#next-signers")).to_contain_text("DirecteurB Jansen")
    page.click("#back-to-request")
    expect(page.locator("#signer-1")).to_contain_text("Signed on")
    expect(page.locator("#signer-2")).to_contain_text("Turn to sign")
    expect(page.locator("#my-signature")).to_be_visible()

    # Director B signs second; everyone has signed.
    page.context.clear_cookies()
    sign_by_drawing(page, base, secrets[b.pk], b, numbers[b.pk])
    expect(page.locator("#all-signed")).to_contain_text("Everyone has signed.")
    with page.expect_download() as download:
        page.click("#download-signed")
    downloaded = Path(download.value.path()).read_bytes()

    approval.refresh_from_db()
    document.refresh_from_db()
    assert approval.status == Status.SIGNED
    signed = SignedFile.objects.get(request=approval)
    assert document.current_version == signed.version
    data = sealing.read_signed(signed)
    assert downloaded == data and data.startswith(sealing.read_version(original))
    assert list(Signature.objects.order_by("pk").values_list("signer__user", "method")) == [
        (a.pk, "drawn"),
        (b.pk, "drawn"),
    ]
    report = pdf.verify(data, trust_roots=seals.trust_roots())
    assert report.intact and report.trusted
    assert [each.name for each in report.signatures] == [a.get_full_name(), b.get_full_name()]
    assert all(each.intact and each.valid and each.covers_document for each in report.signatures)
    # Each signature field shows an image: the drawing.
    reader = PdfFileReader(io.BytesIO(data))
    embedded = list(reader.embedded_signatures)
    assert len(embedded) == 2
    for signature in embedded:
        assert b"/Image" in _flatten_resources(signature.sig_field["/AP"]["/N"])


def test_a_finger_draws_on_a_phone(browser, live_server, personas):
    """At 375 px wide the pad fits the screen, a finger draws (touch events, no scrolling), and the
    signature goes through to the confirmation step and the done message."""
    base = live_server.url
    bv = company_with_directors(personas, count=1)
    (director,) = bv.directors
    director.language = "en"
    director.save(update_fields=["language"])
    document = annual_accounts(bv.client, actor=personas.staff.user, title=TITLE)
    approval = services.sign_request_create(document=document, actor=personas.staff.user, signers=[director])
    context = browser.new_context(
        viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True, locale="nl-NL"
    )
    page = context.new_page()
    try:
        sign_in(page, base, director.email)
        page.goto(f"{base}/o/{bv.client.public_id}/ondertekenen/{approval.public_id}/tekenen/")
        canvas = page.locator("#signature-canvas")
        expect(canvas).to_be_visible()
        box = canvas.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375
        assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing sideways
        assert page.evaluate("getComputedStyle(document.getElementById('signature-canvas')).touchAction") == "none"
        # The canvas holds device pixels: sharp on a retina screen.
        assert page.evaluate("document.getElementById('signature-canvas').width") == round(box["width"] * 2)

        touch = context.new_cdp_session(page)
        points = [(0.1, 0.7), (0.25, 0.3), (0.4, 0.75), (0.55, 0.3), (0.7, 0.7), (0.85, 0.4)]
        path = [(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy) for fx, fy in points]
        touch.send(
            "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": path[0][0], "y": path[0][1]}]}
        )
        for (x1, y1), (x2, y2) in zip(path, path[1:], strict=False):
            for step in range(1, 9):
                x, y = x1 + (x2 - x1) * step / 8, y1 + (y2 - y1) * step / 8
                touch.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
        touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        assert page.evaluate("window.scrollY") == 0  # the finger drew; the page did not scroll
        assert page.input_value("input[name=drawing]").startswith("data:image/png;base64,")

        page.click("#to-confirm")
        expect(page.locator("#signature-preview")).to_be_visible()
        page.fill("#stepup-code", TEST_PASSWORD)  # no second factor: the password confirms
        page.click("#confirm")
        expect(page.locator("#signed-done")).to_be_visible()
    finally:
        context.close()
    signature = Signature.objects.get(request=approval)
    assert signature.method == "drawn" and signature.state == Signature.State.SEALED
