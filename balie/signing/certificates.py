"""The seal certificate a firm's PDFs are sealed with, as the settings page and downloads show it.

With ``BALIE_SEAL_CERT_FILE`` that is the installation's certificate for every firm; otherwise the
firm's own (``seals.firm_seal``: uploaded, or generated on first use).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID
from django.conf import settings

from balie.signing import seals

INSTALLATION = "installation"


@dataclass(frozen=True)
class SealCertificate:
    source: str  # INSTALLATION, or FirmSeal.Source (generated, uploaded)
    source_label: str
    subject: str
    not_after: datetime
    fingerprint: str  # SHA-256 of the certificate (DER), hexadecimal
    certificate_pem: str
    updated_at: datetime | None = None
    updated_by: object | None = None

    @property
    def fingerprint_pairs(self) -> str:
        """The fingerprint as certificate viewers show it: AB:CD:…"""
        return ":".join(self.fingerprint[index : index + 2] for index in range(0, len(self.fingerprint), 2)).upper()

    @property
    def _certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.certificate_pem.encode())

    @property
    def holder(self) -> str:
        """Who the certificate is issued to, as a person reads it: its common name and organisation."""
        return _readable(self._certificate.subject) or self.subject

    @property
    def issuer(self) -> str:
        """Who issued it; empty for a self-signed certificate."""
        certificate = self._certificate
        return "" if certificate.issuer == certificate.subject else _readable(certificate.issuer)

    @property
    def der(self) -> bytes:
        return self._certificate.public_bytes(serialization.Encoding.DER)


def installation_wide() -> bool:
    """Whether one certificate seals for every firm (``BALIE_SEAL_CERT_FILE``)."""
    return bool(settings.BALIE_SEAL_CERT_FILE)


def seal_certificate(firm) -> SealCertificate:
    """The certificate ``firm``'s PDFs are sealed with now (generated for the firm on first use)."""
    from django.utils.translation import gettext as _

    if installation_wide():
        from pyhanko.keys import load_certs_from_pemder_data

        with open(settings.BALIE_SEAL_CERT_FILE, "rb") as handle:
            first = next(iter(load_certs_from_pemder_data(handle.read())))  # PEM or DER, the chain after it
        certificate = x509.load_der_x509_certificate(first.dump())
        return SealCertificate(
            source=INSTALLATION,
            source_label=_("Set for the whole installation by its administrator"),
            subject=certificate.subject.rfc4514_string(),
            not_after=certificate.not_valid_after_utc,
            fingerprint=certificate.fingerprint(hashes.SHA256()).hex(),
            certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
        )
    seal = seals.firm_seal(firm)
    return SealCertificate(
        source=seal.source,
        source_label=str(seal.get_source_display()),
        subject=seal.subject,
        not_after=seal.not_after,
        fingerprint=seal.fingerprint,
        certificate_pem=seal.certificate_pem,
        updated_at=seal.updated_at,
        updated_by=seal.updated_by,
    )


def _readable(name: x509.Name) -> str:
    parts = []
    for oid in (NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME):
        for attribute in name.get_attributes_for_oid(oid):
            if attribute.value not in parts:
                parts.append(str(attribute.value))
    return " · ".join(parts)
