"""Encryption at rest of second-factor secrets (TOTP seeds, recovery-code seeds).

Fernet (AES-128-CBC + HMAC-SHA256) with the keys of BALIE_ENCRYPTION_KEYS: the first encrypts,
every key decrypts, so keys can be rotated. A database dump without the configuration holds no
usable seed.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "fernet:"


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        # Development only (production refuses to start without BALIE_ENCRYPTION_KEYS).
        derived = hashlib.sha256(b"balie-twostep-encryption:" + settings.SECRET_KEY.encode()).digest()
        keys = (base64.urlsafe_b64encode(derived).decode(),)
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as error:
        raise ImproperlyConfigured("BALIE_ENCRYPTION_KEYS must be Fernet keys (32 url-safe base64 bytes).") from error


def encrypt(text: str) -> str:
    return PREFIX + _fernet(tuple(settings.BALIE_ENCRYPTION_KEYS)).encrypt(text.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        raise ValueError("Refusing a second-factor secret that is not encrypted.")
    try:
        return _fernet(tuple(settings.BALIE_ENCRYPTION_KEYS)).decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as error:
        raise ValueError("A second-factor secret cannot be decrypted with the configured keys.") from error
