"""Demo tenants: two firms that never see each other, staff, and clients with their environments."""

from __future__ import annotations

from allauth.account.models import EmailAddress

from balie.accounts.models import User
from balie.clients.models import Client, Membership
from balie.clients.services import client_create, membership_create
from balie.core.demo import DEMO_PASSWORD, DemoContext
from balie.firms.models import Firm, StaffMember

# (role, e-mail, what to try with it); the same order as printed by ``balie demo``.
LOGINS = [
    ("staff", "sanne.devries@vandijk-partners.example", "Van Dijk & Partners, firm administrator"),
    ("staff", "mark.jansen@vandijk-partners.example", "Van Dijk & Partners, employee"),
    ("client", "pieter.bakker@bakker-installatie.example", "three environments: privé, BV, holding"),
    ("client", "fatima.elamrani@mail.example", "one environment of her own"),
    ("staff", "jeroen.hoekstra@notaris-hoekstra.example", "Notariskantoor Hoekstra (second firm)"),
    ("client", "anna.visser@mail.example", "client of the second firm"),
    ("client", "kees.smit@smit-administratie.example", "bookkeeper (Medewerker) at Pieter's BV until 31 December"),
]


def _user(email: str, first_name: str, last_name: str, *, mobile: str = "", language: str = "nl") -> User:
    user = User.objects.create_user(
        email, DEMO_PASSWORD, first_name=first_name, last_name=last_name, mobile_number=mobile, language=language
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def _staff(firm: Firm, email: str, first: str, last: str, role: str, title: str, phone: str) -> StaffMember:
    return StaffMember.objects.create(
        firm=firm, user=_user(email, first, last), role=role, job_title=title, phone=phone
    )


def loaded() -> bool:
    return Firm.objects.filter(slug="van-dijk-partners").exists()


def load(context: DemoContext) -> None:
    vandijk = Firm.objects.create(
        name="Van Dijk & Partners Accountants",
        slug="van-dijk-partners",
        primary_colour="#1f5f8b",
        email_sender_name="Van Dijk & Partners",
    )
    sanne = _staff(
        vandijk, LOGINS[0][1], "Sanne", "de Vries", StaffMember.Role.ADMIN, "Relatiebeheerder", "+31 30 123 45 67"
    )
    mark = _staff(
        vandijk, LOGINS[1][1], "Mark", "Jansen", StaffMember.Role.EMPLOYEE, "Fiscaal medewerker", "+31 30 123 45 68"
    )

    pieter = _user(LOGINS[2][1], "Pieter", "Bakker", mobile="+31612345678")
    holding = client_create(
        firm=vandijk,
        actor=sanne.user,
        kind=Client.Kind.HOLDING,
        name="Bakker Holding B.V.",
        number="10231",
        kvk_number="61234567",
        street="Industrieweg 12",
        postal_code="3542 AD",
        city="Utrecht",
        relationship_managers=[sanne],
    )
    company = client_create(
        firm=vandijk,
        actor=sanne.user,
        kind=Client.Kind.COMPANY,
        name="Bakker Installatietechniek B.V.",
        number="10232",
        kvk_number="61234568",
        parent=holding,
        street="Industrieweg 12",
        postal_code="3542 AD",
        city="Utrecht",
        email="info@bakker-installatie.example",
        phone="+31 30 765 43 21",
        relationship_managers=[sanne, mark],
    )
    private = client_create(
        firm=vandijk,
        actor=sanne.user,
        kind=Client.Kind.PERSONAL,
        name="P.J. Bakker (privé)",
        number="10230",
        street="Lindelaan 4",
        postal_code="3581 KL",
        city="Utrecht",
        relationship_managers=[mark],
    )
    for client in (holding, company):
        membership_create(
            client=client, user=pieter, role=Membership.Role.ADMIN, is_director=True, may_handle_documents=True
        )
    membership_create(client=private, user=pieter, role=Membership.Role.ADMIN, may_handle_documents=True)
    pieter.preferred_client = company
    pieter.save(update_fields=["preferred_client"])

    fatima = _user(LOGINS[3][1], "Fatima", "El Amrani", language="en")
    own = client_create(
        firm=vandijk,
        actor=sanne.user,
        kind=Client.Kind.PERSONAL,
        name="F. El Amrani (privé)",
        number="10410",
        city="Amersfoort",
        relationship_managers=[sanne],
    )
    membership_create(client=own, user=fatima, role=Membership.Role.ADMIN, may_handle_documents=True)

    hoekstra = Firm.objects.create(
        name="Notariskantoor Hoekstra",
        slug="notariskantoor-hoekstra",
        primary_colour="#6b2d5c",
        email_sender_name="Notariskantoor Hoekstra",
        uses_tax_filing=False,  # a notary's office: its clients read "Acties", no accountant's words
    )
    jeroen = _staff(hoekstra, LOGINS[4][1], "Jeroen", "Hoekstra", StaffMember.Role.ADMIN, "Notaris", "+31 58 212 00 00")
    anna = _user(LOGINS[5][1], "Anna", "Visser")
    visser = client_create(
        firm=hoekstra,
        actor=jeroen.user,
        kind=Client.Kind.PERSONAL,
        name="A. Visser (privé)",
        number="2026-0117",
        city="Leeuwarden",
        relationship_managers=[jeroen],
    )
    membership_create(client=visser, user=anna, role=Membership.Role.ADMIN, may_handle_documents=True)

    context.objects.update(
        firm=vandijk,
        other_firm=hoekstra,
        sanne=sanne,
        mark=mark,
        jeroen=jeroen,
        pieter=pieter,
        fatima=fatima,
        anna=anna,
        holding=holding,
        company=company,
        private=private,
        fatima_private=own,
        visser=visser,
    )
    load_tiles(context)
    load_organisation(context)


def load_tiles(context: DemoContext) -> None:
    """Application tiles (APP-1) on Pieter's BV: its bookkeeping and payroll services."""
    from balie.clients.services import app_tile_create

    company = context.objects["company"]
    app_tile_create(
        client=company,
        name="Exact Online",
        url="https://start.exactonline.nl",
        description="Boekhouding",
        icon="bookkeeping",
    )
    app_tile_create(
        client=company, name="Nmbrs", url="https://www.nmbrs.com", description="Salarisadministratie", icon="payroll"
    )


def load_organisation(context: DemoContext) -> None:
    """Organisation data, contact persons, roles and change requests (ORG-2 .. ORG-5, BEY-4).

    Pieter's BV reviews changes (the firm's policy) and has a change request waiting for Sanne; its
    holding lets Pieter change the data directly. The BV has a contact person without access, a
    bookkeeper whose access ends on 31 December and an invitation for Lisa Mulder in the outbox.
    Notariskantoor Hoekstra lets its clients change their data directly.
    """
    import datetime

    from django.utils import timezone

    from balie.clients.contacts import Access, contact_create, contact_update
    from balie.clients.models import ChangeLogEntry, ContactPerson
    from balie.clients.organisation import change_request_approve, change_request_create, organisation_values

    objects = context.objects
    company, holding = objects["company"], objects["holding"]
    sanne, pieter = objects["sanne"], objects["pieter"]
    Client.objects.filter(pk__in=[company.pk, holding.pk]).update(legal_form="bv")
    Client.objects.filter(pk=holding.pk).update(change_policy="direct")
    Firm.objects.filter(pk=objects["other_firm"].pk).update(change_policy="direct")
    company.refresh_from_db()

    pieter_contact = ContactPerson.objects.get(client=company, membership__user=pieter)
    contact_update(
        contact=pieter_contact,
        actor=pieter,
        via=ChangeLogEntry.Via.DIRECT,
        details={
            "salutation": "mr",
            "first_name": "Pieter",
            "last_name": "Bakker",
            "job_title": "Directeur",
            "email": pieter.email,
            "phone": "+31 6 12345678",
        },
    )
    contact_create(
        client=company,
        actor=pieter,
        via=ChangeLogEntry.Via.DIRECT,
        details={
            "salutation": "ms",
            "first_name": "Ingrid",
            "last_name": "Bakker-de Boer",
            "job_title": "Office manager",
            "email": "ingrid@bakker-installatie.example",
            "phone": "+31 30 765 43 22",
        },
    )
    # An outside bookkeeper with access until the end of the year (BEY-4).
    kees = _user(LOGINS[6][1], "Kees", "Smit")
    membership_create(
        client=company,
        user=kees,
        role=Membership.Role.EMPLOYEE,
        ends_on=datetime.date(timezone.localdate().year, 12, 31),
    )
    ContactPerson.objects.filter(client=company, membership__user=kees).update(
        salutation="mr", job_title="Boekhouder (Smit Administratie)"
    )
    # A pending invitation: its e-mail is in the development outbox, so the link can be followed.
    contact_create(
        client=company,
        actor=sanne.user,
        via=ChangeLogEntry.Via.FIRM,
        details={
            "salutation": "ms",
            "first_name": "Lisa",
            "last_name": "Mulder",
            "job_title": "Administratief medewerker",
            "email": "lisa.mulder@bakker-installatie.example",
        },
        access=Access(role=Membership.Role.EMPLOYEE),
    )
    # History: an earlier request approved; now a new address waits in Sanne's change requests.
    earlier = change_request_create(
        client=company,
        actor=pieter,
        values={**organisation_values(company), "email": "administratie@bakker-installatie.example"},
    )
    change_request_approve(change_request=earlier, actor=sanne.user)
    company.refresh_from_db()
    change_request_create(
        client=company,
        actor=pieter,
        values={**organisation_values(company), "street": "Ambachtsweg 8", "postal_code": "3542 DB"},
    )


HINTS = [
    "Organisation: Pieter's BV has a change request for a new address waiting under Change requests (sign in as "
    "Sanne); its holding lets Pieter change the data directly, confirmed with a code. Kees Smit's access to the "
    "BV ends on 31 December; Pieter adds contact persons and gives access under Organisation → Contact persons.",
]
