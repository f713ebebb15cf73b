"""The start page's dossier and recent-document panels (HOME-1)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from balie.dossiers import services
from balie.dossiers.models import Dossier

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n%%EOF\n"


def _publish(dossier, actor, count):
    for number in range(count):
        services.document_add(
            dossier=dossier,
            upload=SimpleUploadedFile(f"stuk {number}.pdf", PDF, content_type="application/pdf"),
            title=f"Stuk {number}",
            direction="firm",
            actor=actor,
        )


def test_start_page_shows_dossiers_in_progress_and_recent_documents(client, personas):
    dossier = services.dossier_create(client=personas.company, description="Doorlopend dossier", number="10232")
    closed = services.dossier_create(client=personas.company, description="Oud dossier")
    closed.status = Dossier.Status.CLOSED
    closed.save()
    services.dossier_create(client=personas.outsider_client, description="Geheim dossier")
    _publish(dossier, personas.staff.user, 7)
    client.force_login(personas.client_user)
    page = client.get(reverse("home:client", args=[personas.company.public_id])).content.decode()
    assert "1/2" in page  # in progress / total
    assert "Doorlopend dossier" in page and "Oud dossier" not in page and "Geheim dossier" not in page
    assert page.count('class="unread"') == 5  # the five newest, all unread
    assert "Stuk 6" in page and "Stuk 1" not in page


def test_start_page_queries_do_not_grow_with_documents(still_clock, client, personas):
    dossier = services.dossier_create(client=personas.company, description="Doorlopend dossier")
    client.force_login(personas.client_user)
    url = reverse("home:client", args=[personas.company.public_id])
    counts = []
    for extra in (1, 30):
        _publish(dossier, personas.staff.user, extra)
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1]
