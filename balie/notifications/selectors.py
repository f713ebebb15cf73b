from datetime import datetime

from django.db.models import QuerySet

from balie.firms.models import StaffMember
from balie.notifications.models import OutboxMessage


def outbox_list_for_staff(*, staff: StaffMember, status: str = "") -> QuerySet[OutboxMessage]:
    """The e-mail the staff member's firm sent or tried to send; nothing of other firms."""
    rows = OutboxMessage.objects.filter(firm_id=staff.firm_id).defer("body_text", "body_html")
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-created_at", "-id")


def _oldest_waiting(rows: QuerySet[OutboxMessage]) -> datetime | None:
    return (
        rows.filter(channel=OutboxMessage.Channel.EMAIL, status__in=OutboxMessage.WAITING)
        .order_by("queued_at")
        .values_list("queued_at", flat=True)
        .first()
    )


def outbox_oldest_waiting() -> datetime | None:
    """Since when the oldest e-mail that is not delivered yet (and still tried) waits, over all firms:
    for the operator's health check."""
    return _oldest_waiting(OutboxMessage.objects.all())
