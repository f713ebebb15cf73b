"""Checking a signed PDF someone hands in (APR-6 point 5), for the page and ``balie verify-pdf``.

    result = verification.check(data)      # result.verdict: INTACT, ALTERED, UNSIGNED or UNREADABLE

The signatures are checked by ``pdf.verify`` against every seal certificate this installation knows
(``seals.trust_roots``). A file that still shows the traces of a signature (its byte range, its
signature format) but no signature that can be read is reported as altered, not as unsigned: one
flipped byte in a signature's dictionary hides the signature from a reader.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from balie.signing import pdf, seals

MAX_BYTES = 50 * 1024 * 1024
INTACT, ALTERED, UNSIGNED, UNREADABLE = "intact", "altered", "unsigned", "unreadable"
TOO_MANY = "too_many"
HEADLINES = {
    INTACT: _("Unchanged since it was signed"),
    ALTERED: _("Changed or damaged after signing — do not rely on it"),
    UNSIGNED: _("No digital signatures found"),
    UNREADABLE: _("Not a readable PDF"),
    TOO_MANY: _("Too many signatures to check here"),
}
EXPLANATIONS = {
    INTACT: _("Every digital signature in this PDF is valid and covers the whole document."),
    ALTERED: _(
        "This PDF was changed after it was signed, or it is damaged: at least one signature no longer "
        "matches its contents. Ask the sender for the original file."
    ),
    UNSIGNED: _("This PDF has no digital signature, so nothing can be said about changes to it."),
    UNREADABLE: _("This file could not be read as a PDF."),
    TOO_MANY: _(
        "This PDF holds more digital signatures than can be checked here. Open it in a PDF reader that "
        "shows digital signatures to check it."
    ),
}
# What every signed PDF holds (the signed byte range, the signature formats PDF knows): a file with
# these but without a readable signature had one.
_TRACES = (b"/ByteRange", b"ETSI.CAdES", b"adbe.pkcs7")


@dataclass(frozen=True)
class Verification:
    verdict: str
    report: pdf.Report

    @property
    def headline(self) -> str:
        return str(HEADLINES[self.verdict])

    @property
    def explanation(self) -> str:
        return str(EXPLANATIONS[self.verdict])

    @property
    def intact(self) -> bool:
        return self.verdict == INTACT


def looks_like_pdf(data: bytes) -> bool:
    """A PDF starts with its header (some writers put a little junk before it)."""
    return b"%PDF-" in data[:1024]


def check(data: bytes) -> Verification:
    """Checks ``data``: every signature intact, valid and covering the document (INTACT); a
    signature broken or traces of one (ALTERED); none at all (UNSIGNED); not a PDF (UNREADABLE)."""
    report = seals.verify(data)
    traces = any(trace in data for trace in _TRACES)
    if report.too_many:
        verdict = TOO_MANY
    elif report.intact:
        verdict = INTACT
    elif report.signatures or traces:
        verdict = ALTERED
    elif report.readable and looks_like_pdf(data):
        verdict = UNSIGNED
    else:
        verdict = UNREADABLE
    return Verification(verdict=verdict, report=report)


def as_dict(verification: Verification) -> dict:
    """The result as plain data (``balie verify-pdf --json``)."""

    def moment(value):
        return value.isoformat() if value is not None else None

    return {
        "verdict": verification.verdict,
        "intact": verification.intact,
        "trusted": verification.report.trusted,
        "readable": verification.report.readable,
        "signatures": [
            {
                "field": each.field,
                "name": each.name,
                "certificate": each.certificate,
                "signed_at": moment(each.signed_at),
                "timestamp_at": moment(each.timestamp_at),
                "intact": each.intact,
                "valid": each.valid,
                "trusted": each.trusted,
                "seal_of": each.owner,
                "covers_document": each.covers_document,
                "reason": each.reason,
            }
            for each in verification.report.signatures
        ],
    }
