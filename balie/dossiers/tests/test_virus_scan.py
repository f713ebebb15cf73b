"""Every stored file is scanned by ClamAV's daemon (SEC-3), against a real clamd that knows EICAR
from a local signature (the ``clamav`` fixture in the root conftest)."""

from __future__ import annotations

import io
import logging

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from balie.core import clamav as clamav_client
from balie.dossiers import services
from balie.dossiers.models import Document
from balie.dossiers.tests.utils import EICAR, PDF, stored_files
from balie.messaging import services as messaging
from balie.messaging.models import Message, Thread

pytestmark = pytest.mark.django_db

CLEAN = b"Bankafschrift januari: alles in orde.\n"


def pdf_with_eicar() -> bytes:
    """A small valid PDF carrying the EICAR string as an uncompressed embedded file."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [(eicar.com) 4 0 R] >> >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        b"<< /Type /Filespec /F (eicar.com) /EF << /F 5 0 R >> >>",
        b"<< /Type /EmbeddedFile /Length %d >>\nstream\n" % len(EICAR) + EICAR + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def dossier(personas):
    return services.dossier_create(client=personas.company, description="Doorlopend dossier")


def upload_url(personas, dossier):
    return reverse("dossiers:upload", args=[personas.company.public_id, dossier.public_id])


def supply(client, personas, dossier, *files, json=False):
    folder = dossier.folders.get(name="Administratie")
    client.force_login(personas.client_user)
    extra = {"HTTP_ACCEPT": "application/json"} if json else {}
    return client.post(upload_url(personas, dossier), {"map": folder.public_id, "files": list(files)}, **extra)


# -- the client speaking clamd's protocol ------------------------------------------------------------


def test_the_client_hears_ok_for_a_clean_stream_and_the_name_for_eicar(clamav):
    assert not clamav_client.scan_stream(io.BytesIO(CLEAN), address=clamav.socket).infected
    found = clamav_client.scan_stream(io.BytesIO(EICAR), address=clamav.socket)
    assert found.infected and found.virus.startswith("Balie.Test.EICAR")


def test_the_client_speaks_tcp_too(clamav):
    assert clamav_client.scan_stream(io.BytesIO(EICAR), address=clamav.tcp).infected
    assert not clamav_client.scan_stream(io.BytesIO(CLEAN), address=clamav.tcp).infected


def test_the_client_streams_in_chunks_and_finds_eicar_past_the_first_chunk(clamav):
    found = clamav_client.scan_stream(io.BytesIO(b"x" * 5000 + EICAR), address=clamav.socket, chunk_size=1000)
    assert found.virus.startswith("Balie.Test.EICAR")


def test_a_stream_over_clamds_size_limit_is_an_error_not_a_clean_file(clamav):
    with pytest.raises(clamav_client.StreamTooLarge, match="size limit"):
        clamav_client.scan_stream(io.BytesIO(b"a" * (clamav.stream_max_bytes * 2)), address=clamav.socket)


def test_a_missing_socket_or_a_bad_tcp_address_is_an_error(tmp_path):
    with pytest.raises(clamav_client.ScannerError):
        clamav_client.scan_stream(io.BytesIO(CLEAN), address=str(tmp_path / "none.sock"))
    with pytest.raises(clamav_client.ScannerError):
        clamav_client.scan_stream(io.BytesIO(CLEAN), address="tcp://127.0.0.1:notaport")


# -- uploads, attachments and publications -----------------------------------------------------------


def test_eicar_as_txt_is_refused_on_the_upload_page_nothing_stored_and_logged(
    client, personas, dossier, clamav, caplog
):
    caplog.set_level(logging.WARNING, logger="balie.dossiers.files")
    response = supply(client, personas, dossier, upload("eicar.txt", EICAR, "text/plain"))
    page = response.content.decode()
    assert "Het bestand “eicar.txt” bevat een virus (Balie.Test.EICAR" in page
    assert "en is niet opgeslagen" in page
    assert not Document.objects.exists() and stored_files() == []
    assert any("virus found" in r.message and "eicar.txt" in r.message for r in caplog.records)


def test_eicar_inside_a_pdf_is_refused_with_the_message_for_the_progress_bar(client, personas, dossier, clamav):
    response = supply(client, personas, dossier, upload("jaarstukken.pdf", pdf_with_eicar()), json=True)
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert "jaarstukken.pdf" in error and "bevat een virus (Balie.Test.EICAR" in error
    assert not Document.objects.exists() and stored_files() == []


def test_a_clean_file_is_scanned_and_stored(client, personas, dossier, clamav):
    response = supply(client, personas, dossier, upload("notitie.txt", CLEAN, "text/plain"))
    assert response.status_code == 302
    document = Document.objects.get()
    assert document.current_version.size == len(CLEAN)
    assert [path.read_bytes() for path in stored_files()] == [CLEAN]


def test_one_infected_file_among_clean_ones_stores_none_of_them(client, personas, dossier, clamav):
    supply(client, personas, dossier, upload("a.txt", CLEAN), upload("b.txt", EICAR), upload("c.pdf", PDF))
    assert not Document.objects.exists() and stored_files() == []


def test_a_file_too_large_for_the_scanner_is_refused_as_unscanned(client, personas, dossier, clamav, caplog):
    big = upload("groot.txt", b"regel\n" * (clamav.stream_max_bytes // 3), "text/plain")
    response = supply(client, personas, dossier, big, json=True)
    assert "“groot.txt” is te groot om op virussen te controleren" in response.json()["errors"][0]
    assert not Document.objects.exists() and stored_files() == []
    assert any("size limit" in record.message for record in caplog.records)


@pytest.mark.parametrize("on_error", ["accept", "refuse"])
def test_padding_a_file_past_the_scanners_limit_never_stores_it_unscanned(
    client, personas, dossier, clamav, settings, on_error
):
    """The sender decides a file's size: with BALIE_CLAMAV_ON_ERROR=accept (meant for a scanner
    that is down) a virus padded past clamd's StreamMaxLength must still not get through."""
    settings.BALIE_CLAMAV_ON_ERROR = on_error
    padded = upload("gevuld.txt", EICAR + b"\n" + b"regel\n" * (clamav.stream_max_bytes // 3), "text/plain")
    response = supply(client, personas, dossier, padded, json=True)
    assert "te groot om op virussen te controleren" in response.json()["errors"][0]
    assert not Document.objects.exists() and stored_files() == []


def test_scanner_unreachable_refuses_the_file_by_default_and_logs_it(
    client, personas, dossier, settings, tmp_path, caplog
):
    settings.BALIE_CLAMAV_SOCKET = str(tmp_path / "missing.sock")
    settings.BALIE_CLAMAV_ON_ERROR = "refuse"
    response = supply(client, personas, dossier, upload("notitie.txt", CLEAN, "text/plain"), json=True)
    [error] = response.json()["errors"]
    assert "“notitie.txt” kon nu niet op virussen worden gecontroleerd en is niet opgeslagen" in error
    assert not Document.objects.exists() and stored_files() == []
    [record] = [r for r in caplog.records if r.name == "balie.dossiers.files"]
    assert record.levelno == logging.ERROR and "refused" in record.message and "notitie.txt" in record.message


def test_scanner_unreachable_with_accept_stores_the_file_and_logs_it(
    client, personas, dossier, settings, tmp_path, caplog
):
    settings.BALIE_CLAMAV_SOCKET = str(tmp_path / "missing.sock")
    settings.BALIE_CLAMAV_ON_ERROR = "accept"
    response = supply(client, personas, dossier, upload("notitie.txt", CLEAN, "text/plain"))
    assert response.status_code == 302
    assert Document.objects.get().title == "notitie" and len(stored_files()) == 1
    [record] = [r for r in caplog.records if r.name == "balie.dossiers.files"]
    assert record.levelno == logging.WARNING and "accepted unscanned" in record.message


def test_an_infected_message_attachment_is_refused_and_nothing_is_stored(personas, clamav):
    with translation.override("nl"), pytest.raises(ValidationError) as error:
        messaging.thread_start(
            client=personas.company,
            user=personas.client_user,
            kind="question",
            subject="Btw Q3",
            body="<p>Zie bijlage</p>",
            uploads=[upload("bijlage.pdf", pdf_with_eicar())],
        )
    assert "bevat een virus" in " ".join(error.value.messages)
    assert not Thread.objects.exists() and not Message.objects.exists() and not Document.objects.exists()
    assert stored_files() == []


def test_an_infected_publication_by_the_firm_is_refused(personas, dossier, clamav):
    with translation.override("en"), pytest.raises(ValidationError) as error:
        services.document_publish(
            dossier=dossier,
            uploads=[upload("brief.pdf", PDF), upload("jaarrekening.pdf", pdf_with_eicar())],
            folder=None,
            doc_type="",
            year=None,
            period="",
            direction=Document.Direction.FIRM,
            message="",
            request_kind="",
            actor=personas.staff.user,
        )
    assert error.value.messages == [
        "The file “jaarrekening.pdf” contains a virus (Balie.Test.EICAR.UNOFFICIAL) and has not been stored."
    ]
    assert not Document.objects.exists() and stored_files() == []


def test_storing_scans_a_file_that_skipped_the_checks(dossier, clamav):
    from balie.dossiers import files

    with pytest.raises(ValidationError):
        files.store(upload("eicar.txt", EICAR), original_name="eicar.txt", content_type="text/plain")
    assert stored_files() == []
