"""Signing in with a second factor, the set-up pages, firm policy and confirmed changes."""

import re

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.test import Client as HttpClient
from django.urls import reverse

from balie.accounts.factories import TEST_PASSWORD
from balie.core.testing import later
from balie.notifications.models import OutboxMessage
from balie.twostep import enrolment, services
from balie.twostep.models import FactorReset, SmsFactor, StepUpChallenge
from balie.twostep.tests.utils import enrol_sms, enrol_totp, sms_code, totp_now

# Codes of the authenticator app belong to a 30-second window: the clock stands still so that a
# code cannot move into the next window between being read off the "app" and being checked.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("still_clock")]
LOGIN = "/accounts/login/"


def password_step(client, email):
    return client.post(LOGIN, {"login": email, "password": TEST_PASSWORD})


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_sign_in_asks_for_the_app_code_after_the_password(client, personas):
    user = personas.client_user
    secret = enrol_totp(user)
    response = password_step(client, user.email)
    assert response.url == reverse("twostep:authenticate")
    assert not signed_in(client)
    page = client.get(response.url).content.decode()
    assert 'name="factor" value="totp"' in page and 'name="code"' in page
    response = client.post(reverse("twostep:authenticate"), {"factor": "totp", "code": "000000"})
    assert response.status_code == 400 and not signed_in(client)
    response = client.post(reverse("twostep:authenticate"), {"factor": "totp", "code": totp_now(secret)})
    assert response.status_code == 302 and signed_in(client)


def test_sign_in_by_sms_with_new_code_button(client, personas):
    user = personas.client_user
    enrol_sms(user)
    password_step(client, user.email)
    page = client.get(reverse("twostep:authenticate")).content.decode()
    assert 'name="send"' in page  # "Nieuw token versturen"
    first = sms_code()
    with time_machine.travel(later(seconds=31), tick=False):
        response = client.post(reverse("twostep:authenticate"), {"factor": "sms", "send": "1"})
        assert "06-…78" in response.content.decode() and sms_code() != first
        response = client.post(reverse("twostep:authenticate"), {"factor": "sms", "send": "1"})
        assert response.status_code == 400  # a second SMS within 30 seconds is refused, plainly
        response = client.post(reverse("twostep:authenticate"), {"factor": "sms", "code": sms_code()})
        assert signed_in(client)


def sms_to(number: str) -> int:
    return OutboxMessage.objects.filter(channel="sms", recipient=number).count()


def test_arriving_at_the_sms_step_sends_one_code_to_the_persons_number(client, personas):
    user = personas.client_user
    enrol_sms(user, "+31612345678")
    password_step(client, user.email)
    assert not OutboxMessage.objects.filter(channel="sms").exists()  # not before the step itself
    response = client.get(reverse("twostep:authenticate"))
    assert OutboxMessage.objects.filter(channel="sms").count() == sms_to("+31612345678") == 1
    page = response.content.decode()
    assert "We hebben een code per sms gestuurd naar 06-…78." in page
    assert "12345678" not in page and "+316" not in page
    response = client.post(reverse("twostep:authenticate"), {"factor": "sms", "code": sms_code()})
    assert response.status_code == 302 and signed_in(client)


def test_a_reload_within_30_seconds_sends_no_second_sms_and_says_where_it_went(client, personas):
    user = personas.client_user
    enrol_sms(user, "+31687654321")
    password_step(client, user.email)
    client.get(reverse("twostep:authenticate"))
    with time_machine.travel(later(seconds=29), tick=False):
        response = client.get(reverse("twostep:authenticate"))
    assert response.status_code == 200 and 'id="twostep-error"' not in response.content.decode()
    assert "gestuurd naar 06-…21" in response.content.decode()
    assert sms_to("+31687654321") == 1


def test_the_step_says_where_the_code_went_in_english_too(client, personas):
    user = personas.client_user
    enrol_sms(user, "+32470123456")
    password_step(client, user.email)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("twostep:authenticate")).content.decode()
    assert "We sent a code by text message to +32 …56. It is valid for 5 minutes." in page
    assert "470123456" not in page


def test_someone_with_only_the_app_gets_no_sms(client, personas):
    user = personas.client_user
    enrol_totp(user)
    password_step(client, user.email)
    client.get(reverse("twostep:authenticate"))
    assert not OutboxMessage.objects.filter(channel="sms").exists()


def test_an_sms_goes_out_only_when_sms_is_the_method_chosen(client, personas):
    user = personas.client_user
    enrol_totp(user)
    enrol_sms(user)
    password_step(client, user.email)
    client.get(reverse("twostep:authenticate"))  # the app comes first
    client.get(reverse("twostep:authenticate") + "?methode=recovery")
    assert not OutboxMessage.objects.filter(channel="sms").exists()
    page = client.get(reverse("twostep:authenticate") + "?methode=sms").content.decode()
    assert sms_to("+31612345678") == 1 and "06-…78" in page


def test_numbers_are_masked_to_their_last_two_digits_readably():
    assert services.phone_masked("+31612345678") == "06-…78"
    assert services.phone_masked("+31201234567") == "+31 …67"
    assert services.phone_masked("+32470123456") == "+32 …56"
    assert services.phone_masked("+14155550123") == "+1 …23"
    assert services.phone_masked("+352621123456") == "+352 …56"


def test_the_person_can_pick_among_their_factors(client, personas):
    user = personas.client_user
    enrol_totp(user)
    enrol_sms(user)
    password_step(client, user.email)
    page = client.get(reverse("twostep:authenticate")).content.decode()
    assert "?methode=sms" in page and "?methode=recovery" in page
    page = client.get(reverse("twostep:authenticate") + "?methode=recovery").content.decode()
    assert 'name="factor" value="recovery"' in page


def test_sign_in_with_a_recovery_code_once(client, personas):
    user = personas.client_user
    enrol_totp(user)
    code = enrolment.recovery_codes_unviewed(user=user)[0]
    password_step(client, user.email)
    client.post(reverse("twostep:authenticate"), {"factor": "recovery", "code": code})
    assert signed_in(client)
    other = HttpClient()
    password_step(other, user.email)
    response = other.post(reverse("twostep:authenticate"), {"factor": "recovery", "code": code})
    assert response.status_code == 400 and not signed_in(other)


def test_a_password_reset_never_bypasses_the_second_factor(client, personas):
    user = personas.client_user
    enrol_totp(user)
    client.post(reverse("account_reset_password"), {"email": user.email})
    mail = OutboxMessage.objects.filter(recipient=user.email).order_by("-id").first()
    link = re.search(r"https?://[^\s]+/accounts/password/reset/key/[^\s]+/", mail.body_text).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else "/" + path
    new = "een heel nieuw wachtwoord"
    response = client.post(form_url, {"password1": new, "password2": new})
    assert not signed_in(client)
    assert django_settings.BALIE_DEVICE_COOKIE_NAME in client.cookies  # trusted by the sign-in throttle only
    response = client.post(LOGIN, {"login": user.email, "password": new})
    assert response.url == reverse("twostep:authenticate")
    assert not signed_in(client)


def test_firm_policy_required_leads_to_set_up_before_anything_else(client, personas):
    personas.firm.twostep_required_for_clients = True
    personas.firm.save()
    user = personas.client_user
    password_step(client, user.email)
    assert signed_in(client)
    response = client.get(reverse("home:client", args=[personas.company.public_id]))
    assert response.url == reverse("twostep:overview")
    assert client.get(reverse("todos:list")).url == reverse("twostep:overview")
    assert client.get(reverse("twostep:totp_add")).status_code == 200
    secret = client.session["twostep.totp_secret"]
    response = client.post(reverse("twostep:totp_add"), {"code": totp_now(secret)})
    assert response.url == reverse("twostep:recovery_codes")
    assert client.get(reverse("home:client", args=[personas.company.public_id])).status_code == 200


def test_staff_policy_applies_to_staff_only(client, personas):
    personas.firm.twostep_required_for_staff = True
    personas.firm.save()
    client.force_login(personas.staff.user)
    assert client.get(reverse("clients:staff_list")).url == reverse("twostep:overview")
    client.force_login(personas.client_user)
    assert client.get(reverse("todos:list")).status_code == 200


def test_totp_set_up_page_shows_qr_and_secret_and_refuses_a_wrong_first_code(client, personas):
    client.force_login(personas.client_user)
    page = client.get(reverse("twostep:totp_add")).content.decode()
    secret = client.session["twostep.totp_secret"]
    assert "<svg" in page and secret[:4] in page
    response = client.post(reverse("twostep:totp_add"), {"code": "000000"})
    assert response.status_code == 400
    assert not Authenticator.objects.filter(user=personas.client_user, type="totp").exists()


def test_recovery_codes_are_shown_once(client, personas):
    enrol_totp(personas.client_user)
    client.force_login(personas.client_user)
    first = client.get(reverse("twostep:recovery_codes")).content.decode()
    assert first.count("<li><code>") == 10
    again = client.get(reverse("twostep:recovery_codes")).content.decode()
    assert "<li><code>" not in again


def test_adding_sms_verifies_the_number_with_a_code(client, personas):
    user = personas.client_user
    client.force_login(user)
    response = client.post(reverse("twostep:sms_add"), {"send": "1", "phone_number": "bel me"})
    assert response.status_code == 400 and "phone_number" in response.context["number_form"].errors
    client.post(reverse("twostep:sms_add"), {"send": "1", "phone_number": "06 12345678"})
    assert not SmsFactor.objects.filter(user=user).exists()
    response = client.post(reverse("twostep:sms_add"), {"verify": "1", "code": sms_code("+31612345678")})
    assert response.status_code == 302
    factor = SmsFactor.objects.get(user=user)
    user.refresh_from_db()
    assert factor.phone_number == user.mobile_number == "+31612345678"


def test_changing_the_mobile_number_needs_confirmation_with_the_current_factor(client, personas):
    user = personas.client_user
    secret = enrol_totp(user)
    client.force_login(user)
    response = client.post(
        reverse("twostep:sms_add"), {"send": "1", "phone_number": "0687654321", "stepup_factor": "totp"}
    )
    assert response.status_code == 400
    assert not OutboxMessage.objects.filter(channel="sms").exists()
    challenge = StepUpChallenge.objects.get(user=user, action="factor_add")
    client.post(
        reverse("twostep:sms_add"),
        {
            "send": "1",
            "phone_number": "0687654321",
            "stepup_challenge": challenge.public_id,
            "stepup_factor": "totp",
            "stepup_code": totp_now(secret),
        },
    )
    assert OutboxMessage.objects.filter(channel="sms", recipient="+31687654321").exists()


def test_password_change_needs_a_second_factor_when_there_is_one(client, personas):
    user = personas.client_user
    secret = enrol_totp(user)
    client.force_login(user)
    client.get(reverse("twostep:password_change"))
    challenge = StepUpChallenge.objects.get(user=user, action="password_change")
    new = "een nieuw lang wachtwoord"
    data = {"oldpassword": TEST_PASSWORD, "password1": new, "password2": new}
    response = client.post(reverse("twostep:password_change"), {**data, "stepup_factor": "totp"})
    assert response.status_code == 400
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)
    response = client.post(
        reverse("twostep:password_change"),
        {**data, "stepup_challenge": challenge.public_id, "stepup_factor": "totp", "stepup_code": totp_now(secret)},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)


def _email_change(client, user, email, code=TEST_PASSWORD):
    challenge = StepUpChallenge.objects.filter(user=user, action="email_change", used_at__isnull=True).first()
    return client.post(
        reverse("twostep:email_change"),
        {"email": email, "stepup_challenge": challenge.public_id, "stepup_factor": "password", "stepup_code": code},
    )


def test_email_change_needs_confirmation_and_a_link_to_the_new_address(client, personas):
    user = personas.client_user
    old = user.email
    client.force_login(user)
    client.get(reverse("twostep:email_change"))
    assert _email_change(client, user, "pieter@nieuw.test", code="fout").status_code == 400
    client.get(reverse("twostep:email_change"))
    assert _email_change(client, user, "Pieter@Nieuw.test").status_code == 302
    user.refresh_from_db()
    assert user.email == old  # nothing changes before the new mailbox is proven
    assert OutboxMessage.objects.filter(recipient=old, subject__icontains="gevraagd").exists()
    mail = OutboxMessage.objects.filter(recipient="pieter@nieuw.test").latest("id")
    path = re.search(r"/mijn-gegevens/e-mailadres/bevestigen/\S+/", mail.body_text).group(0)

    # Someone else, signed in, cannot use the link.
    other = HttpClient()
    other.force_login(personas.employee)
    assert other.post(path).status_code == 400
    elsewhere = HttpClient()
    elsewhere.force_login(user)
    assert client.post(path).status_code == 302
    user.refresh_from_db()
    assert user.email == "pieter@nieuw.test"
    assert not Session.objects.filter(session_key=elsewhere.session.session_key).exists()
    assert client.post(path).status_code == 400  # used

    # The old address no longer signs in, nor gets a password reset.
    before = OutboxMessage.objects.filter(recipient=old).count()
    assert HttpClient().post(LOGIN, {"login": old, "password": TEST_PASSWORD}).status_code == 200  # refused
    HttpClient().post(reverse("account_reset_password"), {"email": old})
    assert OutboxMessage.objects.filter(recipient=old).count() == before
    response = HttpClient().post(LOGIN, {"login": "pieter@nieuw.test", "password": TEST_PASSWORD})
    assert response.status_code == 302


def _messages(client) -> list[str]:
    return [str(message) for message in client.get(reverse("accounts:profile")).context["messages"]]


def test_an_address_in_use_gets_the_same_answer_as_a_free_one_and_no_mail(client, personas):
    """Whether an account uses the address is not told, before or after the confirmation, and
    nothing goes to that address; the person's own address is told as always."""
    from balie.accounts.models import EmailChangeRequest

    user = personas.client_user
    taken = personas.employee.email
    client.force_login(user)
    client.get(reverse("twostep:email_change"))
    free = _email_change(client, user, "pieter@nieuw.test")
    free_said = _messages(client)
    client.get(reverse("twostep:email_change"))
    response = _email_change(client, user, taken.upper())
    assert response.status_code == free.status_code == 302
    assert [m.replace(taken, "pieter@nieuw.test") for m in _messages(client)] == free_said
    assert not OutboxMessage.objects.filter(recipient__iexact=taken).exists()
    assert EmailChangeRequest.objects.get(user=user, new_email=taken).link_sent is False
    assert OutboxMessage.objects.filter(recipient=user.email).count() == 2  # told of both requests
    user.refresh_from_db()
    assert user.email != taken


def test_own_email_change_requests_are_limited_per_person(client, personas, settings):
    assert settings.BALIE_EMAIL_CHANGES_PER_HOUR == 5
    user = personas.client_user
    client.force_login(user)
    for number in range(5):
        client.get(reverse("twostep:email_change"))
        assert _email_change(client, user, f"n{number}@nieuw.test").status_code == 302
    client.get(reverse("twostep:email_change"))
    response = _email_change(client, user, "n5@nieuw.test")
    assert response.status_code == 400
    assert "Probeer het over een uur opnieuw" in response.content.decode()
    assert not OutboxMessage.objects.filter(recipient="n5@nieuw.test").exists()


def test_confirming_refuses_an_address_taken_meanwhile(client, personas):
    from balie.accounts.factories import UserFactory

    user = personas.client_user
    client.force_login(user)
    client.get(reverse("twostep:email_change"))
    _email_change(client, user, "pieter@nieuw.test")
    mail = OutboxMessage.objects.filter(recipient="pieter@nieuw.test").latest("id")
    path = re.search(r"/mijn-gegevens/e-mailadres/bevestigen/\S+/", mail.body_text).group(0)
    UserFactory(email="pieter@nieuw.test")
    response = client.post(path)
    assert response.status_code == 400
    assert "Dit e-mailadres kan niet worden gebruikt" in response.content.decode()
    user.refresh_from_db()
    assert user.email != "pieter@nieuw.test"


def test_an_email_change_link_expires_after_an_hour(client, personas):
    import time_machine

    from balie.core.testing import later

    user = personas.client_user
    client.force_login(user)
    client.get(reverse("twostep:email_change"))
    _email_change(client, user, "pieter@nieuw.test")
    mail = OutboxMessage.objects.filter(recipient="pieter@nieuw.test").latest("id")
    path = re.search(r"/mijn-gegevens/e-mailadres/bevestigen/\S+/", mail.body_text).group(0)
    with time_machine.travel(later(minutes=61), tick=False):
        client.force_login(user)
        assert client.post(path).status_code == 400
    user.refresh_from_db()
    assert user.email != "pieter@nieuw.test"


def test_removing_a_factor_needs_confirmation(client, personas):
    user = personas.client_user
    secret = enrol_totp(user)
    enrol_sms(user)
    client.force_login(user)
    url = reverse("twostep:factor_remove", args=["sms"])
    client.get(url)
    challenge = StepUpChallenge.objects.get(user=user, action="factor_remove")
    response = client.post(url, {"stepup_challenge": challenge.public_id, "stepup_factor": "totp", "stepup_code": "1"})
    assert response.status_code == 400 and SmsFactor.objects.filter(user=user).exists()
    response = client.post(
        url, {"stepup_challenge": challenge.public_id, "stepup_factor": "totp", "stepup_code": totp_now(secret)}
    )
    assert response.status_code == 302 and not SmsFactor.objects.filter(user=user).exists()


def test_a_confirmation_sms_is_throttled_and_says_so(client, personas):
    user = personas.client_user
    enrol_sms(user)
    client.force_login(user)
    client.get(reverse("twostep:password_change"))
    challenge = StepUpChallenge.objects.get(user=user, action="password_change")
    url = reverse("twostep:stepup_sms", args=[challenge.public_id])
    assert 'role="status"' in client.post(url, HTTP_HX_REQUEST="true").content.decode()
    body = client.post(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'role="alert"' in body
    assert re.search(r"Over \d+ seconden kunt u een nieuwe aanvragen", body)
    assert OutboxMessage.objects.filter(channel="sms").count() == 1


def test_passkey_of_another_person_cannot_be_removed(client, personas):
    passkey = Authenticator.objects.create(
        user=personas.client_user, type=Authenticator.Type.WEBAUTHN, data={"name": "Laptop", "credential": {}}
    )
    client.force_login(personas.employee)
    assert client.post(reverse("twostep:passkey_remove", args=[passkey.pk])).status_code == 404
    assert Authenticator.objects.filter(pk=passkey.pk).exists()


def test_staff_reset_removes_factors_ends_sessions_and_tells_the_client(personas):
    user = personas.client_user
    enrol_totp(user)
    enrol_sms(user)
    browser = HttpClient()
    browser.force_login(user)
    key = browser.session.session_key
    enrolment.factors_reset(user=user, firm=personas.firm, reset_by=personas.staff.user, note="Teruggebeld")
    assert not Authenticator.objects.filter(user=user).exists()
    assert not SmsFactor.objects.filter(user=user).exists()
    assert not Session.objects.filter(session_key=key).exists()
    record = FactorReset.objects.get(user=user)
    assert record.reset_by == personas.staff.user and record.note == "Teruggebeld"
    assert OutboxMessage.objects.filter(channel="email", recipient=user.email).exists()
