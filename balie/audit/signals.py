"""The first writers of the audit trail: signing in, and failing to (Django's own signals, so audit
needs nothing of ``accounts``).

A sign-in is written to the chain of every firm the person works at or is a client of
(``hooks.firm_ids_of_user``), so each firm sees the sign-ins of its own people; a person of no firm
(an operator) goes to the operator's chain. A failed sign-in of a known address goes to that
person's firms, as done by someone not signed in; one of an address nobody has goes to the
operator's chain, keeping only the domain of the address tried (when it is a valid address):
someone may type a password, or a colleague's address, in the address field, and the trail keeps
what it holds for years.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.dispatch import receiver

from balie.audit.models import ActorKind
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
    identifier = _identifier(credentials or {})
    User = get_user_model()
    user = None
    if identifier:
        lookup = {f"{User.USERNAME_FIELD}__iexact": identifier}
        user = User._default_manager.filter(**lookup).first()
    if user is None:
        details = {"domain": _domain(identifier)}
        record("auth.signin_failed", firm=None, actor_kind=ActorKind.ANONYMOUS, details=details)
        return
    for firm in _firms(user):
        record("auth.signin_failed", firm=firm, actor_kind=ActorKind.ANONYMOUS, obj=user)
