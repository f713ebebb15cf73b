"""What the client-side approval tests share: a BV with directors, documents to approve, and a
confirmation as the step-up box hands it to the services."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from balie.accounts.factories import UserFactory
from balie.clients.factories import ClientFactory, MembershipFactory
from balie.clients.models import Client, Membership
from balie.dossiers.tests.utils import PDF
from balie.twostep.stepup import Confirmation


@dataclass
class Company:
    client: Client
    directors: list
    handler: object  # may handle documents, not a director
    employee: object  # neither: may look, not act


def company_with_directors(p, *, count: int = 2, name: str = "Jansen B.V.") -> Company:
    """A BV of firm A with ``count`` directors who can sign in, a handler and a plain employee."""
    client = ClientFactory(firm=p.firm, kind=Client.Kind.COMPANY, name=name)
    client.relationship_managers.add(p.staff)
    directors = []
    for number in range(count):
        user = UserFactory(first_name=f"Directeur{'ABCDEFGHIJKL'[number]}", last_name="Jansen")
        MembershipFactory(user=user, client=client, role=Membership.Role.ADMIN, is_director=True)
        directors.append(user)
    handler = UserFactory(first_name="Hanna", last_name="Boekhouder")
    MembershipFactory(user=handler, client=client, role=Membership.Role.EMPLOYEE, may_handle_documents=True)
    employee = UserFactory(first_name="Erik", last_name="Medewerker")
    MembershipFactory(user=employee, client=client, role=Membership.Role.EMPLOYEE)
    return Company(client=client, directors=directors, handler=handler, employee=employee)


def document(client, *, actor, title="Aangifte omzetbelasting Q3", doc_type="vat_return", year=2025, period="Q3"):
    """A PDF the firm shared with ``client`` (in one dossier per environment)."""
    from balie.dossiers.models import Dossier
    from balie.dossiers.services import document_add, dossier_create

    dossier = Dossier.objects.filter(client=client).first() or dossier_create(client=client, description="Belastingen")
    upload = SimpleUploadedFile(f"{title}.pdf", PDF + title.encode(), content_type="application/pdf")
    return document_add(
        dossier=dossier,
        upload=upload,
        direction="firm",
        actor=actor,
        title=title,
        doc_type=doc_type,
        year=year,
        period=period,
        message="Graag uw akkoord.",
    )


def new_version(document, *, actor):
    from balie.dossiers.services import document_replace

    upload = SimpleUploadedFile(
        "v2.pdf", PDF + b"% versie 2 " + uuid.uuid4().bytes.hex().encode(), content_type="application/pdf"
    )
    return document_replace(document=document, upload=upload, actor=actor)


def confirmation(factor: str = "sms") -> Confirmation:
    return Confirmation(factor=factor, challenge_id=str(uuid.uuid4()), confirmed_at=timezone.now())
