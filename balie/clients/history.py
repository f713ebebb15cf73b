"""The history of an environment's data, contact persons and access (ORG-3): who, when, old → new."""

from __future__ import annotations

from django.db.models import QuerySet

from balie.audit.services import record
from balie.clients.models import ChangeLogEntry, Client, ContactPerson, Membership


def audit_action(subject: str, changes: list) -> str:
    """The audit action a history entry is recorded as: a contact person added (every old value
    empty) or removed (every new value empty), access given or ended, or a change."""
    if subject == ChangeLogEntry.Subject.ORGANISATION:
        return "organisation.changed"
    if subject == ChangeLogEntry.Subject.CONTACT:
        if all(old == "" for _field, old, _new in changes):
            return "contact.created"
        if all(new == "" for _field, _old, new in changes):
            return "contact.deleted"
        return "contact.changed"
    if any(field == "access" and new == "" for field, _old, new in changes):
        return "contact.access_ended"
    if any(field == "access" and old == "" for field, old, _new in changes):
        return "contact.access_granted"
    return "contact.access_changed"


# Which model's fields a subject's changes name, for their labels and choice texts.
_SUBJECT_MODELS = {
    ChangeLogEntry.Subject.ORGANISATION: Client,
    ChangeLogEntry.Subject.CONTACT: ContactPerson,
    ChangeLogEntry.Subject.ACCESS: Membership,
}


def _plain(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    return str(value)


def diff(old: dict, new: dict) -> list[list[str]]:
    """``[[field, old, new], ...]`` for the fields whose value differs, in ``new``'s order."""
    return [
        [name, _plain(old.get(name)), _plain(value)]
        for name, value in new.items()
        if _plain(old.get(name)) != _plain(value)
    ]


def change_log_record(
    *, client: Client, actor, subject: str, via: str, changes: list, subject_label: str = "", change_request=None
) -> ChangeLogEntry | None:
    """Records one change (in the caller's transaction); nothing when nothing changed. The audit
    trail gets it too, the changes as the history keeps them (``[[field, old, new], ...]``: field
    names such as ``postal_code`` are not details keys, which must not look like secrets)."""
    if not changes:
        return None
    actor_name = ""
    if actor is not None:
        actor_name = actor.get_full_name() or actor.email
    details = {"via": via, "changes": changes}
    if subject_label:
        details["about"] = subject_label
    if change_request is not None:
        details["change_request"] = str(change_request.public_id)
    entry = ChangeLogEntry.objects.create(
        client=client,
        actor=actor,
        actor_name=actor_name,
        subject=subject,
        subject_label=subject_label,
        via=via,
        changes=changes,
        change_request=change_request,
    )
    record(
        audit_action(subject, changes), firm=client.firm, actor=actor, environment=client, obj=client, details=details
    )
    return entry


def change_log_for_client(*, client: Client) -> QuerySet[ChangeLogEntry]:
    """Newest first; paginate it (one query per page, no joins needed to show it)."""
    return ChangeLogEntry.objects.filter(client=client)


def describe(entry: ChangeLogEntry) -> list[dict]:
    """The entry's changes as ``{"label", "old", "new"}`` with field labels and choice texts."""
    model = _SUBJECT_MODELS.get(entry.subject)
    rows = []
    for name, old, new in entry.changes:
        label, old_text, new_text = name, old, new
        if name == "access":  # portal access given or ended
            rows.append({"label": _access_label(), "old": _yes_no(old), "new": _yes_no(new)})
            continue
        if name == "login_email":  # a new sign-in address asked for; the person confirms it
            rows.append({"label": _login_email_label(), "old": old, "new": new})
            continue
        if model is not None:
            try:
                field = model._meta.get_field(name)
            except Exception:  # a field that no longer exists: show its name
                field = None
            if field is not None:
                label = str(field.verbose_name)
                choices = dict(getattr(field, "choices", None) or [])
                if choices:
                    old_text, new_text = str(choices.get(old, old)), str(choices.get(new, new))
                elif field.get_internal_type() == "BooleanField":
                    old_text, new_text = _yes_no(old), _yes_no(new)
        rows.append({"label": label, "old": old_text, "new": new_text})
    return rows


def _yes_no(value: str) -> str:
    from django.utils.translation import gettext

    return gettext("yes") if value else gettext("no")


def _access_label() -> str:
    from django.utils.translation import gettext

    return gettext("Portal access")


def _login_email_label() -> str:
    from django.utils.translation import gettext

    return gettext("sign-in address (to be confirmed)")
