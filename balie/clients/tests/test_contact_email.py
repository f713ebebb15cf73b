"""A contact person's page (names link to it), and a Beheerder or the firm changing a contact
person's sign-in address through a confirmation sent to the new address."""

import re
from datetime import timedelta

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from balie.accounts.factories import TEST_PASSWORD, UserFactory
from balie.accounts.models import EmailChangeRequest
from balie.clients.factories import MembershipFactory
from balie.clients.models import ChangeLogEntry, ContactPerson, Membership
from balie.clients.tests.test_contacts import confirmed, contact_of, messages_of
from balie.core.testing import duplicate_ids, labels_without_target
from balie.notifications.models import OutboxMessage
from balie.twostep.tests.utils import enrol_totp, totp_now

pytestmark = pytest.mark.django_db
NEW = "medewerker@nieuw.test"
CONFIRM_PATH = re.compile(r"https?://[^/\s]+(/mijn-gegevens/e-mailadres/bevestigen/\S+/)")


def url(name, environment, contact, side="contacts"):
    return reverse(f"{side}:{name}", args=[environment.public_id, contact.public_id])


def link_in_mail_to(address: str) -> str:
    mail = OutboxMessage.objects.filter(recipient=address).latest("id")
    return CONFIRM_PATH.search(mail.body_text).group(1)


def confirm_as_owner(person, path, *, factor="password", code=TEST_PASSWORD):
    """The person opens the link (signed in), and confirms with their own sign-in factor."""
    page = person.get(path)
    assert page.status_code == 200, page.content.decode()[-2000:]
    stepup = page.context["stepup"]
    assert stepup is not None and factor in stepup.factors
    challenge = stepup.challenge.public_id
    return person.post(path, {"stepup_challenge": challenge, "stepup_factor": factor, "stepup_code": code})


@pytest.fixture
def employee_contact(personas):
    return contact_of(personas.employee, personas.company)


# -- The contact person's page ------------------------------------------------------------------------


def test_names_in_the_list_link_to_the_contact_person_page_for_every_member(client, personas, employee_contact):
    client.force_login(personas.employee)
    listing = client.get(reverse("contacts:list", args=[personas.company.public_id])).content.decode()
    assert f'href="{url("detail", personas.company, employee_contact)}"' in listing
    boss = contact_of(personas.client_user, personas.company)
    page = client.get(url("detail", personas.company, boss))
    assert page.status_code == 200
    assert boss.full_name in page.content.decode()
    assert 'id="contact-change-email"' not in page.content.decode()  # a Medewerker manages nothing


def test_the_firms_client_page_links_each_name_to_the_firms_contact_page(client, personas, employee_contact):
    client.force_login(personas.staff.user)
    page = client.get(reverse("clients:staff_detail", args=[personas.company.public_id])).content.decode()
    detail = url("detail", personas.company, employee_contact, side="contacts_staff")
    assert f'href="{detail}"' in page
    response = client.get(detail)
    assert response.status_code == 200
    assert 'id="contact-change-email"' in response.content.decode()


def test_a_contact_of_another_environment_is_404_on_both_sides(client, personas):
    elsewhere = ContactPerson.objects.create(client=personas.outsider_client, first_name="Vera", last_name="Visser")
    client.force_login(personas.client_user)
    assert client.get(url("detail", personas.company, elsewhere)).status_code == 404
    assert client.get(url("email", personas.company, elsewhere)).status_code == 404
    client.force_login(personas.staff.user)
    assert client.get(url("detail", personas.company, elsewhere, side="contacts_staff")).status_code == 404
    assert client.get(url("email", personas.company, elsewhere, side="contacts_staff")).status_code == 404


# -- Changing the sign-in address ---------------------------------------------------------------------


def test_a_beheerder_changes_a_sign_in_address_which_the_person_confirms(client, personas, employee_contact):
    old = personas.employee.email
    client.force_login(personas.client_user)
    first = client.post(url("email", personas.company, employee_contact), {"email": "Medewerker@Nieuw.test"})
    assert first.status_code == 200 and first.context["stepup"] is not None  # confirmation first
    assert not OutboxMessage.objects.filter(recipient=NEW).exists()
    response = confirmed(client, url("email", personas.company, employee_contact), {"email": "Medewerker@Nieuw.test"})
    assert response.status_code == 302
    personas.employee.refresh_from_db()
    assert personas.employee.email == old  # nothing changes before the new mailbox is proven
    to_new = OutboxMessage.objects.get(recipient=NEW)
    assert "Pieter" in to_new.body_text  # says who asked
    assert OutboxMessage.objects.filter(recipient=old).exists()  # the old address is told
    entry = ChangeLogEntry.objects.filter(client=personas.company).latest("at")
    assert entry.changes == [["login_email", old, NEW]]

    path = link_in_mail_to(NEW)
    assert client.post(path).status_code == 400  # the Beheerder cannot confirm it for them
    person = HttpClient()
    assert person.post(path).status_code == 302  # to sign in (with the old address) first
    person.force_login(personas.employee)
    assert confirm_as_owner(person, path).status_code == 302
    personas.employee.refresh_from_db()
    employee_contact.refresh_from_db()
    assert personas.employee.email == NEW
    assert employee_contact.email == NEW  # the contact person shows the address they sign in with
    assert HttpClient().post(reverse("account_login"), {"login": NEW, "password": TEST_PASSWORD}).status_code == 302


def test_links_in_the_mails_use_the_configured_site_url(client, personas, employee_contact, settings):
    settings.BALIE_SITE_URL = "https://portaal.example.test:8443"
    client.force_login(personas.client_user)
    confirmed(client, url("email", personas.company, employee_contact), {"email": NEW})
    body = OutboxMessage.objects.get(recipient=NEW).body_text
    assert "https://portaal.example.test:8443/mijn-gegevens/e-mailadres/bevestigen/" in body


def test_a_non_beheerder_is_refused_and_nothing_is_sent(client, personas, employee_contact):
    boss = contact_of(personas.client_user, personas.company)
    client.force_login(personas.employee)
    assert client.get(url("email", personas.company, boss)).status_code == 403
    assert client.post(url("email", personas.company, boss), {"email": NEW}).status_code == 403
    assert client.post(url("email", personas.company, employee_contact), {"email": NEW}).status_code == 403
    assert not OutboxMessage.objects.filter(recipient=NEW).exists()


def test_an_address_in_use_gets_the_same_answer_and_no_mail(client, personas, employee_contact):
    """Whether an account uses the address is not told to the requester, and nothing is sent to it:
    neither the link nor a warning (the requester would choose whom Balie mails)."""
    taken = UserFactory(email="bezet@example.test")
    client.force_login(personas.client_user)
    free = confirmed(client, url("email", personas.company, employee_contact), {"email": NEW}, password=TEST_PASSWORD)
    free_message = messages_of(client.get(url("detail", personas.company, employee_contact)))
    response = confirmed(client, url("email", personas.company, employee_contact), {"email": taken.email})
    assert response.status_code == free.status_code == 302
    said = messages_of(client.get(url("detail", personas.company, employee_contact)))
    assert [m.replace(taken.email, NEW) for m in said] == free_message
    assert not OutboxMessage.objects.filter(recipient=taken.email).exists()
    change = EmailChangeRequest.objects.get(user=personas.employee, new_email=taken.email)
    assert change.link_sent is False
    personas.employee.refresh_from_db()
    assert personas.employee.email == "employee@firm-a.test"


def test_the_owner_cannot_take_an_address_in_use_by_confirming(client, personas, employee_contact):
    client.force_login(personas.client_user)
    confirmed(client, url("email", personas.company, employee_contact), {"email": NEW})
    path = link_in_mail_to(NEW)
    UserFactory(email=NEW)  # taken meanwhile
    person = HttpClient()
    person.force_login(personas.employee)
    assert person.get(path).status_code == 200
    response = confirm_as_owner(person, path)
    assert response.status_code == 400
    personas.employee.refresh_from_db()
    assert personas.employee.email == "employee@firm-a.test"


def test_a_contact_person_without_portal_access_has_no_sign_in_address_to_change(client, personas):
    plain = ContactPerson.objects.create(client=personas.company, first_name="Gert", last_name="Later")
    client.force_login(personas.client_user)
    assert client.get(url("email", personas.company, plain)).status_code == 404
    assert 'id="contact-change-email"' not in client.get(url("detail", personas.company, plain)).content.decode()


def test_the_link_expires_after_an_hour(client, personas, employee_contact):
    import time_machine

    from balie.core.testing import later

    client.force_login(personas.client_user)
    confirmed(client, url("email", personas.company, employee_contact), {"email": NEW})
    path = link_in_mail_to(NEW)
    person = HttpClient()
    with time_machine.travel(later(minutes=61), tick=False):
        person.force_login(personas.employee)
        assert person.get(path).status_code == 400
        assert person.post(path).status_code == 400
    personas.employee.refresh_from_db()
    assert personas.employee.email != NEW


def test_the_firm_changes_a_sign_in_address_the_same_way(client, personas, employee_contact):
    client.force_login(personas.staff.user)
    address = url("email", personas.company, employee_contact, side="contacts_staff")
    response = confirmed(client, address, {"email": NEW})
    assert response.status_code == 302
    assert OutboxMessage.objects.filter(recipient=NEW).exists()
    entry = ChangeLogEntry.objects.filter(client=personas.company).latest("at")
    assert entry.via == ChangeLogEntry.Via.FIRM
    person = HttpClient()
    person.force_login(personas.employee)
    page = person.get(link_in_mail_to(NEW)).content.decode()
    assert "Van Dijk" in page  # the firm that asked
    assert confirm_as_owner(person, link_in_mail_to(NEW)).status_code == 302
    personas.employee.refresh_from_db()
    assert personas.employee.email == NEW


def test_the_new_pages_have_unique_ids_and_labels_with_targets(client, personas, employee_contact):
    client.force_login(personas.client_user)
    first = client.post(url("email", personas.company, employee_contact), {"email": NEW})
    pages = [client.get(url("detail", personas.company, employee_contact)), first]
    client.force_login(personas.staff.user)
    pages.append(client.get(url("detail", personas.company, employee_contact, side="contacts_staff")))
    pages.append(client.get(url("email", personas.company, employee_contact, side="contacts_staff")))
    for response in pages:
        html = response.content.decode()
        assert duplicate_ids(html) == [] and labels_without_target(html) == []


# -- The person's own confirmation of a change someone else asked for (M1) ---------------------------


def test_one_click_from_the_owners_session_no_longer_changes_the_address(client, personas, employee_contact):
    client.force_login(personas.client_user)
    confirmed(client, url("email", personas.company, employee_contact), {"email": NEW})
    path = link_in_mail_to(NEW)
    person = HttpClient()
    person.force_login(personas.employee)
    assert person.post(path).status_code == 400  # no confirmation with the person's own factors
    wrong = person.get(path).context["stepup"].challenge.public_id
    response = person.post(path, {"stepup_challenge": wrong, "stepup_factor": "password", "stepup_code": "fout"})
    assert response.status_code == 400
    personas.employee.refresh_from_db()
    assert personas.employee.email == "employee@firm-a.test"


def test_the_confirm_page_says_old_new_who_asked_where_and_warns(client, personas, employee_contact):
    client.force_login(personas.client_user)
    confirmed(client, url("email", personas.company, employee_contact), {"email": NEW})
    person = HttpClient()
    person.force_login(personas.employee)
    response = person.get(link_in_mail_to(NEW))
    html = response.content.decode()
    assert 'id="email-change-old">employee@firm-a.test<' in html
    assert f'id="email-change-new">{NEW}<' in html
    by = re.search(r'id="email-change-by">([^<]*)<', html).group(1)
    assert "Pieter" in by and "Bakker B.V." in by and "Van Dijk" in by
    assert 'id="email-change-warning"' in html
    assert "Alleen bevestigen als u hier zelf om hebt gevraagd." in html
    assert 'name="stepup_challenge"' in html
    assert duplicate_ids(html) == [] and labels_without_target(html) == []


def test_a_person_with_a_second_factor_confirms_with_it_not_with_the_password(client, personas, employee_contact):
    secret = enrol_totp(personas.employee)
    client.force_login(personas.client_user)
    confirmed(client, url("email", personas.company, employee_contact), {"email": NEW})
    path = link_in_mail_to(NEW)
    person = HttpClient()
    person.force_login(personas.employee)
    stepup = person.get(path).context["stepup"]
    assert stepup.factors == ["totp"] and stepup.firm is None  # sign-in factors, never the firm's PIN
    challenge = stepup.challenge.public_id
    response = person.post(
        path, {"stepup_challenge": challenge, "stepup_factor": "password", "stepup_code": TEST_PASSWORD}
    )
    assert response.status_code == 400
    personas.employee.refresh_from_db()
    assert personas.employee.email != NEW
    assert confirm_as_owner(person, path, factor="totp", code=totp_now(secret)).status_code == 302
    personas.employee.refresh_from_db()
    assert personas.employee.email == NEW


def test_a_change_the_person_asked_for_themselves_stays_one_click(client, personas):
    from balie.accounts.services import email_change_request

    user = personas.employee
    email_change_request(user=user, email=NEW)
    client.force_login(user)
    page = client.get(link_in_mail_to(NEW))
    assert page.context["stepup"] is None and 'id="email-change-warning"' not in page.content.decode()
    assert client.post(link_in_mail_to(NEW)).status_code == 302
    user.refresh_from_db()
    assert user.email == NEW


def test_an_account_of_firm_staff_is_refused_and_nothing_is_sent(client, personas):
    MembershipFactory(user=personas.outsider_staff.user, client=personas.company, role=Membership.Role.EMPLOYEE)
    contact = contact_of(personas.outsider_staff.user, personas.company)
    for who, side in ((personas.client_user, "contacts"), (personas.staff.user, "contacts_staff")):
        client.force_login(who)
        page = client.get(url("email", personas.company, contact, side=side))
        assert 'id="email-refused"' in page.content.decode() and 'id="email-form"' not in page.content.decode()
        client.post(url("email", personas.company, contact, side=side), {"email": NEW})
        confirmed_try = client.post(url("email", personas.company, contact, side=side), {"email": NEW})
        assert confirmed_try.context["stepup"] is None
    assert not OutboxMessage.objects.filter(recipient__in=[NEW, personas.outsider_staff.user.email]).exists()
    assert not EmailChangeRequest.objects.exists()


def test_an_account_with_access_at_another_firm_is_refused(client, personas, employee_contact):
    from django.core.exceptions import ValidationError

    from balie.clients.contact_email import contact_login_email_change_request

    MembershipFactory(user=personas.employee, client=personas.outsider_client, role=Membership.Role.EMPLOYEE)
    client.force_login(personas.client_user)
    page = client.get(url("email", personas.company, employee_contact))
    assert 'id="email-refused"' in page.content.decode()
    with pytest.raises(ValidationError):
        contact_login_email_change_request(
            contact=employee_contact, actor=personas.client_user, via=ChangeLogEntry.Via.DIRECT, email=NEW
        )
    assert not OutboxMessage.objects.filter(recipient=NEW).exists()
    # Access there that has ended no longer counts.
    Membership.objects.filter(user=personas.employee, client=personas.outsider_client).update(
        ends_on=timezone.localdate() - timedelta(days=1)
    )
    assert 'id="email-refused"' not in client.get(url("email", personas.company, employee_contact)).content.decode()


def test_access_that_has_ended_has_no_sign_in_address_to_change(client, personas, employee_contact):
    Membership.objects.filter(pk=employee_contact.membership_id).update(
        ends_on=timezone.localdate() - timedelta(days=1)
    )
    client.force_login(personas.client_user)
    assert client.get(url("email", personas.company, employee_contact)).status_code == 404
    assert client.post(url("email", personas.company, employee_contact), {"email": NEW}).status_code == 404
    assert (
        'id="contact-change-email"'
        not in client.get(url("detail", personas.company, employee_contact)).content.decode()
    )


def test_the_old_address_is_told_plainly_and_can_cancel(client, personas, employee_contact, settings):
    settings.BALIE_SITE_URL = "https://portaal.example.test:8443"
    client.force_login(personas.client_user)
    confirmed(client, url("email", personas.company, employee_contact), {"email": NEW})
    notice = OutboxMessage.objects.filter(recipient="employee@firm-a.test").latest("id")
    assert "bevestig het dan niet" in notice.body_text.lower() and "uw kantoor" in notice.body_text
    cancel = re.search(
        r"https://portaal\.example\.test:8443(/mijn-gegevens/e-mailadres/intrekken/[^/\s]+/)", notice.body_text
    )
    assert cancel, notice.body_text
    path = link_in_mail_to(NEW)
    person = HttpClient()
    person.force_login(personas.employee)
    page = person.get(cancel.group(1))
    assert page.status_code == 200 and NEW in page.content.decode()
    assert person.post(cancel.group(1)).status_code == 302
    assert person.get(path).status_code == 400  # the link no longer works
    assert person.post(path).status_code == 400
    personas.employee.refresh_from_db()
    assert personas.employee.email == "employee@firm-a.test"
    # Someone else cannot cancel (nor see) it.
    again = confirmed(client, url("email", personas.company, employee_contact), {"email": NEW})
    assert again.status_code == 302
    change = EmailChangeRequest.objects.filter(user=personas.employee).latest("created_at")
    client.force_login(personas.client_user)
    cancel_url = reverse("twostep:email_change_cancel", args=[change.public_id])
    assert client.get(cancel_url).status_code == 404 and client.post(cancel_url).status_code == 404
    change.refresh_from_db()
    assert change.is_pending


def test_a_newer_request_ends_the_older_one(client, personas, employee_contact):
    client.force_login(personas.client_user)
    confirmed(client, url("email", personas.company, employee_contact), {"email": NEW})
    first = link_in_mail_to(NEW)
    confirmed(client, url("email", personas.company, employee_contact), {"email": "ander@nieuw.test"})
    person = HttpClient()
    person.force_login(personas.employee)
    assert person.get(first).status_code == 400


# -- One's own address (L1) and the limits of asking (L2) -----------------------------------------------


def test_a_beheerder_changes_their_own_address_on_the_self_service_page(client, personas):
    own = contact_of(personas.client_user, personas.company)
    client.force_login(personas.client_user)
    detail = client.get(url("detail", personas.company, own)).content.decode()
    assert f'href="{reverse("twostep:email_change")}" id="contact-change-email"' in detail
    for response in (
        client.get(url("email", personas.company, own)),
        client.post(url("email", personas.company, own), {"email": NEW}),
    ):
        assert response.status_code == 302 and response["Location"] == reverse("twostep:email_change")
    assert not OutboxMessage.objects.filter(recipient=NEW).exists()


def test_delegated_requests_are_limited_per_requester(client, personas, employee_contact, settings):
    assert settings.BALIE_CONTACT_EMAIL_CHANGES_PER_HOUR == 5
    settings.BALIE_EMAIL_CHANGES_PER_PERSON_PER_HOUR = 10  # the limit per person is another test's
    client.force_login(personas.client_user)
    for number in range(5):
        response = confirmed(
            client, url("email", personas.company, employee_contact), {"email": f"n{number}@nieuw.test"}
        )
        assert response.status_code == 302
    response = confirmed(client, url("email", personas.company, employee_contact), {"email": "n5@nieuw.test"})
    assert response.status_code == 400
    assert "Probeer het over een uur opnieuw" in response.content.decode()
    assert not OutboxMessage.objects.filter(recipient="n5@nieuw.test").exists()
    # Another requester has their own count.
    client.force_login(personas.staff.user)
    address = url("email", personas.company, employee_contact, side="contacts_staff")
    assert confirmed(client, address, {"email": "n6@nieuw.test"}).status_code == 302


# -- A pending request stays what it was asked as (second review) ----------------------------------------

NO_LONGER = "Deze wijziging kan niet meer worden doorgevoerd"


def ask_for(client, personas, contact, email=NEW, *, who=None, side="contacts"):
    client.force_login(who or personas.client_user)
    response = confirmed(client, url("email", personas.company, contact, side=side), {"email": email})
    assert response.status_code == 302, response.content.decode()[-2000:]
    return link_in_mail_to(email)


def owner_confirms(personas, path):
    person = HttpClient()
    person.force_login(personas.employee)
    return confirm_as_owner(person, path)


def test_the_request_records_the_environment_it_was_asked_for(client, personas, employee_contact):
    ask_for(client, personas, employee_contact)
    assert EmailChangeRequest.objects.get(new_email=NEW).client_public_id == personas.company.public_id


def test_a_requester_who_is_no_longer_beheerder_cannot_have_it_confirmed(client, personas, employee_contact):
    path = ask_for(client, personas, employee_contact)
    Membership.objects.filter(user=personas.client_user, client=personas.company).update(role=Membership.Role.EMPLOYEE)
    response = owner_confirms(personas, path)
    assert response.status_code == 400 and NO_LONGER in response.content.decode()
    personas.employee.refresh_from_db()
    assert personas.employee.email == "employee@firm-a.test"
    assert not EmailChangeRequest.objects.get(new_email=NEW).is_pending  # and it stays refused


def test_a_requester_whose_access_ended_cannot_have_it_confirmed(client, personas, employee_contact):
    path = ask_for(client, personas, employee_contact)
    Membership.objects.filter(user=personas.client_user, client=personas.company).update(
        ends_on=timezone.localdate() - timedelta(days=1)
    )
    assert owner_confirms(personas, path).status_code == 400
    personas.employee.refresh_from_db()
    assert personas.employee.email == "employee@firm-a.test"


def test_a_deactivated_requester_or_one_no_longer_staff_cannot_have_it_confirmed(client, personas, employee_contact):
    path = ask_for(client, personas, employee_contact)
    personas.client_user.is_active = False
    personas.client_user.save(update_fields=["is_active"])
    assert owner_confirms(personas, path).status_code == 400
    path = ask_for(
        client, personas, employee_contact, "ander@nieuw.test", who=personas.staff.user, side="contacts_staff"
    )
    personas.staff.delete()
    assert owner_confirms(personas, path).status_code == 400
    personas.employee.refresh_from_db()
    assert personas.employee.email == "employee@firm-a.test"


@pytest.mark.parametrize("change", ["staff", "elsewhere", "access_ended"])
def test_a_request_for_an_account_no_longer_changeable_here_cannot_be_confirmed(
    client, personas, employee_contact, change
):
    from balie.firms.factories import StaffMemberFactory

    path = ask_for(client, personas, employee_contact)
    if change == "staff":
        StaffMemberFactory(firm=personas.outsider_staff.firm, user=personas.employee)
    elif change == "elsewhere":
        MembershipFactory(user=personas.employee, client=personas.outsider_client, role=Membership.Role.EMPLOYEE)
    else:
        Membership.objects.filter(pk=employee_contact.membership_id).update(
            ends_on=timezone.localdate() - timedelta(days=1)
        )
    response = owner_confirms(personas, path)
    assert response.status_code == 400
    personas.employee.refresh_from_db()
    assert personas.employee.email == "employee@firm-a.test"


def test_requests_end_when_the_requesters_access_ends(client, personas, employee_contact):
    from balie.clients.contacts import memberships_end_expired

    ask_for(client, personas, employee_contact)
    Membership.objects.filter(user=personas.client_user, client=personas.company).update(
        ends_on=timezone.localdate() - timedelta(days=1)
    )
    memberships_end_expired()
    assert EmailChangeRequest.objects.get(new_email=NEW).cancelled_at is not None


def test_requests_end_when_the_requesters_account_is_deactivated(client, personas, employee_contact):
    from balie.accounts.services import user_deactivate

    ask_for(client, personas, employee_contact)
    user_deactivate(user=personas.client_user)
    assert EmailChangeRequest.objects.get(new_email=NEW).cancelled_at is not None


def test_the_service_refuses_a_delegated_change_without_the_owners_confirmation(client, personas, employee_contact):
    from django.core.exceptions import ValidationError

    from balie.accounts.services import email_change_confirm

    path = ask_for(client, personas, employee_contact)
    token = path.rstrip("/").rsplit("/", 1)[1]
    with pytest.raises(ValidationError):
        email_change_confirm(user=personas.employee, token=token)
    personas.employee.refresh_from_db()
    assert personas.employee.email == "employee@firm-a.test"
    assert email_change_confirm(user=personas.employee, token=token, stepup_confirmed=True) == NEW


def test_delegated_requests_are_limited_per_person_whoever_asks(client, personas, employee_contact, settings):
    assert settings.BALIE_EMAIL_CHANGES_PER_PERSON_PER_HOUR == 3
    ask_for(client, personas, employee_contact, "a@nieuw.test")
    ask_for(client, personas, employee_contact, "b@nieuw.test")
    ask_for(client, personas, employee_contact, "c@nieuw.test", who=personas.staff.user, side="contacts_staff")
    client.force_login(personas.client_user)
    response = confirmed(client, url("email", personas.company, employee_contact), {"email": "d@nieuw.test"})
    assert response.status_code == 400
    assert "Probeer het over een uur opnieuw" in response.content.decode()
    assert not OutboxMessage.objects.filter(recipient="d@nieuw.test").exists()


def test_a_delegated_request_does_not_end_the_owners_own_request(client, personas, employee_contact):
    from balie.accounts.services import email_change_request

    email_change_request(user=personas.employee, email="eigen@nieuw.test")
    own = link_in_mail_to("eigen@nieuw.test")
    ask_for(client, personas, employee_contact)
    person = HttpClient()
    person.force_login(personas.employee)
    assert person.post(own).status_code == 302
    personas.employee.refresh_from_db()
    assert personas.employee.email == "eigen@nieuw.test"


def test_the_mail_to_the_new_address_names_the_requester_as_a_labelled_field_only(client, personas, employee_contact):
    personas.client_user.first_name = "Klik op www.example.test " + "x" * 60  # fits the column, not the mail
    personas.client_user.save(update_fields=["first_name"])
    ask_for(client, personas, employee_contact)
    body = OutboxMessage.objects.get(recipient=NEW).body_text
    assert "employee@firm-a.test" not in body  # the current address stays out of it
    assert "Een beheerder van" in body
    line = next(line for line in body.splitlines() if line.startswith("Gevraagd door"))
    assert "Klik op www.example.test" in line and "x" * 60 not in line
    assert len(EmailChangeRequest.objects.get(new_email=NEW).requester_name) <= 60


def test_a_request_is_made_at_once_or_not_at_all_with_the_persons_row_locked(personas, monkeypatch):
    from django.db.models import QuerySet

    from balie.accounts import services
    from balie.accounts.models import User

    first = services.email_change_request(user=personas.employee, email="eerst@nieuw.test")
    locked = []
    original = QuerySet.select_for_update

    def spy(self, *args, **kwargs):
        locked.append(self.model)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "select_for_update", spy)
    sent = []

    def failing(**kwargs):
        sent.append(kwargs["to"])
        if len(sent) == 2:
            raise RuntimeError("outbox down")

    monkeypatch.setattr(services, "send_templated_email", failing)
    with pytest.raises(RuntimeError):
        services.email_change_request(user=personas.employee, email="later@nieuw.test")
    assert User in locked
    assert not EmailChangeRequest.objects.filter(new_email="later@nieuw.test").exists()
    first.refresh_from_db()
    assert first.is_pending  # the older request did not end either
