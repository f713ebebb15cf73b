"""Writes for accounts: invitations, sessions, deactivation."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from balie.accounts.models import Invitation, UserSession
from balie.clients.models import Client, Membership
from balie.clients.services import membership_create, personal_member_error
from balie.notifications.email import absolute_url, send_templated_email

User = get_user_model()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, _hash(token)


@dataclass(frozen=True)
class InviteResult:
    invitation: Invitation | None = None
    membership: Membership | None = None


def _send_invitation(invitation: Invitation, token: str) -> None:
    send_templated_email(
        to=invitation.email,
        template="invitation",
        language=settings.LANGUAGE_CODE,
        firm=invitation.client.firm,
        context={
            "invitation": invitation,
            "client": invitation.client,
            "link": absolute_url(reverse("accounts:invitation_accept", args=[token])),
            "hours": settings.BALIE_INVITATION_HOURS,
        },
    )


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
) -> InviteResult:
    """Invites a person into ``client`` (ACC-1).

    A person who already has an active account gets access at once and an e-mail saying so;
    anyone else gets a single-use link to set a password.
    """
    email = User.objects.normalize_email(email).strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is not None and Membership.objects.filter(client=client, user=user).exists():
        raise ValidationError(_("%(email)s already has access to this environment.") % {"email": email})
    if Invitation.objects.filter(client=client, email__iexact=email, accepted_at=None, revoked_at=None).exists():
        raise ValidationError(
            _("%(email)s has already been invited to this environment; you can send the invitation again.")
            % {"email": email}
        )
    if client.is_personal and (
        client.memberships.exists()
        or Invitation.objects.filter(client=client, accepted_at=None, revoked_at=None).exists()
    ):
        raise personal_member_error()

    if user is not None and user.is_active and user.has_usable_password():
        membership = membership_create(
            client=client, user=user, role=role, is_director=is_director, may_handle_documents=may_handle_documents
        )
        send_templated_email(
            to=user.email,
            template="access_granted",
            language=user.language,
            firm=client.firm,
            context={
                "user": user,
                "client": client,
                "link": absolute_url(reverse("home:client", args=[client.public_id])),
            },
        )
        return InviteResult(membership=membership)

    token, token_hash = _new_token()
    now = timezone.now()
    invitation = Invitation(
        client=client,
        email=email,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        role=role,
        is_director=is_director,
        may_handle_documents=may_handle_documents,
        invited_by=actor,
        token_hash=token_hash,
        sent_at=now,
        expires_at=now + timedelta(hours=settings.BALIE_INVITATION_HOURS),
    )
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError:
        raise ValidationError(
            _("%(email)s has already been invited to this environment; you can send the invitation again.")
            % {"email": email}
        ) from None
    _send_invitation(invitation, token)
    return InviteResult(invitation=invitation)


@transaction.atomic
def invitation_resend(*, invitation: Invitation) -> Invitation:
    """Sends a pending invitation again with a fresh link; the old link stops working."""
    invitation = Invitation.objects.select_for_update().select_related("client__firm").get(pk=invitation.pk)
    if not invitation.is_pending:
        raise ValidationError(_("This invitation has already been used."), code="used")
    token, invitation.token_hash = _new_token()
    invitation.sent_at = timezone.now()
    invitation.expires_at = invitation.sent_at + timedelta(hours=settings.BALIE_INVITATION_HOURS)
    invitation.save(update_fields=["token_hash", "sent_at", "expires_at"])
    _send_invitation(invitation, token)
    return invitation


def invitation_for_token(*, token: str) -> Invitation | None:
    return Invitation.objects.select_related("client__firm").filter(token_hash=_hash(token)).first()


@transaction.atomic
def invitation_accept(*, token: str, password: str, first_name: str = "", last_name: str = ""):
    """Accepts an invitation: the account gets its password and every pending invitation of the
    same address becomes a membership. Single-use: a second call with the same token fails.
    """
    invitation = (
        Invitation.objects.select_for_update().select_related("client__firm").filter(token_hash=_hash(token)).first()
    )
    if invitation is None or not invitation.is_pending:
        raise ValidationError(_("This invitation link has already been used."), code="used")
    if invitation.is_expired:
        raise ValidationError(_("This invitation link has expired."), code="expired")

    user = User.objects.filter(email__iexact=invitation.email).first()
    if user is not None and (not user.is_active or user.has_usable_password()):
        raise ValidationError(_("This invitation link has already been used."), code="used")
    if user is None:
        user = User(email=invitation.email)
    user.first_name = first_name.strip() or invitation.first_name or user.first_name
    user.last_name = last_name.strip() or invitation.last_name or user.last_name
    validate_password(password, user)
    user.set_password(password)
    user.save()
    _mark_email_verified(user)

    now = timezone.now()
    pending = (
        Invitation.objects.select_for_update()
        .select_related("client")
        .filter(email__iexact=invitation.email, accepted_at=None, revoked_at=None, expires_at__gt=now)
    )
    for item in pending:
        if item.pk != invitation.pk and Membership.objects.filter(client=item.client, user=user).exists():
            item.accepted_at = now
            item.save(update_fields=["accepted_at"])
            continue
        try:
            membership_create(
                client=item.client,
                user=user,
                role=item.role,
                is_director=item.is_director,
                may_handle_documents=item.may_handle_documents,
            )
        except ValidationError:
            if item.pk == invitation.pk:
                raise
            continue
        item.accepted_at = now
        item.save(update_fields=["accepted_at"])
    send_templated_email(
        to=user.email,
        template="account_activated",
        language=user.language,
        firm=invitation.client.firm,
        context={"user": user, "link": absolute_url(reverse("account_login"))},
    )
    return user, invitation


def invitation_request_new_link(*, email: str) -> None:
    """Sends a fresh link for a pending invitation, or a sign-in hint to an existing account.

    Says nothing to the caller either way, so the answer never reveals whether an address is known.
    """
    email = email.strip().lower()
    invitation = (
        Invitation.objects.select_related("client__firm")
        .filter(email__iexact=email, accepted_at=None, revoked_at=None)
        .order_by("-created_at")
        .first()
    )
    with transaction.atomic():
        if invitation is not None:
            invitation_resend(invitation=invitation)
            return
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        if user is not None and user.has_usable_password():
            send_templated_email(
                to=user.email,
                template="already_active",
                language=user.language,
                context={
                    "user": user,
                    "login": absolute_url(reverse("account_login")),
                    "reset": absolute_url(reverse("account_reset_password")),
                },
            )


def _mark_email_verified(user) -> None:
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})


def _session_store() -> type[SessionBase]:
    return import_string(f"{settings.SESSION_ENGINE}.SessionStore")


def session_register(*, user, session_key: str, ip_address: str | None, user_agent: str) -> None:
    UserSession.objects.update_or_create(
        session_key=session_key,
        defaults={"user": user, "ip_address": ip_address, "user_agent": user_agent[:300]},
    )


def user_end_sessions(*, user, keep_session_key: str | None = None) -> int:
    """Ends every session of ``user`` except ``keep_session_key``; returns how many ended."""
    store = _session_store()
    rows = UserSession.objects.filter(user=user)
    if keep_session_key:
        rows = rows.exclude(session_key=keep_session_key)
    keys = list(rows.values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    rows.delete()
    return len(keys)


@transaction.atomic
def user_deactivate(*, user) -> None:
    """Disables an account; all its sessions end at once."""
    user.is_active = False
    user.save(update_fields=["is_active"])
    user_end_sessions(user=user)
