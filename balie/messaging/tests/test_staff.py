"""The firm's inbox (FIRM-1): filters, search with notes, answering, notes, assigning, handling,
hostile input, other firms, the number of queries and the menu count."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from balie.core.testing import duplicate_ids, labels_without_target
from balie.dossiers.models import Document
from balie.dossiers.tests.utils import EXE, PDF, stored_files
from balie.firms.factories import StaffMemberFactory
from balie.messaging import selectors, services
from balie.messaging.models import Attachment, Message, Thread
from balie.notifications.models import Notification
from balie.todos.models import Todo

pytestmark = pytest.mark.django_db

INBOX = "messaging_staff:inbox"


@pytest.fixture
def staff(client, personas):
    personas.staff.user.language = "en"  # messages are checked in their msgid form
    personas.staff.user.save(update_fields=["language"])
    client.force_login(personas.staff.user)
    return client


@pytest.fixture
def colleague(personas):
    return StaffMemberFactory(firm=personas.firm, user__email="mark@firm-a.test", user__first_name="Mark").user


def ask(personas, client=None, **kwargs):
    values = {"kind": "question", "subject": "Btw Q3", "body": "<p>Klopt de aangifte?</p>"}
    values.update(kwargs)
    return services.thread_start(client=client or personas.company, user=personas.client_user, **values)


def url(name, thread):
    return reverse(f"messaging_staff:{name}", args=[thread.public_id])


def listed(response) -> list[str]:
    return [thread.subject for thread in response.context["page"].object_list]


def pdf(name="bijlage.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


# -- the inbox -------------------------------------------------------------------------------------


def test_the_inbox_lists_the_open_threads_of_the_firms_clients_only(staff, personas):
    ask(personas, subject="Van het bedrijf")
    ask(personas, client=personas.private, subject="Privé")
    handled = ask(personas, subject="Al klaar")
    services.thread_handle(thread=handled, user=personas.staff.user)
    services.thread_start(
        client=personas.outsider_client, user=personas.outsider, kind="question", subject="Ander kantoor", body="x"
    )
    response = staff.get(reverse(INBOX))
    assert response.status_code == 200
    assert sorted(listed(response)) == ["Privé", "Van het bedrijf"]
    assert "Ander kantoor" not in response.content.decode()


def test_the_inbox_filters_on_assignee_environment_unread_waiting_and_status(staff, personas, colleague):
    mine = ask(personas, subject="Mijn vraag")  # the company's relationship manager gets it
    nobodys = ask(personas, client=personas.private, subject="Van niemand")  # no manager: nobody
    marks = ask(personas, client=personas.holding, subject="Van Mark")
    services.thread_assign(thread=marks, assignee=colleague, actor=personas.staff.user)
    answered = ask(personas, subject="Beantwoord")
    services.reply(thread=answered, user=personas.staff.user, body="Antwoord")  # waits on the client now
    handled = ask(personas, subject="Afgehandeld")
    services.thread_handle(thread=handled, user=personas.staff.user)
    services.thread_read(thread=mine, user=personas.staff.user)
    inbox = reverse(INBOX)

    assert sorted(listed(staff.get(inbox, {"assignee": "me"}))) == ["Beantwoord", "Mijn vraag"]
    assert listed(staff.get(inbox, {"assignee": "nobody"})) == ["Van niemand"]
    assert listed(staff.get(inbox, {"assignee": str(colleague.public_id)})) == ["Van Mark"]
    assert sorted(listed(staff.get(inbox, {"assignee": "mine", "waiting": "1"}))) == ["Mijn vraag", "Van niemand"]
    assert listed(staff.get(inbox, {"omgeving": str(personas.holding.public_id)})) == ["Van Mark"]
    assert sorted(listed(staff.get(inbox, {"unread": "1"}))) == ["Van Mark", "Van niemand"]
    assert "Beantwoord" not in listed(staff.get(inbox, {"waiting": "1"}))
    assert listed(staff.get(inbox, {"status": "handled"})) == ["Afgehandeld"]
    assert len(listed(staff.get(inbox, {"status": "all"}))) == 5
    assert nobodys.public_id  # (named for readability above)


def test_a_filter_value_that_does_not_fit_is_ignored(staff, personas):
    ask(personas, subject="Vraag")
    other_firms = services.thread_start(
        client=personas.outsider_client, user=personas.outsider, kind="question", subject="Ander kantoor", body="x"
    )
    response = staff.get(
        reverse(INBOX),
        {"assignee": str(personas.outsider_staff.user.public_id), "omgeving": str(other_firms.client.public_id)},
    )
    assert response.status_code == 200
    assert listed(response) == ["Vraag"]


def test_unread_subjects_are_bold_and_opening_the_thread_reads_it(staff, personas):
    thread = ask(personas, subject="Nieuwe vraag")
    assert "<strong>Nieuwe vraag</strong>" in staff.get(reverse(INBOX)).content.decode()
    assert staff.get(url("thread", thread)).status_code == 200
    assert [each.unread for each in selectors.inbox_for_staff(staff=personas.staff)] == [0]
    assert "<strong>Nieuwe vraag</strong>" not in staff.get(reverse(INBOX)).content.decode()


def test_search_finds_subjects_bodies_and_internal_notes_of_the_firm_only(staff, personas):
    ask(personas, subject="Auto van de zaak", body="Hoe zit het met de bijtelling?")
    noted = ask(personas, subject="Btw")
    services.note_add(thread=noted, user=personas.staff.user, body="Geheim woord: pinguin")
    services.thread_start(
        client=personas.outsider_client, user=personas.outsider, kind="question", subject="pinguin", body="pinguin"
    )
    inbox = reverse(INBOX)
    assert listed(staff.get(inbox, {"q": "auto"})) == ["Auto van de zaak"]
    assert listed(staff.get(inbox, {"q": "bijtelling"})) == ["Auto van de zaak"]
    assert listed(staff.get(inbox, {"q": "pinguin"})) == ["Btw"]  # the note; not the other firm's thread
    # the client's own search does not look into notes
    assert list(selectors.threads_for_member(user=personas.client_user, client=personas.company, q="pinguin")) == []


def test_the_inbox_uses_a_constant_number_of_queries(staff, personas, colleague, django_assert_max_num_queries):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert staff.get(reverse(INBOX)).status_code == 200
        return len(queries)

    first = ask(personas, subject="Eén", uploads=[pdf()])
    services.note_add(thread=first, user=personas.staff.user, body="notitie")
    few = count()
    for index, environment in enumerate([personas.private, personas.holding] * 4):
        thread = ask(personas, client=environment, subject=f"Vraag {index}")
        services.reply(thread=thread, user=personas.staff.user, body="Antwoord")
        if index % 2:
            services.thread_assign(thread=thread, assignee=colleague, actor=personas.staff.user)
    assert Thread.objects.count() == 9
    assert count() == few
    with django_assert_max_num_queries(few):
        response = staff.get(reverse(INBOX), {"assignee": "mine", "waiting": "1", "q": "vraag", "unread": "1"})
    assert response.status_code == 200


def test_the_inbox_is_paginated(staff, personas):
    for index in range(27):
        ask(personas, subject=f"Vraag {index}")
    response = staff.get(reverse(INBOX))
    assert len(listed(response)) == 25 and response.context["page"].paginator.num_pages == 2
    assert len(listed(staff.get(reverse(INBOX), {"page": 2}))) == 2


def test_the_menu_counts_threads_waiting_for_me_or_nobody(staff, personas, colleague):
    ask(personas, subject="Aan mij")
    ask(personas, client=personas.private, subject="Aan niemand")
    marks = ask(personas, client=personas.holding, subject="Aan Mark")
    services.thread_assign(thread=marks, assignee=colleague, actor=personas.staff.user)
    page = staff.get(reverse("clients:staff_list")).content.decode()
    assert 'id="menu-messages-count">2</span>' in page
    answered = Thread.objects.get(subject="Aan mij")
    staff.post(url("reply", answered), {"body": "Antwoord"})
    assert 'id="menu-messages-count">1</span>' in staff.get(reverse("clients:staff_list")).content.decode()


def test_the_menu_count_costs_one_query(staff, personas):
    ask(personas)
    with CaptureQueriesContext(connection) as queries:
        staff.get(reverse("clients:staff_list"))
    assert len([query for query in queries if "messaging_thread" in query["sql"]]) == 1


# -- one thread ----------------------------------------------------------------------------------


def test_the_thread_shows_messages_notes_marked_and_attachments_linked(staff, personas):
    thread = ask(personas, uploads=[pdf("jaaropgave.pdf")])
    services.note_add(thread=thread, user=personas.staff.user, body="Eerst Mark vragen.")
    document = Attachment.objects.get().document
    page = staff.get(url("thread", thread)).content.decode()
    assert "Klopt de aangifte?" in page and "Eerst Mark vragen." in page
    assert page.count("Internal note — visible to the firm only") == 1
    assert (
        reverse(
            "dossiers_staff:document", args=[personas.company.public_id, document.dossier.public_id, document.public_id]
        )
        in page
    )


def test_the_answer_and_the_note_have_their_own_ids_and_labels(staff, personas):
    thread = ask(personas, uploads=[pdf("jaaropgave.pdf")])
    services.note_add(thread=thread, user=personas.staff.user, body="Eerst Mark vragen.")
    shown = staff.get(url("thread", thread)).content.decode()
    refused = staff.post(url("note", thread), {"body": ""})  # the page again, with the note's error
    assert refused.status_code == 400
    for page in (shown, refused.content.decode()):
        assert duplicate_ids(page) == []
        assert labels_without_target(page) == []
        assert page.count('id="id_body"') == 1 and '<label for="id_body"' in page
        assert page.count('id="id_note_body"') == 1 and '<label for="id_note_body"' in page
    assert '<textarea name="body"' in shown and 'id="id_note_body"' in shown.split('id="note-form"')[1]


def test_the_firms_answer_notifies_the_client_and_becomes_their_reply_task(staff, personas):
    thread = ask(personas)
    response = staff.post(url("reply", thread), {"body": "<p>Ja, dat <b>klopt</b>.</p>"})
    message = thread.messages.last()
    assert response.status_code == 302 and response.url == f"{url('thread', thread)}#message-{message.public_id}"
    assert message.from_firm and not message.internal and message.body == "<p>Ja, dat <b>klopt</b>.</p>"
    thread.refresh_from_db()
    assert thread.waiting_on == Thread.Side.CLIENT
    tasks = Todo.objects.filter(kind=Todo.Kind.REPLY, status=Todo.Status.OPEN, assignees=personas.client_user)
    assert tasks.count() == 1
    assert Notification.objects.filter(user=personas.client_user, link=thread.get_absolute_url()).exists()


def test_an_answer_with_attachments_stores_them_as_firm_correspondence(staff, personas):
    thread = ask(personas)
    response = staff.post(url("reply", thread), {"body": "Zie bijlage", "attachments": [pdf("a.pdf"), pdf("b.pdf")]})
    assert response.status_code == 302
    documents = [attachment.document for attachment in thread.messages.last().attachments.all()]
    assert [document.direction for document in documents] == [Document.Direction.CORRESPONDENCE] * 2


def test_an_answer_without_text_is_refused_clearly(staff, personas):
    thread = ask(personas)
    for body in ("", "<p> </p>"):
        response = staff.post(url("reply", thread), {"body": body})
        assert response.status_code == 400
        assert "Write your message." in response.content.decode()
    assert thread.messages.count() == 1


def test_a_failing_attachment_sends_nothing_and_keeps_the_text(staff, personas, settings):
    thread = ask(personas)
    before = set(stored_files(settings))
    response = staff.post(
        url("reply", thread),
        {"body": "Mijn antwoord dat blijft staan", "attachments": [pdf("goed.pdf"), pdf("virus.pdf", EXE)]},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Mijn antwoord dat blijft staan" in page  # back in the textarea
    assert "virus.pdf" in page and 'id="files-not-sent"' in page
    assert thread.messages.count() == 1 and Document.objects.count() == 0
    assert set(stored_files(settings)) == before
    assert not Todo.objects.filter(kind=Todo.Kind.REPLY).exists()


def test_the_answer_form_answers_its_script_in_json(staff, personas):
    thread = ask(personas)
    json = {"HTTP_ACCEPT": "application/json"}
    response = staff.post(url("reply", thread), {"body": "Prima"}, **json)
    message = thread.messages.last()
    assert response.status_code == 200
    assert response.json() == {"ok": True, "url": f"{url('thread', thread)}#message-{message.public_id}"}
    response = staff.post(url("reply", thread), {"body": "Nog een", "attachments": [pdf("virus.pdf", EXE)]}, **json)
    assert response.status_code == 400
    assert response.json()["ok"] is False and "attachments" in response.json()["errors"]
    assert staff.post(url("reply", thread), {"body": ""}, **json).json()["errors"] == {"body": ["Write your message."]}
    assert thread.messages.count() == 2


def test_a_hostile_body_is_stripped_when_stored_and_when_shown(staff, personas):
    thread = ask(personas)
    hostile = (
        '<p onclick="steal()">Hoi <script>alert(1)</script><b>vet</b> <a href="javascript:alert(2)">x</a>'
        '<img src=x onerror="alert(3)"></p>'
    )
    staff.post(url("reply", thread), {"body": hostile})
    staff.post(url("note", thread), {"body": hostile})
    stored = list(thread.messages.filter(from_firm=True).values_list("body", flat=True))
    assert len(stored) == 2
    for body in stored:
        assert "script" not in body and "onclick" not in body and "javascript:" not in body and "onerror" not in body
        assert "<b>vet</b>" in body
    page = staff.get(url("thread", thread)).content.decode()
    refused = staff.post(url("reply", thread), {"body": hostile, "attachments": [pdf("virus.pdf", EXE)]})
    assert refused.status_code == 400
    kept = refused.content.decode()
    assert "alert(" not in kept and "onclick" not in kept and "onerror" not in kept  # the form shown again
    assert "alert(" not in page and "onclick" not in page and "javascript:" not in page and "onerror" not in page
    assert "<b>vet</b>" in page


def test_notes_stay_with_the_firm(staff, personas):
    thread = ask(personas)
    response = staff.post(url("note", thread), {"body": "Klant belt vaak; eerst Mark vragen."})
    assert response.status_code == 302
    note = thread.messages.get(internal=True)
    assert note.from_firm and note.author == personas.staff.user
    assert note not in selectors.messages_for_member(thread=thread)
    assert not Notification.objects.filter(user=personas.client_user).exists()
    assert not Todo.objects.filter(kind=Todo.Kind.REPLY).exists()
    thread.refresh_from_db()
    assert thread.waiting_on == Thread.Side.FIRM  # a note is no answer
    assert staff.post(url("note", thread), {"body": ""}).status_code == 400


def test_a_thread_is_assigned_to_a_colleague_who_hears_of_it(staff, personas, colleague):
    thread = ask(personas)
    response = staff.post(url("assign", thread), {"assignee": str(colleague.public_id)})
    assert response.status_code == 302
    thread.refresh_from_db()
    assert thread.assignee == colleague
    assert Notification.objects.filter(user=colleague, link=url("thread", thread)).exists()
    staff.post(url("assign", thread), {"assignee": ""})
    thread.refresh_from_db()
    assert thread.assignee is None


def test_a_thread_cannot_be_assigned_outside_the_firm(staff, personas):
    thread = ask(personas)
    for person in (personas.outsider_staff.user, personas.client_user):
        response = staff.post(url("assign", thread), {"assignee": str(person.public_id)})
        assert response.status_code == 400
        assert "Choose a colleague of this firm." in response.content.decode()
    thread.refresh_from_db()
    assert thread.assignee == personas.staff.user


def test_handling_a_thread_takes_it_off_the_open_list_and_closes_the_reply_task(staff, personas):
    thread = ask(personas)
    staff.post(url("reply", thread), {"body": "Antwoord"})
    response = staff.post(url("handle", thread))
    assert response.status_code == 302 and response.url == reverse(INBOX)
    thread.refresh_from_db()
    assert thread.status == Thread.Status.HANDLED and thread.handled_by == personas.staff.user
    assert not Todo.objects.filter(kind=Todo.Kind.REPLY, status=Todo.Status.OPEN).exists()
    assert listed(staff.get(reverse(INBOX))) == []


def test_staff_of_another_firm_get_404_on_every_thread_url(client, personas):
    thread = ask(personas)
    client.force_login(personas.outsider_staff.user)
    assert client.get(url("thread", thread)).status_code == 404
    data = {"body": "Inbreker", "assignee": str(personas.outsider_staff.user.public_id)}
    for name in ("reply", "note", "assign", "handle"):
        assert client.post(url(name, thread), data).status_code == 404, name
    thread.refresh_from_db()
    assert thread.messages.count() == 1 and thread.status == Thread.Status.OPEN
    assert thread.assignee == personas.staff.user
    assert not Message.objects.filter(author=personas.outsider_staff.user).exists()
    # and their inbox does not show it
    assert "Btw Q3" not in client.get(reverse(INBOX)).content.decode()


def test_clients_cannot_open_the_inbox(client, personas):
    client.force_login(personas.client_user)
    assert client.get(reverse(INBOX)).status_code == 404
