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

from balie.signing import forms_verify, pdf, pdf_verify, sealing, seals, services, verification
from balie.signing.models import FirmSeal
from balie.signing.tests.pdfs import make_pdf
from balie.signing.tests.support import annual_accounts, company_with_directors, sign
from balie.signing.views import verify as views_verify

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
    return sealing.read_signed(approval.signed_file), company.directors


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
    assert "known: the seal of Van Dijk" in page and "unknown certificate" not in page
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
    assert "unknown certificate" in page and "known: the seal of" not in page
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
    monkeypatch.setattr(forms_verify, "MAX_BYTES", 1000)
    client.force_login(personas.client_user)
    response = _check(client, make_pdf(3))
    assert response.status_code == 400
    assert "This file is larger than" in response.content.decode()
    assert "data-verdict" not in response.content.decode()


def test_the_page_takes_pdfs_up_to_20_mb_and_says_so(client, personas, monkeypatch):
    client.force_login(personas.client_user)
    with translation.override("en"):
        page = client.get(reverse(URL)).content.decode()
    assert "PDF files up to 20.0\xa0MB." in page
    monkeypatch.setattr(verification, "check", _not_checked)
    response = _check(client, b"%PDF-1.7\n" + bytes(20 * 1024 * 1024))
    assert response.status_code == 400
    page = response.content.decode()
    assert "This file is larger than 20.0\xa0MB. Only PDFs up to that size can be checked here." in page
    assert "data-verdict" not in page


def _not_checked(data):
    raise AssertionError("this file should not have been checked")


def _counting(monkeypatch) -> list:
    """Counts the files ``verification.check`` is given, and checks them as ever."""
    checked, check = [], verification.check
    monkeypatch.setattr(verification, "check", lambda data: checked.append(data) or check(data))
    return checked


LIMITED = "Too many PDFs have been checked in a short time. Wait a few minutes and try again."


def test_the_eleventh_check_in_ten_minutes_is_refused_and_someone_else_goes_on(
    still_clock, client, personas, monkeypatch
):
    checked = _counting(monkeypatch)
    data = make_pdf(1)
    client.force_login(personas.client_user)
    for _number in range(10):
        response = _check(client, data)
        assert response.status_code == 200 and 'data-verdict="unsigned"' in response.content.decode()
    response = _check(client, data)
    assert response.status_code == 429 and response["Retry-After"] == "600"
    page = response.content.decode()
    assert LIMITED in page and 'id="verify-refused"' in page
    assert 'id="verify-form"' in page and 'name="file"' in page  # the form stays, to try again later
    assert "data-verdict" not in page and len(checked) == 10  # the eleventh file was not checked

    client.force_login(personas.staff.user)  # someone else, from the same address
    response = _check(client, data)
    assert response.status_code == 200 and 'data-verdict="unsigned"' in response.content.decode()
    assert LIMITED not in response.content.decode() and len(checked) == 11


def test_one_address_may_check_30_pdfs_in_ten_minutes_whoever_checks(still_clock, client, personas, monkeypatch):
    from balie.accounts.factories import UserFactory

    checked = _counting(monkeypatch)
    data = make_pdf(1)
    people = [UserFactory(language="en") for _number in range(4)]
    for person in people[:3]:
        client.force_login(person)
        for _number in range(10):
            assert _check(client, data).status_code == 200
    assert len(checked) == 30
    client.force_login(people[3])  # a fresh person, but the address has had its 30
    response = _check(client, data)
    assert response.status_code == 429 and LIMITED in response.content.decode() and len(checked) == 30
    upload = SimpleUploadedFile("jaarrekening.pdf", data, content_type="application/pdf")
    with translation.override("en"):
        response = client.post(reverse(URL), {"file": upload}, REMOTE_ADDR="192.0.2.7")  # another address
    assert response.status_code == 200 and len(checked) == 31


def test_an_ipv6_address_counts_for_its_network(rf, personas):
    request = rf.post(reverse(URL), REMOTE_ADDR="2001:db8:1:2:aaaa::1")
    other = rf.post(reverse(URL), REMOTE_ADDR="2001:db8:1:2:bbbb::2")
    assert views_verify._ip_source(request) == views_verify._ip_source(other) == "2001:db8:1:2::"
    assert views_verify._ip_source(rf.post(reverse(URL), REMOTE_ADDR="192.0.2.7")) == "192.0.2.7"


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


@pytest.mark.once
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
    assert "known: the seal of " in output and "Covers: the whole document as it is now" in output


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


def test_a_pdf_with_more_signatures_than_are_checked_here_is_not_validated(
    monkeypatch, personas, django_capture_on_commit_callbacks
):
    company = company_with_directors(personas)
    document = annual_accounts(company.client, actor=personas.staff.user)
    approval = services.sign_request_create(document=document, actor=personas.staff.user, signers=company.directors)
    for director in company.directors:
        sign(approval, director, django_capture_on_commit_callbacks)
    data = sealing.read_signed(approval.signed_file)
    monkeypatch.setattr(pdf_verify, "MAX_SIGNATURES_TO_CHECK", 1)
    called = []
    monkeypatch.setattr(pdf_verify, "_signature_report", lambda *args, **kwargs: called.append(1))
    result = verification.check(data)
    assert result.verdict == verification.TOO_MANY and not called
    assert "more digital signatures than can be checked here" in result.explanation
