import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def profile_data(personas, **overrides):
    data = {
        "first_name": "Pieter",
        "last_name": "Bakker",
        "mobile_number": "06 12345678",
        "language": "nl",
        "preferred_client": "",
    }
    data.update(overrides)
    return data


def test_my_details_shows_and_saves_personal_data(client, personas):
    client.force_login(personas.client_user)
    response = client.post(reverse("accounts:profile"), profile_data(personas, last_name="Bakker-de Boer"))
    assert response.status_code == 302
    personas.client_user.refresh_from_db()
    assert personas.client_user.last_name == "Bakker-de Boer"


def test_the_mobile_number_is_not_changed_without_verifying_it(client, personas):
    """The number for SMS codes changes only through its own page, with a code sent to it."""
    client.force_login(personas.client_user)
    response = client.post(reverse("accounts:profile"), profile_data(personas, mobile_number="0687654321"))
    assert response.status_code == 302
    personas.client_user.refresh_from_db()
    assert personas.client_user.mobile_number == ""
    page = client.get(reverse("accounts:profile")).content.decode()
    assert reverse("twostep:sms_add") in page
    assert reverse("twostep:email_change") in page


def test_bad_first_name_gets_a_clear_message_and_nothing_is_saved(client, personas):
    client.force_login(personas.client_user)
    response = client.post(reverse("accounts:profile"), profile_data(personas, first_name="", last_name="X"))
    assert response.status_code == 200
    assert "first_name" in response.context["form"].errors
    before = personas.client_user.last_name
    personas.client_user.refresh_from_db()
    assert personas.client_user.last_name == before != "X"


def test_language_change_applies_at_once_and_is_remembered(client, personas):
    client.force_login(personas.client_user)
    page = client.get(reverse("accounts:profile"))
    assert '<html lang="nl">' in page.content.decode()
    response = client.post(reverse("accounts:profile"), profile_data(personas, language="en"), follow=True)
    body = response.content.decode()
    assert '<html lang="en">' in body
    assert "My details" in body
    client.logout()
    client.force_login(personas.client_user)
    assert '<html lang="en">' in client.get(reverse("accounts:profile")).content.decode()


def test_signed_in_language_wins_over_the_browser(client, personas):
    personas.client_user.language = "nl"
    personas.client_user.save()
    client.force_login(personas.client_user)
    page = client.get(reverse("accounts:profile"), HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="nl">' in page.content.decode()


def test_preferred_environment_only_offers_own_environments(client, personas):
    client.force_login(personas.client_user)
    response = client.post(
        reverse("accounts:profile"), profile_data(personas, preferred_client=personas.outsider_client.pk)
    )
    assert "preferred_client" in response.context["form"].errors
    response = client.post(reverse("accounts:profile"), profile_data(personas, preferred_client=personas.holding.pk))
    assert response.status_code == 302
    assert client.get("/").url == reverse("home:client", args=[personas.holding.public_id])


def test_footer_language_switch_changes_the_signed_in_users_language(client, personas):
    client.force_login(personas.client_user)
    response = client.post(reverse("accounts:set_language"), {"language": "en", "next": "/mijn-gegevens/"})
    assert response.url == "/mijn-gegevens/"
    personas.client_user.refresh_from_db()
    assert personas.client_user.language == "en"
    assert '<html lang="en">' in client.get("/mijn-gegevens/").content.decode()


def test_footer_language_switch_works_before_signing_in(client, db):
    client.post(reverse("accounts:set_language"), {"language": "en", "next": "/accounts/login/"})
    assert '<html lang="en">' in client.get("/accounts/login/").content.decode()
    client.post(reverse("accounts:set_language"), {"language": "nl", "next": "/accounts/login/"})
    assert '<html lang="nl">' in client.get("/accounts/login/").content.decode()


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_language_switch_never_redirects_off_site(client, personas, target):
    client.force_login(personas.client_user)
    response = client.post(reverse("accounts:set_language"), {"language": "en", "next": target})
    assert response.status_code == 302
    assert response.url == "/"
