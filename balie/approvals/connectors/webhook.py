"""The "firm software" connector: a signed webhook to the address the firm configured.

Each delivery is a POST of JSON

    {"id": "<event id>", "type": "request.approved", "created": "<ISO time>",
     "data": {"request": {...}, "client": {...}, "document": {...}, "version_sha256": "...",
              "decisions": [...], "submission": {...}}}

with the headers ``Balie-Event-Id``, ``Balie-Timestamp`` (Unix seconds) and ``Balie-Signature:
sha256=<hex HMAC-SHA256 of "<id>.<timestamp>.<body>" with the firm's secret>``. The body and event
id are the same on every attempt (a receiver drops an id it has seen); only the timestamp and so
the signature change. A receiver checks it with ``verify_signature``. A retry by the firm after a
failed filing is a new delivery with a new event id: a receiver that may have processed a failed
attempt deduplicates on ``data.request.id``.

Security: the target is resolved here and every address checked; loopback, private, link-local,
multicast, reserved and cloud-metadata addresses are refused unless BALIE_WEBHOOK_ALLOW_PRIVATE is
on. The connection then goes to the address that was checked (the Host header and TLS name stay
the configured host), so a second DNS answer cannot point it elsewhere (DNS rebinding). Redirects
are never followed: a 3xx counts as a failed attempt.

One attempt — name lookup, connection, TLS handshake, sending and reading the answer — has one
deadline, BALIE_WEBHOOK_TIMEOUT_SECONDS, for all of it: every socket call gets only the time that
is left, so a receiver that answers byte by byte cannot hold an attempt open longer, and the name
lookup runs in a helper thread that is abandoned at the deadline. At most MAX_RESPONSE_BYTES of the
answer are read. An answer that is not complete at the deadline counts as no answer (the outcome
is unknown; the webhook is delivered again with the same event id).
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import hmac
import http.client
import io
import ipaddress
import json
import socket
import ssl
import threading
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
    Malformed input (non-ASCII or undecodable header values, wrong types) is simply not a valid
    signature: False, never an exception.
    """
    if tolerance_seconds is not None:
        try:
            age = abs((time.time() if now is None else now) - int(timestamp))
        except (TypeError, ValueError, OverflowError):
            return False
        if age > tolerance_seconds:
            return False
    try:
        expected = sign(secret, event_id, timestamp, body).encode()
        parts = [part.strip() for part in _as_bytes(header or b"").split(b",")]
    except (TypeError, ValueError, AttributeError):  # UnicodeError is a ValueError
        return False
    # Bytes on both sides: compare_digest refuses str with characters outside ASCII.
    return any(hmac.compare_digest(expected, part) for part in parts)


# -- The SSRF guard -----------------------------------------------------------------------------


def address_is_forbidden(address: str) -> bool:
    """True for loopback, private, link-local, site-local (fec0::/10), multicast, reserved,
    unspecified, shared (CGNAT) and cloud-metadata addresses, also when wrapped in IPv6 (mapped,
    6to4, Teredo, NAT64)."""
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
        or (isinstance(candidate, ipaddress.IPv6Address) and candidate.is_site_local)  # fec0::/10
        for candidate in candidates
    )


def _getaddrinfo(host: str, port: int, *, timeout: float) -> list:
    """``socket.getaddrinfo`` that gives up after ``timeout`` seconds (TimeoutError).

    The system resolver cannot be interrupted, so the look-up runs in a daemon thread of its own
    that is left behind at the deadline; it ends when the resolver gives up, and a web or worker
    process can always exit. One thread per look-up: a hanging resolver cannot use up a pool.
    """
    future: concurrent.futures.Future = concurrent.futures.Future()

    def look_up() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP))
        except BaseException as error:  # handed to the caller
            future.set_exception(error)

    threading.Thread(target=look_up, name="balie-webhook-dns", daemon=True).start()
    try:
        return future.result(timeout=max(timeout, 0.0))
    except concurrent.futures.TimeoutError:
        future.cancel()
        raise TimeoutError(f"no answer from the name server within {timeout:.3g} s") from None


def resolve_target(host: str, port: int, *, allow_private: bool | None = None, timeout: float | None = None) -> str:
    """Resolves ``host`` and checks every address it has; returns the one to connect to.

    Raises TargetRefused when any address is forbidden (a name with one good and one bad address
    is refused as a whole), TemporaryFailure when the name does not resolve now or not within
    ``timeout`` seconds (default BALIE_WEBHOOK_TIMEOUT_SECONDS).
    """
    if allow_private is None:
        allow_private = settings.BALIE_WEBHOOK_ALLOW_PRIVATE
    if timeout is None:
        timeout = float(settings.BALIE_WEBHOOK_TIMEOUT_SECONDS)
    try:
        infos = _getaddrinfo(host, port, timeout=timeout)
    except (OSError, UnicodeError) as error:  # socket.gaierror and TimeoutError are OSErrors
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


# -- Pinned connections with one deadline ---------------------------------------------------------


class _Deadline:
    """The end of one attempt; ``left()`` is the time that remains (TimeoutError when none does)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def left(self) -> float:
        left = self.at - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"the attempt took longer than {self.seconds:.3g} s")
        return left


class _DeadlineSocket:
    """A connected socket whose every send and receive gets only the time left until the deadline,
    and which yields at most ``limit`` bytes: what http.client sees instead of the socket."""

    def __init__(self, sock: socket.socket, deadline: _Deadline, *, limit: int) -> None:
        self.sock, self.deadline, self.limit = sock, deadline, limit
        self.readers, self.closed = 0, False

    def sendall(self, data) -> None:
        with memoryview(data) as view, view.cast("B") as octets:
            sent = 0
            while sent < len(octets):
                self.sock.settimeout(self.deadline.left())
                sent += self.sock.send(octets[sent : sent + 16384])

    def makefile(self, mode: str = "rb", *args, **kwargs) -> io.BufferedReader:
        if mode != "rb":
            raise ValueError("only reading")
        self.readers += 1
        return io.BufferedReader(_DeadlineReader(self))

    def close(self) -> None:
        # Like socket.makefile(): the socket closes when the answer being read is closed too
        # (http.client closes the connection right after the headers of a "Connection: close" answer).
        self.closed = True
        if self.readers <= 0:
            self.sock.close()

    def _reader_closed(self) -> None:
        self.readers -= 1
        if self.closed and self.readers <= 0:
            self.sock.close()


class _DeadlineReader(io.RawIOBase):
    """Reads from a _DeadlineSocket: the socket's timeout is set to the time left before each read,
    and after ``limit`` bytes it reports the end of the answer."""

    def __init__(self, owner: _DeadlineSocket) -> None:
        super().__init__()
        self.owner = owner
        self.left_to_read = owner.limit

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        if not self.closed:
            self.owner._reader_closed()
        super().close()

    def readinto(self, buffer) -> int:
        if self.left_to_read <= 0:
            return 0
        with memoryview(buffer) as view, view.cast("B") as octets:
            self.owner.sock.settimeout(self.owner.deadline.left())
            count = self.owner.sock.recv_into(octets[: min(len(octets), self.left_to_read)])
        self.left_to_read -= count
        return count


def _connect(address: str, port: int, deadline: _Deadline) -> socket.socket:
    return socket.create_connection((address, port), deadline.left())


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, not to whatever the name resolves to now; every
    step of the attempt ends at ``deadline``."""

    def __init__(self, host: str, port: int, *, address: str, deadline: _Deadline) -> None:
        super().__init__(host, port, timeout=deadline.seconds)
        self.pinned_address, self.deadline = address, deadline

    def connect(self) -> None:
        sock = _connect(self.pinned_address, self.port, self.deadline)
        self.sock = _DeadlineSocket(sock, self.deadline, limit=MAX_RESPONSE_BYTES)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """The same over TLS: the certificate is still checked against the configured host name."""

    def __init__(self, host: str, port: int, *, address: str, deadline: _Deadline) -> None:
        super().__init__(host, port, timeout=deadline.seconds, context=ssl.create_default_context())
        self.pinned_address, self.deadline = address, deadline

    def connect(self) -> None:
        sock = _connect(self.pinned_address, self.port, self.deadline)
        try:
            sock.settimeout(self.deadline.left())  # the whole handshake ends by then
            sock = self._context.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise
        self.sock = _DeadlineSocket(sock, self.deadline, limit=MAX_RESPONSE_BYTES)


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float | None = None) -> int:
    """POSTs ``body`` to ``url`` once, through the SSRF guard, without following redirects.

    The whole attempt — name lookup, connection, sending, the complete answer — must fit in
    ``timeout`` seconds (default BALIE_WEBHOOK_TIMEOUT_SECONDS). Returns the status code. Raises
    TemporaryFailure when nothing can have arrived (no connection), OutcomeUnknown when the
    request went out but no complete answer came in time.
    """
    deadline = _Deadline(float(settings.BALIE_WEBHOOK_TIMEOUT_SECONDS if timeout is None else timeout))
    scheme, host, port, target = check_url(url)
    address = resolve_target(host, port, timeout=deadline.at - time.monotonic())
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(host, port, address=address, deadline=deadline)
    response = None
    try:
        try:
            connection.connect()
            connection.request("POST", target, body=body, headers=headers)
        except (OSError, http.client.HTTPException) as error:
            raise TemporaryFailure(
                _("No connection to %(host)s: %(error)s") % {"host": host, "error": str(error) or type(error).__name__}
            ) from error
        try:
            response = connection.getresponse()
            response.read(MAX_RESPONSE_BYTES)  # the whole answer (up to the limit), before the deadline
        except (OSError, http.client.HTTPException) as error:
            raise OutcomeUnknown(
                _("%(host)s did not answer within %(seconds)s seconds: %(error)s")
                % {"host": host, "seconds": f"{deadline.seconds:g}", "error": str(error) or type(error).__name__}
            ) from error
        return response.status
    finally:
        if response is not None:
            response.close()
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
