"""The audit trail's periodic jobs (see ``BALIE_PERIODIC_JOBS``): verification, checkpoints,
retention and alerts. Each may run more than once: what was done is not done again."""

from __future__ import annotations

from balie.core.jobs import job


@job("audit.verify_chains", queue="bulk")
def verify_chains() -> int:
    """Walks every chain and checks every firm's checkpoint files; a broken chain, or checkpoints
    that do not hold, are told to the firm's administrators and the operator. Returns the number
    of chains found broken (or with checkpoints that do not hold)."""
    from balie.audit import alerts
    from balie.audit.checkpoints import check_files
    from balie.audit.verify import verify_all

    broken = 0
    for outcome in verify_all():
        problems = [] if outcome.firm is None else check_files(outcome.firm)
        if outcome.broken is not None:
            alerts.chain_broken(outcome)
        if problems:
            alerts.checkpoints_broken(outcome.firm, problems)
        broken += outcome.broken is not None or bool(problems)
    return broken


@job("audit.write_checkpoints", queue="bulk")
def write_checkpoints() -> int:
    from balie.audit.checkpoints import write_checkpoints as write

    return write()


@job("audit.prune", queue="bulk")
def prune() -> int:
    from balie.audit.prune import prune_all

    return len(prune_all())


@job("audit.check_alerts", queue="default")
def check_alerts() -> int:
    """Many downloads outside one's own environments, and repeated sign-in locks, per firm (of
    the last day's events); returns how many findings were told."""
    from datetime import timedelta

    from django.utils import timezone

    from balie.audit import alerts
    from balie.audit.models import AuditEvent
    from balie.firms.models import Firm

    since = timezone.now() - timedelta(days=1)
    actions = ["document.downloaded", "auth.signin_failed"]
    active = AuditEvent.objects.filter(firm__isnull=False, action__in=actions, at__gte=since).values("firm_id")
    told = 0
    for firm in Firm.objects.filter(pk__in=active.order_by().distinct()):
        told += alerts.check_downloads(firm) + alerts.check_signin_failures(firm)
    return told


@job("audit.signin_failed", queue="default")
def signin_failed(*, identifier: str, ip_address: str | None, user_agent: str, request_id: str, at: str) -> int:
    """Writes a failed sign-in with the address tried (``identifier``), as it happened in its
    request: from ``ip_address``, ``user_agent`` and ``request_id``, at ``at`` (ISO 8601, as
    ``chain.moment`` writes it). See ``balie.audit.signals``. Returns the number of events written."""
    import datetime

    from balie.audit.middleware import Origin
    from balie.audit.signals import signin_failed_record

    where = Origin(ip_address=ip_address, user_agent=user_agent, request_id=request_id)
    when = datetime.datetime.fromisoformat(at)
    return len(signin_failed_record(identifier=identifier, origin=where, at=when))
