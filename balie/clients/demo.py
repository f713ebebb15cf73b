"""Demo tenants: two firms that never see each other, staff, and clients with their environments."""

from __future__ import annotations

from allauth.account.models import EmailAddress

from balie.accounts.models import User
from balie.accounts.services import invitation_create
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

    # A pending invitation: its e-mail is in the development outbox, so the link can be followed.
    invitation_create(
        client=company,
        actor=sanne.user,
        email="lisa.mulder@bakker-installatie.example",
        first_name="Lisa",
        last_name="Mulder",
        role=Membership.Role.EMPLOYEE,
    )

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
