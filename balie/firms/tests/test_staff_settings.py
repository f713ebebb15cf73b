"""The firm's staff settings: whom clients can choose when they send a message (MSG-1)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from balie.firms.factories import StaffMemberFactory
from balie.firms.models import StaffMember
from balie.firms.services import staff_contactable_update
from balie.messaging.services import contactable_staff

pytestmark = pytest.mark.django_db
PAGE = "firms:staff_settings"


@pytest.fixture
def admin(client, personas):
    personas.staff.user.language = "en"
    personas.staff.user.save(update_fields=["language"])
    client.force_login(personas.staff.user)
    return client


@pytest.fixture
def colleague(personas):
    return StaffMemberFactory(firm=personas.firm, user__email="mark@firm-a.test", user__first_name="Mark")


def test_an_administrator_makes_a_colleague_contactable(admin, personas, colleague):
    page = admin.get(reverse(PAGE))
    assert page.status_code == 200
    assert "mark@firm-a.test" in page.content.decode() and "staff@firm-b.test" not in page.content.decode()
    assert colleague.user not in contactable_staff(client=personas.private)
    response = admin.post(reverse(PAGE), {"contactable": [str(colleague.user.public_id)]})
    assert response.status_code == 302
    colleague.refresh_from_db()
    assert colleague.contactable
    assert colleague.user in contactable_staff(client=personas.private)
    assert "checked" in admin.get(reverse(PAGE)).content.decode()


def test_unticking_everyone_makes_nobody_contactable(admin, personas, colleague):
    StaffMember.objects.filter(firm=personas.firm).update(contactable=True)
    admin.post(reverse(PAGE), {})
    assert not StaffMember.objects.filter(firm=personas.firm, contactable=True).exists()


def test_another_firms_staff_cannot_be_ticked(admin, personas):
    response = admin.post(reverse(PAGE), {"contactable": [str(personas.outsider_staff.user.public_id)]})
    assert response.status_code == 400
    personas.outsider_staff.refresh_from_db()
    assert not personas.outsider_staff.contactable


def test_only_administrators_reach_the_page(client, personas, colleague):
    for person in (colleague.user, personas.client_user):
        client.force_login(person)
        assert client.get(reverse(PAGE)).status_code == 404
        assert client.post(reverse(PAGE), {"contactable": [str(person.public_id)]}).status_code == 404
    colleague.refresh_from_db()
    assert not colleague.contactable


def test_the_service_refuses_an_administrator_of_another_firm(personas, colleague):
    personas.outsider_staff.role = StaffMember.Role.ADMIN
    personas.outsider_staff.save(update_fields=["role"])
    with pytest.raises(ValidationError):
        staff_contactable_update(firm=personas.firm, actor=personas.outsider_staff.user, contactable={colleague.pk})
    colleague.refresh_from_db()
    assert not colleague.contactable
