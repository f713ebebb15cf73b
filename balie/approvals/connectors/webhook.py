"""The "firm software" connector: a signed webhook to the address the firm configured.

Each delivery is a POST of JSON

    {"id": "<event id>", "type": "request.approved", "created": "<ISO time>",
     "data": {"request": {...}, "client": {...}, "document": {...}, "version_sha256": "...",
              "decisions": [...], "submission": {...}}}

with the headers ``Balie-Event-Id``, ``Balie-Timestamp`` (Unix seconds) and ``Balie-Signature:
sha256=<hex HMAC-SHA256 of "<id>.<timestamp>.<body>" with the firm's secret>``. The body and event
id are the same on every attempt (a receiver drops an id it has seen); only the timestamp and so
the signature change. A receiver checks it with ``verify_signature``.

Security: the target is resolved here and every address checked; loopback, private, link-local,
multicast, reserved and cloud-metadata addresses are refused unless BALIE_WEBHOOK_ALLOW_PRIVATE is
on. The connection then goes to the address that was checked (the Host header and TLS name stay
the configured host), so a second DNS answer cannot point it elsewhere (DNS rebinding). Redirects
are never followed: a 3xx counts as a failed attempt. One attempt may take at most
BALIE_WEBHOOK_TIMEOUT_SECONDS.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import socket
import ssl
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from balie.approvals.connectors import (
    Delivered,
    OutcomeUnknown,
    PermanentFailure,
    TemporaryFailure,
    register,
)

EVENT_TYPE = "request.approved"
MAX_RESPONSE_BYTES = 64 * 1024
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address) for address in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class TargetRefused(PermanentFailure):
    """The address resolves to a place a webhook may not go (SSRF guard)."""


# -- Signatures ---------------------------------------------------------------------------------


def _as_bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


def sign(secret: str, event_id: str, timestamp: str, body: str | bytes) -> str:
    """The ``Balie-Signature`` header value: ``sha256=`` and the hex HMAC-SHA256 of ``id.timestamp.body``."""
    message = f"{event_id}.{timestamp}.".encode() + _as_bytes(body)
    return "sha256=" + hmac.new(_as_bytes(secret), message, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str,
    event_id: str,
    timestamp: str,
    body: str | bytes,
    header: str,
    *,
    tolerance_seconds: int | None = 300,
    now: float | None = None,
) -> bool:
    """True when ``header`` (one or more comma-separated ``sha256=…`` values) signs this delivery.

    For receivers: compare against the raw body as received, and refuse timestamps older than
    ``tolerance_seconds`` (None: no age check) so a captured delivery cannot be replayed later.
    """
    if tolerance_seconds is not None:
        try:
            age = abs((time.time() if now is None else now) - int(timestamp))
        except (TypeError, ValueError):
            return False
        if age > tolerance_seconds:
            return False
    expected = sign(secret, event_id, timestamp, body)
    return any(hmac.compare_digest(expected, part.strip()) for part in (header or "").split(","))


# -- The SSRF guard -----------------------------------------------------------------------------


def address_is_forbidden(address: str) -> bool:
    """True for loopback, private, link-local, multicast, reserved, unspecified, shared (CGNAT)
    and cloud-metadata addresses, also when wrapped in IPv6 (mapped, 6to4, Teredo, NAT64)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")
    candidates = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            candidates.append(ip.ipv4_mapped)
        if ip.sixtofour:
            candidates.append(ip.sixtofour)
        if ip.teredo:
            candidates.extend(ip.teredo)
        if ip in NAT64:
            candidates.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return any(
        candidate in METADATA_ADDRESSES
        or not candidate.is_global
        or candidate.is_loopback
        or candidate.is_private
        or candidate.is_link_local
        or candidate.is_multicast
        or candidate.is_reserved
        or candidate.is_unspecified
        for candidate in candidates
    )


def resolve_target(host: str, port: int, *, allow_private: bool | None = None) -> str:
    """Resolves ``host`` and checks every address it has; returns the one to connect to.

    Raises TargetRefused when any address is forbidden (a name with one good and one bad address
    is refused as a whole), TemporaryFailure when the name does not resolve now.
    """
    if allow_private is None:
        allow_private = settings.BALIE_WEBHOOK_ALLOW_PRIVATE
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as error:
        raise TemporaryFailure(
            _("The address %(host)s cannot be found: %(error)s") % {"host": host, "error": error}
        ) from error
    addresses = []
    for _family, _type, _proto, _name, sockaddr in infos:
        if sockaddr[0] not in addresses:
            addresses.append(sockaddr[0])
    if not addresses:
        raise TemporaryFailure(_("The address %(host)s cannot be found.") % {"host": host})
    if not allow_private:
        for address in addresses:
            if address_is_forbidden(address):
                raise TargetRefused(
                    _("The webhook address %(host)s points to %(address)s, an internal address; it is refused.")
                    % {"host": host, "address": address}
                )
    return addresses[0]


def check_url(url: str) -> tuple[str, str, int, str]:
    """Splits a webhook URL into (scheme, host, port, path?query); PermanentFailure if unusable."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PermanentFailure(_("The webhook address must start with https:// (or http://)."))
    if parts.username or parts.password:
        raise PermanentFailure(_("The webhook address may not contain a user name or password."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise PermanentFailure(_("The webhook address has an invalid port.")) from None
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port, target


# -- Pinned connections -------------------------------------------------------------------------


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, not to whatever the name resolves to now."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.pinned_address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.pinned_address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """The same over TLS: the certificate is still checked against the configured host name."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.pinned_address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.pinned_address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float | None = None) -> int:
    """POSTs ``body`` to ``url`` once, through the SSRF guard, without following redirects.

    Returns the status code. Raises TemporaryFailure when nothing can have arrived (no
    connection), OutcomeUnknown when the request went out but no answer came in time.
    """
    timeout = float(settings.BALIE_WEBHOOK_TIMEOUT_SECONDS if timeout is None else timeout)
    deadline = time.monotonic() + timeout
    scheme, host, port, target = check_url(url)
    address = resolve_target(host, port)
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(host, port, address=address, timeout=timeout)

    def remaining() -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the attempt took longer than the timeout")
        return left

    try:
        try:
            connection.connect()
            sock = connection.sock  # the response may drop connection.sock; the socket stays the same
            sock.settimeout(remaining())
            connection.request("POST", target, body=body, headers=headers)
        except (OSError, http.client.HTTPException) as error:
            raise TemporaryFailure(
                _("No connection to %(host)s: %(error)s") % {"host": host, "error": str(error) or type(error).__name__}
            ) from error
        try:
            sock.settimeout(remaining())
            response = connection.getresponse()
            sock.settimeout(remaining())
            response.read(MAX_RESPONSE_BYTES)
        except (OSError, http.client.HTTPException) as error:
            raise OutcomeUnknown(
                _("%(host)s did not answer within %(seconds)s seconds: %(error)s")
                % {"host": host, "seconds": int(timeout), "error": str(error) or type(error).__name__}
            ) from error
        return response.status
    finally:
        connection.close()


# -- The connector ------------------------------------------------------------------------------


def payload(submission) -> dict:
    """The event for ``submission``: built from rows that never change, so every attempt sends
    the same body."""
    approval = submission.request
    document, version, client = approval.document, approval.version, approval.client
    decisions = [
        {
            "id": str(decision.public_id),
            "outcome": decision.outcome,
            "by": {"name": decision.user.get_full_name(), "email": decision.user.email},
            "decided_at": decision.decided_at.isoformat(),
            "comment": decision.comment,
            "factor": decision.factor,
            "outside_portal": decision.recorded_by_id is not None,
            "version_sha256": decision.version_sha256,
        }
        for decision in approval.decisions.select_related("user").order_by("decided_at", "pk")
    ]
    return {
        "id": str(submission.event_id),
        "type": EVENT_TYPE,
        "created": submission.created_at.isoformat(),
        "data": {
            "request": {
                "id": str(approval.public_id),
                "kind": approval.kind,
                "due_date": approval.due_date.isoformat() if approval.due_date else None,
            },
            "client": {
                "id": str(client.public_id),
                "name": client.name,
                "number": client.number,
                "kvk_number": client.kvk_number,
            },
            "document": {
                "id": str(document.public_id),
                "title": document.title,
                "type": document.doc_type,
                "year": document.year,
                "period": document.period,
                "version": version.number,
                "filename": version.original_name,
            },
            "version_sha256": version.sha256,
            "decisions": decisions,
            "submission": {"id": str(submission.public_id), "idempotency_key": submission.idempotency_key},
        },
    }


def body_for(submission) -> bytes:
    return json.dumps(payload(submission), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@register("firm_software")
class WebhookConnector:
    name = "firm_software"
    idempotent = True  # the same event id on every attempt: the receiver drops duplicates

    def deliver(self, submission) -> Delivered:
        from balie.approvals.models import Receiver

        receiver = Receiver.objects.filter(firm_id=submission.request.client.firm_id).first()
        if receiver is None or not receiver.webhook_url:
            raise PermanentFailure(_("No webhook address is configured for the firm's software."))
        if not receiver.has_secret:
            raise PermanentFailure(_("No signing secret is configured for the firm's software."))
        body = body_for(submission)
        event_id = str(submission.event_id)
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Balie-Webhooks/1",
            "Balie-Event-Id": event_id,
            "Balie-Timestamp": timestamp,
            "Balie-Signature": sign(receiver.secret(), event_id, timestamp, body),
            "Idempotency-Key": submission.idempotency_key,
        }
        status = post(receiver.webhook_url, body, headers)
        if 200 <= status < 300:
            return Delivered(reference=f"HTTP {status}", final=True)
        if 300 <= status < 400:
            raise TemporaryFailure(
                _("The firm's software answered with a redirect (HTTP %(status)s); redirects are not followed.")
                % {"status": status}
            )
        raise TemporaryFailure(_("The firm's software answered HTTP %(status)s.") % {"status": status})
