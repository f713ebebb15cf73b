"""Application tiles (APP-1): staff set them per environment; the client opens them in a new tab."""

import pytest
from django.urls import reverse

from balie.clients.models import AppTile

pytestmark = pytest.mark.django_db


def add(client, personas, **data):
    values = {"name": "Exact Online", "url": "https://start.exactonline.nl", "description": "", "icon": "bookkeeping"}
    values.update(data)
    return client.post(reverse("clients:staff_tile_add", args=[personas.company.public_id]), values)


def test_staff_add_a_tile_and_the_client_sees_it_opening_in_a_new_tab(client, personas):
    client.force_login(personas.staff.user)
    response = add(client, personas, description="Boekhouding")
    assert response.status_code == 302
    tile = AppTile.objects.get(client=personas.company)
    assert (tile.name, tile.url, tile.icon) == ("Exact Online", "https://start.exactonline.nl", "bookkeeping")
    client.force_login(personas.client_user)
    page = client.get(reverse("home:client", args=[personas.company.public_id])).content.decode()
    assert 'href="https://start.exactonline.nl" target="_blank" rel="noopener noreferrer"' in page
    assert "Boekhouding" in page
    other = client.get(reverse("home:client", args=[personas.holding.public_id])).content.decode()
    assert "start.exactonline.nl" not in other  # per environment


@pytest.mark.parametrize("url", ["http://example.nl", "javascript:alert(1)", "ftp://example.nl", "geen adres"])
def test_only_secure_web_addresses_are_accepted(client, personas, url):
    client.force_login(personas.staff.user)
    response = add(client, personas, url=url)
    assert response.status_code == 400
    assert "url" in response.context["tile_form"].errors
    assert not AppTile.objects.exists()


def test_a_tile_has_no_password_fields_and_stores_none():
    names = {field.name for field in AppTile._meta.get_fields()}
    assert not {name for name in names if "pass" in name or "secret" in name or "token" in name}


def test_staff_remove_a_tile_and_other_firms_get_404(client, personas):
    client.force_login(personas.staff.user)
    add(client, personas)
    tile = AppTile.objects.get()
    url = reverse("clients:staff_tile_remove", args=[personas.company.public_id, tile.public_id])
    client.force_login(personas.outsider_staff.user)
    assert client.post(url).status_code == 404
    assert client.post(reverse("clients:staff_tile_add", args=[personas.company.public_id]), {}).status_code == 404
    client.force_login(personas.client_user)
    assert client.post(url).status_code == 404
    client.force_login(personas.staff.user)
    assert client.post(url).status_code == 302
    assert not AppTile.objects.exists()
