"""A firm's colour, and the readable colours pages derive from it."""

from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory
from django.urls import reverse

from balie.core.colours import contrast_ratio


def css_variables(client, firm) -> dict[str, str]:
    css = client.get(reverse("firms:branding_css", args=[firm.public_id])).content.decode()
    body = css[css.index("{") + 1 : css.rindex("}")]
    return dict(part.strip().split(": ") for part in body.split(";") if part.strip())


def test_a_dark_colour_gets_white_text_and_is_itself_the_link_colour(client, personas):
    personas.firm.primary_colour = "#1f5f8b"
    personas.firm.save(update_fields=["primary_colour"])
    variables = css_variables(client, personas.firm)
    assert variables["--brand"] == "#1f5f8b"
    assert variables["--brand-ink"] == "#ffffff"
    assert variables["--brand-text"] == "#1f5f8b"


def test_a_light_colour_gets_dark_text_and_a_darker_shade_for_links(client, personas):
    personas.firm.primary_colour = "#ffd700"
    personas.firm.save(update_fields=["primary_colour"])
    variables = css_variables(client, personas.firm)
    assert variables["--brand"] == "#ffd700"
    assert contrast_ratio(variables["--brand-ink"], "#ffd700") >= 4.5
    assert contrast_ratio(variables["--brand-text"], "#ffffff") >= 4.5
    assert contrast_ratio(variables["--brand-deep-ink"], variables["--brand-deep"]) >= 4.5
    assert contrast_ratio(variables["--brand-ink"], variables["--brand-raised"]) >= 4.5


def save_in_admin(firm):
    from django.contrib import admin

    from balie.accounts.factories import UserFactory
    from balie.firms.admin import FirmAdmin
    from balie.firms.models import Firm

    request = RequestFactory().post("/admin/")
    request.user = UserFactory(is_staff=True, is_superuser=True)
    request.session = {}
    request._messages = FallbackStorage(request)
    FirmAdmin(Firm, admin.site).save_model(request, firm, form=None, change=True)
    return [str(message) for message in get_messages(request)]


def test_the_operator_hears_when_white_does_not_read_on_the_colour_set(personas):
    personas.firm.primary_colour = "#ffd700"
    [advice] = save_in_admin(personas.firm)
    assert "#ffd700" in advice and "1.4:1" in advice and "#1d2330" in advice
    personas.firm.primary_colour = "#1f5f8b"
    assert save_in_admin(personas.firm) == []


def test_emails_put_readable_text_on_the_firms_colour(personas):
    from django.template.loader import render_to_string

    personas.firm.primary_colour = "#ffd700"
    button = render_to_string(
        "emails/partials/_button.html", {"firm": personas.firm, "link": "https://x.test/", "label": "Open"}
    )
    assert "background:#ffd700;color:#1d2330;" in button
    personas.firm.primary_colour = "#1f5f8b"
    button = render_to_string(
        "emails/partials/_button.html", {"firm": personas.firm, "link": "https://x.test/", "label": "Open"}
    )
    assert "background:#1f5f8b;color:#ffffff;" in button


def test_printed_headings_use_a_shade_of_the_colour_that_reads_on_paper(personas):
    personas.firm.primary_colour = "#ffd700"
    assert contrast_ratio(personas.firm.brand_text, "#ffffff") >= 4.5
    personas.firm.primary_colour = "#1f5f8b"
    assert personas.firm.brand_text == "#1f5f8b"
