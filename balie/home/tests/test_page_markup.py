"""The header every page shares."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def visible_text(markup: str) -> str:
    """The text of ``markup`` without the elements hidden from assistive technology (no nesting)."""
    markup = re.sub(r'<(\w+)[^>]*aria-hidden="true"[^>]*>.*?</\1>', "", markup, flags=re.S)
    return re.sub(r"<[^>]+>", "", markup).strip()


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
