"""Shared test set-up: personas, fast hashing, a clean cache, and the browser for journeys."""

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from playwright.sync_api import expect

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # ORM in Playwright's sync tests

pytest_plugins = ["balie.audit.tests.plugin"]

from balie.accounts.factories import TEST_PASSWORD, UserFactory  # noqa: E402
from balie.clients.factories import ClientFactory, MembershipFactory  # noqa: E402
from balie.clients.models import Client, Membership  # noqa: E402
from balie.firms.factories import FirmFactory, StaffMemberFactory  # noqa: E402
from balie.firms.models import StaffMember  # noqa: E402

settings.DATA_DIR.mkdir(parents=True, exist_ok=True)  # home of the SQLite test database


def _redis_per_worker() -> None:
    """Parallel test processes (pytest-xdist) each get their own Redis database, as they get their
    own test database from pytest-django: one process clearing its cache must not wipe another's
    throttle counters, and a Celery test must not consume another process's jobs."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not settings.REDIS_URL or not worker.startswith("gw"):
        return
    parts = urlsplit(settings.REDIS_URL)
    base = int(parts.path.strip("/") or 0)
    number = base - int(worker[2:])  # gw0 keeps the configured database, gw1 the one below it, ...
    if number < 0:
        raise pytest.UsageError(f"too many test processes for Redis database {base}: use fewer (-n)")
    url = urlunsplit(parts._replace(path=f"/{number}"))
    settings.REDIS_URL = settings.CELERY_BROKER_URL = url
    settings.CACHES["default"]["LOCATION"] = url


_redis_per_worker()

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(autouse=True)
def _deliver_mail_at_once(request, monkeypatch, settings):
    """Tests run inside a transaction that never commits, so the outbox's "deliver after commit"
    runs at once instead, with jobs in the caller. Tests marked ``real_on_commit`` keep the real
    behaviour (delivery requested only when the transaction commits)."""
    settings.BALIE_JOBS_BACKEND = "immediate"
    if "real_on_commit" not in request.keywords:
        monkeypatch.setattr("balie.notifications.outbox.on_commit", lambda func, **kwargs: func())
        monkeypatch.setattr("balie.notifications.services.on_commit", lambda func, **kwargs: func())
        monkeypatch.setattr("balie.accounts.services.on_commit", lambda func, **kwargs: func())
        monkeypatch.setattr("balie.audit.signals.on_commit", lambda func, **kwargs: func())


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    from django.core.cache import cache
    from django.utils import translation

    translation.deactivate()  # a language a test (or a request it made) left active stays there

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Django's test runner swaps in its in-memory mail backend; Balie's tests read the dev outbox.
    settings.EMAIL_BACKEND = "balie.notifications.backends.DevOutboxEmailBackend"
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()


QUERY_COUNTING_FIXTURES = {"django_assert_num_queries", "django_assert_max_num_queries"}


@pytest.fixture
def still_clock():
    """The clock stands still for the whole test, from before anyone signs in.

    For outcomes that would otherwise depend on how long the steps of a test took on a busy
    machine: a signed-in request renews the session (one extra UPDATE, plus the session save)
    when over BALIE_SESSION_TOUCH_SECONDS passed since the last renewal, so query counts would
    depend on speed; a code of the authenticator app belongs to a 30-second window; "today"
    changes at midnight.
    """
    import time_machine
    from django.utils import timezone

    with time_machine.travel(timezone.now(), tick=False):
        yield


@pytest.fixture(autouse=True)
def _still_clock_when_counting_queries(request):
    """Tests that count queries run with ``still_clock`` (set up before the fixtures that sign in)."""
    if QUERY_COUNTING_FIXTURES & set(request.fixturenames):
        request.getfixturevalue("still_clock")


@dataclass
class Personas:
    """Firm A with staff and a client user in three environments; a Medewerker; an outsider at firm B."""

    firm: object
    staff: StaffMember
    client_user: object
    private: Client
    company: Client
    holding: Client
    employee: object
    other_firm: object
    outsider_staff: StaffMember
    outsider: object
    outsider_client: Client

    password: str = TEST_PASSWORD


@pytest.fixture
def personas(db) -> Personas:
    firm = FirmFactory(name="Van Dijk", slug="van-dijk")
    staff = StaffMemberFactory(firm=firm, role=StaffMember.Role.ADMIN, user__email="staff@firm-a.test")
    client_user = UserFactory(email="client@firm-a.test", first_name="Pieter")
    holding = ClientFactory(firm=firm, kind=Client.Kind.HOLDING, name="Bakker Holding B.V.")
    company = ClientFactory(firm=firm, kind=Client.Kind.COMPANY, name="Bakker B.V.", parent=holding)
    private = ClientFactory(firm=firm, kind=Client.Kind.PERSONAL, name="P. Bakker (privé)")
    for client in (holding, company, private):
        MembershipFactory(user=client_user, client=client, role=Membership.Role.ADMIN, is_director=True)
    company.relationship_managers.add(staff)
    employee = UserFactory(email="employee@firm-a.test")
    MembershipFactory(user=employee, client=company, role=Membership.Role.EMPLOYEE)

    other_firm = FirmFactory(name="Hoekstra", slug="hoekstra")
    outsider_staff = StaffMemberFactory(firm=other_firm, user__email="staff@firm-b.test")
    outsider = UserFactory(email="client@firm-b.test")
    outsider_client = ClientFactory(firm=other_firm, kind=Client.Kind.COMPANY, name="Visser B.V.")
    MembershipFactory(user=outsider, client=outsider_client, role=Membership.Role.ADMIN)
    return Personas(
        firm=firm,
        staff=staff,
        client_user=client_user,
        private=private,
        company=company,
        holding=holding,
        employee=employee,
        other_firm=other_firm,
        outsider_staff=outsider_staff,
        outsider=outsider,
        outsider_client=outsider_client,
    )


SYSTEM_CHROMIUM = "/usr/bin/chromium"


def _chromium_executable(playwright) -> str | None:
    """None for Playwright's own Chromium, else Debian's; skip (or, with CI=true, fail) without either."""
    own = Path(playwright.chromium.executable_path)
    if own.exists():
        return None  # Playwright's own build: no path needed
    system = shutil.which("chromium") or (SYSTEM_CHROMIUM if Path(SYSTEM_CHROMIUM).exists() else None)
    if system:
        return system
    reason = "no Chromium: install Playwright's Chromium or Debian's chromium package to run browser tests"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason + " (CI=true: browser tests may not be skipped)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, playwright):
    executable = _chromium_executable(playwright)
    args = {**browser_type_launch_args, "args": CHROMIUM_ARGS}
    if executable:
        args["executable_path"] = executable
    return args


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "nl-NL"}


# A busy machine may take seconds to answer a click: waits end when the page is ready, and these
# bounds only stop a test that would otherwise hang. No assertion depends on how long a step took.
BROWSER_WAIT_MS = 60_000
expect.set_options(timeout=BROWSER_WAIT_MS)


@pytest.fixture
def context(context):
    context.set_default_timeout(BROWSER_WAIT_MS)
    context.set_default_navigation_timeout(BROWSER_WAIT_MS)
    return context


# -- ClamAV (SEC-3): a real clamd with one local signature, since the Debian package ships none --

CLAMD_START_TIMEOUT = 120  # seconds; loading even one signature takes clamd a few
CLAMD_STREAM_MAX = 1024 * 1024  # small, so the size-limit answer can be tested with a small file


@dataclass
class Clamd:
    socket: str
    tcp: str
    stream_max_bytes: int


@pytest.fixture(scope="session")
def clamd_server(tmp_path_factory):
    """clamd on a temporary UNIX socket (and a local TCP port), knowing EICAR from a custom ``.ndb`` signature.

    Skips without clamd (with CI=true: fails). Stopped, by its process id, after the session.
    """
    import socket
    import subprocess
    import time

    from balie.core import clamav
    from balie.dossiers.tests.utils import EICAR

    binary = shutil.which("clamd") or ("/usr/sbin/clamd" if Path("/usr/sbin/clamd").exists() else None)
    if not binary:
        reason = "no clamd: install Debian's clamav-daemon package to run the virus scan tests"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + " (CI=true: virus scan tests may not be skipped)")
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("clamd")
    database = folder / "db"
    database.mkdir()
    (database / "balie-test.ndb").write_text(f"Balie.Test.EICAR:0:*:{EICAR[:44].hex()}\n")
    sock = folder / "clamd.sock"
    with socket.socket() as probe:  # a free port for the tcp:// address
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = folder / "clamd.conf"
    config.write_text(
        f"DatabaseDirectory {database}\n"
        f"LocalSocket {sock}\n"
        f"TCPSocket {port}\n"
        "TCPAddr 127.0.0.1\n"
        f"TemporaryDirectory {folder}\n"
        f"StreamMaxLength {CLAMD_STREAM_MAX}\n"
        "Foreground yes\n"
        "LogTime no\n"
    )
    log = (folder / "clamd.log").open("wb")
    process = subprocess.Popen([binary, "-c", str(config)], stdout=log, stderr=subprocess.STDOUT)
    tcp = f"tcp://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + CLAMD_START_TIMEOUT
        while not (sock.exists() and clamav.ping(str(sock), timeout=5) and clamav.ping(tcp, timeout=5)):
            if process.poll() is not None:
                pytest.fail(f"clamd exited with {process.returncode}: {(folder / 'clamd.log').read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(
                    f"clamd did not answer within {CLAMD_START_TIMEOUT} s: {(folder / 'clamd.log').read_text()}"
                )
            time.sleep(0.2)
        yield Clamd(socket=str(sock), tcp=tcp, stream_max_bytes=CLAMD_STREAM_MAX)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture
def clamav(clamd_server, settings):
    """Every stored file is scanned by the test clamd; scanner errors refuse the file."""
    settings.BALIE_CLAMAV_SOCKET = clamd_server.socket
    settings.BALIE_CLAMAV_ON_ERROR = "refuse"
    return clamd_server
