"""Demo signing (APR-6), made through the same services as the pages.

The BV's annual accounts were signed by Sanne for the firm and now wait for Pieter's signature; the
publication documents for the KvK wait for that signature (BEY-2). The holding's letter of
representation was signed by Pieter already: its signed PDF is the document's newest version, with
the audit page, and can be checked on the verification page.
"""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from balie.core.demo import DemoContext

HINTS = [
    "Signing: Pieter signs the BV's annual accounts (Taken → Ondertekenen), drawing with the mouse or a finger; "
    "Sanne signed first for the firm. The holding's signed letter of representation can be downloaded and checked "
    "under Ondertekende pdf controleren (the menu under your name)."
]


def _report(title: str, pages: list[list[str]], *, signature_lines: list[str]) -> bytes:
    """A plain multi-page report, its last page ending with the places to sign."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    page.setTitle(title)
    total = len(pages)
    for number, lines in enumerate(pages, start=1):
        page.setFont("Helvetica-Bold", 15)
        page.drawString(72, 770, title)
        page.setFont("Helvetica", 10.5)
        for index, line in enumerate(lines):
            page.drawString(72, 735 - index * 16, line)
        if number == total:
            page.setFont("Helvetica-Bold", 11)
            page.drawString(72, 190, "Ondertekening")
            page.setFont("Helvetica", 10)
            for index, line in enumerate(signature_lines):
                page.drawString(72, 172 - index * 14, line)
        page.setFont("Helvetica", 8)
        page.drawRightString(523, 40, f"Pagina {number} van {total}")
        page.showPage()
    page.save()
    return buffer.getvalue()


def _publish(dossier, folder_name: str, name: str, title: str, actor, *, doc_type: str, content: bytes, year: int):
    from balie.dossiers.services import document_add

    folder = dossier.folders.filter(name=folder_name).first()
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    return document_add(
        dossier=dossier,
        folder=folder,
        upload=upload,
        title=title,
        direction="firm",
        actor=actor,
        doc_type=doc_type,
        year=year,
        request_kind="sign",
        message="Graag ondertekenen.",
    )


def _sign(approval, user, *, name: str = "", factor: str = "sms"):
    from balie.signing import images, sealing, signatures
    from balie.twostep.stepup import Confirmation

    signatures.signature_add(
        approval=approval,
        user=user,
        image_png=images.typed_png(name or user.get_full_name()),
        method="typed",
        typed_name=name or user.get_full_name(),
        confirmation=Confirmation(factor=factor, challenge_id="", confirmed_at=timezone.now()),
        ip_address="192.0.2.10",
        user_agent="Mozilla/5.0 (demo)",
    )
    sealing.seal_pending(request_id=approval.pk)  # at once, so the demo starts with the sealed PDF


def load(context: DemoContext) -> None:
    from balie.approvals.flows import after_unavailable
    from balie.approvals.models import After, Audience
    from balie.approvals.services import request_create
    from balie.dossiers.models import DocumentType, Dossier
    from balie.signing.services import sign_request_create

    objects = context.objects
    sanne, mark, pieter = objects["sanne"].user, objects["mark"].user, objects["pieter"]
    year = timezone.localdate().year - 1

    company_dossier = Dossier.objects.filter(client=objects["company"]).order_by("pk").first()
    accounts = _publish(
        company_dossier,
        "Jaarrekening",
        f"Jaarrekening {year}.pdf",
        f"Jaarrekening {year}",
        sanne,
        doc_type=DocumentType.ANNUAL_ACCOUNTS,
        year=year,
        content=_report(
            f"Jaarrekening {year} — Bakker Installatietechniek B.V.",
            [
                ["Inhoud", "1. Balans per 31 december", "2. Winst- en verliesrekening", "3. Toelichting"],
                ["Balans per 31 december", "Vaste activa EUR 182.400", "Vlottende activa EUR 96.150"],
                ["Winst- en verliesrekening", "Netto-omzet EUR 1.204.300", "Resultaat na belasting EUR 88.720"],
            ],
            signature_lines=["Namens Van Dijk & Partners Accountants", "Directie Bakker Installatietechniek B.V."],
        ),
    )
    approval = sign_request_create(
        document=accounts,
        actor=sanne,
        signers=[pieter],
        firm_signer=sanne,
        due_date=timezone.localdate() + timedelta(days=14),
    )
    _sign(approval, sanne, factor="totp")
    # The follow-up of seed 003: the publication documents go to the KvK once the accounts are signed.
    publication = _publish(
        company_dossier,
        "Jaarrekening",
        f"Publicatiestukken {year}.pdf",
        f"Publicatiestukken {year}",
        sanne,
        doc_type=DocumentType.PUBLICATION,
        year=year,
        content=_report(f"Publicatiestukken {year}", [["Balans (verkort)", "Toelichting"]], signature_lines=[]),
    )
    publication.request_kind = "approve"
    publication.save(update_fields=["request_kind"])
    after = After.DIGIPOORT if not after_unavailable(firm=publication.client.firm, after=After.DIGIPOORT) else ""
    request_create(
        document=publication,
        actor=sanne,
        kind="approve",
        audience=Audience.DIRECTORS,
        after=after or After.NOTHING,
        waits_for=approval,
    )

    holding_dossier = Dossier.objects.filter(client=objects["holding"]).order_by("pk").first()
    letter = _publish(
        holding_dossier,
        "Jaarrekening",
        f"Bevestiging bij de jaarrekening {year}.pdf",
        f"Bevestiging bij de jaarrekening {year}",
        mark,
        doc_type=DocumentType.REPRESENTATION_LETTER,
        year=year,
        content=_report(
            f"Bevestiging bij de jaarrekening {year} — Bakker Holding B.V.",
            [
                [
                    "Aan Van Dijk & Partners Accountants",
                    "Hierbij bevestigen wij dat de jaarrekening een getrouw beeld geeft",
                    "en dat wij u alle relevante informatie hebben verstrekt.",
                ]
            ],
            signature_lines=["Directie Bakker Holding B.V."],
        ),
    )
    signed = sign_request_create(document=letter, actor=mark, signers=[pieter])
    _sign(signed, pieter)
