"""The client side of messages through its pages: Stel een vraag, Contact, the Berichten tab of a
dossier, a thread with Beantwoorden and Afgehandeld, the list with search; bad input; other tenants."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from balie.dossiers.models import Document
from balie.dossiers.services import dossier_create
from balie.dossiers.tests.utils import EXE, PDF, stored_files
from balie.firms.factories import StaffMemberFactory
from balie.messaging import services
from balie.messaging.models import Attachment, Message, Thread
from balie.todos.models import Todo

pytestmark = pytest.mark.django_db

HOSTILE = (
    '<p onclick="steal()">Hallo <script>alert("xss")</script><b>vet</b> '
    '<a href="javascript:alert(1)">klik</a> <a href="https://example.com" onmouseover="x()">site</a>'
    '<img src=x onerror="alert(2)"></p>'
)


def pdf(name="bijlage.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def member(client, personas):
    personas.client_user.language = "en"
    personas.client_user.save(update_fields=["language"])
    client.force_login(personas.client_user)
    return client


@pytest.fixture
def dossier(personas):
    return dossier_create(client=personas.company, description="Jaarrekening 2025")


def url(name, environment, *args):
    return reverse(f"messaging:{name}", args=[environment.public_id, *args])


def thread_url(thread, environment=None):
    return reverse("messaging:thread", args=[(environment or thread.client).public_id, thread.public_id])


def ask(personas, *, client=None, user=None, **kwargs):
    values = {"kind": "question", "subject": "Btw Q3", "body": "<p>Klopt de aangifte?</p>"}
    values.update(kwargs)
    with translation.override("en"):
        return services.thread_start(client=client or personas.company, user=user or personas.client_user, **values)


def firm_reply(personas, thread, body="<p>Ja, dat klopt.</p>"):
    with translation.override("en"):
        return services.reply(thread=thread, user=personas.staff.user, body=body)


def reply_tasks(user):
    return Todo.objects.filter(kind=Todo.Kind.REPLY, status=Todo.Status.OPEN, assignees=user)


def text(response) -> str:
    return response.content.decode()


# -- Stel een vraag (MSG-3) --


def test_the_start_page_offers_to_ask_a_question_and_to_write_to_the_contact_person(member, personas):
    page = text(member.get(reverse("home:client", args=[personas.company.public_id])))
    assert url("question", personas.company) in page and url("contact", personas.company) in page
    assert url("list", personas.company) in page  # the menu's Berichten


def test_a_question_with_two_attachments_is_sent_whole(member, personas):
    response = member.post(
        url("question", personas.company),
        {"subject": "Btw Q3", "body": "<p>Klopt <b>dit</b>?</p>", "attachments": [pdf("a.pdf"), pdf("b.pdf")]},
    )
    thread = Thread.objects.get()
    assert response.status_code == 302 and response.url == thread.get_absolute_url()
    assert (thread.kind, thread.client, thread.waiting_on) == ("question", personas.company, "firm")
    message = thread.messages.get()
    assert message.body == "<p>Klopt <b>dit</b>?</p>"
    documents = [attachment.document for attachment in Attachment.objects.filter(message=message)]
    assert sorted(document.current_version.original_name for document in documents) == ["a.pdf", "b.pdf"]
    assert {document.direction for document in documents} == {Document.Direction.CLIENT}  # Door mij aangeleverd
    page = text(member.get(response.url))
    assert "<p>Klopt <b>dit</b>?</p>" in page and "a.pdf" in page and "b.pdf" in page


def test_plain_text_without_the_editor_becomes_paragraphs(member, personas):
    member.post(url("question", personas.company), {"subject": "Vraag", "body": "Regel een\nRegel twee\n\nAlinea <2>"})
    assert Message.objects.get().body == "<p>Regel een<br>Regel twee</p><p>Alinea &lt;2&gt;</p>"


def test_a_missing_subject_says_so_and_keeps_the_typed_text(member, personas):
    response = member.post(url("question", personas.company), {"subject": "  ", "body": "Mijn lange verhaal"})
    assert response.status_code == 400
    page = text(response)
    assert "Give your message a subject." in page
    assert ">Mijn lange verhaal</textarea>" in page
    assert not Thread.objects.exists()


def test_a_missing_body_says_so_and_keeps_the_subject(member, personas):
    for body in ("", "<p> </p><p><br></p>"):
        response = member.post(url("question", personas.company), {"subject": "Vraag over btw", "body": body})
        assert response.status_code == 400
        page = text(response)
        assert "Write your message." in page and 'value="Vraag over btw"' in page
    assert not Thread.objects.exists()


def test_formatted_text_is_kept_sanitised_after_an_error(member, personas):
    response = member.post(url("question", personas.company), {"subject": "", "body": HOSTILE})
    page = text(response)
    assert "&lt;b&gt;vet&lt;/b&gt;" in page  # back in the editor's textarea, escaped
    assert "onerror" not in page and "onclick" not in page and "alert(" not in page and "javascript:" not in page


def test_script_handlers_and_javascript_links_are_stripped_when_stored_and_when_shown(member, personas):
    response = member.post(url("question", personas.company), {"subject": "Hoi", "body": HOSTILE})
    assert response.status_code == 302
    stored = Message.objects.get().body
    for bad in ("<script", "onclick", "onerror", "onmouseover", "javascript:", "<img"):
        assert bad not in stored
    assert "<b>vet</b>" in stored and 'href="https://example.com"' in stored
    page = text(member.get(response.url))
    for bad in ("alert(", "onclick", "onerror", "onmouseover", "javascript:", "<img", "steal()"):
        assert bad not in page
    assert "<b>vet</b>" in page and '<a href="https://example.com" rel="noopener noreferrer nofollow">site</a>' in page


def test_an_attachment_failing_validation_stores_nothing_and_keeps_the_text(member, personas, settings):
    response = member.post(
        url("question", personas.company),
        {"subject": "Stukken", "body": "Zie bijlagen", "attachments": [pdf("goed.pdf"), pdf("virus.pdf", EXE)]},
    )
    assert response.status_code == 400
    assert not Thread.objects.exists() and not Message.objects.exists() and not Document.objects.exists()
    assert stored_files(settings) == []
    page = text(response)
    assert "virus.pdf" in page and 'value="Stukken"' in page and ">Zie bijlagen</textarea>" in page
    assert 'id="files-not-sent"' in page  # the files must be chosen again


def test_the_script_gets_json_with_the_errors_and_then_the_address_to_go_to(member, personas, settings):
    bad = member.post(
        url("question", personas.company),
        {"subject": "", "body": "Tekst", "attachments": [pdf()]},
        headers={"accept": "application/json"},
    )
    assert bad.status_code == 400 and json.loads(bad.content)["errors"] == {"subject": ["Give your message a subject."]}
    virus = member.post(
        url("question", personas.company),
        {"subject": "Stukken", "body": "Tekst", "attachments": [pdf("virus.pdf", EXE)]},
        headers={"accept": "application/json"},
    )
    assert virus.status_code == 400 and list(json.loads(virus.content)["errors"]) == ["attachments"]
    assert not Thread.objects.exists() and stored_files(settings) == []
    good = member.post(
        url("question", personas.company),
        {"subject": "Stukken", "body": "Tekst", "attachments": [pdf()]},
        headers={"accept": "application/json"},
    )
    assert json.loads(good.content) == {"ok": True, "url": Thread.objects.get().get_absolute_url()}


# -- Contact (MSG-1) --


def test_contact_offers_only_the_people_the_firm_made_selectable(member, personas):
    hidden = StaffMemberFactory(firm=personas.firm, user__first_name="Geheim", user__last_name="Collega")
    listed = StaffMemberFactory(firm=personas.firm, contactable=True, user__first_name="Fatima", user__last_name="Ait")
    page = text(member.get(url("contact", personas.company)))
    assert str(personas.staff.user.public_id) in page and "(your contact person)" in page
    assert str(listed.user.public_id) in page
    assert str(hidden.user.public_id) not in page and str(personas.outsider_staff.user.public_id) not in page
    for person in (hidden.user, personas.outsider_staff.user):
        response = member.post(
            url("contact", personas.company), {"recipient": person.public_id, "subject": "Hoi", "body": "Tekst"}
        )
        assert response.status_code == 400 and "choose someone from the list" in text(response)
    assert not Thread.objects.exists()
    response = member.post(
        url("contact", personas.company), {"recipient": listed.user.public_id, "subject": "Hoi", "body": "Tekst"}
    )
    thread = Thread.objects.get()
    assert response.status_code == 302 and (thread.kind, thread.assignee) == ("contact", listed.user)


def test_contact_requires_a_recipient(member, personas):
    response = member.post(url("contact", personas.company), {"recipient": "", "subject": "Hoi", "body": "Tekst"})
    assert response.status_code == 400 and "Choose whom you write to." in text(response)
    assert not Thread.objects.exists()


# -- a thread: reading, Beantwoorden, Afgehandeld, tasks --


def test_the_firms_answer_is_a_reply_task_until_the_client_replies(member, personas):
    thread = ask(personas)
    firm_reply(personas, thread)
    assert reply_tasks(personas.client_user).count() == 1
    page = text(member.get(thread_url(thread)))
    assert "Ja, dat klopt." in page and "Incoming" in page and "Awaiting your reply" in page
    response = member.post(thread_url(thread), {"body": "<p>Dank je, <i>top</i>.</p>", "attachments": [pdf()]})
    assert response.status_code == 302
    assert reply_tasks(personas.client_user).count() == 0
    thread.refresh_from_db()
    assert thread.waiting_on == Thread.Side.FIRM and thread.messages.count() == 3
    last = thread.messages.last()
    assert last.body == "<p>Dank je, <i>top</i>.</p>" and last.attachments.count() == 1


def test_marking_handled_closes_the_task_and_a_new_reply_reopens(member, personas):
    thread = ask(personas)
    firm_reply(personas, thread)
    assert member.post(url("handle", personas.company, thread.public_id)).status_code == 302
    thread.refresh_from_db()
    assert thread.status == Thread.Status.HANDLED and reply_tasks(personas.client_user).count() == 0
    assert "Handled" in text(member.get(thread_url(thread)))
    member.post(thread_url(thread), {"body": "Toch nog iets"})
    thread.refresh_from_db()
    assert thread.status == Thread.Status.OPEN


def test_a_reply_with_a_bad_attachment_adds_nothing_and_keeps_the_text(member, personas, settings):
    thread = ask(personas)
    before = set(stored_files(settings))
    response = member.post(thread_url(thread), {"body": "Mijn antwoord", "attachments": [pdf("x.pdf", EXE)]})
    assert response.status_code == 400 and ">Mijn antwoord</textarea>" in text(response)
    assert thread.messages.count() == 1 and set(stored_files(settings)) == before


def test_an_empty_reply_says_so(member, personas):
    thread = ask(personas)
    response = member.post(thread_url(thread), {"body": "<p><br></p>"})
    assert response.status_code == 400 and "Write your message." in text(response)
    assert thread.messages.count() == 1


def test_opening_a_thread_marks_it_read(member, personas):
    thread = ask(personas)
    firm_reply(personas, thread)
    listing = member.get(url("list", personas.company))
    assert 'id="menu-message-count">1<' in text(listing) and "1 new" in text(listing)
    member.get(thread_url(thread))
    assert "1 new" not in text(member.get(url("list", personas.company)))


def test_internal_notes_never_reach_the_client(member, personas):
    thread = ask(personas)
    with translation.override("en"):
        services.note_add(thread=thread, user=personas.staff.user, body="Belt vaak; eerst Mark vragen.")
    assert "Mark vragen" not in text(member.get(thread_url(thread)))
    assert list(member.get(url("list", personas.company) + "?q=Mark").context["page"]) == []


# -- other environments and other people --


def test_a_thread_of_another_environment_is_404_by_its_id(member, personas):
    thread = ask(personas)  # of the company
    other = personas.private  # the same person is a member here too
    assert member.get(thread_url(thread, other)).status_code == 404
    assert member.post(thread_url(thread, other), {"body": "Via een ander adres"}).status_code == 404
    assert member.post(url("handle", other, thread.public_id)).status_code == 404
    assert thread.messages.count() == 1 and Thread.objects.get().status == Thread.Status.OPEN


def test_an_outsider_gets_404_everywhere(client, personas, dossier):
    thread = ask(personas)
    client.force_login(personas.outsider)
    company = personas.company
    for address in (
        url("list", company),
        url("question", company),
        url("contact", company),
        url("dossier_new", company, dossier.public_id),
        thread_url(thread),
    ):
        assert client.get(address).status_code == 404
    assert client.post(thread_url(thread), {"body": "Hoi"}).status_code == 404
    assert client.post(url("handle", company, thread.public_id)).status_code == 404
    own = personas.outsider_client
    assert client.get(thread_url(thread, own)).status_code == 404
    assert client.get(url("dossier_new", own, dossier.public_id)).status_code == 404


def test_a_medewerker_reads_threads_of_their_environment_only(client, personas):
    company_thread = ask(personas, user=personas.employee)
    holding_thread = ask(personas, client=personas.holding, subject="Holding")
    client.force_login(personas.employee)
    assert client.get(thread_url(company_thread)).status_code == 200
    assert client.get(thread_url(holding_thread)).status_code == 404
    assert client.get(thread_url(holding_thread, personas.company)).status_code == 404
    assert client.post(thread_url(holding_thread, personas.company), {"body": "Hoi"}).status_code == 404
    assert holding_thread.messages.count() == 1


def test_a_plain_medewerker_sees_their_own_and_the_firms_threads_not_their_colleagues(
    client, personas, django_capture_on_commit_callbacks
):
    directors = ask(personas, kind="contact", recipient=personas.staff.user, subject="Salaris directie 2025")
    firms = ask(personas, subject="Vraag van kantoor", user=personas.staff.user)
    own = ask(personas, subject="Mijn eigen vraag", user=personas.employee)
    client.force_login(personas.employee)
    listed = [thread.subject for thread in client.get(url("list", personas.company)).context["page"]]
    assert sorted(listed) == ["Mijn eigen vraag", "Vraag van kantoor"]
    assert client.get(thread_url(directors)).status_code == 404
    assert client.post(thread_url(directors), {"body": "Hoi"}).status_code == 404
    assert client.get(thread_url(firms)).status_code == 200 and client.get(thread_url(own)).status_code == 200
    # The firm's answer to the director is not told to the Medewerker.
    from balie.notifications.models import Notification

    firm_reply(personas, directors)
    assert not Notification.objects.filter(user=personas.employee, link=directors.get_absolute_url()).exists()
    assert Notification.objects.filter(user=personas.client_user, link=directors.get_absolute_url()).exists()


def test_search_looks_in_subjects_and_bodies_of_this_environment_only(member, personas):
    ask(personas, subject="Auto van de zaak", body="Bijtelling 2026?")
    ask(personas, subject="Loonstrook", body="Januari")
    ask(personas, client=personas.holding, subject="Bijtelling holding", body="Geheim")
    found = member.get(url("list", personas.company) + "?q=bijtelling")
    assert [thread.subject for thread in found.context["page"]] == ["Auto van de zaak"]
    assert [t.subject for t in member.get(url("list", personas.company) + "?q=loon").context["page"]] == ["Loonstrook"]


# -- the dossier's Berichten tab (MSG-2) --


def dossier_tab(dossier):
    return reverse("dossiers:detail", args=[dossier.client.public_id, dossier.public_id]) + "?tab=berichten"


def test_the_berichten_tab_lists_the_dossiers_threads_with_unread_in_bold(member, personas, dossier):
    mine = ask(personas, kind="dossier", dossier=dossier, subject="Mijn vraag")
    theirs = ask(personas, kind="dossier", dossier=dossier, subject="Vraag van kantoor", user=personas.staff.user)
    ask(personas, subject="Los van het dossier")
    page = text(member.get(dossier_tab(dossier)))
    assert "Mijn vraag" in page and "Vraag van kantoor" in page and "Los van het dossier" not in page
    assert f'id="thread-{theirs.public_id}"' in page and "<strong>Vraag van kantoor</strong>" in page
    assert "<strong>Mijn vraag</strong>" not in page
    assert 'class="count unread">1</span>' in page  # the tab's count: one unread thread
    assert url("dossier_new", personas.company, dossier.public_id) in page
    mine_row = page.split(f'id="thread-{mine.public_id}"')[1].split("</tr>")[0]
    theirs_row = page.split(f'id="thread-{theirs.public_id}"')[1].split("</tr>")[0]
    assert "Outgoing" in mine_row and "Incoming" in theirs_row


def test_a_new_message_in_a_dossier_puts_its_attachments_in_that_dossier(member, personas, dossier):
    response = member.post(
        url("dossier_new", personas.company, dossier.public_id),
        {"subject": "Bonnetjes", "body": "Hierbij", "attachments": [pdf("bon.pdf")]},
    )
    thread = Thread.objects.get()
    assert response.status_code == 302 and (thread.kind, thread.dossier) == ("dossier", dossier)
    document = Attachment.objects.get().document
    assert (document.dossier, document.direction) == (dossier, Document.Direction.CLIENT)


def test_a_dossier_of_another_environment_cannot_hold_a_new_message(member, personas):
    holding_dossier = dossier_create(client=personas.holding, description="Holding")
    response = member.post(
        url("dossier_new", personas.company, holding_dossier.public_id), {"subject": "Hoi", "body": "Tekst"}
    )
    assert response.status_code == 404 and not Thread.objects.exists()


# -- a constant number of queries --


def _queries(member, address) -> int:
    member.get(address)  # the first visit remembers the environment as the last one
    with CaptureQueriesContext(connection) as queries:
        assert member.get(address).status_code == 200
    return len(queries)


def _threads(personas, dossier, count, start=0):
    for number in range(start, start + count):
        thread = ask(personas, kind="dossier", dossier=dossier, subject=f"Vraag {number}", uploads=[pdf()])
        firm_reply(personas, thread, body=f"Antwoord {number}")


def test_the_thread_list_uses_a_constant_number_of_queries(member, personas, dossier, django_assert_max_num_queries):
    _threads(personas, dossier, 1)
    few = _queries(member, url("list", personas.company))
    _threads(personas, dossier, 7, start=1)
    with django_assert_max_num_queries(few):
        response = member.get(url("list", personas.company))
    assert len(response.context["page"]) == 8


def test_the_berichten_tab_uses_a_constant_number_of_queries(member, personas, dossier, django_assert_max_num_queries):
    _threads(personas, dossier, 1)
    few = _queries(member, dossier_tab(dossier))
    _threads(personas, dossier, 7, start=1)
    with django_assert_max_num_queries(few):
        response = member.get(dossier_tab(dossier))
    assert len(response.context["page"]) == 8


def test_a_thread_page_uses_a_constant_number_of_queries(member, personas, django_assert_max_num_queries):
    thread = ask(personas, uploads=[pdf()])
    firm_reply(personas, thread)
    few = _queries(member, thread_url(thread))
    for number in range(6):
        with translation.override("en"):
            services.reply(thread=thread, user=personas.client_user, body=f"Nog {number}", uploads=[pdf()])
        firm_reply(personas, thread)
    address = thread_url(thread)
    with django_assert_max_num_queries(few):
        assert member.get(address).status_code == 200
