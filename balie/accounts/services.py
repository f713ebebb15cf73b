"""Writes for accounts: invitations, sessions, deactivation."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeGuard

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.backends.base import SessionBase
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.transaction import on_commit
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from balie.accounts.hooks import environments
from balie.accounts.jobs import warn_password_guessing
from balie.accounts.models import EmailChangeRequest, Invitation, UserSession
from balie.accounts.selectors import session_store_is_database, user_session_alive
from balie.audit.people import record_for_person
from balie.audit.services import record
from balie.core.links import absolute_url
from balie.notifications.email import send_templated_email

if TYPE_CHECKING:
    from balie.accounts.models import User as Account

User = get_user_model()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, _hash(token)


def _has_account(user: Account | None) -> TypeGuard[Account]:
    return user is not None and user.is_active and user.has_usable_password()


def _send_invitation(invitation: Invitation, token: str) -> None:
    user = User.objects.filter(email__iexact=invitation.email).first()
    existing = user if _has_account(user) else None
    send_templated_email(
        to=invitation.email,
        template="invitation_existing_account" if existing else "invitation",
        language=existing.language if existing else settings.LANGUAGE_CODE,
        firm=invitation.client.firm,
        context={
            "invitation": invitation,
            "client": invitation.client,
            "link": absolute_url(reverse("accounts:invitation_accept", args=[token])),
            "hours": settings.BALIE_INVITATION_HOURS,
        },
    )


def already_invited_error(email: str) -> ValidationError:
    return ValidationError(
        _("%(email)s has already been invited to this environment; you can send the invitation again.")
        % {"email": email},
        code="already_invited",
    )


def invitation_issue(
    *,
    client,
    actor,
    email: str,
    first_name: str = "",
    last_name: str = "",
    role: str,
    is_director: bool = False,
    may_handle_documents: bool = False,
    contact=None,
    ends_on=None,
) -> Invitation:
    """Creates the invitation of ``email`` (normalised by the caller) into ``client`` with a
    single-use link, valid BALIE_INVITATION_HOURS, and sends it. Inside the caller's transaction,
    once the caller checked that the person may be invited (``clients.services.invitation_create``)."""
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
        contact=contact,
        ends_on=ends_on,
        invited_by=actor,
        token_hash=token_hash,
        sent_at=now,
        expires_at=now + timedelta(hours=settings.BALIE_INVITATION_HOURS),
    )
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError:
        raise already_invited_error(email) from None
    _send_invitation(invitation, token)
    record(
        "invitation.sent",
        firm=client.firm,
        actor=actor,
        environment=client,
        obj=invitation,
        details={"email": email, "role": role},
    )
    return invitation


@transaction.atomic
def invitation_resend(*, invitation: Invitation, actor=None) -> Invitation:
    """Sends a pending invitation again with a fresh link and a fresh validity.

    The link sent before keeps working too if it had not expired (until either is used), so asking
    for a new link never takes away the one a person is about to click.
    """
    invitation = Invitation.objects.select_for_update().select_related("client__firm").get(pk=invitation.pk)
    if not invitation.is_pending:
        raise ValidationError(_("This invitation has already been used."), code="used")
    # An expired link is not revived by sending a new one.
    invitation.previous_token_hash = "" if invitation.is_expired else invitation.token_hash
    token, invitation.token_hash = _new_token()
    invitation.sent_at = timezone.now()
    invitation.expires_at = invitation.sent_at + timedelta(hours=settings.BALIE_INVITATION_HOURS)
    invitation.save(update_fields=["token_hash", "previous_token_hash", "sent_at", "expires_at"])
    _send_invitation(invitation, token)
    record("invitation.resent", firm=invitation.client.firm, actor=actor, environment=invitation.client, obj=invitation)
    return invitation


def _by_token(queryset, token: str):
    digest = _hash(token)
    return queryset.filter(Q(token_hash=digest) | Q(previous_token_hash=digest)).first()


def invitation_for_token(*, token: str) -> Invitation | None:
    return _by_token(Invitation.objects.select_related("client__firm"), token)


def invitation_is_for_existing_account(invitation: Invitation) -> bool:
    return _has_account(User.objects.filter(email__iexact=invitation.email).first())


def _lock_pending_for_token(token: str) -> tuple[Invitation, list[Invitation]]:
    """Locks every pending invitation of the token's address, always in the same order, so two
    acceptances for one address run one after the other instead of racing or deadlocking."""
    found = invitation_for_token(token=token)
    if found is None:
        raise ValidationError(_("This invitation link has already been used."), code="used")
    pending = list(
        Invitation.objects.select_for_update()
        .select_related("client__firm")
        .filter(email__iexact=found.email, accepted_at=None, revoked_at=None)
        .order_by("pk")
    )
    invitation = next((item for item in pending if item.pk == found.pk), None)
    if invitation is None:
        raise ValidationError(_("This invitation link has already been used."), code="used")
    if invitation.is_expired:
        raise ValidationError(_("This invitation link has expired."), code="expired")
    return invitation, pending


def _accept(invitation: Invitation, user, now) -> None:
    environments().grant(invitation=invitation, user=user)
    invitation.accepted_at = now
    invitation.save(update_fields=["accepted_at"])


@transaction.atomic
def invitation_accept(*, token: str, password: str, first_name: str = "", last_name: str = ""):
    """A new person accepts: the account gets its password, and every pending invitation of the
    same address becomes a membership. Single-use: a second call with the same token fails.
    """
    invitation, pending = _lock_pending_for_token(token)
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
    _accept(invitation, user, now)
    accepted = [invitation]
    for item in pending:
        if item.pk == invitation.pk or item.is_expired:
            continue
        try:
            with transaction.atomic():
                _accept(item, user, now)
        except ValidationError:
            continue  # e.g. a personal environment that got its member meanwhile; stays pending
        accepted.append(item)
    send_templated_email(
        to=user.email,
        template="account_activated",
        language=user.language,
        firm=invitation.client.firm,
        context={"user": user, "link": absolute_url(reverse("account_login"))},
    )
    for item in accepted:
        _record_accepted(item, user)
    return user, invitation


def _record_accepted(invitation: Invitation, user) -> None:
    client = invitation.client
    record("invitation.accepted", firm=client.firm, actor=user, environment=client, obj=invitation)


@transaction.atomic
def invitation_accept_for_user(*, token: str, user) -> Invitation:
    """A person with an account accepts one invitation while signed in as its address."""
    invitation, _pending = _lock_pending_for_token(token)
    if invitation.email.lower() != user.email.lower():
        raise ValidationError(_("This invitation is meant for another e-mail address."), code="other_user")
    _accept(invitation, user, timezone.now())
    _record_accepted(invitation, user)
    return invitation


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
        user = User.objects.filter(email__iexact=email).first()
        if _has_account(user):
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
    """Remembers that ``session_key`` belongs to ``user`` (at sign-in), and forgets the user's
    sessions that have ended meanwhile, so the table does not grow with every sign-in."""
    now = timezone.now()
    if session_store_is_database():  # other stores cannot tell which sessions have ended
        ended = UserSession.objects.filter(user=user).exclude(user_session_alive(now=now))
        ended.exclude(session_key=session_key).delete()
    UserSession.objects.update_or_create(
        session_key=session_key,
        defaults={"user": user, "ip_address": ip_address, "user_agent": user_agent[:300], "last_seen_at": now},
    )


def session_touch(*, session_key: str, at: datetime) -> None:
    """Records activity of a session: one UPDATE, called at most once per BALIE_SESSION_TOUCH_SECONDS."""
    UserSession.objects.filter(session_key=session_key).update(last_seen_at=at)


def _end(keys) -> None:
    store = _session_store()
    for key in keys:
        store(session_key=key).delete()  # from the database and, with cached_db, the cache


def user_end_sessions(*, user, keep_session_key: str | None = None) -> int:
    """Ends every session of ``user`` except ``keep_session_key``; returns how many ended."""
    rows = UserSession.objects.filter(user=user)
    if keep_session_key:
        rows = rows.exclude(session_key=keep_session_key)
    keys = list(rows.values_list("session_key", flat=True))
    _end(keys)
    rows.delete()
    return len(keys)


def user_session_end(*, user_session: UserSession) -> None:
    """Ends one session (ACC-6): its cookie no longer signs anyone in, whatever device holds it.

    The caller fetched ``user_session`` through ``get_session_for_user``, so it is the user's own.
    """
    _end([user_session.session_key])
    user_session.delete()
    person = user_session.user
    record_for_person(
        "auth.session_ended", person=person, actor=person, details={"device": user_session.user_agent[:120]}
    )


@transaction.atomic
def user_deactivate(*, user, actor=None) -> None:
    """Disables an account; all its sessions end at once, and so do the changes of other people's
    sign-in address it asked for. ``actor``: who did it (None: the system)."""
    user.is_active = False
    user.save(update_fields=["is_active"])
    EmailChangeRequest.objects.filter(
        requested_by=user, delegated=True, confirmed_at__isnull=True, cancelled_at__isnull=True
    ).update(cancelled_at=timezone.now())
    user_end_sessions(user=user)
    record_for_person("account.deactivated", person=user, actor=actor)


@transaction.atomic
def profile_update(*, form):
    """Saves the person's own details from the valid profile form (Mijn gegevens), old → new."""
    before = {name: form.initial.get(name) for name in form.changed_data}
    user = form.save()
    changes = {name: [_shown(old), _shown(getattr(user, name))] for name, old in before.items()}
    if changes:
        record_for_person("profile.changed", person=user, actor=user, details=changes)
    return user


def _shown(value) -> str:
    return "" if value is None else str(getattr(value, "public_id", value))


EMAIL_CHANGE_SALT = "balie.accounts.email-change"


def _email_taken(email: str, user) -> bool:
    from allauth.account.models import EmailAddress

    users = get_user_model().objects.filter(email__iexact=email).exclude(pk=user.pk)
    return users.exists() or EmailAddress.objects.filter(email__iexact=email).exclude(user=user).exists()


REQUESTER_NAME_MAX = 60  # the requester's name in the mails: a labelled field, never more


def email_change_request(
    *, user, email: str, requested_by=None, client=None, environment_name: str = "", firm_name: str = ""
) -> EmailChangeRequest:
    """Sends a confirmation link to the new address (valid one hour); the old address is told,
    with a link to cancel the request. A newer request ends the older ones of the same person;
    one asked for by someone else never ends one the person asked for themselves.

    The change happens only when the link is opened by the same person, signed in: the new
    mailbox is proven to be theirs. The caller confirmed the request with a second factor (and
    limits how often one may ask). ``requested_by``: someone else who asked for it, for the
    environment ``client`` (a Beheerder of it, ``environment_name``, or the firm ``firm_name``);
    both e-mails and the confirmation page then say who and where, and the person confirms with
    their own sign-in factors. At most BALIE_EMAIL_CHANGES_PER_PERSON_PER_HOUR such requests an
    hour per person.

    An address in use by another account gets the same answer as a free one (it must not tell
    whether an account uses it), and nothing at all goes to that address: neither the link nor a
    warning, so a request never makes Balie send mail to someone else's mailbox. The old address
    is told as always.
    """
    email = email.strip().lower()
    if email == user.email.lower():
        raise ValidationError(_("This is already the e-mail address to sign in with."), code="same")
    delegated = requested_by is not None and requested_by.pk != user.pk
    with transaction.atomic():
        # One request at a time per person: the older ones end before the new one exists.
        user = get_user_model().objects.select_for_update().get(pk=user.pk)
        now = timezone.now()
        if delegated:
            recent = EmailChangeRequest.objects.filter(
                user=user, delegated=True, created_at__gt=now - timedelta(hours=1)
            ).count()
            if recent >= settings.BALIE_EMAIL_CHANGES_PER_PERSON_PER_HOUR:
                raise ValidationError(
                    _("The sign-in address of this person was asked to change too often. Please try again in an hour."),
                    code="too_often",
                )
        taken = _email_taken(email, user)
        older = EmailChangeRequest.objects.filter(
            user=user, confirmed_at__isnull=True, cancelled_at__isnull=True, expires_at__gt=now
        )
        if delegated:
            older = older.filter(delegated=True)
        older.update(cancelled_at=now)
        change = EmailChangeRequest.objects.create(
            user=user,
            old_email=user.email,
            new_email=email,
            requested_by=requested_by if delegated else None,
            delegated=delegated,
            requester_name=(requested_by.get_full_name() or requested_by.email)[:REQUESTER_NAME_MAX]
            if delegated
            else "",
            client_public_id=client.public_id if delegated and client is not None else None,
            environment_name=environment_name if delegated else "",
            firm_name=firm_name if delegated else "",
            link_sent=not taken,
            created_at=now,
            expires_at=now + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT),
        )
        context = {
            "user": user,
            "new": email,
            "requested_by": change.requester_name,
            "environment_name": change.environment_name,
            "firm_name": change.firm_name,
        }
        if not taken:
            token = signing.dumps(
                {"r": str(change.public_id), "u": str(user.public_id), "old": user.email, "new": email},
                salt=EMAIL_CHANGE_SALT,
            )
            # Not the current address: the new one may be someone else's mailbox.
            send_templated_email(
                to=email,
                template="email_change_confirm",
                language=user.language,
                context={**context, "link": absolute_url(reverse("twostep:email_change_confirm", args=[token]))},
            )
        send_templated_email(
            to=user.email,
            template="email_change_requested",
            language=user.language,
            context={
                **context,
                "old": user.email,
                "link": absolute_url(reverse("account_login")),
                "cancel_link": absolute_url(reverse("twostep:email_change_cancel", args=[change.public_id])),
            },
        )
        record_for_person(
            "email.change_requested",
            person=user,
            actor=requested_by or user,
            obj=change,
            details={"email": [user.email, email]},
        )
    return change


def _invalid_link() -> ValidationError:
    return ValidationError(_("This link is not valid or has expired. Ask for the change again."), code="invalid")


def email_change_of_token(*, user, token: str) -> EmailChangeRequest:
    """The pending request the link names, for ``user`` only; ValidationError when the link is not
    valid (anyone else's, expired, cancelled, used, or the address changed meanwhile)."""
    try:
        data = signing.loads(token, salt=EMAIL_CHANGE_SALT, max_age=settings.PASSWORD_RESET_TIMEOUT)
    except signing.BadSignature:
        raise _invalid_link() from None
    if not isinstance(data, dict) or data.get("u") != str(user.public_id) or data.get("old") != user.email:
        raise _invalid_link()
    try:
        # A missing "r" looks up None, which finds nothing; the stubs only accept a value.
        change = EmailChangeRequest.objects.get(public_id=data.get("r"), user=user, new_email=data.get("new"))  # type: ignore[misc]
    except (EmailChangeRequest.DoesNotExist, ValidationError, ValueError):
        raise _invalid_link() from None
    if not change.is_pending or not change.link_sent or change.old_email != user.email:
        raise _invalid_link()
    return change


def email_change_confirm(
    *, user, token: str, keep_session_key: str | None = None, stepup_confirmed: bool = False
) -> str:
    """Applies a requested change of the sign-in address; returns the new address.

    The link works once, for one hour, for the person whose address it is, and not after the
    request was cancelled. A request made by someone else needs the person's own confirmation
    first (``stepup_confirmed``: the caller's step-up passed), and still has to be one that may be
    made: the requester still manages the environment's contact persons and the account may still
    be changed from there (``environments().change_refusal``). allauth's address
    table changes with it, so the old address no longer signs in nor receives password resets.
    Other sessions end; both addresses are told.
    """
    from allauth.account.models import EmailAddress

    change = email_change_of_token(user=user, token=token)
    if change.delegated:
        if not stepup_confirmed:
            raise ValidationError(_("Confirm the change with your own sign-in method."), code="stepup")
        refusal = environments().change_refusal(change)
        if refusal:
            email_change_cancel(change=change)  # it cannot become valid again
            raise ValidationError(refusal, code="no_longer")
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().get(pk=user.pk)
        change = email_change_of_token(user=user, token=token)
        change = EmailChangeRequest.objects.select_for_update().get(pk=change.pk)
        if not change.is_pending:
            raise _invalid_link()
        new = change.new_email
        if _email_taken(new, user):
            raise ValidationError(_("This e-mail address cannot be used. Choose another one."), code="taken")
        old = user.email
        user.email = new
        user.save(update_fields=["email"])
        change.confirmed_at = timezone.now()
        change.save(update_fields=["confirmed_at"])
        EmailAddress.objects.filter(user=user).delete()
        EmailAddress.objects.create(user=user, email=new, verified=True, primary=True)
        environments().emails_follow_login(user=user, old=old, new=new)
        user_end_sessions(user=user, keep_session_key=keep_session_key)
        for address in (old, new):
            send_templated_email(
                to=address,
                template="email_changed",
                language=user.language,
                context={"user": user, "old": old, "new": new, "link": absolute_url(reverse("account_login"))},
            )
        record_for_person("email.changed", person=user, actor=user, obj=change, details={"email": [old, new]})
    return new


def email_change_cancel(*, change: EmailChangeRequest, actor=None) -> bool:
    """Cancels a pending request: its link no longer works. False when it was not pending.
    ``actor``: who cancelled it (None: the system, e.g. when it can no longer be made)."""
    if not change.is_pending:
        return False
    with transaction.atomic():
        cancelled = bool(
            EmailChangeRequest.objects.filter(
                pk=change.pk, confirmed_at__isnull=True, cancelled_at__isnull=True
            ).update(cancelled_at=timezone.now())
        )
        if cancelled:
            record_for_person("email.change_cancelled", person=change.user, actor=actor, obj=change)
    return cancelled


def signin_guessing_report(*, email: str, known_browser: bool = False) -> None:
    """A lock started for the address ``email`` as typed at sign-in (someone's or not): the warning
    job looks it up. The request does the same work either way, so its timing does not tell
    whether the address is someone's. ``known_browser``: the lock is that of a browser the person
    signed in with before (its device cookie), not the one for unknown browsers."""
    on_commit(lambda: warn_password_guessing.enqueue(email=email, known_browser=known_browser))


@transaction.atomic
def user_warn_password_guessing(*, email: str, known_browser: bool = False) -> bool:
    """E-mails the active person signing in with ``email`` that someone is guessing their password,
    at most once per BALIE_SIGNIN_WARNING_SECONDS per address. Returns whether a warning was sent."""
    from balie.accounts.throttle import signin_warning_due

    # Found as allauth's sign-in finds people (lower case, exact): a spelling the database's own
    # case rules fold onto the address (PostgreSQL: "ı" → "I") never reaches its owner, and the
    # daily cap is that of the address found, not of each spelling typed.
    user = get_user_model().objects.filter(email=email.strip().lower(), is_active=True).first()
    if user is None or not signin_warning_due(email=user.email):
        return False
    staff = getattr(user, "staff_member", None)
    firm = environments().firm_of_member(user=user) or getattr(staff, "firm", None)
    send_templated_email(
        to=user.email,
        template="signin_guessing",
        language=user.language or settings.LANGUAGE_CODE,
        firm=firm,
        context={"user": user, "known_browser": known_browser, "link": absolute_url(reverse("account_reset_password"))},
    )
    return True
