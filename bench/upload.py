"""Benchmark: a 2 GiB upload and download through the real URLs of a running granian server.

    uv run python bench/upload.py [--size 2GiB]

Creates a throwaway data folder (SQLite and media in a temporary folder), a firm, an environment,
a client member with a known password and a dossier, then starts the production WSGI server
(granian, one worker) on loopback with DEBUG off. Signs in through /accounts/login/ with the
standard library only, streams a random file as multipart/form-data to the client upload URL
(1 MB at a time, never held whole in memory) and times it until the answer arrives and ``sync``
has returned: the file has then been moved into the media folder, its row committed and flushed
to disk. Downloads it again through the download URL in 1 MB blocks and checks the SHA-256. For
comparison it times ``cp`` of the same file into the data folder plus ``sync``. Meanwhile it samples
the resident memory (VmRSS) of the whole granian process tree every 50 ms.

Prints one JSON object on its last line: throughput in MB/s (10^6 bytes), idle and peak server RSS
in MiB, and whether the SHA-256 of the download matches the stored one and the original.
"""

import argparse
import contextlib
import hashlib
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CHUNK = 1024 * 1024
PASSWORD = "bench-upload-Wachtwoord-2025"
EMAIL = "medewerker@upload.bench"
UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "kib": 2**10, "mib": 2**20, "gib": 2**30}


def parse_size(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", text)
    if not match or match.group(2).lower() not in UNITS:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 200MB, 2GiB)")
    return int(float(match.group(1)) * UNITS[match.group(2).lower()])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mib(value: int) -> float:
    return round(value / 2**20, 1)


def mb_per_s(size: int, seconds: float) -> float:
    return round(size / 10**6 / max(seconds, 1e-9), 1)


# -- Server memory --------------------------------------------------------------------------------
def process_tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo.extend(int(child) for child in (task / "children").read_text().split())
    return pids


def tree_rss(pid: int) -> int:
    """Resident memory of the process and all its descendants, in bytes."""
    total = 0
    for member in process_tree(pid):
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
                    break
        except OSError:
            pass
    return total


class PeakSampler:
    """Samples the server tree's RSS every 50 ms in a thread and keeps the peak."""

    def __init__(self, pid: int):
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss(self.pid))
            self._stop.wait(0.05)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, tree_rss(self.pid))


# -- HTTP with the standard library ---------------------------------------------------------------
class Browser:
    """http.client with a cookie jar: just enough to sign in and send forms."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)

    def headers(self, extra: dict | None = None) -> dict:
        headers = {"Host": f"127.0.0.1:{self.port}", **(extra or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        return headers

    def remember(self, response: http.client.HTTPResponse) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                self.cookies[name] = morsel.value

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        conn = self.connection()
        conn.request(method, path, body=body, headers=self.headers(headers))
        response = conn.getresponse()
        data = response.read()
        self.remember(response)
        conn.close()
        return response, data

    def csrf_token(self, path: str) -> str:
        response, page = self.request("GET", path)
        assert response.status == 200, (path, response.status)
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert match, f"no CSRF token on {path}"
        return match.group(1).decode()

    def sign_in(self, email: str, password: str) -> None:
        token = self.csrf_token("/accounts/login/")
        body = urlencode({"csrfmiddlewaretoken": token, "login": email, "password": password}).encode()
        response, _ = self.request(
            "POST", "/accounts/login/", body, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert response.status == 302, f"sign-in failed: {response.status}"


def upload_file(browser: Browser, path: str, fields: dict, source: Path, filename: str) -> dict:
    """A multipart/form-data POST with the file streamed from disk in 1 MB chunks."""
    boundary = f"----balie-bench-{os.urandom(12).hex()}"
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    )
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    length = len(head) + source.stat().st_size + len(tail)
    conn = browser.connection()
    conn.putrequest("POST", path, skip_host=True)
    headers = browser.headers(
        {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(length),
            "Accept": "application/json",
        }
    )
    for name, value in headers.items():
        conn.putheader(name, value)
    conn.endheaders()
    conn.send(head)
    with source.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            conn.send(chunk)
    conn.send(tail)
    response = conn.getresponse()
    answer = response.read()
    conn.close()
    assert response.status == 200, f"upload failed: {response.status} {answer[:500]!r}"
    return json.loads(answer)


def download_file(browser: Browser, path: str, target: Path) -> str:
    """Streams the download to ``target`` in 1 MB blocks; returns its SHA-256."""
    conn = browser.connection()
    conn.request("GET", path, headers=browser.headers())
    response = conn.getresponse()
    assert response.status == 200, f"download failed: {response.status}"
    digest = hashlib.sha256()
    with target.open("wb") as handle:
        while chunk := response.read(CHUNK):
            digest.update(chunk)
            handle.write(chunk)
    conn.close()
    return digest.hexdigest()


# -- The run --------------------------------------------------------------------------------------
def make_random_file(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    with path.open("wb") as handle:
        remaining = size
        while remaining:
            chunk = os.urandom(min(CHUNK, remaining))
            digest.update(chunk)
            handle.write(chunk)
            remaining -= len(chunk)
    return digest.hexdigest()


def prepare_data(size: int) -> dict:
    """Migrates the throwaway database and creates the firm, environment, member and dossier."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from balie.accounts.factories import UserFactory
    from balie.clients.factories import ClientFactory, MembershipFactory
    from balie.clients.models import Client, Membership
    from balie.dossiers import services
    from balie.firms.factories import FirmFactory

    call_command("migrate", verbosity=0)
    # A limit above the file size; quota 0 is no limit.
    firm = FirmFactory(name="Bench & Co", slug="bench", upload_max_bytes=size + CHUNK, client_quota_bytes=0)
    company = ClientFactory(firm=firm, kind=Client.Kind.COMPANY, name="Bench B.V.")
    member = UserFactory(email=EMAIL, password=PASSWORD)
    MembershipFactory(user=member, client=company, role=Membership.Role.EMPLOYEE)
    dossier = services.dossier_create(client=company, description="Doorlopend dossier")
    folder = dossier.folders.get(name="Administratie", parent=None)
    connections.close_all()
    return {"client": company.public_id, "dossier": dossier, "folder": folder.public_id}


def wait_for_server(port: int, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"granian exited with {server.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("granian did not answer /health in time")


def tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        sys.exit(f"{name} not found on PATH")
    return found


def sync() -> None:
    subprocess.run([tool("sync")], check=True)  # noqa: S603 - fixed arguments


def run(args, data_dir: Path, work: Path) -> dict:
    port = free_port()
    upload_tmp = data_dir / "upload-tmp"  # same disk as the media: storing is a move, not a copy
    upload_tmp.mkdir()
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "balie.settings",
            "BALIE_DATA_DIR": str(data_dir),
            "BALIE_UPLOAD_TEMP_DIR": str(upload_tmp),
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
        }
    )
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("BALIE_STORAGE", None)
    os.environ.pop("BALIE_FILE_DELIVERY", None)
    ids = prepare_data(args.size)

    # Random bytes sniff as application/octet-stream, which Balie accepts for .xlsx (OOXML); the
    # background text extraction then refuses it at once (not a zip) instead of parsing 2 GB.
    source = work / "source.bin"
    source_sha = make_random_file(source, args.size)
    sync()  # the source's own writes are not the upload's

    granian = shutil.which("granian") or str(Path(sys.executable).with_name("granian"))
    command = [granian, "--interface", "wsgi", "balie.wsgi:application"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--log-level", "warning"]
    server = subprocess.Popen(  # noqa: S603 - fixed arguments
        command, cwd=Path(__file__).resolve().parent.parent, env=os.environ.copy()
    )
    try:
        wait_for_server(port, server)
        browser = Browser(port)
        browser.sign_in(EMAIL, PASSWORD)
        upload_path = f"/o/{ids['client']}/dossiers/{ids['dossier'].public_id}/aanleveren/"
        token = browser.csrf_token(upload_path)
        time.sleep(1)
        idle = tree_rss(server.pid)

        with PeakSampler(server.pid) as upload_memory:
            started = time.perf_counter()
            answer = upload_file(
                browser, upload_path, {"csrfmiddlewaretoken": token, "map": ids["folder"]}, source, "groot.xlsx"
            )
            sync()
            upload_seconds = time.perf_counter() - started
        assert answer.get("ok"), answer

        from balie.dossiers.models import Document

        document = Document.objects.select_related("current_version").get(dossier=ids["dossier"])
        version = document.current_version
        stored = data_dir / "media" / version.file.name
        assert stored.stat().st_size == args.size, (stored, stored.stat().st_size)

        target = work / "download.bin"
        with PeakSampler(server.pid) as download_memory:
            started = time.perf_counter()
            download_path = f"/o/{ids['client']}/documenten/{document.public_id}/download/"
            download_sha = download_file(browser, download_path, target)
            download_seconds = time.perf_counter() - started
        target.unlink()

        started = time.perf_counter()
        subprocess.run([tool("cp"), str(source), str(data_dir / "cp-copy.bin")], check=True)  # noqa: S603
        sync()
        cp_seconds = time.perf_counter() - started
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    return {
        "server": "granian --interface wsgi --workers 1 (DEBUG off, SQLite, local disk, BALIE_FILE_DELIVERY=django)",
        "size_bytes": args.size,
        "upload_seconds": round(upload_seconds, 2),
        "upload_mb_per_s": mb_per_s(args.size, upload_seconds),
        "download_seconds": round(download_seconds, 2),
        "download_mb_per_s": mb_per_s(args.size, download_seconds),
        "cp_sync_seconds": round(cp_seconds, 2),
        "cp_mb_per_s": mb_per_s(args.size, cp_seconds),
        "idle_rss_mb": mib(idle),
        "peak_rss_upload_mb": mib(upload_memory.peak),
        "peak_rss_download_mb": mib(download_memory.peak),
        "rss_over_idle_upload_mb": mib(upload_memory.peak - idle),
        "rss_over_idle_download_mb": mib(download_memory.peak - idle),
        "sha256_ok": source_sha == version.sha256 == download_sha,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=parse_size, default=2 * 2**30, help="e.g. 200MB, 2GiB (default 2GiB)")
    args = parser.parse_args()
    if args.size <= 0:
        parser.error("--size must be more than 0 bytes")

    root = Path(tempfile.mkdtemp(prefix="balie-bench-upload-"))
    data_dir, work = root / "data", root / "work"
    data_dir.mkdir()
    work.mkdir()
    needed = 3 * args.size + 2**28  # source, stored copy and cp copy (the download is removed first)
    if shutil.disk_usage(root).free < needed:
        shutil.rmtree(root)
        sys.exit(f"not enough free disk space in {root.parent}: {mib(needed)} MiB needed")
    try:
        figures = run(args, data_dir, work)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
