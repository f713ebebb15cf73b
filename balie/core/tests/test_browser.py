"""End-to-end journeys in a real browser (Playwright driving Chromium)."""

import re

import pytest
from playwright.sync_api import Page, expect

from balie.accounts.factories import TEST_PASSWORD
from balie.clients.factories import ClientFactory
from balie.clients.models import Client
from balie.firms.factories import FirmFactory, StaffMemberFactory
from balie.firms.models import StaffMember

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NEW_PASSWORD = "mijn eigen lange wachtwoord"


def sign_in(page: Page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.click("#sign-in")


def open_latest_mail_link(page: Page, base: str, pattern: str) -> str:
    page.goto(f"{base}/dev/outbox/")
    page.locator("tbody tr a").first.click()
    link = page.locator(f"a[href*='{pattern}']").first.get_attribute("href")
    return link


def test_staff_invites_a_person_who_activates_and_switches_environments(page: Page, live_server, settings):
    settings.BALIE_SITE_URL = live_server.url
    base = live_server.url
    firm = FirmFactory(name="Van Dijk & Partners", primary_colour="#204060")
    staff = StaffMemberFactory(firm=firm, role=StaffMember.Role.ADMIN, user__email="sanne@vandijk.test")
    company = ClientFactory(firm=firm, kind=Client.Kind.COMPANY, name="Bakker Installatietechniek B.V.")
    holding = ClientFactory(firm=firm, kind=Client.Kind.HOLDING, name="Bakker Holding B.V.")
    elsewhere = ClientFactory(firm=FirmFactory(name="Notariskantoor Hoekstra"), name="Visser B.V.")

    # Staff invite the person into both environments through the back office.
    sign_in(page, base, staff.user.email, TEST_PASSWORD)
    for client, director in ((company, True), (holding, False)):
        page.goto(f"{base}/kantoor/")
        page.fill("#id_q", client.name[:12])
        # The list narrows as you type (htmx); wait for it before clicking.
        expect(page.locator("#client-table tbody tr")).to_have_count(1)
        page.get_by_role("link", name=client.name).click()
        page.click("#contact-add")  # a contact person with portal access (ORG-4)
        page.select_option("#id_salutation", "mr")
        page.fill("#id_email", "pieter@bakker.test")
        page.fill("#id_first_name", "Pieter")
        page.fill("#id_last_name", "Bakker")
        page.check("#id_give_access")
        page.select_option("#id_role", "admin")
        if director:
            page.check("#id_is_director")
        page.click("#contact-save")
        expect(page.locator(".message.success")).to_contain_text("pieter@bakker.test")
    page.context.clear_cookies()  # the person uses another browser

    # The person reads the invitation in the development outbox and sets a password.
    link = open_latest_mail_link(page, base, "/uitnodiging/")
    page.goto(link)
    page.fill("#id_password1", NEW_PASSWORD)
    page.fill("#id_password2", NEW_PASSWORD)
    page.click("#activate")
    expect(page).to_have_url(re.compile(r"/mijn-gegevens/$"))
    expect(page.locator("#id_first_name")).to_have_value("Pieter")

    # Switch with the switcher ("Organisatie kiezen") ...
    page.locator(".switcher summary").click()
    page.locator(".switcher .menu-panel a", has_text="Bakker Holding B.V.").click()
    expect(page).to_have_url(re.compile(f"/o/{holding.public_id}/$"))
    expect(page.locator(".switcher summary strong")).to_have_text("Bakker Holding B.V.")

    # ... and with a deep link, as from an e-mail.
    page.goto(f"{base}/o/{company.public_id}/")
    expect(page.locator(".switcher summary strong")).to_have_text("Bakker Installatietechniek B.V.")
    expect(page.locator("h1")).to_contain_text("Pieter")

    # Another firm's environment and an unknown one answer alike: 404, nothing about them shown.
    for unknown in (elsewhere.public_id, "00000000-0000-0000-0000-000000000000"):
        response = page.goto(f"{base}/o/{unknown}/")
        assert response.status == 404
        assert "Visser" not in page.content()

    # Sign out through the user menu.
    page.goto(f"{base}/")
    page.locator(".user-menu summary").click()
    page.click("#sign-out")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.goto(f"{base}/mijn-gegevens/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))


def test_start_page_fits_a_phone_and_works_with_the_keyboard(page: Page, live_server, personas):
    base = live_server.url
    page.set_viewport_size({"width": 375, "height": 740})
    sign_in(page, base, personas.client_user.email, TEST_PASSWORD)
    page.goto(f"{base}/o/{personas.company.public_id}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    # Keyboard only: the first Tab reaches the skip link, the switcher opens with Enter.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.locator(".switcher summary").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".switcher .menu-panel")).to_be_visible()
    page.locator(".switcher .menu-panel a", has_text="Bakker Holding B.V.").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(f"/o/{personas.holding.public_id}/$"))


def test_client_sees_tasks_and_notifications_and_opens_a_task(page: Page, live_server, personas):
    from balie.clients.models import Membership
    from balie.notifications.models import EventKind
    from balie.notifications.services import notify
    from balie.todos.models import Todo
    from balie.todos.services import todo_create

    base = live_server.url
    Membership.objects.filter(user=personas.client_user).update(may_handle_documents=True)
    from balie.dossiers.services import dossier_create

    folder = dossier_create(client=personas.holding, description="Doorlopend dossier").folders.get(name="Fiscaal")
    todo = todo_create(client=personas.holding, kind=Todo.Kind.UPLOAD, title="Btw-aangifte Q3", target=folder)
    notify(
        users=[personas.client_user],
        client=personas.holding,
        kind=EventKind.REQUEST,
        title="Akkoord gevraagd: Btw-aangifte Q3",
        link=f"/o/{personas.holding.public_id}/taken/{todo.public_id}/",
    )
    sign_in(page, base, personas.client_user.email, TEST_PASSWORD)
    page.goto(f"{base}/o/{personas.private.public_id}/")
    expect(page.locator("#menu-todo-count")).to_have_text("1")
    expect(page.locator("#bell-count")).to_have_text("1")
    # The bell leads to the task, which opens in its own environment (the holding).
    page.locator(".bell").click()
    page.get_by_role("link", name="Akkoord gevraagd: Btw-aangifte Q3").click()
    expect(page).to_have_url(
        re.compile(f"/o/{personas.holding.public_id}/dossiers/.+/aanleveren/[?]map={folder.public_id}$")
    )
    expect(page.locator("#id_map")).to_have_value(str(folder.public_id))  # the folder asked for, chosen
    expect(page.locator(".switcher summary strong")).to_have_text(personas.holding.name)
    expect(page.locator(".bell .count")).to_have_count(0)  # read now
    # Once handled by someone, the task leaves the list; the old link says who handled it.
    from balie.todos.services import todo_handle

    todo_handle(todo=todo, user=personas.client_user)
    page.goto(f"{base}/taken/")
    expect(page.locator(".list.todos li")).to_have_count(0)
    page.goto(f"{base}/o/{personas.holding.public_id}/taken/{todo.public_id}/")
    expect(page.locator(".message.success")).to_contain_text("afgehandeld door")


def test_the_browser_accepts_the_permissions_policy_and_keeps_passkeys(page: Page, live_server):
    problems = []
    page.on("console", lambda message: problems.append(message.text) if "Permissions-Policy" in message.text else None)
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.locator("#sign-in")).to_be_visible()
    allowed = page.evaluate(
        "['camera', 'geolocation', 'payment', 'publickey-credentials-get', 'publickey-credentials-create']"
        ".map((feature) => document.featurePolicy.allowsFeature(feature))"
    )
    assert allowed == [False, False, False, True, True]
    assert problems == []  # every feature named is one the browser knows


def test_forgotten_password_reset_with_the_link_from_the_outbox(page: Page, live_server, settings, personas):
    """A token page posted from Chromium: its referrer policy lets the form carry a real Origin."""
    settings.BALIE_SITE_URL = live_server.url
    base = live_server.url
    page.goto(f"{base}/accounts/password/reset/")
    page.fill("input[name=email]", personas.client_user.email)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/accounts/password/reset/done/$"))

    link = open_latest_mail_link(page, base, "/accounts/password/reset/key/")
    page.goto(link)
    page.fill("input[name=password1]", NEW_PASSWORD)
    page.fill("input[name=password2]", NEW_PASSWORD)
    page.get_by_role("button", name="Wachtwoord wijzigen").click()
    expect(page).to_have_url(re.compile(r"/accounts/password/reset/key/done/$"))
    personas.client_user.refresh_from_db()
    assert personas.client_user.check_password(NEW_PASSWORD)
