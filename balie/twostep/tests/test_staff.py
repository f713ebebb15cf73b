"""The firm's side of two-step verification: the overview per person, PIN letters, resets, policy."""

import io
import re
from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth.hashers import check_password
from django.contrib.sessions.models import Session
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from balie.accounts.factories import UserFactory
from balie.clients.factories import MembershipFactory
from balie.firms.factories import StaffMemberFactory
from balie.firms.models import StaffMember
from balie.notifications.models import OutboxMessage
from balie.twostep import enrolment
from balie.twostep.letters import pin_letter_pdf
from balie.twostep.models import Factor, FactorLock, FactorReset, PinLetter, SmsFactor
from balie.twostep.selectors import enrolled_factors, locks_for
from balie.twostep.services import mask_number
from balie.twostep.tests.utils import enrol_sms, enrol_totp, sms_code

pytestmark = pytest.mark.django_db

PIN_IN_PDF = re.compile(rb"\((\d{6})\) Tj")


def in_english(*users):
    for user in users:
        user.language = "en"
        user.save(update_fields=["language"])


def pin_letter_url(client, person):
    return reverse("twostep_staff:pin_letter", args=[client.public_id, person.public_id])


def reset_url(client, person):
    return reverse("twostep_staff:factors_reset", args=[client.public_id, person.public_id])


def pin_from(pdf: bytes) -> str:
    found = PIN_IN_PDF.findall(pdf)
    assert len(found) == 1, found
    return found[0].decode()


@pytest.fixture
def staff_browser(client, personas):
    in_english(personas.staff.user)
    client.force_login(personas.staff.user)
    return client


# -- The people of an environment on the client detail page ----------------------------------------


def test_detail_page_shows_each_persons_methods_locks_letters_and_resets(staff_browser, personas):
    enrol_totp(personas.client_user)
    enrol_sms(personas.employee, "+31687654321")
    FactorLock.objects.create(
        user=personas.employee, factor=Factor.SMS, failures=10, locked_until=timezone.now() + timedelta(minutes=12)
    )
    FactorLock.objects.create(  # an old lock that has run out
        user=personas.client_user, factor=Factor.TOTP, failures=10, locked_until=timezone.now() - timedelta(minutes=1)
    )
    enrolment.pin_letter_create(user=personas.client_user, firm=personas.firm, created_by=personas.staff.user)
    FactorReset.objects.create(
        user=personas.employee, firm=personas.firm, reset_by=personas.staff.user, note="Teruggebeld op vast nummer"
    )
    FactorReset.objects.create(  # another firm's reset, and its note, are that firm's business
        user=personas.employee, firm=personas.other_firm, reset_by=personas.outsider_staff.user, note="Geheim van B"
    )

    response = staff_browser.get(reverse("clients:staff_detail", args=[personas.company.public_id]))

    assert response.status_code == 200
    body = response.content.decode()
    by_user = {member.user: member.twostep for member in response.context["members"]}
    for user, status in by_user.items():
        assert status.factors == enrolled_factors(user=user)
        assert {lock.factor for lock in status.locks} == set(locks_for(user=user))
    assert by_user[personas.client_user].factors == [Factor.TOTP, Factor.RECOVERY]
    assert by_user[personas.client_user].pending_letter is not None
    assert by_user[personas.employee].factors == [Factor.SMS]
    assert by_user[personas.employee].last_reset.note == "Teruggebeld op vast nummer"
    row = body[body.index(f'id="twostep-{personas.employee.public_id}"') :]
    row = row[: row.index("</tr>")]
    assert "SMS code" in row and mask_number("+31687654321") in row  # only the last two digits
    assert "locked until" in row
    assert "Teruggebeld op vast nummer" in row
    assert "Geheim van B" not in body
    assert "not yet used" in body
    assert pin_letter_url(personas.company, personas.client_user) in body
    assert reset_url(personas.company, personas.employee) in body


def test_detail_page_queries_stay_constant_with_two_step_data(still_clock, staff_browser, personas):
    def fill(user):
        Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={})
        Authenticator.objects.create(user=user, type=Authenticator.Type.WEBAUTHN, data={"name": "x"})
        SmsFactor.objects.create(user=user, phone_number="+31612345678")
        FactorLock.objects.create(user=user, factor=Factor.SMS, locked_until=timezone.now() + timedelta(minutes=5))
        enrolment.pin_letter_create(user=user, firm=personas.firm, created_by=personas.staff.user)
        FactorReset.objects.create(user=user, firm=personas.firm, reset_by=personas.staff.user, note="Teruggebeld")

    url = reverse("clients:staff_detail", args=[personas.company.public_id])
    fill(personas.employee)
    staff_browser.get(url)  # warm up: session and content types
    with CaptureQueriesContext(connection) as few:
        staff_browser.get(url)
    for _ in range(30):
        fill(MembershipFactory(client=personas.company).user)
    with CaptureQueriesContext(connection) as many:
        response = staff_browser.get(url)
    assert len(response.context["members"]) == 32
    assert response.content.decode().count("locked until") == 31
    assert len(many) == len(few)


# -- PIN by post (ACC-5) ----------------------------------------------------------------------------


def test_pin_letter_is_a_pdf_with_the_pin_that_the_client_can_activate(staff_browser, personas):
    person = personas.client_user
    in_english(person)

    response = staff_browser.post(pin_letter_url(personas.company, person))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="activatiebrief-{person.last_name.lower()}.pdf"'
    assert "no-store" in response["Cache-Control"]
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    pin = pin_from(pdf)
    letter = PinLetter.objects.get(user=person)
    assert check_password(pin, letter.pin_hash)
    assert letter.created_by == personas.staff.user and letter.firm == personas.firm
    assert abs(letter.expires_at - letter.created_at - timedelta(days=30)) < timedelta(seconds=5)
    assert pin.encode() not in letter.pin_hash.encode()

    browser = HttpClient()
    browser.force_login(person)
    url = reverse("twostep:pin_activate")
    assert browser.post(url, {"send": "1", "pin": pin, "phone_number": "06 12345678"}).status_code == 200
    response = browser.post(url, {"verify": "1", "code": sms_code("+31612345678")})
    assert response.status_code == 302
    factor = SmsFactor.objects.get(user=person)
    assert factor.phone_number == "+31612345678" and factor.verified_with == "pin"
    letter.refresh_from_db()
    assert letter.activated_at is not None


def test_pin_letter_has_the_letterhead_and_speaks_the_persons_language(personas, settings):
    from PIL import Image as PillowImage

    logo = io.BytesIO()
    PillowImage.new("RGB", (120, 40), "#1f5f8b").save(logo, format="PNG")
    firm = personas.firm
    firm.logo.save("logo.png", ContentFile(logo.getvalue()), save=False)
    firm.address = "Stationsplein 1\n3511 AA Utrecht"
    firm.primary_colour = "#aa3300"
    firm.save()
    person = personas.client_user
    letter, pin = enrolment.pin_letter_create(user=person, firm=firm, created_by=personas.staff.user)

    person.language = "en"
    english = pin_letter_pdf(letter, pin, client=personas.company)
    person.language = "nl"
    dutch = pin_letter_pdf(letter, pin, client=personas.company)

    for pdf in (english, dutch):
        assert pin_from(pdf) == pin
        assert b"/Subtype /Image" in pdf  # the logo
        assert b"Van Dijk" in pdf and b"Stationsplein 1" in pdf and b"3511 AA Utrecht" in pdf
        assert b".666667 .2 0 rg" in pdf  # the firm's name in its colour (#aa3300)
        assert person.first_name.encode() in pdf and b"Bakker B.V." in pdf
        assert pdf.count(b"Courier-Bold") >= 1  # the PIN, monospaced
    assert b"Enter PIN from letter" in english and b"Never share this PIN" in english
    assert b"Pincode uit brief invoeren" in dutch and b"Tweestapsverificatie" in dutch
    assert b"Enter PIN from letter" not in dutch


def test_pin_letter_without_logo_or_address_still_works(personas):
    person = UserFactory(first_name="", last_name="")
    letter, pin = enrolment.pin_letter_create(user=person, firm=personas.firm, created_by=None)
    pdf = pin_letter_pdf(letter, pin)
    assert pdf.startswith(b"%PDF") and pin_from(pdf) == pin
    assert b"/Subtype /Image" not in pdf


def test_a_new_letter_voids_the_earlier_one(staff_browser, personas):
    person = personas.client_user
    first = pin_from(staff_browser.post(pin_letter_url(personas.company, person)).content)
    second = pin_from(staff_browser.post(pin_letter_url(personas.company, person)).content)
    old, new = PinLetter.objects.filter(user=person).order_by("created_at")
    assert old.revoked_at is not None and new.revoked_at is None
    assert check_password(first, old.pin_hash) and check_password(second, new.pin_hash)


def test_five_wrong_pins_void_the_letter_with_a_clear_message(staff_browser, personas):
    person = personas.client_user
    in_english(person)
    pin = pin_from(staff_browser.post(pin_letter_url(personas.company, person)).content)
    wrong = f"{(int(pin) + 1) % 10**6:06d}"
    browser = HttpClient()
    browser.force_login(person)
    url = reverse("twostep:pin_activate")

    for attempt in range(1, 6):
        response = browser.post(url, {"send": "1", "pin": wrong, "phone_number": "06 12345678"})
        assert response.status_code == 400
        if attempt < 5:
            assert f"try {5 - attempt} more times" in " ".join(response.context["pin_form"].non_field_errors())
    errors = " ".join(response.context["pin_form"].non_field_errors())
    assert "this letter no longer works" in errors and "Ask your firm for a new letter" in errors
    assert PinLetter.objects.get(user=person).revoked_at is not None

    response = browser.post(url, {"send": "1", "pin": pin, "phone_number": "06 12345678"})
    assert response.status_code == 400
    assert "no valid activation letter" in " ".join(response.context["pin_form"].non_field_errors())
    assert not OutboxMessage.objects.filter(channel=OutboxMessage.Channel.SMS).exists()


def test_pin_letter_needs_post(staff_browser, personas):
    assert staff_browser.get(pin_letter_url(personas.company, personas.client_user)).status_code == 405
    assert not PinLetter.objects.exists()


# -- Reset after a lost phone -----------------------------------------------------------------------


def test_reset_page_asks_to_check_the_person_first(staff_browser, personas):
    enrol_totp(personas.client_user)
    response = staff_browser.get(reset_url(personas.company, personas.client_user))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Call the person back on a phone number from your own records" in body
    assert "Authenticator app" in body
    assert 'name="note"' in body


def test_reset_without_a_note_is_refused_and_resets_nothing(staff_browser, personas):
    person = personas.client_user
    enrol_totp(person)
    response = staff_browser.post(reset_url(personas.company, person), {"note": "   "})
    assert response.status_code == 400
    assert "note" in response.context["form"].errors
    assert Authenticator.objects.filter(user=person, type=Authenticator.Type.TOTP).exists()
    assert not FactorReset.objects.exists()


def test_reset_removes_the_factors_records_it_ends_sessions_and_tells_the_client(staff_browser, personas):
    person = personas.client_user
    enrol_totp(person)
    enrol_sms(person)
    FactorLock.objects.create(user=person, factor=Factor.TOTP, locked_until=timezone.now() + timedelta(minutes=9))
    browser = HttpClient()
    browser.force_login(person)
    key = browser.session.session_key
    before = timezone.now()

    response = staff_browser.post(reset_url(personas.company, person), {"note": "Teruggebeld op 030-1234567"})

    assert response.status_code == 302
    assert response.url == reverse("clients:staff_detail", args=[personas.company.public_id])
    assert enrolled_factors(user=person) == []
    assert not FactorLock.objects.filter(user=person).exists()
    record = FactorReset.objects.get(user=person)
    assert record.reset_by == personas.staff.user and record.firm == personas.firm
    assert record.note == "Teruggebeld op 030-1234567" and record.created_at >= before
    assert OutboxMessage.objects.filter(channel=OutboxMessage.Channel.EMAIL, recipient=person.email).exists()
    assert not Session.objects.filter(session_key=key).exists()
    page = staff_browser.get(response.url)
    assert any("has been reset" in str(message) for message in page.context["messages"])
    assert "Teruggebeld op 030-1234567" in page.content.decode()


def test_staff_accounts_are_not_reset_nor_sent_letters_through_an_environment(staff_browser, personas):
    colleague = StaffMemberFactory(firm=personas.firm, role=StaffMember.Role.ADMIN)
    MembershipFactory(user=colleague.user, client=personas.company)
    enrol_totp(colleague.user)
    assert staff_browser.get(reset_url(personas.company, colleague.user)).status_code == 404
    assert staff_browser.post(reset_url(personas.company, colleague.user), {"note": "x"}).status_code == 404
    assert staff_browser.post(pin_letter_url(personas.company, colleague.user)).status_code == 404
    assert enrolled_factors(user=colleague.user) == [Factor.TOTP, Factor.RECOVERY]
    body = staff_browser.get(reverse("clients:staff_detail", args=[personas.company.public_id])).content.decode()
    assert reset_url(personas.company, colleague.user) not in body


def test_client_users_have_no_staff_pages(client, personas):
    client.force_login(personas.client_user)
    assert client.post(pin_letter_url(personas.company, personas.client_user)).status_code == 404
    assert client.get(reset_url(personas.company, personas.client_user)).status_code == 404
    assert client.get(reverse("twostep_staff:policy")).status_code == 404


# -- Firm policy (FIRM-3) ---------------------------------------------------------------------------


def test_firm_admin_saves_the_policy(staff_browser, personas):
    url = reverse("twostep_staff:policy")
    response = staff_browser.get(url)
    assert response.status_code == 200
    assert response.context["form"].initial["stepup_factors"] == ["webauthn", "totp", "sms"]
    response = staff_browser.post(
        url,
        {"twostep_required_for_clients": "on", "stepup_factors": ["pin", "sms"]},
    )
    assert response.status_code == 302
    firm = personas.firm
    firm.refresh_from_db()
    assert firm.twostep_required_for_clients is True
    assert firm.twostep_required_for_staff is False
    assert firm.stepup_factors == ["sms", "pin"]


def test_settings_are_in_the_menu_for_firm_admins_only(client, personas):
    employee = StaffMemberFactory(firm=personas.firm, role=StaffMember.Role.EMPLOYEE)
    client.force_login(personas.staff.user)
    assert reverse("twostep_staff:policy") in client.get(reverse("clients:staff_list")).content.decode()
    client.force_login(employee.user)
    assert reverse("twostep_staff:policy") not in client.get(reverse("clients:staff_list")).content.decode()


def test_an_employee_cannot_change_the_policy(client, personas):
    employee = StaffMemberFactory(firm=personas.firm, role=StaffMember.Role.EMPLOYEE)
    client.force_login(employee.user)
    url = reverse("twostep_staff:policy")
    assert client.get(url).status_code == 404
    assert client.post(url, {"twostep_required_for_staff": "on", "stepup_factors": ["sms"]}).status_code == 404
    personas.firm.refresh_from_db()
    assert personas.firm.twostep_required_for_staff is False


def test_a_policy_without_a_strong_factor_is_refused(staff_browser, personas):
    response = staff_browser.post(reverse("twostep_staff:policy"), {"stepup_factors": ["pin"]})
    assert response.status_code == 400
    assert "stepup_factors" in response.context["form"].errors
    personas.firm.refresh_from_db()
    assert personas.firm.stepup_factors == ["webauthn", "totp", "sms"]


def test_the_policy_service_refuses_anyone_but_the_firms_admins(personas):
    from django.core.exceptions import ValidationError

    from balie.twostep.services import firm_twostep_policy_update

    for actor in (personas.outsider_staff.user, personas.client_user):
        with pytest.raises(ValidationError):
            firm_twostep_policy_update(
                firm=personas.firm,
                actor=actor,
                twostep_required_for_clients=True,
                twostep_required_for_staff=True,
                stepup_factors=["sms"],
            )
    personas.firm.refresh_from_db()
    assert personas.firm.twostep_required_for_clients is False
