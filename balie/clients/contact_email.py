"""A contact person's portal e-mail address, changed by a Beheerder of the environment or by the
firm: through the same confirmation as one's own change (``accounts.services.email_change_request``).

The new address gets the link; nothing changes until the person opens it, signed in (with the old
address); the old address is told at once, and both are told when it is done. The request is
recorded in the environment's history.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from balie.clients.contacts import normalise_email
from balie.clients.history import change_log_record
from balie.clients.models import ChangeLogEntry, Client, ContactPerson, Membership


def login_of(contact: ContactPerson) -> Membership | None:
    """The membership whose sign-in address can be changed here: portal access with an account."""
    membership = contact.membership if contact.membership_id else None
    if membership is None or not membership.user.is_active:
        return None
    return membership


def email_change_object_key(*, client: Client, contact: ContactPerson, email: str) -> str:
    """What the step-up confirmation is bound to: the environment, the contact person, the account
    and the new address."""
    membership = login_of(contact)
    user = membership.user.public_id if membership else "-"
    return f"client:{client.public_id}:contact:{contact.public_id}:login:{user}:email:{normalise_email(email)}"


@transaction.atomic
def contact_login_email_change_request(*, contact: ContactPerson, actor, via: str, email: str) -> str:
    """Sends the confirmation of a new sign-in address for ``contact`` to that address; returns it.

    Refused for a contact person without portal access, and for an address in use by someone else.
    """
    from balie.accounts.services import email_change_request

    membership = login_of(contact)
    if membership is None:
        raise ValidationError(_("This contact person has no portal access to change."), code="no_login")
    email = normalise_email(email)
    email_change_request(user=membership.user, email=email, requested_by=actor)
    change_log_record(
        client=contact.client,
        actor=actor,
        subject=ChangeLogEntry.Subject.ACCESS,
        via=via,
        changes=[["login_email", membership.user.email, email]],
        subject_label=contact.full_name,
    )
    return email
