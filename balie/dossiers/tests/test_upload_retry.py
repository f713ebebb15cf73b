"""A retried upload stores its file once: each file the upload page sends carries an id made in the
browser, and a second request with the same id answers with the document already stored."""

from __future__ import annotations

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from balie.dossiers import services
from balie.dossiers.models import Document
from balie.dossiers.tests.utils import PDF, stored_files
from balie.notifications.models import Notification

pytestmark = pytest.mark.django_db


def pdf(name="bankafschrift.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def dossier_of(client):
    return services.dossier_create(client=client, description="Doorlopend dossier")


def send(http, user, dossier, name="bankafschrift.pdf", upload_id=None, json=True):
    """What the upload page's script sends for one file (without ``json``: the plain form)."""
    folder = dossier.folders.get(name="Administratie")
    http.force_login(user)
    data = {"map": folder.public_id, "files": pdf(name)}
    if upload_id is not None:
        data["upload_id"] = str(upload_id)
    url = reverse("dossiers:upload", args=[dossier.client.public_id, dossier.public_id])
    return http.post(url, data, **({"HTTP_ACCEPT": "application/json"} if json else {}))


def test_the_same_file_posted_twice_with_its_id_is_stored_once_and_both_answers_succeed(client, personas):
    dossier = dossier_of(personas.company)
    upload_id = uuid.uuid4()
    first = send(client, personas.client_user, dossier, upload_id=upload_id)
    again = send(client, personas.client_user, dossier, upload_id=upload_id)  # the connection dropped
    assert first.json() == again.json() == {"ok": True, "documents": ["bankafschrift"]}
    document = Document.objects.get()
    assert document.upload_id == upload_id and document.created_by == personas.client_user
    assert len(stored_files()) == 1
    assert Notification.objects.filter(user=personas.staff.user).count() == 1  # the firm is told once


def test_the_plain_form_retried_with_its_id_redirects_both_times_and_stores_once(client, personas):
    dossier = dossier_of(personas.company)
    upload_id = uuid.uuid4()
    first = send(client, personas.client_user, dossier, upload_id=upload_id, json=False)
    again = send(client, personas.client_user, dossier, upload_id=upload_id, json=False)
    assert first.status_code == again.status_code == 302 and first.url == again.url
    assert Document.objects.count() == 1 and len(stored_files()) == 1


def test_two_files_with_different_ids_are_two_documents(client, personas):
    dossier = dossier_of(personas.company)
    send(client, personas.client_user, dossier, "a.pdf", upload_id=uuid.uuid4())
    send(client, personas.client_user, dossier, "a.pdf", upload_id=uuid.uuid4())
    assert Document.objects.count() == 2 and len(stored_files()) == 2


def test_without_an_id_every_request_stores_its_file(client, personas):
    dossier = dossier_of(personas.company)
    send(client, personas.client_user, dossier)
    send(client, personas.client_user, dossier)
    assert Document.objects.count() == 2
    assert set(Document.objects.values_list("upload_id", flat=True)) == {None}


def test_an_id_that_is_not_a_uuid_is_ignored_rather_than_refused(client, personas):
    dossier = dossier_of(personas.company)
    response = send(client, personas.client_user, dossier, upload_id="niet-een-uuid")
    assert response.json()["ok"] is True
    assert Document.objects.get().upload_id is None


def test_another_environments_id_in_my_environment_stores_my_own_file(client, personas):
    theirs = dossier_of(personas.outsider_client)
    mine = dossier_of(personas.company)
    upload_id = uuid.uuid4()
    send(client, personas.outsider, theirs, "geheim van visser.pdf", upload_id=upload_id)
    answer = send(client, personas.client_user, mine, "mijn bankafschrift.pdf", upload_id=upload_id)
    assert answer.json() == {"ok": True, "documents": ["mijn bankafschrift"]}
    assert "geheim" not in answer.content.decode()
    assert set(Document.objects.values_list("client", "title")) == {
        (personas.outsider_client.pk, "geheim van visser"),
        (personas.company.pk, "mijn bankafschrift"),
    }
    assert len(stored_files()) == 2


def test_a_colleagues_id_in_the_same_environment_stores_my_own_file(client, personas):
    dossier = dossier_of(personas.company)
    upload_id = uuid.uuid4()
    send(client, personas.client_user, dossier, "van pieter.pdf", upload_id=upload_id)
    answer = send(client, personas.employee, dossier, "van de medewerker.pdf", upload_id=upload_id)
    assert answer.json() == {"ok": True, "documents": ["van de medewerker"]}
    assert set(Document.objects.values_list("created_by", "title")) == {
        (personas.client_user.pk, "van pieter"),
        (personas.employee.pk, "van de medewerker"),
    }


def test_the_service_returns_the_stored_document_for_a_known_id(personas):
    from balie.dossiers.uploads import documents_supply

    dossier = dossier_of(personas.company)
    folder = dossier.folders.get(name="Administratie")
    upload_id = uuid.uuid4()
    [first] = documents_supply(
        dossier=dossier, folder=folder, uploads=[pdf()], upload_ids=[upload_id], actor=personas.client_user
    )
    [again] = documents_supply(
        dossier=dossier, folder=folder, uploads=[pdf()], upload_ids=[upload_id], actor=personas.client_user
    )
    assert again == first and Document.objects.count() == 1


def test_an_id_sent_again_with_other_contents_or_to_another_folder_is_refused_not_answered_as_sent(client, personas):
    dossier = dossier_of(personas.company)
    upload_id = uuid.uuid4()
    assert send(client, personas.client_user, dossier, upload_id=upload_id).json()["ok"]
    url = reverse("dossiers:upload", args=[dossier.client.public_id, dossier.public_id])
    administratie = dossier.folders.get(name="Administratie")
    other_folder = dossier.folders.exclude(pk=administratie.pk).first()
    other_bytes = SimpleUploadedFile("loonstrook.pdf", PDF + b"\n% another file\n", content_type="application/pdf")
    attempts = [
        {"map": administratie.public_id, "files": other_bytes, "upload_id": str(upload_id)},
        {"map": other_folder.public_id, "files": pdf(), "upload_id": str(upload_id)},
    ]
    for data in attempts:
        response = client.post(url, data, HTTP_ACCEPT="application/json")
        assert response.status_code == 400
        assert "eerder verstuurd" in response.json()["errors"][0]
    assert Document.objects.count() == 1 and len(stored_files()) == 1
