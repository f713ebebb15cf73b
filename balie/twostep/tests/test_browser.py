"""Two-step verification in a real browser (Playwright driving Chromium)."""

import re

import pytest
from playwright.sync_api import Page, expect

from balie.accounts.factories import TEST_PASSWORD, UserFactory
from balie.clients.factories import ClientFactory, MembershipFactory
from balie.clients.models import Client, Membership
from balie.firms.factories import FirmFactory
from balie.twostep.tests.utils import sms_code, totp_now

# The server's clock stands still: a code typed from the app (30-second windows) or an SMS cannot
# expire while a busy machine takes its time between reading the code and checking it.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("still_clock")]


def sign_in(page: Page, base: str, email: str, password: str = TEST_PASSWORD) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.click("#sign-in")


def sign_in_with_sms(page: Page, base: str, user, number: str) -> None:
    """Signs ``user`` in with the SMS code sent to ``number`` on arrival at the second step."""
    sign_in(page, base, user.email)
    expect(page.locator("#sms-sent-to")).to_be_visible()
    page.fill("#id_code", sms_code(number))
    page.click("#verify")
    expect(page.locator(".user-menu")).to_be_visible()


def sign_out(page: Page) -> None:
    page.locator(".user-menu summary").click()
    page.click("#sign-out")
    expect(page.locator("#sign-in")).to_be_visible()


def test_enrol_totp_sign_in_with_it_and_use_a_recovery_code_once(page: Page, live_server):
    base = live_server.url
    firm = FirmFactory(name="Van Dijk & Partners")
    company = ClientFactory(firm=firm, kind=Client.Kind.COMPANY, name="Bakker B.V.")
    user = UserFactory(email="pieter@bakker.test", first_name="Pieter")
    MembershipFactory(user=user, client=company, role=Membership.Role.ADMIN)

    sign_in(page, base, user.email)
    page.goto(f"{base}/mijn-gegevens/")
    page.click("#twostep-link")
    page.click("#add-totp")
    expect(page.locator(".qr svg")).to_be_visible()
    secret = page.locator("#totp-secret").get_attribute("data-secret")
    page.fill("#id_code", "123 456" if totp_now(secret) != "123456" else "654321")  # a wrong first code
    page.click("#activate-totp")
    expect(page.locator(".has-error .error")).to_be_visible()
    page.fill("#id_code", totp_now(secret))
    page.click("#activate-totp")

    # The recovery codes are shown once.
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    page.click("#codes-saved")
    expect(page.locator("#twostep-status")).to_have_class(re.compile("success"))
    sign_out(page)

    # Password, then the app (the code of the next window: the current one was just used).
    sign_in(page, base, user.email)
    expect(page).to_have_url(re.compile("/accounts/tweede-stap/"))
    page.fill("#id_code", totp_now(secret, 1))
    page.click("#verify")
    expect(page.locator(".user-menu")).to_be_visible()
    sign_out(page)

    # Lost phone: a recovery code works once.
    for attempt in range(2):
        sign_in(page, base, user.email)
        page.click("a[href='?methode=recovery']")
        page.fill("#id_code", codes[0])
        page.click("#verify")
        if attempt == 0:
            expect(page.locator(".user-menu")).to_be_visible()
            sign_out(page)
        else:
            expect(page.locator("#twostep-error")).to_be_visible()
            expect(page.locator(".user-menu")).to_have_count(0)


def test_with_the_firm_requiring_it_a_new_invitee_cannot_reach_the_start_page_first(page: Page, live_server, settings):
    settings.BALIE_SITE_URL = live_server.url
    base = live_server.url
    firm = FirmFactory(name="Notariskantoor Hoekstra", twostep_required_for_clients=True)
    client = ClientFactory(firm=firm, kind=Client.Kind.PERSONAL, name="A. Visser")
    from balie.clients.services import invitation_create
    from balie.notifications.models import OutboxMessage

    invitation_create(client=client, actor=None, email="anna@visser.test", first_name="Anna", last_name="Visser")
    mail = OutboxMessage.objects.filter(recipient="anna@visser.test").latest("id")
    link = re.search(r"https?://\S+/uitnodiging/\S+/", mail.body_text).group(0)
    page.goto(link)
    page.fill("#id_password1", "mijn eigen lange wachtwoord")
    page.fill("#id_password2", "mijn eigen lange wachtwoord")
    page.click("#activate")
    expect(page).to_have_url(re.compile("/mijn-gegevens/tweestapsverificatie/$"))

    # Anything else leads back to setting up two-step verification.
    for path in ("/", f"/o/{client.public_id}/", "/taken/"):
        page.goto(f"{base}{path}")
        expect(page).to_have_url(re.compile("/mijn-gegevens/tweestapsverificatie/$"))
        expect(page.locator("#twostep-status")).to_have_class(re.compile("warning"))
    page.click("#add-totp")
    secret = page.locator("#totp-secret").get_attribute("data-secret")
    page.fill("#id_code", totp_now(secret))
    page.click("#activate-totp")
    page.click("#codes-saved")
    page.goto(f"{base}/")
    expect(page).to_have_url(re.compile(f"/o/{client.public_id}/"))


def test_add_a_passkey_and_sign_in_with_it(page: Page, live_server):
    base = live_server.url.replace("127.0.0.1", "localhost")  # WebAuthn needs a secure context
    firm = FirmFactory(name="Van Dijk & Partners")
    company = ClientFactory(firm=firm, kind=Client.Kind.COMPANY, name="Bakker B.V.")
    user = UserFactory(email="pieter@bakker.test", first_name="Pieter")
    MembershipFactory(user=user, client=company, role=Membership.Role.ADMIN)

    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    sign_in(page, base, user.email)
    page.goto(f"{base}/mijn-gegevens/tweestapsverificatie/")
    page.click("#add-passkey")
    page.fill("#id_name", "Laptop")
    page.click("#create-passkey")
    expect(page.locator("#recovery-codes code")).to_have_count(10)  # the first method brings them
    page.click("#codes-saved")
    expect(page.locator("#passkeys")).to_contain_text("Laptop")
    sign_out(page)

    # The passkey alone signs in (the device checks the fingerprint or PIN).
    page.goto(f"{base}/accounts/login/")
    page.click("#passkey_login")
    expect(page.locator(".user-menu")).to_be_visible()

    # With a password, the passkey is the second step.
    sign_out(page)
    sign_in(page, base, user.email)
    expect(page).to_have_url(re.compile("/accounts/tweede-stap/"))
    page.click("#use-passkey")
    expect(page.locator(".user-menu")).to_be_visible()


def test_the_sms_code_is_sent_on_arrival_at_the_second_step(page: Page, live_server):
    """Pieter signs in with the code that went out after his password: no "Nieuw token versturen"."""
    from balie.notifications.models import OutboxMessage
    from balie.twostep.tests.utils import enrol_sms, sms_code

    base = live_server.url
    firm = FirmFactory(name="Van Dijk & Partners")
    company = ClientFactory(firm=firm, kind=Client.Kind.COMPANY, name="Bakker B.V.")
    user = UserFactory(email="pieter@bakker.test", first_name="Pieter")
    MembershipFactory(user=user, client=company, role=Membership.Role.ADMIN)
    enrol_sms(user, "+31612345678")

    sign_in(page, base, user.email)
    expect(page).to_have_url(re.compile("/accounts/tweede-stap/"))
    expect(page.locator("#sms-sent-to")).to_contain_text("06-…78")
    assert OutboxMessage.objects.filter(channel="sms", recipient="+31612345678").count() == 1
    page.fill("#id_code", sms_code("+31612345678"))
    page.click("#verify")
    expect(page.locator(".user-menu")).to_be_visible()
    assert OutboxMessage.objects.filter(channel="sms").count() == 1


def test_change_the_password_confirmed_with_an_sms_code(page: Page, live_server):
    from balie.twostep.tests.utils import enrol_sms, enrol_totp, sms_code

    base = live_server.url
    user = UserFactory(email="fatima@mail.test", first_name="Fatima")
    MembershipFactory(user=user, client=ClientFactory(kind=Client.Kind.PERSONAL), role=Membership.Role.ADMIN)
    secret = enrol_totp(user)
    enrol_sms(user)
    sign_in(page, base, user.email)
    page.fill("#id_code", totp_now(secret))  # the app comes first; SMS is offered below it
    page.click("#verify")
    page.goto(f"{base}/mijn-gegevens/wachtwoord/")
    page.fill("#id_oldpassword", TEST_PASSWORD)
    page.fill("#id_password1", "een nieuw lang wachtwoord")
    page.fill("#id_password2", "een nieuw lang wachtwoord")
    page.check("input[name=stepup_factor][value=sms]")
    expect(page.locator("label[for=stepup-code]")).to_have_text("Code")
    page.click("#stepup-send-sms")
    expect(page.locator("#stepup-sms-status")).to_contain_text("••")
    page.fill("#stepup-code", sms_code())
    page.click("#change-password")
    expect(page).to_have_url(re.compile("/mijn-gegevens/$"))
    user.refresh_from_db()
    assert user.check_password("een nieuw lang wachtwoord")


def test_someone_with_only_a_passkey_confirms_a_new_method_with_it(page: Page, live_server):
    """The passkey answers the confirmation box (ACC-7) in the browser."""
    from allauth.mfa.models import Authenticator

    base = live_server.url.replace("127.0.0.1", "localhost")
    user = UserFactory(email="pieter@bakker.test", first_name="Pieter")
    MembershipFactory(user=user, client=ClientFactory(kind=Client.Kind.PERSONAL), role=Membership.Role.ADMIN)
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    sign_in(page, base, user.email)
    page.goto(f"{base}/mijn-gegevens/tweestapsverificatie/passkey/")
    page.fill("#id_name", "Laptop")
    page.click("#create-passkey")
    page.click("#codes-saved")

    page.click("#add-totp")
    secret = page.locator("#totp-secret").get_attribute("data-secret")
    page.fill("#id_code", totp_now(secret))
    expect(page.locator("#stepup-passkey")).to_be_visible()
    page.click("#stepup-passkey")  # the passkey confirms and the form is sent
    expect(page.locator("#totp")).to_contain_text("Aan")
    assert Authenticator.objects.filter(user=user, type="totp").exists()


def test_change_the_email_address_with_the_link_from_the_outbox(page: Page, live_server, settings):
    """The confirmation page is posted from Chromium, which sends an Origin header Django's CSRF
    check compares with the site: a page hiding its origin (Origin: null) would be refused."""
    settings.BALIE_SITE_URL = live_server.url
    base = live_server.url
    user = UserFactory(email="pieter@bakker.test", first_name="Pieter")
    MembershipFactory(user=user, client=ClientFactory(kind=Client.Kind.PERSONAL), role=Membership.Role.ADMIN)
    sign_in(page, base, user.email)
    expect(page.locator(".user-menu")).to_be_visible()
    page.goto(f"{base}/mijn-gegevens/e-mailadres/")
    page.fill("#id_email", "pieter@nieuw.test")
    page.fill("#stepup-code", TEST_PASSWORD)  # no second factor yet: the password confirms
    page.click("#change-email")
    expect(page).to_have_url(re.compile("/mijn-gegevens/$"))
    expect(page.locator(".message.success")).to_contain_text("pieter@nieuw.test")

    # The link to the new address, opened from the development outbox.
    page.goto(f"{base}/dev/outbox/")
    page.locator("tbody tr", has_text="pieter@nieuw.test").locator("a").first.click()
    page.locator("a[href*='/mijn-gegevens/e-mailadres/bevestigen/']").first.click()
    expect(page.locator("#confirm-email")).to_be_visible()
    page.click("#confirm-email")
    expect(page).to_have_url(re.compile("/mijn-gegevens/$"))
    expect(page.locator(".message.success")).to_contain_text("Uw e-mailadres is nu pieter@nieuw.test")
    user.refresh_from_db()
    assert user.email == "pieter@nieuw.test"
