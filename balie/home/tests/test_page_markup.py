"""The header every page shares, and pages whose ids stay unique (labels, aria and scripts find the
first element with an id only)."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from balie.core.testing import duplicate_ids, labels_without_target
from balie.dossiers import services as dossier_services
from balie.dossiers.tests.utils import PDF
from balie.messaging import services as messaging_services
from balie.notifications.models import Notification

pytestmark = pytest.mark.django_db

EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")


def header(page: str) -> str:
    return page.split('<header class="site-header">', 1)[1].split("</header>", 1)[0]


def visible_text(markup: str) -> str:
    """The text of ``markup`` without the elements hidden from assistive technology (no nesting)."""
    markup = re.sub(r'<(\w+)[^>]*aria-hidden="true"[^>]*>.*?</\1>', "", markup, flags=re.S)
    return re.sub(r"<[^>]+>", "", markup).strip()


@pytest.fixture
def dossier(personas):
    dossier = dossier_services.dossier_create(client=personas.company, description="Jaarrekening 2025")
    dossier_services.document_add(
        dossier=dossier,
        upload=SimpleUploadedFile("concept.pdf", PDF, content_type="application/pdf"),
        direction="firm",
        actor=personas.staff.user,
    )
    return dossier


@pytest.fixture
def thread(personas):
    return messaging_services.thread_start(
        client=personas.company, user=personas.client_user, kind="question", subject="Btw Q3", body="<p>Klopt dit?</p>"
    )


def test_the_user_menu_is_named_after_what_it_shows(client, personas):
    client.force_login(personas.client_user)
    page = client.get(reverse("home:client", args=[personas.company.public_id])).content.decode()
    summary = re.search(r'<details class="menu user-menu">\s*<summary([^>]*)>(.*?)</summary>', page, re.S)
    assert summary is not None
    shown = visible_text(summary.group(2))
    assert shown == "Pieter"
    name = re.search(r'aria-label="([^"]*)"', summary.group(1))
    assert name is not None and name.group(1).startswith(shown)  # WCAG 2.5.3: the label is in the name
    assert name.group(1) == "Pieter, gebruikersmenu"


def test_the_bell_is_an_svg_icon_with_its_count_and_name(client, personas):
    for _ in range(3):
        Notification.objects.create(
            user=personas.client_user, client=personas.company, kind="reminder", title="Herinnering", link="/"
        )
    client.force_login(personas.client_user)
    top = header(client.get(reverse("home:client", args=[personas.company.public_id])).content.decode())
    bell = re.search(r'<a class="bell"[^>]*aria-label="([^"]*)"[^>]*>(.*?)</a>', top, re.S)
    assert bell is not None
    assert bell.group(1) == "3 ongelezen meldingen"
    assert re.search(r'<svg[^>]*aria-hidden="true"', bell.group(2))
    assert 'id="bell-count">3<' in bell.group(2)
    assert not EMOJI.search(top)


def test_the_start_page_dossier_page_and_staff_thread_page_have_unique_ids(client, personas, dossier, thread):
    client.force_login(personas.client_user)
    pages = {
        "start page": client.get(reverse("home:client", args=[personas.company.public_id])),
        "dossier page": client.get(reverse("dossiers:detail", args=[personas.company.public_id, dossier.public_id])),
    }
    client.force_login(personas.staff.user)
    pages["staff thread page"] = client.get(reverse("messaging_staff:thread", args=[thread.public_id]))
    for name, response in pages.items():
        assert response.status_code == 200, name
        page = response.content.decode()
        assert duplicate_ids(page) == [], name
        assert labels_without_target(page) == [], name
    staff_dossier = client.get(reverse("dossiers_staff:dossier", args=[personas.company.public_id, dossier.public_id]))
    assert duplicate_ids(staff_dossier.content.decode()) == []
    # The publish form's radio groups are named by a legend: a label pointing at nothing names nothing.
    assert labels_without_target(staff_dossier.content.decode()) == []
    assert "<legend>" in staff_dossier.content.decode()
