"""The outbox's part of ``balie check``."""

import os

from django.core import checks


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
