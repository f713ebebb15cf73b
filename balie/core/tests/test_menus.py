"""The menus lead to the environment's data, the firm's change requests and its settings."""

import pytest
from django.urls import reverse

from balie.clients.models import ChangeRequest

pytestmark = pytest.mark.django_db


def test_the_client_menu_names_the_data_after_the_kind_of_environment(client, personas):
    client.force_login(personas.client_user)
    company = client.get(reverse("home:client", args=[personas.company.public_id])).content.decode()
    private = client.get(reverse("home:client", args=[personas.private.public_id])).content.decode()
    assert (
        f'href="{reverse("organisation:detail", args=[personas.company.public_id])}" id="menu-organisation"' in company
    )
    assert ">Organisatie</a>" in company
    assert (
        f'href="{reverse("organisation:detail", args=[personas.private.public_id])}" id="menu-organisation"' in private
    )
    assert ">Persoonsgegevens</a>" in private


def test_the_staff_menu_counts_the_firms_pending_change_requests_only(client, personas):
    for environment in (personas.company, personas.holding):
        ChangeRequest.objects.create(client=environment, requested_by=personas.client_user, new_values={"city": "Ede"})
    ChangeRequest.objects.create(client=personas.outsider_client, requested_by=personas.outsider)
    ChangeRequest.objects.create(client=personas.private, status="approved")
    client.force_login(personas.staff.user)
    page = client.get(reverse("clients:staff_list"))
    assert page.context["pending_change_requests"] == 2
    assert 'id="menu-change-requests">Wijzigingsverzoeken <span class="count">2</span>' in page.content.decode()
    client.force_login(personas.outsider_staff.user)
    assert client.get(reverse("clients:staff_list")).context["pending_change_requests"] == 1


def test_settings_pages_link_to_each_other(client, personas):
    client.force_login(personas.staff.user)
    pages = ("twostep_staff:policy", "organisation_staff:policy", "approvals_staff:flows", "approvals_staff:receiver")
    for name in pages:
        page = client.get(reverse(name)).content.decode()
        for other in pages:
            assert f'href="{reverse(other)}"' in page
        assert 'aria-current="page" id="menu-settings"' in page  # the menu shows where you are
    staff_home = client.get(reverse("clients:staff_list")).content.decode()
    assert f'href="{reverse("approvals_staff:list")}"' in staff_home
