"""Whom the verifier trusts: exactly the seal certificates of this installation's firms, never a CA
a firm uploaded with its certificate, and each trusted signature names whose seal it is."""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.core.exceptions import ValidationError

from balie.signing import pdf, seals
from balie.signing.tests.pdfs import make_pdf

pytestmark = pytest.mark.django_db


def _certificate(subject: str, key, *, issuer=None, issuer_key=None, ca=False):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(issuer_key or key, hashes.SHA256())
    )


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(item) -> bytes:
    if isinstance(item, x509.Certificate):
        return item.public_bytes(serialization.Encoding.PEM)
    return item.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def test_a_ca_uploaded_by_one_firm_cannot_make_another_firms_seal_trusted(personas):
    # Firm B uploads its seal with a CA of its own in the chain, then replaces it with a clean one.
    ca_key, seal_key = _key(), _key()
    ca = _certificate("Firm B CA", ca_key, ca=True)
    seal = _certificate("Hoekstra seal", seal_key, issuer=ca, issuer_key=ca_key)
    data = pkcs12.serialize_key_and_certificates(b"b", seal_key, seal, [ca], serialization.NoEncryption())
    seals.seal_upload(firm=personas.other_firm, data=data, password="", actor=personas.outsider_staff.user)
    clean_key = _key()
    clean = _certificate("Hoekstra seal 2", clean_key)
    data = pkcs12.serialize_key_and_certificates(b"b", clean_key, clean, None, serialization.NoEncryption())
    seals.seal_upload(firm=personas.other_firm, data=data, password="", actor=personas.outsider_staff.user)
    # With the CA's key, firm B makes a certificate named like firm A's seal and seals a PDF with it.
    forged_key = _key()
    forged = _certificate("Van Dijk (Balie)", forged_key, issuer=ca, issuer_key=ca_key)
    seals.firm_seal(personas.firm)  # firm A's real seal exists
    sealer = pdf.Sealer(signer=seals._signer(_pem(forged) + _pem(ca), _pem(forged_key)))
    report = seals.verify(pdf.seal(make_pdf(1), sealer=sealer, name="Van Dijk", reason="vervalst"))
    assert report.intact and not report.trusted
    assert report.signatures[0].owner == ""


def test_a_trusted_signature_names_the_firm_whose_seal_it_is(personas):
    sealed = pdf.seal(make_pdf(1), sealer=seals.sealer_for_firm(personas.firm), name="Van Dijk", reason="test")
    report = seals.verify(sealed)
    assert report.trusted and report.signatures[0].owner == personas.firm.name


def test_a_generated_seal_cannot_issue_certificates(personas):
    certificate = x509.load_pem_x509_certificate(seals.firm_seal(personas.firm).certificate_pem.encode())
    assert certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert certificate.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign is False


def test_an_upload_whose_key_is_not_the_certificates_is_refused(personas, monkeypatch):
    # (cryptography will not write such a file; other tools may: the file is read as such here.)
    certificate = _certificate("Van Dijk", _key())
    monkeypatch.setattr(seals.pkcs12, "load_key_and_certificates", lambda data, password: (_key(), certificate, []))
    with pytest.raises(ValidationError) as error:
        seals.seal_upload(firm=personas.firm, data=b"p12", password="", actor=personas.staff.user)
    assert error.value.code == "key"
