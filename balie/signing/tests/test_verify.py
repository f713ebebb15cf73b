"""Checking a signed PDF (APR-6 point 5): the page for everyone signed in, ``balie verify-pdf``, the
firms' certificates to download, and a tampered file always reported as altered."""

from __future__ import annotations

import json
import os
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from balie.signing import pdf, seals, services, verification
from balie.signing.models import FirmSeal
from balie.signing.tests.pdfs import make_pdf
from balie.signing.tests.support import annual_accounts, company_with_directors, sign

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(monkeypatch):
    """Texts are checked in their msgid form: everyone here reads English, pages and services."""
    from django.utils import translation

    from balie.accounts.models import User

    monkeypatch.setattr(User._meta.get_field("language"), "_get_default", lambda: "en")
    with translation.override("en"):
        yield


URL = "verify:page"


@pytest.fixture
def signed(personas, django_capture_on_commit_callbacks):
    """A PDF two directors signed in Balie, as the dossier holds it, and the directors."""
    company = company_with_directors(personas)
    first, second = company.directors
    document = annual_accounts(company.client, actor=personas.staff.user)
    approval = services.sign_request_create(document=document, actor=personas.staff.user, signers=[first, second])
    sign(approval, first, django_capture_on_commit_callbacks)
    sign(approval, second, django_capture_on_commit_callbacks)
    approval.signed_file.refresh_from_db()
    return services.read_signed(approval.signed_file), company.directors


def _flipped(data: bytes, at: int | None = None) -> bytes:
    changed = bytearray(data)
    changed[len(data) // 3 if at is None else at] ^= 0x01
    return bytes(changed)


def _check(client, data: bytes, name: str = "jaarrekening-getekend.pdf"):
    upload = SimpleUploadedFile(name, data, content_type="application/pdf")
    with translation.override("en"):
        return client.post(reverse(URL), {"file": upload})


def _stored_files(root) -> set:
    return {os.path.join(folder, name) for folder, _dirs, names in os.walk(root) for name in names}


# -- the page --------------------------------------------------------------------------------------


def test_a_signed_pdf_is_reported_unchanged_with_its_signers(client, personas, signed, settings):
    data, (first, second) = signed
    client.force_login(personas.client_user)
    before = _stored_files(settings.MEDIA_ROOT)
    response = _check(client, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-verdict="intact"' in page and "Unchanged since it was signed" in page
    assert first.get_full_name() in page and second.get_full_name() in page
    assert page.count('class="signature"') == 2
    assert "known: a seal of this Balie" in page and "unknown certificate" not in page
    assert "jaarrekening-getekend.pdf" in page
    assert _stored_files(settings.MEDIA_ROOT) == before  # checked, never kept


def test_one_flipped_byte_is_reported_as_altered(client, personas, signed):
    data, (first, _second) = signed
    client.force_login(personas.staff.user)
    response = _check(client, _flipped(data))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-verdict="altered"' in page
    assert "Changed or damaged after signing — do not rely on it" in page
    assert "broken: the signed contents have changed" in page
    assert "Unchanged since it was signed" not in page


def test_a_signature_by_a_certificate_this_balie_does_not_know_is_intact_but_unknown(client, personas):
    from pyhanko.sign import signers

    certificate_pem, key_pem = seals.generate_self_signed(common_name="Elders B.V.", organisation="Elders")
    sealer = pdf.Sealer(signer=seals._signer(certificate_pem.encode(), key_pem.encode()))
    assert isinstance(sealer.signer, signers.Signer)
    data = pdf.seal(make_pdf(1), sealer=sealer, name="Elders B.V.", reason="test")
    client.force_login(personas.client_user)
    page = _check(client, data).content.decode()
    assert 'data-verdict="intact"' in page and "Elders B.V." in page
    assert "unknown certificate" in page and "known: a seal of this Balie" not in page
    assert "An unknown certificate does not mean the document changed" in page


def test_a_pdf_without_signatures_says_so(client, personas):
    client.force_login(personas.client_user)
    page = _check(client, make_pdf(2)).content.decode()
    assert 'data-verdict="unsigned"' in page and "No digital signatures found" in page


def test_a_damaged_pdf_is_not_readable(client, personas):
    client.force_login(personas.client_user)
    page = _check(client, b"%PDF-1.7\n" + os.urandom(2000)).content.decode()
    assert 'data-verdict="unreadable"' in page and "Not a readable PDF" in page


def test_a_file_that_is_not_a_pdf_is_refused_with_a_message(client, personas):
    client.force_login(personas.client_user)
    response = _check(client, b"PK\x03\x04 a zip file, not a PDF", name="stukken.zip")
    assert response.status_code == 400
    page = response.content.decode()
    assert "This is not a PDF. Choose the signed PDF file." in page
    assert "data-verdict" not in page


def test_a_file_over_the_limit_is_refused_with_a_message(client, personas, monkeypatch):
    monkeypatch.setattr(verification, "MAX_BYTES", 1000)
    client.force_login(personas.client_user)
    response = _check(client, make_pdf(3))
    assert response.status_code == 400
    assert "This file is larger than" in response.content.decode()
    assert "data-verdict" not in response.content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse(URL))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    response = client.post(reverse(URL), {"file": SimpleUploadedFile("a.pdf", make_pdf(1))})
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_the_page_offers_the_certificates_of_the_persons_own_firms_only(client, personas):
    client.force_login(personas.client_user)
    with translation.override("en"):
        page = client.get(reverse(URL)).content.decode()
    assert reverse("verify:firm_certificate", args=[personas.firm.public_id]) in page
    assert reverse("verify:firm_certificate", args=[personas.other_firm.public_id]) not in page
    assert "Any PDF reader" in page


def test_a_member_downloads_their_firms_certificate_and_an_outsider_gets_404(client, personas):
    url = reverse("verify:firm_certificate", args=[personas.firm.public_id])
    client.force_login(personas.client_user)
    response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode() == FirmSeal.objects.get(firm=personas.firm).certificate_pem
    assert response["Content-Disposition"] == 'attachment; filename="zegelcertificaat-van-dijk.pem"'
    der = client.get(reverse("verify:firm_certificate_cer", args=[personas.firm.public_id]))
    assert der.status_code == 200 and der["Content-Type"] == "application/pkix-cert"
    assert der.content.startswith(b"0\x82")  # DER, not PEM
    for outsider in (personas.outsider, personas.outsider_staff.user):
        client.force_login(outsider)
        assert client.get(url).status_code == 404


# -- every byte counts -----------------------------------------------------------------------------


def _sealed(personas, *, timestamper=None) -> bytes:
    sealer = seals.sealer_for_firm(personas.firm)
    sealer.timestamper = timestamper
    return pdf.seal(make_pdf(1), sealer=sealer, name="Van Dijk", reason="test")


@pytest.mark.parametrize("timestamped", [False, True], ids=["pades-b-b", "pades-b-t"])
def test_no_flipped_byte_anywhere_leaves_the_file_reported_unchanged(personas, timestamped):
    """Every byte of a sealed PDF is covered by its digest except the signature value itself;
    flipping one there (certificate, padding, version numbers, the timestamp) must show as well."""
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    from balie.signing.tests.tsa import _tsa_identity

    timestamper = DummyTimeStamper(*_tsa_identity()) if timestamped else None
    data = _sealed(personas, timestamper=timestamper)
    assert verification.check(data).verdict == verification.INTACT
    start = data.index(b"/Contents <") + len(b"/Contents <")
    end = data.index(b">", start)
    # Every 13th byte of the signature value (and its delimiters), and every 97th byte elsewhere.
    positions = [at for at in range(len(data)) if (start - 1 <= at <= end and (at - start) % 13 == 0) or at % 97 == 0]
    verdicts = {at: verification.check(_flipped(data, at)).verdict for at in positions}
    unchanged = [at for at, verdict in verdicts.items() if verdict == verification.INTACT]
    assert unchanged == []
    assert set(verdicts.values()) <= {verification.ALTERED, verification.UNREADABLE}


def test_a_signature_hidden_by_a_flipped_byte_is_reported_as_altered_not_as_unsigned(personas):
    data = _sealed(personas)
    at = data.index(b"/SubFilter /ETSI.CAdES.detached") + len(b"/SubFilter /")
    result = verification.check(_flipped(data, at))
    assert result.report.signatures == [] or not result.report.intact
    assert result.verdict == verification.ALTERED


# -- the command -----------------------------------------------------------------------------------


def _command(path, *arguments):
    out = StringIO()
    with translation.override("en"):
        try:
            call_command("verify_pdf", str(path), *arguments, stdout=out)
        except SystemExit as exit:
            return exit.code, out.getvalue()
    return 0, out.getvalue()


def test_the_command_reports_an_intact_pdf_and_exits_0(signed, tmp_path):
    data, (first, second) = signed
    path = tmp_path / "getekend.pdf"
    path.write_bytes(data)
    status, output = _command(path)
    assert status == 0
    assert f"{path}: Unchanged since it was signed" in output
    assert f"Signature 1: {first.get_full_name()}" in output and f"Signature 2: {second.get_full_name()}" in output
    assert "known: a seal of this Balie" in output and "Covers: the whole document as it is now" in output


def test_the_command_exits_1_for_an_altered_unsigned_or_unreadable_file(signed, tmp_path):
    data, _directors = signed
    cases = {
        "altered.pdf": (_flipped(data), "Changed or damaged after signing"),
        "unsigned.pdf": (make_pdf(1), "No digital signatures found"),
        "garbage.pdf": (b"not a pdf at all", "Not a readable PDF"),
    }
    for name, (content, headline) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        status, output = _command(path)
        assert status == 1, name
        assert headline in output, name


def test_the_command_prints_json(signed, tmp_path):
    data, (first, second) = signed
    path = tmp_path / "getekend.pdf"
    path.write_bytes(data)
    status, output = _command(path, "--json")
    report = json.loads(output)
    assert status == 0
    assert report["verdict"] == "intact" and report["intact"] is True and report["trusted"] is True
    assert [each["name"] for each in report["signatures"]] == [first.get_full_name(), second.get_full_name()]
    assert all(each["signed_at"] and each["covers_document"] for each in report["signatures"])
    path.write_bytes(_flipped(data))
    status, output = _command(path, "--json")
    assert status == 1 and json.loads(output)["verdict"] == "altered"


def test_the_command_says_so_when_the_file_is_missing(tmp_path):
    with pytest.raises(CommandError) as raised:
        call_command("verify_pdf", str(tmp_path / "nergens.pdf"))
    assert raised.value.returncode == 1


def test_the_command_may_be_written_with_a_hyphen(monkeypatch):
    import django.core.management

    from balie.__main__ import main

    seen = []
    monkeypatch.setattr(django.core.management, "execute_from_command_line", seen.append)
    monkeypatch.setattr("sys.argv", ["balie", "verify-pdf", "some-file.pdf", "--json"])
    main()
    assert seen == [["balie", "verify_pdf", "some-file.pdf", "--json"]]
