"""Demo dossiers: a standing dossier for Pieter Bakker's BV and holding, Fatima's income tax, and
two matters at the notary's office; real PDFs, published and supplied through the services. The
firm asks Pieter (privately) and Fatima to supply a document into their Fiscaal folder."""

from datetime import timedelta
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from balie.core.demo import DemoContext
from balie.dossiers.models import DocumentAccess, DocumentRead, DocumentType, Dossier
from balie.dossiers.services import (
    checklist_add,
    checklist_toggle,
    document_add,
    document_record_access,
    dossier_create,
)
from balie.dossiers.uploads import documents_request

HINTS = [
    "Pieter Bakker's BV has a standing dossier with unread documents; staff publish more under Kantoor.",
    "Tasks: every task under Taken opens the page where it is done; Pieter supplies his bank's annual statement "
    "(Aanleveren) into the Fiscaal folder it was asked for, Fatima her mortgage interest statement.",
]


def demo_pdf(title: str, *lines: str) -> bytes:
    """A one-page PDF with a title and lines of text (for the demos of other apps too)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    page.setTitle(title)
    page.setFont("Helvetica-Bold", 16)
    page.drawString(72, 770, title)
    page.setFont("Helvetica", 11)
    for number, line in enumerate(lines):
        page.drawString(72, 740 - number * 16, line)
    page.showPage()
    page.save()
    return buffer.getvalue()


def demo_document(dossier, folder_name, name, title, direction, actor, **fields):
    """A demo PDF stored as a document through the product's own ``document_add``."""
    folder = dossier.folders.filter(name=folder_name).first() if folder_name else None
    content = demo_pdf(title, *fields.pop("lines", ()))
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    return document_add(
        dossier=dossier, folder=folder, upload=upload, title=title, direction=direction, actor=actor, **fields
    )


def load(context: DemoContext) -> None:
    objects = context.objects
    sanne, mark, jeroen = objects["sanne"].user, objects["mark"].user, objects["jeroen"].user
    pieter = objects["pieter"]
    year = timezone.localdate().year

    company = dossier_create(
        client=objects["company"], description="Doorlopend dossier", number="10232", created_by=sanne
    )
    for title, done in [
        ("Administratie 2025 aangeleverd", True),
        ("Conceptjaarrekening opgesteld", True),
        ("Bespreking jaarrekening", False),
        ("Jaarrekening ondertekend", False),
    ]:
        item = checklist_add(dossier=company, title=title)
        if done:
            checklist_toggle(item=item, done=True)
    concept = demo_document(
        company,
        "Jaarrekening",
        "Conceptjaarrekening 2025.pdf",
        f"Conceptjaarrekening {year - 1}",
        "firm",
        sanne,
        doc_type=DocumentType.CONCEPT_ANNUAL_ACCOUNTS,
        year=year - 1,
        message="Graag doornemen vóór onze bespreking.",
        lines=["Balans per 31 december", "Winst- en verliesrekening"],
    )
    vat = demo_document(
        company,
        "Fiscaal",
        "Btw-aangifte Q3.pdf",
        f"Btw-aangifte Q3 {year}",
        "firm",
        mark,
        doc_type=DocumentType.VAT_RETURN,
        year=year,
        period="Q3",
        lines=["Omzet hoog tarief", "Voorbelasting"],
    )
    letter = demo_document(
        company,
        "Advies",
        "Opdrachtbevestiging.pdf",
        f"Opdrachtbevestiging {year}",
        "correspondence",
        sanne,
        doc_type=DocumentType.ENGAGEMENT_LETTER,
        year=year,
        lines=["Geachte heer Bakker,", "Hierbij bevestigen wij..."],
    )
    demo_document(
        company,
        "Administratie",
        "Bankafschriften september.pdf",
        "Bankafschriften september",
        "client",
        pieter,
        doc_type=DocumentType.OTHER,
        year=year,
        lines=["Rekeningoverzicht september"],
    )
    DocumentRead.objects.create(user=pieter, document=letter)  # one read, the rest new
    # Sanne checked the concept before sending it: in the BV's "Wie heeft mijn gegevens bekeken".
    document_record_access(document=concept, user=sanne, action=DocumentAccess.Action.VIEW, ip_address=None)
    holding = dossier_create(
        client=objects["holding"], description="Doorlopend dossier", number="10231", created_by=sanne
    )
    demo_document(
        holding,
        "Fiscaal",
        "Aangifte Vpb 2025.pdf",
        f"Aangifte vennootschapsbelasting {year - 1}",
        "firm",
        mark,
        doc_type=DocumentType.CORPORATE_TAX_RETURN,
        year=year - 1,
        lines=["Belastbaar bedrag"],
    )
    private = dossier_create(client=objects["fatima_private"], description="Particulier dossier", created_by=sanne)
    demo_document(
        private,
        "Fiscaal",
        "Aangifte IB 2025.pdf",
        f"Aangifte inkomstenbelasting {year - 1}",
        "firm",
        mark,
        doc_type=DocumentType.INCOME_TAX_RETURN,
        year=year - 1,
        lines=["Box 1", "Box 3"],
    )

    # The firm asks for documents: a task that opens the upload page of the folder (overdue for Pieter).
    today = timezone.localdate()
    pieter_private = dossier_create(client=objects["private"], description="Particulier dossier", created_by=sanne)
    documents_request(
        folder=pieter_private.folders.get(name="Fiscaal"),
        title=f"Jaaropgave {year - 1} van de bank",
        actor=mark,
        due_date=today - timedelta(days=2),
    )
    documents_request(
        folder=private.folders.get(name="Fiscaal"),
        title=f"Renteopgave hypotheek {year - 1}",
        actor=mark,
        due_date=today + timedelta(days=10),
    )

    visser = objects["visser"]
    visser.firm.default_folders = ["Akten", "Correspondentie", "Stukken van cliënt"]
    visser.firm.save(update_fields=["default_folders"])
    visser.firm.refresh_from_db()
    house = dossier_create(
        client=visser,
        description="Levering woning Zuiderplein 4",
        number=f"{year}-0142",
        kind=Dossier.Kind.MATTER,
        created_by=jeroen,
    )
    for title in ("Koopovereenkomst ontvangen", "Concept akte verstuurd", "Passeren akte"):
        checklist_add(dossier=house, title=title)
    demo_document(
        house,
        "Akten",
        "Concept leveringsakte.pdf",
        "Concept leveringsakte",
        "firm",
        jeroen,
        doc_type=DocumentType.OTHER,
        year=year,
        lines=["Concept akte van levering"],
    )
    closed = dossier_create(
        client=visser, description="Testament", number=f"{year - 1}-0877", kind=Dossier.Kind.MATTER, created_by=jeroen
    )
    closed.status = Dossier.Status.CLOSED
    closed.save(update_fields=["status"])
    context.objects.update(company_dossier=company, vat_document=vat)
