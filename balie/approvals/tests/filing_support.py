"""What the filing tests share: approved requests made directly with the models, and a tiny local
HTTP receiver running in a thread."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.core.files.uploadedfile import SimpleUploadedFile

from balie.approvals.models import Decision, Request
from balie.approvals.states import Status
from balie.dossiers.tests.utils import PDF

SECRET = "whsec_test-secret-0123456789abcdef"


def connect_software(firm, *, url: str = "https://software.example.nl/balie", secret: str = SECRET):
    """The firm's software webhook, stored directly (an address and an encrypted secret)."""
    from balie.approvals.models import Receiver
    from balie.twostep import crypto

    return Receiver.objects.update_or_create(
        firm=firm, defaults={"webhook_url": url, "webhook_secret": crypto.encrypt(secret) if secret else ""}
    )[0]


def approved_request(p, *, after: str, title: str = "Aangifte omzetbelasting Q3 2025", status=Status.APPROVED):
    """A VAT return of the company, approved by the client user (a director)."""
    from balie.dossiers.services import document_add, dossier_create

    dossier = dossier_create(client=p.company, description="Belastingen 2025")
    upload = SimpleUploadedFile("aangifte.pdf", PDF, content_type="application/pdf")
    document = document_add(
        dossier=dossier,
        upload=upload,
        direction="firm",
        actor=p.staff.user,
        title=title,
        doc_type="vat_return",
        year=2025,
    )
    approval = Request.objects.create(
        client=p.company,
        document=document,
        version=document.current_version,
        audience="directors",
        after=after,
        status=status,
        created_by=p.staff.user,
    )
    Decision.objects.create(
        request=approval,
        user=p.client_user,
        outcome=Decision.Outcome.APPROVED,
        comment="Akkoord",
        factor="sms",
        version_sha256=document.current_version.sha256,
        ip_address="192.0.2.10",
    )
    return approval


def wait_for_requests(requests: list, count: int = 1, *, within: float = 60) -> list:
    """``requests`` once a receiver thread recorded ``count`` of them: a caller that gave up waiting
    for the answer can be done before the receiver (on a busy machine) has read the request."""
    deadline = time.monotonic() + within
    while len(requests) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return requests


class LocalReceiver:
    """An HTTP server on 127.0.0.1 that records each POST and answers from ``statuses`` (then 200)."""

    def __init__(self, statuses=(), *, delay: float = 0.0) -> None:
        self.statuses = list(statuses)
        self.delay = delay
        self.received: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", f"http://127.0.0.1:{self.server.server_port}/elsewhere")
                self.send_header("Content-Length", "2")
                try:
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:  # the caller gave up waiting (a timeout test)
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/balie/events"

    def events(self) -> list[dict]:
        return [json.loads(item["body"]) for item in self.received]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


_RESERVED_PORTS: list[socket.socket] = []  # bound, never listening: kept for the whole test run


def closed_port_url() -> str:
    """An address where nothing listens: the receiver is down.

    The port stays bound (without listening, so a connection is refused): a receiver started
    meanwhile by this or another test process cannot be given the same port and answer.
    """
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    _RESERVED_PORTS.append(sock)
    return f"http://127.0.0.1:{sock.getsockname()[1]}/balie/events"


class DripReceiver:
    """A receiver on 127.0.0.1 that reads each request and then answers ``answer`` one byte every
    ``gap`` seconds (a slow or hostile receiver); ``hold`` keeps the connection open afterwards."""

    def __init__(self, answer: bytes, *, gap: float = 0.1, hold: bool = False) -> None:
        self.answer, self.gap, self.hold = answer, gap, hold
        self.requests: list[bytes] = []
        self.stopping = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}/balie/events"

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _address = self.listener.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            request = b""
            try:
                while b"\r\n\r\n" not in request:
                    request += conn.recv(65536)
                head, _sep, body = request.partition(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":", 1)[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                while len(body) < length:
                    body += conn.recv(65536)
                self.requests.append(request)
                if self.gap:
                    for octet in self.answer:
                        if self.stopping.wait(self.gap):
                            return
                        conn.sendall(bytes([octet]))
                else:
                    conn.sendall(self.answer)
                if self.hold:
                    self.stopping.wait(30)
            except OSError:  # the caller gave up
                pass

    def close(self) -> None:
        self.stopping.set()
        self.listener.close()
