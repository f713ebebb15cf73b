"""Benchmark: 10,000 notifications queued, bundled and delivered to a local SMTP server.

    uv run python bench/notifications.py [--people 10000]

Runs on a fresh SQLite database in a temporary folder (or on DATABASE_URL when set) against
aiosmtpd on loopback, and prints its figures as one JSON object on the last line: queueing and
delivery throughput in messages per second, and the peak memory of this process.
"""

import argparse
import json
import os
import resource
import socket
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=10_000)
    args = parser.parse_args()

    port = free_port()
    os.environ.setdefault("BALIE_DATA_DIR", tempfile.mkdtemp(prefix="balie-bench-"))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "balie.settings",
            "BALIE_DEV_OUTBOX": "false",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(port),
            "EMAIL_USE_TLS": "false",
            "BALIE_JOBS_BACKEND": "immediate",
            "BALIE_NOTIFY_WINDOW_MINUTES": "0",
        }
    )
    import django

    django.setup()
    from aiosmtpd.controller import Controller
    from django.core.management import call_command
    from django.db import transaction

    from balie.accounts.models import User
    from balie.clients.models import Client
    from balie.firms.models import Firm
    from balie.notifications.models import EventKind, OutboxMessage
    from balie.notifications.outbox import outbox_deliver_due
    from balie.notifications.services import notifications_send_bundles, notify

    class Counter:
        received = 0

        async def handle_DATA(self, server, session, envelope):
            Counter.received += 1
            return "250 OK"

    import balie.notifications.outbox as outbox

    outbox.on_commit = lambda func: None  # measure queueing and delivery as separate phases
    call_command("migrate", verbosity=0)
    firm = Firm.objects.create(name="Bench & Co", slug=f"bench-{int(time.time())}")
    client = Client.objects.create(firm=firm, kind=Client.Kind.COMPANY, name="Bench B.V.")
    User.objects.bulk_create(
        User(email=f"bench{i}@example.test", first_name="Bench", password="!") for i in range(args.people)
    )
    people = list(User.objects.filter(email__startswith="bench"))

    controller = Controller(Counter(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        started = time.perf_counter()
        with transaction.atomic():
            notify(users=people, client=client, kind=EventKind.DOCUMENT, title="Nieuw document", link="/")
        notified = time.perf_counter()
        notifications_send_bundles()
        queued = time.perf_counter()
        sent = outbox_deliver_due(limit=200, max_batches=10_000)
        delivered = time.perf_counter()
    finally:
        controller.stop()

    failed = OutboxMessage.objects.exclude(status="sent").count()
    figures = {
        "people": args.people,
        "emails_delivered": sent,
        "smtp_received": Counter.received,
        "not_sent": failed,
        "notify_seconds": round(notified - started, 2),
        "bundle_and_queue_seconds": round(queued - notified, 2),
        "delivery_seconds": round(delivered - queued, 2),
        "queue_messages_per_second": round(args.people / max(queued - started, 1e-9)),
        "delivery_messages_per_second": round(sent / max(delivered - queued, 1e-9)),
        "end_to_end_messages_per_second": round(sent / max(delivered - started, 1e-9)),
        "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "database": django.db.connection.vendor,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
