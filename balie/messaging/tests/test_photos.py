"""The photo of the firm's writer beside their name in a thread, through the start page's photo
view (no /media/ address), for those who may read the thread only."""

import io

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from PIL import Image

from balie.firms.factories import StaffMemberFactory
from balie.messaging import services
from balie.messaging.tests.test_client import ask, thread_url

pytestmark = pytest.mark.django_db


def with_photo(staff) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (30, 30), "#336699").save(buffer, "JPEG")
    staff.photo.save("pasfoto.jpg", ContentFile(buffer.getvalue()))
    return buffer.getvalue()


def photo_url(environment, user):
    return reverse("home:manager_photo", args=[environment.public_id, user.public_id])


@pytest.fixture
def colleague(personas):
    """Someone of the firm who is not the environment's relationship manager."""
    return StaffMemberFactory(firm=personas.firm, user__first_name="Mark", user__email="mark@firm-a.test")


def test_the_firms_writer_has_their_photo_beside_their_name(client, personas, colleague):
    data = with_photo(colleague)
    thread = ask(personas)
    services.reply(thread=thread, user=colleague.user, body="<p>Antwoord van Mark</p>")
    client.force_login(personas.client_user)
    page = client.get(thread_url(thread)).content.decode()
    assert f'src="{photo_url(personas.company, colleague.user)}"' in page and "/media/" not in page
    response = client.get(photo_url(personas.company, colleague.user))
    assert response.status_code == 200 and b"".join(response.streaming_content) == data


def test_no_photo_without_one_set(client, personas):
    thread = ask(personas)
    services.reply(thread=thread, user=personas.staff.user, body="<p>Antwoord</p>")
    client.force_login(personas.client_user)
    assert 'class="photo small message-photo"' not in client.get(thread_url(thread)).content.decode()


def test_a_writers_photo_is_404_to_those_who_cannot_read_what_they_wrote(client, personas, colleague):
    with_photo(colleague)
    client.force_login(personas.client_user)
    assert client.get(photo_url(personas.company, colleague.user)).status_code == 404  # wrote nothing here yet
    thread = ask(personas)
    services.note_add(thread=thread, user=colleague.user, body="Intern")
    assert client.get(photo_url(personas.company, colleague.user)).status_code == 404  # a note is not shown
    services.reply(thread=thread, user=colleague.user, body="<p>Antwoord</p>")
    assert client.get(photo_url(personas.company, colleague.user)).status_code == 200
    assert client.get(photo_url(personas.holding, colleague.user)).status_code == 404  # another environment
    client.force_login(personas.employee)  # a plain Medewerker does not read a colleague's question
    assert client.get(photo_url(personas.company, colleague.user)).status_code == 404
    client.force_login(personas.outsider)
    assert client.get(photo_url(personas.company, colleague.user)).status_code == 404


def test_the_contact_page_shows_the_contact_person_with_their_photo(client, personas):
    with_photo(personas.staff)
    client.force_login(personas.client_user)
    page = client.get(reverse("messaging:contact", args=[personas.company.public_id])).content.decode()
    assert 'id="contact-persons"' in page
    assert f'src="{photo_url(personas.company, personas.staff.user)}"' in page and "/media/" not in page
