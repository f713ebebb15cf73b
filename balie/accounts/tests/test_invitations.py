import hashlib
import re
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from balie.accounts.models import Invitation, User
from balie.accounts.services import invitation_accept
from balie.clients.factories import ClientFactory
from balie.clients.models import Client, Membership
from balie.clients.services import invitation_create
from balie.core.testing import later, race, skip_unless_postgresql
from balie.notifications.models import DevOutboxMessage

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "een lange zin als wachtwoord"


def _token_from_last_mail() -> str:
    body = DevOutboxMessage.objects.order_by("-id").first().body_text
    return re.search(r"/uitnodiging/([\w-]+)/", body).group(1)


def _invite(personas, client=None, **kwargs):
    kwargs.setdefault("email", "nina@example.test")
    kwargs.setdefault("first_name", "Nina")
    kwargs.setdefault("last_name", "Nieuw")
    return invitation_create(client=client or personas.company, actor=personas.staff.user, **kwargs)


def test_invitation_link_sets_password_signs_in_and_lands_on_my_details(client, personas):
    _invite(personas, role=Membership.Role.EMPLOYEE_PLUS, may_handle_documents=True)
    token = _token_from_last_mail()
    url = reverse("accounts:invitation_accept", args=[token])
    page = client.get(url)
    assert page.status_code == 200
    assert "nina@example.test" in page.content.decode()
    response = client.post(
        url, {"first_name": "Nina", "last_name": "Nieuw", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.url == reverse("accounts:profile")
    user = User.objects.get(email="nina@example.test")
    assert user.check_password(NEW_PASSWORD)
    membership = Membership.objects.get(user=user, client=personas.company)
    assert membership.role == Membership.Role.EMPLOYEE_PLUS and membership.may_handle_documents
    assert client.get(reverse("accounts:profile")).context["user"] == user
    confirmation = DevOutboxMessage.objects.order_by("-id").first()
    assert confirmation.recipients == "nina@example.test"
    assert confirmation.subject == "Uw account is geactiveerd"


def test_invitation_link_is_single_use(client, personas):
    _invite(personas)
    token = _token_from_last_mail()
    url = reverse("accounts:invitation_accept", args=[token])
    data = {"first_name": "N", "last_name": "N", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    client.post(url, data)
    client.logout()
    response = client.get(url)
    assert response.status_code == 410
    assert response.context["reason"] == "used"
    response = client.post(url, {**data, "password1": "een ander wachtwoord!", "password2": "een ander wachtwoord!"})
    assert response.status_code == 410
    assert User.objects.get(email="nina@example.test").check_password(NEW_PASSWORD)
    with pytest.raises(ValidationError):
        invitation_accept(token=token, password="nog een ander wachtwoord")


def test_expired_invitation_offers_a_new_link(client, personas, settings):
    settings.BALIE_INVITATION_HOURS = 72
    _invite(personas)
    token = _token_from_last_mail()
    with time_machine.travel(later(hours=72, minutes=1)):
        response = client.get(reverse("accounts:invitation_accept", args=[token]))
        assert response.status_code == 410
        assert response.context["reason"] == "expired"
        assert response.context["form"].initial["email"] == "nina@example.test"
        assert not User.objects.filter(email="nina@example.test", password__startswith="md5").exists()
        response = client.post(reverse("accounts:invitation_new_link"), {"email": "nina@example.test"})
        assert response.status_code == 200
    fresh = _token_from_last_mail()
    assert fresh != token
    assert client.get(reverse("accounts:invitation_accept", args=[fresh])).status_code == 200
    assert client.get(reverse("accounts:invitation_accept", args=[token])).status_code == 410


def test_invitation_validity_is_configurable(personas, settings):
    settings.BALIE_INVITATION_HOURS = 24
    result = _invite(personas)
    assert result.expires_at - result.created_at < timedelta(hours=24, seconds=5)


def test_new_link_answers_the_same_for_known_and_unknown_addresses(client, personas):
    _invite(personas)
    known = client.post(reverse("accounts:invitation_new_link"), {"email": "nina@example.test"})
    unknown = client.post(reverse("accounts:invitation_new_link"), {"email": "niemand@example.test"})
    active = client.post(reverse("accounts:invitation_new_link"), {"email": personas.client_user.email})

    def strip(response):
        body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
        return body.replace("nina@example.test", "X").replace("niemand@example.test", "X")

    assert known.status_code == unknown.status_code == active.status_code == 200
    assert strip(known) == strip(unknown) == strip(active).replace(personas.client_user.email, "X")
    recipients = list(DevOutboxMessage.objects.values_list("recipients", flat=True))
    assert "niemand@example.test" not in recipients
    assert personas.client_user.email in recipients  # told to sign in instead


def test_weak_password_is_refused_and_invitation_stays_usable(client, personas):
    _invite(personas)
    url = reverse("accounts:invitation_accept", args=[_token_from_last_mail()])
    response = client.post(
        url, {"first_name": "N", "last_name": "N", "password1": "password123", "password2": "password123"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert Invitation.objects.get().accepted_at is None
    response = client.post(url, {"first_name": "N", "last_name": "N", "password1": "kort", "password2": "kort"})
    assert "password1" in response.context["form"].errors
    response = client.post(
        url, {"first_name": "N", "last_name": "N", "password1": NEW_PASSWORD, "password2": "anders dan dat"}
    )
    assert "password2" in response.context["form"].errors
    assert not Membership.objects.filter(user__email="nina@example.test").exists()


def test_accepting_one_invitation_accepts_the_others_for_the_same_address(client, personas):
    _invite(personas, client=personas.company)
    _invite(personas, client=personas.holding, email="NINA@example.test")
    token = _token_from_last_mail()
    client.post(
        reverse("accounts:invitation_accept", args=[token]),
        {"first_name": "N", "last_name": "N", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    user = User.objects.get(email="nina@example.test")
    assert set(Client.objects.filter(memberships__user=user)) == {personas.company, personas.holding}
    assert not Invitation.objects.filter(accepted_at=None).exists()


def test_unknown_token_shows_the_used_link_page(client, db):
    response = client.get(reverse("accounts:invitation_accept", args=["bestaat-niet"]))
    assert response.status_code == 410
    assert response.context["reason"] == "used"


def test_signed_in_account_can_not_be_taken_over_by_a_stale_invitation(personas):
    result = _invite(personas, email="x@example.test")
    token = "unused"
    # An account for the address got a password some other way: the invitation cannot reset it.
    user = User.objects.create_user("x@example.test", "al een wachtwoord 1")
    result.token_hash = hashlib.sha256(token.encode()).hexdigest()
    result.save()
    with pytest.raises(ValidationError):
        invitation_accept(token=token, password=NEW_PASSWORD)
    user.refresh_from_db()
    assert user.check_password("al een wachtwoord 1")


def test_invitation_for_personal_environment_with_pending_invitation_is_refused(personas):
    personal = ClientFactory(firm=personas.firm, kind=Client.Kind.PERSONAL)
    _invite(personas, client=personal)
    with pytest.raises(ValidationError):
        _invite(personas, client=personal, email="tweede@example.test")


def test_person_with_an_account_signs_in_and_accepts(client, personas):
    _invite(personas, client=personas.company, email=personas.outsider.email.upper())
    mail = DevOutboxMessage.objects.get()
    assert "al een account" in mail.body_text  # the e-mail for existing accounts
    url = reverse("accounts:invitation_accept", args=[_token_from_last_mail()])
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    client.force_login(personas.outsider)
    page = client.get(url)
    assert page.status_code == 200
    assert not Membership.objects.filter(client=personas.company, user=personas.outsider).exists()
    response = client.post(url)
    assert response.url == reverse("home:client", args=[personas.company.public_id])
    assert Membership.objects.filter(client=personas.company, user=personas.outsider).exists()
    assert personas.outsider.check_password(personas.password)  # the password was not touched
    assert client.post(url).status_code == 410  # single use


def test_invitation_for_an_account_cannot_be_accepted_by_someone_else(client, personas):
    _invite(personas, client=personas.holding, email=personas.outsider.email)
    url = reverse("accounts:invitation_accept", args=[_token_from_last_mail()])
    client.force_login(personas.employee)
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    assert not Membership.objects.filter(client=personas.holding, user__in=[personas.outsider, personas.employee])


def test_asking_for_a_new_link_keeps_the_old_one_working(client, personas):
    _invite(personas)
    first = _token_from_last_mail()
    client.post(reverse("accounts:invitation_new_link"), {"email": "nina@example.test"})
    second = _token_from_last_mail()
    assert first != second
    data = {"first_name": "N", "last_name": "N", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    assert client.post(reverse("accounts:invitation_accept", args=[first]), data).status_code == 302
    client.logout()
    assert client.get(reverse("accounts:invitation_accept", args=[second])).status_code == 410


@pytest.mark.django_db(transaction=True)
def test_two_invitations_of_one_address_accepted_at_once_make_one_account(personas):
    skip_unless_postgresql()
    for attempt in range(5):
        email = f"race{attempt}@example.test"
        _invite(personas, client=personas.company, email=email)
        company_token = _token_from_last_mail()
        _invite(personas, client=personas.holding, email=email)
        holding_token = _token_from_last_mail()
        outcomes = race(
            lambda token: invitation_accept(token=token, password=NEW_PASSWORD), [company_token, holding_token]
        )
        assert outcomes == ["ok", "used"]
        user = User.objects.get(email=email)
        assert set(Client.objects.filter(memberships__user=user)) == {personas.company, personas.holding}
