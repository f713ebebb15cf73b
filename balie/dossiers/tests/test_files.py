"""Checking and storing files: bad input gets a clear message and nothing is stored (DOS-6, DOS-8)."""

import hashlib
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from balie.dossiers import files, services
from balie.dossiers.models import Document, DocumentVersion
from balie.dossiers.tests.utils import EXE, PDF, stored_files

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


def upload(name="aangifte.pdf", content=PDF, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def dossier(personas):
    return services.dossier_create(client=personas.company, description="Doorlopend dossier")


def test_a_file_is_stored_under_a_random_key_with_its_hash_size_and_sniffed_type(dossier, personas, settings):
    document = services.document_add(
        dossier=dossier, upload=upload("Jaarrekening 2025.pdf"), direction="firm", actor=personas.staff.user
    )
    version = document.current_version
    assert version.original_name == "Jaarrekening 2025.pdf"
    assert "Jaarrekening" not in version.file.name and version.file.name.startswith("documents/")
    assert version.size == len(PDF)
    assert version.sha256 == hashlib.sha256(PDF).hexdigest()
    assert version.content_type == "application/pdf"
    assert (Path(settings.MEDIA_ROOT) / version.file.name).read_bytes() == PDF
    assert document.title == "Jaarrekening 2025"


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("leeg.pdf", b"", "empty"),
        ("programma.exe", EXE, "type"),
        ("factuur.pdf", EXE, "content"),  # an executable renamed .pdf
        ("plaatje.png", PDF, "content"),
        ("pagina.html", b"<html><script>alert(1)</script></html>", "type"),
        ("map\\bestand.pdf", PDF, "name"),
        ("regel\neinde.pdf", PDF, "name"),
        ("a" * 296 + ".pdf", PDF, "name"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message_and_nothing_is_stored(
    dossier, personas, settings, name, content, code
):
    with pytest.raises(ValidationError) as error:
        services.document_add(
            dossier=dossier, upload=upload(name, content), direction="client", actor=personas.client_user
        )
    assert error.value.code == code
    assert error.value.messages[0]
    assert not Document.objects.exists()
    assert stored_files(settings) == []


def test_path_parts_of_an_uploaded_name_never_reach_the_storage(dossier, personas, settings):
    """Django keeps only the last part of an uploaded name; the key is random anyway."""
    document = services.document_add(
        dossier=dossier, upload=upload("../../etc/passwd.pdf"), direction="client", actor=personas.client_user
    )
    version = document.current_version
    assert version.original_name == "passwd.pdf"
    assert ".." not in version.file.name and "passwd" not in version.file.name
    assert [path.parent.parent.name for path in stored_files(settings)] == ["documents"]


def test_the_firm_limits_size_and_types(dossier, personas, settings):
    firm = personas.firm
    firm.upload_max_bytes = 50
    firm.upload_extensions = "png"
    firm.save()
    dossier.client.firm.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        services.document_add(dossier=dossier, upload=upload(), direction="client", actor=personas.client_user)
    assert error.value.code == "too_large"
    assert "50" in error.value.messages[0]
    firm.upload_max_bytes = 10_000
    firm.save()
    dossier.client.firm.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        services.document_add(dossier=dossier, upload=upload(), direction="client", actor=personas.client_user)
    assert error.value.code == "type" and "png" in error.value.messages[0]
    services.document_add(dossier=dossier, upload=upload("scan.png", PNG, "image/png"), direction="client", actor=None)


def test_a_failed_database_write_leaves_no_orphan_file(dossier, personas, settings, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(DocumentVersion.objects, "create", broken)
    with pytest.raises(RuntimeError):
        services.document_add(dossier=dossier, upload=upload(), direction="firm", actor=personas.staff.user)
    assert stored_files(settings) == []
    assert not Document.objects.exists()


def test_the_same_file_twice_becomes_two_documents_or_a_new_version(dossier, personas):
    first = services.document_add(dossier=dossier, upload=upload(), direction="client", actor=personas.client_user)
    second = services.document_add(dossier=dossier, upload=upload(), direction="client", actor=personas.client_user)
    assert first.pk != second.pk
    version = services.document_replace(document=first, upload=upload(), actor=personas.client_user)
    assert version.number == 2 and first.versions.count() == 2
    assert version.file.name != first.versions.get(number=1).file.name


def test_storing_streams_in_chunks_without_reading_the_whole_file(dossier, personas, tmp_path):
    """A large upload is read piece by piece while hashed (no whole-file read)."""
    from django.core.files.uploadedfile import TemporaryUploadedFile

    reads = []
    big = TemporaryUploadedFile("groot.pdf", "application/pdf", 0, None)
    big.write(PDF + b"0" * (5 * 1024 * 1024))
    big.size = big.tell()
    original_read = big.file.read

    def counting_read(size=-1):
        reads.append(size)
        return original_read(size)

    big.file.read = counting_read
    stored = files.store(big, original_name="groot.pdf", content_type="application/pdf")
    assert stored.size == big.size
    assert -1 not in reads and max(reads) <= 64 * 1024 * 1024
    big.close()


def test_a_new_version_makes_the_document_unread_again_for_others(dossier, personas):
    from balie.dossiers.models import DocumentRead

    document = services.document_add(dossier=dossier, upload=upload(), direction="firm", actor=personas.staff.user)
    DocumentRead.objects.create(user=personas.client_user, document=document)
    services.document_replace(document=document, upload=upload(), actor=personas.staff.user)
    assert not DocumentRead.objects.filter(user=personas.client_user, document=document).exists()
    assert DocumentRead.objects.filter(user=personas.staff.user, document=document).exists()
