"""The first writers: signing in and failing to, in the chains of the person's firms."""

import pytest
from django.contrib.auth.signals import user_login_failed
from django.urls import reverse

from balie.accounts.factories import TEST_PASSWORD, UserFactory
from balie.audit.models import ActorKind, AuditEvent
from balie.audit.verify import verify_chain

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (Balie-test)"


def sign_in(client, email: str, password: str = TEST_PASSWORD):
    return client.post(
        reverse("account_login"),
        {"login": email, "password": password},
        REMOTE_ADDR="198.51.100.4",
        HTTP_USER_AGENT=BROWSER,
    )


def test_a_client_signing_in_is_recorded_in_the_chain_of_their_firm(client, personas):
    response = sign_in(client, personas.client_user.email)
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="auth.signin")
    assert event.firm == personas.firm
    assert (event.actor_kind, event.actor_user_id) == (ActorKind.USER, personas.client_user.pk)
    assert (event.object_type, event.object_id) == ("accounts.user", str(personas.client_user.public_id))
    assert (event.ip_address, event.user_agent) == ("198.51.100.4", BROWSER)
    assert event.request_id == response["X-Request-ID"]


def test_staff_signing_in_is_recorded_as_staff(client, personas):
    sign_in(client, personas.staff.user.email)
    event = AuditEvent.objects.get(action="auth.signin")
    assert (event.firm, event.actor_kind) == (personas.firm, ActorKind.STAFF)


def test_a_client_of_two_firms_is_recorded_in_both_chains(client, personas):
    from balie.clients.factories import MembershipFactory

    MembershipFactory(user=personas.client_user, client=personas.outsider_client)
    sign_in(client, personas.client_user.email)
    firms = set(AuditEvent.objects.filter(action="auth.signin").values_list("firm__slug", flat=True))
    assert firms == {"van-dijk", "hoekstra"}
    assert len(set(AuditEvent.objects.values_list("request_id", flat=True))) == 1


def test_a_person_of_no_firm_signs_in_on_the_operators_chain(client):
    operator = UserFactory(is_staff=True)
    client.force_login(operator)
    event = AuditEvent.objects.get(action="auth.signin")
    assert (event.firm, event.actor_user_id) == (None, operator.pk)


def test_a_failed_sign_in_is_recorded_for_the_accounts_firm_without_the_password(client, personas):
    response = sign_in(client, personas.client_user.email, password="wrong horse")
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="auth.signin_failed")
    assert event.firm == personas.firm
    assert (event.actor_kind, event.actor_user_id, event.actor_name) == (ActorKind.ANONYMOUS, None, "")
    assert event.object_id == str(personas.client_user.public_id)
    assert (event.ip_address, event.details) == ("198.51.100.4", {})
    assert not AuditEvent.objects.filter(action="auth.signin").exists()


def test_a_failed_sign_in_of_an_unknown_address_goes_to_the_operators_chain(client, personas):
    sign_in(client, "Nobody@Example.test", password="wrong horse")
    event = AuditEvent.objects.get(action="auth.signin_failed")
    assert (event.firm, event.object_id, event.details) == (None, "", {"domain": "example.test"})
    assert verify_chain(None).broken is None


def test_a_password_typed_as_the_address_is_not_kept(db):
    # The sign-in form refuses what is not an address; another way in (the admin's) may not.
    user_login_failed.send(sender=__name__, credentials={"username": "my secret password", "password": "*" * 20})
    event = AuditEvent.objects.get(action="auth.signin_failed")
    assert event.details == {"domain": ""}
    assert "secret" not in str(AuditEvent.objects.values_list())


def test_a_password_shaped_like_an_address_is_not_kept(db):
    user_login_failed.send(sender=__name__, credentials={"username": "Zomer@2026!", "password": "*" * 20})
    event = AuditEvent.objects.get(action="auth.signin_failed")
    assert event.details == {"domain": ""}
    assert "zomer" not in str(AuditEvent.objects.values_list()).lower()


def test_of_an_unknown_address_only_its_domain_is_kept(client, personas):
    sign_in(client, "kees.colleague@bakker.test", password="wrong horse")
    event = AuditEvent.objects.get(action="auth.signin_failed")
    assert event.details == {"domain": "bakker.test"}
    assert "kees" not in str(AuditEvent.objects.values_list())
