"""Links in e-mails come from BALIE_SITE_URL, never from the request's Host header."""

import re

import pytest
from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.views import confirm_email
from django.test import RequestFactory
from django.urls import path, reverse

from balie.notifications.models import DevOutboxMessage
from balie.urls import urlpatterns as balie_urlpatterns

pytestmark = pytest.mark.django_db
SITE = "https://portal.example.test"
POISONED_HOST = "localhost:8230"

# Balie leaves allauth's e-mail confirmation out; this URLconf puts it back so its link can be checked.
urlpatterns = [*balie_urlpatterns, path("confirm-email/<str:key>/", confirm_email, name="account_confirm_email")]


def links_in(message: DevOutboxMessage) -> list[str]:
    return re.findall(r"https?://[^\s\"'<>]+", message.body_text + message.body_html)


def test_reset_link_points_at_the_site_url_whatever_the_host_header(client, personas, settings):
    settings.BALIE_SITE_URL = SITE
    client.post(reverse("account_reset_password"), {"email": personas.client_user.email}, HTTP_HOST=POISONED_HOST)
    mail = DevOutboxMessage.objects.get(recipients=personas.client_user.email)
    links = links_in(mail)
    assert any("/accounts/password/reset/key/" in link for link in links)
    assert all(link.startswith(f"{SITE}/") for link in links), links
    assert "localhost" not in mail.body_text + mail.body_html + mail.subject


def test_reset_link_from_the_site_url_opens_the_reset_form(client, personas, settings):
    settings.BALIE_SITE_URL = SITE
    client.post(reverse("account_reset_password"), {"email": personas.client_user.email}, HTTP_HOST=POISONED_HOST)
    link = next(link for link in links_in(DevOutboxMessage.objects.first()) if "/reset/key/" in link)
    response = client.get(link.removeprefix(SITE), follow=True)
    assert not response.context.get("token_fail")


@pytest.mark.urls(__name__)
def test_email_confirmation_link_points_at_the_site_url(personas, settings):
    settings.BALIE_SITE_URL = SITE
    address = EmailAddress.objects.get(user=personas.client_user)
    request = RequestFactory().get("/", HTTP_HOST=POISONED_HOST)
    url = get_adapter(request).get_email_confirmation_url(request, EmailConfirmationHMAC(address))
    assert url.startswith(f"{SITE}/confirm-email/")


def test_site_links_refuse_anything_but_a_path(settings):
    from balie.core.links import absolute_url

    settings.BALIE_SITE_URL = SITE
    assert absolute_url("/accounts/login/") == f"{SITE}/accounts/login/"
    for not_a_path in ("https://elsewhere.test/x", "//elsewhere.test/x", "accounts/login/", "/\\elsewhere.test"):
        with pytest.raises(ValueError):
            absolute_url(not_a_path)


def test_the_notice_of_an_email_change_links_to_cancelling_it_on_the_site_url(client, personas, settings):
    from balie.accounts.services import email_change_request

    settings.BALIE_SITE_URL = SITE
    email_change_request(user=personas.client_user, email="pieter@nieuw.test")
    notice = DevOutboxMessage.objects.get(recipients=personas.client_user.email)
    cancel = [link for link in links_in(notice) if "/mijn-gegevens/e-mailadres/intrekken/" in link]
    assert cancel and all(link.startswith(f"{SITE}/") for link in links_in(notice))
    client.force_login(personas.client_user)
    assert client.post(cancel[0].removeprefix(SITE), HTTP_HOST=POISONED_HOST).status_code == 302
    to_new = DevOutboxMessage.objects.get(recipients="pieter@nieuw.test")
    confirm = next(link for link in links_in(to_new) if "/bevestigen/" in link)
    assert client.get(confirm.removeprefix(SITE)).status_code == 400  # cancelled
