"""The outbox: write a message in the current transaction, deliver it with a job.

``outbox_add_email`` is all a capability needs. Delivery (``outbox_deliver_due``) claims due rows,
sends them over one SMTP connection, and records each delivery the moment the server accepted
it. A connection failure or a temporary (4xx) answer puts the rows back with exponential backoff,
capped at ``BALIE_OUTBOX_RETRY_MAX_SECONDS``; a message is marked failed only when it still could
not be delivered ``BALIE_OUTBOX_GIVE_UP_HOURS`` after it was queued (or after its ``expires_at``,
for SMS codes). A recipient the server refuses (5xx) fails that message at once, and only that one.
Staff can put failed messages back in line (``outbox_message_resend``, ``outbox_resend_failed``).
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Q
from django.db.transaction import on_commit
from django.utils import timezone
from django.utils.translation import gettext as _

from balie.core import jobs
from balie.core.links import site_host
from balie.notifications.jobs import deliver_outbox
from balie.notifications.models import OutboxMessage
from balie.notifications.sms import SmsRejected, SmsTemporaryError, get_gateway

logger = logging.getLogger(__name__)


def _message_id() -> str:
    domain = site_host() or "balie.local"
    return f"<{uuid.uuid4().hex}@{domain}>"


def outbox_add_email(
    *, message: EmailMessage, firm=None, queue: str = OutboxMessage.Queue.TRANSACTIONAL
) -> list[OutboxMessage]:
    """Stores ``message`` (one row per recipient) in the current transaction and asks for delivery
    once it commits. If that request is lost, the periodic relay delivers the rows anyway."""
    html = ""
    for content, mimetype in getattr(message, "alternatives", []):
        if mimetype == "text/html":
            html = content
    rows = OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                firm=firm,
                channel=OutboxMessage.Channel.EMAIL,
                queue=queue,
                recipient=recipient,
                sender=message.from_email or settings.DEFAULT_FROM_EMAIL,
                subject=message.subject,
                body_text=message.body,
                body_html=html,
                message_id=_message_id(),
            )
            for recipient in message.recipients()
        ]
    )
    on_commit(lambda: _request_delivery(queue))
    return rows


def _request_delivery(queue: str) -> None:
    try:
        deliver_outbox.enqueue(queue=queue, outbox_queue=queue)
    except Exception:
        # The broker may be down: the rows are safe in the database and the relay will find them.
        logger.warning("could not request outbox delivery; the relay will pick it up", exc_info=True)


def outbox_add_sms(*, to: str, text: str, firm=None, expires_at=None) -> OutboxMessage:
    """Stores an SMS for delivery; refuses more than BALIE_SMS_PER_RECIPIENT_PER_HOUR per number.

    An SMS carrying a code passes the code's expiry as ``expires_at``: it is never delivered after
    that moment (it would be useless), however long the gateway has been down.
    """
    hour_ago = timezone.now() - timedelta(hours=1)
    recent = OutboxMessage.objects.filter(channel=OutboxMessage.Channel.SMS, recipient=to, created_at__gte=hour_ago)
    if recent.count() >= settings.BALIE_SMS_PER_RECIPIENT_PER_HOUR:
        raise ValidationError(_("Too many text messages to this number; try again later."), code="sms_rate_limited")
    row = OutboxMessage.objects.create(
        firm=firm,
        channel=OutboxMessage.Channel.SMS,
        recipient=to,
        sender=settings.BALIE_SMS_SENDER,
        body_text=text,
        message_id=_message_id(),
        expires_at=expires_at,
    )
    on_commit(lambda: _request_delivery(OutboxMessage.Queue.TRANSACTIONAL))
    return row


def _due(now, queue: str | None, channel: str = OutboxMessage.Channel.EMAIL):
    due = Q(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now) | Q(
        status=OutboxMessage.Status.SENDING, claimed_until__lt=now
    )
    rows = OutboxMessage.objects.filter(due, channel=channel)
    return rows.filter(queue=queue) if queue else rows


def _claim(*, queue: str | None, limit: int, channel: str = OutboxMessage.Channel.EMAIL) -> list[OutboxMessage]:
    """Claims due rows for this worker until ``claimed_until`` (its lease, also its claim mark).

    The lease covers a whole batch of slow SMTP answers. A row whose worker died is taken over
    after the lease, unless its time is up: then it is marked failed (so a message that kills its
    worker cannot do so forever). A row past its ``expires_at`` is failed without being sent.
    """
    now = timezone.now()
    lease = timedelta(seconds=max(settings.BALIE_OUTBOX_LEASE_SECONDS, limit * settings.EMAIL_TIMEOUT + 60))
    with transaction.atomic():
        rows = list(
            _due(now, queue, channel).select_for_update(skip_locked=True).order_by("next_attempt_at", "id")[:limit]
        )
        claimed, exhausted = [], []
        for row in rows:
            if row.expires_at is not None and row.expires_at <= now:
                row.status, row.claimed_until = OutboxMessage.Status.FAILED, None
                row.last_error = f"expired before it could be delivered; {row.last_error}".rstrip("; ")
                exhausted.append(row)
                continue
            if row.status == OutboxMessage.Status.SENDING and now >= _give_up_at(row):
                row.status, row.claimed_until = OutboxMessage.Status.FAILED, None
                row.last_error = row.last_error or "no answer from the delivery attempt"
                exhausted.append(row)
                continue
            row.status = OutboxMessage.Status.SENDING
            row.attempts += 1
            row.claimed_until = now + lease
            claimed.append(row)
        OutboxMessage.objects.bulk_update(claimed + exhausted, ["status", "attempts", "claimed_until", "last_error"])
    return claimed


def _write(row: OutboxMessage, **fields) -> bool:
    """Saves the outcome only while this worker still holds the claim, so a worker whose lease
    ran out can never overwrite what the worker that took over recorded."""
    return bool(
        OutboxMessage.objects.filter(
            pk=row.pk, status=OutboxMessage.Status.SENDING, claimed_until=row.claimed_until
        ).update(**fields)
    )


def _give_up_at(row: OutboxMessage):
    """The moment a temporarily failing message is marked failed instead of tried again."""
    give_up = row.queued_at + timedelta(hours=settings.BALIE_OUTBOX_GIVE_UP_HOURS)
    return min(give_up, row.expires_at) if row.expires_at is not None else give_up


def retry_delay_seconds(attempt: int) -> float:
    """The wait after the ``attempt``-th failed try: doubling from BALIE_OUTBOX_RETRY_SECONDS,
    never more than BALIE_OUTBOX_RETRY_MAX_SECONDS (30 s, 1 min, 2 min, ... 16 min, 30 min, 30 min ...)."""
    return jobs.backoff_seconds(
        min(attempt, 64), base=settings.BALIE_OUTBOX_RETRY_SECONDS, cap=settings.BALIE_OUTBOX_RETRY_MAX_SECONDS
    )


def _retry_later(row: OutboxMessage, error: str) -> None:
    now = timezone.now()
    give_up_at = _give_up_at(row)
    if now >= give_up_at:
        _fail(row, f"given up: {error}")
        return
    # The last try falls on the give-up moment itself, not a backoff step beyond it.
    next_attempt_at = min(now + timedelta(seconds=retry_delay_seconds(row.attempts)), give_up_at)
    _write(
        row,
        status=OutboxMessage.Status.PENDING,
        last_error=error[:2000],
        claimed_until=None,
        next_attempt_at=next_attempt_at,
    )


def _fail(row: OutboxMessage, error: str) -> None:
    _write(row, status=OutboxMessage.Status.FAILED, last_error=error[:2000], claimed_until=None)


def _as_email(row: OutboxMessage, connection) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=row.subject,
        body=row.body_text,
        from_email=row.sender,
        to=[row.recipient],
        headers={"Message-ID": row.message_id},
        connection=connection,
    )
    if row.body_html:
        message.attach_alternative(row.body_html, "text/html")
    return message


def outbox_deliver_batch(*, queue: str | None = None, limit: int = 50) -> tuple[int, int]:
    """Delivers one batch of what is due (all queues when ``queue`` is None).

    Returns (claimed, sent).
    """
    rows = _claim(queue=queue, limit=limit)
    if not rows:
        return 0, 0
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except Exception as error:  # the server is down: nothing was sent, try again later
        for row in rows:
            _retry_later(row, f"connection: {error!r}")
        return len(rows), 0
    sent = 0
    try:
        for index, row in enumerate(rows):
            try:
                connection.send_messages([_as_email(row, connection)])
            except smtplib.SMTPRecipientsRefused as error:
                _fail(row, f"recipient refused: {error.recipients!r}")
                continue
            except smtplib.SMTPResponseException as error:  # the server answered this message with an error
                if 400 <= error.smtp_code < 500:
                    _retry_later(row, f"temporary: {error.smtp_code} {error.smtp_error!r}")
                else:
                    _fail(row, f"refused: {error.smtp_code} {error.smtp_error!r}")
                continue
            except (smtplib.SMTPServerDisconnected, ConnectionError, TimeoutError) as error:
                # The connection broke: this message and the rest go back in line.
                for rest in rows[index:]:
                    _retry_later(rest, f"connection: {error!r}")
                break
            except Exception as error:  # a message that can never be sent (e.g. a bad header)
                logger.exception("outbox message %s cannot be sent", row.pk)
                _fail(row, f"cannot be sent: {error!r}")
                continue
            # Accepted by the server: record it before anything else can go wrong.
            if _write(row, status=OutboxMessage.Status.SENT, sent_at=timezone.now(), claimed_until=None, last_error=""):
                sent += 1
    finally:
        try:
            connection.close()
        except Exception:
            logger.warning("closing the mail connection failed", exc_info=True)
    return len(rows), sent


def outbox_deliver_sms_batch(*, queue: str | None = None, limit: int = 50) -> tuple[int, int]:
    """Delivers one batch of due SMS through the gateway; returns (claimed, sent)."""
    rows = _claim(queue=queue, limit=limit, channel=OutboxMessage.Channel.SMS)
    gateway = get_gateway()
    sent = 0
    for row in rows:
        try:
            gateway.send(to=row.recipient, text=row.body_text, sender=row.sender)
        except SmsRejected as error:
            _fail(row, f"rejected: {error}")
            continue
        except SmsTemporaryError as error:
            _retry_later(row, f"gateway: {error}")
            continue
        if _write(row, status=OutboxMessage.Status.SENT, sent_at=timezone.now(), claimed_until=None, last_error=""):
            sent += 1
    return len(rows), sent


def outbox_deliver_due(*, queue: str | None = None, limit: int = 50, max_batches: int = 100) -> int:
    """Delivers e-mail and SMS batches until nothing is due (or ``max_batches``); returns how many were sent."""
    total = 0
    for deliver in (outbox_deliver_batch, outbox_deliver_sms_batch):
        for _batch in range(max_batches):
            claimed, sent = deliver(queue=queue, limit=limit)
            total += sent
            if claimed == 0:
                break
    return total


def _resendable(rows, now):
    """Failed rows that may go back in line: not an SMS code that is no longer valid."""
    return rows.filter(status=OutboxMessage.Status.FAILED).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))


def _requeue(rows, *, actor) -> int:
    """Puts the rows back in line as if new (same Message-ID, fresh give-up clock and backoff),
    noting who did it; asks for delivery once the transaction commits."""
    now = timezone.now()
    rows = _resendable(rows, now)
    queues = set(rows.values_list("queue", flat=True).distinct())
    count = rows.update(
        status=OutboxMessage.Status.PENDING,
        attempts=0,
        next_attempt_at=now,
        queued_at=now,
        claimed_until=None,
        resent_at=now,
        resent_by=actor,
    )
    for queue in sorted(queues):
        on_commit(lambda queue=queue: _request_delivery(queue))
    return count


@transaction.atomic
def outbox_message_resend(*, message: OutboxMessage, actor) -> None:
    """Queues one failed message for delivery again. Raises ValidationError when it did not fail
    (or no longer did: a second click), or is an SMS code that has expired."""
    if message.expires_at is not None and message.expires_at <= timezone.now():
        raise ValidationError(
            _("This code is no longer valid, so it is not sent again; the person can ask for a new one."),
            code="expired",
        )
    if not _requeue(OutboxMessage.objects.filter(pk=message.pk), actor=actor):
        raise ValidationError(_("Only a message that failed can be sent again."), code="not_failed")


@transaction.atomic
def outbox_resend_failed(*, firm, actor) -> int:
    """Queues every failed message of ``firm`` for delivery again; returns how many."""
    return _requeue(OutboxMessage.objects.filter(firm=firm), actor=actor)
