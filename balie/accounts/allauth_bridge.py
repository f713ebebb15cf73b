"""Balie's one door to allauth's internal modules (``allauth.*.internal``).

allauth keeps these modules out of its public API: they may change in any release, even within
65.x. Everything Balie needs from them goes through the functions below, named for what Balie
does with them, so that an allauth upgrade touches this file only. test_allauth_bridge.py checks
each internal name used here (its signature and its behaviour) and fails saying which one changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from allauth.account.internal import decorators as _decorators
from allauth.account.internal.flows import login as _login
from allauth.account.internal.flows import password_change as _password_change
from allauth.account.stages import LoginStage
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal import auth as _totp
from allauth.mfa.webauthn.internal import auth as _webauthn
from allauth.mfa.webauthn.internal import flows as _webauthn_flows
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest

# -- Signing in ---------------------------------------------------------------------------------


def login_stage_required(*, stage: str, redirect_urlname: str) -> Callable:
    """A view decorator for a step of signing in (after the password, before the session is
    signed in): without that step pending, the visitor is sent to ``redirect_urlname``."""
    return _decorators.login_stage_required(stage=stage, redirect_urlname=redirect_urlname)


def login_stage_of(request: HttpRequest) -> LoginStage:
    """The pending step of signing in, in a view decorated with ``login_stage_required``."""
    return request._login_stage


def record_authentication(request: HttpRequest, user: AbstractBaseUser, *, method: str, **details: Any) -> None:
    """Notes in the session how the person proved who they are (``method="mfa", type="totp"``);
    allauth reads these records, e.g. to know a passkey signed in on its own."""
    _login.record_authentication(request, user, method, **details)


def signed_in_with_passkey(request: HttpRequest, user: AbstractBaseUser) -> bool:
    """Whether this sign-in used a passkey alone (passwordless): two factors already."""
    return _webauthn_flows.did_use_passwordless_login(request, user)


def change_password(request: HttpRequest, user: AbstractBaseUser, *, password: str) -> None:
    """Sets the new password the way allauth's own page does: this session stays signed in,
    a message, the notice by e-mail and the ``password_changed`` signal (which ends the other
    sessions, see accounts/signals.py)."""
    _password_change.change_password(user, password)
    _password_change.finalize_password_change(request, user)


# -- Authenticator app (TOTP) -----------------------------------------------------------------------


def totp_secret_new() -> str:
    """A new random secret for an authenticator app, base32 as the QR code carries it."""
    return _totp.generate_totp_secret()


def totp_code(secret: str, counter: int) -> str:
    """The code an authenticator app shows for the 30-second window ``counter``."""
    return _totp.format_hotp_value(_totp.hotp_value(secret, counter))


def totp_windows_now() -> list[int]:
    """The 30-second windows a code may come from now: the current one and, for clock drift,
    ``MFA_TOTP_TOLERANCE`` before and after it."""
    return list(_totp.yield_hotp_counters_from_time())


# -- Recovery codes ---------------------------------------------------------------------------------


def recovery_codes_activate(user: AbstractBaseUser) -> Authenticator:
    """The person's recovery codes, made (and stored encrypted) when they have none yet."""
    return RecoveryCodes.activate(user).instance


def recovery_codes_unused(authenticator: Authenticator) -> list[str]:
    return RecoveryCodes(authenticator).get_unused_codes()


def recovery_codes_viewed(authenticator: Authenticator) -> bool:
    return RecoveryCodes(authenticator).did_view


def recovery_codes_mark_viewed(authenticator: Authenticator) -> None:
    RecoveryCodes(authenticator).mark_as_viewed()


def recovery_code_use(authenticator: Authenticator, code: str) -> bool:
    """True once per unused code, which is then used up (the row is locked while it is checked)."""
    return RecoveryCodes(authenticator).validate_code(code)


# -- Passkeys (WebAuthn) ----------------------------------------------------------------------------


def passkey_registration_begin(user: AbstractBaseUser) -> dict:
    """Options for navigator.credentials.create(): a passkey that can also sign in by itself.
    The challenge is kept in the current request's session."""
    return _webauthn.begin_registration(user, passwordless=True)


def passkey_registration_complete(credential: dict) -> None:
    """Checks the browser's answer against the challenge of ``passkey_registration_begin``;
    raises ValidationError when it does not match."""
    _webauthn.parse_registration_response(credential)
    _webauthn.complete_registration(credential)


def passkey_store(*, user: AbstractBaseUser, name: str, credential: dict) -> Authenticator:
    return _webauthn.WebAuthn.add(user, name, credential).instance


def passkey_authentication_begin(user: AbstractBaseUser) -> tuple[dict, dict]:
    """Options for navigator.credentials.get() with the person's passkeys, and the state to
    keep until the answer comes back."""
    from fido2.webauthn import UserVerificationRequirement

    options, state = _webauthn.get_server().authenticate_begin(
        credentials=_webauthn.get_credentials(user), user_verification=UserVerificationRequirement.PREFERRED
    )
    return dict(options), state


def passkey_authentication_complete(*, user: AbstractBaseUser, state: dict, response: dict) -> Authenticator | None:
    """The person's passkey that signed this answer, or None. Raises ValueError (or TypeError,
    KeyError) for an answer that does not verify against ``state``."""
    binding = _webauthn.get_server().authenticate_complete(state, _webauthn.get_credentials(user), response)
    return _webauthn.get_authenticator_by_credential_id(user, binding.credential_id)
