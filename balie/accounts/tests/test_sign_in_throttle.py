"""Sign-in throttling that a stranger cannot use to lock the owner out (device cookies)."""

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY
from django.test import Client as HttpClient
from django.urls import reverse

from balie.accounts.factories import TEST_PASSWORD
from balie.notifications.models import DevOutboxMessage

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC).timestamp()
STRANGER_IP = "203.0.113.66"
OWNER_IP = "198.51.100.7"


def sign_in(client, email, password=TEST_PASSWORD):
    return client.post(LOGIN, {"login": email, "password": password})


def signed_in(client) -> bool:
    return SESSION_KEY in client.session


def refused(response) -> bool:
    form = response.context["form"] if response.context else None
    return form is not None and "too_many_login_attempts" in {e.code for e in form.non_field_errors().as_data()}


def owner_browser(email) -> HttpClient:
    """A browser the owner signed in with before, and signed out of again."""
    browser = HttpClient(REMOTE_ADDR=OWNER_IP)
    assert sign_in(browser, email).status_code == 302
    browser.post(reverse("account_logout"))
    assert not signed_in(browser)
    return browser


def guess(email, times, *, ip=STRANGER_IP):
    for _ in range(times):
        sign_in(HttpClient(REMOTE_ADDR=ip), email, "raden maar")


def warnings_to(email) -> int:
    return DevOutboxMessage.objects.filter(recipients=email, subject="Iemand probeert uw wachtwoord te raden").count()


@time_machine.travel(START, tick=False)
def test_owner_with_a_device_cookie_signs_in_after_twenty_failures_by_a_stranger(personas):
    email = personas.client_user.email
    browser = owner_browser(email)
    guess(email, 20)
    stranger = HttpClient(REMOTE_ADDR=STRANGER_IP)
    assert refused(sign_in(stranger, email))  # even with the right password
    assert not signed_in(stranger)
    response = sign_in(browser, email)
    assert response.status_code == 302
    assert signed_in(browser)


@time_machine.travel(START, tick=False)
def test_stranger_spread_over_many_addresses_is_refused_too(personas):
    email = personas.client_user.email
    for n in range(20):
        guess(email, 1, ip=f"10.1.0.{n + 1}")
    newcomer = HttpClient(REMOTE_ADDR="10.1.0.99")
    assert refused(sign_in(newcomer, email))
    assert not signed_in(newcomer)


@time_machine.travel(START, tick=False)
def test_owner_in_the_same_office_as_the_stranger_still_signs_in(personas):
    email = personas.client_user.email
    browser = owner_browser(email)
    browser.defaults["REMOTE_ADDR"] = STRANGER_IP
    for n in range(20):
        guess(f"iemand{n}@example.test", 1)  # one address trying many accounts
    assert refused(sign_in(HttpClient(REMOTE_ADDR=STRANGER_IP), personas.employee.email))
    assert sign_in(HttpClient(REMOTE_ADDR="10.2.0.1"), personas.employee.email).status_code == 302
    assert sign_in(browser, email).status_code == 302


def test_owner_is_warned_by_email_at_most_once_a_day(personas):
    email = personas.client_user.email
    with time_machine.travel(START, tick=False):
        guess(email, 20)
    assert warnings_to(email) == 1
    mail = DevOutboxMessage.objects.get(recipients=email)
    assert mail.subject == "Iemand probeert uw wachtwoord te raden"  # Dutch, addressed as "u"
    assert "waarmee u nog niet eerder bent ingelogd" in mail.body_text
    assert f"{django_settings.BALIE_SITE_URL}/accounts/password/reset/" in mail.body_html
    with time_machine.travel(START + 61 * 60, tick=False):
        guess(email, 20)  # a new lock, a longer one: still no second mail the same day
    assert warnings_to(email) == 1
    with time_machine.travel(START + 24 * 3600 - 60, tick=False):
        guess(email, 20)
    assert warnings_to(email) == 1
    with time_machine.travel(START + 25 * 3600, tick=False):  # after the lock of the day before
        guess(email, 20)
    assert warnings_to(email) == 2


@time_machine.travel(START, tick=False)
def test_after_a_password_reset_the_next_lock_warns_again(personas):
    email = personas.client_user.email
    guess(email, 20)
    reset_password(HttpClient(REMOTE_ADDR="10.5.0.1"), email)
    guess(email, 20)
    assert warnings_to(email) == 2


def test_warning_is_in_the_owners_language(personas):
    personas.client_user.language = "en"
    personas.client_user.save(update_fields=["language"])
    with time_machine.travel(START, tick=False):
        guess(personas.client_user.email, 6)
    mail = DevOutboxMessage.objects.get(recipients=personas.client_user.email)
    assert mail.subject == "Someone is trying to guess your password"


def test_unknown_address_gets_the_same_answer_and_no_mail(personas):
    with time_machine.travel(START, tick=False):
        guess("niemand@example.test", 20)
        assert refused(sign_in(HttpClient(REMOTE_ADDR="10.3.0.1"), "niemand@example.test"))
    assert not DevOutboxMessage.objects.filter(recipients="niemand@example.test").exists()


def test_lock_for_unknown_browsers_doubles_and_is_capped(personas, settings):
    email = personas.client_user.email
    first = settings.BALIE_SIGNIN_ACCOUNT_LOCK_SECONDS
    cap = settings.BALIE_SIGNIN_MAX_LOCK_SECONDS
    now = START
    with time_machine.travel(now, tick=False):
        guess(email, 6)  # five wrong passwords, the sixth attempt starts the first lock
    lock = first
    for _ in range(8):
        with time_machine.travel(now + lock - 1, tick=False):
            assert refused(sign_in(HttpClient(REMOTE_ADDR="10.4.0.1"), email))
        now += lock
        with time_machine.travel(now, tick=False):
            guess(email, 2)  # after a lock one more guess, and the next attempt locks again, twice as long
        lock = min(lock * 2, cap)
    assert lock == cap
    with time_machine.travel(now + cap, tick=False):
        assert sign_in(HttpClient(REMOTE_ADDR="10.4.0.1"), email).status_code == 302


@time_machine.travel(START, tick=False)
def test_device_cookie_is_bound_to_its_owner(personas):
    browser = owner_browser(personas.client_user.email)
    guess(personas.employee.email, 20)
    assert refused(sign_in(browser, personas.employee.email))
    assert not signed_in(browser)


@time_machine.travel(START, tick=False)
def test_forged_device_cookie_counts_as_an_unknown_browser(personas):
    email = personas.client_user.email
    browser = owner_browser(email)
    guess(email, 20)
    forger = HttpClient(REMOTE_ADDR=STRANGER_IP)
    name = django_settings.BALIE_DEVICE_COOKIE_NAME
    forger.cookies[name] = browser.cookies[name].value[:-3] + "abc"
    assert refused(sign_in(forger, email))


@time_machine.travel(START, tick=False)
def test_a_device_cookie_has_its_own_failure_count(personas, settings):
    email = personas.client_user.email
    browser = owner_browser(email)
    guess(email, 20)
    for _ in range(settings.BALIE_SIGNIN_DEVICE_FAILURES):
        assert not refused(sign_in(browser, email, "verkeerd"))
    assert refused(sign_in(browser, email))  # a stolen cookie is no way round the lock
    assert sign_in(owner_browser(personas.employee.email), personas.employee.email).status_code == 302


@time_machine.travel(START, tick=False)
def test_device_cookie_is_set_after_sign_in_long_lived_and_http_only(personas, settings):
    browser = HttpClient()
    sign_in(browser, personas.client_user.email)
    cookie = browser.cookies[settings.BALIE_DEVICE_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) >= 90 * 24 * 3600
    assert personas.client_user.email not in cookie.value
    failed = HttpClient()
    sign_in(failed, personas.client_user.email, "fout")
    assert settings.BALIE_DEVICE_COOKIE_NAME not in failed.cookies


@time_machine.travel(START, tick=False)
def test_a_password_reset_lets_the_owner_in_from_a_new_browser(personas):
    email = personas.client_user.email
    guess(email, 20)
    new_browser = HttpClient(REMOTE_ADDR="10.5.0.1")
    assert refused(sign_in(new_browser, email))
    new_browser.post(reverse("account_reset_password"), {"email": email})
    body = DevOutboxMessage.objects.filter(recipients=email, body_text__contains="/reset/key/").get().body_text
    link = re.search(r"https?://\S+(/accounts/password/reset/key/\S+/)", body).group(1)
    form = new_browser.get(link, follow=True).redirect_chain[-1][0]
    new_browser.post(form, {"password1": "een nieuw lang wachtwoord", "password2": "een nieuw lang wachtwoord"})
    assert sign_in(new_browser, email, "een nieuw lang wachtwoord").status_code == 302


@time_machine.travel(START, tick=False)
def test_guesses_sent_at_once_are_all_counted_and_start_one_lock(settings):
    import threading

    from balie.accounts.throttle import account_throttle

    barrier, outcomes = threading.Barrier(20), []

    def attempt():
        barrier.wait()
        throttle = account_throttle("client@firm-a.test")
        outcomes.append((throttle.consume(), throttle.lock_started))

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(allowed for allowed, _ in outcomes) == settings.BALIE_SIGNIN_ACCOUNT_FAILURES
    assert sum(started for _, started in outcomes) == 1
    assert account_throttle("CLIENT@firm-a.test").locked_until() == START + settings.BALIE_SIGNIN_ACCOUNT_LOCK_SECONDS


@time_machine.travel(START, tick=False)
def test_spraying_from_one_ipv6_64_is_locked_like_one_ipv4_address(settings):
    # One guess at each of many accounts, each from another address of the same /64.
    for n in range(settings.BALIE_SIGNIN_IP_FAILURES):
        guess(f"iemand{n}@example.test", 1, ip=f"2001:db8:1:2::{n + 1:x}")
    assert refused(sign_in(HttpClient(REMOTE_ADDR="2001:db8:1:2:ffff::1"), "nog-iemand@example.test"))
    # Another /64 has its own count, and an IPv4-mapped address counts as the IPv4 address.
    assert not refused(sign_in(HttpClient(REMOTE_ADDR="2001:db8:1:3::1"), "nog-iemand@example.test"))


def test_ipv6_addresses_are_counted_per_64_and_ipv4_per_address():
    from balie.accounts.throttle import ip_throttle

    assert ip_throttle("2001:db8:1:2::1").key == ip_throttle("2001:db8:1:2:abcd::99").key
    assert ip_throttle("2001:db8:1:2::1").key != ip_throttle("2001:db8:1:3::1").key
    assert ip_throttle("192.0.2.1").key != ip_throttle("192.0.2.2").key
    assert ip_throttle("::ffff:192.0.2.1").key == ip_throttle("192.0.2.1").key
    assert ip_throttle("unknown").key == ip_throttle("unknown").key


NEW_PASSWORD = "een nieuw lang wachtwoord"


def reset_password(browser, email, password=NEW_PASSWORD):
    """Resets the password from ``browser`` through the link the owner is mailed."""
    browser.post(reverse("account_reset_password"), {"email": email})
    body = DevOutboxMessage.objects.filter(recipients=email, body_text__contains="/reset/key/").last().body_text
    link = re.search(r"https?://\S+(/accounts/password/reset/key/\S+/)", body).group(1)
    form = browser.get(link, follow=True).redirect_chain[-1][0]
    response = browser.post(form, {"password1": password, "password2": password})
    assert response.status_code == 302


@time_machine.travel(START, tick=False)
def test_the_browser_that_reset_the_password_signs_in_while_a_stranger_keeps_guessing(personas):
    email = personas.client_user.email
    guess(email, 20)
    owners = HttpClient(REMOTE_ADDR="10.5.0.1")
    reset_password(owners, email)
    guess(email, 20)  # the stranger locks unknown browsers out again at once
    assert refused(sign_in(HttpClient(REMOTE_ADDR="10.5.0.2"), email, NEW_PASSWORD))
    response = sign_in(owners, email, NEW_PASSWORD)
    assert response.status_code == 302
    assert signed_in(owners)


@time_machine.travel(START, tick=False)
def test_a_password_change_turns_every_device_cookie_into_an_unknown_browser(personas):
    email = personas.client_user.email
    browser = owner_browser(email)
    personas.client_user.set_password(NEW_PASSWORD)
    personas.client_user.save(update_fields=["password"])
    guess(email, 20)
    assert refused(sign_in(browser, email, NEW_PASSWORD))
    assert not signed_in(browser)


@time_machine.travel(START, tick=False)
def test_a_password_reset_turns_an_old_device_cookie_into_an_unknown_browser(personas):
    email = personas.client_user.email
    stolen = owner_browser(email)  # say a shared computer the owner once signed in on
    reset_password(HttpClient(REMOTE_ADDR="10.5.0.1"), email)
    for _ in range(6):
        sign_in(stolen, email, "raden maar")
    assert refused(sign_in(stolen, email, NEW_PASSWORD))  # no budget of its own any more


@time_machine.travel(START, tick=False)
def test_a_device_cookie_that_locks_warns_the_owner(personas, settings):
    email = personas.client_user.email
    browser = owner_browser(email)
    for _ in range(settings.BALIE_SIGNIN_DEVICE_FAILURES + 1):
        sign_in(browser, email, "verkeerd")
    assert warnings_to(email) == 1
    body = DevOutboxMessage.objects.get(recipients=email).body_text
    assert "vanuit een browser waarmee u eerder bent ingelogd" in body  # not "a browser you never used"
    assert "nog niet eerder" not in body


@time_machine.travel(START, tick=False)
def test_the_lock_starting_attempt_does_the_same_work_for_unknown_and_existing_addresses(personas, monkeypatch):
    enqueued = []
    monkeypatch.setattr("balie.core.jobs.enqueue", lambda job, **kwargs: enqueued.append((job.name, kwargs)))
    guess("niemand@example.test", 6)
    unknown, enqueued[:] = list(enqueued), []
    guess(personas.client_user.email.upper(), 6)
    known = enqueued
    # One job each, with the address as typed; whether it is someone's is looked up in the job.
    warnings = [
        (name, sorted(kwargs), kwargs["email"].lower(), kwargs["known_browser"])
        for name, kwargs in unknown + known
        if name == "accounts.warn_password_guessing"
    ]
    assert warnings == [
        ("accounts.warn_password_guessing", ["email", "known_browser"], "niemand@example.test", False),
        ("accounts.warn_password_guessing", ["email", "known_browser"], personas.client_user.email, False),
    ]
    # Every failure is written to the audit trail by a job too, just the same for both addresses.
    assert [(name, sorted(kwargs)) for name, kwargs in unknown] == [(name, sorted(kwargs)) for name, kwargs in known]
    assert warnings_to(personas.client_user.email) == 0  # nothing mailed in the request


@time_machine.travel(START, tick=False)
def test_the_warning_job_mails_only_an_existing_active_account(personas):
    from balie.accounts.jobs import warn_password_guessing as warn

    warn(email="niemand@example.test")
    assert not DevOutboxMessage.objects.filter(recipients="niemand@example.test").exists()
    personas.employee.is_active = False
    personas.employee.save(update_fields=["is_active"])
    warn(email=personas.employee.email)
    assert warnings_to(personas.employee.email) == 0
    warn(email=f"  {personas.client_user.email.upper()} ")
    warn(email=personas.client_user.email)  # within the cap
    assert warnings_to(personas.client_user.email) == 1


def test_spellings_the_database_folds_onto_an_address_get_no_warning_of_their_own(personas):
    """PostgreSQL's case rules make "clıent" (dotless i) equal "client"; Python's lower() does not,
    so each such spelling had its own lock and daily cap, and each one mailed the owner."""
    from balie.accounts.jobs import warn_password_guessing as warn

    assert personas.client_user.email == "client@firm-a.test"
    for spelling in ("clıent@firm-a.test", "client@fırm-a.test", "clıent@fırm-a.test"):
        warn(email=spelling)
    assert warnings_to(personas.client_user.email) == 0
    warn(email=personas.client_user.email)
    assert warnings_to(personas.client_user.email) == 1
