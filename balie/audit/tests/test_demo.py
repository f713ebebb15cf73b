"""The demo's audit history: Pieter sees Sanne's views of his BV, his sign-ins and a failed attempt."""

import pytest
from django.urls import reverse

from balie.accounts.models import User
from balie.audit.models import AuditEvent
from balie.core.demo import load

pytestmark = pytest.mark.django_db


def test_pieters_environments_have_a_history(client):
    load()
    pieter = User.objects.get(email="pieter.bakker@bakker-installatie.example")
    company = pieter.preferred_client
    client.force_login(pieter)
    rows = client.get(reverse("organisation:viewers", kwargs={"client": company.public_id})).context["rows"]
    assert {(row["event"].actor_name, row["event"].action) for row in rows} == {
        ("Sanne de Vries", "staff.environment_viewed"),
        ("Sanne de Vries", "document.viewed"),
    }
    signins = client.get(reverse("accounts:signins")).context["rows"]
    assert [row["event"].action for row in signins].count("auth.signin_failed") == 1
    assert [row["network"] for row in signins if row["failed"]] == ["203.0.113.x"]
    assert AuditEvent.objects.filter(action="auth.signin", actor_user=pieter, ip_address="198.51.100.23").exists()
