"""The outbox's part of ``/health`` and of ``balie check``."""

import os

from django.conf import settings
from django.core import checks
from django.utils import timezone

from balie.core.health import Degraded
from balie.notifications.selectors import outbox_oldest_waiting


def email_health() -> Degraded | None:
    """Degraded when an e-mail has waited longer than BALIE_OUTBOX_ALERT_MINUTES (an SMTP outage,
    a stopped worker): mail is late but kept, so the web process itself is fine."""
    since = outbox_oldest_waiting()
    if since is None:
        return None
    age = int((timezone.now() - since).total_seconds())
    if age < settings.BALIE_OUTBOX_ALERT_MINUTES * 60:
        return None
    return Degraded({"email_oldest_undelivered_seconds": age})


def check_outbox_settings(app_configs=None, **kwargs):
    if os.environ.get("BALIE_OUTBOX_MAX_ATTEMPTS", "").strip():
        return [
            checks.Warning(
                "BALIE_OUTBOX_MAX_ATTEMPTS is no longer used.",
                hint="A failing message is now retried until BALIE_OUTBOX_GIVE_UP_HOURS (default 48) after it "
                "was queued; remove the variable.",
                id="notifications.W001",
            )
        ]
    return []
