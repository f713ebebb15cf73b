"""factory_boy factories for tests."""

import factory
from allauth.account.models import EmailAddress

from balie.accounts.models import User
from balie.clients.models import Client, Membership
from balie.firms.models import Firm, StaffMember

TEST_PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    # Plain names: HTML escaping (van 't Hoff) would make text assertions depend on chance.
    first_name = factory.Sequence(lambda n: f"Voornaam{n}")
    last_name = factory.Sequence(lambda n: f"Achternaam{n}")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        if create:
            self.save()
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class FirmFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Firm

    name = factory.Sequence(lambda n: f"Kantoor {n}")
    slug = factory.Sequence(lambda n: f"kantoor-{n}")


class StaffMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffMember

    firm = factory.SubFactory(FirmFactory)
    user = factory.SubFactory(UserFactory)
    role = StaffMember.Role.EMPLOYEE


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
            from django.db import transaction

            from balie.clients.services import link_contact

            with transaction.atomic():  # it locks the environment's contact rows
                link_contact(membership=self, contact=extracted)
