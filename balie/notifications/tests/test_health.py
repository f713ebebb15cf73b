"""/health and the outbox: late e-mail makes the service "degraded", never "down"."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from balie.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db


def waiting(minutes: float, *, status="pending", channel="email", firm=None, n=0):
    queued = timezone.now() - timedelta(minutes=minutes)
    return OutboxMessage.objects.create(
        firm=firm,
        channel=channel,
        recipient=f"r{n}@example.test",
        status=status,
        message_id=f"<h{n}@t>",
        created_at=queued,
        queued_at=queued,
    )


@pytest.fixture
def frozen():
    with time_machine.travel(time.time(), tick=False):
        yield


def test_health_is_degraded_with_the_age_when_an_email_waits_too_long(client, settings, frozen):
    settings.BALIE_OUTBOX_ALERT_MINUTES = 15
    waiting(20, n=1)
    waiting(3, n=2)
    response = client.get("/health")
    assert response.status_code == 200  # SMTP trouble must not take the web process out
    assert response.json() == {
        "status": "degraded",
        "database": "ok",
        "cache": "ok",
        "storage": "ok",
        "email": "degraded",
        "email_oldest_undelivered_seconds": 1200,
    }


def test_health_is_ok_while_mail_waits_less_than_the_threshold(client, settings, frozen):
    settings.BALIE_OUTBOX_ALERT_MINUTES = 15
    waiting(14, n=1)
    waiting(600, status="failed", n=2)  # given up: shown to staff, not a live outage
    waiting(600, status="sent", n=3)
    waiting(600, channel="sms", n=4)
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["email"] == "ok"
    assert "email_oldest_undelivered_seconds" not in response.json()


def test_a_message_stuck_with_a_dead_worker_counts_as_waiting(client, settings, frozen):
    settings.BALIE_OUTBOX_ALERT_MINUTES = 15
    waiting(30, status="sending", n=1)
    assert client.get("/health").json()["email_oldest_undelivered_seconds"] == 1800


def test_health_still_answers_503_when_a_core_part_is_broken_and_mail_is_late(client, monkeypatch, frozen):
    from balie.core.views import system as views

    def broken():
        raise OSError("disk gone")

    waiting(60, n=1)
    monkeypatch.setitem(views.CHECKS, "storage", broken)
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert response.json()["email"] == "degraded"


def test_an_old_max_attempts_setting_is_reported(monkeypatch):
    from balie.notifications.health import check_outbox_settings

    monkeypatch.delenv("BALIE_OUTBOX_MAX_ATTEMPTS", raising=False)
    assert check_outbox_settings() == []
    monkeypatch.setenv("BALIE_OUTBOX_MAX_ATTEMPTS", "8")
    assert [w.id for w in check_outbox_settings()] == ["notifications.W001"]


def test_only_this_machine_is_told_how_long_mail_has_waited(client, settings, frozen):
    """The age is the installation's, over all firms: a caller elsewhere sees the state alone."""
    settings.BALIE_OUTBOX_ALERT_MINUTES = 15
    waiting(20, n=1)
    remote = client.get("/health", REMOTE_ADDR="203.0.113.5").json()
    forwarded = client.get("/health", HTTP_X_FORWARDED_FOR="203.0.113.5").json()
    for answer in (remote, forwarded):
        assert answer["status"] == answer["email"] == "degraded"
        assert "email_oldest_undelivered_seconds" not in answer
    assert client.get("/health").json()["email_oldest_undelivered_seconds"] == 1200  # from 127.0.0.1
