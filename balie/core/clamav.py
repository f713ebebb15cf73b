"""A small client for ClamAV's daemon (clamd): the INSTREAM command over a UNIX or TCP socket.

The protocol is short enough to speak directly: ``zINSTREAM\\0``, then the file in chunks of
``<4-byte big-endian length><bytes>``, then four zero bytes; clamd answers ``stream: OK`` or
``stream: <name> FOUND`` (or ``... ERROR``). The file is read and sent chunk by chunk, never held
whole in memory. clamd stops reading once a stream passes its ``StreamMaxLength`` and answers
``INSTREAM size limit exceeded``: that is StreamTooLarge here, never a clean file.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

CHUNK_BYTES = 64 * 1024
TIMEOUT_SECONDS = 60.0


class ScannerError(Exception):
    """clamd could not be reached or could not scan the file (the file's state is unknown)."""


class StreamTooLarge(ScannerError):
    """clamd stopped reading the file before its end (past its StreamMaxLength): unlike an outage,
    the sender controls this, by padding a file, so it must never let a file through unscanned."""


@dataclass(frozen=True)
class ScanResult:
    virus: str = ""  # the signature's name when something was found

    @property
    def infected(self) -> bool:
        return bool(self.virus)


def _connect(address: str, timeout: float) -> socket.socket:
    """A connected socket for ``/path/to/clamd.sock`` or ``tcp://host:port``."""
    try:
        if address.startswith("tcp://"):
            host, _sep, port = address.removeprefix("tcp://").rstrip("/").rpartition(":")
            if not host or not port.isdigit():
                raise ScannerError(f"not a tcp://host:port address: {address!r}")
            return socket.create_connection((host.strip("[]"), int(port)), timeout=timeout)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(address.removeprefix("unix://"))
        except BaseException:
            sock.close()
            raise
        return sock
    except OSError as error:
        raise ScannerError(f"cannot connect to clamd at {address}: {error}") from error


def _answer(sock: socket.socket) -> str:
    data = b""
    while not data.endswith(b"\0"):
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.rstrip(b"\0").decode("utf-8", "replace").strip()


def ping(address: str, *, timeout: float = TIMEOUT_SECONDS) -> bool:
    """True when clamd answers PONG."""
    try:
        with _connect(address, timeout) as sock:
            sock.sendall(b"zPING\0")
            return _answer(sock) == "PONG"
    except (ScannerError, OSError):
        return False


def scan_stream(stream, *, address: str, timeout: float = TIMEOUT_SECONDS, chunk_size: int = CHUNK_BYTES) -> ScanResult:
    """Sends ``stream`` (read from where it stands to its end) to clamd and returns the verdict.

    Raises ScannerError when clamd cannot be reached, times out, refuses the stream (size limit) or
    answers anything but OK or FOUND.
    """
    with _connect(address, timeout) as sock:
        try:
            sock.sendall(b"zINSTREAM\0")
            for chunk in iter(lambda: stream.read(chunk_size), b""):
                sock.sendall(struct.pack("!L", len(chunk)) + chunk)
            sock.sendall(struct.pack("!L", 0))
        except (BrokenPipeError, ConnectionResetError) as error:
            # clamd hangs up early when the stream passes StreamMaxLength; its reason may be waiting.
            try:
                reason = _answer(sock)
            except OSError:
                reason = ""
            raise StreamTooLarge(f"clamd stopped reading the stream: {reason or error}") from error
        except OSError as error:
            raise ScannerError(f"sending to clamd failed: {error}") from error
        try:
            answer = _answer(sock)
        except OSError as error:
            raise ScannerError(f"no answer from clamd: {error}") from error
    if "size limit exceeded" in answer.lower():
        raise StreamTooLarge(f"clamd answered {answer!r}")
    if answer == "stream: OK":
        return ScanResult()
    if answer.startswith("stream: ") and answer.endswith(" FOUND"):
        return ScanResult(virus=answer.removeprefix("stream: ").removesuffix(" FOUND").strip())
    raise ScannerError(f"clamd answered {answer!r}")
