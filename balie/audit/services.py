"""Writing the audit trail: one call, in the transaction of the change it records.

    record("document.published", firm=firm, actor=user, environment=client, obj=document,
           details={"title": [old, new]})

The event joins its firm's chain (see ``balie.audit.chain``): the chain's head row is locked, the
event gets the next number and the hash of the one before it, and the head moves on. On PostgreSQL
that is one statement, one query per event (``balie.audit.append``); on SQLite three (lock or make
the head, insert, move the head). When the
caller's transaction rolls back, the event goes with it: the trail never shows a change that did
not happen. The head stays locked until the caller's transaction ends, so a service records its
event last, after taking its own locks (the head first and another row after it could deadlock
with a service that takes them the other way round). Where the request came from (address,
browser, request id) is taken from the request being answered (``balie.audit.middleware``); jobs
and commands have none, unless they write an event on behalf of a request (``origin=``, ``at=``:
where and when it happened).
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import re
from typing import Any

from django.db import connections, router, transaction
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from balie.audit import actions, append, chain, middleware
from balie.audit.middleware import Origin
from balie.audit.models import NAME_LENGTH, USER_AGENT_LENGTH, ActorKind, AuditEvent, ChainHead, chain_key

DETAILS_MAX_CHARS = 4000
# ``details["by"]`` of an event written without its actor: it was done by another firm's staff.
BY_ANOTHER_FIRM = "another_firm"
# A key naming one of these words holds (or may hold) a secret; such values never enter the trail.
SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "code",
        "codes",
        "otp",
        "totp",
        "pin",
        "token",
        "tokens",
        "secret",
        "secrets",
        "key",
        "keys",
        "apikey",
        "session",
        "sessionid",
        "cookie",
        "credential",
        "credentials",
        "signature",
        "bsn",
        "content",
        "contents",
    }
)
# Field names of the history's changes that name a secret's word but hold none (an address's).
PLAIN_FIELDS = frozenset({"postal_code", "postcode", "country_code", "zip_code"})
_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def secret_key(key: str) -> bool:
    """Whether a details key names a secret: one of its words (``new_password``, ``apiKey``,
    ``pin-code``) is in ``SECRET_WORDS``. Also refuses contents (``content``): no document text."""
    return any(word.lower() in SECRET_WORDS for word in _WORDS.findall(key))


def _check_keys(value: Any, path: str = "") -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            if not isinstance(key, str):
                raise ValueError(f"Audit details have text keys, not {key!r}.")
            if secret_key(key):
                raise ValueError(f"Audit details never hold secrets or contents: {path + key!r} is refused.")
            _check_keys(inner, f"{path}{key}.")
    elif isinstance(value, list | tuple):
        for inner in value:
            _check_keys(inner, path)


# A Dutch bank account (IBAN, with or without spaces) or citizen service number (BSN: nine digits
# that pass the 11-proef) in a value: personal data the trail does not keep. They are masked, not
# refused: a client number or a title may pass the 11-proef by chance, and a save must not fail on it.
_IBAN = re.compile(r"\bNL\s?\d{2}\s?[A-Z]{4}(?:\s?\d){10}\b", re.IGNORECASE)
_NINE_DIGITS = re.compile(r"\b\d{9}\b")
MASK = "*"


def is_bsn(digits: str) -> bool:
    """Whether nine digits pass the 11-proef of a BSN (9×d1 + 8×d2 + … + 2×d8 − d9 is a multiple of 11)."""
    if len(digits) != 9 or not digits.isascii() or not digits.isdigit():
        return False
    total = sum(weight * int(digit) for weight, digit in zip(range(9, 1, -1), digits[:8], strict=True))
    return total - int(digits[8]) != 0 and (total - int(digits[8])) % 11 == 0


def personal_number(text: str) -> bool:
    """Whether ``text`` holds a Dutch IBAN or a BSN."""
    return bool(_IBAN.search(text)) or any(is_bsn(found) for found in _NINE_DIGITS.findall(text))


def masked(text: str) -> str:
    """``text`` with every Dutch IBAN and BSN in it replaced by asterisks of the same length."""
    text = _IBAN.sub(lambda found: MASK * len(found.group()), text)
    return _NINE_DIGITS.sub(lambda found: MASK * 9 if is_bsn(found.group()) else found.group(), text)


def _check_change_fields(value: Any, path: str = "") -> None:
    """Refuses a secret's name as the field of a change (``changes``: ``[[field, old, new], ...]``,
    whose field names are values, not keys)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "changes" and isinstance(inner, list | tuple):
                for change in inner:
                    field = change[0] if isinstance(change, list | tuple) and change else None
                    if isinstance(field, str) and field not in PLAIN_FIELDS and secret_key(field):
                        raise ValueError(f"Audit details never hold secrets: {path + key!r} names one.")
            _check_change_fields(inner, f"{path}{key}.")
    elif isinstance(value, list | tuple):
        for inner in value:
            _check_change_fields(inner, path)


def _mask_values(value: Any) -> Any:
    """``value`` with every text in it masked (see ``masked``)."""
    if isinstance(value, dict):
        return {key: _mask_values(inner) for key, inner in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_values(inner) for inner in value]
    return masked(value) if isinstance(value, str) else value


def clean_details(details: dict[str, Any] | None) -> dict[str, Any]:
    """The details as they will be stored and read back (JSON), after checking that no key (nor the
    field of a change) names a secret and that they are small, with every IBAN and BSN in a value
    masked. Raises ``ValueError``."""
    if details is None:
        return {}
    if not isinstance(details, dict):
        raise ValueError("Audit details are a JSON object.")
    _check_keys(details)
    _check_change_fields(details)
    text = json.dumps(_mask_values(details), sort_keys=True, ensure_ascii=True)
    if len(text) > DETAILS_MAX_CHARS:
        raise ValueError(f"Audit details are small (at most {DETAILS_MAX_CHARS} characters of JSON).")
    cleaned: dict[str, Any] = json.loads(text)
    return cleaned


def _address(value: str | None) -> str | None:
    """The address as the database gives it back (IPv6 compressed as Django and PostgreSQL write it,
    ``::ffff:1.2.3.4`` for a mapped IPv4 address), or None when it is not one."""
    try:
        address = ipaddress.ip_address((value or "").strip())
    except ValueError:
        return None
    return clean_ipv6_address(str(address)) if address.version == 6 else str(address)


def _actor(actor: Any, firm_id: int | None, kind: str | None, *, look_up: bool = True) -> tuple[str, int | None, str]:
    """(kind, user id, name) of the actor: None is the system (a job); a person who works at the
    event's firm is staff, anyone else a user; ``kind`` overrides (operator, api_key). Without
    ``look_up`` a person's kind is left "" for the database to decide (``append``)."""
    if actor is None:
        return kind or ActorKind.SYSTEM, None, ""
    if not getattr(actor, "is_authenticated", True):
        return kind or ActorKind.ANONYMOUS, None, ""
    name = str(actor)[:NAME_LENGTH]
    user_id = actor.pk if kind != ActorKind.API_KEY else None
    if kind is None and not look_up:
        return "", user_id, name
    if kind is None:
        staff = getattr(actor, "staff_member", None)  # cached on the user after the first look
        kind = ActorKind.STAFF if staff is not None and staff.firm_id == firm_id else ActorKind.USER
    return kind, user_id, name


def _object(obj: Any) -> tuple[str, str]:
    if obj is None:
        return "", ""
    public_id = getattr(obj, "public_id", None)
    return obj._meta.label_lower, str(public_id if public_id is not None else obj.pk)


def _head(firm_id: int | None) -> ChainHead:
    """The chain's head, locked until the transaction ends; made on first use. Two first events at
    once both insert with ON CONFLICT DO NOTHING, then queue on the one row's lock."""
    key = chain_key(firm_id)
    try:
        return ChainHead.objects.select_for_update().get(key=key)
    except ChainHead.DoesNotExist:
        ChainHead.objects.bulk_create(
            [ChainHead(key=key, firm_id=firm_id, last_seq=0, last_hash=chain.GENESIS)], ignore_conflicts=True
        )
        return ChainHead.objects.select_for_update().get(key=key)


def record(
    action: str,
    *,
    firm: Any,
    actor: Any = None,
    environment: Any = None,
    obj: Any = None,
    details: dict[str, Any] | None = None,
    actor_kind: str | None = None,
    origin: Origin | None = None,
    at: datetime.datetime | None = None,
    anonymous: bool = False,
) -> AuditEvent:
    """Writes one event in the current transaction (a transaction of its own outside one).

    ``firm`` is the firm whose chain it joins (None: the operator's chain, for events of no firm);
    ``actor`` the person (None: the system), ``environment`` the environment it happened in (of the
    same firm), ``obj`` what it is about (kept as type and public id), ``details`` a small JSON
    object without secrets (old → new for changes). ``origin`` and ``at`` are for a job that writes
    what happened in a request: where it came from (else the current request's) and when (an aware
    time; else now). ``anonymous``: the firm may not learn who did it or from where (another firm's
    staff acting on a person of both): no actor, no address, browser or request id, kind system,
    and ``details["by"] = "another_firm"``. Raises ``ValueError`` for an unknown action, an
    environment of another firm, a details key that names a secret or a time without a time zone.
    """
    if not actions.is_registered(action):
        raise ValueError(f"Unknown audit action {action!r}: register it in balie.audit.actions.")
    firm_id = None if firm is None else firm.pk
    if environment is not None and environment.firm_id != firm_id:
        raise ValueError("An audit event's environment belongs to its firm.")
    if at is not None:
        chain.moment(at)  # refuses a time without a time zone, before anything is written
        at = at.astimezone(datetime.UTC)  # as the database gives it back and the hash has it
    one_statement = connections[router.db_for_write(AuditEvent)].vendor == "postgresql"
    if anonymous:
        actor, actor_kind = None, ActorKind.SYSTEM
        details = {**(details or {}), "by": BY_ANOTHER_FIRM}
    kind, user_id, name = _actor(actor, firm_id, actor_kind, look_up=not one_statement)
    object_type, object_id = _object(obj)
    where = Origin() if anonymous else (origin if origin is not None else middleware.origin())
    event = AuditEvent(
        firm_id=firm_id,
        environment_id=None if environment is None else environment.public_id,
        actor_kind=kind,
        actor_user_id=user_id,
        actor_name=name,
        action=action,
        object_type=object_type,
        object_id=object_id,
        ip_address=_address(where.ip_address),
        user_agent=where.user_agent[:USER_AGENT_LENGTH],
        request_id=where.request_id,
        details=clean_details(details),
    )
    firm_public_id = "" if firm is None else str(firm.public_id)
    if one_statement:
        event.at = at or timezone.now()
        return append.append(event, key=chain_key(firm_id), firm_public_id=firm_public_id)  # one statement
    with transaction.atomic():
        head = _head(firm_id)
        event.seq = head.last_seq + 1
        event.prev_hash = head.last_hash
        event.at = at or timezone.now()
        event.hash = chain.digest(chain.fields_of(event, firm_public_id=firm_public_id))
        event.save(force_insert=True)
        head.last_seq, head.last_hash = event.seq, event.hash
        head.save(update_fields=["last_seq", "last_hash"])
    return event
