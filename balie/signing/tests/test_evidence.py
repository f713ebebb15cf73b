"""Evidence packs (BEY-1): every approval certificate, of an approval, a rejection or a signature,
is sealed by the firm (PAdES) and can be checked offline; a sign request's certificate names each
signature and the signed PDF's SHA-256."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from balie.approvals import decisions
from balie.approvals import services as approvals
from balie.approvals.certificate import approval_certificate_pdf
from balie.approvals.states import Status
from balie.dossiers.services import document_add, dossier_create
from balie.dossiers.tests.utils import PDF
from balie.signing import pdf, seals, services, signatures, verification
from balie.signing.models import SignedFile
from balie.signing.tests.support import annual_accounts, company_with_directors, confirmation, sign

pytestmark = pytest.mark.django_db


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _approval(personas):
    dossier = dossier_create(client=personas.company, description="Belastingen 2025")
    document = document_add(
        dossier=dossier,
        upload=SimpleUploadedFile("aangifte.pdf", PDF, content_type="application/pdf"),
        direction="firm",
        actor=personas.staff.user,
        title="Aangifte omzetbelasting Q3",
        doc_type="vat_return",
        year=2025,
        period="Q3",
    )
    return approvals.request_create(
        document=document, actor=personas.staff.user, audience="directors", required="one", after="nothing"
    )


def _decide(personas, approval, outcome: str, comment: str = ""):
    return decisions.request_decide(
        approval=approval,
        user=personas.client_user,
        outcome=outcome,
        comment=comment,
        confirmation=confirmation("totp"),
        ip_address="192.0.2.44",
        user_agent="Mozilla/5.0 Firefox/128.0",
    )


def _sealed_by_the_firm(data: bytes, firm) -> pdf.Report:
    report = pdf.verify(data, trust_roots=seals.trust_roots())
    assert report.intact and report.trusted
    assert [each.name for each in report.signatures] == [firm.name]
    assert report.signatures[0].covers_document
    return report


def _downloads(client, personas, approval) -> list[bytes]:
    """The firm's copy and the client's copy, as the pages hand them out."""
    client.force_login(personas.staff.user)
    full = client.get(reverse("approvals_staff:certificate", args=[approval.public_id]))
    client.force_login(personas.client_user)
    mine = client.get(
        reverse("approvals_staff:client_certificate", args=[approval.client.public_id, approval.public_id])
    )
    assert full.status_code == mine.status_code == 200
    return [full.content, mine.content]


def test_the_certificate_of_an_approval_is_sealed_and_verifies(client, personas):
    approval = _approval(personas)
    _decide(personas, approval, "approved", "Akkoord.")
    approval.refresh_from_db()
    assert approval.status == Status.APPROVED
    for data in _downloads(client, personas, approval):
        _sealed_by_the_firm(data, personas.firm)
        assert approval.version.sha256 in _text(data)  # still the same certificate inside


def test_the_certificate_of_a_rejection_is_sealed_and_verifies(client, personas):
    approval = _approval(personas)
    _decide(personas, approval, "rejected", "De omzet van september ontbreekt.")
    approval.refresh_from_db()
    assert approval.status == Status.REJECTED
    for data in _downloads(client, personas, approval):
        _sealed_by_the_firm(data, personas.firm)
        assert "De omzet van september ontbreekt." in _text(data)


def test_a_flipped_byte_in_a_certificate_shows_as_altered(personas):
    approval = _approval(personas)
    _decide(personas, approval, "approved")
    data = bytearray(approval_certificate_pdf(approval, evidence="full"))
    assert verification.check(bytes(data)).verdict == verification.INTACT
    data[len(data) // 2] ^= 0x01
    assert not pdf.verify(bytes(data), trust_roots=seals.trust_roots()).intact
    assert verification.check(bytes(data)).verdict == verification.ALTERED


@pytest.fixture
def signed_request(personas, django_capture_on_commit_callbacks):
    company = company_with_directors(personas)
    first, second = company.directors
    document = annual_accounts(company.client, actor=personas.staff.user)
    approval = services.sign_request_create(document=document, actor=personas.staff.user, signers=[first, second])
    sign(approval, first, django_capture_on_commit_callbacks, factor="totp", ip="192.0.2.10")
    sign(approval, second, django_capture_on_commit_callbacks, factor="sms", ip="192.0.2.20")
    approval.refresh_from_db()
    assert approval.status == Status.SIGNED
    return company, approval


def test_the_certificate_of_a_sign_request_names_each_signature_and_the_signed_pdf(personas, signed_request):
    company, approval = signed_request
    first, second = company.directors
    signed = SignedFile.objects.select_related("version").get(request=approval)
    with translation.override("en"):
        full = approval_certificate_pdf(approval, evidence="full")
        mine = approval_certificate_pdf(approval, evidence="client")
    _sealed_by_the_firm(full, personas.firm)
    _sealed_by_the_firm(mine, personas.firm)
    text = _text(full)
    assert "Signing certificate" in text
    assert f"Turn 1: {first.get_full_name()}" in text and f"Turn 2: {second.get_full_name()}" in text
    assert text.count("Decision\nSigned") == 2  # each signature is a decision "Signed"
    assert "Authenticator app" in text and "SMS code" in text  # the factor of each
    assert "192.0.2.10" in text and "192.0.2.20" in text  # the firm's copy: where from
    assert text.count("Signature\nDrawn") == 2 and text.count("Sealed into the PDF") == 2
    for signature in approval.signatures.all():  # the PDF right after each signature was sealed in
        assert signature.result_sha256 and signature.result_sha256 in text
    # The SHA-256 of the version signed (the original) and of the signed PDF it became.
    assert approval.version.sha256 in text
    assert signed.version is not None and signed.version.sha256 == signed.sha256
    assert signed.sha256 in text and "2 of 2" in text
    client_text = _text(mine)
    assert signed.sha256 in client_text and f"Turn 2: {second.get_full_name()}" in client_text
    assert "192.0.2.10" not in client_text and "192.0.2.20" not in client_text


def test_the_certificate_of_a_sign_request_verifies_offline_and_a_flip_breaks_it(personas, signed_request):
    _company, approval = signed_request
    data = bytearray(approval_certificate_pdf(approval, evidence="client"))
    result = verification.check(bytes(data))
    assert result.verdict == verification.INTACT and result.report.trusted
    data[len(data) // 4] ^= 0x01
    assert verification.check(bytes(data)).verdict == verification.ALTERED


def test_the_certificate_of_a_declined_sign_request_is_sealed(personas, django_capture_on_commit_callbacks):
    company = company_with_directors(personas)
    first, second = company.directors
    document = annual_accounts(company.client, actor=personas.staff.user)
    approval = services.sign_request_create(document=document, actor=personas.staff.user, signers=[first, second])
    sign(approval, first, django_capture_on_commit_callbacks)
    signatures.signature_decline(approval=approval, user=second, reason="Het verslag mist de bijlage.")
    with translation.override("en"):
        data = approval_certificate_pdf(approval, evidence="full")
    _sealed_by_the_firm(data, personas.firm)
    text = _text(data)
    assert "Het verslag mist de bijlage." in text and "Signed PDF so far" in text and "1 of 2" in text


def test_with_a_timestamp_authority_the_certificate_is_pades_b_t(personas, settings):
    from balie.signing.tests.tsa import LocalTSA

    approval = _approval(personas)
    _decide(personas, approval, "approved")
    with LocalTSA() as tsa:
        settings.BALIE_TSA_URL = tsa.url
        data = approval_certificate_pdf(approval, evidence="full")
        assert tsa.hits >= 1
    report = _sealed_by_the_firm(data, personas.firm)
    assert report.signatures[0].timestamp_at is not None
    settings.BALIE_TSA_URL = ""
    without = _sealed_by_the_firm(approval_certificate_pdf(approval, evidence="full"), personas.firm)
    assert without.signatures[0].timestamp_at is None  # PAdES B-B: the server's clock


def test_an_installation_wide_seal_seals_the_certificate(personas, settings, tmp_path):
    certificate_pem, key_pem = seals.generate_self_signed(common_name="Balie installatie", organisation="Beheer")
    (tmp_path / "seal.pem").write_text(certificate_pem)
    (tmp_path / "seal.key").write_text(key_pem)
    settings.BALIE_SEAL_CERT_FILE = str(tmp_path / "seal.pem")
    settings.BALIE_SEAL_KEY_FILE = str(tmp_path / "seal.key")
    approval = _approval(personas)
    report = _sealed_by_the_firm(approval_certificate_pdf(approval, evidence="full"), personas.firm)
    assert "Balie installatie" in report.signatures[0].certificate
