"""The PDF side of signing (APR-6), with pyHanko: check, prepare, sign, seal and verify.

    pages = check_signable(data)                     # ValidationError for a non-PDF or encrypted PDF
    prepared = prepare(original, audit=..., places=[...])   # + audit page, text and signature fields
    signed = sign(prepared, slot=1, appearance=..., audit_line=..., sealer=...)   # incremental
    report = verify(signed, trust_roots=[...])

The original's bytes stay the first revision of the signed PDF. ``prepare`` appends, as one
incremental update, an audit page (the document, the SHA-256 of the original, what the signature
is, one empty line per signer) with a read-only text field per signer, and an empty signature field
per signer. Each ``sign`` is one more incremental update: it fills that signer's audit line (form
filling) and signs that signer's field with the firm's certificate (PAdES), its appearance the
drawn or typed signature with name, date and time. Form filling and signing an existing field are
the changes a signature allows after it, so every earlier signature stays valid. Verifying is in
``balie.signing.pdf_verify``.
"""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.stamp import StaticStampStyle
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as pdf_canvas

# Verifying lives in ``pdf_verify``; its public names stay importable from here, where callers use them.
from balie.signing.pdf_verify import Report, SignatureReport, _outside_event_loop, verify  # noqa: F401

MAX_SIGNERS = 8
MAX_PAGES = 2000  # a page tree beyond this is refused rather than walked


def signature_field(slot: int) -> str:
    return f"BalieSignature{slot}"


def audit_field(slot: int) -> str:
    return f"BalieAudit{slot}"


BOX_WIDTH, BOX_HEIGHT = 220.0, 90.0
MARGIN = 56.0
FONT, FONT_BOLD = "BalieVera", "BalieVeraBd"


def _fonts() -> None:
    """Vera (shipped with reportlab) writes every Latin name (é, ë, ł, ß …), unlike the base 14."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    import reportlab

    folder = os.path.join(os.path.dirname(reportlab.__file__), "fonts")
    pdfmetrics.registerFont(TTFont(FONT, os.path.join(folder, "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, os.path.join(folder, "VeraBd.ttf")))


# -- checking --------------------------------------------------------------------------------------


def _reader(source) -> PdfFileReader:
    """A reader over ``source`` (bytes or a binary file), its catalogue read; a clear
    ValidationError for anything that is not a readable PDF."""
    stream = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    try:
        stream.seek(0)
        reader = PdfFileReader(stream, strict=False)
        reader.root  # noqa: B018  (reads the catalogue: a broken file fails here)
    except Exception as error:  # noqa: BLE001  (whatever a damaged file raises, RecursionError included)
        raise ValidationError(_("This file is not a PDF that can be read."), code="not_pdf") from error
    return reader


def _damaged() -> ValidationError:
    return ValidationError(
        _(
            "The structure of this PDF is damaged, so it cannot be signed. Save it as a PDF again "
            "(for example with “Print to PDF”) and publish that file."
        ),
        code="damaged",
    )


def _page_boxes(reader: PdfFileReader) -> list[tuple[float, float]]:
    """Width and height of every page, walking the page tree itself (a loop, a wrong count or a
    page without a size is a damaged file): what signing will rely on, checked up front."""
    root = reader.root["/Pages"]
    sizes: list[tuple[float, float]] = []
    seen: set[int] = set()
    stack = [(root, None)]
    while stack:
        node, inherited = stack.pop()
        marker = id(node)
        if marker in seen or len(seen) > MAX_PAGES * 2:
            raise _damaged()
        seen.add(marker)
        box = node.get("/MediaBox", inherited)
        kind = node.get("/Type")
        if kind == "/Pages" or "/Kids" in node:
            stack.extend((kid.get_object(), box) for kid in reversed(list(node["/Kids"])))
            continue
        if box is None:
            raise _damaged()
        x1, y1, x2, y2 = (float(value) for value in box)
        if x2 - x1 <= 0 or y2 - y1 <= 0:
            raise _damaged()
        sizes.append((x2 - x1, y2 - y1))
        if len(sizes) > MAX_PAGES:
            raise ValidationError(
                _("This PDF has more than %(count)s pages; it cannot be signed here.") % {"count": MAX_PAGES},
                code="too_many_pages",
            )
    return sizes


def check_signable(source) -> int:
    """The number of pages of a PDF (bytes or a binary file) that can be signed; a clear
    ValidationError otherwise: not a PDF, protected with a password or encryption, damaged (a page
    tree that loops or miscounts, pages without a size), without pages, digitally signed already
    (its signature would not survive the audit page Balie adds: let the firm sign in Balie
    instead), or already holding fields with the names Balie signs in."""
    stream = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    stream.seek(0)
    head = stream.read(1024)
    stream.seek(0)
    if b"%PDF-" not in head:
        raise ValidationError(_("Only a PDF can be signed."), code="not_pdf")
    reader = _reader(stream)
    if reader.encrypted:
        raise ValidationError(
            _("This PDF is protected with a password or encryption and cannot be signed. Save it without protection."),
            code="encrypted",
        )
    try:
        sizes = _page_boxes(reader)
        count = int(reader.root["/Pages"]["/Count"])
        signed = bool(reader.embedded_signatures)
        names = {str(field.get_object().get("/T", "")) for field in _form_fields(reader)}
    except ValidationError:
        raise
    except Exception as error:  # noqa: BLE001  (whatever a damaged file raises, RecursionError included)
        raise _damaged() from error
    if not sizes:
        raise ValidationError(_("This PDF has no pages."), code="no_pages")
    if count != len(sizes):
        raise _damaged()
    if signed:
        raise ValidationError(
            _(
                "This PDF is digitally signed already. Publish the unsigned PDF and let the firm sign "
                "first in Balie, so that every signature stays valid."
            ),
            code="signed_already",
        )
    if any(name.startswith(("BalieSignature", "BalieAudit")) for name in names):
        raise ValidationError(
            _("This PDF was prepared for signing in Balie before. Publish the original PDF."), code="prepared"
        )
    return len(sizes)


def _form_fields(reader: PdfFileReader) -> list:
    form = reader.root.get("/AcroForm")
    if form is None:
        return []
    return list(form.get_object().get("/Fields", []))


def page_size(data, page: int) -> tuple[float, float]:
    """Width and height in points of ``page`` (1-based) of ``data`` (bytes or a binary file)."""
    sizes = _page_boxes(_reader(data))
    if not 1 <= page <= len(sizes):
        raise ValidationError(
            _("The document has %(pages)s pages; choose a page from 1 to %(pages)s.") % {"pages": len(sizes)},
            code="page",
        )
    return sizes[page - 1]


def default_box(index: int, size: tuple[float, float]) -> tuple[float, float, float, float]:
    """The ``index``-th default signature place on a page: two per row from the bottom left, side
    by side (the firm's first, the client's beside it), rows upwards."""
    width, _height = size
    column, row = index % 2, index // 2
    gap = max(0.0, (width - 2 * MARGIN - 2 * BOX_WIDTH))
    x1 = MARGIN + column * (BOX_WIDTH + gap)
    y1 = MARGIN + row * (BOX_HEIGHT + 14)
    return (x1, y1, x1 + BOX_WIDTH, y1 + BOX_HEIGHT)


# -- preparing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """Where signer ``slot`` signs: ``page`` (1-based) and ``box`` (x1, y1, x2, y2 in points)."""

    slot: int
    page: int
    box: tuple[float, float, float, float]
    label: str  # the signer on the audit page ("1. Pieter Bakker")


@dataclass(frozen=True)
class AuditPage:
    heading: str
    rows: list[tuple[str, str]]  # (label, value): the document, its SHA-256, the firm …
    statement: str  # what the signature is, in plain words
    signers_heading: str
    colour: str = "#1f4e79"


AUDIT_TOP = 842 - MARGIN
LINE_HEIGHT = 58.0


def _audit_page_pdf(audit: AuditPage, places: list[Place]) -> tuple[bytes, dict[int, tuple]]:
    """The audit page (A4, reportlab) and the rectangle of each signer's line on it."""
    _fonts()
    buffer = io.BytesIO()
    page = pdf_canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    width, height = A4
    y = height - MARGIN
    page.setFillColor(HexColor(audit.colour))
    page.setFont(FONT_BOLD, 15)
    page.drawString(MARGIN, y, audit.heading)
    y -= 26
    page.setFillColor(HexColor("#222222"))
    for label, value in audit.rows:
        page.setFont(FONT_BOLD, 8.5)
        page.drawString(MARGIN, y, label)
        page.setFont(FONT, 8.5)
        lines = simpleSplit(value, FONT, 8.5, width - 2 * MARGIN - 130) or [""]
        for line in lines:
            page.drawString(MARGIN + 130, y, line)
            y -= 12
        y -= 2
    y -= 6
    page.setFont(FONT, 8.5)
    for line in simpleSplit(audit.statement, FONT, 8.5, width - 2 * MARGIN):
        page.drawString(MARGIN, y, line)
        y -= 12
    y -= 12
    page.setFont(FONT_BOLD, 11)
    page.setFillColor(HexColor(audit.colour))
    page.drawString(MARGIN, y, audit.signers_heading)
    y -= 8
    rects = {}
    page.setFillColor(HexColor("#222222"))
    for place in places:
        y -= 14
        page.setFont(FONT_BOLD, 9)
        page.drawString(MARGIN, y, place.label)
        page.setStrokeColor(HexColor("#cccccc"))
        page.line(MARGIN, y - 4, width - MARGIN, y - 4)
        rects[place.slot] = (MARGIN, y - 4 - (LINE_HEIGHT - 18), width - MARGIN, y - 6)
        y -= LINE_HEIGHT - 14
    page.showPage()
    page.save()
    return buffer.getvalue(), rects


def prepare(original: bytes, *, audit: AuditPage, places: list[Place]) -> bytes:
    """Revision one: the original unchanged, plus (incrementally) the audit page with one read-only
    text field per signer and one empty signature field per signer at their place."""
    if not places or len(places) > MAX_SIGNERS:
        raise ValueError("between one and eight signers")
    writer = IncrementalPdfFileWriter(io.BytesIO(original), strict=False)
    audit_pdf, rects = _audit_page_pdf(audit, places)
    xobject = writer.import_page_as_xobject(PdfFileReader(io.BytesIO(audit_pdf)), 0)
    width, height = A4
    page = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Page"),
            pdf_name("/MediaBox"): generic.ArrayObject(
                [generic.NumberObject(v) for v in (0, 0, int(width), int(height))]
            ),
            pdf_name("/Resources"): generic.DictionaryObject(
                {pdf_name("/XObject"): generic.DictionaryObject({pdf_name("/Audit"): xobject})}
            ),
            pdf_name("/Contents"): writer.add_object(generic.StreamObject(stream_data=b"q /Audit Do Q")),
        }
    )
    page_ref = writer.insert_page(page)
    form = writer.root.get("/AcroForm")
    if form is None:
        writer.root[pdf_name("/AcroForm")] = form = generic.DictionaryObject(
            {pdf_name("/Fields"): generic.ArrayObject()}
        )
        writer.update_root()
    else:
        form = form.get_object()
        writer.update_container(form)
    annots = generic.ArrayObject()
    page[pdf_name("/Annots")] = annots
    for place in places:
        text_field = generic.DictionaryObject(
            {
                pdf_name("/FT"): pdf_name("/Tx"),
                pdf_name("/T"): generic.TextStringObject(audit_field(place.slot)),
                pdf_name("/Ff"): generic.NumberObject(1 | 4096),  # read-only, multi-line
                pdf_name("/Type"): pdf_name("/Annot"),
                pdf_name("/Subtype"): pdf_name("/Widget"),
                pdf_name("/Rect"): generic.ArrayObject([generic.FloatObject(v) for v in rects[place.slot]]),
                pdf_name("/P"): page_ref,
                pdf_name("/F"): generic.NumberObject(4),
                pdf_name("/DA"): generic.TextStringObject("/Helv 8 Tf 0 g"),
            }
        )
        reference = writer.add_object(text_field)
        form["/Fields"].append(reference)
        annots.append(reference)
    for place in places:
        fields.append_signature_field(
            writer, fields.SigFieldSpec(signature_field(place.slot), on_page=place.page - 1, box=tuple(place.box))
        )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# -- appearances -----------------------------------------------------------------------------------


def signature_appearance(
    *, image_png: bytes, name: str, when: str, width: float, height: float, caption: str = ""
) -> bytes:
    """The visible signature (one PDF page the size of the box): the drawing, and under it the
    name and the date and time."""
    _fonts()
    buffer = io.BytesIO()
    page = pdf_canvas.Canvas(buffer, pagesize=(width, height))
    text_height = 24 if not caption else 33
    image = ImageReader(io.BytesIO(image_png))
    page.drawImage(
        image, 2, text_height, width=width - 4, height=height - text_height - 2, mask="auto", preserveAspectRatio=True
    )
    page.setStrokeColor(HexColor("#888888"))
    page.setLineWidth(0.5)
    page.line(2, text_height - 1, width - 2, text_height - 1)
    page.setFillColor(HexColor("#111111"))
    page.setFont(FONT_BOLD, 7.5)
    page.drawString(3, text_height - 10, name[:60])
    page.setFont(FONT, 6.5)
    page.drawString(3, text_height - 19, when)
    if caption:
        page.drawString(3, text_height - 28, caption[:80])
    page.showPage()
    page.save()
    return buffer.getvalue()


def _text_appearance(text: str, *, width: float, height: float) -> bytes:
    _fonts()
    buffer = io.BytesIO()
    page = pdf_canvas.Canvas(buffer, pagesize=(width, height))
    page.setFillColor(HexColor("#111111"))
    page.setFont(FONT, 7.5)
    y = height - 9
    for line in simpleSplit(text, FONT, 7.5, width - 4):
        if y < 2:
            break
        page.drawString(2, y, line)
        y -= 9.5
    page.showPage()
    page.save()
    return buffer.getvalue()


# -- signing ---------------------------------------------------------------------------------------


@dataclass
class Sealer:
    """The firm's certificate and key, and the timestamp authority when one is configured (PAdES
    B-T with it, B-B without)."""

    signer: signers.Signer
    timestamper: object | None = None
    certificates: list = field(default_factory=list)  # trust roots for verifying


def _field(writer: IncrementalPdfFileWriter, name: str):
    for reference in writer.root["/AcroForm"]["/Fields"]:
        candidate = reference.get_object()
        if candidate.get("/T") == name:
            return candidate
    raise ValueError(f"no field {name}")


def _signature_metadata(field_name: str, *, name: str, reason: str, location: str, sealer: Sealer):
    return signers.PdfSignatureMetadata(
        field_name=field_name,
        name=name or None,
        reason=reason or None,
        location=location or None,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
    )


@_outside_event_loop
def sign(
    pdf: bytes,
    *,
    slot: int,
    appearance: bytes,
    audit_line: str,
    name: str,
    reason: str,
    location: str,
    sealer: Sealer,
) -> bytes:
    """One signer's signature as one incremental update: their audit line filled in, and their
    signature field signed by the firm's certificate with ``appearance`` (a one-page PDF) as its
    visible stamp."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    text_field = _field(writer, audit_field(slot))
    x1, y1, x2, y2 = (float(value) for value in text_field["/Rect"])
    text_pdf = _text_appearance(audit_line, width=x2 - x1, height=y2 - y1)
    text_field[pdf_name("/V")] = generic.TextStringObject(audit_line)
    stream = writer.import_page_as_xobject(PdfFileReader(io.BytesIO(text_pdf)), 0)
    text_field[pdf_name("/AP")] = generic.DictionaryObject({pdf_name("/N"): stream})
    writer.update_container(text_field)
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(appearance)
        handle.flush()
        style = StaticStampStyle.from_pdf_file(handle.name, border_width=0)
        metadata = _signature_metadata(
            signature_field(slot), name=name, reason=reason, location=location, sealer=sealer
        )
        out = signers.PdfSigner(
            metadata, signer=sealer.signer, stamp_style=style, timestamper=sealer.timestamper
        ).sign_pdf(writer)
    return out.getvalue()


@_outside_event_loop
def seal(pdf: bytes, *, sealer: Sealer, name: str, reason: str, location: str = "") -> bytes:
    """An invisible PAdES signature by the firm over the whole of ``pdf`` (evidence packs, BEY-1)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    metadata = _signature_metadata("BalieSeal", name=name, reason=reason, location=location, sealer=sealer)
    out = signers.PdfSigner(metadata, signer=sealer.signer, timestamper=sealer.timestamper).sign_pdf(
        writer, existing_fields_only=False
    )
    return out.getvalue()
