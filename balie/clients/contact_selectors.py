"""Contact persons and their portal access (ORG-4, ORG-5, BEY-4): the reads.

The lists and single lookups the contact pages use (404 for anything outside the already
access-checked environment), and what a list shows of someone's access. The writes are in
``balie.clients.contacts``, which also re-exports these names.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from balie.accounts.models import Invitation
from balie.clients.models import Client, ContactPerson, Membership
from balie.clients.services import personal_member_error


def _pending(queryset):
    return queryset.filter(accepted_at=None, revoked_at=None)


def contact_list_for_client(*, client: Client) -> QuerySet[ContactPerson]:
    """The environment's contact persons with their membership and user, and their pending
    invitation in ``pending_invitations``: a constant number of queries per page."""
    pending = _pending(Invitation.objects.all()).order_by("-created_at")
    return (
        ContactPerson.objects.filter(client=client)
        .select_related("membership__user")
        .prefetch_related(Prefetch("invitations", queryset=pending, to_attr="pending_invitations"))
        .order_by("last_name", "first_name", "pk")
    )


def invitations_without_contact(*, client: Client) -> QuerySet[Invitation]:
    """Pending invitations not made for a contact person (accepting adds one)."""
    return _pending(Invitation.objects.filter(client=client, contact__isnull=True)).order_by("-created_at")


def get_pending_invitation(*, client: Client, invitation_public_id: uuid.UUID | str) -> Invitation:
    """A pending invitation of this (already access-checked) environment, or 404."""
    try:
        return _pending(Invitation.objects.select_related("contact")).get(client=client, public_id=invitation_public_id)
    except (Invitation.DoesNotExist, ValueError, ValidationError):
        raise Http404 from None


def get_contact_for_client(*, client: Client, contact_public_id: uuid.UUID | str) -> ContactPerson:
    """A contact person of this (already access-checked) environment, or 404."""
    try:
        return ContactPerson.objects.select_related("membership__user", "client__firm").get(
            client=client, public_id=contact_public_id
        )
    except (ContactPerson.DoesNotExist, ValueError, ValidationError):
        raise Http404 from None


def pending_invitation_of(contact: ContactPerson) -> Invitation | None:
    """The contact person's pending invitation (prefetched in lists), if any."""
    if hasattr(contact, "pending_invitations"):
        return contact.pending_invitations[0] if contact.pending_invitations else None
    return _pending(contact.invitations.all()).order_by("-created_at").first()


def membership_of(contact: ContactPerson) -> Membership | None:
    return contact.membership if contact.membership_id else None


def removal_needs_confirmation(*, contact: ContactPerson, actor) -> bool:
    """Whether removing the contact person's access (or them) needs a step-up, as a role change
    does: they are a Beheerder, and not the actor themselves. Removing a Medewerker(+), an
    invitation or a contact person without access does not."""
    membership = membership_of(contact)
    return membership is not None and membership.role == Membership.Role.ADMIN and membership.user_id != actor.pk


@dataclass(frozen=True)
class ContactAccess:
    """What a list shows of a contact person's portal access."""

    contact: ContactPerson
    state: str  # "member", "invited" or "none"
    role: str = ""
    role_label: str = ""
    is_director: bool = False
    may_handle_documents: bool = False
    ends_on: date | None = None
    invitation: Invitation | None = None

    @property
    def has_access(self) -> bool:
        return self.state != "none"

    @property
    def ended(self) -> bool:
        """The last day has passed; the hourly job removes the membership soon (BEY-4)."""
        return self.ends_on is not None and self.ends_on < timezone.localdate()


def describe_access(contact: ContactPerson) -> ContactAccess:
    """The contact person's access: their membership, else their pending invitation, else none."""
    invitation = None
    holder: Membership | Invitation | None = membership_of(contact)
    state = "member"
    if holder is None:
        holder = invitation = pending_invitation_of(contact)
        state = "invited"
    if holder is None:
        return ContactAccess(contact=contact, state="none")
    return ContactAccess(
        contact=contact,
        state=state,
        role=holder.role,
        role_label=str(dict(Membership.Role.choices).get(holder.role, holder.role)),
        is_director=holder.is_director,
        may_handle_documents=holder.may_handle_documents,
        ends_on=holder.ends_on,
        invitation=invitation,
    )


def contact_add_refusal(*, client: Client) -> str | None:
    """Why no contact person can be added here, or None: a personal environment is one person's."""
    if not client.is_personal:
        return None
    if client.memberships.exists() or _pending(client.invitations.all()).exists():
        return personal_member_error().messages[0]
    if client.contacts.exists():
        return _("A personal environment is for one person only: it already has its contact person.")
    return None


def is_firm_staff(user) -> bool:
    from balie.firms.models import StaffMember

    return StaffMember.objects.filter(user=user).exists()
