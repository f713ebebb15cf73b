"""The environment's own data changed by its client (ORG-2, ORG-3) under the firm's policy (FIRM-3).

Two ways, per ``Client.effective_change_policy``:

- review: a Beheerder sends a change request (only the fields that differ, old and new); the firm
  approves it (the values apply at once, re-validated) or rejects it with a note. One pending
  request per environment, guarded by a database constraint.
- direct: a Beheerder changes the data at once, confirmed with a second factor (or the password).

Every applied change is written to the environment's history (``balie.clients.history``). Writes
(services) first, then reads (selectors).
"""

from __future__ import annotations

import copy
import uuid

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from balie.audit.services import record
from balie.clients.history import change_log_record, describe, diff
from balie.clients.models import ChangeLogEntry, ChangePolicy, ChangeRequest, Client, Membership
from balie.firms.models import Firm, StaffMember
from balie.notifications.models import EventKind
from balie.notifications.services import notify

# What a client may change of their environment, in the form's order.
ORGANISATION_FIELDS = ("name", "legal_form", "kvk_number", "street", "postal_code", "city", "email", "phone")
# A personal environment is a person: no legal form, no Chamber of Commerce number.
COMPANY_ONLY_FIELDS = ("legal_form", "kvk_number")


def organisation_fields(client: Client) -> tuple[str, ...]:
    if client.is_personal:
        return tuple(name for name in ORGANISATION_FIELDS if name not in COMPANY_ONLY_FIELDS)
    return ORGANISATION_FIELDS


def organisation_values(client: Client) -> dict[str, str]:
    return {name: getattr(client, name) or "" for name in organisation_fields(client)}


def organisation_changes(*, client: Client, values: dict) -> dict[str, tuple[str, str]]:
    """``{field: (current, proposed)}`` for the editable fields whose value differs."""
    current = organisation_values(client)
    wanted = {name: values.get(name, "") or "" for name in current}
    return {name: (current[name], new) for name, old, new in diff(current, wanted)}


def _notify_firm(*, client: Client, title: str, params: dict, link: str) -> None:
    """The environment's relationship managers hear of it; without any, the firm's administrators."""
    managers = [staff.user for staff in client.relationship_managers.select_related("user")]
    if not managers:
        admins = StaffMember.objects.filter(firm_id=client.firm_id, role=StaffMember.Role.ADMIN).select_related("user")
        managers = [staff.user for staff in admins]
    notify(users=managers, client=client, kind=EventKind.DETAILS, title=title, params=params, link=link)


def _validated(client: Client, values: dict) -> Client:
    """A copy of ``client`` with ``values`` set, checked by the model's own validation."""
    candidate = copy.copy(client)
    for name, value in values.items():
        setattr(candidate, name, value)
    others = [field.name for field in Client._meta.fields if field.name not in values]
    candidate.full_clean(exclude=others, validate_unique=False, validate_constraints=False)
    return candidate


# -- Writes -------------------------------------------------------------------------------------


def _pending_exists_error() -> ValidationError:
    return ValidationError(
        _("A change request is already waiting for review. Withdraw it first to propose other changes."),
        code="pending",
    )


def _handled_error() -> ValidationError:
    return ValidationError(_("This change request has already been handled."), code="handled")


@transaction.atomic
def change_request_create(*, client: Client, actor, values: dict) -> ChangeRequest:
    """Proposes a change of the environment's data (review policy): stores only the fields that
    differ, with what they held, and tells the firm. Refuses "nothing changed" and a second
    pending request."""
    client = Client.objects.select_for_update(of=("self",)).select_related("firm").get(pk=client.pk)
    if ChangeRequest.objects.filter(client=client, status=ChangeRequest.Status.PENDING).exists():
        raise _pending_exists_error()
    changes = organisation_changes(client=client, values=values)
    if not changes:
        raise ValidationError(_("Nothing has changed: change at least one field."), code="unchanged")
    _validated(client, {name: new for name, (_old, new) in changes.items()})
    try:
        with transaction.atomic():
            change_request = ChangeRequest.objects.create(
                client=client,
                requested_by=actor,
                old_values={name: old for name, (old, _new) in changes.items()},
                new_values={name: new for name, (_old, new) in changes.items()},
            )
    except IntegrityError:  # the database's one-pending constraint decided a race
        raise _pending_exists_error() from None
    who = actor.get_full_name() or actor.email
    _notify_firm(
        client=client,
        title=gettext_noop("%(who)s (%(client)s) asks to change the data of the environment"),
        params={"who": who, "client": client.name},
        link=reverse("organisation_staff:request", kwargs={"request": change_request.public_id}),
    )
    record(
        "organisation.change_requested",
        firm=client.firm,
        actor=actor,
        environment=client,
        obj=change_request,
        details={"fields": sorted(changes)},
    )
    return change_request


@transaction.atomic
def change_request_withdraw(*, change_request: ChangeRequest, actor) -> ChangeRequest:
    """The requester (or a Beheerder) takes a pending request back; the caller checks who may."""
    change_request = ChangeRequest.objects.select_for_update().get(pk=change_request.pk)
    if change_request.status != ChangeRequest.Status.PENDING:
        raise _handled_error()
    change_request.status = ChangeRequest.Status.WITHDRAWN
    change_request.decided_by = actor
    change_request.decided_at = timezone.now()
    change_request.save(update_fields=["status", "decided_by", "decided_at"])
    client = change_request.client
    record("organisation.change_withdrawn", firm=client.firm, actor=actor, environment=client, obj=change_request)
    return change_request


def _lock_pending(change_request: ChangeRequest) -> ChangeRequest:
    """The request's row, locked: of two staff members deciding at once, the second waits here and
    then finds it decided."""
    locked = (
        ChangeRequest.objects.select_for_update(of=("self",)).select_related("requested_by").get(pk=change_request.pk)
    )
    if locked.status != ChangeRequest.Status.PENDING:
        raise _handled_error()
    return locked


def _decide(change_request: ChangeRequest, *, status: str, actor, note: str = "") -> None:
    change_request.status = status
    change_request.decided_by = actor
    change_request.decided_at = timezone.now()
    change_request.note = note
    change_request.save(update_fields=["status", "decided_by", "decided_at", "note"])
    client = change_request.client
    record(
        "organisation.change_handled",
        firm=client.firm,
        actor=actor,
        environment=client,
        obj=change_request,
        details={"status": status},
    )


def _tell_requester(change_request: ChangeRequest, client: Client, title: str, params: dict) -> None:
    requester = change_request.requested_by
    # Told only while they still have access here: someone who left does not get the firm's note.
    if requester is None or not Membership.objects.active().filter(client=client, user=requester).exists():
        return
    notify(
        users=[requester],
        client=client,
        kind=EventKind.DETAILS,
        title=title,
        params=params,
        link=reverse("organisation:detail", kwargs={"client": client.public_id}),
    )


@transaction.atomic
def change_request_approve(*, change_request: ChangeRequest, actor) -> ChangeLogEntry | None:
    """Applies the proposed values at once (validated again: the data may have changed since),
    records the history and tells the requester. Decides once, however many click at the same time."""
    change_request = _lock_pending(change_request)
    client = Client.objects.select_for_update(of=("self",)).select_related("firm").get(pk=change_request.client_id)
    # A field the environment no longer has (it became a personal environment) is not applied.
    proposed = change_request.new_values
    values = {name: proposed[name] for name in organisation_fields(client) if name in proposed}
    before = organisation_values(client)
    for name, value in values.items():
        setattr(client, name, value)
    client.full_clean()
    client.save(update_fields=list(values))
    entry = change_log_record(
        client=client,
        actor=actor,
        subject=ChangeLogEntry.Subject.ORGANISATION,
        via=ChangeLogEntry.Via.REQUEST,
        changes=diff(before, values),
        change_request=change_request,
    )
    _decide(change_request, status=ChangeRequest.Status.APPROVED, actor=actor)
    _tell_requester(
        change_request,
        client,
        gettext_noop("Your change of the data of %(client)s has been approved and applied."),
        {"client": client.name},
    )
    return entry


@transaction.atomic
def change_request_reject(*, change_request: ChangeRequest, actor, note: str) -> ChangeRequest:
    """Rejects with a note for the client (required); nothing changes."""
    note = (note or "").strip()
    if not note:
        raise ValidationError(_("Write why you reject the change; the client reads this note."), code="note")
    change_request = _lock_pending(change_request)
    client = change_request.client
    _decide(change_request, status=ChangeRequest.Status.REJECTED, actor=actor, note=note)
    _tell_requester(
        change_request,
        client,
        gettext_noop("Your change of the data of %(client)s has been rejected: %(note)s"),
        {"client": client.name, "note": note[:200]},
    )
    return change_request


@transaction.atomic
def organisation_change_direct(*, client: Client, actor, values: dict) -> ChangeLogEntry | None:
    """Changes the environment's data at once (direct policy; the caller has the confirmation),
    records the history and tells the firm."""
    client = Client.objects.select_for_update(of=("self",)).select_related("firm").get(pk=client.pk)
    changes = organisation_changes(client=client, values=values)
    if not changes:
        raise ValidationError(_("Nothing has changed: change at least one field."), code="unchanged")
    before = organisation_values(client)
    for name, (_old, new) in changes.items():
        setattr(client, name, new)
    client.full_clean()
    client.save(update_fields=list(changes))
    # A request left from when the firm reviewed changes would overwrite this one if approved later.
    ChangeRequest.objects.filter(client=client, status=ChangeRequest.Status.PENDING).update(
        status=ChangeRequest.Status.WITHDRAWN,
        decided_by=actor,
        decided_at=timezone.now(),
        note=_("Replaced by a direct change of the data."),
    )
    entry = change_log_record(
        client=client,
        actor=actor,
        subject=ChangeLogEntry.Subject.ORGANISATION,
        via=ChangeLogEntry.Via.DIRECT,
        changes=diff(before, {name: new for name, (_old, new) in changes.items()}),
    )
    who = actor.get_full_name() or actor.email
    _notify_firm(
        client=client,
        title=gettext_noop("%(who)s changed the data of %(client)s"),
        params={"who": who, "client": client.name},
        link=reverse("clients:staff_detail", kwargs={"client": client.public_id}),
    )
    return entry


@transaction.atomic
def firm_change_policy_update(*, firm: Firm, actor, change_policy: str) -> Firm:
    """How clients' changes of their data take effect at this firm (FIRM-3)."""
    if change_policy not in ChangePolicy.values:
        raise ValidationError(_("Choose how changes take effect."), code="invalid")
    old = firm.change_policy
    firm.change_policy = change_policy
    firm.save(update_fields=["change_policy"])
    record("settings.changed", firm=firm, actor=actor, details={"change_policy": [old, change_policy]})
    return firm


# -- Who may ------------------------------------------------------------------------------------


def may_withdraw(*, membership: Membership | None, change_request: ChangeRequest) -> bool:
    """The requester, or a Beheerder of the environment (the service refuses a decided request)."""
    if membership is None:
        return False
    if membership.client_id != change_request.client_id:
        return False
    return membership.role == Membership.Role.ADMIN or change_request.requested_by_id == membership.user_id


# -- Reads --------------------------------------------------------------------------------------


def _uuid(value) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        raise Http404 from None


def pending_change_request(*, client: Client) -> ChangeRequest | None:
    return (
        ChangeRequest.objects.filter(client=client, status=ChangeRequest.Status.PENDING)
        .select_related("requested_by")
        .first()
    )


def last_decided_change_request(*, client: Client) -> ChangeRequest | None:
    """The latest approved or rejected request: its outcome (and the firm's note) for the client."""
    return (
        ChangeRequest.objects.filter(
            client=client, status__in=[ChangeRequest.Status.APPROVED, ChangeRequest.Status.REJECTED]
        )
        .select_related("decided_by")
        .order_by("-decided_at", "-pk")
        .first()
    )


def get_change_request_for_client(*, client: Client, request_public_id) -> ChangeRequest:
    """A change request of this (already access-checked) environment, or 404."""
    try:
        return ChangeRequest.objects.select_related("requested_by").get(
            client=client, public_id=_uuid(request_public_id)
        )
    except ChangeRequest.DoesNotExist:
        raise Http404 from None


def change_request_list_for_staff(*, staff: StaffMember, decided: bool = False) -> QuerySet[ChangeRequest]:
    """The firm's pending change requests, oldest first; or the decided ones, latest decision first."""
    requests = ChangeRequest.objects.filter(client__firm_id=staff.firm_id).select_related(
        "client", "requested_by", "decided_by"
    )
    if decided:
        return requests.exclude(status=ChangeRequest.Status.PENDING).order_by("-decided_at", "-pk")
    return requests.filter(status=ChangeRequest.Status.PENDING).order_by("created_at", "pk")


def clients_with_own_change_policy(*, firm: Firm) -> QuerySet[Client]:
    """The firm's environments whose own setting applies instead of the firm's."""
    return Client.objects.filter(firm=firm).exclude(change_policy="").order_by("name", "pk")


def pending_change_request_count(*, firm: Firm) -> int:
    return ChangeRequest.objects.filter(client__firm=firm, status=ChangeRequest.Status.PENDING).count()


def get_change_request_for_staff(*, staff: StaffMember, request_public_id) -> ChangeRequest:
    """A change request of one of the staff member's firm's environments; 404 for any other."""
    try:
        return ChangeRequest.objects.select_related("client__firm", "requested_by", "decided_by").get(
            client__firm_id=staff.firm_id, public_id=_uuid(request_public_id)
        )
    except ChangeRequest.DoesNotExist:
        raise Http404 from None


def change_request_rows(change_request: ChangeRequest, *, client: Client | None = None) -> list[dict]:
    """Per proposed field: its label, the value when proposed, the proposal, and (with ``client``)
    the current value and whether it differs from the value when proposed."""
    # In the form's order (a JSON column need not keep the order it was written in).
    names = [name for name in ORGANISATION_FIELDS if name in change_request.new_values]
    proposed = describe(
        ChangeLogEntry(
            subject=ChangeLogEntry.Subject.ORGANISATION,
            changes=[[n, change_request.old_values.get(n, ""), change_request.new_values[n]] for n in names],
        )
    )
    rows = []
    current = {}
    if client is not None:
        current_texts = describe(
            ChangeLogEntry(
                subject=ChangeLogEntry.Subject.ORGANISATION,
                changes=[[n, getattr(client, n, "") or "", ""] for n in names],
            )
        )
        current = {name: text["old"] for name, text in zip(names, current_texts, strict=True)}
    for name, texts in zip(names, proposed, strict=True):
        row = {"name": name, "label": texts["label"], "old": texts["old"], "new": texts["new"]}
        if client is not None:
            row["current"] = current[name]
            row["changed_since"] = (getattr(client, name, "") or "") != (change_request.old_values.get(name) or "")
        rows.append(row)
    return rows


def change_log_list(*, client: Client) -> QuerySet[ChangeLogEntry]:
    """The environment's history, newest first, with what a page shows of who did it (the person's
    firm, the proposer of an approved request) in the same query."""
    return ChangeLogEntry.objects.filter(client=client).select_related(
        "actor__staff_member__firm", "change_request__requested_by"
    )


def _firm_of(user) -> Firm | None:
    if user is None:
        return None
    try:
        return user.staff_member.firm
    except StaffMember.DoesNotExist:
        return None


def _name(user, fallback: str = "") -> str:
    if user is None:
        return fallback
    return user.get_full_name() or user.email


def history_rows(entries, *, client: Client) -> list[dict]:
    """What a history page shows per entry: when, who (with their firm for firm staff), what, via,
    the proposer of an approved request, and ``[{label, old, new}]``."""
    rows = []
    for entry in entries:
        firm = _firm_of(entry.actor)
        proposer = entry.change_request.requested_by if entry.change_request_id and entry.change_request else None
        rows.append(
            {
                "entry": entry,
                "who": _name(entry.actor, entry.actor_name),
                "firm": firm.name if firm is not None and firm.pk == client.firm_id else "",
                "proposer": _name(proposer),
                "changes": describe(entry),
            }
        )
    return rows


def recent_changes(*, client: Client, limit: int = 3) -> list[dict]:
    return history_rows(change_log_list(client=client)[:limit], client=client)
