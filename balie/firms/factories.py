"""factory_boy factories for tests: firms and their staff."""

import factory

from balie.firms.models import Firm, StaffMember


class FirmFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Firm

    name = factory.Sequence(lambda n: f"Kantoor {n}")
    slug = factory.Sequence(lambda n: f"kantoor-{n}")


class StaffMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffMember

    firm = factory.SubFactory(FirmFactory)
    # Named, as StaffMember.user names settings.AUTH_USER_MODEL: the user model is not firms' own.
    user = factory.SubFactory("balie.accounts.factories.UserFactory")
    role = StaffMember.Role.EMPLOYEE
