"""Contact persons and their portal access (ORG-4, ORG-5, BEY-4): the writes (reads: ``contact_selectors``).

A contact person is someone the firm may approach for an environment; with portal access they are
linked to a membership (role, flags, end date). Giving access sends the invitation of ACC-1; the
membership exists once the person accepts. Removing access keeps the contact person.

Every write takes the actor and how the change came about (``via``: the client's Beheerder, the
firm, or an end date), runs in one transaction and records the change in the environment's
history. Writes that touch access lock the client row first, so that "is there another Beheerder
left?" is answered once at a time: two concurrent demotions cannot both pass.

The environment keeps a Beheerder without an end date (an active account) as long as anyone else
has access: that one cannot be demoted, given an end date or removed, and a Beheerder with an end
date is only given next to one without (a personal environment, with its one member, aside). So
the hourly end-date job never leaves members without a Beheerder. When someone's access ends (or
they stop being Beheerder), their pending change request of the environment is withdrawn.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from balie.accounts.models import Invitation

# The reads live in ``contact_selectors``; their public names stay importable from here, where callers use them.
from balie.clients.contact_selectors import (  # noqa: F401
    ContactAccess,
    _pending,
    contact_add_refusal,
    contact_list_for_client,
    describe_access,
    get_contact_for_client,
    get_pending_invitation,
    invitations_without_contact,
    is_firm_staff,
    membership_of,
    pending_invitation_of,
    removal_needs_confirmation,
)
from balie.clients.history import change_log_record, diff
from balie.clients.models import ChangeLogEntry, ChangeRequest, Client, ContactPerson, Membership
from balie.clients.services import invitation_create

Subject = ChangeLogEntry.Subject
Via = ChangeLogEntry.Via

CONTACT_FIELDS = ("salutation", "first_name", "last_name", "job_title", "email", "phone")
# What a member may change of their own contact person: not the address they were invited with.
OWN_CONTACT_FIELDS = ("salutation", "first_name", "last_name", "job_title", "phone")


@dataclass(frozen=True)
class Access:
    """Portal access as it is given or changed: role, flags and the last day (BEY-4)."""

    role: str = Membership.Role.EMPLOYEE
    is_director: bool = False
    may_handle_documents: bool = False
    ends_on: date | None = None

    @classmethod
    def of(cls, holder) -> Access:
        """The access of a membership or a pending invitation."""
        return cls(
            role=holder.role,
            is_director=holder.is_director,
            may_handle_documents=holder.may_handle_documents,
            ends_on=holder.ends_on,
        )

    def for_client(self, client: Client) -> Access:
        # The one member of a personal environment manages it (as ``membership_create`` does).
        if client.is_personal and self.role != Membership.Role.ADMIN:
            return Access(Membership.Role.ADMIN, self.is_director, self.may_handle_documents, self.ends_on)
        return self


def access_object_key(*, client: Client, contact_key: str, access: Access, email: str = "") -> str:
    """What a step-up confirmation of giving or changing access is bound to: the environment, the
    contact person (or "new"), the exact role, flags and end date, and when access is given, the
    address the invitation goes to (as the service stores it: trimmed, lower case)."""
    key = (
        f"client:{client.public_id}:contact:{contact_key}:role:{access.role}"
        f":director:{int(access.is_director)}:handles:{int(access.may_handle_documents)}"
        f":until:{access.ends_on.isoformat() if access.ends_on else '-'}"
    )
    return f"{key}:to:{normalise_email(email)}" if email else key


def removal_object_key(*, client: Client, contact: ContactPerson, remove: str) -> str:
    """What a step-up confirmation of removing someone's access (``remove`` "access") or contact
    person ("contact") is bound to: the environment, the contact person and their membership."""
    return f"client:{client.public_id}:contact:{contact.public_id}:remove:{remove}:membership:{contact.membership_id}"


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


# -- Writes -------------------------------------------------------------------------------------


def _lock(client: Client) -> Client:
    return Client.objects.select_for_update().select_related("firm").get(pk=client.pk)


def _details(contact: ContactPerson, fields=CONTACT_FIELDS) -> dict:
    return {name: getattr(contact, name) for name in fields}


def _record(*, client, actor, subject, via, changes, contact) -> None:
    change_log_record(
        client=client, actor=actor, subject=subject, via=via, changes=changes, subject_label=contact.full_name
    )


def _administrators_without_end_date(client: Client) -> QuerySet[Membership]:
    """The Beheerders who keep the environment managed: no end date, and an account that can sign in."""
    return Membership.objects.active().filter(
        client=client, role=Membership.Role.ADMIN, ends_on__isnull=True, user__is_active=True
    )


def _anyone_else_has_access(*, client: Client, membership: Membership, contact: ContactPerson | None) -> bool:
    """Whether anyone but ``membership`` (and ``contact``'s own invitation) has or is given access."""
    if Membership.objects.active().filter(client=client).exclude(pk=membership.pk).exists():
        return True
    invitations = _pending(Invitation.objects.filter(client=client))
    if contact is not None:
        invitations = invitations.exclude(contact=contact)
    return invitations.exists()


def _keeps_an_administrator(
    *, client: Client, membership: Membership, access: Access | None, contact: ContactPerson | None = None
) -> None:
    """Refuses to take away the environment's last Beheerder without an end date (``access`` None:
    the membership goes) while anyone else has access. Removing the last one is allowed when
    nobody else has access (the firm off-boards the one person of the environment). Only active
    accounts count as "another Beheerder". The caller holds the client row's lock."""
    counted = membership.role == Membership.Role.ADMIN and membership.ends_on is None and membership.user.is_active
    stays = access is not None and access.role == Membership.Role.ADMIN and access.ends_on is None
    if not counted or stays:
        return
    if _administrators_without_end_date(client).exclude(pk=membership.pk).exists():
        return
    if access is None and not _anyone_else_has_access(client=client, membership=membership, contact=contact):
        return
    raise ValidationError(
        _(
            "%(name)s is the last administrator without an end date of this environment. "
            "Make someone else administrator first."
        )
        % {"name": contact or getattr(membership, "contact", None) or membership.user},
        code="last_admin",
    )


def _check_administrator_end_date(*, client: Client, access: Access | None, membership: Membership | None) -> None:
    """A Beheerder is given an end date only next to another Beheerder without one (an active
    account with access), so that the end-date job never leaves members without a Beheerder. Not
    in a personal environment: its one member is its Beheerder and nobody else can be left behind.
    The caller holds the client row's lock."""
    if access is None or access.role != Membership.Role.ADMIN or access.ends_on is None or client.is_personal:
        return
    others = _administrators_without_end_date(client)
    if membership is not None:
        others = others.exclude(pk=membership.pk)
    if not others.exists():
        raise ValidationError(
            _(
                "An administrator can only have an end date while another administrator without an end date "
                "has access to this environment. Leave the end date empty, or make someone else administrator "
                "without an end date first."
            ),
            code="admin_end_date",
        )


def _withdraw_change_requests(*, client: Client, user, note: str) -> int:
    """Withdraws ``user``'s pending change request of the environment, and ends the sign-in address
    changes they asked for there: they may no longer ask."""
    from balie.clients.contact_email import email_changes_end_requested_by

    email_changes_end_requested_by(client=client, user=user)
    return ChangeRequest.objects.filter(client=client, requested_by=user, status=ChangeRequest.Status.PENDING).update(
        status=ChangeRequest.Status.WITHDRAWN, decided_at=timezone.now(), note=note
    )


def _access_ended_note() -> str:
    return _("Withdrawn: the requester's access ended.")


def _access_changes(old: Access | None, new: Access | None) -> list:
    before = {"access": old is not None, **(asdict(old) if old else {})}
    after = {"access": new is not None, **(asdict(new) if new else {})}
    if new is None:  # only that the access ended; its last role stays in the earlier entries
        return diff({"access": True}, {"access": False}) if old is not None else []
    return diff(before, after)


def _invite(*, client, contact, actor, email: str, access: Access) -> Invitation:
    if not email:
        raise ValidationError(_("An e-mail address is needed to give portal access."), code="email_required")
    return invitation_create(
        client=client,
        actor=actor,
        email=email,
        first_name=contact.first_name,
        last_name=contact.last_name,
        role=access.role,
        is_director=access.is_director,
        may_handle_documents=access.may_handle_documents,
        contact=contact,
        ends_on=access.ends_on,
    )


def _check_ends_on(access: Access | None, *, before: Access | None = None) -> None:
    if access is None or access.ends_on is None:
        return
    if access.ends_on < timezone.localdate() and (before is None or before.ends_on != access.ends_on):
        raise ValidationError(_("The end date cannot be in the past."), code="ends_on_past")


@transaction.atomic
def contact_create(*, client: Client, actor, via: str, details: dict, access: Access | None = None) -> ContactPerson:
    """Adds a contact person (ORG-4); with ``access``, invites them at ``details["email"]`` (ACC-1).

    A personal environment has one person only: it refuses a second contact person.
    """
    client = _lock(client)
    refusal = contact_add_refusal(client=client)
    if refusal:
        raise ValidationError(refusal, code="personal_has_member")
    contact = ContactPerson(client=client, **{name: details.get(name) or "" for name in CONTACT_FIELDS})
    contact.email = contact.email.strip().lower()
    contact.first_name, contact.last_name = contact.first_name.strip(), contact.last_name.strip()
    contact.full_clean()
    contact.save()
    _record(
        client=client,
        actor=actor,
        subject=Subject.CONTACT,
        via=via,
        changes=diff({}, _details(contact)),
        contact=contact,
    )
    if access is not None:
        access = access.for_client(client)
        _check_ends_on(access)
        _check_administrator_end_date(client=client, access=access, membership=None)
        _invite(client=client, contact=contact, actor=actor, email=contact.email, access=access)
        _record(
            client=client,
            actor=actor,
            subject=Subject.ACCESS,
            via=via,
            changes=_access_changes(None, access),
            contact=contact,
        )
        _tell_the_firm(
            client=client,
            actor=actor,
            via=via,
            title=gettext_noop("%(who)s gave %(name)s portal access to %(client)s"),
            contact=contact,
        )
    else:
        _tell_the_firm(
            client=client,
            actor=actor,
            via=via,
            title=gettext_noop("%(who)s added contact person %(name)s to %(client)s"),
            contact=contact,
        )
    return contact


@transaction.atomic
def contact_update(
    *, contact: ContactPerson, actor, via: str, details: dict | None = None, access: Access | None = None
) -> ContactPerson:
    """Changes a contact person's details and, with ``access``, their portal access.

    ``details`` holds the fields to change (a member changing their own: ``OWN_CONTACT_FIELDS``).
    ``access`` changes the role, flags and end date of the membership or pending invitation, or
    gives access to a contact person without it (an invitation to their e-mail address). The last
    Beheerder without an end date can be neither demoted nor given an end date, and a Beheerder
    gets an end date only next to one without. A demoted Beheerder's pending change request is
    withdrawn.
    """
    client = _lock(contact.client)
    contact = ContactPerson.objects.select_for_update().get(pk=contact.pk, client=client)
    before = _details(contact)
    # A None lookup is valid (IS NULL, so no row); the stubs only accept a value.
    membership = Membership.objects.select_for_update().filter(pk=contact.membership_id).first()  # type: ignore[misc]
    invitation = _pending(contact.invitations.select_for_update()).order_by("-created_at").first()
    for name, value in (details or {}).items():
        if name not in CONTACT_FIELDS:
            continue
        if name == "email" and (membership is not None or invitation is not None):
            continue  # the address of the login or the invitation is not changed here
        value = (value or "").strip()
        setattr(contact, name, value.lower() if name == "email" else value)
    contact.full_clean()
    contact.save()
    changes = diff(before, _details(contact))
    _record(client=client, actor=actor, subject=Subject.CONTACT, via=via, changes=changes, contact=contact)

    access_changes = []
    if access is not None:
        access = access.for_client(client)
        holder = membership or invitation
        if holder is not None:
            old = Access.of(holder)
            _check_ends_on(access, before=old)
            if membership is not None:
                _keeps_an_administrator(client=client, membership=membership, access=access, contact=contact)
            if old != access:
                _check_administrator_end_date(client=client, access=access, membership=membership)
            for name, value in asdict(access).items():
                setattr(holder, name, value)
            holder.save(update_fields=list(asdict(access)))
            access_changes = _access_changes(old, access)
            if membership is not None and old.role == Membership.Role.ADMIN and access.role != old.role:
                _withdraw_change_requests(
                    client=client,
                    user=membership.user,
                    note=_("Withdrawn: the requester is no longer an administrator."),
                )
        else:
            _check_ends_on(access)
            _check_administrator_end_date(client=client, access=access, membership=None)
            _invite(client=client, contact=contact, actor=actor, email=contact.email, access=access)
            access_changes = _access_changes(None, access)
        _record(client=client, actor=actor, subject=Subject.ACCESS, via=via, changes=access_changes, contact=contact)
    if changes or access_changes:
        _tell_the_firm(
            client=client,
            actor=actor,
            via=via,
            title=gettext_noop("%(who)s changed contact person %(name)s of %(client)s"),
            contact=contact,
        )
    return contact


def _end_sessions_if_left_without_access(user) -> None:
    from balie.accounts.services import user_end_sessions

    if Membership.objects.active().filter(user=user).exists() or is_firm_staff(user):
        return
    user_end_sessions(user=user)  # nothing left to see: signed out everywhere at once


def _remove_access(*, client, contact, actor, via, check_last_admin: bool = True) -> bool:
    membership = Membership.objects.select_for_update().select_related("user").filter(pk=contact.membership_id).first()
    revoked = _pending(contact.invitations.all()).update(revoked_at=timezone.now())
    if membership is None and not revoked:
        return False
    if membership is not None:
        if check_last_admin:
            _keeps_an_administrator(client=client, membership=membership, access=None, contact=contact)
        user = membership.user
        membership.delete()  # the contact person stays (SET_NULL), without access
        contact.membership = None
        _withdraw_change_requests(client=client, user=user, note=_access_ended_note())
        _end_sessions_if_left_without_access(user)
    _record(client=client, actor=actor, subject=Subject.ACCESS, via=via, changes=[["access", "1", ""]], contact=contact)
    return True


@transaction.atomic
def contact_access_remove(*, contact: ContactPerson, actor, via: str) -> bool:
    """Ends a contact person's portal access: their membership goes and a pending invitation is
    revoked; the contact person stays. The person loses the environment on their next request, and
    is signed out everywhere when no environment (and no firm) is left, and their pending change
    request is withdrawn. Not the last Beheerder without an end date while anyone else has access.
    Returns False when there was no access to remove."""
    client = _lock(contact.client)
    contact = ContactPerson.objects.select_for_update().get(pk=contact.pk, client=client)
    removed = _remove_access(client=client, contact=contact, actor=actor, via=via)
    if removed:
        _tell_the_firm(
            client=client,
            actor=actor,
            via=via,
            title=gettext_noop("%(who)s removed the portal access of %(name)s at %(client)s"),
            contact=contact,
        )
    return removed


@transaction.atomic
def contact_delete(*, contact: ContactPerson, actor, via: str) -> None:
    """Removes a contact person, with their access as ``contact_access_remove`` does."""
    client = _lock(contact.client)
    contact = ContactPerson.objects.select_for_update().get(pk=contact.pk, client=client)
    _remove_access(client=client, contact=contact, actor=actor, via=via)
    _record(
        client=client,
        actor=actor,
        subject=Subject.CONTACT,
        via=via,
        changes=diff(_details(contact), dict.fromkeys(CONTACT_FIELDS, "")),
        contact=contact,
    )
    _tell_the_firm(
        client=client,
        actor=actor,
        via=via,
        title=gettext_noop("%(who)s removed contact person %(name)s from %(client)s"),
        contact=contact,
    )
    contact.delete()


def contact_invitation_resend(*, contact: ContactPerson, actor=None) -> Invitation:
    """Sends the contact person's pending invitation again (a fresh link)."""
    from balie.accounts.services import invitation_resend

    invitation = pending_invitation_of(contact)
    if invitation is None:
        raise ValidationError(_("This contact person has no pending invitation."), code="no_invitation")
    return invitation_resend(invitation=invitation, actor=actor)


@transaction.atomic
def pending_invitation_revoke(*, invitation: Invitation, actor, via: str) -> bool:
    """Revokes a pending invitation of the environment, also one not made for a contact person
    (older invitations): its link stops working. Returns False when it was no longer pending."""
    client = _lock(invitation.client)
    if not _pending(Invitation.objects.filter(pk=invitation.pk, client=client)).update(revoked_at=timezone.now()):
        return False
    contact = invitation.contact
    name = contact.full_name if contact else f"{invitation.first_name} {invitation.last_name}".strip()
    change_log_record(
        client=client,
        actor=actor,
        subject=Subject.ACCESS,
        via=via,
        changes=[["access", "1", ""]],
        subject_label=name or invitation.email,
    )
    _tell_the_firm(
        client=client,
        actor=actor,
        via=via,
        title=gettext_noop("%(who)s withdrew the invitation of %(name)s to %(client)s"),
        name=name or invitation.email,
    )
    return True


def memberships_end_expired(*, today: date | None = None) -> int:
    """Ends access whose last day has passed (BEY-4): the membership goes, the history says the end
    date was reached, their pending change request is withdrawn, and people left without any
    environment are signed out. Pending invitations whose end date has passed are revoked. Returns
    how many memberships ended."""
    today = today or timezone.localdate()
    ended = 0
    expired = Membership.objects.filter(ends_on__lt=today).values_list("pk", "client_id")
    for membership_pk, client_pk in list(expired):
        with transaction.atomic():
            client = Client.objects.select_for_update().get(pk=client_pk)
            membership = (
                Membership.objects.select_for_update()
                .select_related("user")
                .filter(pk=membership_pk, ends_on__lt=today)
                .first()
            )
            if membership is None:
                continue  # extended or removed meanwhile
            contact = ContactPerson.objects.filter(membership=membership).first()
            user = membership.user
            membership.delete()
            _withdraw_change_requests(client=client, user=user, note=_access_ended_note())
            change_log_record(
                client=client,
                actor=None,
                subject=Subject.ACCESS,
                via=Via.EXPIRY,
                changes=[["access", "1", ""]],
                subject_label=contact.full_name if contact else user.get_full_name() or user.email,
            )
            _end_sessions_if_left_without_access(user)
            ended += 1
    stale = _pending(Invitation.objects.filter(ends_on__lt=today)).select_related("contact", "client")
    for invitation in stale:
        with transaction.atomic():
            if not _pending(Invitation.objects.select_for_update().filter(pk=invitation.pk)).update(
                revoked_at=timezone.now()
            ):
                continue
            change_log_record(
                client=invitation.client,
                actor=None,
                subject=Subject.ACCESS,
                via=Via.EXPIRY,
                changes=[["access", "1", ""]],
                subject_label=invitation.contact.full_name if invitation.contact else invitation.email,
            )
    return ended


# -- Telling the firm -------------------------------------------------------------------------------


def _tell_the_firm(
    *, client: Client, actor, via: str, title: str, contact: ContactPerson | None = None, name: str = ""
) -> None:
    """A change made by the client reaches the relationship managers (else the firm's administrators)."""
    if via != Via.DIRECT or actor is None:
        return
    from balie.notifications.models import EventKind
    from balie.notifications.services import notify

    managers = [staff.user for staff in client.relationship_managers.select_related("user")]
    if not managers:
        managers = [staff.user for staff in client.firm.staff.filter(role="admin").select_related("user")]
    who = actor.get_full_name() or actor.email
    notify(
        users=[user for user in managers if user.pk != actor.pk],
        client=client,
        kind=EventKind.DETAILS,
        title=title,
        params={"who": who, "name": contact.full_name if contact else name, "client": client.name},
        link=reverse("clients:staff_detail", args=[client.public_id]) + "#contacts",
    )
