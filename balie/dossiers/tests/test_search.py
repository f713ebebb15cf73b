"""Search in the dossier: text extraction (PDF, office, zip bombs), full-text search within the
environment, and the document list at 100,000 documents (constant queries, plans on the indexes)."""

import io
import zipfile
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from balie.dossiers import search, selectors, services
from balie.dossiers.models import Document, DocumentText
from balie.dossiers.search import ExtractionRefused, extract_text
from balie.dossiers.tests.test_client import add, upload

pytestmark = pytest.mark.django_db


def pdf_with(text: str) -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawString(72, 720, text)
    pdf.showPage()
    pdf.drawString(72, 720, "Tweede pagina")
    pdf.save()
    return buffer.getvalue()


def docx_with(text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'wordprocessingml.document.main+xml"/></Types>',
        )
        archive.writestr(
            "word/document.xml",
            '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            f"<w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p><w:p><w:r><w:t>Slot</w:t></w:r></w:p></w:body>"
            "</w:document>",
        )
    return buffer.getvalue()


@pytest.fixture
def dossier(personas):
    return services.dossier_create(client=personas.company, description="Doorlopend dossier", number="2025-001")


@pytest.fixture
def employee(client, personas):
    """The least-privileged client user: a Medewerker of the company."""
    client.force_login(personas.employee)
    return client


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Extraction is requested on commit; tests never commit, so run what was requested."""

    def run(func, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return func(*args, **kwargs)

    return run


def detail_url(dossier, **params):
    url = reverse("dossiers:detail", args=[dossier.client.public_id, dossier.public_id])
    return url + ("?" + "&".join(f"{key}={value}" for key, value in params.items()) if params else "")


def titles(response) -> list[str]:
    return [document.title for document in response.context["page"].object_list]


# -- extraction ----------------------------------------------------------------------------------


def test_text_is_extracted_from_a_pdf():
    text = extract_text(io.BytesIO(pdf_with("Aangifte inkomstenbelasting Bakker")), name="aangifte.pdf")
    assert "Aangifte inkomstenbelasting Bakker" in text and "Tweede pagina" in text


def test_text_is_extracted_from_a_docx():
    text = extract_text(io.BytesIO(docx_with("Opdrachtbevestiging samenstelopdracht")), name="brief.docx")
    assert "Opdrachtbevestiging samenstelopdracht" in text and "Slot" in text


def test_plain_text_and_xml_are_read_directly():
    assert extract_text(io.BytesIO(b"Grootboek;Omzet\n8000;1200"), name="rgs.csv").startswith("Grootboek")
    assert "Omzet" in extract_text(io.BytesIO(b"<?xml version='1.0'?><a><b>Omzet</b></a>"), name="x.xbrl")
    assert extract_text(io.BytesIO(b"\x89PNG"), name="scan.png") == ""


def test_the_stored_text_is_capped():
    text = extract_text(io.BytesIO(b"woord " * 100_000), name="lang.txt")
    assert len(text) == search.MAX_TEXT_CHARS


def test_a_zip_declaring_a_huge_uncompressed_size_is_refused_before_it_is_opened():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\x00" * (search.MAX_ZIP_BYTES + 1))  # compresses to ~50 kB
    assert len(buffer.getvalue()) < 1_000_000
    with pytest.raises(ExtractionRefused, match="uncompressed"):
        extract_text(io.BytesIO(buffer.getvalue()), name="bom.docx")


def test_a_zip_with_too_many_entries_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for number in range(search.MAX_ZIP_ENTRIES + 1):
            archive.writestr(f"word/media/{number}.xml", "")
    with pytest.raises(ExtractionRefused, match="entries"):
        extract_text(io.BytesIO(buffer.getvalue()), name="veel.docx")


def test_a_broken_file_is_refused_not_crashed():
    with pytest.raises(ExtractionRefused):
        extract_text(io.BytesIO(b"PK\x03\x04 kapot"), name="kapot.docx")
    with pytest.raises(ExtractionRefused):
        extract_text(io.BytesIO(b"%PDF-1.4 kapot"), name="kapot.pdf")


def test_extraction_runs_as_a_job_after_the_version_is_stored(dossier, personas, run_on_commit):
    document = run_on_commit(
        add,
        dossier,
        personas.staff.user,
        "aangifte.pdf",
        content=pdf_with("Definitieve aanslag vennootschapsbelasting"),
    )
    stored = DocumentText.objects.get(document=document)
    assert "vennootschapsbelasting" in stored.text and stored.error == "" and stored.version == document.current_version
    run_on_commit(
        services.document_replace,
        document=document,
        upload=upload("aangifte.docx", docx_with("Herziene aangifte")),
        actor=personas.staff.user,
    )
    stored.refresh_from_db()
    assert "Herziene aangifte" in stored.text and "vennootschapsbelasting" not in stored.text


def test_a_refused_file_records_why(dossier, personas, run_on_commit):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b" " * (search.MAX_ZIP_BYTES + 1))
    document = run_on_commit(add, dossier, personas.staff.user, "bom.docx", content=buffer.getvalue())
    stored = DocumentText.objects.get(document=document)
    assert stored.text == "" and "uncompressed" in stored.error
    assert Document.objects.filter(pk=document.pk, status="active").exists()  # the document itself stays


# -- search --------------------------------------------------------------------------------------


def test_search_finds_by_title_and_by_text_only_within_the_environment(dossier, personas, employee, run_on_commit):
    staff = personas.staff.user
    run_on_commit(add, dossier, staff, "jaarrekening-2025.pdf", content=pdf_with("Balans en winst-en-verliesrekening"))
    run_on_commit(add, dossier, staff, "opdracht.docx", content=docx_with("Samenstelopdracht Bakker"))
    run_on_commit(add, dossier, staff, "overig.pdf", content=pdf_with("Niets bijzonders"))
    other = services.dossier_create(client=personas.outsider_client, description="Ander")
    run_on_commit(add, other, personas.outsider_staff.user, "samenstelopdracht.pdf", content=pdf_with("Balans"))
    assert titles(employee.get(detail_url(dossier, q="JAARREK"))) == ["jaarrekening-2025"]  # title, a prefix
    assert titles(employee.get(detail_url(dossier, q="verliesrekening"))) == ["jaarrekening-2025"]  # PDF text
    assert titles(employee.get(detail_url(dossier, q="samenstelopdracht"))) == ["opdracht"]  # DOCX text
    assert titles(employee.get(detail_url(dossier, q="balans winst"))) == ["jaarrekening-2025"]  # every word
    assert titles(employee.get(detail_url(dossier, q="balans%22%20%2A%28"))) == ["jaarrekening-2025"]  # no operators
    assert titles(employee.get(detail_url(dossier, q="bestaat-niet"))) == []
    # The other environment's document with the same words is never found.
    found = search.search_documents(queryset=Document.objects.all(), query="samenstelopdracht", client=personas.company)
    assert [document.title for document in found] == ["opdracht"]


def test_a_withdrawn_document_is_not_found(dossier, personas, employee, run_on_commit):
    document = run_on_commit(add, dossier, personas.staff.user, "brief.pdf", content=pdf_with("Naheffingsaanslag"))
    assert titles(employee.get(detail_url(dossier, q="naheffingsaanslag"))) == ["brief"]
    services.document_withdraw(document=document, actor=personas.staff.user)
    assert titles(employee.get(detail_url(dossier, q="naheffingsaanslag"))) == []


# -- at scale ------------------------------------------------------------------------------------

SCALE = 100_000


def bulk_documents(dossier, count: int, *, start: int = 0) -> None:
    """``count`` documents with search rows, quickly: every one has "factuur", one in 100 "btw",
    document 7 (only) "zeldzaam"; newest first is 0, 1, 2, ..."""
    now = timezone.now()
    years = (2022, 2023, 2024, 2025)
    documents = Document.objects.bulk_create(
        (
            Document(
                client=dossier.client,
                dossier=dossier,
                title=f"Factuur {number}",
                direction=Document.Direction.FIRM,
                year=years[number % 4],
                created_at=now - timedelta(seconds=number),
            )
            for number in range(start, start + count)
        ),
        batch_size=5000,
    )
    if connection.vendor == "sqlite" or documents[0].pk is None:  # pks back from SQLite >= 3.35 and PostgreSQL
        documents = Document.objects.filter(dossier=dossier).order_by("pk")[start : start + count]
    search.index_rows(
        (
            document.pk,
            document.client_id,
            document.title,
            "omzet factuur"
            + (" btw" if int(document.title.split()[1]) % 100 == 0 else "")
            + (" zeldzaam" if document.title == "Factuur 7" else ""),
        )
        for document in documents
    )


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _plan(queryset) -> str:
    return queryset.explain()


def test_lists_and_searches_use_constant_queries_and_the_indexes_at_100000_documents(
    dossier, personas, employee, django_assert_num_queries
):
    # The clock stands still: however long the 100,000 rows take to build on a busy machine, the
    # session is not renewed between the counted requests, and "newest first" is 0, 1, 2, ...
    with time_machine.travel(timezone.now(), tick=False):
        _lists_and_searches_at_scale(dossier, personas, employee, django_assert_num_queries)


def _lists_and_searches_at_scale(dossier, personas, employee, django_assert_num_queries):
    bulk_documents(dossier, 10)
    urls = {
        "list": detail_url(dossier),
        "filtered": detail_url(dossier, year=2024),
        "search_rare": detail_url(dossier, q="zeldzaam"),
        "search_common": detail_url(dossier, q="factuur"),
    }
    employee.get(urls["list"])  # the first visit remembers the environment
    few = {name: _queries(employee, url) for name, url in urls.items()}
    assert titles(employee.get(urls["search_rare"])) == ["Factuur 7"]

    bulk_documents(dossier, SCALE - 10, start=10)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE dossiers_document")
            cursor.execute("ANALYZE dossiers_document_search")
    for name, url in urls.items():
        with django_assert_num_queries(few[name]):
            response = employee.get(url)
        assert response.status_code == 200
    page = employee.get(urls["list"]).context["page"]
    assert page.more and [d.title for d in page.object_list[:2]] == ["Factuur 0", "Factuur 1"]
    assert "100+" in employee.get(urls["list"]).content.decode()
    assert titles(employee.get(urls["search_rare"])) == ["Factuur 7"]
    assert len(titles(employee.get(detail_url(dossier, q="btw")))) == 25
    deep = employee.get(
        detail_url(dossier, na=selectors.encode_cursor(page.object_list[-1].created_at - timedelta(seconds=90_000), 1))
    )
    assert titles(deep)[0] == "Factuur 90025"

    user = personas.employee
    base = {"client": personas.company, "user": user, "dossier": dossier, "direction": Document.Direction.FIRM}
    plans = {
        "list": _plan(selectors.document_list(**base)[:26]),
        "filtered": _plan(selectors.document_list(**base, year=2024)[:26]),
        "search_rare": _plan(selectors.document_list(**base, query="zeldzaam")[:26]),
        "search_common": _plan(selectors.document_list(**base, query="factuur")[:26]),
    }
    if connection.vendor == "sqlite":
        for name in ("list", "filtered"):
            assert "dossiers_doc_tab" in plans[name] or "dossiers_doc_client_recent" in plans[name], plans[name]
            assert "TEMP B-TREE" not in plans[name], plans[name]
        for name in ("search_rare", "search_common"):
            assert "VIRTUAL TABLE INDEX" in plans[name] and "MATERIALIZE" in plans[name], plans[name]
    else:
        for name in ("list", "filtered"):
            assert "Index Scan" in plans[name] and "Seq Scan on dossiers_document " not in plans[name], plans[name]
        # A rare term: the GIN index first, once, as a materialised set; never a walk with a recheck.
        assert "dossiers_document_search_vector" in plans["search_rare"], plans["search_rare"]
        assert "CTE hits" in plans["search_rare"], plans["search_rare"]
        # A frequent one: along the list's index, probing search rows by key (stops after 26 hits).
        assert "dossiers_doc_" in plans["search_common"], plans["search_common"]
        assert "dossiers_document_search_pkey" in plans["search_common"], plans["search_common"]
        assert "Seq Scan" not in plans["search_common"], plans["search_common"]
