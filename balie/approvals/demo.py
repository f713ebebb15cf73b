"""Demo approvals (APR-1 .. APR-8), made through the same services as the pages.

Pieter's BV has its VAT return waiting for his Akkoord (nothing follows it: the demo firm has no
software connected) and an earlier one he did not approve (the
firm sees why); the holding's corporate tax return is approved and waits under Klaar om te
verzenden, so sending it shows the Digipoort simulator's receipt. Fatima's income tax return waits
for her Akkoord. The firm publishes the BV's company details for review and the holding's draft
annual accounts for approval, as the publish page does.
"""

from datetime import timedelta

from django.utils import timezone

from balie.core.demo import DemoContext

HINTS = [
    "Reviews: Pieter marks the BV's company details as seen and approves the holding's draft annual accounts (Taken).",
    "Approvals: Pieter gives Akkoord on the BV's VAT return (Accorderingen), and sends the holding's corporate "
    "tax return from Klaar om te verzenden; the Digipoort simulator answers after about 20 seconds. Sanne sees "
    "the rejected VAT return of Q2 with its reason under Accorderingen.",
]


def _ask(document, actor, *, due_days=14):
    from balie.approvals.flows import after_unavailable, flow_for
    from balie.approvals.models import After
    from balie.approvals.services import request_create

    spec = flow_for(firm=document.client.firm, doc_type=document.doc_type)
    after = spec.after
    if after == After.FIRM_SOFTWARE and after_unavailable(firm=document.client.firm, after=after):
        after = After.NOTHING  # as the publish form proposes: the demo firm has no software connected
    return request_create(
        document=document,
        actor=actor,
        kind=spec.mode if spec.mode in ("approve", "review") else "approve",
        audience=spec.audience,
        required=spec.required,
        after=after,
        due_date=timezone.localdate() + timedelta(days=due_days),
    )


def _publish(dossier, folder_name: str, title: str, actor, *, lines: list[str], due_days: int, **fields):
    """Publishes a PDF with a request, as staff do on the publish page."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from balie.dossiers.demo import demo_pdf
    from balie.dossiers.services import document_publish

    upload = SimpleUploadedFile(f"{title}.pdf", demo_pdf(title, *lines), content_type="application/pdf")
    return document_publish(
        dossier=dossier,
        uploads=[upload],
        folder=dossier.folders.get(name=folder_name),
        direction="firm",
        actor=actor,
        period="",
        request_settings={"due_date": timezone.localdate() + timedelta(days=due_days)},
        **fields,
    )


def load(context: DemoContext) -> None:
    from balie.approvals.decisions import request_decide
    from balie.approvals.sending import request_send
    from balie.dossiers.demo import demo_document
    from balie.dossiers.models import Document, DocumentRead, DocumentType
    from balie.twostep.stepup import Confirmation

    objects = context.objects
    mark, pieter = objects["mark"].user, objects["pieter"]
    year = timezone.localdate().year

    def confirmed():
        return Confirmation(factor="sms", challenge_id="", confirmed_at=timezone.now())

    vat = Document.objects.get(client=objects["company"], doc_type=DocumentType.VAT_RETURN)
    _ask(vat, mark, due_days=7)

    earlier = demo_document(
        vat.dossier,
        "Fiscaal",
        "Btw-aangifte Q2.pdf",
        f"Btw-aangifte Q2 {year}",
        "firm",
        mark,
        doc_type=DocumentType.VAT_RETURN,
        year=year,
        period="Q2",
        lines=["Omzet hoog tarief", "Voorbelasting"],
    )
    DocumentRead.objects.create(user=pieter, document=earlier)  # he read it before he decided
    request_decide(
        approval=_ask(earlier, mark),
        user=pieter,
        outcome="rejected",
        comment="De omzet van juni ontbreekt: de factuur aan Installatiebedrijf Smit staat er niet in.",
        confirmation=confirmed(),
        ip_address="192.0.2.10",
        user_agent="Mozilla/5.0 (demo)",
    )

    corporate = Document.objects.get(client=objects["holding"], doc_type=DocumentType.CORPORATE_TAX_RETURN)
    approval = _ask(corporate, mark)
    DocumentRead.objects.create(user=pieter, document=corporate)
    request_decide(
        approval=approval,
        user=pieter,
        outcome="approved",
        comment="Akkoord.",
        confirmation=confirmed(),
        ip_address="192.0.2.10",
        user_agent="Mozilla/5.0 (demo)",
    )
    approval.refresh_from_db()
    request_send(approvals=[approval], actor=pieter, later=True)

    income = Document.objects.get(client=objects["fatima_private"], doc_type=DocumentType.INCOME_TAX_RETURN)
    _ask(income, mark, due_days=21)

    sanne = objects["sanne"].user
    _publish(
        vat.dossier,
        "Permanent",
        f"Bedrijfsgegevens {year}",
        sanne,
        lines=["Statutaire naam, adres en KvK-nummer", "Bestuurders en gemachtigden"],
        due_days=5,
        doc_type=DocumentType.OTHER,
        year=year,
        message="Kloppen uw bedrijfsgegevens nog? Graag controleren.",
        request_kind="review",
    )
    _publish(
        corporate.dossier,
        "Jaarrekening",
        f"Conceptjaarrekening {year - 1}",
        sanne,
        lines=["Balans per 31 december", "Deelneming Bakker Installatietechniek B.V."],
        due_days=14,
        doc_type=DocumentType.CONCEPT_ANNUAL_ACCOUNTS,
        year=year - 1,
        message="Graag doornemen en uw akkoord geven.",
        request_kind="approve",
    )
