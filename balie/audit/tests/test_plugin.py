"""The suite's watch over the audit trail (``plugin.py``) finds a secret as a whole token only."""

from types import SimpleNamespace

import pytest

from balie.audit.tests import plugin

pytestmark = pytest.mark.once


def _event(details=None, object_id=""):
    return SimpleNamespace(
        action="auth.signin", details=details or {}, actor_name="Pieter", object_id=object_id, user_agent=""
    )


def test_a_code_in_the_details_is_reported_and_one_inside_a_uuid_is_not(monkeypatch):
    monkeypatch.setattr(plugin, "_secrets", {"262707"})
    monkeypatch.setattr(plugin, "_leaks", [])
    plugin._event_saved(None, _event(object_id="ab1fa5a8-16e3-4e06-9f68-ffb2627077cd"), created=True)
    assert plugin._leaks == []
    plugin._event_saved(None, _event(details={"factor": "sms", "note": "262707"}), created=True)
    assert len(plugin._leaks) == 1 and "auth.signin" in plugin._leaks[0]
