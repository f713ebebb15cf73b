"""One file control on every upload page (client upload, staff reply, staff publish): the browser's
own without JavaScript, the "Choose files" button with it, and files chosen before the script ran
are sent, not refused."""

import pytest
from playwright.sync_api import Page, expect

from balie.dossiers import services
from balie.dossiers.models import Document
from balie.dossiers.tests.test_browser import one_page_pdf
from balie.messaging import services as messaging
from balie.messaging.models import Attachment
from balie.twostep.tests.test_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def pdf(name: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": one_page_pdf(name)}


def visible_file_controls(page: Page) -> int:
    """Native file inputs a person can see (the visually hidden one of the enhanced picker is 1 px, clipped)."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('input[type=file]')).filter(input => {
            const box = input.getBoundingClientRect(), style = getComputedStyle(input)
            return box.width > 2 && box.height > 2 && style.visibility !== 'hidden' && style.opacity !== '0'
        }).length"""
    )


def upload_url(base, personas, dossier) -> str:
    return f"{base}/o/{personas.company.public_id}/dossiers/{dossier.public_id}/aanleveren/"


def publish_url(base, personas, dossier) -> str:
    return f"{base}/kantoor/omgevingen/{personas.company.public_id}/dossiers/{dossier.public_id}/"


def thread_url(base, thread) -> str:
    return f"{base}/kantoor/berichten/{thread.public_id}/"


@pytest.fixture
def dossier(personas):
    return services.dossier_create(client=personas.company, description="Doorlopend dossier")


@pytest.fixture
def thread(personas):
    return messaging.thread_start(
        client=personas.company, user=personas.client_user, kind="question", subject="Btw Q3", body="<p>Klopt het?</p>"
    )


@pytest.fixture
def no_script_page(browser, browser_context_args):
    context = browser.new_context(**browser_context_args, java_script_enabled=False)
    context.set_default_timeout(60_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_without_javascript_a_client_uploads_with_the_browsers_own_control(
    no_script_page, live_server, personas, dossier
):
    page = no_script_page
    sign_in(page, live_server.url, personas.client_user.email)
    page.goto(upload_url(live_server.url, personas, dossier))
    expect(page.locator("#id_files")).to_be_visible()
    expect(page.locator(".file-picker-button")).to_be_hidden()  # one control: the browser's own
    page.select_option("#id_map", label="Administratie")
    page.set_input_files("#id_files", files=[pdf("bank.pdf"), pdf("loon.pdf")])
    page.click("#send-files")
    expect(page.locator("#document-table")).to_contain_text("loon")
    assert sorted(Document.objects.filter(dossier=dossier).values_list("title", flat=True)) == ["bank", "loon"]


def test_without_javascript_staff_reply_with_an_attachment(no_script_page, live_server, personas, thread):
    page = no_script_page
    sign_in(page, live_server.url, personas.staff.user.email)
    page.goto(thread_url(live_server.url, thread))
    expect(page.locator("#id_attachments")).to_be_visible()
    expect(page.locator(".file-picker-button")).to_be_hidden()
    page.fill("#id_body", "Zie bijlage.")
    page.set_input_files("#id_attachments", files=[pdf("overzicht.pdf")])
    page.click("#send-message")
    expect(page.locator(".message-body").last).to_contain_text("Zie bijlage.")
    attachment = Attachment.objects.get(message__thread=thread)
    assert attachment.document.current_version.original_name == "overzicht.pdf"


def test_without_javascript_staff_publish_two_files(no_script_page, live_server, personas, dossier):
    page = no_script_page
    sign_in(page, live_server.url, personas.staff.user.email)
    page.goto(publish_url(live_server.url, personas, dossier))
    expect(page.locator("#id_files")).to_be_visible()
    expect(page.locator(".file-picker-button")).to_be_hidden()
    page.set_input_files("#id_files", files=[pdf("Jaarrekening.pdf"), pdf("Btw Q3.pdf")])
    page.check("input[name=direction][value=firm]")
    page.click("#publish-submit")
    expect(page.locator("#documents")).to_contain_text("Jaarrekening")
    assert Document.objects.filter(dossier=dossier).count() == 2


@pytest.mark.parametrize("where", ["upload", "reply", "publish"])
def test_with_javascript_one_visible_file_control_that_the_keyboard_reaches(
    page: Page, live_server, personas, dossier, thread, where
):
    user = personas.client_user if where == "upload" else personas.staff.user
    sign_in(page, live_server.url, user.email)
    url = {
        "upload": upload_url(live_server.url, personas, dossier),
        "reply": thread_url(live_server.url, thread),
        "publish": publish_url(live_server.url, personas, dossier),
    }[where]
    page.goto(url)
    page.wait_for_load_state()
    expect(page.locator(".file-picker.is-enhanced")).to_have_count(1)
    expect(page.locator(".file-picker-button")).to_be_visible()
    assert visible_file_controls(page) == 0  # the browser's own control is not shown beside the button
    page.locator(".file-picker input[type=file]").focus()  # still reachable by Tab, so by keyboard
    assert page.evaluate("document.activeElement.type") == "file"
    if where == "publish":
        page.set_input_files("#id_files", files=[pdf("a.pdf"), pdf("b.pdf")])
        expect(page.locator(".file-picker-names li")).to_have_count(2)


def without_script(page: Page, name: str) -> None:
    """The page as it is before one of its scripts has run: that script does not arrive."""
    page.route(f"**/static/balie/{name}", lambda route: route.abort())


def run_script(page: Page, name: str) -> None:
    """The held-back script arrives now, after the person has already chosen files."""
    page.unroute(f"**/static/balie/{name}")
    page.add_script_tag(url=f"/static/balie/{name}")


def test_files_chosen_before_the_upload_script_ran_are_sent(page: Page, live_server, personas, dossier):
    sign_in(page, live_server.url, personas.client_user.email)
    without_script(page, "upload.js")
    page.goto(upload_url(live_server.url, personas, dossier), wait_until="load")
    page.select_option("#id_map", label="Administratie")
    page.set_input_files("#id_files", files=[pdf("vooraf.pdf")])
    run_script(page, "upload.js")
    expect(page.locator(".upload-item")).to_have_count(1)
    expect(page.locator(".upload-item")).to_contain_text("vooraf.pdf")
    page.click("#send-files")
    expect(page.locator("#document-table")).to_contain_text("vooraf")
    assert list(Document.objects.filter(dossier=dossier).values_list("title", flat=True)) == ["vooraf"]


def test_files_chosen_before_the_message_script_ran_are_sent(page: Page, live_server, personas, thread):
    sign_in(page, live_server.url, personas.staff.user.email)
    without_script(page, "messages.js")
    page.goto(thread_url(live_server.url, thread), wait_until="load")
    page.set_input_files("#id_attachments", files=[pdf("vooraf.pdf")])
    run_script(page, "messages.js")
    expect(page.locator("#attachment-list .upload-item")).to_have_count(1)
    page.locator(".richtext-editor").click()
    page.keyboard.type("Met bijlage")
    page.click("#send-message")
    expect(page.locator(".message-body").last).to_contain_text("Met bijlage")
    expect(page.locator("article ul.attachments li")).to_have_count(1)
    assert Attachment.objects.get(message__thread=thread).document.current_version.original_name == "vooraf.pdf"


def test_files_chosen_before_the_publish_script_ran_are_listed_and_published(
    page: Page, live_server, personas, dossier
):
    sign_in(page, live_server.url, personas.staff.user.email)
    without_script(page, "files.js")
    page.goto(publish_url(live_server.url, personas, dossier), wait_until="load")
    page.set_input_files("#id_files", files=[pdf("vooraf.pdf")])
    run_script(page, "files.js")
    expect(page.locator(".file-picker-names li")).to_contain_text("vooraf.pdf")
    page.check("input[name=direction][value=firm]")
    page.click("#publish-submit")
    expect(page.locator("#documents")).to_contain_text("vooraf")
    assert Document.objects.filter(dossier=dossier).count() == 1
