"""The PDF engine: prepare, sign in turn (incremental), seal, verify; PAdES B-B and B-T."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from balie.signing import pdf, seals
from balie.signing.tests.pdfs import make_encrypted_pdf, make_pdf, make_signature_png
from balie.signing.tests.tsa import LocalTSA


def _sealer(timestamper=None):
    from pyhanko.keys import load_certs_from_pemder_data

    certificate_pem, key_pem = seals.generate_self_signed(common_name="Van Dijk (Balie)", organisation="Van Dijk")
    signer = seals._signer(certificate_pem.encode(), key_pem.encode())
    certificate = next(iter(load_certs_from_pemder_data(certificate_pem.encode())))
    return pdf.Sealer(signer=signer, timestamper=timestamper), certificate


def _audit():
    return pdf.AuditPage(
        heading="Ondertekeningsverslag",
        rows=[("Document", "Jaarrekening 2025"), ("SHA-256", "ab" * 32)],
        statement="Elektronische handtekening, bevestigd met tweestapsverificatie en verzegeld door het kantoor.",
        signers_heading="Ondertekenaars",
    )


def _sign_twice(original: bytes, sealer) -> bytes:
    last = pdf.check_signable(original)
    size = pdf.page_size(original, last)
    places = [
        pdf.Place(slot=1, page=last, box=pdf.default_box(0, size), label="1. Pieter Bakker"),
        pdf.Place(slot=2, page=last, box=pdf.default_box(1, size), label="2. Anna Visser"),
    ]
    prepared = pdf.prepare(original, audit=_audit(), places=places)
    current = prepared
    for slot, name in ((1, "Pieter Bakker"), (2, "Anna Visser")):
        appearance = pdf.signature_appearance(
            image_png=make_signature_png(), name=name, when="23-11-2026 17:05", width=220, height=90
        )
        current = pdf.sign(
            current,
            slot=slot,
            appearance=appearance,
            audit_line=f"Ondertekend door {name} vanaf IP 192.0.2.1, bevestigd met sms-code.",
            name=name,
            reason="Ondertekend in Balie",
            location="Van Dijk",
            sealer=sealer,
        )
    return current


def test_two_signers_in_turn_both_valid_and_covering_the_document():
    sealer, certificate = _sealer()
    original = make_pdf(3)
    signed = _sign_twice(original, sealer)
    assert signed.startswith(original)  # the original's bytes are the first revision, untouched
    reader = PdfFileReader(io.BytesIO(signed))
    assert int(reader.root["/Pages"]["/Count"]) == 4  # the audit page was appended
    context = ValidationContext(trust_roots=[certificate])
    statuses = pdf._outside_event_loop(
        lambda: [validate_pdf_signature(each, context) for each in reader.embedded_signatures]
    )()
    assert [each.field_name for each in reader.embedded_signatures] == ["BalieSignature1", "BalieSignature2"]
    assert all(status.bottom_line for status in statuses)
    assert statuses[1].coverage.name == "ENTIRE_FILE"
    assert statuses[0].modification_level.name == "FORM_FILLING"  # only the second signer's fill + signature
    report = pdf.verify(signed, trust_roots=[certificate])
    assert report.intact and report.trusted
    assert [each.name for each in report.signatures] == ["Pieter Bakker", "Anna Visser"]
    # Each signature field carries an image in its appearance (the drawing).
    for embedded in reader.embedded_signatures:
        appearance = embedded.sig_field["/AP"]["/N"]
        assert b"/Image" in _flatten_resources(appearance)
    # The audit lines are filled in.
    values = {str(f.get_object()["/T"]): str(f.get_object().get("/V", "")) for f in reader.root["/AcroForm"]["/Fields"]}
    assert "Pieter Bakker" in values["BalieAudit1"] and "Anna Visser" in values["BalieAudit2"]


def _flatten_resources(xobject, depth=0) -> bytes:
    """The subtypes of the XObjects an appearance draws, recursively."""
    found = b""
    resources = xobject.get("/Resources", {})
    for inner in resources.get("/XObject", {}).values():
        inner = inner.get_object()
        found += str(inner.get("/Subtype")).encode()
        if depth < 4:
            found += _flatten_resources(inner, depth + 1)
    return found


def test_a_flipped_byte_is_reported_as_altered():
    sealer, certificate = _sealer()
    original = make_pdf(2)
    signed = bytearray(_sign_twice(original, sealer))
    assert pdf.verify(bytes(signed), trust_roots=[certificate]).intact
    # Flip one byte inside the first revision (the original document, covered by both signatures).
    signed[len(original) // 2] ^= 0x01
    report = pdf.verify(bytes(signed), trust_roots=[certificate])
    assert not report.intact
    assert not report.signatures[0].intact


def test_an_untrusted_certificate_is_intact_but_not_trusted():
    sealer, _certificate = _sealer()
    _other, other_certificate = _sealer()
    report = pdf.verify(_sign_twice(make_pdf(1), sealer), trust_roots=[other_certificate])
    assert report.intact and not report.trusted


def test_a_pdf_without_signatures_is_not_reported_intact():
    report = pdf.verify(make_pdf(1), trust_roots=[])
    assert report.readable and not report.intact and report.signatures == []


def test_garbage_is_not_readable():
    assert not pdf.verify(b"not a pdf at all", trust_roots=[]).readable


def test_seal_is_an_invisible_signature_over_the_whole_file():
    sealer, certificate = _sealer()
    sealed = pdf.seal(make_pdf(1), sealer=sealer, name="Van Dijk", reason="Bewijsstuk")
    report = pdf.verify(sealed, trust_roots=[certificate])
    assert report.intact and report.trusted and len(report.signatures) == 1


def test_with_a_timestamp_authority_the_signature_is_pades_b_t():
    from pyhanko.sign.timestamps import HTTPTimeStamper

    with LocalTSA() as tsa:
        sealer, certificate = _sealer(HTTPTimeStamper(tsa.url))
        signed = _sign_twice(make_pdf(2), sealer)
        assert tsa.hits >= 2  # (pyHanko also asks once to size the signature)
    report = pdf.verify(signed, trust_roots=[certificate, tsa.certificate])
    assert report.intact
    assert all(each.timestamp_at is not None for each in report.signatures)
    without = pdf.verify(_sign_twice(make_pdf(2), _sealer()[0]), trust_roots=[certificate])
    assert all(each.timestamp_at is None for each in without.signatures)  # B-B: the server's clock


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"hello, this is text", "not_pdf"),
        (b"%PDF-1.7\nbroken", "not_pdf"),
        (make_encrypted_pdf(), "encrypted"),
    ],
)
def test_refuses_what_cannot_be_signed(data, code):
    with pytest.raises(ValidationError) as error:
        pdf.check_signable(data)
    assert error.value.code == code


def test_refuses_a_pdf_signed_already():
    sealer, _certificate = _sealer()
    with pytest.raises(ValidationError) as error:
        pdf.check_signable(pdf.seal(make_pdf(1), sealer=sealer, name="X", reason="Y"))
    assert error.value.code == "signed_already"


def test_signer_classes_are_pyhanko_signers():
    sealer, _ = _sealer()
    assert isinstance(sealer.signer, signers.Signer)


def _pdf_with(mutate) -> bytes:
    """A PDF whose objects ``mutate`` changes (pypdf writes it again, uncompressed)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(2))))
    mutate(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_page_count_that_lies_is_refused_as_damaged():
    from pypdf.generic import NameObject, NumberObject

    def lie(writer):
        writer._root_object["/Pages"].get_object()[NameObject("/Count")] = NumberObject(5)

    with pytest.raises(ValidationError) as error:
        pdf.check_signable(_pdf_with(lie))
    assert error.value.code == "damaged"


def test_a_page_tree_that_loops_is_refused_as_damaged():
    from pypdf.generic import ArrayObject, NameObject

    def loop(writer):
        reference = writer._root_object.raw_get("/Pages")  # the indirect reference to the tree
        pages = reference.get_object()
        pages[NameObject("/Kids")] = ArrayObject([*pages["/Kids"], reference])

    with pytest.raises(ValidationError) as error:
        pdf.check_signable(_pdf_with(loop))
    assert error.value.code in ("damaged", "not_pdf")


def test_a_pdf_prepared_for_balie_before_is_refused():
    last = pdf.check_signable(make_pdf(1))
    place = pdf.Place(slot=1, page=last, box=pdf.default_box(0, pdf.page_size(make_pdf(1), last)), label="1. A")
    with pytest.raises(ValidationError) as error:
        pdf.check_signable(pdf.prepare(make_pdf(1), audit=_audit(), places=[place]))
    assert error.value.code == "prepared"


def test_a_file_object_is_checked_without_reading_it_into_memory_first():
    assert pdf.check_signable(io.BytesIO(make_pdf(3))) == 3
