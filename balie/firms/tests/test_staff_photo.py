"""A colleague's photo beside their name on the firm's pages, through a view (no /media/ address)
that serves it to staff of the same firm only."""

import io

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from PIL import Image

from balie.firms.factories import StaffMemberFactory
from balie.messaging import services

pytestmark = pytest.mark.django_db


def with_photo(staff) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (30, 30), "#336699").save(buffer, "JPEG")
    staff.photo.save("pasfoto.jpg", ContentFile(buffer.getvalue()))
    return buffer.getvalue()


def photo_url(staff) -> str:
    return reverse("firms:staff_photo", args=[staff.user.public_id])


def test_a_colleagues_photo_is_shown_to_the_firm_only(client, personas):
    data = with_photo(personas.staff)
    colleague = StaffMemberFactory(firm=personas.firm, user__email="mark@firm-a.test")
    client.force_login(colleague.user)
    response = client.get(photo_url(personas.staff))
    assert response.status_code == 200 and b"".join(response.streaming_content) == data
    assert client.get(photo_url(colleague)).status_code == 404  # no photo set
    client.force_login(personas.outsider_staff.user)
    assert client.get(photo_url(personas.staff)).status_code == 404
    client.force_login(personas.client_user)
    assert client.get(photo_url(personas.staff)).status_code == 404


def test_the_photo_is_beside_the_name_on_the_client_page_and_in_a_thread(client, personas):
    with_photo(personas.staff)
    thread = services.thread_start(
        client=personas.company, user=personas.client_user, kind="question", subject="Btw", body="<p>Vraag</p>"
    )
    services.reply(thread=thread, user=personas.staff.user, body="<p>Antwoord</p>")
    client.force_login(personas.staff.user)
    detail = client.get(reverse("clients:staff_detail", args=[personas.company.public_id])).content.decode()
    assert f'src="{photo_url(personas.staff)}"' in detail and "/media/" not in detail
    page = client.get(reverse("messaging_staff:thread", args=[thread.public_id])).content.decode()
    assert page.count(f'src="{photo_url(personas.staff)}"') == 1  # beside the answer, not the question
