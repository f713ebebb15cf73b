"""Mijn gegevens lists the person's organisations with their role in each (ORG-2)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from balie.clients.models import Membership

pytestmark = pytest.mark.django_db


def test_my_details_lists_each_environment_with_role_and_end_date(client, personas):
    Membership.objects.filter(user=personas.employee).update(
        role=Membership.Role.EMPLOYEE_PLUS, ends_on=datetime.date(2031, 12, 31)
    )
    client.force_login(personas.employee)
    response = client.get(reverse("accounts:profile"))
    rows = [(m.client.name, m.role, m.ends_on) for m in response.context["memberships"]]
    assert rows == [("Bakker B.V.", "employee_plus", datetime.date(2031, 12, 31))]
    page = response.content.decode()
    assert reverse("organisation:detail", args=[personas.company.public_id]) in page
    assert "31 december 2031" in page  # Dutch, the default language


def test_ended_access_is_not_listed(client, personas):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    Membership.objects.filter(user=personas.employee).update(ends_on=yesterday)
    client.force_login(personas.employee)
    response = client.get(reverse("accounts:profile"))
    assert list(response.context["memberships"]) == []
    assert reverse("organisation:detail", args=[personas.company.public_id]) not in response.content.decode()
