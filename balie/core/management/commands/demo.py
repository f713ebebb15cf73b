import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from balie.core import demo


class Command(BaseCommand):
    help = "Creates the database, loads the demo data, prints the logins and serves Balie."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000, help="Port to serve on (default 8000).")
        parser.add_argument("--host", default="127.0.0.1", help="Address to serve on (default 127.0.0.1).")
        parser.add_argument("--no-serve", action="store_true", help="Prepare the demo and print the logins only.")

    def handle(self, *args, port, host, no_serve, **options):
        if settings.PRODUCTION:
            self.stderr.write("balie demo is for trying Balie out; it does not run with BALIE_ENV=production.")
            raise SystemExit(2)
        if not os.environ.get("BALIE_SITE_URL", "").strip():
            # Links in e-mails lead to where this demo answers, also those of the demo data loaded below.
            settings.BALIE_SITE_URL = served_url(host=host, port=port)
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        if demo.demo_loaded():
            self.stdout.write("The demo data is already there; loading nothing new.")
        else:
            demo.load()
            self.stdout.write("Demo data loaded.")
        self.stdout.write("")
        self.stdout.write("Demo logins (role, e-mail address, password):")
        for login in demo.logins():
            self.stdout.write(f"{login.role} {login.email} {login.password}")
        self.stdout.write("")
        for hint in demo.hints():
            self.stdout.write(f"- {hint}")
        self.stdout.write("")
        url = f"http://{host}:{port}"
        # The outbox holds sign-in codes: it answers this machine only (BALIE_DEV_OUTBOX_ALLOW_REMOTE).
        outbox = f"http://127.0.0.1:{port}/dev/outbox/"
        if settings.BALIE_DEV_OUTBOX_ALLOW_REMOTE:
            outbox = f"{url}/dev/outbox/"
        elif host not in {"127.0.0.1", "localhost", "::1"}:
            outbox += " (from this machine only)"
        self.stdout.write(f"Balie: {url}/   E-mail outbox: {outbox}")
        if url != settings.BALIE_SITE_URL:
            self.stdout.write(f"Links in e-mails: {settings.BALIE_SITE_URL}/")
        if not no_serve:
            call_command("runserver", f"{host}:{port}", use_reloader=False, skip_checks=True)


def served_url(*, host: str, port: int) -> str:
    """The demo's address as this machine reaches it: 127.0.0.1 when it answers on every address."""
    if host in {"", "0.0.0.0", "::"}:  # noqa: S104 (served on every address)
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address
    return f"http://{host}:{port}"
