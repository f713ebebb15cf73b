"""The operator's admin shows stored images without a link to /media/, which Balie does not serve."""

import io

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from PIL import Image

pytestmark = pytest.mark.django_db


def png() -> ContentFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "#1f4e79").save(buffer, format="PNG")
    return ContentFile(buffer.getvalue(), name="logo.png")


def test_the_firm_and_staff_pages_name_the_stored_image_without_a_dead_link(admin_client, personas):
    personas.firm.logo.save("logo.png", png())
    personas.staff.photo.save("foto.png", png())
    pages = [
        admin_client.get(reverse("admin:firms_firm_change", args=[personas.firm.pk])),
        admin_client.get(reverse("admin:firms_staffmember_change", args=[personas.staff.pk])),
    ]
    for response in pages:
        assert response.status_code == 200
        page = response.content.decode()
        assert 'class="file-upload"' in page  # the current file is named ...
        assert "firm-logos/" in page or "staff-photos/" in page
        assert "/media/" not in page  # ... but not linked to a URL that answers 404
