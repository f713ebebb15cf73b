"""What Balie answers to people who should not get it: the development outbox only to this machine,
stored documents never by their storage path (security findings 2.6)."""

import importlib
import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import override_settings
from django.urls import Resolver404, clear_url_caches, resolve, reverse
from PIL import Image

from balie.core.addresses import is_loopback
from balie.notifications.models import DevOutboxMessage

pytestmark = pytest.mark.django_db

REMOTE = "192.0.2.10"


@pytest.fixture
def message():
    return DevOutboxMessage.objects.create(recipients="a@example.test", subject="Uw inlogcode", body_text="123456")


def outbox_urls(message) -> list[str]:
    return [reverse("notifications:dev_outbox"), reverse("notifications:dev_outbox_message", args=[message.pk])]


@pytest.mark.parametrize("address", ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"])
def test_outbox_answers_this_machine(client, message, address):
    for url in outbox_urls(message):
        response = client.get(url, REMOTE_ADDR=address)
        assert response.status_code == 200 and "Uw inlogcode" in response.content.decode(), url


@pytest.mark.parametrize("address", [REMOTE, "10.0.0.5", "2001:db8::1", "::ffff:192.0.2.10", "", "garbage"])
def test_outbox_is_404_for_other_addresses(client, message, address):
    for url in outbox_urls(message):
        response = client.get(url, REMOTE_ADDR=address)
        assert response.status_code == 404 and "Uw inlogcode" not in response.content.decode(), url


def test_outbox_does_not_trust_a_forwarded_for_header(client, message):
    for url in outbox_urls(message):
        assert client.get(url, REMOTE_ADDR=REMOTE, HTTP_X_FORWARDED_FOR="127.0.0.1").status_code == 404
        # A proxy on this machine makes every visitor look local: a forwarded request is not local.
        assert client.get(url, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=REMOTE).status_code == 404
        assert client.get(url, REMOTE_ADDR="127.0.0.1", HTTP_FORWARDED=f"for={REMOTE}").status_code == 404


def test_outbox_answers_other_addresses_when_the_setting_allows_it(client, message, settings):
    settings.BALIE_DEV_OUTBOX_ALLOW_REMOTE = True
    for url in outbox_urls(message):
        response = client.get(url, REMOTE_ADDR=REMOTE)
        assert response.status_code == 200 and "Uw inlogcode" in response.content.decode()


def test_outbox_stays_404_when_off_even_with_remote_allowed(client, message, settings):
    settings.BALIE_DEV_OUTBOX = False
    settings.BALIE_DEV_OUTBOX_ALLOW_REMOTE = True
    for url in outbox_urls(message):
        assert client.get(url).status_code == 404


def test_is_loopback_knows_the_loopback_networks():
    assert is_loopback("127.0.0.1") and is_loopback("127.255.255.254") and is_loopback("::1")
    assert not is_loopback("128.0.0.1") and not is_loopback("0.0.0.0") and not is_loopback(None)


@pytest.fixture
def urls_built_with_debug():
    """balie.urls as Django builds it when DEBUG is on (the URLconf is read once, at import)."""
    import balie.urls

    with override_settings(DEBUG=True):
        importlib.reload(balie.urls)
    clear_url_caches()
    yield
    importlib.reload(balie.urls)
    clear_url_caches()


def test_stored_documents_are_not_served_from_media_even_with_debug(client, personas, settings, urls_built_with_debug):
    key = default_storage.save("documents/ab/0123456789abcdef", ContentFile(b"%PDF-1.4 geheime jaarrekening"))
    assert (settings.MEDIA_ROOT / key).exists()
    path = f"{settings.MEDIA_URL}{key}"
    with pytest.raises(Resolver404):
        resolve(path)
    for user in (None, personas.client_user, personas.staff.user):
        if user is not None:
            client.force_login(user)
        response = client.get(path)
        assert response.status_code == 404
        assert b"geheime jaarrekening" not in b"".join(getattr(response, "streaming_content", [response.content]))


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (31, 95, 139)).save(buffer, "PNG")
    return buffer.getvalue()


def test_the_firm_logo_is_served_to_anyone_as_an_image(client, personas):
    personas.firm.logo.save("logo.png", ContentFile(png_bytes()))
    response = client.get(reverse("firms:logo", args=[personas.firm.public_id]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == png_bytes()
    assert "sandbox" in response["Content-Security-Policy"]
    assert client.get(reverse("firms:logo", args=[personas.other_firm.public_id])).status_code == 404  # none set


def test_pages_and_emails_show_the_logo_through_its_view(client, personas):
    from django.template.loader import render_to_string

    personas.firm.logo.save("logo.png", ContentFile(png_bytes()))
    logo_url = reverse("firms:logo", args=[personas.firm.public_id])
    client.force_login(personas.client_user)
    page = client.get(reverse("home:client", args=[personas.company.public_id])).content.decode()
    assert f'src="{logo_url}"' in page and "/media/" not in page
    mail = render_to_string("emails/base.html", {"firm": personas.firm, "site_url": "https://portal.test"})
    assert f'src="https://portal.test{logo_url}"' in mail and "/media/" not in mail


def test_the_demo_served_to_the_network_points_to_the_outbox_on_this_machine(capsys, monkeypatch, settings):
    from django.core.management import call_command

    monkeypatch.delenv("BALIE_SITE_URL", raising=False)
    settings.BALIE_SITE_URL = settings.BALIE_SITE_URL  # the command's change ends with the test
    call_command("demo", "--no-serve", "--host", "0.0.0.0", "--port", "8123")
    output = capsys.readouterr().out
    assert (
        "Balie: http://0.0.0.0:8123/   E-mail outbox: http://127.0.0.1:8123/dev/outbox/ (from this machine only)"
        in (output)
    )
    # Links in e-mails lead to this machine too, as the outbox does.
    assert "Links in e-mails: http://127.0.0.1:8123/" in output
    assert settings.BALIE_SITE_URL == "http://127.0.0.1:8123"


def test_the_logo_and_colours_show_while_two_step_set_up_is_pending(client, personas):
    personas.firm.logo.save("logo.png", ContentFile(png_bytes()))
    personas.firm.twostep_required_for_clients = True
    personas.firm.save(update_fields=["twostep_required_for_clients"])
    client.force_login(personas.client_user)  # no second factor yet: only the set-up pages
    assert client.get(reverse("home:client", args=[personas.company.public_id])).status_code == 302
    logo = client.get(reverse("firms:logo", args=[personas.firm.public_id]))
    assert logo.status_code == 200 and logo["Content-Type"] == "image/png"
    colours = client.get(reverse("firms:branding_css", args=[personas.firm.public_id]))
    assert colours.status_code == 200 and "--brand" in colours.content.decode()
