"""What the signing tests share: a company with two directors, an annual report to sign, and
signing as the views do it (with the sealing job run when the transaction would commit)."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from balie.approvals.tests.client_support import company_with_directors, confirmation
from balie.signing import signatures
from balie.signing.tests.pdfs import make_pdf, make_signature_png

__all__ = ["company_with_directors", "confirmation", "annual_accounts", "sign", "new_pdf_version"]


def annual_accounts(client, *, actor, pages: int = 3, title: str = "Jaarrekening 2025"):
    from balie.dossiers.models import Dossier
    from balie.dossiers.services import document_add, dossier_create

    dossier = Dossier.objects.filter(client=client).first() or dossier_create(client=client, description="Jaarwerk")
    upload = SimpleUploadedFile(f"{title}.pdf", make_pdf(pages, title=title), content_type="application/pdf")
    return document_add(
        dossier=dossier,
        upload=upload,
        direction="firm",
        actor=actor,
        title=title,
        doc_type="annual_accounts",
        year=2025,
        request_kind="sign",
    )


def new_pdf_version(document, *, actor):
    from balie.dossiers.services import document_replace

    upload = SimpleUploadedFile("v2.pdf", make_pdf(2, title="Jaarrekening 2025 v2"), content_type="application/pdf")
    return document_replace(document=document, upload=upload, actor=actor)


def sign(approval, user, capture, *, factor: str = "sms", ip: str = "192.0.2.10"):
    """Signs as ``user`` and runs the sealing job the commit would start."""
    with capture(execute=True):
        return signatures.signature_add(
            approval=approval,
            user=user,
            image_png=make_signature_png(),
            method="drawn",
            confirmation=confirmation(factor),
            ip_address=ip,
            user_agent="pytest",
        )
