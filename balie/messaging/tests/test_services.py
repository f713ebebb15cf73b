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


def test_a_body_too_long_or_too_deeply_nested_is_refused_before_sanitising(personas, monkeypatch):
    calls = []
    monkeypatch.setattr(services.richtext, "clean", lambda body: calls.append(1) or body)
    for body in ("x" * (services.MAX_BODY + 1), "<ul><li>" * 1500):
        with pytest.raises(ValidationError) as error:
            ask(personas, body=body)
        assert "too long" in error.value.message_dict["body"][0]
    assert calls == [] and not Thread.objects.exists()


def test_a_long_subject_fits_the_notification_and_a_late_failure_leaves_no_files(personas, settings, monkeypatch):
    thread = ask(personas, subject="S" * 200, body="<p>" + "tekst " * 40 + "</p>")
    from balie.notifications.models import Notification

    assert Notification.objects.filter(link__contains=str(thread.public_id)).exists()

    def broken(thread, message):
        raise RuntimeError("notification store down")

    before = stored_files(settings)
    monkeypatch.setattr(services, "_after_message", broken)
    with pytest.raises(RuntimeError):
        ask(personas, subject="Met bijlagen", uploads=[pdf("a.pdf"), pdf("b.pdf")])
    assert stored_files(settings) == before  # the files stored before the failure are gone again
    assert not Thread.objects.filter(subject="Met bijlagen").exists()


def test_client_attachments_count_against_the_environments_storage(personas):
    personas.firm.client_quota_bytes = len(PDF) * 2
    personas.firm.save(update_fields=["client_quota_bytes"])
    with pytest.raises(ValidationError) as error:
        ask(personas, uploads=[pdf("a.pdf"), pdf("b.pdf"), pdf("c.pdf")])
    assert "attachments" in error.value.message_dict
    assert not Thread.objects.exists() and not Document.objects.exists()
    ask(personas, uploads=[pdf("a.pdf")])  # within the quota
    assert Document.objects.count() == 1


def test_the_firm_hears_of_a_message_without_its_text_and_never_through_former_staff(personas):
    from balie.notifications.models import Notification

    thread = ask(personas, body="<p>Mijn BSN is 123456782.</p>")
    assert Notification.objects.filter(user=personas.staff.user).exists()
    assert not Notification.objects.filter(title__contains="123456782").exists()
    former = personas.staff.user
    personas.staff.delete()  # the assignee left the firm; the login still exists
    Notification.objects.all().delete()
    services.reply(thread=thread, user=personas.client_user, body="Nog een vraag")
    assert not Notification.objects.filter(user=former).exists()


def test_a_withdrawn_attachment_is_no_longer_listed_for_the_client(personas):
    from balie.dossiers.services import document_withdraw

    thread = ask(personas, uploads=[pdf("geheim.pdf")])
    document = Attachment.objects.get().document
    document_withdraw(document=document, actor=personas.staff.user)
    (message,) = selectors.messages_for_member(thread=thread)
    assert list(message.attachments.all()) == []
    (staff_message,) = selectors.messages_for_staff(thread=thread)
    assert len(staff_message.attachments.all()) == 1  # the firm still sees what was sent
