"""Mijn gegevens → Aanmeldingen: a person's own sign-ins and failed attempts, with device and
network (never another person's), and "Dit was ik niet": signed out everywhere, the firm told."""

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from balie.accounts.models import UserSession
from balie.accounts.tests.test_sessions import CHROME_WINDOWS, SAFARI_IPHONE, is_signed_in, signed_in
from balie.accounts.views.signins import network
from balie.audit.models import AuditEvent
from balie.notifications.models import Notification

pytestmark = pytest.mark.django_db

SIGNINS = reverse("accounts:signins")
NOT_ME = reverse("accounts:not_me")


@pytest.fixture
def english(personas):
    personas.client_user.language = "en"
    personas.client_user.save(update_fields=["language"])
    return personas


def failed_attempt(user, ip="203.0.113.66"):
    browser = HttpClient(HTTP_USER_AGENT=SAFARI_IPHONE, REMOTE_ADDR=ip)
    browser.post(reverse("account_login"), {"login": user.email, "password": "wrong password"})


def test_the_page_lists_own_signins_and_failed_attempts_with_device_and_network(english):
    failed_attempt(english.client_user)
    browser = signed_in(english.client_user, user_agent=CHROME_WINDOWS, ip="192.0.2.10")
    signed_in(english.outsider, ip="198.51.100.1")
    response = browser.get(SIGNINS)
    rows = response.context["rows"]
    assert [row["label"] for row in rows] == ["Signed in", "Sign-in failed"]
    assert [row["device"] for row in rows] == ["Chrome on Windows", "Safari on iPhone"]
    assert [row["network"] for row in rows] == ["192.0.2.x", "203.0.113.x"]
    html = response.content.decode()
    assert "IP address 192.0.2.x" in html
    assert "192.0.2.10" not in html
    assert "198.51.100" not in html  # another person's sign-in


def test_my_details_links_to_the_signins(personas):
    assert SIGNINS in signed_in(personas.client_user).get(reverse("accounts:profile")).content.decode()


def test_a_signin_of_several_firms_is_listed_once(personas):
    from balie.clients.factories import MembershipFactory
    from balie.clients.models import Membership

    MembershipFactory(user=personas.client_user, client=personas.outsider_client, role=Membership.Role.EMPLOYEE)
    browser = signed_in(personas.client_user)
    assert AuditEvent.objects.filter(action="auth.signin", actor_user=personas.client_user).count() == 2
    assert len(browser.get(SIGNINS).context["rows"]) == 1


def test_the_network_of_an_address():
    assert network("192.0.2.10") == "192.0.2.x"
    assert network("2001:db8:1:2::5") == "2001:db8:1::/48"
    assert network(None) == ""
    assert network("nonsense") == ""


def test_not_me_signs_out_everywhere_tells_the_firm_and_is_recorded(english):
    here = signed_in(english.client_user, user_agent=CHROME_WINDOWS)
    elsewhere = signed_in(english.client_user, user_agent=SAFARI_IPHONE, ip="203.0.113.5")
    stranger = signed_in(english.outsider)
    signin = AuditEvent.objects.filter(action="auth.signin", actor_user=english.client_user).order_by("-id").first()
    response = here.post(NOT_ME, {"event": signin.pk})
    assert response.status_code == 200
    assert "You have been signed out everywhere" in response.content.decode()
    assert not is_signed_in(here)
    assert not is_signed_in(elsewhere)
    assert is_signed_in(stranger)
    assert not UserSession.objects.filter(user=english.client_user).exists()
    told = Notification.objects.get(user=english.staff.user)  # the firm's admin: no relationship manager
    assert told.title_msgid == "%(name)s reports a sign-in that was not them"
    assert told.title_params == {"name": str(english.client_user)}
    reported = AuditEvent.objects.get(action="auth.reported_not_me")
    assert (reported.actor_user_id, reported.firm_id) == (english.client_user.pk, english.firm.pk)
    assert reported.details["sessions_ended"] == 2
    assert reported.details["signin_event"] == signin.seq


def test_not_me_tells_the_relationship_manager_when_there_is_one(personas):
    from balie.firms.factories import StaffMemberFactory

    manager = StaffMemberFactory(firm=personas.firm)
    for environment in (personas.company, personas.holding, personas.private):
        environment.relationship_managers.add(manager)
    signed_in(personas.client_user).post(NOT_ME)
    told = set(Notification.objects.values_list("user_id", flat=True))
    managers = {staff.user_id for staff in personas.company.relationship_managers.all()}
    assert manager.user_id in told
    assert told <= managers


def test_not_me_refuses_another_persons_signin(personas):
    signed_in(personas.outsider)
    theirs = AuditEvent.objects.get(action="auth.signin", actor_user=personas.outsider)
    browser = signed_in(personas.client_user)
    assert browser.post(NOT_ME, {"event": theirs.pk}).status_code == 404
    assert is_signed_in(browser)
    assert not AuditEvent.objects.filter(action="auth.reported_not_me").exists()


def test_not_me_needs_a_post_with_csrf(personas):
    browser = HttpClient(enforce_csrf_checks=True)
    browser.force_login(personas.client_user)
    assert browser.get(NOT_ME).status_code == 405
    assert browser.post(NOT_ME).status_code == 403
    assert is_signed_in(browser)


def test_the_pages_need_a_signed_in_person(client):
    assert client.get(SIGNINS).status_code == 302
    assert client.post(NOT_ME).status_code == 302


def test_not_me_of_a_staff_member_tells_the_firms_other_administrators(personas):
    from balie.firms.factories import StaffMemberFactory

    sanne = StaffMemberFactory(firm=personas.firm).user
    browser = signed_in(sanne)
    assert browser.post(NOT_ME).status_code == 200
    told = Notification.objects.get()
    assert (told.user_id, told.firm_id, told.client_id) == (personas.staff.user_id, personas.firm.pk, None)
    assert told.link == f"{reverse('audit_staff:log')}?person={sanne.public_id}"
    assert not is_signed_in(browser)
