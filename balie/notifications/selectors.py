from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404

from balie.firms.models import StaffMember
from balie.notifications.models import OutboxMessage


def outbox_list_for_staff(*, staff: StaffMember, status: str = "") -> QuerySet[OutboxMessage]:
    """The e-mail the staff member's firm sent or tried to send; nothing of other firms."""
    rows = OutboxMessage.objects.filter(firm_id=staff.firm_id).defer("body_text", "body_html")
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-created_at", "-id")


def get_outbox_message_for_staff(*, staff: StaffMember, public_id) -> OutboxMessage:
    """A message of the staff member's firm; 404 for anything else."""
    try:
        return outbox_list_for_staff(staff=staff).get(public_id=public_id)
    except (OutboxMessage.DoesNotExist, ValueError, ValidationError):
        raise Http404 from None


def _oldest_waiting(rows: QuerySet[OutboxMessage]) -> datetime | None:
    return (
        rows.filter(channel=OutboxMessage.Channel.EMAIL, status__in=OutboxMessage.WAITING)
        .order_by("queued_at")
        .values_list("queued_at", flat=True)
        .first()
    )


def outbox_oldest_waiting_for_staff(*, staff: StaffMember) -> datetime | None:
    """Since when the firm's oldest e-mail that is not delivered yet (and still tried) waits."""
    return _oldest_waiting(OutboxMessage.objects.filter(firm_id=staff.firm_id))


def outbox_oldest_waiting() -> datetime | None:
    """The same over all firms, for the operator's health check."""
    return _oldest_waiting(OutboxMessage.objects.all())
