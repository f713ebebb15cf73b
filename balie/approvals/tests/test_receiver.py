"""The firm software's webhook settings (APR-8): address, a secret shown once, admins only."""

import pytest
from django.urls import reverse

from balie.approvals.models import Receiver
from balie.firms.factories import StaffMemberFactory

pytestmark = pytest.mark.django_db
URL = "https://software.example.nl/balie"


def test_an_administrator_sets_the_webhook_and_sees_the_new_secret_once(client, personas, settings):
    client.force_login(personas.staff.user)
    response = client.post(reverse("approvals_staff:receiver"), {"webhook_url": URL})
    assert response.status_code == 200
    secret = response.context["shown_secret"]
    assert secret.startswith("whsec_") and secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    receiver = Receiver.objects.get(firm=personas.firm)
    assert receiver.webhook_url == URL
    assert secret not in receiver.webhook_secret  # stored encrypted
    assert receiver.secret() == secret
    again = client.get(reverse("approvals_staff:receiver")).content.decode()
    assert secret not in again


def test_changing_the_address_keeps_the_secret_unless_a_new_one_is_asked(client, personas):
    client.force_login(personas.staff.user)
    first = client.post(reverse("approvals_staff:receiver"), {"webhook_url": URL}).context["shown_secret"]
    response = client.post(reverse("approvals_staff:receiver"), {"webhook_url": URL + "/v2"})
    assert response.status_code == 302
    receiver = Receiver.objects.get(firm=personas.firm)
    assert (receiver.webhook_url, receiver.secret()) == (URL + "/v2", first)
    renewed = client.post(reverse("approvals_staff:receiver"), {"webhook_url": URL, "new_secret": "on"})
    assert renewed.context["shown_secret"] not in ("", first)
    receiver.refresh_from_db()
    assert receiver.secret() == renewed.context["shown_secret"]


def test_internal_addresses_are_refused_where_private_targets_are_not_allowed(client, personas, settings):
    settings.BALIE_WEBHOOK_ALLOW_PRIVATE = False
    client.force_login(personas.staff.user)
    response = client.post(reverse("approvals_staff:receiver"), {"webhook_url": "https://169.254.169.254/latest"})
    assert response.status_code == 400
    assert "webhook_url" in response.context["form"].errors
    assert not Receiver.objects.exists()


def test_only_the_firms_administrators_reach_the_page(client, personas):
    client.force_login(StaffMemberFactory(firm=personas.firm).user)
    assert client.get(reverse("approvals_staff:receiver")).status_code == 404
    assert client.post(reverse("approvals_staff:receiver"), {"webhook_url": URL}).status_code == 404
    client.force_login(personas.client_user)
    assert client.post(reverse("approvals_staff:receiver"), {"webhook_url": URL}).status_code in (302, 404)
    assert not Receiver.objects.exists()
