"""The approval certificate (APR-7): the PDF names the exact version's hash and every decision with
its evidence, for the firm and for the members of the environment."""

import io
from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from balie.accounts.factories import UserFactory
from balie.approvals import decisions, services
from balie.approvals.certificate import approval_certificate_pdf
from balie.approvals.models import Request
from balie.approvals.states import Status
from balie.clients.factories import MembershipFactory
from balie.dossiers.services import document_add, dossier_create
from balie.dossiers.tests.utils import PDF
from balie.twostep.stepup import Confirmation

pytestmark = pytest.mark.django_db


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def approval(personas):
    from django.core.files.uploadedfile import SimpleUploadedFile

    personas.company.memberships.filter(user=personas.employee).update(is_director=True)
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
    return services.request_create(
        document=document, actor=personas.staff.user, audience="directors", required="all", after="nothing"
    )


def decide(personas, approval, *, at: datetime):
    with time_machine.travel(at, tick=False):  # a fixed moment to read back (a decision is never updated)
        return decisions.request_decide(
            approval=approval,
            user=personas.client_user,
            outcome="approved",
            comment="Klopt, graag indienen.",
            confirmation=Confirmation(factor="sms", challenge_id="c-1", confirmed_at=at),
            ip_address="192.0.2.44",
            user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
        )


def test_the_certificate_names_the_hash_and_each_decision_with_its_evidence(personas, approval):
    decide(personas, approval, at=datetime(2025, 1, 15, 9, 30, 5, tzinfo=UTC))
    decisions.decision_record_outside(
        approval=approval,
        user=personas.employee,
        outcome="approved",
        comment="",
        note="Per telefoon op 16 januari, teruggebeld op het bekende nummer.",
        recorded_by=personas.staff.user,
    )
    with translation.override("en"):
        pdf = approval_certificate_pdf(approval, evidence="full")
    assert pdf.startswith(b"%PDF")
    text = text_of(pdf)
    assert approval.version.sha256 in text
    assert "Van Dijk" in text and "Bakker B.V." in text and "Aangifte omzetbelasting Q3" in text
    assert "2025 Q3" in text and "VAT return" in text
    # the client's own decision, with when (Amsterdam time: 09:30 UTC is 10:30 CET), how and from where
    assert "client@firm-a.test" in text
    assert "15 January 2025 10:30:05 (CET, Europe/Amsterdam)" in text
    assert "Klopt, graag indienen." in text and "SMS code" in text and "192.0.2.44" in text
    assert "Firefox/128.0" in text
    # the decision given outside the portal, marked, with who recorded it and how it was given
    assert "Given outside the portal" in text and "Recorded by" in text and "staff@firm-a.test" in text
    assert "Per telefoon op 16 januari" in text
    assert "Approved" in text  # the current status: all directors approved
    assert Request.objects.get(pk=approval.pk).status == Status.APPROVED


def test_the_certificate_is_in_the_language_asked_for(personas, approval):
    decide(personas, approval, at=datetime(2025, 7, 1, 12, 0, tzinfo=UTC))
    text = text_of(approval_certificate_pdf(approval, evidence="full", language="nl"))
    assert "1 juli 2025 14:00:00 (CEST, Europe/Amsterdam)" in text
    assert approval.version.sha256 in text


def test_staff_download_the_certificate(client, personas, approval):
    decide(personas, approval, at=datetime(2025, 1, 15, 9, 30, tzinfo=UTC))
    client.force_login(personas.staff.user)
    response = client.get(reverse("approvals_staff:certificate", args=[approval.public_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="accordering-aangifte-omzetbelasting-q3-v1.pdf"'
    assert set(response["Cache-Control"].split(", ")) == {"private", "no-store"}
    text = text_of(response.content)
    assert approval.version.sha256 in text and "192.0.2.44" in text


def test_members_of_the_environment_download_the_certificate_without_ip_addresses_or_browsers(
    client, personas, approval
):
    """Every member may download the client's copy: who decided, when, what and how it was confirmed,
    but not where from (IP address) or with what (user agent); the firm's copy keeps those."""
    decide(personas, approval, at=datetime(2025, 1, 15, 9, 30, tzinfo=UTC))
    url = reverse("approvals_staff:client_certificate", args=[personas.company.public_id, approval.public_id])
    for member in (personas.client_user, personas.employee):
        client.force_login(member)
        response = client.get(url)
        assert response.status_code == 200, member
        text = text_of(response.content)
        assert approval.version.sha256 in text and "client@firm-a.test" in text
        assert "192.0.2.44" not in text and "Firefox" not in text and "Mozilla" not in text


def test_the_clients_copy_leaves_out_the_ip_address_and_user_agent(personas, approval):
    decide(personas, approval, at=datetime(2025, 1, 15, 9, 30, tzinfo=UTC))
    with translation.override("en"):
        full = text_of(approval_certificate_pdf(approval, evidence="full"))
        mine = text_of(approval_certificate_pdf(approval, evidence="client"))
    assert "192.0.2.44" in full and "Firefox/128.0" in full and "IP address" in full
    assert "192.0.2.44" not in mine and "Firefox" not in mine and "User agent" not in mine
    assert "the firm keeps the further evidence (IP address and browser) on record" in mine.replace("\n", " ")
    assert "SMS code" in mine and "Klopt, graag indienen." in mine and approval.version.sha256 in mine
    with pytest.raises(ValueError):
        approval_certificate_pdf(approval, evidence="everything")


def test_others_cannot_download_the_certificate(client, personas, approval):
    stranger = UserFactory(email="holding@example.test")
    MembershipFactory(user=stranger, client=personas.holding)
    company_url = reverse("approvals_staff:client_certificate", args=[personas.company.public_id, approval.public_id])
    via_holding = reverse("approvals_staff:client_certificate", args=[personas.holding.public_id, approval.public_id])
    for user, url in ((stranger, company_url), (stranger, via_holding), (personas.client_user, via_holding)):
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.force_login(personas.outsider_staff.user)
    assert client.get(reverse("approvals_staff:certificate", args=[approval.public_id])).status_code == 404


def test_the_certificate_of_an_undecided_request_says_so(personas, approval):
    with translation.override("en"):
        text = text_of(approval_certificate_pdf(approval, evidence="full"))
    assert "Nobody has decided yet." in text and "Open" in text
