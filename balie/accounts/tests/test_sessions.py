"""Actieve sessies in Mijn gegevens (ACC-6): see where you are signed in, sign other devices out."""

import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from balie.accounts.factories import TEST_PASSWORD
from balie.accounts.models import UserSession
from balie.accounts.user_agents import describe_user_agent, parse_user_agent

pytestmark = pytest.mark.django_db

LIST = reverse("accounts:sessions")
PROFILE = reverse("accounts:profile")
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def signed_in(user, *, user_agent: str = CHROME_WINDOWS, ip: str = "192.0.2.10") -> HttpClient:
    """A browser on its own device, signed in through the real sign-in form."""
    browser = HttpClient(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=ip)
    response = browser.post(reverse("account_login"), {"login": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    return browser


def row_of(browser) -> UserSession:
    return UserSession.objects.get(session_key=browser.session.session_key)


def is_signed_in(browser) -> bool:
    return browser.get(PROFILE).status_code == 200


@pytest.fixture
def english(personas):
    """The client user reads Balie in English, so the page's text can be asserted before it is translated."""
    personas.client_user.language = "en"
    personas.client_user.save(update_fields=["language"])
    return personas


def test_list_shows_the_users_own_sessions_with_device_and_ip(english):
    laptop = signed_in(english.client_user, user_agent=CHROME_WINDOWS, ip="192.0.2.10")
    phone = signed_in(english.client_user, user_agent=SAFARI_IPHONE, ip="198.51.100.7")
    stranger = signed_in(english.outsider, user_agent=FIREFOX_LINUX, ip="203.0.113.99")

    body = laptop.get(LIST).content.decode()

    assert "Chrome on Windows" in body and "192.0.2.10" in body
    assert "Safari on iPhone" in body and "198.51.100.7" in body
    assert f'id="session-{row_of(phone).public_id}"' in body
    assert "Firefox on Linux" not in body and "203.0.113.99" not in body
    assert str(row_of(stranger).public_id) not in body
    for browser in (laptop, phone, stranger):
        assert browser.session.session_key not in body  # the key is a credential; only public ids leave


def test_the_current_session_is_marked_and_has_no_sign_out_button(english):
    laptop = signed_in(english.client_user, user_agent=CHROME_WINDOWS)
    phone = signed_in(english.client_user, user_agent=SAFARI_IPHONE)

    response = phone.get(LIST)

    items = list(response.context["sessions"])
    assert [item.is_current for item in items] == [True, False]  # the current one first
    assert items[0].session_key == phone.session.session_key
    body = response.content.decode()
    current = body.split(f'id="session-{row_of(phone).public_id}"', 1)[1].split("</tr>", 1)[0]
    other = body.split(f'id="session-{row_of(laptop).public_id}"', 1)[1].split("</tr>", 1)[0]
    assert "This session" in current and "This session" not in other
    assert reverse("accounts:session_end", args=[row_of(phone).public_id]) not in body
    assert reverse("accounts:session_end", args=[row_of(laptop).public_id]) in other


def test_my_details_links_to_the_sessions(personas):
    browser = signed_in(personas.client_user)
    assert f'href="{LIST}"' in browser.get(PROFILE).content.decode()


def test_ending_another_session_signs_that_device_out(personas):
    laptop = signed_in(personas.client_user, user_agent=CHROME_WINDOWS)
    phone = signed_in(personas.client_user, user_agent=SAFARI_IPHONE)
    phone_key = phone.session.session_key

    response = laptop.post(reverse("accounts:session_end", args=[row_of(phone).public_id]))

    assert response.status_code == 302 and response.url == LIST
    assert not Session.objects.filter(session_key=phone_key).exists()
    assert not UserSession.objects.filter(session_key=phone_key).exists()
    assert phone.get(PROFILE).status_code == 302  # back to the sign-in page
    assert is_signed_in(laptop)


def test_sign_out_everywhere_else_keeps_this_session_and_ends_all_others(personas):
    here = signed_in(personas.client_user)
    elsewhere = [signed_in(personas.client_user, ip=f"192.0.2.{n}") for n in (21, 22, 23)]
    other_keys = [browser.session.session_key for browser in elsewhere]
    bystander = signed_in(personas.employee)  # another person's session is none of this

    response = here.post(LIST)

    assert response.status_code == 302 and response.url == LIST
    assert not Session.objects.filter(session_key__in=other_keys).exists()
    assert [browser.get(PROFILE).status_code for browser in elsewhere] == [302, 302, 302]
    assert is_signed_in(here)
    assert list(personas.client_user.sessions.values_list("session_key", flat=True)) == [here.session.session_key]
    assert is_signed_in(bystander)


def test_another_users_session_id_answers_404_and_leaves_it_alive(personas):
    victim = signed_in(personas.client_user)
    attacker = signed_in(personas.outsider)
    url = reverse("accounts:session_end", args=[row_of(victim).public_id])

    unknown = reverse("accounts:session_end", args=["00000000-0000-0000-0000-000000000000"])
    assert attacker.post(url).status_code == 404
    assert attacker.post(unknown).status_code == 404
    assert is_signed_in(victim)
    assert UserSession.objects.filter(session_key=victim.session.session_key).exists()


def test_ending_needs_a_post_with_the_csrf_token(personas):
    phone = signed_in(personas.client_user, user_agent=SAFARI_IPHONE)
    laptop = HttpClient(enforce_csrf_checks=True)
    laptop.force_login(personas.client_user)
    url = reverse("accounts:session_end", args=[row_of(phone).public_id])

    assert laptop.get(url).status_code == 405
    assert laptop.post(url).status_code == 403
    assert laptop.post(LIST).status_code == 403
    assert is_signed_in(phone)


def test_ending_this_session_by_its_id_is_signing_out(personas):
    browser = signed_in(personas.client_user)
    response = browser.post(reverse("accounts:session_end", args=[row_of(browser).public_id]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert not is_signed_in(browser)


def test_ended_and_expired_sessions_are_not_listed_and_are_pruned_at_sign_in(personas):
    here = signed_in(personas.client_user)
    expired, gone = signed_in(personas.client_user), signed_in(personas.client_user)
    Session.objects.filter(session_key=expired.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    Session.objects.filter(session_key=gone.session.session_key).delete()  # e.g. by clearsessions
    expired_row = row_of(expired)

    listed = list(here.get(LIST).context["sessions"])

    assert [item.session_key for item in listed] == [here.session.session_key]
    assert here.post(reverse("accounts:session_end", args=[expired_row.public_id])).status_code == 404
    signed_in(personas.client_user)  # the next sign-in forgets sessions that have ended
    assert not UserSession.objects.filter(pk=expired_row.pk).exists()
    assert personas.client_user.sessions.count() == 2


def test_sessions_past_the_absolute_lifetime_are_not_listed(personas, settings):
    start = time.time()
    with time_machine.travel(start, tick=False):
        old = signed_in(personas.client_user)
    # Kept active all day, so its idle deadline is still ahead; only the absolute lifetime has passed.
    Session.objects.filter(session_key=old.session.session_key).update(
        expire_date=datetime.fromtimestamp(start, tz=UTC) + timedelta(days=1)
    )
    with time_machine.travel(start + settings.BALIE_SESSION_MAX_SECONDS + 60, tick=False):
        new = signed_in(personas.client_user)
        listed = list(new.get(LIST).context["sessions"])
        assert not is_signed_in(old)
    assert [item.session_key for item in listed] == [new.session.session_key]


def test_last_seen_moves_only_after_the_touch_interval_with_one_update(personas, settings):
    start = int(time.time())  # whole seconds: no float rounding between time.time() and datetimes
    with time_machine.travel(start, tick=False):
        browser = signed_in(personas.client_user)
    signed_in_at = datetime.fromtimestamp(start, tz=UTC)
    assert row_of(browser).last_seen_at == signed_in_at

    soon = start + settings.BALIE_SESSION_TOUCH_SECONDS - 5
    with time_machine.travel(soon, tick=False), CaptureQueriesContext(connection) as quiet:
        assert is_signed_in(browser)
    assert row_of(browser).last_seen_at == signed_in_at
    assert not [q for q in quiet.captured_queries if "accounts_usersession" in q["sql"]]

    later = start + settings.BALIE_SESSION_TOUCH_SECONDS + 5
    with time_machine.travel(later, tick=False), CaptureQueriesContext(connection) as touched:
        assert is_signed_in(browser)
    assert row_of(browser).last_seen_at == datetime.fromtimestamp(later, tz=UTC)
    session_queries = [q["sql"] for q in touched.captured_queries if "accounts_usersession" in q["sql"]]
    assert len(session_queries) == 1 and session_queries[0].startswith("UPDATE")


def test_list_takes_the_same_number_of_queries_for_1_or_15_sessions(personas, django_assert_max_num_queries):
    browser = signed_in(personas.client_user)
    browser.get(LIST)  # warm up: anything cached per process
    with CaptureQueriesContext(connection) as one:
        assert len(browser.get(LIST).context["sessions"]) == 1
    for n in range(14):
        other = HttpClient(HTTP_USER_AGENT=SAFARI_IPHONE, REMOTE_ADDR=f"198.51.100.{n + 1}")
        other.force_login(personas.client_user)

    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(browser.get(LIST).context["sessions"]) == 15


def test_ending_a_session_works_with_the_cached_db_session_store(personas, settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    laptop = signed_in(personas.client_user)
    phone = signed_in(personas.client_user, user_agent=SAFARI_IPHONE)
    assert is_signed_in(phone)  # now also in the cache

    assert len(laptop.get(LIST).context["sessions"]) == 2
    laptop.post(reverse("accounts:session_end", args=[row_of(phone).public_id]))

    assert not is_signed_in(phone)
    assert is_signed_in(laptop)


@pytest.mark.parametrize(
    ("user_agent", "browser", "system"),
    [
        (CHROME_WINDOWS, "Chrome", "Windows"),
        (SAFARI_IPHONE, "Safari", "iPhone"),
        (FIREFOX_LINUX, "Firefox", "Linux"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86",
            "Edge",
            "Windows",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.5 Safari/605.1.15",
            "Safari",
            "macOS",
        ),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox", "macOS"),
        (
            "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Mobile Safari/537.36",
            "Chrome",
            "Android",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
            "SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
            "Samsung Internet",
            "Android",
        ),
        (
            "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1",
            "Chrome",
            "iPad",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36 OPR/116.0.0.0",
            "Opera",
            "Windows",
        ),
        (
            "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36",
            "Chrome",
            "ChromeOS",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Mobile/15E148",
            None,
            "iPhone",
        ),  # an app's web view: no browser to name
        ("curl/8.5.0", None, None),
        ("", None, None),
    ],
)
def test_user_agent_parser_names_browser_and_system(user_agent, browser, system):
    assert parse_user_agent(user_agent) == (browser, system)


def test_user_agent_description_reads_as_a_phrase():
    with translation.override("en"):
        assert describe_user_agent(SAFARI_IPHONE) == "Safari on iPhone"
        assert describe_user_agent("curl/8.5.0") == "Unknown device"
        assert describe_user_agent("Mozilla/5.0 (Linux; Android 14) Mobile") == "Browser on Android"
