"""Benchmark: the client's document list, a filtered list and searches at 100,000 documents.

    uv run python bench/dossier.py [--database sqlite|postgresql] [--documents 100000] [--runs 50]

Creates the data in a throwaway database (SQLite in a temporary folder, or a new PostgreSQL
database on DATABASE_URL's server, default postgres://postgres@127.0.0.1:5432, dropped afterwards),
then requests the real dossier page through Django's test client as the least-privileged client
user (a Medewerker member, not staff), and measures p50/p95 server time in milliseconds of:
the list (newest first), a filtered list (year), a deep keyset page, and searches for a rare
(1 hit), a medium (1 in 100) and a common term (every document). Another environment of the same
firm holds 10% extra documents with the same words. Prints one JSON object on its last line.
Targets (ISSUE 5): list p95 < 50 ms, search p95 < 200 ms.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse, urlunparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

YEARS = (2022, 2023, 2024, 2025)
TERMS = {"search_rare": "zeldzaam", "search_medium": "btw", "search_common": "factuur"}


def text_for(number: int) -> str:
    return "omzet factuur debiteur" + (" btw" if number % 100 == 0 else "") + (" zeldzaam" if number == 7 else "")


def populate(dossier, count: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from balie.dossiers import search
    from balie.dossiers.models import Document

    now = timezone.now()
    batch = 10_000
    for start in range(0, count, batch):
        with transaction.atomic():
            numbers = range(start, min(start + batch, count))
            Document.objects.bulk_create(
                Document(
                    client=dossier.client,
                    dossier=dossier,
                    title=f"Factuur {number}",
                    direction=Document.Direction.FIRM,
                    year=YEARS[number % 4],
                    created_at=now - timedelta(seconds=number),
                )
                for number in numbers
            )
            rows = Document.objects.filter(dossier=dossier, title__in=[f"Factuur {n}" for n in numbers]).values_list(
                "pk", "client_id", "title"
            )
            search.index_rows((pk, client_id, title, text_for(int(title.split()[1]))) for pk, client_id, title in rows)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--verbose", action="store_true", help="print each query's time of one request to stderr")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="balie-bench-")
    os.environ["BALIE_DATA_DIR"] = data_dir
    os.environ.update({"DJANGO_SETTINGS_MODULE": "balie.settings", "BALIE_JOBS_BACKEND": "immediate"})
    pg_admin = pg_name = None
    if args.database == "postgresql":
        import psycopg

        server = urlparse(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
        pg_name = f"balie_bench_{os.getpid()}"
        pg_admin = urlunparse(server._replace(path="/postgres"))
        with psycopg.connect(pg_admin, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{pg_name}"')
        os.environ["DATABASE_URL"] = urlunparse(server._replace(path=f"/{pg_name}"))
    else:
        os.environ.pop("DATABASE_URL", None)

    try:
        figures = run(args)
    finally:
        if pg_name:
            import psycopg
            from django.db import connections

            connections.close_all()
            with psycopg.connect(pg_admin, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
    print(json.dumps(figures))


def run(args) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client as TestClient
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.urls import reverse

    from balie.accounts.factories import UserFactory
    from balie.clients.factories import ClientFactory, MembershipFactory
    from balie.clients.models import Client, Membership
    from balie.dossiers import selectors, services
    from balie.firms.factories import FirmFactory

    setup_test_environment()  # "testserver" becomes an allowed host
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    firm = FirmFactory(name="Bench & Co", slug="bench")
    company = ClientFactory(firm=firm, kind=Client.Kind.COMPANY, name="Bench B.V.")
    neighbour = ClientFactory(firm=firm, kind=Client.Kind.COMPANY, name="Buurman B.V.")
    employee = UserFactory(email="medewerker@bench.test")
    MembershipFactory(user=employee, client=company, role=Membership.Role.EMPLOYEE)
    dossier = services.dossier_create(client=company, description="Doorlopend dossier")
    populate(dossier, args.documents)
    populate(services.dossier_create(client=neighbour, description="Buren"), max(1, args.documents // 10))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    setup_seconds = time.perf_counter() - started

    base = reverse("dossiers:detail", args=[company.public_id, dossier.public_id])
    browser = TestClient()
    browser.force_login(employee)
    first = browser.get(base)
    assert first.status_code == 200, first.status_code
    # A cursor 90% down the list: "after" the document created 0.9 * N seconds before the newest.
    deep_cursor = selectors.encode_cursor(
        first.context["page"].object_list[0].created_at - timedelta(seconds=int(args.documents * 0.9)), 0
    )
    urls = {
        "list": base,
        "filtered_list": f"{base}?year=2024",
        "deep_page": f"{base}?na={deep_cursor}",
        **{name: f"{base}?q={term}" for name, term in TERMS.items()},
    }
    results: dict[str, dict] = {}
    for name, url in urls.items():
        for _ in range(3):  # warm up caches and the connection
            browser.get(url)
        timings = []
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            response = browser.get(url)
        if args.verbose:
            for query in queries.captured_queries:
                print(f"{name}: {float(query['time']) * 1000:7.1f} ms  {query['sql'][:300]}", file=sys.stderr)
        for _ in range(args.runs):
            t0 = time.perf_counter()
            response = browser.get(url)
            timings.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200
        page = response.context["page"]
        results[name] = {
            "p50_ms": round(statistics.median(timings), 1),
            "p95_ms": round(percentile(timings, 0.95), 1),
            "queries": len(queries),
            "rows_on_page": len(page.object_list),
            "count_shown": f"{page.count}+" if page.more else page.count,
        }
    list_p95 = max(results[name]["p95_ms"] for name in ("list", "filtered_list", "deep_page"))
    search_p95 = max(results[name]["p95_ms"] for name in TERMS)
    return {
        "database": connection.vendor,
        "documents": args.documents,
        "runs": args.runs,
        "user": "Medewerker (client member, least privileged)",
        "setup_seconds": round(setup_seconds, 1),
        **results,
        "list_p95_ms": list_p95,
        "search_p95_ms": search_p95,
        "targets_met": list_p95 < 50 and search_p95 < 200,
    }


if __name__ == "__main__":
    main()
