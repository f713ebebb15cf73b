"""Retention: a firm keeps its audit trail for ``Firm.audit_retention_years`` (7 by default).

Older events go by whole days, and only up to a checkpoint (``AuditCheckpoint``): the chain then
starts at that checkpoint, whose hash the first remaining event points at, so verification goes
on from there (``balie.audit.verify``). What was removed (numbers, days, count) is itself an event
of the chain: ``audit.pruned``.

The table refuses DELETE (the model, its QuerySet, and on PostgreSQL a trigger). ``prune_firm``
is the one way around it: it deletes without the model's guards, and on PostgreSQL sets the
transaction-local ``balie.audit_prune`` (``SET LOCAL``), with which the trigger lets a DELETE
through for rows up to the firm's latest checkpoint, and for nothing else. A database
administrator can set it too and remove old events the same way; they cannot change or remove
anything after a checkpoint unnoticed, nor remove events without the ``audit.pruned`` event
``balie audit verify`` looks for: the checkpoints, sealed and kept with the documents, are what
catch that.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from balie.audit.checkpoints import local_day
from balie.audit.models import ActorKind, AuditCheckpoint, AuditEvent


@dataclass(frozen=True)
class Pruned:
    firm: Any
    first_seq: int
    last_seq: int
    first_day: datetime.date
    last_day: datetime.date
    events: int

    @property
    def details(self) -> dict[str, Any]:
        return {
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(),
            "events": self.events,
        }


def cutoff_day(firm: Any, now: datetime.datetime | None = None) -> datetime.date:
    """The first day that is kept: ``audit_retention_years`` before today (29 February: the 28th)."""
    today = local_day(now or timezone.now())
    years = firm.audit_retention_years
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def plan(firm: Any, *, now: datetime.datetime | None = None) -> Pruned | None:
    """What pruning would remove for ``firm`` now: the events up to its latest checkpoint of a day
    before the cut-off, or None when there are none."""
    checkpoint = AuditCheckpoint.objects.filter(firm=firm, day__lt=cutoff_day(firm, now)).order_by("-last_seq").first()
    if checkpoint is None:
        return None
    found = AuditEvent.objects.filter(firm=firm, seq__lte=checkpoint.last_seq).aggregate(
        first=Min("seq"), last=Max("seq"), first_at=Min("at")
    )
    if found["first"] is None:
        return None
    count = AuditEvent.objects.filter(firm=firm, seq__lte=checkpoint.last_seq).count()
    return Pruned(firm, found["first"], checkpoint.last_seq, local_day(found["first_at"]), checkpoint.day, count)


def _delete(firm: Any, last_seq: int) -> int:
    """Deletes the firm's events up to ``last_seq``: the one DELETE the guards let through."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL balie.audit_prune = 'on'")
    rows = AuditEvent.objects.filter(firm=firm, seq__lte=last_seq)
    # Past the QuerySet's refusing delete(): the SQL DELETE itself, without signals or cascades.
    deleted: int = rows._raw_delete(rows.db)
    return deleted


def prune_firm(firm: Any, *, now: datetime.datetime | None = None, dry_run: bool = False, actor_kind=None):
    """Removes what ``plan`` finds and records ``audit.pruned``; returns it (None: nothing to do).
    With ``dry_run`` nothing is removed or recorded."""
    from balie.audit.services import record

    with transaction.atomic():
        pruned = plan(firm, now=now)
        if pruned is None or dry_run:
            return pruned
        _delete(firm, pruned.last_seq)
        record("audit.pruned", firm=firm, actor_kind=actor_kind or ActorKind.SYSTEM, details=pruned.details)
    return pruned


def prune_all(*, now: datetime.datetime | None = None, dry_run: bool = False, actor_kind=None) -> list[Pruned]:
    """Prunes every firm with a checkpoint before its cut-off."""
    from balie.firms.models import Firm

    firm_ids = AuditCheckpoint.objects.order_by().values("firm_id").distinct()
    done = []
    for firm in Firm.objects.filter(pk__in=firm_ids).order_by("slug"):
        pruned = prune_firm(firm, now=now, dry_run=dry_run, actor_kind=actor_kind)
        if pruned is not None:
            done.append(pruned)
    return done
