"""Threads in the services: sanitising, all-or-nothing attachments, tasks, handling, unread, search."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from balie.dossiers.models import Document
from balie.dossiers.tests.utils import EXE, PDF, stored_files
from balie.messaging import selectors, services
from balie.messaging.models import Attachment, Message, Thread
from balie.todos.models import Todo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def pdf(name="bijlage.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def ask(personas, **kwargs):
    values = {"kind": "question", "subject": "Btw Q3", "body": "<p>Klopt de aangifte?</p>"}
    values.update(kwargs)
    return services.thread_start(client=personas.company, user=personas.client_user, **values)


def reply_tasks(user):
    return Todo.objects.filter(kind=Todo.Kind.REPLY, status=Todo.Status.OPEN, assignees=user)


def test_a_question_with_two_attachments_reaches_the_firm(personas):
    thread = ask(personas, uploads=[pdf("a.pdf"), pdf("b.pdf")])
    assert thread.waiting_on == Thread.Side.FIRM and thread.assignee == personas.staff.user
    message = thread.messages.get()
    documents = [attachment.document for attachment in Attachment.objects.filter(message=message)]
    assert [document.direction for document in documents] == [Document.Direction.CLIENT] * 2
    assert {document.dossier.description for document in documents} == {"Berichten"}
    assert selectors.waiting_count_for_staff(staff=personas.staff) == 1


def test_script_event_handlers_and_javascript_links_are_stripped_before_storing(personas):
    body = (
        '<p onclick="steal()">Hoi <script>alert(1)</script><b>vet</b> <a href="javascript:alert(1)">x</a>'
        ' <a href="https://example.com" onmouseover="x()">site</a><img src=x onerror=alert(1)></p>'
    )
    message = ask(personas, body=body).messages.get()
    assert "script" not in message.body and "onclick" not in message.body and "onerror" not in message.body
    assert "javascript:" not in message.body and "<img" not in message.body and "onmouseover" not in message.body
    assert "<b>vet</b>" in message.body and 'href="https://example.com"' in message.body
    assert message.body_text.startswith("Hoi vet x site")


@pytest.mark.parametrize(
    ("subject", "body", "field"), [("", "<p>tekst</p>", "subject"), ("Onderwerp", "<p> </p>", "body")]
)
def test_subject_and_body_are_required(personas, subject, body, field):
    with pytest.raises(ValidationError) as error:
        ask(personas, subject=subject, body=body)
    assert field in error.value.message_dict
    assert not Thread.objects.exists()


def test_a_bad_attachment_stores_nothing_at_all(personas, settings):
    with pytest.raises(ValidationError) as error:
        ask(personas, uploads=[pdf("goed.pdf"), pdf("virus.pdf", EXE)])
    assert "attachments" in error.value.message_dict
    assert not Thread.objects.exists() and not Message.objects.exists() and not Document.objects.exists()
    assert stored_files(settings) == []


def test_the_firms_answer_becomes_a_reply_task_until_the_client_replies(personas):
    thread = ask(personas)
    services.reply(thread=thread, user=personas.staff.user, body="Ja, dat klopt.")
    thread.refresh_from_db()
    assert thread.waiting_on == Thread.Side.CLIENT
    assert reply_tasks(personas.client_user).count() == 1
    services.reply(thread=thread, user=personas.client_user, body="Dank je.")
    assert reply_tasks(personas.client_user).count() == 0
    thread.refresh_from_db()
    assert thread.waiting_on == Thread.Side.FIRM


def test_handling_closes_the_task_and_a_new_message_reopens(personas):
    thread = ask(personas)
    services.reply(thread=thread, user=personas.staff.user, body="Antwoord")
    services.thread_handle(thread=thread, user=personas.client_user)
    thread.refresh_from_db()
    assert thread.status == Thread.Status.HANDLED and reply_tasks(personas.client_user).count() == 0
    services.reply(thread=thread, user=personas.client_user, body="Toch nog een vraag")
    thread.refresh_from_db()
    assert thread.status == Thread.Status.OPEN


def test_internal_notes_are_never_shown_to_the_client(personas):
    thread = ask(personas)
    services.note_add(thread=thread, user=personas.staff.user, body="Klant belt vaak; eerst Mark vragen.")
    assert [m.internal for m in selectors.messages_for_staff(thread=thread)] == [False, True]
    assert [m.internal for m in selectors.messages_for_member(thread=thread)] == [False]
    with pytest.raises(ValidationError):
        services.note_add(thread=thread, user=personas.client_user, body="ik ook")


def test_unread_counts_and_search_within_what_one_may_see(personas):
    thread = ask(personas, subject="Vraag over de auto van de zaak", body="Bijtelling 2026?")
    services.note_add(thread=thread, user=personas.staff.user, body="geheim woord: pinguin")
    staff_view = selectors.inbox_for_staff(staff=personas.staff)
    assert [each.unread for each in staff_view] == [1]
    services.thread_read(thread=thread, user=personas.staff.user)
    assert [each.unread for each in selectors.inbox_for_staff(staff=personas.staff)] == [0]
    services.reply(thread=thread, user=personas.staff.user, body="Antwoord")
    mine = selectors.threads_for_member(user=personas.client_user, client=personas.company)
    assert [each.unread for each in mine] == [1]
    assert list(selectors.threads_for_member(user=personas.client_user, client=personas.company, q="bijtelling"))
    assert not list(selectors.threads_for_member(user=personas.client_user, client=personas.company, q="pinguin"))
    assert list(selectors.inbox_for_staff(staff=personas.staff, q="pinguin"))
    assert not list(selectors.inbox_for_staff(staff=personas.outsider_staff, q="bijtelling"))


def test_contact_goes_only_to_someone_the_client_may_write_to(personas):
    with pytest.raises(ValidationError) as error:
        ask(personas, kind="contact", recipient=personas.outsider_staff.user)
    assert "recipient" in error.value.message_dict
    thread = ask(personas, kind="contact", recipient=personas.staff.user)
    assert thread.assignee == personas.staff.user


def test_lists_keep_a_constant_number_of_queries(personas, django_assert_max_num_queries):
    for number in range(6):
        ask(personas, subject=f"Vraag {number}")
    with django_assert_max_num_queries(2):
        list(selectors.threads_for_member(user=personas.client_user, client=personas.company))
    with django_assert_max_num_queries(2):
        list(selectors.inbox_for_staff(staff=personas.staff))
