"""The main e-mails, SMS texts and allauth pages a client gets, in Dutch, address them as "u"."""

import re

import pytest
import time_machine
from django.test import Client as HttpClient
from django.urls import reverse

from balie.accounts.factories import TEST_PASSWORD
from balie.core.testing import later
from balie.core.tests.test_tone import INFORMAL
from balie.notifications.models import DevOutboxMessage, OutboxMessage

pytestmark = pytest.mark.django_db

POLITE = re.compile(r"\b(u|uw)\b", re.IGNORECASE)


def assert_polite(text: str) -> None:
    assert INFORMAL.findall(text) == [], text
    assert POLITE.search(text), text


def latest_mail(recipient: str) -> DevOutboxMessage:
    return DevOutboxMessage.objects.filter(recipients__icontains=recipient).order_by("-id").first()


def page_text(response) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def mail_texts(mail: DevOutboxMessage) -> list[str]:
    return [mail.subject, mail.body_text, re.sub(r"<[^>]+>", " ", mail.body_html or "")]


def test_invitation_mail_says_u(personas):
    from balie.clients.services import invitation_create

    invitation_create(client=personas.company, actor=personas.staff.user, email="nieuw@example.test")
    mail = latest_mail("nieuw@example.test")
    assert "nodigt u uit" in mail.body_text
    for text in mail_texts(mail):
        assert INFORMAL.findall(text) == [], text
    assert_polite(mail.body_text)


def test_invitation_page_says_u_throughout(client, personas):
    """The activation page mixed "je" and "u"."""
    from balie.clients.services import invitation_create

    invitation_create(client=personas.company, actor=personas.staff.user, email="nieuw@example.test")
    link = re.search(r"/uitnodiging/[\w-]+/", latest_mail("nieuw@example.test").body_text).group(0)
    text = page_text(client.get(link, follow=True))
    assert "Activeer uw account" in text
    assert_polite(text)


def test_password_reset_mail_and_pages_from_allauth_say_u(client, personas):
    text = page_text(client.get(reverse("account_reset_password")))
    assert "Bent u uw wachtwoord vergeten?" in text
    assert_polite(text)
    response = client.post(reverse("account_reset_password"), {"email": personas.client_user.email}, follow=True)
    assert_polite(page_text(response))

    mail = latest_mail(personas.client_user.email)
    assert mail.subject == "Kies een nieuw wachtwoord voor het klantportaal"
    for text in mail_texts(mail):
        assert INFORMAL.findall(text) == [], text
    assert_polite(mail.body_text)

    link = re.search(r"https?://\S+(/accounts/password/reset/key/\S+/)", mail.body_text).group(1)
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0]
    response = client.post(form_url, {"password1": "kort", "password2": "anders"})
    text = page_text(response)
    assert "Dit wachtwoord is te kort" in text  # Django's newest wording, in Dutch too
    assert_polite(text)
    response = client.post(
        form_url, {"password1": "een heel nieuw wachtwoord", "password2": "een heel nieuw wachtwoord"}
    )
    assert_polite(page_text(client.get(response.url)))
    assert_polite(page_text(client.get(link, follow=True)))  # the used link


def test_sign_in_error_sign_out_and_their_messages_say_u(personas):
    browser = HttpClient()
    response = browser.post(reverse("account_login"), {"login": personas.client_user.email, "password": "fout"})
    assert "Het e-mailadres of het wachtwoord dat u heeft ingevuld klopt niet." in page_text(response)
    response = browser.post(
        reverse("account_login"), {"login": personas.client_user.email, "password": TEST_PASSWORD}, follow=True
    )
    assert "U bent ingelogd als" in page_text(response)
    text = page_text(browser.get(reverse("account_logout")))
    assert "Wilt u uitloggen?" in text
    assert INFORMAL.findall(text) == []
    text = page_text(browser.post(reverse("account_logout"), follow=True))
    assert "U bent uitgelogd." in text
    assert_polite(text)


def test_email_change_confirmation_mails_say_u(personas):
    from balie.accounts.services import email_change_request

    email_change_request(user=personas.client_user, email="pieter@nieuw.test")
    for recipient in ("pieter@nieuw.test", personas.client_user.email):
        mail = latest_mail(recipient)
        for text in mail_texts(mail):
            assert INFORMAL.findall(text) == [], text
        assert_polite(mail.body_text)
    assert latest_mail("pieter@nieuw.test").subject == "Bevestig uw nieuwe e-mailadres"


@pytest.mark.real_on_commit
def test_notification_mail_says_u(personas):
    from balie.notifications.jobs import send_bundles
    from balie.notifications.services import notify

    notify(
        users=[personas.client_user],
        client=personas.company,
        kind="document",
        title="Nieuw document: Jaarrekening 2025",
        link=f"/o/{personas.company.public_id}/",
    )
    with time_machine.travel(later(minutes=11)):
        send_bundles()
    mail = OutboxMessage.objects.get(recipient=personas.client_user.email)
    for text in (mail.subject, mail.body_text, re.sub(r"<[^>]+>", " ", mail.body_html)):
        assert INFORMAL.findall(text) == [], text
    assert_polite(mail.body_text)


def test_sms_texts_say_u(personas):
    from balie.twostep.models import OneTimeCode
    from balie.twostep.services import sms_send_code
    from balie.twostep.tests.utils import enrol_sms, last_sms

    user = personas.client_user
    enrol_sms(user)
    sms_send_code(user=user, purpose=OneTimeCode.Purpose.LOGIN)
    assert last_sms().body_text.startswith("Uw inlogcode: ")
    with time_machine.travel(later(minutes=1)):
        sms_send_code(user=user, purpose=OneTimeCode.Purpose.VERIFY_PHONE, phone_number="+31687654321")
    text = last_sms("+31687654321").body_text
    assert text.startswith("Code om uw mobiele nummer te controleren: ")
    assert INFORMAL.findall(text) == []
