"""Writes for clients (environments) and memberships."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from balie.accounts.models import Invitation
from balie.accounts.services import already_invited_error, invitation_issue
from balie.audit.services import record
from balie.clients.models import Client, ContactPerson, Membership
from balie.firms.models import Firm, StaffMember


def personal_member_error() -> ValidationError:
    return ValidationError(
        _("A personal environment has exactly one member; this one already has a member or an invitation."),
        code="personal_has_member",
    )


CLIENT_FIELDS = (
    "kind",
    "name",
    "number",
    "kvk_number",
    "legal_form",
    "parent",
    "street",
    "postal_code",
    "city",
    "email",
    "phone",
    "change_policy",
)


def _check_links(*, firm: Firm, parent: Client | None, managers: list[StaffMember], client: Client | None) -> None:
    if parent is not None and (
        parent.firm_id != firm.pk
        or parent.kind != Client.Kind.HOLDING
        or (client is not None and parent.pk == client.pk)
    ):
        raise ValidationError(_("Choose a holding of this firm."), code="bad_parent")
    if any(m.firm_id != firm.pk for m in managers):
        raise ValidationError(_("Relationship managers must work for this firm."), code="bad_manager")


@transaction.atomic
def client_create(*, firm: Firm, actor, relationship_managers: Iterable[StaffMember] = (), **fields) -> Client:
    """Creates an environment in ``firm``. A holding parent must be a holding of the same firm.

    ``fields`` are the client's own fields (``CLIENT_FIELDS``); ``kind`` and ``name`` are required.
    """
    managers = list(relationship_managers)
    _check_links(firm=firm, parent=fields.get("parent"), managers=managers, client=None)
    client = Client(firm=firm, **{k: v for k, v in fields.items() if k in CLIENT_FIELDS})
    client.name = client.name.strip()
    client.full_clean()
    client.save()
    client.relationship_managers.set(managers)
    record(
        "client.created",
        firm=firm,
        actor=actor,
        environment=client,
        obj=client,
        details={"name": client.name, "kind": client.kind},
    )
    return client


@transaction.atomic
def client_update(*, client: Client, actor, relationship_managers: Iterable[StaffMember], **fields) -> Client:
    """Changes an environment's data and relationship managers, and records the change of its
    data in the environment's history (via the firm).

    Refuses to turn an environment with several members into a personal one.
    """
    from balie.clients.history import change_log_record, diff
    from balie.clients.models import ChangeLogEntry

    client = Client.objects.select_for_update().get(pk=client.pk)
    before = _history_values(client)
    managers = list(relationship_managers)
    _check_links(firm=client.firm, parent=fields.get("parent"), managers=managers, client=client)
    for name, value in fields.items():
        if name in CLIENT_FIELDS:
            setattr(client, name, value)
    pending = client.invitations.filter(accepted_at=None, revoked_at=None).count()
    if client.is_personal and client.memberships.count() + pending > 1:
        raise ValidationError(
            _("This environment has several members or invitations, so it cannot be a personal environment."),
            code="personal_has_members",
        )
    client.full_clean()
    client.save()
    client.relationship_managers.set(managers)
    client.memberships.update(is_personal=client.is_personal)
    if client.is_personal:
        client.memberships.update(role=Membership.Role.ADMIN)  # the one member manages it
    change_log_record(
        client=client,
        actor=actor,
        subject=ChangeLogEntry.Subject.ORGANISATION,
        via=ChangeLogEntry.Via.FIRM,
        changes=diff(before, _history_values(client)),
    )
    return client


def _history_values(client: Client) -> dict:
    """The environment's own fields as the history shows them: the holding by its name."""
    values = {name: getattr(client, name) for name in CLIENT_FIELDS if name != "parent"}
    values["parent"] = client.parent.name if client.parent else ""
    return values


@transaction.atomic
def membership_create(
    *,
    client: Client,
    user,
    role: str = Membership.Role.EMPLOYEE,
    is_director: bool = False,
    may_handle_documents: bool = False,
    ends_on=None,
    contact: ContactPerson | None = None,
    actor=None,
) -> Membership:
    """Gives ``user`` access to ``client``. Refuses a duplicate, and a second member of a personal environment.

    The member is a contact person of the environment: ``contact`` when given (an invitation made
    for a contact person), else a contact person without access who has the user's e-mail
    address, else a new one from the user's name. The client row is locked, so a concurrent change
    of its kind or a concurrent second member waits. ``actor``: who gave it (None: the system).
    """
    client = Client.objects.select_for_update().get(pk=client.pk)
    if Membership.objects.filter(client=client, user=user).exists():
        raise ValidationError(_("%(email)s already has access to this environment.") % {"email": user.email})
    if client.is_personal and client.memberships.exists():
        raise personal_member_error()
    if client.is_personal:
        role = Membership.Role.ADMIN  # the one member of a personal environment manages it
    membership = Membership(
        client=client,
        user=user,
        role=role,
        is_director=is_director,
        may_handle_documents=may_handle_documents,
        ends_on=ends_on,
    )
    try:
        with transaction.atomic():
            membership.save()
    except IntegrityError:
        # Lost a race with a concurrent invitation acceptance: the constraint decided.
        if client.is_personal:
            raise personal_member_error() from None
        raise ValidationError(_("%(email)s already has access to this environment.") % {"email": user.email}) from None
    link_contact(membership=membership, contact=contact)
    record(
        "membership.created",
        firm=client.firm,
        actor=actor,
        environment=client,
        obj=membership.user,
        details={"email": user.email, "role": role, "is_director": is_director},
    )
    return membership


@transaction.atomic
def invitation_create(
    *,
    client: Client,
    actor,
    email: str,
    first_name: str = "",
    last_name: str = "",
    role: str = Membership.Role.EMPLOYEE,
    is_director: bool = False,
    may_handle_documents: bool = False,
    contact=None,
    ends_on=None,
) -> Invitation:
    """Invites a person into ``client`` (ACC-1) with a single-use link, valid BALIE_INVITATION_HOURS.

    A person without an account sets a password through the link; a person who has one signs in
    and accepts. Either way nobody gets access without following the link, and the firm learns
    nothing about accounts elsewhere. ``contact`` (a contact person of ``client``) gets the access
    on acceptance (ORG-4); ``ends_on`` is the last day of that access (BEY-4).
    """
    if contact is not None and contact.client_id != client.pk:
        raise ValueError("The contact person belongs to another environment.")
    email = get_user_model().objects.normalize_email(email).strip().lower()
    client = Client.objects.select_for_update().get(pk=client.pk)
    if Membership.objects.filter(client=client, user__email__iexact=email).exists():
        raise ValidationError(
            _("%(email)s already has access to this environment.") % {"email": email}, code="already_member"
        )
    if Invitation.objects.filter(client=client, email__iexact=email, accepted_at=None, revoked_at=None).exists():
        raise already_invited_error(email)
    if client.is_personal and (
        client.memberships.exists()
        or Invitation.objects.filter(client=client, accepted_at=None, revoked_at=None).exists()
    ):
        raise personal_member_error()
    return invitation_issue(
        client=client,
        actor=actor,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
        is_director=is_director,
        may_handle_documents=may_handle_documents,
        contact=contact,
        ends_on=ends_on,
    )


def membership_from_invitation(*, invitation: Invitation, user) -> Membership | None:
    """The access an accepted invitation gives ``user`` (none new when they have it already)."""
    if Membership.objects.filter(client=invitation.client, user=user).exists():
        return None
    return membership_create(
        client=invitation.client,
        user=user,
        role=invitation.role,
        is_director=invitation.is_director,
        may_handle_documents=invitation.may_handle_documents,
        ends_on=invitation.ends_on,
        contact=invitation.contact,
        actor=user,
    )


def link_contact(*, membership: Membership, contact: ContactPerson | None) -> ContactPerson:
    client, user = membership.client, membership.user
    free = ContactPerson.objects.select_for_update().filter(client=client, membership__isnull=True)
    if contact is not None:
        contact = free.filter(pk=contact.pk).first()
    if contact is None and user.email:
        contact = free.filter(email__iexact=user.email).order_by("pk").first()
    if contact is None:
        contact = ContactPerson(
            client=client,
            salutation=ContactPerson.Salutation.NEUTRAL,
            first_name=user.first_name or user.email.split("@")[0],
            last_name=user.last_name or "-",
            email=user.email,
        )
    # The person's mobile number is theirs (it may be their SMS second factor): the contact list,
    # which every member sees, gets a phone number only when someone enters one.
    contact.membership = membership
    if not contact.email:
        contact.email = user.email
    contact.save()
    return contact


@transaction.atomic
def app_tile_create(*, client, name: str, url: str, description: str = "", icon: str = "cloud", actor=None):
    """Adds a tile to an online service on the environment's start page (APP-1); https only."""
    from balie.clients.models import AppTile

    if not url.lower().startswith("https://"):
        raise ValidationError(_("Use a secure address that starts with https://."), code="insecure")
    position = AppTile.objects.filter(client=client).count()
    tile = AppTile.objects.create(
        client=client, name=name.strip(), url=url.strip(), description=description.strip(), icon=icon, position=position
    )
    record(
        "app_tile.created",
        firm=client.firm,
        actor=actor,
        environment=client,
        details={"name": tile.name, "url": tile.url},
    )
    return tile


@transaction.atomic
def app_tile_delete(*, tile, actor=None) -> None:
    client = tile.client
    tile.delete()
    record(
        "app_tile.deleted",
        firm=client.firm,
        actor=actor,
        environment=client,
        details={"name": tile.name, "url": tile.url},
    )


def contact_emails_follow_login(*, user, old: str, new: str) -> int:
    """After ``user`` confirmed a new sign-in address: their contact persons that showed the old
    address show the new one (contact persons with another address keep it). Returns how many."""
    return ContactPerson.objects.filter(membership__user=user, email__iexact=old).update(email=new)
