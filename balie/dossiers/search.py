"""Search in the digital dossier: text extraction and full-text search, behind one interface.

    search.document_indexed(document)        # after a document or its title is written (same transaction)
    search.version_stored(version)           # after a version is stored: extraction runs as a job on commit
    search.search_documents(queryset=..., query="aangifte 2025", client=client)

Text is extracted in a background job (``dossiers.extract_text``) from PDF (pypdf), DOCX, XLSX,
PPTX, ODT/ODS (the XML inside the zip, only after the zip directory shows at most
``MAX_ZIP_ENTRIES`` entries and ``MAX_ZIP_BYTES`` uncompressed), and plain text, CSV and XML. The
extraction stops at a deadline and the stored text is capped.

The index is one row per document with its title and text, per database:

- SQLite: an FTS5 table ``dossiers_document_fts`` (rowid = document id) with a ``scope`` column
  holding the environment as a token, so the match itself is limited to the environment.
- PostgreSQL: ``dossiers_document_search`` with a stored ``tsvector`` and a GIN index.

The trap of "within my environments, newest first, first 25" is avoided by evaluating the match
once, first, as a materialised set of document ids (``id IN (WITH hits AS MATERIALIZED ...)``):
the planner can then only probe that set, never re-run the match per row while walking the date
index (PostgreSQL) or per row of a structured filter (SQLite FTS5).
"""

from __future__ import annotations

import logging
import re
import time
import zipfile
from xml.etree import ElementTree

from django.db import connection, transaction
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from balie.core.jobs import job

logger = logging.getLogger(__name__)

MAX_ZIP_ENTRIES = 1000
MAX_ZIP_BYTES = 50 * 1024 * 1024
MAX_TEXT_CHARS = 200_000
MAX_PDF_PAGES = 2000
DEADLINE_SECONDS = 10.0
MAX_PLAIN_BYTES = 4 * MAX_TEXT_CHARS
PG_CONFIG = "simple"  # no stemming: names, numbers and Dutch and English words alike
WORD = re.compile(r"\w+", re.UNICODE)
MAX_QUERY_WORDS = 8

on_commit = transaction.on_commit  # a module attribute, so tests can run it at once


class ExtractionRefused(Exception):
    """The file is not opened (zip bomb, too many entries, unreadable)."""


# -- extraction ----------------------------------------------------------------------------------


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.until = time.monotonic() + seconds

    @property
    def passed(self) -> bool:
        return time.monotonic() > self.until


def _check_zip(archive: zipfile.ZipFile) -> None:
    """Refuses a zip whose directory declares too many entries or too many uncompressed bytes."""
    entries = archive.infolist()
    if len(entries) > MAX_ZIP_ENTRIES:
        raise ExtractionRefused(f"zip has {len(entries)} entries (at most {MAX_ZIP_ENTRIES})")
    total = sum(entry.file_size for entry in entries)
    if total > MAX_ZIP_BYTES:
        raise ExtractionRefused(f"zip declares {total} uncompressed bytes (at most {MAX_ZIP_BYTES})")


def _xml_text(stream, deadline: _Deadline, *, breaks=("p", "h", "tr", "si", "br")) -> str:
    """All text nodes of an XML stream, a newline after paragraphs; no entities are resolved."""
    parts: list[str] = []
    size = 0
    # expat >= 2.4 (Python 3.11 ships 2.5) limits entity amplification; ElementTree fetches no external entities.
    for _event, element in ElementTree.iterparse(stream, events=("end",)):  # noqa: S314
        text = element.text
        if text and text.strip():
            parts.append(text)
            size += len(text)
        if element.tag.rsplit("}", 1)[-1] in breaks:
            parts.append("\n")
        else:
            parts.append(" ")
        element.clear()
        if size > MAX_TEXT_CHARS or deadline.passed:
            break
    return re.sub(r"[ \t]+", " ", "".join(parts))


def _office_parts(names: list[str], extension: str) -> list[str]:
    if extension == "docx":
        wanted = re.compile(r"word/(document|header\d*|footer\d*|footnotes)\.xml$")
    elif extension == "xlsx":
        wanted = re.compile(r"xl/sharedStrings\.xml$")
    elif extension == "pptx":
        wanted = re.compile(r"ppt/slides/slide\d+\.xml$")
    else:  # odt, ods
        wanted = re.compile(r"content\.xml$")
    parts = [name for name in names if wanted.match(name)]
    number = re.compile(r"(\d+)")
    return sorted(parts, key=lambda name: [int(p) if p.isdigit() else p for p in number.split(name)])


def _extract_zip(fileobj, extension: str, deadline: _Deadline) -> str:
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, OSError) as error:
        raise ExtractionRefused(f"not a readable zip: {error}") from None
    with archive:
        _check_zip(archive)  # from the directory alone, before any entry is opened
        texts = []
        for name in _office_parts(archive.namelist(), extension):
            if deadline.passed:
                break
            with archive.open(name) as stream:  # never yields more than the declared size
                texts.append(_xml_text(stream, deadline))
    return "\n".join(texts)


def _extract_pdf(fileobj, deadline: _Deadline) -> str:
    from pypdf import PdfReader

    reader = PdfReader(fileobj)
    texts, size = [], 0
    for number, page in enumerate(reader.pages):
        if number >= MAX_PDF_PAGES or deadline.passed or size > MAX_TEXT_CHARS:
            break
        text = page.extract_text() or ""
        texts.append(text)
        size += len(text)
    return "\n".join(texts)


def _extract_plain(fileobj, extension: str) -> str:
    raw = fileobj.read(MAX_PLAIN_BYTES)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    if extension in ("xml", "xbrl"):
        text = re.sub(r"<[^>]*>", " ", text)
    return text


ZIP_EXTENSIONS = {"docx", "xlsx", "pptx", "odt", "ods"}
PLAIN_EXTENSIONS = {"txt", "csv", "xml", "xbrl", "eml"}


def extract_text(fileobj, *, name: str, deadline_seconds: float = DEADLINE_SECONDS) -> str:
    """The searchable text of a file, capped at ``MAX_TEXT_CHARS``; '' for types without text.

    Raises ExtractionRefused for zip bombs and files that cannot be read.
    """
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    deadline = _Deadline(deadline_seconds)
    if extension == "pdf":
        try:
            text = _extract_pdf(fileobj, deadline)
        except ExtractionRefused:
            raise
        except Exception as error:  # pypdf raises many kinds on broken files
            raise ExtractionRefused(f"unreadable PDF: {error.__class__.__name__}") from None
    elif extension in ZIP_EXTENSIONS:
        try:
            text = _extract_zip(fileobj, extension, deadline)
        except ElementTree.ParseError as error:
            raise ExtractionRefused(f"unreadable XML: {error}") from None
    elif extension in PLAIN_EXTENSIONS:
        text = _extract_plain(fileobj, extension)
    else:
        return ""
    text = text.replace("\x00", "")
    return text[:MAX_TEXT_CHARS]


@job("dossiers.extract_text", queue="default")
def extract_version_text(*, version_id: int) -> None:
    """Extracts the text of a stored version, if it is still its document's current one; idempotent."""
    from django.core.files.storage import default_storage

    from balie.dossiers.models import DocumentText, DocumentVersion

    version = DocumentVersion.objects.select_related("document").filter(pk=version_id).first()
    if version is None or version.document.current_version_id != version.pk:
        return
    text, error = "", ""
    try:
        with default_storage.open(version.file.name, "rb") as stored:
            if _seekable(stored):
                text = extract_text(stored, name=version.original_name)
            else:  # zip and PDF readers seek: an object-storage file is copied to a spooled file first
                with _spooled(stored) as copy:
                    text = extract_text(copy, name=version.original_name)
    except ExtractionRefused as refused:
        error = str(refused)[:500]
        logger.warning("text of version %s not extracted: %s", version.pk, error)
    DocumentText.objects.update_or_create(
        document=version.document,
        defaults={"version": version, "text": text, "error": error, "extracted_at": timezone.now()},
    )
    document_indexed(version.document, text=text)


def _seekable(fileobj) -> bool:
    try:
        return fileobj.seekable()
    except (AttributeError, OSError):
        return False


def _spooled(stored):
    import tempfile

    copy = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (the caller closes it)
    for chunk in iter(lambda: stored.read(1024 * 1024), b""):
        copy.write(chunk)
    copy.seek(0)
    return copy


def version_stored(version) -> None:
    """Call after a version is stored: its text is extracted in the background once committed."""
    on_commit(lambda: extract_version_text.enqueue(version_id=version.pk))


# -- the index -----------------------------------------------------------------------------------


def _scope(client_id: int) -> str:
    return f"c{client_id}"


def document_indexed(document, *, text: str | None = None) -> None:
    """Writes the document's search row (title, and text when given or already extracted)."""
    if text is None:
        from balie.dossiers.models import DocumentText

        text = DocumentText.objects.filter(document_id=document.pk).values_list("text", flat=True).first() or ""
    index_rows([(document.pk, document.client_id, document.title, text)])


def index_rows(rows) -> None:
    """Writes search rows ``(document_id, client_id, title, text)`` in bulk (replacing old ones)."""
    rows = list(rows)
    if not rows:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.executemany(
                "INSERT INTO dossiers_document_search (document_id, client_id, vector) VALUES "  # noqa: S608 (constants only; values are parameters)
                f"(%s, %s, setweight(to_tsvector('{PG_CONFIG}', %s), 'A') || to_tsvector('{PG_CONFIG}', %s)) "
                "ON CONFLICT (document_id) DO UPDATE SET client_id = EXCLUDED.client_id, vector = EXCLUDED.vector",
                rows,
            )
        else:
            cursor.executemany("DELETE FROM dossiers_document_fts WHERE rowid = %s", [(row[0],) for row in rows])
            cursor.executemany(
                "INSERT INTO dossiers_document_fts (rowid, scope, title, body) VALUES (%s, %s, %s, %s)",
                [(pk, _scope(client_id), title, text) for pk, client_id, title, text in rows],
            )


# -- searching -----------------------------------------------------------------------------------


def query_words(query: str) -> list[str]:
    """The words of a user's query (letters and digits only: no operators reach the engines)."""
    return WORD.findall(query.lower())[:MAX_QUERY_WORDS]


def _match_sql(words: list[str], client_id: int | None) -> tuple[str, list]:
    """SQL for the ids of documents matching every word (as a prefix), evaluated once, first."""
    if connection.vendor == "postgresql":
        tsquery = " & ".join(f"{word}:*" for word in words)
        sql = (
            "WITH hits AS MATERIALIZED (SELECT document_id FROM dossiers_document_search "  # noqa: S608 (constants only; values are parameters)
            f"WHERE vector @@ to_tsquery('{PG_CONFIG}', %s)"
            + (" AND client_id = %s" if client_id is not None else "")
            + ") SELECT document_id FROM hits"
        )
        return sql, [tsquery, client_id] if client_id is not None else [tsquery]
    match = " AND ".join(f'"{word}"*' for word in words)
    match = "{title body}: (" + match + ")"
    if client_id is not None:
        match = f"scope: {_scope(client_id)} AND {match}"
    sql = (
        "WITH hits AS MATERIALIZED (SELECT rowid AS id FROM dossiers_document_fts "
        "WHERE dossiers_document_fts MATCH %s) SELECT id FROM hits"
    )
    return sql, [match]


def search_documents(*, queryset: QuerySet, query: str, client=None) -> QuerySet:
    """``queryset`` narrowed to documents whose title or text contains every word of ``query``.

    ``client`` limits the match itself to one environment (the queryset must do so as well).
    """
    words = query_words(query)
    if not words:
        return queryset
    client_id = getattr(client, "pk", client)
    if connection.vendor == "postgresql" and client_id is not None and _frequent(words, client_id):
        # A frequent term: walk the list's own index newest first and probe each row's search row
        # by primary key; 25 hits come within a few hundred rows. Materialising 100,000 hits (twice:
        # page and count) would cost hundreds of ms. Rare terms never take this path (the trap).
        tsquery = " & ".join(f"{word}:*" for word in words)
        probe = RawSQL(  # noqa: S611 (constants only; values are parameters)
            "EXISTS (SELECT 1 FROM dossiers_document_search s WHERE s.document_id = dossiers_document.id "  # noqa: S608 (constants only; values are parameters)
            f"AND s.vector @@ to_tsquery('{PG_CONFIG}', %s))",
            [tsquery],
            output_field=BooleanField(),
        )
        return queryset.alias(search_hit=probe).filter(search_hit=True)
    sql, params = _match_sql(words, client_id)
    return queryset.filter(pk__in=RawSQL(sql, params))  # noqa: S611 (constants only; values are parameters)


FREQUENT_HITS = 2000  # in one environment; above it a PostgreSQL search probes along the date index


def _frequent(words: list[str], client_id: int) -> bool:
    """Whether the environment has more than FREQUENT_HITS matches (counting stops there)."""
    tsquery = " & ".join(f"{word}:*" for word in words)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM (SELECT 1 FROM dossiers_document_search WHERE client_id = %s "  # noqa: S608 (constants only; values are parameters)
            f"AND vector @@ to_tsquery('{PG_CONFIG}', %s) LIMIT %s) AS capped",
            [client_id, tsquery, FREQUENT_HITS + 1],
        )
        return cursor.fetchone()[0] > FREQUENT_HITS
