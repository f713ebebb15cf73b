"""Sign requests end to end in the services: turns, sealing, the signed version, and bad input."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from balie.approvals.models import Decision, Kind, Request
from balie.approvals.states import Status
from balie.signing import pdf, sealing, seals, services, signatures
from balie.signing.models import Signature, SignedFile
from balie.signing.tests.support import annual_accounts, company_with_directors, new_pdf_version, sign
from balie.todos.models import Todo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(monkeypatch):
    """Texts are checked in their msgid form: everyone here reads English, pages and services."""
    from django.utils import translation

    from balie.accounts.models import User

    monkeypatch.setattr(User._meta.get_field("language"), "_get_default", lambda: "en")
    with translation.override("en"):
        yield


def _open_sign_todos(user):
    return Todo.objects.filter(status=Todo.Status.OPEN, kind=Todo.Kind.SIGN, assignees=user)


def test_two_signers_in_order_end_with_a_signed_version(personas, django_capture_on_commit_callbacks):
    company = company_with_directors(personas)
    first, second = company.directors
    document = annual_accounts(company.client, actor=personas.staff.user)
    original = document.current_version
    approval = services.sign_request_create(document=document, actor=personas.staff.user, signers=[first, second])
    assert approval.kind == Kind.SIGN and approval.status == Status.OPEN
    assert _open_sign_todos(first).count() == 1
    assert _open_sign_todos(second).count() == 0  # not their turn yet
    assert "not your turn" in signatures.why_not_signable(approval=approval, user=second)

    sign(approval, first, django_capture_on_commit_callbacks)
    signature = Signature.objects.get(request=approval, signer__user=first)
    assert signature.state == Signature.State.SEALED and signature.progress == 100
    assert _open_sign_todos(first).count() == 0
    assert _open_sign_todos(second).count() == 1  # the next signer is asked once the first is sealed

    sign(approval, second, django_capture_on_commit_callbacks)
    approval.refresh_from_db()
    document.refresh_from_db()
    assert approval.status == Status.SIGNED
    signed = SignedFile.objects.get(request=approval)
    assert document.current_version == signed.version and document.current_version != original
    assert document.current_version.number == 2
    data = sealing.read_signed(signed)
    report = pdf.verify(data, trust_roots=seals.trust_roots())
    assert report.intact and report.trusted
    assert [each.name for each in report.signatures] == [first.get_full_name(), second.get_full_name()]
    assert data.startswith(sealing.read_version(original))
    # Evidence: each signature is a decision on the original's SHA-256.
    decisions = Decision.objects.filter(request=approval, outcome=Decision.Outcome.SIGNED)
    assert {each.version_sha256 for each in decisions} == {original.sha256}
    assert not Todo.objects.filter(status=Todo.Status.OPEN, kind=Todo.Kind.SIGN).exists()


def test_signing_twice_is_refused(personas, django_capture_on_commit_callbacks):
    company = company_with_directors(personas)
    first, second = company.directors
    document = annual_accounts(company.client, actor=personas.staff.user)
    approval = services.sign_request_create(document=document, actor=personas.staff.user, signers=[first, second])
    sign(approval, first, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError, match="You signed this document on"):
        sign(approval, first, django_capture_on_commit_callbacks)
    assert Signature.objects.filter(request=approval).count() == 1


def test_signing_out_of_order_is_refused(personas, django_capture_on_commit_callbacks):
    company = company_with_directors(personas)
    first, second = company.directors
    document = annual_accounts(company.client, actor=personas.staff.user)
    approval = services.sign_request_create(document=document, actor=personas.staff.user, signers=[first, second])
    with pytest.raises(ValidationError, match="not your turn"):
        sign(approval, second, django_capture_on_commit_callbacks)
    assert not Signature.objects.filter(request=approval).exists()
    assert not Decision.objects.filter(request=approval).exists()


def test_parallel_signers_may_sign_in_any_order(personas, django_capture_on_commit_callbacks):
    company = company_with_directors(personas)
    first, second = company.directors
    document = annual_accounts(company.client, actor=personas.staff.user)
    approval = services.sign_request_create(
        document=document, actor=personas.staff.user, signers=[first, second], in_order=False
    )
    assert _open_sign_todos(second).count() == 1
    sign(approval, second, django_capture_on_commit_callbacks)
    sign(approval, first, django_capture_on_commit_callbacks)
    approval.refresh_from_db()
    assert approval.status == Status.SIGNED
    report = pdf.verify(sealing.read_signed(approval.signed_file), trust_roots=seals.trust_roots())
    assert report.intact and len(report.signatures) == 2


def test_a_new_version_after_the_first_signature_restarts_the_request(personas, django_capture_on_commit_callbacks):
    company = company_with_directors(personas)
    first, second = company.directors
    document = annual_accounts(company.client, actor=personas.staff.user)
    approval = services.sign_request_create(document=document, actor=personas.staff.user, signers=[first, second])
    sign(approval, first, django_capture_on_commit_callbacks)
    new_pdf_version(document, actor=personas.staff.user)
    approval.refresh_from_db()
    assert approval.status == Status.REPLACED
    restarted = Request.objects.get(replaces=approval)
    assert restarted.kind == Kind.SIGN and restarted.status == Status.OPEN
    assert list(restarted.signers.values_list("user_id", flat=True)) == [first.pk, second.pk]
    assert not Signature.objects.filter(request=restarted).exists()
    # The first signature stays on the old version's signed file.
    old = pdf.verify(sealing.read_signed(approval.signed_file), trust_roots=seals.trust_roots())
    assert old.intact and [each.name for each in old.signatures] == [first.get_full_name()]
    assert _open_sign_todos(first).count() == 1  # asked again, on the new version


def test_the_firm_signs_first(personas, django_capture_on_commit_callbacks):
    company = company_with_directors(personas, count=1)
    (director,) = company.directors
    accountant = personas.staff.user
    document = annual_accounts(company.client, actor=accountant)
    approval = services.sign_request_create(
        document=document, actor=accountant, signers=[director], firm_signer=accountant
    )
    assert "not your turn" in signatures.why_not_signable(approval=approval, user=director)
    sign(approval, accountant, django_capture_on_commit_callbacks)
    assert _open_sign_todos(director).count() == 1
    sign(approval, director, django_capture_on_commit_callbacks)
    approval.refresh_from_db()
    assert approval.status == Status.SIGNED
    names = [each.name for each in pdf.verify(sealing.read_signed(approval.signed_file), trust_roots=[]).signatures]
    assert names == [accountant.get_full_name(), director.get_full_name()]


def test_declining_needs_a_reason_and_stops_the_request(personas, django_capture_on_commit_callbacks):
    company = company_with_directors(personas)
    first, _second = company.directors
    document = annual_accounts(company.client, actor=personas.staff.user)
    approval = services.sign_request_create(document=document, actor=personas.staff.user, signers=company.directors)
    with pytest.raises(ValidationError):
        signatures.signature_decline(approval=approval, user=first, reason="  ")
    signatures.signature_decline(approval=approval, user=first, reason="De balans klopt niet.")
    approval.refresh_from_db()
    assert approval.status == Status.REJECTED
    assert not Todo.objects.filter(status=Todo.Status.OPEN, kind=Todo.Kind.SIGN).exists()


def test_non_pdf_and_encrypted_pdf_are_refused(personas):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from balie.dossiers.services import document_add, dossier_create
    from balie.signing.tests.pdfs import make_encrypted_pdf

    company = company_with_directors(personas)
    dossier = dossier_create(client=company.client, description="Jaarwerk")
    upload = SimpleUploadedFile("beveiligd.pdf", make_encrypted_pdf(), content_type="application/pdf")
    document = document_add(dossier=dossier, upload=upload, direction="firm", actor=personas.staff.user)
    with pytest.raises(ValidationError) as error:
        services.sign_request_create(document=document, actor=personas.staff.user, signers=company.directors)
    assert error.value.code == "encrypted"
    assert not Request.objects.filter(document=document).exists()


def test_sixty_pages_are_sealed_by_the_job_not_in_the_request(personas, django_capture_on_commit_callbacks):

    company = company_with_directors(personas, count=1)
    (director,) = company.directors
    document = annual_accounts(company.client, actor=personas.staff.user, pages=60)
    approval = services.sign_request_create(document=document, actor=personas.staff.user, signers=[director])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        from balie.signing.tests.pdfs import make_signature_png
        from balie.signing.tests.support import confirmation

        signature = signatures.signature_add(
            approval=approval,
            user=director,
            image_png=make_signature_png(),
            method="drawn",
            confirmation=confirmation(),
        )
    # The request only recorded the signature and queued the job: nothing was sealed yet.
    signature.refresh_from_db()
    assert signature.state == Signature.State.QUEUED and signature.progress == 0
    assert not SignedFile.objects.get(request=approval).key
    assert len(callbacks) == 1
    callbacks[0]()  # the job
    signature.refresh_from_db()
    assert signature.state == Signature.State.SEALED
    data = sealing.read_signed(SignedFile.objects.get(request=approval))
    report = pdf.verify(data, trust_roots=seals.trust_roots())
    assert report.intact
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader

    assert int(PdfFileReader(io.BytesIO(data)).root["/Pages"]["/Count"]) == 61


def test_a_failed_seal_is_retried_by_the_firm(personas, django_capture_on_commit_callbacks, monkeypatch):
    company = company_with_directors(personas, count=1)
    (director,) = company.directors
    document = annual_accounts(company.client, actor=personas.staff.user)
    approval = services.sign_request_create(document=document, actor=personas.staff.user, signers=[director])

    def broken(*args, **kwargs):
        raise RuntimeError("certificate store unavailable")

    monkeypatch.setattr(services.pdf, "sign", broken)
    sign(approval, director, django_capture_on_commit_callbacks)
    signature = Signature.objects.get(request=approval)
    assert signature.state == Signature.State.FAILED and "unavailable" in signature.error
    approval.refresh_from_db()
    assert approval.status == Status.OPEN  # not finished on a failed seal
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        sealing.seal_retry(approval=approval, actor=personas.staff.user)
    signature.refresh_from_db()
    approval.refresh_from_db()
    assert signature.state == Signature.State.SEALED and approval.status == Status.SIGNED


def test_a_second_worker_with_a_stale_view_leaves_a_sealed_signature_alone(
    personas, django_capture_on_commit_callbacks
):
    company = company_with_directors(personas)
    first, second = company.directors
    document = annual_accounts(company.client, actor=personas.staff.user)
    approval = services.sign_request_create(document=document, actor=personas.staff.user, signers=[first, second])
    with django_capture_on_commit_callbacks(execute=False):
        from balie.signing.tests.pdfs import make_signature_png
        from balie.signing.tests.support import confirmation

        signatures.signature_add(
            approval=approval, user=first, image_png=make_signature_png(), method="drawn", confirmation=confirmation()
        )
    stale = sealing._next_queued(approval.pk)  # what a second worker read before the first one sealed it
    sealing.seal_pending(request_id=approval.pk)  # the first worker seals it
    assert sealing._seal_one(stale) is False
    signature = Signature.objects.get(request=approval)
    assert signature.state == Signature.State.SEALED
    assert SignedFile.objects.get(request=approval).sealed == 1
    assert _open_sign_todos(second).count() == 1  # the request goes on


def test_a_lost_lease_is_not_released_by_its_former_holder(personas):
    company = company_with_directors(personas, count=1)
    document = annual_accounts(company.client, actor=personas.staff.user)
    approval = services.sign_request_create(document=document, actor=personas.staff.user, signers=company.directors)
    SignedFile.objects.create(request=approval)
    first = sealing._claim(approval.pk)
    assert first and not sealing._claim(approval.pk)  # held
    SignedFile.objects.filter(request=approval).update(sealing_until=None)  # as if it expired
    second = sealing._claim(approval.pk)
    assert second and second != first
    assert not sealing._renew(approval.pk, first)  # the first worker notices it lost the lease
    sealing._release(approval.pk, first)
    signed = SignedFile.objects.get(request=approval)
    assert signed.lease == second and signed.sealing_until is not None  # the new holder keeps it


def test_the_next_turn_waits_until_the_signature_before_it_is_sealed(
    personas, django_capture_on_commit_callbacks, monkeypatch
):
    company = company_with_directors(personas, count=1)
    (director,) = company.directors
    accountant = personas.staff.user
    document = annual_accounts(company.client, actor=accountant)
    approval = services.sign_request_create(
        document=document, actor=accountant, signers=[director], firm_signer=accountant
    )

    def broken(*args, **kwargs):
        raise RuntimeError("timestamp authority down")

    monkeypatch.setattr(services.pdf, "sign", broken)
    sign(approval, accountant, django_capture_on_commit_callbacks)  # recorded, not sealed
    assert "still being sealed" in signatures.why_not_signable(approval=approval, user=director)
    with pytest.raises(ValidationError):
        sign(approval, director, django_capture_on_commit_callbacks)
    assert _open_sign_todos(director).count() == 0


def test_the_signing_record_in_the_pdf_names_no_e_mail_address(personas, django_capture_on_commit_callbacks):
    company = company_with_directors(personas, count=1)
    (director,) = company.directors
    document = annual_accounts(company.client, actor=personas.staff.user)
    approval = services.sign_request_create(document=document, actor=personas.staff.user, signers=[director])
    sign(approval, director, django_capture_on_commit_callbacks, ip="192.0.2.44")
    line = sealing.audit_line(Signature.objects.get(request=approval))
    assert director.get_full_name() in line and "192.0.2.44" in line  # who and from where (APR-6)
    assert director.email not in line
