"""The first writers of the audit trail: signing in, and failing to (Django's own signals, so audit
needs nothing of ``accounts``).

A sign-in is written to the chain of every firm the person works at or is a client of
(``hooks.firm_ids_of_user``), so each firm sees the sign-ins of its own people; a person of no firm
(an operator) goes to the operator's chain. A failed sign-in of a known address goes to that
person's firms, as done by someone not signed in; one of an address nobody has goes to the
operator's chain, keeping only the domain of the address tried (when it is a valid address):
someone may type a password, or a colleague's address, in the address field, and the trail keeps
what it holds for years.

A failed sign-in is written by a job (``audit.signin_failed``), given the address tried and where
and when it happened: the request does the same work whether the address is someone's or not, so
its timing does not tell (as allauth and the sign-in throttle take care to do). The job finds the
person as allauth's sign-in does: the address in lower case, exactly (not the database's own case
folding, which on PostgreSQL makes "pıeter@" Pieter's). The password never leaves the request,
nor does what was typed as the address when it is not one.
"""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.transaction import on_commit
from django.dispatch import receiver
from django.utils import timezone

from balie.audit import chain, middleware
from balie.audit.jobs import signin_failed as signin_failed_job
from balie.audit.middleware import Origin
from balie.audit.models import ActorKind, AuditEvent
from balie.audit.people import firms_of
from balie.audit.services import record

IDENTIFIERS = ("email", "username", "login")


def _firms(user) -> list:
    return firms_of(user)


@receiver(user_logged_in, dispatch_uid="audit_signin")
def signed_in(sender, request=None, user=None, **kwargs):
    if user is None:
        return
    for firm in _firms(user):
        record("auth.signin", firm=firm, actor=user, obj=user)


def _identifier(credentials: dict) -> str:
    for name in IDENTIFIERS:
        value = credentials.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _domain(value: str) -> str:
    """The domain of a valid e-mail address, else "" (a password typed as the address is not one)."""
    try:
        validate_email(value)
    except ValidationError:
        return ""
    return value.rsplit("@", 1)[1].lower()


@receiver(user_login_failed, dispatch_uid="audit_signin_failed")
def signin_failed(sender, credentials=None, request=None, **kwargs):
    """Hands the address tried, where from and when to the job, once the request's transaction
    commits; no query, known address or not. What is not an address (a password typed in its
    place) stays here: the job gets "" and writes an unknown address without a domain."""
    identifier = _identifier(credentials or {})
    where = middleware.origin()
    job_kwargs = {
        "identifier": identifier if _domain(identifier) else "",
        "ip_address": where.ip_address,
        "user_agent": where.user_agent,
        "request_id": where.request_id,
        "at": chain.moment(timezone.now()),
    }
    on_commit(lambda: signin_failed_job.enqueue(**job_kwargs))


@transaction.atomic
def signin_failed_record(*, identifier: str, origin: Origin, at: datetime.datetime) -> list[AuditEvent]:
    """Writes the failed sign-in with ``identifier`` (the address tried) that happened at ``at``
    from ``origin``: once in each of the person's firms' chains, or in the operator's chain with
    only the domain when nobody has the address. Nothing when it was written before (a job may run
    twice). Returns the events written."""
    User = get_user_model()
    user = None
    if identifier:
        # Exactly as allauth's sign-in finds the person (lower case, no database case folding).
        user = User._default_manager.filter(**{User.USERNAME_FIELD: identifier.lower()}).first()
    firms = [None] if user is None else _firms(user)
    # All or none of its events were written (one transaction); the index of firm, action and time.
    earlier = AuditEvent.objects.filter(firm=firms[0], action="auth.signin_failed", at=at)
    if earlier.filter(request_id=origin.request_id).exists():
        return []
    if user is None:
        details = {"domain": _domain(identifier)}
        event = record(
            "auth.signin_failed",
            firm=None,
            actor_kind=ActorKind.ANONYMOUS,
            details=details,
            origin=origin,
            at=at,
        )
        return [event]
    return [
        record("auth.signin_failed", firm=firm, actor_kind=ActorKind.ANONYMOUS, obj=user, origin=origin, at=at)
        for firm in firms
    ]
