"""The one registry of what the audit trail records: each action is a dotted name with a label.

An app that records a new kind of event registers its action once (here for the actions of the
first capabilities, or from its ``AppConfig.ready``), and ``services.record`` refuses a name that
is not registered, so a typo never writes an event nobody can find in the log:

    register("ticket.closed", _("Ticket closed"))
"""

from __future__ import annotations

import re

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

NAME = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)+$")

_ACTIONS: dict[str, Promise | str] = {}


def register(name: str, label: Promise | str) -> None:
    """Adds an action (``label`` lazily translated). Registering a name again with the same label is
    harmless; with another label it is a mistake and raises ``ValueError``."""
    if not NAME.match(name):
        raise ValueError(f"An audit action is a dotted lower-case name, not {name!r}.")
    known = _ACTIONS.get(name)
    if known is not None and str(known) != str(label):
        raise ValueError(f"The audit action {name!r} is already registered as {known!s}.")
    _ACTIONS[name] = label


def is_registered(name: str) -> bool:
    return name in _ACTIONS


def label(name: str) -> str:
    """The action's label in the active language; the name itself for an unknown action (an event
    written by an older version of an app that no longer registers it stays readable)."""
    found = _ACTIONS.get(name)
    return str(found) if found is not None else name


def names() -> list[str]:
    return sorted(_ACTIONS)


register("auth.signin", _("Signed in"))
register("auth.signin_failed", _("Sign-in failed"))
register("auth.twostep_failed", _("Two-step verification failed"))
register("auth.reported_not_me", _("Sign-in reported as not by the person"))
register("document.viewed", _("Document viewed"))
register("document.downloaded", _("Document downloaded"))
register("document.published", _("Document published"))
register("request.decided", _("Request decided"))
register("contact.access_granted", _("Access granted to a contact person"))
register("settings.changed", _("Settings changed"))
register("staff.environment_viewed", _("Environment opened by the firm"))
register("staff.thread_viewed", _("Conversation opened by the firm"))
register("export.created", _("Audit log exported"))
register("audit.pruned", _("Old audit events removed (retention)"))
