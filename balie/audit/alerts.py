"""Alerts from the audit trail to a firm's administrators (bundled with their other notifications)
and to the operator.

- A broken chain (the daily verification): the firm's administrators at once, and the operator:
  logged at ERROR and e-mailed to ``ADMINS`` (``BALIE_OPERATOR_EMAIL``), naming the first broken link.
  The same for a firm's checkpoints that do not hold (``checkpoints.check_files``).
- A staff member who downloaded more than ``BALIE_AUDIT_DOWNLOAD_ALERT`` documents within an hour
  of environments they are not relationship manager of.
- An account whose sign-in failures went past the throttle's limit (``BALIE_SIGNIN_ACCOUNT_FAILURES``)
  at least ``BALIE_AUDIT_SIGNIN_ALERT_LOCKS`` times within a day.

Each finding is told once (``AuditAlert``): not again for the same person or link until its
window has passed.
"""

from __future__ import annotations

import datetime
import logging
from collections import Counter, defaultdict
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from balie.audit import hooks
from balie.audit.models import ActorKind, AuditAlert, AuditEvent
from balie.audit.verify import Outcome

logger = logging.getLogger(__name__)

STAFF_LINK = "/kantoor/"
CHAIN_ALERT_AGAIN = datetime.timedelta(days=7)  # a chain still broken is told again after a week
DOWNLOAD_WINDOW = datetime.timedelta(hours=1)
SIGNIN_WINDOW = datetime.timedelta(days=1)


def _first_time(firm: Any, kind: str, subject: str, *, again_after: datetime.timedelta) -> bool:
    """Whether this finding was not told within its window; if so, it is remembered as told now."""
    now = timezone.now()
    found = AuditAlert.objects.filter(kind=kind, subject=subject, until__gt=now)
    found = found.filter(firm__isnull=True) if firm is None else found.filter(firm=firm)
    if found.exists():
        return False
    AuditAlert.objects.create(firm=firm, kind=kind, subject=subject, created_at=now, until=now + again_after)
    return True


def _tell_admins(firm: Any, *, title: str, params: dict[str, Any], urgent: bool = False) -> int:
    from balie.firms.models import StaffMember
    from balie.notifications.models import EventKind
    from balie.notifications.services import notify

    admins = [staff.user for staff in StaffMember.objects.filter(firm=firm, role="admin").select_related("user")]
    rows = notify(
        users=admins,
        client=None,
        firm=firm,
        kind=EventKind.DETAILS,
        title=title,
        params=params,
        link=STAFF_LINK,
        urgent=urgent,
    )
    return len(rows)


def _tell_operator(subject: str, body: str) -> None:
    from balie.notifications.outbox import outbox_add_email

    addresses = [address for _name, address in settings.ADMINS]
    if addresses:
        message = EmailMessage(subject=subject, body=body, from_email=settings.SERVER_EMAIL, to=addresses)
        outbox_add_email(message=message)


def chain_broken(outcome: Outcome) -> bool:
    """Tells of a broken chain (the firm's administrators and the operator); False when this
    break was told already within the week."""
    broken = outcome.broken
    if broken is None:
        return False
    text = f"Audit chain {outcome.name} is broken at event {broken.seq} ({broken.reason}): {broken.message}"
    logger.error(text)
    with transaction.atomic():
        if not _first_time(
            outcome.firm, "chain_broken", f"{broken.reason}:{broken.seq}", again_after=CHAIN_ALERT_AGAIN
        ):
            return False
        _tell_operator(f"[Balie] {text[:150]}", text + "\n\nCheck with: balie audit verify\n")
        if outcome.firm is not None:
            title = gettext_noop("The audit trail is broken at event %(seq)s: report this to your supplier")
            _tell_admins(outcome.firm, title=title, params={"seq": broken.seq}, urgent=True)
    return True


def checkpoints_broken(firm: Any, problems: list[str]) -> bool:
    """Tells of the problems ``checkpoints.check_files`` found with a firm's checkpoints (a PDF
    missing, changed or not its own, a checkpoint removed), like a broken chain; False when these
    were told already within the week."""
    if not problems:
        return False
    text = f"Audit checkpoints of {firm.slug} do not hold: " + "; ".join(problems)
    logger.error(text)
    with transaction.atomic():
        if not _first_time(firm, "checkpoints_broken", problems[0][:200], again_after=CHAIN_ALERT_AGAIN):
            return False
        _tell_operator(f"[Balie] {text[:150]}", text + "\n\nCheck with: balie audit verify\n")
        title = gettext_noop("The audit trail's checkpoints do not match: report this to your supplier")
        _tell_admins(firm, title=title, params={}, urgent=True)
    return True


def _downloads_elsewhere(firm: Any, since: datetime.datetime) -> dict[int, int]:
    """Per staff member (user id): documents downloaded since ``since`` in environments they do
    not manage."""
    rows = (
        AuditEvent.objects.filter(firm=firm, action="document.downloaded", actor_kind=ActorKind.STAFF, at__gte=since)
        .exclude(actor_user__isnull=True)
        .order_by()
        .values_list("actor_user_id", "environment_id")
    )
    per_user: dict[int, Counter] = defaultdict(Counter)
    for user_id, environment_id in rows:
        per_user[user_id][str(environment_id or "")] += 1
    counts = {}
    users = get_user_model()._default_manager.in_bulk(list(per_user))
    for user_id, environments in per_user.items():
        managed = hooks.managed_environments(users[user_id]) if user_id in users else set()
        counts[user_id] = sum(count for environment, count in environments.items() if environment not in managed)
    return counts


def check_downloads(firm: Any, *, now: datetime.datetime | None = None) -> int:
    """Tells the firm's administrators of each staff member past the download limit; returns how
    many were told of."""
    now = now or timezone.now()
    limit = settings.BALIE_AUDIT_DOWNLOAD_ALERT
    told = 0
    for user_id, count in _downloads_elsewhere(firm, now - DOWNLOAD_WINDOW).items():
        if count <= limit:
            continue
        with transaction.atomic():
            if not _first_time(firm, "downloads", str(user_id), again_after=DOWNLOAD_WINDOW):
                continue
            user = get_user_model()._default_manager.get(pk=user_id)
            title = gettext_noop(
                "%(name)s downloaded %(count)s documents of environments they do not manage within an hour"
            )
            _tell_admins(firm, title=title, params={"name": str(user), "count": count})
        told += 1
    return told


def check_signin_failures(firm: Any, *, now: datetime.datetime | None = None) -> int:
    """Tells the firm's administrators of each account of theirs whose sign-in failures went past
    the throttle repeatedly within a day; returns how many were told of."""
    now = now or timezone.now()
    per_lock = settings.BALIE_SIGNIN_ACCOUNT_FAILURES + 1  # the attempt after the free ones locks
    threshold = per_lock * settings.BALIE_AUDIT_SIGNIN_ALERT_LOCKS
    failures = Counter(
        AuditEvent.objects.filter(firm=firm, action="auth.signin_failed", at__gte=now - SIGNIN_WINDOW)
        .exclude(object_id="")
        .order_by()
        .values_list("object_id", flat=True)
    )
    told = 0
    for object_id, count in failures.items():
        if count < threshold:
            continue
        with transaction.atomic():
            if not _first_time(firm, "signin_failures", object_id, again_after=SIGNIN_WINDOW):
                continue
            title = gettext_noop("Repeated failed sign-ins for %(account)s: %(count)s within a day")
            _tell_admins(firm, title=title, params={"account": _account(object_id), "count": count})
        told += 1
    return told


def _account(object_id: str) -> str:
    User = get_user_model()
    lookup = {"public_id": object_id} if hasattr(User, "public_id") else {"pk": object_id}
    user = User._default_manager.filter(**lookup).first()
    return object_id if user is None else str(getattr(user, "email", user))
