"""A contact person's portal e-mail address, changed by a Beheerder of the environment or by the
firm: through the same confirmation as one's own change (``accounts.services.email_change_request``).

The new address gets the link; nothing changes until the person opens it, signed in (with the old
address), sees who asked and confirms with their own sign-in factors; the old address is told at
once, with a link to cancel, and both are told when it is done. The request is recorded in the
environment's history.

Only for an account that is nothing more than a member of this firm's environments: an account of
firm staff, or one with access to an environment of another firm, is changed by its owner alone
(another firm's Beheerder or staff would otherwise decide over access they have no part in).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from balie.clients.contacts import normalise_email
from balie.clients.history import change_log_record
from balie.clients.models import ChangeLogEntry, Client, ContactPerson, Membership


def login_of(contact: ContactPerson) -> Membership | None:
    """The membership whose sign-in address can be changed here: portal access that has not ended,
    with an account that is active."""
    membership = contact.membership
    if membership is None:
        return None
    if not membership.user.is_active or not Membership.objects.active().filter(pk=membership.pk).exists():
        return None
    return membership


def delegated_refusal(membership: Membership) -> str | None:
    """Why nobody but the owner may change this account's sign-in address, or None: the account
    belongs to firm staff, or has access to an environment of another firm."""
    from balie.firms.models import StaffMember

    user = membership.user
    elsewhere = (
        Membership.objects.active().filter(user=user).exclude(client__firm_id=membership.client.firm_id).exists()
    )
    if elsewhere or StaffMember.objects.filter(user=user).exists():
        return _(
            "The sign-in address of this account can only be changed by its owner, under My details:"
            " it is used elsewhere too. Ask the person to change it themselves."
        )
    return None


def delegated_change_refusal(change) -> str | None:
    """Why a pending change of someone's sign-in address asked for by someone else
    (``accounts.EmailChangeRequest``) can no longer be confirmed, or None. Checked again when the
    person confirms: the requester must still manage the environment's contact persons (its
    Beheerder with access that has not ended, or active staff of the firm owning it), and the
    account must still be changeable from there (``login_of``, ``delegated_refusal``)."""
    from balie.clients.roles import Action, can
    from balie.firms.models import StaffMember

    refused = _(
        "This change can no longer be made: the situation changed since it was asked for."
        " If you still want a new sign-in address, change it yourself under My details."
    )
    client = Client.objects.filter(public_id=change.client_public_id).first() if change.client_public_id else None
    requester = change.requested_by
    if client is None or requester is None or not requester.is_active:
        return refused
    manages = (
        any(
            can(membership, Action.MANAGE_CONTACTS)
            for membership in Membership.objects.active().filter(user=requester, client=client)
        )
        or StaffMember.objects.filter(user=requester, firm_id=client.firm_id).exists()
    )
    if not manages:
        return refused
    contact = ContactPerson.objects.filter(client=client, membership__user_id=change.user_id).first()
    membership = login_of(contact) if contact is not None else None
    if membership is None or delegated_refusal(membership):
        return refused
    return None


def email_changes_end_requested_by(*, client: Client, user) -> int:
    """Ends the pending sign-in address changes ``user`` asked for others in ``client``: their
    access there ended, or they are no longer its Beheerder."""
    from balie.accounts.models import EmailChangeRequest

    return EmailChangeRequest.objects.filter(
        requested_by=user,
        client_public_id=client.public_id,
        delegated=True,
        confirmed_at__isnull=True,
        cancelled_at__isnull=True,
    ).update(cancelled_at=timezone.now())


def email_change_object_key(*, client: Client, contact: ContactPerson, email: str) -> str:
    """What the step-up confirmation is bound to: the environment, the contact person, the account
    and the new address."""
    membership = login_of(contact)
    user = membership.user.public_id if membership else "-"
    return f"client:{client.public_id}:contact:{contact.public_id}:login:{user}:email:{normalise_email(email)}"


@transaction.atomic
def contact_login_email_change_request(*, contact: ContactPerson, actor, via: str, email: str) -> str:
    """Sends the confirmation of a new sign-in address for ``contact`` to that address; returns it.

    Refused for a contact person without portal access, for one's own account and for an account
    used elsewhere (``delegated_refusal``). An address in use by someone else is answered the same
    as a free one, and nothing is sent to it (see ``email_change_request``).
    """
    from balie.accounts.services import email_change_request

    membership = login_of(contact)
    if membership is None:
        raise ValidationError(_("This contact person has no portal access to change."), code="no_login")
    if membership.user_id == actor.pk:
        raise ValidationError(_("Change your own sign-in address under My details."), code="own")
    refusal = delegated_refusal(membership)
    if refusal:
        raise ValidationError(refusal, code="elsewhere")
    email = normalise_email(email)
    client = contact.client
    email_change_request(
        user=membership.user,
        email=email,
        requested_by=actor,
        client=client,
        environment_name=client.name if via == ChangeLogEntry.Via.DIRECT else "",
        firm_name=client.firm.name,
    )
    change_log_record(
        client=contact.client,
        actor=actor,
        subject=ChangeLogEntry.Subject.ACCESS,
        via=via,
        changes=[["login_email", membership.user.email, email]],
        subject_label=contact.full_name,
    )
    return email
