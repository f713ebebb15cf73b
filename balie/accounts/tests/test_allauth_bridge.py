"""The allauth internals behind balie/accounts/allauth_bridge.py still look and behave as Balie
expects. allauth may change its ``internal`` modules in any release: when one of these tests fails
after an upgrade, the message names the internal that changed; adapt the bridge, not its callers."""

import ast
import base64
import hashlib
import inspect
import json
import os
import tomllib
from pathlib import Path

import pytest
import time_machine
from allauth.core import context
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from packaging.requirements import Requirement

from balie.accounts import allauth_bridge as bridge
from balie.accounts.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]
CHANGED = "allauth internal changed: {} (adapt balie/accounts/allauth_bridge.py)"

# Every internal name the bridge uses, with the parameters it calls it with.
SIGNATURES = {
    ("allauth.account.internal.decorators", "login_stage_required"): ["stage", "redirect_urlname"],
    ("allauth.account.internal.flows.login", "record_authentication"): ["request", "user", "method", "extra_data"],
    ("allauth.account.internal.flows.password_change", "change_password"): ["user", "password"],
    ("allauth.account.internal.flows.password_change", "finalize_password_change"): ["request", "user"],
    ("allauth.mfa.webauthn.internal.flows", "did_use_passwordless_login"): ["request", "user"],
    ("allauth.mfa.totp.internal.auth", "generate_totp_secret"): ["length"],
    ("allauth.mfa.totp.internal.auth", "hotp_value"): ["secret", "counter"],
    ("allauth.mfa.totp.internal.auth", "format_hotp_value"): ["value"],
    ("allauth.mfa.totp.internal.auth", "yield_hotp_counters_from_time"): [],
    ("allauth.mfa.recovery_codes.internal.auth", "RecoveryCodes"): ["instance"],
    ("allauth.mfa.recovery_codes.internal.auth", "RecoveryCodes.activate"): ["user"],
    ("allauth.mfa.recovery_codes.internal.auth", "RecoveryCodes.get_unused_codes"): ["self"],
    ("allauth.mfa.recovery_codes.internal.auth", "RecoveryCodes.validate_code"): ["self", "code"],
    ("allauth.mfa.recovery_codes.internal.auth", "RecoveryCodes.mark_as_viewed"): ["self"],
    ("allauth.mfa.webauthn.internal.auth", "begin_registration"): ["user", "passwordless"],
    ("allauth.mfa.webauthn.internal.auth", "parse_registration_response"): ["response"],
    ("allauth.mfa.webauthn.internal.auth", "complete_registration"): ["credential"],
    ("allauth.mfa.webauthn.internal.auth", "WebAuthn.add"): ["user", "name", "credential"],
    ("allauth.mfa.webauthn.internal.auth", "get_server"): [],
    ("allauth.mfa.webauthn.internal.auth", "get_credentials"): ["user"],
    ("allauth.mfa.webauthn.internal.auth", "get_authenticator_by_credential_id"): ["user", "credential_id"],
}


def _internal(module: str, name: str):
    import importlib

    try:
        found = importlib.import_module(module)
        for part in name.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError) as error:
        pytest.fail(CHANGED.format(f"{module}.{name} is gone ({error})"))
    return found


@pytest.mark.parametrize(("module", "name"), list(SIGNATURES), ids=lambda value: value)
def test_each_internal_the_bridge_uses_keeps_its_signature(module, name):
    parameters = list(inspect.signature(_internal(module, name)).parameters)
    assert parameters == SIGNATURES[module, name], CHANGED.format(f"{module}.{name}{tuple(parameters)}")


def test_the_bridge_uses_no_internal_that_is_not_checked_here():
    """A new internal in the bridge needs its row in SIGNATURES (and a test of what it does)."""
    tree = ast.parse((ROOT / "balie/accounts/allauth_bridge.py").read_text())
    checked = {module for module, _name in SIGNATURES}
    unchecked = [
        f"{node.module}.{alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and ".internal" in (node.module or "")
        for alias in node.names
        if node.module not in checked and f"{node.module}.{alias.name}" not in checked
    ]
    assert unchecked == []


def test_only_the_bridge_imports_allauth_internals():
    """The rest of Balie, tests included, goes through the bridge (finding 2.9)."""
    offenders = []
    for folder, _dirs, files in os.walk(ROOT / "balie"):
        for file in files:
            path = Path(folder) / file
            if path.suffix != ".py" or path.name in {"allauth_bridge.py", "test_allauth_bridge.py"}:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
                if any(name.startswith("allauth") and ".internal" in name for name in names):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_allauth_is_pinned_below_its_next_major_version():
    """Internals may change in any release; a new major version is a deliberate upgrade."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    allauth = next(Requirement(line) for line in project["dependencies"] if line.startswith("django-allauth"))
    assert allauth.specifier.contains("65.21.1")
    assert not allauth.specifier.contains("66.0"), f"django-allauth is not capped below 66: {allauth}"


# -- Authenticator app ------------------------------------------------------------------------------

# RFC 6238, appendix B (SHA-1): the secret "12345678901234567890" and the last six digits of its codes.
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
RFC_CODES = {59: "287082", 1111111109: "081804", 1234567890: "005924", 2000000000: "279037"}


@pytest.mark.parametrize(("unix_time", "code"), RFC_CODES.items())
def test_totp_codes_are_those_of_rfc_6238(unix_time, code):
    assert bridge.totp_code(RFC_SECRET, unix_time // 30) == code, CHANGED.format("hotp_value/format_hotp_value")


def test_totp_accepts_the_current_window_and_one_either_side():
    with time_machine.travel(1111111109, tick=False):
        windows = bridge.totp_windows_now()
    assert windows == [37037035, 37037036, 37037037], CHANGED.format("yield_hotp_counters_from_time")


def test_totp_secret_is_20_random_bytes_in_base32():
    first, second = bridge.totp_secret_new(), bridge.totp_secret_new()
    assert len(base64.b32decode(first)) == 20, CHANGED.format("generate_totp_secret")
    assert first != second


def test_a_code_of_a_new_secret_round_trips_through_balies_check(personas):
    from balie.twostep import services

    secret = bridge.totp_secret_new()
    with time_machine.travel(1234567890, tick=False):
        assert services.totp_matches(secret, bridge.totp_code(secret, 1234567890 // 30 - 1))
        assert not services.totp_matches(secret, bridge.totp_code(secret, 1234567890 // 30 - 2))


# -- Recovery codes ---------------------------------------------------------------------------------


def test_recovery_codes_are_ten_made_once_each_usable_once_and_stored_encrypted(personas):
    user = personas.client_user
    authenticator = bridge.recovery_codes_activate(user)
    assert bridge.recovery_codes_activate(user).pk == authenticator.pk, CHANGED.format("RecoveryCodes.activate")
    codes = bridge.recovery_codes_unused(authenticator)
    assert len(codes) == 10 and len(set(codes)) == 10, CHANGED.format("RecoveryCodes.get_unused_codes")
    assert all(code.isdigit() and len(code) == 8 for code in codes)
    stored = json.dumps(authenticator.data)
    assert not any(code in stored for code in codes)
    assert "seed" in authenticator.data and len(authenticator.data["seed"]) > 80  # Balie's Fernet, not the hex seed

    assert bridge.recovery_code_use(authenticator, codes[3]) is True, CHANGED.format("RecoveryCodes.validate_code")
    assert bridge.recovery_code_use(authenticator, codes[3]) is False
    assert bridge.recovery_code_use(authenticator, "not a code") is False
    authenticator.refresh_from_db()
    assert bridge.recovery_codes_unused(authenticator) == codes[:3] + codes[4:]


def test_recovery_codes_are_marked_viewed_once(personas):
    authenticator = bridge.recovery_codes_activate(personas.client_user)
    assert bridge.recovery_codes_viewed(authenticator) is False
    bridge.recovery_codes_mark_viewed(authenticator)
    authenticator.refresh_from_db()
    assert bridge.recovery_codes_viewed(authenticator) is True, CHANGED.format("RecoveryCodes.did_view")


# -- Signing in -------------------------------------------------------------------------------------


def _request(user=None, path="/"):
    request = RequestFactory(HTTP_HOST="localhost").post(path)
    request.session = SessionStore()
    request.session.create()
    request._messages = FallbackStorage(request)
    if user is not None:
        request.user = user
    return request


def test_a_passkey_sign_in_is_told_apart_from_other_factors(personas):
    user = personas.client_user
    by_app, by_passkey = _request(user), _request(user)
    bridge.record_authentication(by_app, user, method="mfa", type="totp")
    bridge.record_authentication(by_passkey, user, method="mfa", type="webauthn", passwordless=True)
    assert bridge.signed_in_with_passkey(by_app, user) is False
    assert bridge.signed_in_with_passkey(by_passkey, user) is True, CHANGED.format("did_use_passwordless_login")


def test_the_second_step_of_signing_in_finds_its_pending_login(client, personas):
    """login_stage_required and the stage it puts on the request, through Balie's own page."""
    from balie.twostep.tests.utils import enrol_totp

    assert client.get("/accounts/tweede-stap/")["Location"] == "/accounts/login/"  # nothing pending
    enrol_totp(personas.client_user)
    response = client.post("/accounts/login/", {"login": personas.client_user.email, "password": TEST_PASSWORD})
    assert response["Location"] == "/accounts/tweede-stap/"
    page = client.get("/accounts/tweede-stap/")
    assert page.context["factor"] == "totp", CHANGED.format("login_stage_required / request._login_stage")
    assert "_auth_user_id" not in client.session  # not signed in before the second step


def test_changing_the_password_keeps_this_session_and_tells_the_person(personas):
    from allauth.account.signals import password_changed
    from django.contrib.messages import get_messages

    user = personas.client_user
    request = _request(user)
    heard = []
    password_changed.connect(lambda **kwargs: heard.append(kwargs["user"]), weak=False, dispatch_uid="bridge-test")
    try:
        with context.request_context(request):
            bridge.change_password(request, user, password="een-nieuw-lang-wachtwoord")
    finally:
        password_changed.disconnect(dispatch_uid="bridge-test")
    user.refresh_from_db()
    assert user.check_password("een-nieuw-lang-wachtwoord"), CHANGED.format("change_password")
    assert heard == [user], CHANGED.format("finalize_password_change (password_changed signal)")
    assert request.session.get("_auth_user_hash") == user.get_session_auth_hash()
    assert len(list(get_messages(request))) == 1, CHANGED.format("finalize_password_change (no message)")


# -- Passkeys ---------------------------------------------------------------------------------------


class SoftPasskey:
    """A software authenticator: what a browser and a security key answer, for rp id localhost."""

    origin = "http://localhost"

    def __init__(self):
        from cryptography.hazmat.primitives.asymmetric import ec

        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(16)
        self.counter = 0

    def _flags(self, *names):
        from fido2.webauthn import AuthenticatorData

        flags = 0
        for name in names:
            flags |= getattr(AuthenticatorData.FLAG, name)
        return flags

    def create(self, options: dict) -> dict:
        from fido2.cose import ES256
        from fido2.utils import websafe_encode
        from fido2.webauthn import AttestationObject, AttestedCredentialData, AuthenticatorData, CollectedClientData

        challenge = json.loads(json.dumps(options))["publicKey"]["challenge"]
        client_data = CollectedClientData.create("webauthn.create", challenge, self.origin)
        credential = AttestedCredentialData.create(
            b"\0" * 16, self.credential_id, ES256.from_cryptography_key(self.key.public_key())
        )
        flags = self._flags("UP", "UV", "AT")
        data = AuthenticatorData.create(hashlib.sha256(b"localhost").digest(), flags, 0, credential)
        return {
            "id": websafe_encode(self.credential_id),
            "rawId": websafe_encode(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": websafe_encode(client_data),
                "attestationObject": websafe_encode(AttestationObject.create("none", data, {})),
            },
            "clientExtensionResults": {"credProps": {"rk": True}},
        }

    def get(self, options: dict) -> dict:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from fido2.utils import websafe_encode
        from fido2.webauthn import AuthenticatorData, CollectedClientData

        challenge = json.loads(json.dumps(options))["publicKey"]["challenge"]
        client_data = CollectedClientData.create("webauthn.get", challenge, self.origin)
        self.counter += 1
        data = AuthenticatorData.create(hashlib.sha256(b"localhost").digest(), self._flags("UP", "UV"), self.counter)
        signature = self.key.sign(bytes(data) + client_data.hash, ec.ECDSA(hashes.SHA256()))
        return {
            "id": websafe_encode(self.credential_id),
            "rawId": websafe_encode(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": websafe_encode(client_data),
                "authenticatorData": websafe_encode(data),
                "signature": websafe_encode(signature),
            },
            "clientExtensionResults": {},
        }


def test_a_passkey_registers_and_then_signs_in(personas):
    user, passkey = personas.client_user, SoftPasskey()
    request = _request(user)
    with context.request_context(request):
        options = bridge.passkey_registration_begin(user)
        assert json.loads(json.dumps(options))["publicKey"]["authenticatorSelection"]["residentKey"] == "required"
        credential = passkey.create(options)
        bridge.passkey_registration_complete(credential)
        stored = bridge.passkey_store(user=user, name="Laptop", credential=credential)

        options, state = bridge.passkey_authentication_begin(user)
        allowed = json.loads(json.dumps(options))["publicKey"]["allowCredentials"]
        assert [entry["id"] for entry in allowed] == [credential["id"]], CHANGED.format("get_credentials")
        found = bridge.passkey_authentication_complete(user=user, state=state, response=passkey.get(options))
    assert found is not None and found.pk == stored.pk, CHANGED.format("get_authenticator_by_credential_id")
    assert stored.wrap().name == "Laptop"


def test_a_passkey_answer_to_another_challenge_is_refused(personas):
    user, passkey = personas.client_user, SoftPasskey()
    request = _request(user)
    with context.request_context(request):
        first = bridge.passkey_registration_begin(user)
        bridge.passkey_registration_begin(user)  # a second challenge replaces the first
        with pytest.raises(ValidationError):
            bridge.passkey_registration_complete(passkey.create(first))
        credential = passkey.create(bridge.passkey_registration_begin(user))
        bridge.passkey_registration_complete(credential)
        bridge.passkey_store(user=user, name="Laptop", credential=credential)
        options, state = bridge.passkey_authentication_begin(user)
        _other_options, other_state = bridge.passkey_authentication_begin(user)
        with pytest.raises(ValueError):
            bridge.passkey_authentication_complete(user=user, state=other_state, response=passkey.get(options))
