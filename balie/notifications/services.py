"""Notifications: the one call capabilities make when something happened for someone.

    notify(users=[...], client=client, kind=EventKind.DOCUMENT,
           title=gettext_noop("New document: %(title)s"), params={"title": document.title}, link=url)

Each person gets an item under the bell and, per their preference for that kind, an e-mail:
immediately (bundled with everything else that reaches them within BALIE_NOTIFY_WINDOW_MINUTES,
so a bulk publish of 12 documents is one e-mail), in the daily digest, or not at all. ``urgent``
(a deadline today) skips the wait.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import cast

from django.conf import settings
from django.db import transaction
from django.db.transaction import on_commit
from django.utils import timezone, translation
from django.utils.text import Truncator

from balie.core import trail
from balie.notifications.email import absolute_url, send_templated_email
from balie.notifications.jobs import send_bundles, send_chunk
from balie.notifications.models import EventKind, Frequency, Notification, NotificationPreference

CHUNK = 200  # people per transaction when sending bundles


def preferences_for(*, user) -> dict[str, str]:
    stored = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "frequency"))
    return {kind: stored.get(kind, Frequency.IMMEDIATE) for kind in EventKind.values}


@transaction.atomic
def preferences_save(*, user, choices: dict[str, str]) -> None:
    before = preferences_for(user=user)
    for kind, frequency in choices.items():
        NotificationPreference.objects.update_or_create(user=user, kind=kind, defaults={"frequency": frequency})
    changes = {
        kind: [before.get(kind), frequency] for kind, frequency in choices.items() if before.get(kind) != frequency
    }
    if changes:
        trail.record_for_person("preferences.changed", person=user, actor=user, details=changes)


@transaction.atomic
def notify(
    *,
    users: Iterable,
    client,
    kind: str,
    firm=None,
    title: str,
    link: str,
    params: dict | None = None,
    message: str = "",
    needs_action: bool = False,
    due_date: date | None = None,
    urgent: bool = False,
) -> list[Notification]:
    """Records the event for each person, in the caller's transaction.

    With ``params`` the title is an untranslated text (marked with ``gettext_noop``) that each
    person reads in their own language, under the bell and in the e-mail:
    ``notify(..., title=gettext_noop("Please approve: %(title)s"), params={"title": ...})``.
    Without it the title is shown as given. ``message`` is the firm's own text that came with it
    (quoted in the e-mail); ``needs_action`` and ``due_date`` put it first in the e-mail.
    A title longer than the column is cut with an ellipsis (names and subjects come from people).
    ``client`` is None for what concerns a firm rather than an environment (an alert to its
    administrators); ``firm`` is then given, and its e-mail bundles with the rest of that firm's."""
    if client is None and firm is None:
        raise ValueError("A notification is about an environment or, without one, a firm.")
    users = [user for user in users if user.is_active]
    if not users:
        return []
    chosen = {
        (user_id, pref_kind): frequency
        for user_id, pref_kind, frequency in NotificationPreference.objects.filter(
            user__in=users, kind=kind
        ).values_list("user_id", "kind", "frequency")
    }
    now = timezone.now()
    wait = timedelta(0) if urgent else timedelta(minutes=settings.BALIE_NOTIFY_WINDOW_MINUTES)
    status: dict[str, str] = {
        Frequency.IMMEDIATE: Notification.Email.PENDING,
        Frequency.DAILY: Notification.Email.DIGEST,
        Frequency.OFF: Notification.Email.SKIPPED,
    }
    msgid = str(title) if params is not None else ""
    rendered: dict[str, str] = {}  # the title per language: rendered once, not once per person
    rows = []
    for user in users:
        row = Notification(
            user=user,
            client=client,
            firm=firm if client is None else None,
            kind=kind,
            title_msgid=msgid,
            title_params=params or {},
            link=link,
            message=message,
            needs_action=needs_action,
            due_date=due_date,
            created_at=now,
            send_after=now + wait,
            email=status[chosen.get((user.pk, kind), Frequency.IMMEDIATE)],
        )
        if msgid:
            language = user.language or settings.LANGUAGE_CODE
            if language not in rendered:
                with translation.override(language):
                    rendered[language] = row.display_title
            row.title = rendered[language]
        else:
            row.title = Truncator(str(title)).chars(cast(int, Notification._meta.get_field("title").max_length))
        rows.append(row)
    rows = Notification.objects.bulk_create(rows)
    if urgent:
        on_commit(lambda: send_bundles.enqueue())
    return rows


# What comes first in an e-mail: what waits for the person (earliest due date first), then by kind.
KIND_ORDER: list[str] = [
    EventKind.REQUEST,
    EventKind.REMINDER,
    EventKind.QUESTIONNAIRE,
    EventKind.MESSAGE,
    EventKind.TICKET,
    EventKind.DOCUMENT,
    EventKind.DETAILS,
]


def notifications_by_importance(items: Iterable[Notification]) -> list[Notification]:
    """Most important first: requests awaiting the person's action (by due date, undated last),
    then messages, then documents and the rest; newest first within the same rank."""

    def rank(item: Notification):
        kind = KIND_ORDER.index(item.kind) if item.kind in KIND_ORDER else len(KIND_ORDER)
        return (not item.needs_action, item.due_date or date.max, kind, -item.created_at.timestamp(), -item.pk)

    return sorted(items, key=rank)


def _firm_of(item: Notification):
    return item.firm if item.client is None else item.client.firm


def _send_one(user, items: list[Notification], *, template: str) -> None:
    firm = _firm_of(items[0])
    items = notifications_by_importance(items)
    # The firm's message once, with the first item it came with (a document and its request share it).
    entries, quoted = [], set()
    for item in items:
        message = item.message.strip()
        entries.append({"item": item, "url": absolute_url(item.link), "message": "" if message in quoted else message})
        quoted.add(message)
    send_templated_email(
        to=user.email,
        template=template,
        language=user.language,
        firm=firm,
        queue="bulk",
        context={
            "user": user,
            "top": entries[0],
            "rest": entries[1:],
            "others": len(entries) - 1,
            "count": len(entries),
            "link": absolute_url("/meldingen/"),
        },
    )


def _send(status: str, template: str, due_filter, *, before=None) -> int:
    """Fans out: one job per CHUNK people who have something due, on the bulk queue.

    Returns how many people were handed to jobs (with the immediate backend: e-mails sent).
    """
    due = Notification.objects.filter(due_filter, email=status).order_by()
    users_due = list(due.values_list("user_id", flat=True).distinct())
    for start in range(0, len(users_due), CHUNK):
        send_chunk.enqueue(
            user_ids=users_due[start : start + CHUNK],
            status=status,
            template=template,
            before=before.isoformat() if before else None,  # jobs take plain values
        )
    return len(users_due)


def notifications_send_chunk(*, user_ids: list[int], status: str, template: str, before: str | None = None) -> int:
    """One e-mail per person in ``user_ids`` with their notifications in ``status``, in one
    transaction; people another worker is already mailing are skipped. Returns e-mails sent."""
    with transaction.atomic():
        rows = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(user_id__in=user_ids, email=status)
            .filter(**({"created_at__lt": datetime.fromisoformat(before)} if before else {}))
            .select_related("user", "client__firm", "firm")
            .order_by("user_id", "created_at")
        )
        # One e-mail per person and firm: each in that firm's branding, counted with that firm.
        by_user: dict[tuple[int, int], list[Notification]] = defaultdict(list)
        for row in rows:
            by_user[(row.user_id, _firm_of(row).pk)].append(row)
        for items in by_user.values():
            _send_one(items[0].user, items, template=template)
        Notification.objects.filter(pk__in=[row.pk for row in rows]).update(
            email=Notification.Email.SENT, emailed_at=timezone.now()
        )
    return len(by_user)


def notifications_send_bundles() -> int:
    """E-mails each person whose oldest waiting notification is due, with everything waiting for them."""
    from django.db.models import Q

    return _send(Notification.Email.PENDING, "notification_bundle", Q(send_after__lte=timezone.now()))


def notifications_send_digests(*, now=None) -> int:
    """The daily digest: what was chosen for it and happened before today's BALIE_DIGEST_HOUR.

    Run hourly: the first run at or after the hour sends; later runs that day find nothing older
    than the cut-off, and a missed hour is made good by the next run.
    """
    from django.db.models import Q

    now = timezone.localtime(now)
    cutoff = now.replace(hour=settings.BALIE_DIGEST_HOUR, minute=0, second=0, microsecond=0)
    if now < cutoff:
        return 0
    return _send(Notification.Email.DIGEST, "notification_digest", Q(created_at__lt=cutoff), before=cutoff)


def notification_list_for_user(*, user):
    return Notification.objects.filter(user=user).select_related("client", "firm").order_by("-created_at", "-id")


def unread_count(*, user) -> int:
    return Notification.objects.filter(user=user, read_at=None).count()


def notifications_mark_read(*, user, notification: Notification | None = None) -> int:
    rows = Notification.objects.filter(user=user, read_at=None)
    if notification is not None:
        rows = rows.filter(pk=notification.pk)
    return rows.update(read_at=timezone.now())
