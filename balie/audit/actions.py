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

# What the services write (each service that changes data records one of these).
register("account.deactivated", _("Account disabled"))
register("auth.session_ended", _("Session ended"))
register("email.change_requested", _("Change of sign-in address requested"))
register("email.changed", _("Sign-in address changed"))
register("email.change_cancelled", _("Change of sign-in address cancelled"))
register("invitation.sent", _("Invitation sent"))
register("invitation.resent", _("Invitation sent again"))
register("invitation.accepted", _("Invitation accepted"))
register("preferences.changed", _("Notification settings changed"))
register("profile.changed", _("Own details changed"))
register("twostep.factor_added", _("Sign-in method added"))
register("twostep.factor_changed", _("Sign-in method changed"))
register("twostep.factor_removed", _("Sign-in method removed"))
register("twostep.recovery_renewed", _("New recovery codes made"))
register("twostep.pin_letter_created", _("PIN letter made"))
register("twostep.factors_reset", _("Two-step verification reset by the firm"))
register("client.created", _("Environment created"))
register("membership.created", _("Portal access activated"))
register("contact.created", _("Contact person added"))
register("contact.changed", _("Contact person changed"))
register("contact.deleted", _("Contact person removed"))
register("contact.access_changed", _("Portal access changed"))
register("contact.access_ended", _("Portal access ended"))
register("organisation.changed", _("Organisation data changed"))
register("organisation.change_requested", _("Change of organisation data requested"))
register("organisation.change_withdrawn", _("Change of organisation data withdrawn"))
register("organisation.change_handled", _("Change of organisation data handled"))
register("app_tile.created", _("Online service added"))
register("app_tile.deleted", _("Online service removed"))
register("dossier.created", _("Dossier created"))
register("dossier.changed", _("Dossier changed"))
register("folder.created", _("Folder created"))
register("checklist.item_added", _("Checklist item added"))
register("checklist.item_done", _("Checklist item ticked off"))
register("checklist.item_reopened", _("Checklist item reopened"))
register("document.added", _("Document added"))
register("document.replaced", _("New version of a document"))
register("document.withdrawn", _("Document withdrawn"))
register("bulk.confirmed", _("Bulk publication confirmed"))
register("bulk.retried", _("Bulk publication retried"))
register("bulk.cancelled", _("Bulk publication discarded"))
register("request.created", _("Request created"))
register("request.withdrawn", _("Request withdrawn"))
register("request.replaced", _("Request restarted on a new version"))
register("request.queued", _("Request ready to send"))
register("request.sent", _("Request sent"))
register("request.reminded", _("Signers reminded"))
register("request.signer_moved", _("Place of a signature moved"))
register("request.signed", _("Signed by everyone"))
register("request.seal_retried", _("Sealing of signatures retried"))
register("signature.added", _("Signature added"))
register("thread.created", _("Conversation started"))
register("thread.assigned", _("Conversation assigned"))
register("thread.handled", _("Conversation handled"))
register("message.posted", _("Message posted"))
register("message.note_added", _("Internal note added"))
register("todo.created", _("Task created"))
register("todo.reminded", _("Task reminder sent"))
