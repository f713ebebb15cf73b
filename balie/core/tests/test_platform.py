"""Configuration, headers, health, the development outbox and the demo."""

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from balie.accounts.models import User
from balie.clients.models import Client
from balie.firms.models import Firm
from balie.notifications.models import DevOutboxMessage

ROOT = Path(__file__).resolve().parents[3]
SUBPROCESS_TIMEOUT = 600  # seconds: only stops a hang; starting Django takes long on a busy machine
STRONG_KEY = "k" * 20 + "Zq8#vR2!mT5@wX9$pL3%nB7^dF1&hJ4*"


def run_balie(*args, env_overrides: dict, cwd=ROOT) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BALIE_", "DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"))
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "-m", "balie", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=SUBPROCESS_TIMEOUT,
    )


PRODUCTION = {
    "BALIE_ENV": "production",
    "SECRET_KEY": STRONG_KEY,
    "DEBUG": "false",
    "ALLOWED_HOSTS": "portal.example.test",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
    "EMAIL_HOST": "smtp.example.test",
    "BALIE_SITE_URL": "https://portal.example.test",
    "BALIE_ENCRYPTION_KEYS": "5bHfKB7n2kUq8M0bJ5tI3y0Cw3mZgkq2b9z2JvWkJxQ=",
}


@pytest.mark.once
@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY is not set"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY is too weak"),
        ({"DEBUG": "true"}, "DEBUG is on"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS is empty"),
        ({"ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS has a wildcard"),
        ({"ALLOWED_HOSTS": "portal.example.test,.example.test"}, "ALLOWED_HOSTS has a wildcard"),
        ({"ALLOWED_HOSTS": "portal.example.test,*.example.test"}, "ALLOWED_HOSTS has a wildcard"),
        ({"ALLOWED_HOSTS": "balie.example.test"}, "portal.example.test is not in ALLOWED_HOSTS"),
        ({"BALIE_SITE_URL": "http://127.0.0.1:8000"}, "BALIE_SITE_URL=https://"),
        ({"REDIS_URL": ""}, "without REDIS_URL"),
        ({"BALIE_ENCRYPTION_KEYS": ""}, "BALIE_ENCRYPTION_KEYS is not set"),
    ],
)
def test_production_refuses_an_insecure_configuration(missing, message, tmp_path):
    result = run_balie("check", env_overrides={**PRODUCTION, **missing, "BALIE_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "refuses to start" in result.stderr
    assert message in result.stderr


@pytest.mark.once
def test_production_check_deploy_is_clean(tmp_path):
    result = run_balie(
        "check", "--deploy", "--fail-level", "WARNING", env_overrides={**PRODUCTION, "BALIE_DATA_DIR": str(tmp_path)}
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


@pytest.mark.once
def test_sqlite_runs_in_wal_mode_and_concurrent_writers_never_see_locked(tmp_path):
    script = textwrap.dedent(
        """
        import threading, django
        django.setup()
        from django.core.management import call_command
        from django.db import connection, transaction
        from balie.firms.models import Firm
        call_command("migrate", verbosity=0)
        with connection.cursor() as c:
            c.execute("PRAGMA journal_mode")
            print("mode", c.fetchone()[0])
        firm = Firm.objects.create(name="Teller", slug="teller")
        errors = []
        def writer(n):
            try:
                for i in range(40):
                    with transaction.atomic():
                        f = Firm.objects.get(pk=firm.pk)  # read, then write in one transaction
                        Firm.objects.filter(pk=f.pk).update(email_sender_name=f"{n}-{i}")
                        Firm.objects.create(name=f"w{n}-{i}", slug=f"w{n}-{i}")
            except Exception as e:
                errors.append(repr(e))
            finally:
                connection.close()
        threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        print("errors", len(errors), errors[:1])
        print("rows", Firm.objects.count())
        """
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update({"DJANGO_SETTINGS_MODULE": "balie.settings", "BALIE_DATA_DIR": str(tmp_path)})
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=ROOT, timeout=SUBPROCESS_TIMEOUT
    )
    assert result.returncode == 0, result.stderr
    assert "mode wal" in result.stdout
    assert "errors 0" in result.stdout, result.stdout
    assert "rows 241" in result.stdout


@pytest.mark.django_db
def test_health_reports_database_cache_and_storage(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok", "storage": "ok", "email": "ok"}


@pytest.mark.django_db
def test_health_names_the_broken_part(client, monkeypatch):
    from balie.core.views import system as views

    def broken():
        raise OSError("disk gone")

    monkeypatch.setitem(views.CHECKS, "storage", broken)
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["storage"] == "error"
    assert response.json()["database"] == "ok"


@pytest.mark.django_db
def test_every_response_has_csp_nosniff_and_frame_protection(client, personas):
    for url in ("/accounts/login/", "/health"):
        response = client.get(url)
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_token_pages_are_not_stored_even_before_signing_in(client, personas):
    from balie.clients.services import invitation_create

    invitation_create(client=personas.company, actor=personas.staff.user, email="nieuw@example.test")
    link = re.search(r"/uitnodiging/[\w-]+/", DevOutboxMessage.objects.get().body_text).group(0)
    for url in (link, "/accounts/login/", "/accounts/password/reset/"):
        assert "no-store" in client.get(url)["Cache-Control"], url


@pytest.mark.django_db
def test_token_pages_send_their_address_to_balie_alone(client, personas):
    """Links with a token in the address keep it from other sites (same-origin), yet their forms
    post with a real Origin: with "no-referrer" a browser sends "Origin: null" and CSRF refuses."""
    from balie.accounts.services import email_change_request
    from balie.clients.services import invitation_create

    invitation_create(client=personas.company, actor=personas.staff.user, email="nieuw@example.test")
    client.post(reverse("account_reset_password"), {"email": personas.employee.email})
    email_change_request(user=personas.client_user, email="pieter@nieuw.test")
    mails = "\n".join(DevOutboxMessage.objects.values_list("body_text", flat=True))
    links = [
        re.search(pattern, mails).group(0)
        for pattern in (
            r"/uitnodiging/[\w-]+/",
            r"/accounts/password/reset/key/\S+/",
            r"/mijn-gegevens/e-mailadres/bevestigen/\S+/",
        )
    ]
    for number, link in enumerate(links):
        if number == 2:
            client.force_login(personas.client_user)  # the e-mail change is confirmed signed in
        response = client.get(link, follow=True)
        assert response.status_code == 200, link
        assert response["Referrer-Policy"] == "same-origin", link


@pytest.mark.django_db
def test_authenticated_pages_are_not_stored(client, personas):
    client.force_login(personas.client_user)
    response = client.get(reverse("home:client", args=[personas.company.public_id]))
    assert "no-store" in response["Cache-Control"]


@pytest.mark.once
def test_production_responses_carry_hsts_csp_and_host_cookies(tmp_path):
    """A request served with the real production settings (sign-in page and a signed-in page)."""
    script = textwrap.dedent(
        """
        import django
        django.setup()
        from django.core.management import call_command
        from django.test import Client
        from balie.accounts.models import User
        call_command("migrate", verbosity=0)
        User.objects.create_user("p@example.test", "een lang wachtwoord")
        c = Client(HTTP_HOST="portal.example.test")
        r = c.get("/health")
        print("health-http", r.status_code)
        r = c.post("/accounts/login/", {"login": "p@example.test", "password": "een lang wachtwoord"}, secure=True)
        for name in ("Strict-Transport-Security", "Content-Security-Policy", "X-Content-Type-Options",
                     "Referrer-Policy", "X-Frame-Options"):
            print(name, "=", r.headers.get(name))
        m = r.cookies["__Host-balie_session"]
        print("cookie", bool(m["secure"]), bool(m["httponly"]), m["path"], m["domain"] or "-")
        r = c.get("/mijn-gegevens/", secure=True)
        print("profile", r.status_code, r.headers.get("Cache-Control"))
        """
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BALIE_", "DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"))
    }
    env.update({**PRODUCTION, "REDIS_URL": "", "BALIE_ALLOW_LOCAL_CACHE": "true", "BALIE_DATA_DIR": str(tmp_path)})
    env["BALIE_JOBS_BACKEND"] = "inprocess"
    env["ALLOWED_HOSTS"] = "portal.example.test"
    env["DJANGO_SETTINGS_MODULE"] = "balie.settings"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=ROOT, timeout=SUBPROCESS_TIMEOUT
    )
    assert result.returncode == 0, result.stderr
    out = dict(line.split(" = ", 1) for line in result.stdout.splitlines() if " = " in line)
    assert out["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "frame-ancestors 'none'" in out["Content-Security-Policy"]
    assert out["X-Content-Type-Options"] == "nosniff"
    assert out["Referrer-Policy"] == "same-origin"
    assert out["X-Frame-Options"] == "DENY"
    assert "cookie True True / -" in result.stdout
    assert "profile 200 no-store, private" in result.stdout
    assert "health-http 200" in result.stdout  # load balancers probe over http without a redirect


def test_production_settings_module_has_secure_cookie_values():
    script = (
        "import balie.settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_NAME, s.SECURE_HSTS_SECONDS, "
        "s.BALIE_DEV_OUTBOX)"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env.update(PRODUCTION)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=ROOT)
    assert result.stdout.split() == ["True", "True", "__Host-balie_session", "31536000", "False"], result.stderr


@pytest.mark.django_db
def test_dev_outbox_shows_mails_with_clickable_links(client):
    from django.core.mail import send_mail

    send_mail("Uitnodiging", "Open https://example.test/uitnodiging/abc/ om te starten", None, ["a@example.test"])
    message = DevOutboxMessage.objects.get()
    listing = client.get(reverse("notifications:dev_outbox")).content.decode()
    assert "Uitnodiging" in listing
    detail = client.get(reverse("notifications:dev_outbox_message", args=[message.pk])).content.decode()
    assert 'href="https://example.test/uitnodiging/abc/"' in detail


@pytest.mark.django_db
def test_dev_outbox_is_404_when_off(client, settings):
    settings.BALIE_DEV_OUTBOX = False
    DevOutboxMessage.objects.create(recipients="a@example.test", subject="x")
    assert client.get(reverse("notifications:dev_outbox")).status_code == 404
    assert client.get(reverse("notifications:dev_outbox_message", args=[1])).status_code == 404


@pytest.mark.django_db
def test_demo_loads_firms_that_never_share_and_prints_working_logins(capsys, settings):
    settings.BALIE_SITE_URL = settings.BALIE_SITE_URL  # whatever the command sets ends with the test
    call_command("demo", "--no-serve")
    output = capsys.readouterr().out
    lines = [line.split() for line in output.splitlines() if line.startswith(("staff ", "client "))]
    assert [line[0] for line in lines] == ["staff", "staff", "client", "client", "staff", "client", "client"]
    assert Firm.objects.count() == 2
    for role, email, password in lines:
        user = User.objects.get(email=email)
        assert user.check_password(password)
        assert (role == "staff") == hasattr(user, "staff_member")
    pieter = User.objects.get(email=lines[2][1])
    kinds = sorted(Client.objects.filter(memberships__user=pieter).values_list("kind", flat=True))
    assert kinds == ["company", "holding", "personal"]
    second = User.objects.get(email=lines[3][1])
    assert not set(Client.objects.filter(memberships__user=second)) & set(
        Client.objects.filter(memberships__user=pieter)
    )
    other = Firm.objects.get(slug="notariskantoor-hoekstra")
    assert other.primary_colour != Firm.objects.get(slug="van-dijk-partners").primary_colour
    assert Client.objects.filter(firm=other).count() == 1
    # The VAT return's Akkoord, the annual accounts to sign, a reply, the company details to review, the
    # holding's draft accounts to approve and the bank's annual statement to supply (overdue).
    from balie.todos.models import Todo
    from balie.todos.selectors import todo_list_for_user
    from balie.todos.services import todo_url

    assert sorted(todo_list_for_user(user=pieter).values_list("kind", flat=True)) == [
        "approve",
        "approve",
        "reply",
        "review",
        "sign",
        "upload",
    ]
    assert [todo.kind for todo in todo_list_for_user(user=second)] == ["upload", "approve"]
    # Every task of the demo opens a page where it is done: none is about the environment itself.
    assert all(todo_url(todo) for todo in Todo.objects.filter(status="open"))
    from balie.twostep.selectors import has_sign_in_factor, pending_pin_letter, twostep_required

    assert has_sign_in_factor(user=pieter)  # signs in with an SMS code
    assert pending_pin_letter(user=second) is not None
    assert twostep_required(user=User.objects.get(email=lines[5][1]))
    assert "PIN 246810" in output
    from balie.dossiers.models import Document
    from balie.dossiers.selectors import tab_unread_counts

    company = Client.objects.get(name__startswith="Bakker Installatie")
    dossier = company.dossiers.get()
    assert dossier.folders.count() == 5 and dossier.checklist.count() == 4
    # With the VAT return of Q2 (approvals demo), the annual accounts and the publication documents (signing),
    # the company details to review (tasks).
    assert Document.objects.filter(client=company).count() == 8
    assert tab_unread_counts(dossier=dossier, user=pieter) == {"correspondence": 0, "firm": 5, "client": 0}
    invitation = DevOutboxMessage.objects.get(recipients="lisa.mulder@bakker-installatie.example")
    assert "/uitnodiging/" in invitation.body_text
    # Organisation: contact persons, a bookkeeper until 31 December, a change request waiting.
    from balie.clients.models import ChangeLogEntry, ChangeRequest, ContactPerson

    assert set(ContactPerson.objects.filter(client=company).values_list("last_name", flat=True)) == {
        "Bakker",
        "Bakker-de Boer",
        "Smit",
        "Mulder",
    }
    kees = ContactPerson.objects.get(client=company, last_name="Smit").membership
    assert (kees.role, kees.ends_on.month, kees.ends_on.day) == ("employee", 12, 31)
    assert ChangeRequest.objects.get(client=company, status="pending").new_values["street"] == "Ambachtsweg 8"
    assert ChangeLogEntry.objects.filter(client=company, via="request").exists()
    assert Client.objects.get(pk=company.parent_id).effective_change_policy == "direct"
    # Approvals: the VAT return waits for Pieter, Q2 was not approved, the holding's return is ready to send.
    from balie.approvals.models import Request

    statuses = dict(Request.objects.values_list("document__title", "status"))
    year = timezone.localdate().year
    assert statuses[f"Btw-aangifte Q3 {year}"] == "open"
    assert statuses[f"Btw-aangifte Q2 {year}"] == "rejected"
    assert statuses[f"Aangifte vennootschapsbelasting {year - 1}"] == "ready_to_send"
    assert statuses[f"Aangifte inkomstenbelasting {year - 1}"] == "open"
    # Signing: Sanne signed the BV's accounts for the firm, Pieter is next; the publication waits for it;
    # the holding's letter of representation is signed, its signed PDF the newest version.
    from balie.signing import pdf, sealing, seals
    from balie.signing.models import SignedFile

    assert statuses[f"Jaarrekening {year - 1}"] == "open"
    assert statuses[f"Publicatiestukken {year - 1}"] == "waiting"
    assert statuses[f"Bevestiging bij de jaarrekening {year - 1}"] == "signed"
    letter = SignedFile.objects.get(request__document__title=f"Bevestiging bij de jaarrekening {year - 1}")
    assert letter.version.document.current_version == letter.version
    assert pdf.verify(sealing.read_signed(letter), trust_roots=seals.trust_roots()).trusted
    accounts = SignedFile.objects.get(request__document__title=f"Jaarrekening {year - 1}")
    assert accounts.sealed == 1 and accounts.version is None
    # Messages: Sanne's answer waits for Pieter, Fatima's question (with her statement) for the firm.
    from balie.messaging.models import Thread

    threads = dict(Thread.objects.values_list("subject", "waiting_on"))
    assert threads["Bijtelling auto van de zaak"] == "client"
    assert threads["Jaaropgave 2025 en hypotheekrente"] == "firm"
    fatima_thread = Thread.objects.get(subject="Jaaropgave 2025 en hypotheekrente")
    assert fatima_thread.messages.filter(internal=True).count() == 1
    assert fatima_thread.messages.get(internal=False).attachments.count() == 1
    call_command("demo", "--no-serve")  # a second run keeps what is there
    assert Firm.objects.count() == 2


def email_links() -> list[str]:
    """Every link in every e-mail in the outbox (text and HTML), as sent and as caught."""
    from balie.notifications.models import OutboxMessage

    bodies = [
        body
        for model in (OutboxMessage, DevOutboxMessage)
        for row in model.objects.filter(channel="email").values_list("body_text", "body_html")
        for body in row
    ]
    return [link for body in bodies for link in re.findall(r"""https?://[^\s"'<>]+""", body)]


@pytest.mark.django_db
def test_the_demo_on_another_port_links_every_email_there(capsys, monkeypatch, settings):
    monkeypatch.delenv("BALIE_SITE_URL", raising=False)
    settings.BALIE_SITE_URL = "http://127.0.0.1:8000"  # the default; the command's change ends with the test
    call_command("demo", "--no-serve", "--port", "8080")
    links = email_links()
    assert any("/uitnodiging/" in link for link in links)  # the invitation the demo data sends
    assert {link for link in links if not link.startswith("http://127.0.0.1:8080/")} == set()
    assert "Balie: http://127.0.0.1:8080/" in capsys.readouterr().out


@pytest.mark.django_db
def test_an_explicit_site_url_wins_over_the_demo_port(capsys, monkeypatch, settings):
    monkeypatch.setenv("BALIE_SITE_URL", "https://portal.example.test")
    settings.BALIE_SITE_URL = "https://portal.example.test"
    call_command("demo", "--no-serve", "--port", "8080")
    links = email_links()
    assert any("/uitnodiging/" in link for link in links)
    assert {link for link in links if not link.startswith("https://portal.example.test/")} == set()
    assert "Links in e-mails: https://portal.example.test/" in capsys.readouterr().out


def test_the_demo_refuses_production_and_leaves_the_site_url_alone(settings):
    settings.PRODUCTION = True
    settings.BALIE_SITE_URL = "https://portal.example.test"
    with pytest.raises(SystemExit):
        call_command("demo", "--no-serve", "--port", "8080")
    assert settings.BALIE_SITE_URL == "https://portal.example.test"


def test_every_environment_variable_is_documented():
    source = (ROOT / "balie" / "settings.py").read_text()
    names = set(re.findall(r'env_(?:str|bool|int|list)\("([A-Z_]+)"', source))
    readme = (ROOT / "README.md").read_text()
    example = (ROOT / ".env.example").read_text()
    assert len(names) > 15
    assert {n for n in names if f"`{n}`" not in readme and f"{n}`" not in readme} == set()
    assert {n for n in names if f"\n{n}=" not in example} == set()
