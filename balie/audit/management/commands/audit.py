"""``balie audit``: the operator's tools for the audit trail.

balie audit verify [--firm <public id or slug>]
    Walks every chain (or one firm's) and reports the first broken link, also where an event's
    hash differs from its day's checkpoint, and checks the stored checkpoint PDFs (there,
    unchanged, naming the number and hash of their record); exits with status 1 when a chain or
    a checkpoint is broken.
balie audit prune [--firm <public id or slug>] [--dry-run]
    Removes events older than each firm's retention, by whole days up to a checkpoint, and
    records what was removed (``audit.pruned``); ``--dry-run`` only says what it would remove.
balie audit export --firm <public id or slug> [--since DATE] [--until DATE] [--format jsonl|csv]
    Writes the firm's events (``--since`` included, ``--until`` not; a date is midnight in
    Balie's time zone) with their hashes to standard output. Check a JSON Lines export with
    ``python docs/audit-verify.py export.jsonl``. The export itself is recorded
    (``export.created``, by the operator).
"""

from __future__ import annotations

import datetime
import uuid

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from balie.audit import checkpoints, exports, prune
from balie.audit.models import ActorKind
from balie.audit.services import record
from balie.audit.verify import verify_all, verify_chain


def find_firm(value: str):
    from balie.firms.models import Firm

    try:
        lookup = {"public_id": uuid.UUID(value)}
    except ValueError:
        lookup = {"slug": value}
    try:
        return Firm.objects.get(**lookup)
    except Firm.DoesNotExist:
        raise CommandError(f"No firm {value!r} (give its public id or its short name).") from None


def moment(value: str | None) -> datetime.datetime | None:
    if not value:
        return None
    found = parse_datetime(value)
    if found is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(f"Not a date or a time: {value!r} (e.g. 2026-12-01 or 2026-12-01T08:00).")
        found = datetime.datetime.combine(day, datetime.time())
    return timezone.make_aware(found) if timezone.is_naive(found) else found


class Command(BaseCommand):
    help = "Verifies the audit trail's chains, prunes them to the retention, or exports a firm's events."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="subcommand", required=True)
        verify = commands.add_parser("verify", help="Report the first broken link of each chain.")
        verify.add_argument("--firm", help="Only this firm (public id or short name).")
        pruning = commands.add_parser("prune", help="Remove events past the firms' retention.")
        pruning.add_argument("--firm", help="Only this firm (public id or short name).")
        pruning.add_argument("--dry-run", action="store_true", help="Say what would be removed; remove nothing.")
        export = commands.add_parser("export", help="Write a firm's events to standard output.")
        export.add_argument("--firm", required=True, help="The firm (public id or short name).")
        export.add_argument("--since", help="From this date or time (included).")
        export.add_argument("--until", help="Up to this date or time (not included).")
        export.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")

    def handle(self, *args, subcommand, **options):
        if subcommand == "verify":
            self.verify(options.get("firm"))
        elif subcommand == "prune":
            self.prune(options.get("firm"), dry_run=options["dry_run"])
        else:
            self.export(options["firm"], options.get("since"), options.get("until"), options["format"])

    def verify(self, firm_value: str | None) -> None:
        outcomes = [verify_chain(find_firm(firm_value))] if firm_value else verify_all()
        broken = 0
        for outcome in outcomes:
            problems = [] if outcome.firm is None else checkpoints.check_files(outcome.firm)
            for problem in problems:
                self.stdout.write(f"{outcome.name}: {problem}")
            if outcome.broken is None and not problems:
                self.stdout.write(f"{outcome.name}: {outcome.events} events, intact")
                continue
            broken += 1
            if outcome.broken is not None:
                self.stdout.write(f"{outcome.name}: BROKEN at event {outcome.broken.seq}: {outcome.broken.message}")
        if broken:
            raise CommandError(f"{broken} of {len(outcomes)} audit chains are broken.", returncode=1)

    def prune(self, firm_value: str | None, *, dry_run: bool) -> None:
        if firm_value:
            found = prune.prune_firm(find_firm(firm_value), dry_run=dry_run, actor_kind=ActorKind.OPERATOR)
            done = [found] if found is not None else []
        else:
            done = prune.prune_all(dry_run=dry_run, actor_kind=ActorKind.OPERATOR)
        verb = "would remove" if dry_run else "removed"
        for pruned in done:
            self.stdout.write(
                f"{pruned.firm.slug}: {verb} events {pruned.first_seq} to {pruned.last_seq} "
                f"({pruned.events} events, {pruned.first_day} to {pruned.last_day})"
            )
        if not done:
            self.stdout.write("Nothing to remove.")

    def export(self, firm_value: str, since_value: str | None, until_value: str | None, kind: str) -> None:
        firm = find_firm(firm_value)
        since, until = moment(since_value), moment(until_value)
        count = 0

        def counted():
            nonlocal count
            for row in exports.rows(firm, since=since, until=until):
                count += 1
                yield row

        lines = exports.jsonl(counted()) if kind == "jsonl" else exports.csv_lines(counted())
        for line in lines:
            self.stdout.write(line, ending="")
        details = {"format": kind, "since": since_value or "", "until": until_value or "", "events": count}
        record("export.created", firm=firm, actor_kind=ActorKind.OPERATOR, details=details)
