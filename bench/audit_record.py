"""Benchmark: what recording an audit event costs a page, and the audit log's page at 1,000,000 events.

    uv run python bench/audit_record.py [--runs 300] [--events 1000000] [--keep]

PostgreSQL only (the trail's one-statement path). Works in its own database ``balie_perf_bench`` on
DATABASE_URL's server (default postgres://postgres@127.0.0.1:5432), made afresh and dropped
afterwards (``--keep`` leaves it).

1. The client's document page, requested through Django's test client as a client member, with and
   without recording one event (``document.viewed``, with the person, the environment, the document
   and the request's address, browser and id). Requests alternate between the two, so both see the
   same machine. When the page records an event itself, the baseline patches ``record`` to do
   nothing; otherwise a middleware of this script records one after the view, switched per request.
   Reports queries per page, p50/p95 server time of each, the extra and the ratio.
   Goal (issue 18): at most 1 extra query and 2 ms.
2. One page (50) of a firm's log, newest first, as the log page asks for it: all events, or filtered
   by environment, person or action (a common and a rare one), the first page and one half way
   down (a cursor), for a firm of 1,000 events and one of ``--events`` in the same table (rows made
   with ``generate_series``, their hashes dummies: a listing needs none), queried alternately.
   Reports p50/p95 of each, the ratio and the index PostgreSQL chose. Goal: the same p95 (at most
   1.5 times).

Prints a table per part with a plain verdict, and one JSON object on its last line.
"""

import argparse
import datetime
import json
import os
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DATABASE = "balie_perf_bench"
PDF = b"%PDF-1.4\n%%EOF\n"
PAGE = 50
ENVIRONMENTS = 20
PEOPLE = 50
COMMON_ACTIONS = ("document.viewed", "document.downloaded", "auth.signin", "settings.changed")
RARE_ACTION = "auth.twostep_failed"
START = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
FIRST_USER = 1000


class RecordDocumentView:
    """Records one event after the document page when ``settings.BENCH_RECORD`` is on, as the view
    would: the person, the environment and the document it already has at hand."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        from django.conf import settings

        match = request.resolver_match
        if getattr(settings, "BENCH_RECORD", False) and match and match.view_name == "dossiers:document":
            from balie.audit.services import record

            record(
                "document.viewed",
                firm=settings.BENCH_FIRM,
                actor=request.user,
                environment=request.client,
                obj=settings.BENCH_DOCUMENT,
            )
        return response


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=300, help="requests per variant of the page")
    parser.add_argument("--list-runs", type=int, default=200, help="queries per shape of the log")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--part", choices=["page", "listing", "both"], default="both")
    parser.add_argument(
        "--synchronous-commit",
        choices=["on", "off"],
        default="on",
        help="the session's synchronous_commit for the page (off: a commit does not wait for the disk)",
    )
    args = parser.parse_args()

    import psycopg

    os.environ["BALIE_DATA_DIR"] = tempfile.mkdtemp(prefix="balie-bench-")
    os.environ.update({"DJANGO_SETTINGS_MODULE": "balie.settings", "BALIE_JOBS_BACKEND": "immediate"})
    server = urlparse(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    admin_url = urlunparse(server._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{DATABASE}"')
    os.environ["DATABASE_URL"] = urlunparse(server._replace(path=f"/{DATABASE}"))
    try:
        figures = run(args)
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    print(json.dumps(figures))


def run(args) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()  # "testserver" becomes an allowed host
    call_command("migrate", verbosity=0)
    figures = {}
    if args.part in ("page", "both"):
        figures["page"] = bench_page(args)
    if args.part in ("listing", "both"):
        figures["listing"] = bench_listing(args)
    return figures


def setup_page():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from balie.accounts.factories import UserFactory
    from balie.clients.factories import ClientFactory, MembershipFactory
    from balie.clients.models import Client, Membership
    from balie.dossiers import services
    from balie.firms.factories import FirmFactory

    firm = FirmFactory(name="Bench & Co", slug="bench")
    company = ClientFactory(firm=firm, kind=Client.Kind.COMPANY, name="Bench B.V.")
    employee = UserFactory(email="medewerker@bench.test", first_name="Sanne")
    MembershipFactory(user=employee, client=company, role=Membership.Role.EMPLOYEE)
    staff = UserFactory(email="kantoor@bench.test")
    dossier = services.dossier_create(client=company, description="Doorlopend dossier")
    upload = SimpleUploadedFile("jaarrekening.pdf", PDF, content_type="application/pdf")
    document = services.document_add(dossier=dossier, upload=upload, direction="firm", actor=staff)
    return firm, company, employee, document


def page_records_itself(browser, url) -> bool:
    from balie.audit.models import AuditEvent

    before = AuditEvent.objects.count()
    assert browser.get(url).status_code == 200
    return AuditEvent.objects.count() > before


def bench_page(args) -> dict:
    from unittest import mock

    from django.conf import settings
    from django.db import connection, transaction
    from django.test import Client as TestClient
    from django.test.utils import CaptureQueriesContext

    from balie.audit import services as audit_services
    from balie.audit.models import AuditEvent

    firm, company, employee, document = setup_page()
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('synchronous_commit', %s, false)", [args.synchronous_commit])
    settings.BENCH_FIRM, settings.BENCH_DOCUMENT = firm, document
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "bench.audit_record.RecordDocumentView"]
    url = document.get_absolute_url()
    browser = TestClient(HTTP_USER_AGENT="Mozilla/5.0 (bench)", REMOTE_ADDR="192.0.2.10")
    browser.force_login(employee)
    settings.BENCH_RECORD = False
    built_in = page_records_itself(browser, url)
    # The page's own call (if any) is the one to switch off: every module that imported record.
    bound = [m for m in list(sys.modules.values()) if getattr(m, "record", None) is audit_services.record]

    def variant(recording: bool) -> ExitStack:
        stack = ExitStack()
        settings.BENCH_RECORD = recording and not built_in
        if built_in and not recording:
            for module in {audit_services, *bound}:
                stack.enter_context(mock.patch.object(module, "record", lambda *a, **k: None))
        return stack

    timings: dict[bool, list[float]] = {False: [], True: []}
    queries: dict[bool, int] = {}
    for recording in (False, True):
        with variant(recording):
            for _ in range(20):  # warm up caches and the connection
                assert browser.get(url).status_code == 200
            with CaptureQueriesContext(connection) as captured:
                assert browser.get(url).status_code == 200
            queries[recording] = len(captured)
    events_before = AuditEvent.objects.count()
    for _ in range(args.runs):
        for recording in (False, True):
            with variant(recording):
                t0 = time.perf_counter()
                response = browser.get(url)
                timings[recording].append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200
    written = AuditEvent.objects.count() - events_before
    assert written == args.runs, (written, args.runs)
    settings.BENCH_RECORD = False

    # record() alone, outside a page (the head exists): the cost of the call itself.
    alone = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        audit_services.record("document.viewed", firm=firm, actor=employee, environment=company, obj=document)
        alone.append((time.perf_counter() - t0) * 1000)

    # The same inside one transaction that is rolled back: the statement without a commit (and its
    # flush to disk) of its own, as when the view's own write and the event share a transaction.
    in_transaction = []
    with transaction.atomic():
        for _ in range(args.runs):
            t0 = time.perf_counter()
            audit_services.record("document.viewed", firm=firm, actor=employee, environment=company, obj=document)
            in_transaction.append((time.perf_counter() - t0) * 1000)
        transaction.set_rollback(True)

    base, rec = timings[False], timings[True]
    result = {
        "page_records_itself": built_in,
        "synchronous_commit": args.synchronous_commit,
        "runs": args.runs,
        "queries_without": queries[False],
        "queries_with": queries[True],
        "extra_queries": queries[True] - queries[False],
        "without_p50_ms": round(statistics.median(base), 2),
        "without_p95_ms": round(percentile(base, 0.95), 2),
        "with_p50_ms": round(statistics.median(rec), 2),
        "with_p95_ms": round(percentile(rec, 0.95), 2),
        "record_alone_p50_ms": round(statistics.median(alone), 3),
        "record_alone_p95_ms": round(percentile(alone, 0.95), 3),
        "record_in_transaction_p50_ms": round(statistics.median(in_transaction), 3),
        "record_in_transaction_p95_ms": round(percentile(in_transaction, 0.95), 3),
    }
    result["extra_p50_ms"] = round(result["with_p50_ms"] - result["without_p50_ms"], 2)
    result["extra_p95_ms"] = round(result["with_p95_ms"] - result["without_p95_ms"], 2)
    result["ratio_p50"] = round(result["with_p50_ms"] / result["without_p50_ms"], 3)
    result["ratio_p95"] = round(result["with_p95_ms"] / result["without_p95_ms"], 3)
    result["goal_met"] = result["extra_queries"] <= 1 and result["extra_p50_ms"] <= 2 and result["extra_p95_ms"] <= 2
    print("\nDocument page, with and without recording one event (PostgreSQL, ms):", file=sys.stderr)
    print("| | queries | p50 | p95 |\n| --- | --- | --- | --- |", file=sys.stderr)
    print(f"| without | {queries[False]} | {result['without_p50_ms']} | {result['without_p95_ms']} |", file=sys.stderr)
    print(f"| with | {queries[True]} | {result['with_p50_ms']} | {result['with_p95_ms']} |", file=sys.stderr)
    print(
        f"| extra | {result['extra_queries']} | {result['extra_p50_ms']} | {result['extra_p95_ms']} |\n"
        f"| ratio | | {result['ratio_p50']} | {result['ratio_p95']} |",
        file=sys.stderr,
    )
    print(
        f"record() alone, committing: p50 {result['record_alone_p50_ms']} ms, p95 {result['record_alone_p95_ms']} ms; "
        f"inside a transaction (no commit): p50 {result['record_in_transaction_p50_ms']} ms, "
        f"p95 {result['record_in_transaction_p95_ms']} ms. "
        f"Goal (<= 1 extra query, <= 2 ms): {'MET' if result['goal_met'] else 'MISSED'}",
        file=sys.stderr,
    )
    return result


FILL_SQL = """
INSERT INTO audit_auditevent (firm_id, seq, at, environment_id, actor_kind, actor_user_id, actor_name, action,
    object_type, object_id, ip_address, user_agent, request_id, details, prev_hash, hash)
SELECT %(firm)s, g, %(start)s::timestamptz + g * interval '30 seconds',
    (%(environments)s::uuid[])[1 + g %% %(n_environments)s], 'user', %(first_user)s + g %% %(people)s, 'Persoon',
    CASE WHEN g %% %(rare_every)s = 7 THEN %(rare)s ELSE (%(common)s::text[])[1 + g %% %(n_common)s] END,
    'dossiers.document', md5(g::text), '192.0.2.10', 'Mozilla/5.0 (bench)', '', '{}'::jsonb,
    repeat('0', 64), repeat('0', 64)
FROM generate_series(1, %(count)s) AS g
"""


@dataclass
class Chain:
    """A firm's events made for the benchmark: ``count`` of them, 30 seconds apart, spread evenly
    over its environments and people; one in ``rare_every`` has the rare action."""

    firm: Any
    count: int
    environments: list
    people: int
    rare_every: int

    def fill(self) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                FILL_SQL,
                {
                    "firm": self.firm.pk,
                    "start": START,
                    "environments": [str(e) for e in self.environments],
                    "n_environments": len(self.environments),
                    "first_user": FIRST_USER,
                    "people": self.people,
                    "rare_every": self.rare_every,
                    "rare": RARE_ACTION,
                    "common": list(COMMON_ACTIONS),
                    "n_common": len(COMMON_ACTIONS),
                    "count": self.count,
                },
            )

    def shapes(self) -> dict:
        """The log page's queries: a filter and a cursor (None: the first page; deep: half way down)."""
        middle = START + datetime.timedelta(seconds=30 * (self.count // 2))
        filters = {
            "all": {},
            "environment": {"environment_id": self.environments[3]},
            "person": {"actor_user_id": FIRST_USER + 3},
            "action_common": {"action": "document.downloaded"},
            "action_rare": {"action": RARE_ACTION},
        }
        found = {}
        for name, where in filters.items():
            found[f"{name}_first"] = log_page(self.firm, where, None)
            found[f"{name}_deep"] = log_page(self.firm, where, (middle, 10**12))
        return found


def log_page(firm, where: dict, cursor):
    """One page of the log, newest first, after ``cursor`` (at, id): the shape the log page uses."""
    from django.db.models import Q

    from balie.audit.models import AuditEvent

    events = AuditEvent.objects.filter(firm=firm, **where)
    if cursor is not None:
        at, pk = cursor
        events = events.filter(Q(at__lte=at), Q(at__lt=at) | Q(at=at, pk__lt=pk))  # seeks in the index
    return events.order_by("-at", "-id")[:PAGE]


def index_of(plan: str) -> str:
    import re

    names = re.findall(r"(?:Index|Index Only) Scan(?: Backward)? using (\w+)", plan)
    return ",".join(dict.fromkeys(names)) or ("Seq Scan" if "Seq Scan" in plan else "?")


def timed(query) -> float:
    t0 = time.perf_counter()
    list(query.all())
    return (time.perf_counter() - t0) * 1000


def bench_listing(args) -> dict:
    import uuid

    from django.db import connection

    from balie.firms.factories import FirmFactory

    # Every filter fills a first page in both; the rare action is one event in 20 of the small firm
    # (50) and one in 1,000 of the large one.
    small = Chain(FirmFactory(name="Klein kantoor", slug="klein"), 1000, [uuid.uuid4() for _ in range(5)], 5, 20)
    large_count = args.events
    large = Chain(
        FirmFactory(name="Groot kantoor", slug="groot"),
        large_count,
        [uuid.uuid4() for _ in range(ENVIRONMENTS)],
        PEOPLE,
        1000,
    )
    started = time.perf_counter()
    small.fill()
    large.fill()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE audit_auditevent")
    fill_seconds = time.perf_counter() - started
    queries_small, queries_large = small.shapes(), large.shapes()
    rows = []
    worst = 0.0
    for name in queries_small:
        q_small, q_large = queries_small[name], queries_large[name]
        for _ in range(5):
            timed(q_small), timed(q_large)
        t_small, t_large = [], []
        for _ in range(args.list_runs):  # alternating, so both see the same machine
            t_small.append(timed(q_small))
            t_large.append(timed(q_large))
        a = {"p50_ms": round(statistics.median(t_small), 3), "p95_ms": round(percentile(t_small, 0.95), 3)}
        b = {"p50_ms": round(statistics.median(t_large), 3), "p95_ms": round(percentile(t_large, 0.95), 3)}
        ratio = b["p95_ms"] / a["p95_ms"]
        worst = max(worst, ratio)
        rows.append(
            {
                "shape": name,
                "small": {**a, "rows": len(list(q_small.all())), "index": index_of(q_small.explain())},
                "large": {**b, "rows": len(list(q_large.all())), "index": index_of(q_large.explain())},
                "ratio_p50": round(b["p50_ms"] / a["p50_ms"], 2),
                "ratio_p95": round(ratio, 2),
            }
        )
    goal_met = worst <= 1.5
    print(
        f"\nLog page (50 events), a firm of {small.count:,} vs one of {large.count:,} events (PostgreSQL, ms):",
        file=sys.stderr,
    )
    print(
        f"| query | p50 / p95 at {small.count:,} | p50 / p95 at {large.count:,} | ratio p50 / p95 | rows | index |",
        file=sys.stderr,
    )
    print("| --- | --- | --- | --- | --- | --- |", file=sys.stderr)
    for row in rows:
        a, b = row["small"], row["large"]
        print(
            f"| {row['shape']} | {a['p50_ms']} / {a['p95_ms']} | {b['p50_ms']} / {b['p95_ms']} | "
            f"{row['ratio_p50']} / {row['ratio_p95']} | {a['rows']} / {b['rows']} | {b['index']} |",
            file=sys.stderr,
        )
    print(f"Worst p95 ratio {worst:.2f}. Goal (<= 1.5x): {'MET' if goal_met else 'MISSED'}", file=sys.stderr)
    return {
        "events": [small.count, large.count],
        "fill_seconds": round(fill_seconds, 1),
        "shapes": rows,
        "worst_ratio_p95": round(worst, 2),
        "goal_met": goal_met,
    }


if __name__ == "__main__":
    main()
