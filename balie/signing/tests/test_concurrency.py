"""Signers acting at the same moment, on PostgreSQL with one connection per person: every signature
is sealed once, one after the other, and the final PDF holds them all; a double click signs once."""

import pytest

from balie.approvals.models import Decision
from balie.approvals.states import Status
from balie.core.testing import race, skip_unless_postgresql
from balie.signing import pdf, sealing, seals, services, signatures
from balie.signing.models import Signature, SignedFile
from balie.signing.tests.pdfs import make_signature_png
from balie.signing.tests.support import annual_accounts, company_with_directors, confirmation

pytestmark = pytest.mark.django_db(transaction=True)


def _sign(approval):
    def act(user):
        signatures.signature_add(
            approval=approval, user=user, image_png=make_signature_png(), method="drawn", confirmation=confirmation()
        )

    return act


def test_parallel_signers_at_once_are_all_sealed_in_one_valid_pdf(personas):
    skip_unless_postgresql()
    company = company_with_directors(personas, count=4)
    document = annual_accounts(company.client, actor=personas.staff.user)
    approval = services.sign_request_create(
        document=document, actor=personas.staff.user, signers=company.directors, in_order=False
    )
    assert race(_sign(approval), company.directors) == ["ok"] * 4
    # Each signature's job ran after its commit; the lease let one worker seal them one by one.
    assert set(Signature.objects.filter(request=approval).values_list("state", flat=True)) == {"sealed"}
    signed = SignedFile.objects.get(request=approval)
    assert signed.sealed == 4 and signed.sealing_until is None
    approval.refresh_from_db()
    assert approval.status == Status.SIGNED
    report = pdf.verify(sealing.read_signed(signed), trust_roots=seals.trust_roots())
    assert report.intact and len(report.signatures) == 4


def test_a_double_click_signs_once(personas):
    skip_unless_postgresql()
    company = company_with_directors(personas, count=2)
    first = company.directors[0]
    document = annual_accounts(company.client, actor=personas.staff.user)
    approval = services.sign_request_create(document=document, actor=personas.staff.user, signers=company.directors)
    outcomes = race(_sign(approval), [first, first])
    assert outcomes == ["not_signable", "ok"]
    assert Decision.objects.filter(request=approval, user=first).count() == 1
    assert Signature.objects.filter(request=approval).count() == 1
