"""Clients supplying documents (DOS-6) and the firm's inbox of uploads."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from balie.dossiers import services
from balie.dossiers.models import Document
from balie.notifications.models import Notification

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200


def pdf(name="bankafschrift.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def dossier(personas):
    return services.dossier_create(client=personas.company, description="Doorlopend dossier")


def url(personas, dossier):
    return reverse("dossiers:upload", args=[personas.company.public_id, dossier.public_id])


def test_client_supplies_several_files_into_a_folder_and_the_manager_is_told(client, personas, dossier):
    folder = dossier.folders.get(name="Administratie")
    client.force_login(personas.client_user)
    page = client.get(url(personas, dossier)).content.decode()
    assert "Administratie" in page and "multiple" in page
    response = client.post(url(personas, dossier), {"map": folder.public_id, "files": [pdf("a.pdf"), pdf("b.pdf")]})
    assert response.status_code == 302 and response.url.endswith("?tab=client")
    documents = Document.objects.filter(dossier=dossier)
    assert sorted(documents.values_list("title", flat=True)) == ["a", "b"]
    assert set(documents.values_list("direction", "folder", "created_by")) == {
        ("client", folder.pk, personas.client_user.pk)
    }
    note = Notification.objects.get(user=personas.staff.user)
    assert "2 documenten aangeleverd" in note.title and "Administratie" in note.title
    assert note.link == reverse("dossiers_inbox:list")


def test_the_firm_reads_of_supplied_documents_in_each_staff_members_language(client, personas, dossier):
    from django.utils import translation

    personas.staff.user.language = "en"
    personas.staff.user.save(update_fields=["language"])
    folder = dossier.folders.get(name="Administratie")
    client.force_login(personas.client_user)
    client.post(url(personas, dossier), {"map": folder.public_id, "files": [pdf("a.pdf")]})
    client.post(url(personas, dossier), {"map": folder.public_id, "files": [pdf("b.pdf"), pdf("c.pdf")]})
    one, two = Notification.objects.filter(user=personas.staff.user).order_by("pk")
    who = personas.client_user.get_full_name()
    with translation.override("en"):
        assert one.display_title == f"{who} (Bakker B.V.) supplied a in Administratie"
        assert two.display_title == f"{who} (Bakker B.V.) supplied 2 documents in Administratie"
    with translation.override("nl"):
        assert one.display_title == f"{who} (Bakker B.V.) heeft a aangeleverd in Administratie"
        assert two.display_title == f"{who} (Bakker B.V.) heeft 2 documenten aangeleverd in Administratie"


def test_one_file_per_request_answers_json_for_the_progress_bars(client, personas, dossier):
    folder = dossier.folders.get(name="Administratie")
    client.force_login(personas.client_user)
    ok = client.post(url(personas, dossier), {"map": folder.public_id, "files": pdf()}, HTTP_ACCEPT="application/json")
    assert ok.json() == {"ok": True, "documents": ["bankafschrift"]}
    bad = client.post(
        url(personas, dossier),
        {"map": folder.public_id, "files": pdf("virus.pdf", EXE)},
        HTTP_ACCEPT="application/json",
    )
    assert bad.status_code == 400 and "virus.pdf" in bad.json()["errors"][0]


def test_a_bad_file_among_good_ones_stores_nothing(client, personas, dossier):
    folder = dossier.folders.get(name="Administratie")
    client.force_login(personas.client_user)
    response = client.post(
        url(personas, dossier), {"map": folder.public_id, "files": [pdf("goed.pdf"), pdf("leeg.pdf", b"")]}
    )
    assert response.status_code == 400
    assert "leeg.pdf" in response.content.decode()
    assert not Document.objects.exists()
    assert not Notification.objects.exists()


def test_no_folder_no_files_and_too_many_files_are_refused(client, personas, dossier):
    folder = dossier.folders.get(name="Administratie")
    client.force_login(personas.client_user)
    assert client.post(url(personas, dossier), {"files": pdf()}).status_code == 400
    assert client.post(url(personas, dossier), {"map": folder.public_id}).status_code == 400
    many = [pdf(f"{n}.pdf") for n in range(101)]
    response = client.post(url(personas, dossier), {"map": folder.public_id, "files": many})
    assert response.status_code == 400 and "100" in response.content.decode()
    assert not Document.objects.exists()


def test_a_folder_of_another_environment_answers_404(client, personas, dossier):
    elsewhere = services.dossier_create(client=personas.holding, description="Holding")
    foreign = elsewhere.folders.first()
    client.force_login(personas.client_user)
    response = client.post(url(personas, dossier), {"map": foreign.public_id, "files": pdf()})
    assert response.status_code == 404
    assert not Document.objects.exists()


def test_the_inbox_lists_new_uploads_of_the_firm_only_with_constant_queries(still_clock, client, personas, dossier):
    folder = dossier.folders.get(name="Administratie")
    other = services.dossier_create(client=personas.outsider_client, description="Elders")
    services.document_add(dossier=other, upload=pdf("geheim.pdf"), direction="client", actor=personas.outsider)
    client.force_login(personas.staff.user)
    counts = []
    for batch in (1, 20):
        for number in range(batch):
            services.document_add(
                dossier=dossier,
                folder=folder,
                upload=pdf(f"stuk{batch}-{number}.pdf"),
                direction="client",
                actor=personas.client_user,
            )
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("dossiers_inbox:list")).content.decode()
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1]
    assert "stuk20-0" in page and "geheim" not in page
    # Opened by someone at the firm: no longer new.
    document = Document.objects.get(title="stuk1-0")
    services.document_record_access(document=document, user=personas.staff.user, action="view", ip_address=None)
    assert "stuk1-0" not in client.get(reverse("dossiers_inbox:list")).content.decode()
    assert "stuk1-0" in client.get(reverse("dossiers_inbox:list") + "?alles=1").content.decode()


def test_clients_cannot_open_the_inbox(client, personas):
    client.force_login(personas.client_user)
    assert client.get(reverse("dossiers_inbox:list")).status_code == 404


def test_opening_a_supplied_document_at_the_firm_takes_it_off_the_inbox(client, personas, dossier):
    document = services.document_add(dossier=dossier, upload=pdf(), direction="client", actor=personas.client_user)
    client.force_login(personas.staff.user)
    assert "bankafschrift" in client.get(reverse("dossiers_inbox:list")).content.decode()
    client.get(
        reverse("dossiers_staff:document", args=[personas.company.public_id, dossier.public_id, document.public_id])
    )
    assert "bankafschrift" not in client.get(reverse("dossiers_inbox:list")).content.decode()


def test_the_storage_quota_per_environment_is_kept(client, personas, dossier):
    folder = dossier.folders.get(name="Administratie")
    personas.firm.client_quota_bytes = len(PDF) * 2 + 1
    personas.firm.save()
    client.force_login(personas.client_user)
    client.post(url(personas, dossier), {"map": folder.public_id, "files": [pdf("a.pdf"), pdf("b.pdf")]})
    response = client.post(url(personas, dossier), {"map": folder.public_id, "files": pdf("c.pdf")})
    assert response.status_code == 400 and "passen niet" in response.content.decode()
    assert Document.objects.count() == 2


def test_a_large_upload_is_hashed_on_arrival_and_moved_not_copied(client, personas, dossier, monkeypatch, settings):
    """Over Django's in-memory limit the file lands in a temporary file, hashed as it arrives; the
    local storage then takes that file as it is: no second read or copy of the bytes."""
    import hashlib

    from balie.dossiers import files

    def no_second_pass(self, size=-1):
        raise AssertionError("the upload was read a second time")

    monkeypatch.setattr(files._HashingReader, "read", no_second_pass)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    content = PDF + b"0" * (3 * 1024 * 1024)
    folder = dossier.folders.get(name="Administratie")
    client.force_login(personas.client_user)
    response = client.post(url(personas, dossier), {"map": folder.public_id, "files": pdf("groot.pdf", content)})
    assert response.status_code == 302
    version = Document.objects.get().current_version
    assert version.sha256 == hashlib.sha256(content).hexdigest() and version.size == len(content)
    with version.file.open("rb") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == version.sha256


def test_an_upload_cut_off_halfway_leaves_no_document_and_no_file(client, personas, dossier, settings):
    from pathlib import Path

    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    folder = dossier.folders.get(name="Administratie")
    client.force_login(personas.client_user)
    body = encode_multipart(BOUNDARY, {"map": str(folder.public_id), "files": pdf("groot.pdf", PDF + b"0" * 200_000)})
    cut = body[: len(body) // 2]  # the connection dropped halfway through the file
    response = client.generic("POST", url(personas, dossier), cut, content_type=MULTIPART_CONTENT)
    assert response.status_code == 400
    assert not Document.objects.exists()
    root = Path(settings.MEDIA_ROOT) / "documents"
    assert not root.exists() or not any(path.is_file() for path in root.rglob("*"))
