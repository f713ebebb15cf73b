"""Reading the audit trail: the pages that show it page by keyset over ``(at, id)``, newest first,
so the thousandth page costs what the first does (an index per filter, ``AuditEvent.Meta``).

A page's cursor is the last event's time (microseconds since 1970) and id, ``"<at>.<id>"``; the
next page has the events strictly before it. A cursor that cannot be read starts at the newest.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from balie.audit.models import ActorKind, AuditEvent

PAGE_SIZE = 50
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)

# What a client sees under "Wie heeft mijn gegevens bekeken": the firm opening their things.
VIEWED_BY_FIRM = ("document.viewed", "document.downloaded", "staff.environment_viewed", "staff.thread_viewed")
# A person's own sign-ins and the attempts on their account.
SIGNIN_ACTIONS = ("auth.signin", "auth.twostep_failed")
FAILED_SIGNIN = "auth.signin_failed"


@dataclass(frozen=True)
class EventPage:
    events: list[AuditEvent]
    next_cursor: str  # "" on the last page


def cursor_of(event: AuditEvent) -> str:
    delta = event.at - EPOCH
    micros = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    return f"{micros}.{event.pk}"


# The most digits a cursor's parts can have: an id fits a bigint (19 digits), a time the year 9999
# (18 digits of microseconds). Longer ones are not ours (and Python refuses to read > 4,300 digits).
ID_DIGITS = 19
MICROS_DIGITS = 18
MAX_ID = 2**63 - 1


def parse_cursor(value: str | None) -> tuple[datetime.datetime, int] | None:
    """The (time, id) of a cursor, or None when it is not one of ours (the page starts at the newest)."""
    micros, _dot, pk = (value or "").partition(".")
    if not (micros.isascii() and micros.isdigit() and pk.isascii() and pk.isdigit()):
        return None
    if len(micros) > MICROS_DIGITS or len(pk) > ID_DIGITS or int(pk) > MAX_ID:
        return None
    try:
        return EPOCH + datetime.timedelta(microseconds=int(micros)), int(pk)
    except OverflowError:
        return None


def keyset_page(events: QuerySet[AuditEvent], *, after: str | None = None, size: int = PAGE_SIZE) -> EventPage:
    """One page of ``events``, newest first, after the cursor ``after`` (one query)."""
    position = parse_cursor(after)
    if position is not None:
        at, pk = position
        events = events.filter(Q(at__lt=at) | Q(at=at, pk__lt=pk))
    found = list(events.order_by("-at", "-id")[: size + 1])
    more = len(found) > size
    found = found[:size]
    return EventPage(found, cursor_of(found[-1]) if more and found else "")


def viewed_by_firm(*, firm_id: int, environment_public_id: uuid.UUID) -> QuerySet[AuditEvent]:
    """The firm's staff opening an environment, its documents and its conversations."""
    return AuditEvent.objects.filter(
        firm_id=firm_id,
        environment_id=environment_public_id,
        actor_kind=ActorKind.STAFF,
        action__in=VIEWED_BY_FIRM,
    )


def signins_of_user(*, user: Any, firm_id: int | None) -> QuerySet[AuditEvent]:
    """A person's sign-ins and the failed attempts on their account, from one chain: a sign-in is
    written to each of the person's firms (``firm_id``: the first of them, None for nobody's)."""
    user_id = str(getattr(user, "public_id", None) or user.pk)
    mine = Q(actor_user_id=user.pk, action__in=SIGNIN_ACTIONS) | Q(
        action=FAILED_SIGNIN, object_type=user._meta.label_lower, object_id=user_id
    )
    chain = Q(firm__isnull=True) if firm_id is None else Q(firm_id=firm_id)
    return AuditEvent.objects.filter(chain & mine)


def get_signin_of_user(*, user: Any, firm_id: int | None, pk: int) -> AuditEvent | None:
    return signins_of_user(user=user, firm_id=firm_id).filter(pk=pk).first()


@dataclass(frozen=True)
class LogFilter:
    """The firm log's filters; empty ones do not filter. ``until`` is the last day included."""

    actor_user_id: int | None = None
    environment: uuid.UUID | None = None
    action: str = ""
    since: datetime.datetime | None = None
    until: datetime.datetime | None = None  # the first moment not included

    @property
    def is_selection(self) -> bool:
        """Whether it leaves out events inside its period (a person, an environment, an action)."""
        return bool(self.actor_user_id or self.environment or self.action)


def firm_log(*, firm_id: int, log_filter: LogFilter) -> QuerySet[AuditEvent]:
    """The firm's events through the filter: each filter has its index with the firm and the time."""
    events = AuditEvent.objects.filter(firm_id=firm_id)
    if log_filter.actor_user_id is not None:
        events = events.filter(actor_user_id=log_filter.actor_user_id)
    if log_filter.environment is not None:
        events = events.filter(environment_id=log_filter.environment)
    if log_filter.action:
        events = events.filter(action=log_filter.action)
    if log_filter.since is not None:
        events = events.filter(at__gte=log_filter.since)
    if log_filter.until is not None:
        events = events.filter(at__lt=log_filter.until)
    return events
