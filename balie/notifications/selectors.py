from django.db.models import QuerySet

from balie.firms.models import StaffMember
from balie.notifications.models import OutboxMessage


def outbox_list_for_staff(*, staff: StaffMember, status: str = "") -> QuerySet[OutboxMessage]:
    """The e-mail the staff member's firm sent or tried to send; nothing of other firms."""
    rows = OutboxMessage.objects.filter(firm_id=staff.firm_id).defer("body_text", "body_html")
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-created_at", "-id")
