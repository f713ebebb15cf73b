"""Nieuw bericht by the firm: staff start a thread to an environment (with or without a dossier);
the client hears of it and gets a reply task; errors keep the text; other firms and clients get 404."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from balie.dossiers.models import Document
from balie.dossiers.services import dossier_create
from balie.dossiers.tests.utils import PDF
from balie.messaging import selectors
from balie.messaging.models import Attachment, Thread
from balie.notifications.models import Notification
from balie.todos.models import Todo
from balie.todos.selectors import todo_list_for_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, personas):
    personas.staff.user.language = "en"  # messages are checked in their msgid form
    personas.staff.user.save(update_fields=["language"])
    client.force_login(personas.staff.user)
    return client


def new_url(environment):
    return reverse("messaging_staff:new", args=[environment.public_id])


def test_the_client_detail_page_links_to_a_new_message(staff, personas):
    response = staff.get(reverse("clients:staff_detail", args=[personas.company.public_id]))
    assert new_url(personas.company) in response.content.decode()


def test_the_form_offers_the_environments_dossiers_only(staff, personas):
    mine = dossier_create(client=personas.company, description="Jaarrekening 2025")
    other = dossier_create(client=personas.holding, description="Holding")
    response = staff.get(new_url(personas.company))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="compose-form"' in page and "balie/messages.js" in page
    assert str(mine.public_id) in page and str(other.public_id) not in page


def test_staff_start_a_thread_that_waits_on_the_client(staff, personas):
    response = staff.post(
        new_url(personas.company), {"subject": "Stukken Q3", "body": "<p>Wil je de <b>bonnen</b> sturen?</p>"}
    )
    thread = Thread.objects.get(subject="Stukken Q3")
    assert response.status_code == 302
    assert response.url == reverse("messaging_staff:thread", args=[thread.public_id])
    assert thread.client == personas.company and thread.dossier is None
    assert thread.kind == Thread.Kind.FIRM
    assert thread.waiting_on == Thread.Side.CLIENT and thread.status == Thread.Status.OPEN
    assert thread.assignee == personas.staff.user and thread.created_by == personas.staff.user
    message = thread.messages.get()
    assert message.from_firm and not message.internal and "<b>bonnen</b>" in message.body
    # The director gets a reply task and a notification.
    task = Todo.objects.get(kind=Todo.Kind.REPLY, status=Todo.Status.OPEN, target_id=str(thread.pk))
    assert task in todo_list_for_user(user=personas.client_user)
    assert Notification.objects.filter(user=personas.client_user, link=thread.get_absolute_url()).exists()
    # A plain Medewerker of the environment sees what the firm started.
    assert thread in selectors.threads_for_member(user=personas.employee, client=personas.company)
    followed = staff.get(response.url)
    assert "Your message has been sent to Bakker B.V." in followed.content.decode()


def test_a_thread_about_a_dossier_puts_its_attachments_there(staff, personas):
    dossier = dossier_create(client=personas.company, description="Jaarrekening 2025")
    upload = SimpleUploadedFile("concept.pdf", PDF, content_type="application/pdf")
    response = staff.post(
        new_url(personas.company),
        {"subject": "Concept", "body": "Graag je akkoord.", "dossier": str(dossier.public_id), "attachments": [upload]},
        HTTP_ACCEPT="application/json",
    )
    thread = Thread.objects.get(subject="Concept")
    assert response.status_code == 200
    assert response.json() == {"ok": True, "url": reverse("messaging_staff:thread", args=[thread.public_id])}
    assert thread.kind == Thread.Kind.DOSSIER and thread.dossier == dossier
    attachment = Attachment.objects.get(message__thread=thread)
    assert attachment.document.dossier == dossier
    assert attachment.document.direction == Document.Direction.CORRESPONDENCE


def test_missing_subject_and_body_keep_the_typed_text(staff, personas):
    response = staff.post(new_url(personas.company), {"subject": "", "body": "Alleen tekst"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Give your message a subject." in page and "Alleen tekst" in page
    response = staff.post(new_url(personas.company), {"subject": "Alleen onderwerp", "body": "<p> </p>"})
    assert response.status_code == 400
    assert 'value="Alleen onderwerp"' in response.content.decode()
    assert "Write your message." in response.content.decode()
    response = staff.post(new_url(personas.company), {"subject": "", "body": ""}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert response.json()["ok"] is False and set(response.json()["errors"]) == {"subject", "body"}
    assert not Thread.objects.exists()


def test_a_dossier_of_another_environment_is_refused(staff, personas):
    other = dossier_create(client=personas.holding, description="Holding")
    response = staff.post(
        new_url(personas.company), {"subject": "Mis", "body": "Tekst", "dossier": str(other.public_id)}
    )
    assert response.status_code == 400
    assert "Choose a dossier of this environment." in response.content.decode()
    assert not Thread.objects.exists()


def test_staff_of_another_firm_get_404(client, personas):
    client.force_login(personas.outsider_staff.user)
    assert client.get(new_url(personas.company)).status_code == 404
    assert client.post(new_url(personas.company), {"subject": "X", "body": "Y"}).status_code == 404
    assert not Thread.objects.exists()


def test_a_client_user_gets_404(client, personas):
    client.force_login(personas.client_user)
    assert client.get(new_url(personas.company)).status_code == 404
    assert client.post(new_url(personas.company), {"subject": "X", "body": "Y"}).status_code == 404
    assert not Thread.objects.exists()
