"""The acceptance journey of issue 9 in a real browser (Playwright driving Chromium): a client asks a
question with two attachments dropped on the page; the relationship manager answers from the firm's
inbox; the client sees the answer as a task, replies and marks the conversation handled; the task
list is empty."""

import base64
import re

import pytest
from playwright.sync_api import Page, expect

from balie.dossiers.models import Document
from balie.dossiers.tests.test_browser import one_page_pdf
from balie.messaging.models import Thread
from balie.todos.models import Todo
from balie.twostep.tests.test_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SUBJECT = "Btw-aangifte Q3"


def drag_and_drop(page: Page, files: dict[str, bytes]) -> None:
    """Drags files onto the drop zone as a person would: dragenter, dragover, then drop."""
    transfer = page.evaluate_handle(
        """files => { const data = new DataTransfer();
            for (const [name, encoded] of Object.entries(files)) {
              const bytes = Uint8Array.from(atob(encoded), c => c.charCodeAt(0))
              data.items.add(new File([bytes], name, {type: 'application/pdf'}))
            }
            return data }""",
        {name: base64.b64encode(content).decode("ascii") for name, content in files.items()},
    )
    for event in ("dragenter", "dragover"):
        page.dispatch_event("#dropzone", event, {"dataTransfer": transfer})
    expect(page.locator("#dropzone")).to_have_class(re.compile(r"\bdragging\b"))
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": transfer})
    expect(page.locator("#dropzone")).not_to_have_class(re.compile(r"\bdragging\b"))


def watch(page: Page, problems: list[str]) -> None:
    """Collects script errors, and console errors other than the browser's own favicon request."""
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico")
            else None
        ),
    )


def write(page: Page, text: str) -> None:
    editor = page.locator(".richtext-editor")
    expect(editor).to_be_visible()
    editor.click()
    page.keyboard.type(text)


def test_question_with_dropped_files_answered_replied_and_handled(
    page: Page, browser, browser_context_args, live_server, personas
):
    base = live_server.url
    client_user, staff_user, company = personas.client_user, personas.staff.user, personas.company
    for user in (client_user, staff_user):
        user.language = "en"  # the page texts are checked in their msgid form
        user.save(update_fields=["language"])
    problems = []
    watch(page, problems)

    # The client asks a question and drops two PDFs on the page.
    sign_in(page, base, client_user.email)
    expect(page.locator(".user-menu")).to_be_visible()
    page.goto(f"{base}/o/{company.public_id}/")
    page.click("#ask-question")
    page.wait_for_load_state()  # the deferred scripts (editor, attachments) run before "load"
    page.fill("#id_subject", SUBJECT)
    write(page, "Is the VAT return for Q3 right? The bank statements are attached.")
    drag_and_drop(page, {"bank-juli.pdf": one_page_pdf("Bank juli"), "bank-augustus.pdf": one_page_pdf("Bank aug")})
    expect(page.locator(".upload-item")).to_have_count(2)
    expect(page.locator(".upload-item.has-error")).to_have_count(0)
    expect(page.locator("#attachment-list")).to_contain_text("bank-juli.pdf")
    expect(page.locator("#attachment-list")).to_contain_text("bank-augustus.pdf")
    expect(page.locator("#send-message")).to_have_text("Send with 2 files")
    page.click("#send-message")
    expect(page).to_have_url(re.compile(rf"/o/{company.public_id}/berichten/[0-9a-f-]{{36}}/$"))
    expect(page.locator("h1")).to_have_text(SUBJECT)
    expect(page.locator(".message-attachments li")).to_have_count(2)
    expect(page.locator(".message-attachments")).to_contain_text("bank-juli.pdf")
    expect(page.locator(".message-attachments")).to_contain_text("bank-augustus.pdf")
    thread = Thread.objects.get()
    assert thread.waiting_on == Thread.Side.FIRM and thread.created_by == client_user

    # The relationship manager, in another browser, answers from the inbox.
    staff_context = browser.new_context(**browser_context_args)
    try:
        staff_page = staff_context.new_page()
        watch(staff_page, problems)
        sign_in(staff_page, base, staff_user.email)
        expect(staff_page.locator(".user-menu")).to_be_visible()
        staff_page.goto(f"{base}/kantoor/berichten/")
        row = staff_page.locator(f"#thread-{thread.public_id}")
        expect(staff_page.locator("#inbox-table tbody tr")).to_have_count(1)
        expect(row).to_have_class(re.compile(r"\bunread\b"))
        expect(row.locator("strong")).to_have_text(SUBJECT)  # unread: in bold
        expect(row).to_contain_text(company.name)
        row.get_by_role("link", name=SUBJECT).click()
        expect(staff_page).to_have_url(re.compile(rf"/kantoor/berichten/{thread.public_id}/$"))
        expect(staff_page.locator("#thread-status")).to_have_text("Waiting for us")
        expect(staff_page.locator(".attachments li")).to_have_count(2)
        write(staff_page, "Almost: one invoice is missing. ")
        staff_page.click(".richtext-bold")
        staff_page.keyboard.type("Please send it")
        staff_page.click("#send-message")
        expect(staff_page.locator("#thread-status")).to_have_text("Waiting for the client")
        expect(staff_page.locator(".message-body b")).to_have_text("Please send it")
        staff_page.goto(f"{base}/kantoor/berichten/")
        expect(row).not_to_have_class(re.compile(r"\bunread\b"))  # read now, waiting for the client
        expect(row.locator("strong")).to_have_count(0)
    finally:
        staff_context.close()

    # The client finds the answer as a task, which leads to the thread.
    page.goto(f"{base}/taken/")
    task = page.locator("li.todo", has_text=SUBJECT)
    expect(task).to_have_count(1)
    expect(task).to_contain_text("Reply")
    task.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/o/{company.public_id}/berichten/{thread.public_id}/"))
    expect(page.locator("#messages .message-item")).to_have_count(2)
    expect(page.locator("#messages .message-item.incoming .message-body b")).to_have_text("Please send it")

    # The client replies, then marks the conversation handled.
    write(page, "Here is the missing invoice, thanks.")
    page.click("#send-message")
    expect(page.locator("#messages .message-item")).to_have_count(3)
    expect(page.locator("#messages .message-item").last).to_contain_text("missing invoice, thanks")
    page.click("#handle")
    expect(page.locator("#handled-note")).to_be_visible()
    expect(page.locator("#handle")).to_have_count(0)

    # The task list is empty.
    page.goto(f"{base}/taken/")
    expect(page.locator("h1 .count")).to_have_text("0")
    expect(page.locator("li.todo")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("You have no open tasks.")

    # And so is the database: one thread, client → firm → client, two documents from the client.
    thread = Thread.objects.get()
    assert thread.status == Thread.Status.HANDLED and thread.handled_by == client_user
    messages = list(thread.messages.order_by("created_at", "pk"))
    assert [message.from_firm for message in messages] == [False, True, False]
    assert [message.author for message in messages] == [client_user, staff_user, client_user]
    assert not any(message.internal for message in messages)
    assert "<b>Please send it</b>" in messages[1].body
    attachments = list(messages[0].attachments.select_related("document"))
    assert len(attachments) == 2 and not messages[1].attachments.exists() and not messages[2].attachments.exists()
    documents = Document.objects.filter(pk__in=[attachment.document_id for attachment in attachments])
    assert documents.count() == 2 and Document.objects.count() == 2
    assert {document.direction for document in documents} == {Document.Direction.CLIENT}
    assert {document.client_id for document in documents} == {company.pk}
    assert {document.current_version.original_name for document in documents} == {
        "bank-juli.pdf",
        "bank-augustus.pdf",
    }
    replies = Todo.objects.filter(kind=Todo.Kind.REPLY, target_id=str(thread.pk))
    assert replies.count() == 1 and replies.get().status == Todo.Status.DONE
    assert not Todo.objects.filter(status=Todo.Status.OPEN).exists()
    assert not problems, problems
