"""Stel een vraag in a real browser: the rich-text editor, files dropped and removed, one request
with progress, an error that keeps text and files, then the thread (Playwright driving Chromium)."""

import re

import pytest
from playwright.sync_api import Page, expect

from balie.dossiers.models import Document
from balie.dossiers.tests.test_browser import one_page_pdf
from balie.dossiers.tests.utils import EXE
from balie.messaging.models import Message, Thread
from balie.twostep.tests.test_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def drop(page: Page, files: dict[str, bytes]) -> None:
    transfer = page.evaluate_handle(
        """files => { const data = new DataTransfer();
            for (const [name, text] of Object.entries(files)) {
              const bytes = Uint8Array.from(text, c => c.charCodeAt(0))
              data.items.add(new File([bytes], name, {type: 'application/pdf'}))
            }
            return data }""",
        {name: content.decode("latin-1") for name, content in files.items()},
    )
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": transfer})


def test_client_asks_a_question_with_formatting_and_attachments(page: Page, live_server, personas):
    base = live_server.url
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    sign_in(page, base, personas.client_user.email)
    page.goto(f"{base}/o/{personas.company.public_id}/")
    page.click("#ask-question")
    page.wait_for_load_state()  # the deferred scripts (editor, attachments) run before "load"
    editor = page.locator(".richtext-editor")
    expect(editor).to_be_visible()
    expect(page.locator("#id_body")).to_be_hidden()  # the textarea is filled by the editor

    editor.click()
    page.keyboard.type("Klopt de aangifte? ")
    page.click(".richtext-bold")
    page.keyboard.type("Graag snel")
    drop(page, {"bank.pdf": one_page_pdf("Bank"), "leeg.pdf": b"", "virus.pdf": EXE})
    expect(page.locator(".upload-item")).to_have_count(3)
    expect(page.locator(".upload-item.has-error")).to_contain_text("leeg.pdf")  # refused here, before sending

    page.click("#send-message")  # no subject yet, and a refused file: nothing is sent
    expect(page.locator("[data-error-for=subject] .error")).to_be_visible()
    expect(page.locator("[data-error-for=attachments] .error")).to_be_visible()
    page.locator(".upload-item.has-error .upload-remove").click()
    expect(page.locator(".upload-item")).to_have_count(2)
    page.fill("#id_subject", "Btw Q3")

    page.click("#send-message")  # the server refuses virus.pdf: nothing is stored, everything stays
    expect(page.locator("[data-error-for=attachments] .error")).to_contain_text("virus.pdf")
    assert not Thread.objects.exists() and not Document.objects.exists()
    expect(page.locator("#id_subject")).to_have_value("Btw Q3")
    expect(editor).to_contain_text("Graag snel")
    page.locator(".upload-item", has_text="virus.pdf").locator(".upload-remove").click()
    expect(page.locator("#send-message")).to_contain_text("1")  # "send with 1 file"

    page.click("#send-message")
    expect(page).to_have_url(re.compile(r"/berichten/[0-9a-f-]{36}/$"))
    expect(page.locator(".message-body b")).to_have_text("Graag snel")
    expect(page.locator(".message-attachments")).to_contain_text("bank.pdf")
    message = Message.objects.get()
    assert "<b>Graag snel</b>" in message.body and message.attachments.count() == 1
    assert not [text for text in problems if "Content Security Policy" in text]
