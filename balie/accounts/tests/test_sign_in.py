import os
import re
import subprocess
import sys
import time

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client as HttpClient
from django.urls import reverse

from balie.accounts.factories import TEST_PASSWORD, UserFactory
from balie.accounts.services import user_deactivate
from balie.core.testing import later
from balie.notifications.models import DevOutboxMessage

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


def sign_in(client, email, password=TEST_PASSWORD, **extra):
    return client.post(LOGIN, {"login": email, "password": password}, **extra)


def error_codes(response) -> set[str]:
    return {error.code for error in response.context["form"].non_field_errors().as_data()}


def test_sign_in_with_email_and_password_opens_the_portal(client, personas):
    response = sign_in(client, personas.client_user.email.upper())
    assert response.status_code == 302
    assert response.url == reverse("home:index")
    assert client.get("/").status_code == 302
    assert SESSION_KEY in client.session


def test_wrong_password_and_unknown_address_get_one_generic_error(client, personas):
    wrong = sign_in(client, personas.client_user.email, "verkeerd wachtwoord")
    unknown = sign_in(client, "niemand@example.test", "verkeerd wachtwoord")
    assert wrong.status_code == unknown.status_code == 200
    assert wrong.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()
    assert error_codes(wrong) == {"email_password_mismatch"}


def test_sixth_failure_for_one_account_within_five_minutes_is_refused(still_clock, personas):
    email = personas.client_user.email
    for attempt in range(5):
        client = HttpClient(REMOTE_ADDR=f"10.0.0.{attempt + 1}")  # different IPs: only the account counts
        response = sign_in(client, email, "fout")
        assert error_codes(response) == {"email_password_mismatch"}
    client = HttpClient(REMOTE_ADDR="10.0.0.99")
    response = sign_in(client, email, TEST_PASSWORD)  # even the right password is refused now
    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    assert error_codes(response) == {"too_many_login_attempts"}
    assert "Te veel inlogpogingen" in response.content.decode()
    with time_machine.travel(later(minutes=5, seconds=5)):
        assert sign_in(HttpClient(REMOTE_ADDR="10.0.0.99"), email).status_code == 302


def test_eleventh_failure_per_ip_within_a_minute_is_refused(personas):
    client = HttpClient(REMOTE_ADDR="192.0.2.10")
    for n in range(10):
        response = sign_in(client, f"iemand{n}@example.test", "fout")
        assert error_codes(response) == {"email_password_mismatch"}
    response = sign_in(client, personas.client_user.email)
    assert SESSION_KEY not in client.session
    assert error_codes(response) == {"too_many_login_attempts"}
    other_ip = HttpClient(REMOTE_ADDR="192.0.2.11")
    assert sign_in(other_ip, personas.client_user.email).status_code == 302


def test_admin_login_goes_through_the_throttled_sign_in(client, personas):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    client.force_login(personas.client_user)
    assert client.get("/admin/").status_code in (302, 403)
    assert client.get("/admin/login/").status_code == 403


def test_sign_in_gives_a_new_session_id(client, personas):
    client.get(LOGIN)
    client.session["probe"] = 1
    session = client.session
    session.save()
    before = session.session_key
    sign_in(client, personas.client_user.email)
    assert client.session.session_key != before


def test_sign_out_ends_the_session(client, personas):
    sign_in(client, personas.client_user.email)
    key = client.session.session_key
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_replayed_cookie_after_sign_out_is_rejected(personas):
    browser = HttpClient()
    sign_in(browser, personas.client_user.email)
    cookie = browser.cookies[django_settings.SESSION_COOKIE_NAME].value
    browser.post(reverse("account_logout"))
    attacker = HttpClient()
    attacker.cookies[django_settings.SESSION_COOKIE_NAME] = cookie
    assert attacker.get(reverse("accounts:profile")).status_code == 302


def test_idle_timeout_is_thirty_minutes(client, personas):
    sign_in(client, personas.client_user.email)
    now = time.time()
    with time_machine.travel(now + 25 * 60):
        assert client.get(reverse("accounts:profile")).status_code == 200
    with time_machine.travel(now + 50 * 60):  # 25 minutes after the last request
        assert client.get(reverse("accounts:profile")).status_code == 200
    with time_machine.travel(now + 81 * 60):  # 31 minutes idle
        assert client.get(reverse("accounts:profile")).status_code == 302


def test_absolute_lifetime_is_twelve_hours_however_active(client, personas):
    start = time.time()
    with time_machine.travel(start, tick=False):
        sign_in(client, personas.client_user.email)
    for minutes in range(20, 12 * 60, 20):
        with time_machine.travel(start + minutes * 60, tick=False):
            assert client.get(reverse("accounts:profile")).status_code == 200
    with time_machine.travel(start + 12 * 3600 + 300, tick=False):
        response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_lifetimes_are_configurable():
    script = (
        "import balie.settings as s; "
        "print(s.SESSION_COOKIE_AGE, s.BALIE_SESSION_MAX_SECONDS, s.BALIE_INVITATION_HOURS, s.PASSWORD_RESET_TIMEOUT)"
    )
    env = {**os.environ, "BALIE_SESSION_IDLE_SECONDS": "600", "BALIE_SESSION_MAX_SECONDS": "3600"}
    env.update({"BALIE_INVITATION_HOURS": "24", "BALIE_PASSWORD_RESET_SECONDS": "900"})
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    assert result.stdout.split() == ["600", "3600", "24", "900"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("BALIE_")}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    assert result.stdout.split() == ["1800", "43200", "72", "3600"]


def test_disabling_an_account_ends_all_its_sessions(personas):
    laptop, phone = HttpClient(), HttpClient()
    sign_in(laptop, personas.client_user.email)
    sign_in(phone, personas.client_user.email)
    keys = [laptop.session.session_key, phone.session.session_key]
    assert Session.objects.filter(session_key__in=keys).count() == 2
    user_deactivate(user=personas.client_user)
    assert not Session.objects.filter(session_key__in=keys).exists()  # the sessions are gone, not just unusable
    assert laptop.get(reverse("accounts:profile")).status_code == 302
    assert phone.get(reverse("accounts:profile")).status_code == 302
    assert not personas.client_user.sessions.exists()


def test_disabling_in_the_admin_ends_sessions(personas):
    operator = UserFactory(is_staff=True, is_superuser=True)
    victim = HttpClient()
    sign_in(victim, personas.employee.email)
    key = victim.session.session_key
    admin = HttpClient()
    admin.force_login(operator)
    response = admin.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "deactivate", "_selected_action": [personas.employee.pk]},
    )
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    assert victim.get(reverse("accounts:profile")).status_code == 302


def test_password_change_ends_other_sessions_and_keeps_this_one(personas):
    here, elsewhere = HttpClient(), HttpClient()
    sign_in(here, personas.client_user.email)
    sign_in(elsewhere, personas.client_user.email)
    elsewhere_key = elsewhere.session.session_key
    new = "een nieuw lang wachtwoord"
    response = here.post(
        reverse("twostep:password_change"), {"oldpassword": TEST_PASSWORD, "password1": new, "password2": new}
    )
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=elsewhere_key).exists()
    assert here.get(reverse("accounts:profile")).status_code == 200
    assert elsewhere.get(reverse("accounts:profile")).status_code == 302
    # The session that changed the password is still known, so it can be ended later.
    assert list(personas.client_user.sessions.values_list("session_key", flat=True)) == [here.session.session_key]


def _reset_link() -> str:
    body = DevOutboxMessage.objects.order_by("-id").first().body_text
    return re.search(r"https?://\S+/accounts/password/reset/key/\S+/", body).group(0)


def test_forgot_password_link_is_single_use_and_valid_one_hour(client, personas):
    client.post(reverse("account_reset_password"), {"email": personas.client_user.email})
    link = _reset_link()
    path = link.split("://", 1)[1].split("/", 1)[1]
    with time_machine.travel(later(minutes=61)):
        response = client.get("/" + path, follow=True)
        assert response.context.get("token_fail")
    response = client.get("/" + path, follow=True)
    assert not response.context.get("token_fail")
    new = "gloednieuw wachtwoord"
    response = client.post(response.redirect_chain[-1][0], {"password1": new, "password2": new})
    assert response.status_code == 302
    assert sign_in(HttpClient(), personas.client_user.email, new).status_code == 302
    response = client.get("/" + path, follow=True)
    assert response.context.get("token_fail")


def test_forgot_password_answers_alike_for_unknown_addresses(client, personas):
    known = client.post(reverse("account_reset_password"), {"email": personas.client_user.email})
    unknown = client.post(reverse("account_reset_password"), {"email": "niemand@example.test"})
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url
    assert not DevOutboxMessage.objects.filter(recipients="niemand@example.test", subject__icontains="reset").exists()


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("korter123", False),  # 9 characters
        ("tien tekens", True),
        ("x" * 64 + "a lange zin", True),
        ("y" * 128, True),
        ("z" * 129, False),
        ("password1234", False),  # common
        ("alleenkleineletters", True),  # no composition rules
    ],
)
def test_password_policy(password, ok):
    user = UserFactory.build(email="policy@example.test", first_name="", last_name="")
    if ok:
        validate_password(password, user)
    else:
        with pytest.raises(ValidationError):
            validate_password(password, user)


def test_passwords_are_hashed_with_argon2():
    from balie import settings as project_settings

    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_self_signup_does_not_exist(client, db):
    assert client.get("/accounts/signup/").status_code == 404
    assert client.get("/accounts/email/").status_code == 404


@pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs REDIS_URL (run by .ci/run against Redis)")
def test_throttle_counters_live_in_the_shared_redis_cache(personas):
    import redis

    server = redis.Redis.from_url(django_settings.REDIS_URL)
    for _ in range(5):
        sign_in(HttpClient(), personas.client_user.email, "fout")
    keys = [key.decode() for key in server.keys("*balie:signin:*")]
    assert keys, "the failed-sign-in counters are not in Redis"
    # What another web process would see: only the shared cache, nothing of this process.
    response = sign_in(HttpClient(REMOTE_ADDR="10.9.9.9"), personas.client_user.email)
    assert error_codes(response) == {"too_many_login_attempts"}


def test_allauth_asking_to_reauthenticate_leads_to_the_sign_in_page_not_a_missing_route(personas):
    """allauth's own flows may ask for reauthentication; its pages for that are not mounted (Balie
    confirms with its step-up), so the answer must not name them, with or without a second factor."""
    from allauth.account.middleware import AccountMiddleware
    from allauth.core.exceptions import ReauthenticationRequired
    from django.test import RequestFactory

    from balie.twostep.tests.utils import enrol_totp

    enrol_totp(personas.employee)
    middleware = AccountMiddleware(lambda request: None)
    for user in (personas.client_user, personas.employee):
        request = RequestFactory().get("/mijn-gegevens/")
        request.user = user
        response = middleware.process_exception(request, ReauthenticationRequired())
        assert response.status_code == 302
        assert response.url == LOGIN + "?next=%2Fmijn-gegevens%2F"
