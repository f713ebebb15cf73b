import pytest
from django.urls import reverse

from balie.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db


def row(firm, status, n):
    return OutboxMessage.objects.create(
        firm=firm,
        recipient=f"r{n}@example.test",
        subject=f"Onderwerp {n}",
        status=status,
        message_id=f"<{n}@t>",
        attempts=8 if status == "failed" else 0,
        last_error="connection refused" if status == "failed" else "",
    )


def test_staff_see_their_firms_failed_deliveries_only(client, personas):
    row(personas.firm, "failed", 1)
    row(personas.firm, "sent", 2)
    row(personas.other_firm, "failed", 3)
    client.force_login(personas.staff.user)
    response = client.get(reverse("notifications:staff_delivery"))
    assert [m.subject for m in response.context["page"]] == ["Onderwerp 1"]
    assert "connection refused" in response.content.decode()
    response = client.get(reverse("notifications:staff_delivery"), {"status": ""})
    assert {m.subject for m in response.context["page"]} == {"Onderwerp 1", "Onderwerp 2"}


def test_clients_have_no_delivery_page(client, personas):
    client.force_login(personas.client_user)
    assert client.get(reverse("notifications:staff_delivery")).status_code == 404


def test_delivery_page_uses_constant_queries(client, personas, django_assert_max_num_queries):
    for n in range(60):
        row(personas.firm, "failed", n)
    client.force_login(personas.staff.user)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("notifications:staff_delivery"), {"page": 2})
    assert len(response.context["page"]) == 25
