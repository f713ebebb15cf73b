"""What accounts asks of the apps above it, which answer from their ``AppConfig.ready()``.

accounts sits below clients and twostep and imports neither. Yet an accepted invitation gives
access to an environment, the profile lists the person's environments, a sign-in warning carries
the colours of a firm the person is a client of, a change of sign-in address asked for by someone
else may be refused by the environment and is followed by its contact persons, and an account with
a second factor is never signed in on its password alone. clients answers the environment questions
(``register_environments``), twostep the second-factor one (``register_sign_in_factor_check``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Environments:
    """The answers of the app that owns environments and memberships (clients)."""

    visible_to: Callable  # (*, user) -> the environments the person may open (a queryset)
    memberships_of: Callable  # (*, user) -> the person's current memberships, with their environment
    firm_of_member: Callable  # (*, user) -> the firm of an environment the person is a member of, or None
    grant: Callable[..., None]  # (*, invitation, user): the access an accepted invitation gives
    #   (nothing when the person has it already; a ValidationError when it cannot be given)
    change_refusal: Callable  # (change) -> why a change of sign-in address asked for by someone
    #   else (an EmailChangeRequest) can no longer be made, or None
    emails_follow_login: Callable[..., object]  # (*, user, old, new): a new sign-in address reaches
    #   the person's contact persons


_ENVIRONMENTS: list[Environments] = []
_SIGN_IN_FACTOR_CHECK: list[Callable[..., bool]] = []


def register_environments(**answers: Callable) -> None:
    """Plugs the environments in (once, from the owning app's ``ready``; again replaces them)."""
    _ENVIRONMENTS[:] = [Environments(**answers)]


def environments() -> Environments:
    if not _ENVIRONMENTS:
        raise LookupError("No environments are registered (see accounts.hooks.register_environments).")
    return _ENVIRONMENTS[0]


def register_sign_in_factor_check(check: Callable[..., bool]) -> None:
    """``check(*, user) -> bool``: whether the account has a second factor to sign in with."""
    _SIGN_IN_FACTOR_CHECK[:] = [check]


def has_sign_in_factor(*, user) -> bool:
    if not _SIGN_IN_FACTOR_CHECK:
        raise LookupError("No sign-in factor check is registered (see accounts.hooks.register_sign_in_factor_check).")
    return _SIGN_IN_FACTOR_CHECK[0](user=user)
