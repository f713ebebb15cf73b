"""factory_boy factories for tests: environments (clients) and memberships."""

import factory
from django.db import transaction

from balie.accounts.factories import UserFactory
from balie.clients.models import Client, Membership
from balie.clients.services import link_contact
from balie.firms.factories import FirmFactory


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    firm = factory.SubFactory(FirmFactory)
    kind = Client.Kind.COMPANY
    name = factory.Sequence(lambda n: f"Onderneming {n} B.V.")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    client = factory.SubFactory(ClientFactory)
    role = Membership.Role.EMPLOYEE

    @factory.post_generation
    def contact(self, create, extracted, **kwargs):
        """Every member is a contact person of the environment, as ``membership_create`` makes them."""
        if create:
            with transaction.atomic():  # it locks the environment's contact rows
                link_contact(membership=self, contact=extracted)
