"""Verifying the signatures in a PDF (APR-6, BEY-1), with pyHanko.

    report = verify(signed, trust_roots=[...])      # also importable from ``balie.signing.pdf``

Every signature is checked: intact, valid, by a trusted certificate, and covering the document. The
checks go beyond pyHanko's own where a byte could otherwise change unnoticed: the signature value
(``/Contents``) must hold the CMS structure and nothing else, consistent in itself.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from pyhanko.pdf_utils.reader import PdfFileReader

MAX_SIGNATURES_TO_CHECK = 20  # the verifier's work grows fast with each signature: more are refused


def _outside_event_loop(func):
    """pyHanko runs its signing and validation with ``asyncio.run``, which refuses to start inside a
    running event loop (an async server, a browser driver in tests): there, the work runs in a
    thread of its own. Signing and sealing (``pdf``) use it too."""
    import asyncio
    import functools
    from concurrent.futures import ThreadPoolExecutor

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return func(*args, **kwargs)
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(func, *args, **kwargs).result()

    return wrapper


# -- verifying -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureReport:
    field: str
    name: str  # the name in the signature (the signer), else the certificate's
    certificate: str  # the certificate's subject (the firm's seal)
    signed_at: datetime | None
    timestamp_at: datetime | None  # from the timestamp authority (PAdES B-T)
    intact: bool  # the signed bytes are unchanged
    valid: bool  # the cryptographic signature is right
    trusted: bool  # by a certificate this installation knows
    covers_document: bool  # nothing but allowed additions (form filling, later signatures) after it
    reason: str = ""
    owner: str = ""  # whose seal it is, when the certificate is one this installation knows


@dataclass(frozen=True)
class Report:
    readable: bool
    signatures: list[SignatureReport]
    too_many: bool = False  # more signatures than are checked here (MAX_SIGNATURES_TO_CHECK)

    @property
    def intact(self) -> bool:
        """Readable, signed, and every signature intact, valid and covering the document."""
        return (
            self.readable
            and bool(self.signatures)
            and all(each.intact and each.valid and each.covers_document for each in self.signatures)
        )

    @property
    def trusted(self) -> bool:
        return self.intact and all(each.trusted for each in self.signatures)


@_outside_event_loop
def verify(data: bytes, *, trust_roots: list, known: dict[str, str] | None = None) -> Report:
    """Reads every signature of ``data`` and checks it: intact, valid, by a trusted certificate,
    and covering the document (for the last one the whole file; for earlier ones only allowed
    changes after it). A flipped byte anywhere makes the file unreadable, hides a signature or leaves
    one not intact: never is such a file reported intact."""
    import logging

    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception:  # noqa: BLE001  (any damage that keeps the file from being read)
        return Report(readable=False, signatures=[])
    if len(embedded) > MAX_SIGNATURES_TO_CHECK:
        return Report(readable=True, signatures=[], too_many=True)
    context = ValidationContext(trust_roots=list(trust_roots), allow_fetching=False)
    reports = []
    quiet = logging.getLogger("pyhanko")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # an untrusted certificate is a result here, not a warning
    try:
        for signature in embedded:
            try:
                status = validate_pdf_signature(signature, context)
                report = _signature_report(signature, status, known=known)
            except Exception:  # noqa: BLE001  (a damaged signature is a finding, never a crash)
                report = SignatureReport(
                    field=signature.field_name or "",
                    name="",
                    certificate="",
                    signed_at=None,
                    timestamp_at=None,
                    intact=False,
                    valid=False,
                    trusted=False,
                    covers_document=False,
                )
            reports.append(report)
    finally:
        quiet.setLevel(level)
    return Report(readable=True, signatures=reports)


def _signature_report(signature, status, *, known: dict[str, str] | None = None) -> SignatureReport:
    from pyhanko.sign.diff_analysis.policy_api import ModificationLevel
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    dictionary = signature.sig_object
    name = str(dictionary.get("/Name", "") or "")
    certificate = status.signing_cert.subject.human_friendly if status.signing_cert is not None else ""
    coverage = status.coverage
    modification = status.modification_level
    covers = coverage == SignatureCoverageLevel.ENTIRE_FILE or (
        coverage == SignatureCoverageLevel.ENTIRE_REVISION
        and modification is not None
        and modification <= ModificationLevel.FORM_FILLING
        and bool(status.docmdp_ok)
    )
    fingerprint = status.signing_cert.sha256.hex() if status.signing_cert is not None else ""
    timestamp = getattr(status, "timestamp_validity", None)
    timestamp_intact = timestamp is None or (bool(timestamp.intact) and bool(timestamp.valid))
    return SignatureReport(
        field=signature.field_name or "",
        name=name or certificate,
        certificate=certificate,
        signed_at=status.signer_reported_dt,
        timestamp_at=timestamp.timestamp if timestamp is not None else None,
        intact=bool(status.intact) and timestamp_intact and _contents_untouched(signature),
        valid=bool(status.valid),
        # With ``known``: trusted only when signed with exactly one of those certificates.
        trusted=bool(status.trusted) and (known is None or fingerprint in known),
        owner=(known or {}).get(fingerprint, ""),
        covers_document=covers,
        reason=str(dictionary.get("/Reason", "") or ""),
    )


def _contents_untouched(signature) -> bool:
    """The signature value (``/Contents``) is the one part of the file its digest cannot cover. It
    must hold the CMS structure and nothing else (zero padding after it, no filler inside), with
    nothing unsigned but a timestamp, and be consistent in itself (see ``_consistent``): so that no
    byte of a signed file changes unnoticed."""
    from asn1crypto import parser

    contents = bytes(signature.pkcs7_content)
    try:
        element = parser.parse(contents)
    except ValueError:
        return False
    used = sum(len(part) for part in element[3:])
    if element[1] != 1 or contents[used:].strip(b"\x00") or not _fills_exactly(element[4], depth=1):
        return False
    if not _consistent(signature.signed_data):
        return False
    for attribute in signature.signer_info["unsigned_attrs"] or ():
        if attribute["type"].native != "signature_time_stamp_token":
            return False
        if not all(_consistent(token["content"]) for token in attribute["values"]):
            return False
    return True


def _consistent(signed_data) -> bool:
    """The unsigned framing of a CMS SignedData agrees with what it holds: nothing in it that its
    fields do not account for, its signers' digest algorithms among those it lists, and the version
    numbers RFC 5652 prescribes."""
    signer_infos = list(signed_data["signer_infos"])
    if not all(_accounted_for(each) for each in [signed_data, *signer_infos]):
        return False
    algorithms = {each.dump() for each in signed_data["digest_algorithms"]}
    for signer_info in signer_infos:
        if signer_info["digest_algorithm"].dump() not in algorithms:
            return False
        if signer_info["version"].native != ("v1" if signer_info["sid"].name == "issuer_and_serial_number" else "v3"):
            return False
    kinds = {each.name for each in signed_data["certificates"] or ()}
    if "other" in kinds:
        version = "v5"
    elif "v2_attr_cert" in kinds:
        version = "v4"
    elif (
        "v1_attr_cert" in kinds
        or signed_data["encap_content_info"]["content_type"].native != "data"
        or any(each["version"].native == "v3" for each in signer_infos)
    ):
        version = "v3"
    else:
        version = "v1"
    return signed_data["version"].native == version


def _accounted_for(sequence) -> bool:
    """Whether the fields of an ASN.1 SEQUENCE make up all of its contents (no unknown extras)."""
    return sum(len(sequence[name].dump()) for name in sequence) == len(sequence.contents)


def _fills_exactly(data: bytes, *, depth: int) -> bool:
    """Whether ``data`` is a run of BER elements and nothing else, down every constructed element."""
    from asn1crypto import parser

    pointer = 0
    while pointer < len(data):
        try:
            class_, method, tag, header, content, trailer = parser.parse(data[pointer:])
        except ValueError:
            return False
        if class_ == 0 and tag == 0:  # end-of-contents: only valid where a length is indefinite
            return False
        if method == 1 and depth < 16 and not _fills_exactly(content, depth=depth + 1):
            return False
        pointer += len(header) + len(content) + len(trailer)
    return True
