import io

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from balie.accounts.factories import UserFactory
from balie.clients.factories import ClientFactory, MembershipFactory
from balie.firms.factories import FirmFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db


def _user_with_environments(count: int):
    firm = FirmFactory()
    manager = StaffMemberFactory(firm=firm, job_title="Relatiebeheerder")
    user = UserFactory()
    clients = [ClientFactory(firm=firm) for _ in range(count)]
    for c in clients:
        MembershipFactory(user=user, client=c)
        c.relationship_managers.add(manager)
    return user, clients[0]


def _queries_for_start_page(client, count: int) -> tuple[int, object]:
    user, first = _user_with_environments(count)
    client.force_login(user)
    url = reverse("home:client", args=[first.public_id])
    client.get(url)  # remembers the environment once
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def test_start_page_uses_the_same_number_of_queries_for_1_and_50_environments(client, django_assert_max_num_queries):
    one, response_one = _queries_for_start_page(client, 1)
    fifty, response_fifty = _queries_for_start_page(client, 50)
    assert len(response_one.context["environments"]) == 1
    assert len(response_fifty.context["environments"]) == 50
    assert one == fifty
    assert fifty <= 14  # incl. the dossiers panel (2), recent documents (1) and tiles (1)


def test_switcher_page_uses_the_same_number_of_queries_for_1_and_50_environments(still_clock, client):
    counts = []
    for size in (1, 50):
        user, _ = _user_with_environments(size)
        client.force_login(user)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("clients:switcher"))
        assert len(response.context["page"]) == min(size, 25)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] <= 10


def test_start_page_shows_panels_and_help(client, personas):
    client.force_login(personas.client_user)
    response = client.get(reverse("home:client", args=[personas.company.public_id]))
    body = response.content.decode()
    for name in ("Bakker Holding B.V.", "Bakker B.V.", "P. Bakker (privé)"):
        assert name in body
    assert personas.staff.user.get_full_name() in body  # relationship manager panel
    assert 'class="help-panel"' in body


def test_header_carries_the_firms_branding(client, personas):
    personas.firm.primary_colour = "#aa3300"
    personas.firm.save()
    client.force_login(personas.client_user)
    body = client.get(reverse("home:client", args=[personas.company.public_id])).content.decode()
    css_url = reverse("firms:branding_css", args=[personas.firm.public_id])
    assert css_url in body
    assert personas.firm.name in body
    css = client.get(css_url)
    assert css["Content-Type"].startswith("text/css")
    assert "--brand: #aa3300" in css.content.decode()


def test_menu_shows_back_office_only_to_staff(client, personas):
    client.force_login(personas.client_user)
    body = client.get(reverse("home:client", args=[personas.company.public_id])).content.decode()
    assert reverse("clients:staff_list") not in body
    client.force_login(personas.staff.user)
    body = client.get(reverse("clients:staff_list")).content.decode()
    assert f'href="{reverse("clients:staff_list")}"' in body


def test_header_shows_the_firms_logo(client, personas):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "#aa3300").save(buffer, "PNG")
    personas.firm.logo.save("logo.png", ContentFile(buffer.getvalue()))
    client.force_login(personas.client_user)
    body = client.get(reverse("home:client", args=[personas.company.public_id])).content.decode()
    logo_url = reverse("firms:logo", args=[personas.firm.public_id])
    assert f'src="{logo_url}"' in body
    logo = client.get(logo_url)
    assert logo["Content-Type"] == "image/png" and b"".join(logo.streaming_content) == buffer.getvalue()
    # Another firm's environment of the same user shows that firm's branding instead.
    other = personas.outsider_client
    MembershipFactory(user=personas.client_user, client=other)
    body = client.get(reverse("home:client", args=[other.public_id])).content.decode()
    assert logo_url not in body
    assert personas.other_firm.name in body


def _photo(personas) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (30, 30), "#336699").save(buffer, "JPEG")
    personas.staff.photo.save("pasfoto.jpg", ContentFile(buffer.getvalue()))
    return buffer.getvalue()


def photo_url(environment, staff):
    return reverse("home:manager_photo", args=[environment.public_id, staff.user.public_id])


def test_contact_persons_photo_is_shown_through_its_view(client, personas):
    data = _photo(personas)
    client.force_login(personas.client_user)
    body = client.get(reverse("home:client", args=[personas.company.public_id])).content.decode()
    assert f'src="{photo_url(personas.company, personas.staff)}"' in body and "/media/" not in body
    response = client.get(photo_url(personas.company, personas.staff))
    assert response["Content-Type"] == "image/jpeg" and b"".join(response.streaming_content) == data


def test_contact_persons_photo_is_404_outside_the_environments_managers(client, personas):
    _photo(personas)
    client.force_login(personas.outsider)
    assert client.get(photo_url(personas.company, personas.staff)).status_code == 404  # not their environment
    assert client.get(photo_url(personas.outsider_client, personas.staff)).status_code == 404  # not its manager
    client.force_login(personas.client_user)
    assert client.get(photo_url(personas.private, personas.staff)).status_code == 404  # manages only the company
    client.logout()
    assert client.get(photo_url(personas.company, personas.staff)).status_code == 302  # sign in first
