"""Every task of the demo can be done (TASK-1), in a real browser (Playwright driving Chromium).

The demo data is loaded; every demo person who can sign in as a client opens Taken, follows each
open task to the page it opens and does it there: approves with a code (Pieter by SMS, Fatima with
the PIN of her activation letter, which she activates first as the README says), marks a review as
seen, signs by drawing, replies to a message, supplies a file. Taken ends empty, and each task's
object is in its completed state. Tasks that appear on the way (the publication documents, once the
annual accounts are signed) are walked too.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from balie.accounts.models import User
from balie.core import demo
from balie.dossiers.tests.test_browser import one_page_pdf
from balie.signing.tests.test_browser_signing import draw_signature
from balie.todos.models import Todo
from balie.twostep.demo import DEMO_PIN
from balie.twostep.tests.test_browser import sign_in
from balie.twostep.tests.utils import enrol_totp, sms_code, totp_now

# The server's clock stands still: a code typed from the app or an SMS cannot expire while a busy
# machine takes its time between reading the code and checking it.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("still_clock")]

FATIMA_MOBILE = "+31687654321"
MAX_TASKS = 12  # per person: a bound, so that a task that comes back cannot loop for ever


class Person:
    """A demo person in the browser: how they sign in and how they confirm with a second factor."""

    def __init__(self, page: Page, base: str, user: User):
        self.page, self.base, self.user = page, base, user
        self.factor = self.number = self.secret = None

    def sign_in(self) -> None:
        from balie.twostep.models import SmsFactor

        page = self.page
        page.context.clear_cookies()
        sign_in(page, self.base, self.user.email, demo.DEMO_PASSWORD)
        if SmsFactor.objects.filter(user=self.user).exists():  # Pieter: the code went out on arrival
            self.number = SmsFactor.objects.get(user=self.user).phone_number
            expect(page).to_have_url(re.compile("/accounts/tweede-stap/"))
            page.fill("#id_code", sms_code(self.number))
            page.click("#verify")
            self.factor = "sms"
        elif self.factor == "totp":
            page.fill("#id_code", totp_now(self.secret))
            page.click("#verify")
        expect(page.locator(".user-menu")).to_be_visible()

    def activate_pin_letter(self) -> None:
        """Fatima: the PIN from her letter links her mobile number (Mijn gegevens → Tweestapsverificatie)."""
        page = self.page
        page.goto(f"{self.base}/mijn-gegevens/tweestapsverificatie/pin/")
        page.fill("#id_pin", DEMO_PIN)
        page.fill("#id_phone_number", FATIMA_MOBILE)
        page.click("#send-code")
        page.fill("#id_code", sms_code(FATIMA_MOBILE))
        page.click("#verify-number")
        expect(page).not_to_have_url(re.compile("/pin/$"))
        self.factor, self.number = "pin", FATIMA_MOBILE

    def confirm(self, button: str = "#confirm") -> None:
        """The step-up box: the person's factor, its code, Bevestigen."""
        page = self.page
        choice = page.locator(f"input[name=stepup_factor][value={self.factor}]")
        if choice.get_attribute("type") == "radio":
            choice.check()
        if self.factor == "sms":
            page.click("#stepup-send-sms")
            expect(page.locator("#stepup-sms-status")).to_contain_text("••")
            page.fill("#stepup-code", sms_code(self.number))
        elif self.factor == "pin":
            page.fill("#stepup-code", DEMO_PIN)
        page.click(button)


def do_the_task(person: Person) -> str:
    """Does whatever the page a task opened asks for; returns what it was."""
    page = person.page
    url = page.url
    if "/accordering/" in url:
        if page.locator("#acknowledge").count():
            page.click("#acknowledge")
            expect(page.locator("#acknowledge")).to_have_count(0)
            expect(page.locator("#settled-by")).to_be_visible()
            return "review"
        page.click("#approve")
        expect(page.locator("#confirm-summary")).to_be_visible()
        if page.locator("#send-later").count():
            page.check("#send-later")
        person.confirm()
        expect(page.locator(".messages")).to_be_visible()
        return "approve"
    if "/ondertekenen/" in url:
        expect(page.locator("#preview-pages canvas").first).to_be_visible()  # drawn by PDF.js
        page.click("#to-sign")
        draw_signature(page)
        page.click("#to-confirm")
        expect(page.locator("#signature-preview")).to_be_visible()
        person.confirm()
        expect(page).to_have_url(re.compile(r"/voortgang/$"))
        expect(page.locator("#signed-done")).to_be_visible()
        return "sign"
    if "/berichten/" in url:
        page.wait_for_load_state()  # the deferred editor script
        editor = page.locator("#reply .richtext-editor")
        editor.click()
        page.keyboard.type("Ja graag, dank u.")
        page.click("#send-message")
        expect(page.locator("#messages")).to_contain_text("Ja graag, dank u.")
        return "reply"
    if "/aanleveren/" in url:
        page.wait_for_load_state()  # the upload script (deferred)
        expect(page.locator("#id_map")).not_to_have_value("")  # the folder asked for, chosen
        expect(page.locator("#asked li").first).to_be_visible()  # and what the firm asks for
        page.set_input_files(
            "#id_files",
            files=[{"name": "opgave.pdf", "mimeType": "application/pdf", "buffer": one_page_pdf("Opgave")}],
        )
        page.click("#send-files")
        expect(page).to_have_url(re.compile(r"\?tab=client$"))
        return "upload"
    raise AssertionError(f"a task opened {url}, where nothing can be done")


def walk(person: Person) -> list[str]:
    """Opens Taken, does the first task, until none is left; returns the kinds done."""
    page, done = person.page, []
    for _ in range(MAX_TASKS):
        page.goto(f"{person.base}/taken/")
        tasks = page.locator("ul.todos li a")
        if tasks.count() == 0:
            return done
        tasks.first.click()
        done.append(do_the_task(person))
    raise AssertionError(f"{person.user.email} still has tasks after {MAX_TASKS}: {done}")


def completed(todo: Todo) -> bool:
    """Whether the task's object is in the state its task asked for."""
    from balie.approvals.models import Request
    from balie.approvals.states import Status
    from balie.dossiers.models import Folder
    from balie.messaging.models import Thread

    target, who = todo.target, todo.handled_by
    if isinstance(target, Request):
        decided = target.decisions.filter(user=who).values_list("outcome", flat=True)
        expected = {"approve": "approved", "review": "acknowledged", "sign": "signed"}[todo.kind]
        return expected in decided and target.status not in (Status.OPEN, Status.WAITING)
    if isinstance(target, Thread):
        return target.waiting_on == Thread.Side.FIRM and target.messages.filter(author=who).exists()
    if isinstance(target, Folder):
        return target.documents.filter(created_by=who, direction="client").exists()
    return False


def test_every_open_task_of_every_demo_person_is_done_on_the_page_it_opens(page: Page, live_server, settings):
    settings.BALIE_SMS_CODE_INTERVAL_SECONDS = 0  # one confirmation after another
    settings.BALIE_DIGIPOORT_DELAY_SECONDS = 0
    demo.load()
    at_start = set(Todo.objects.filter(status=Todo.Status.OPEN).values_list("pk", flat=True))
    assert len(at_start) == 8  # Pieter's six, Fatima's two
    settled_before = set(Todo.objects.exclude(status=Todo.Status.OPEN).values_list("pk", flat=True))
    people = [User.objects.get(email=login.email) for login in demo.logins() if login.role == "client"]
    walked = {}
    for user in people:
        person = Person(page, live_server.url, user)
        if user.email.startswith("anna."):
            # Notariskantoor Hoekstra requires two-step verification: she uses an authenticator app.
            person.secret, person.factor = enrol_totp(user), "totp"
        person.sign_in()
        if user.email.startswith("fatima."):
            person.activate_pin_letter()
        walked[user.email] = walk(person)

    assert sorted(walked["pieter.bakker@bakker-installatie.example"]) == [
        "approve",  # the VAT return
        "approve",  # the holding's draft annual accounts
        "approve",  # the publication documents, asked once the annual accounts were signed
        "reply",
        "review",
        "sign",
        "upload",
    ]
    assert sorted(walked["fatima.elamrani@mail.example"]) == ["approve", "upload"]
    assert not Todo.objects.filter(status=Todo.Status.OPEN).exists()
    handled = Todo.objects.filter(status=Todo.Status.DONE).exclude(pk__in=settled_before)
    assert at_start <= set(handled.values_list("pk", flat=True))  # done, not closed
    assert handled.count() == 9  # with the publication documents
    assert [todo.title for todo in handled if not completed(todo)] == []
