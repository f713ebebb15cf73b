"""Reads for accounts: a user's active sessions (ACC-6)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.module_loading import import_string

from balie.accounts.models import EmailChangeRequest, UserSession


def session_store_is_database() -> bool:
    """True for the ``db`` and ``cached_db`` engines: the Session table knows every live session."""
    return issubclass(import_string(f"{settings.SESSION_ENGINE}.SessionStore"), DatabaseSessionStore)


def user_session_alive(*, now: datetime | None = None) -> Q:
    """The UserSession rows whose session can still sign someone in.

    With a database session store that is "its Session row exists and has not expired"; other stores
    cannot be asked in a query, so there the last renewal of the idle deadline stands in for it.
    Either way a session past the absolute lifetime is over (the middleware signs it out).
    """
    now = now or timezone.now()
    alive = Q(created_at__gt=now - timedelta(seconds=settings.BALIE_SESSION_MAX_SECONDS))
    if session_store_is_database():
        stored = Session.objects.filter(session_key=OuterRef("session_key"), expire_date__gt=now)
        return alive & Q(Exists(stored))
    return alive & Q(last_seen_at__gt=now - timedelta(seconds=settings.SESSION_COOKIE_AGE))


def session_list_for_user(*, user, current_session_key: str | None) -> QuerySet[UserSession]:
    """The user's active sessions, the one making this request first (``is_current``), then the
    most recently seen. One query, however many sessions."""
    is_current = ExpressionWrapper(Q(session_key=current_session_key or ""), output_field=BooleanField())
    return (
        UserSession.objects.filter(user_session_alive(), user=user)
        .annotate(is_current=is_current)
        .order_by("-is_current", "-last_seen_at", "-pk")
    )


def get_session_for_user(*, user, public_id) -> UserSession:
    """One of the user's own active sessions; 404 for anyone else's, or for one that has ended."""
    try:
        return UserSession.objects.filter(user_session_alive()).get(user=user, public_id=public_id)
    except (UserSession.DoesNotExist, ValueError, ValidationError):
        raise Http404 from None


def get_email_change_for_user(*, user, public_id) -> EmailChangeRequest:
    """One of ``user``'s own requested changes of their sign-in address; 404 for anyone else's."""
    change = EmailChangeRequest.objects.filter(user=user, public_id=public_id).first()
    if change is None:
        raise Http404
    return change
