from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from balie.core.actions import service_refusal
from balie.firms.access import staff_required
from balie.notifications.models import OutboxMessage
from balie.notifications.outbox import outbox_message_resend, outbox_resend_failed
from balie.notifications.selectors import (
    get_outbox_message_for_staff,
    outbox_list_for_staff,
    outbox_oldest_waiting_for_staff,
)


@staff_required
@require_GET
def delivery_list(request):
    """Verzending: what the firm's e-mail did, failed deliveries first in mind (NOT-3)."""
    status = request.GET.get("status", OutboxMessage.Status.FAILED)
    if status not in OutboxMessage.Status.values and status != "":
        status = OutboxMessage.Status.FAILED
    page = Paginator(outbox_list_for_staff(staff=request.staff, status=status), 25).get_page(request.GET.get("page"))
    waiting_since = outbox_oldest_waiting_for_staff(staff=request.staff)
    waiting_seconds = int((timezone.now() - waiting_since).total_seconds()) if waiting_since else None
    return render(
        request,
        "notifications/staff/delivery_list.html",
        {
            "page": page,
            "status": status,
            "statuses": OutboxMessage.Status.choices,
            "give_up_hours": settings.BALIE_OUTBOX_GIVE_UP_HOURS,
            "waiting_since": waiting_since,
            "waiting_seconds": waiting_seconds,
            "waiting_late": waiting_seconds is not None and waiting_seconds >= settings.BALIE_OUTBOX_ALERT_MINUTES * 60,
        },
    )


def _queued(request, count: int) -> None:
    if count:
        messages.success(
            request,
            ngettext(
                "%(count)d message has been queued for delivery again.",
                "%(count)d messages have been queued for delivery again.",
                count,
            )
            % {"count": count},
        )
    else:
        messages.info(request, _("There were no failed messages to send again."))


@staff_required
@require_POST
def delivery_resend(request, message):
    """Opnieuw versturen: one failed message of the firm back in line, with its own Message-ID."""
    message = get_outbox_message_for_staff(staff=request.staff, public_id=message)
    with service_refusal(request, first_only=True) as outcome:
        outbox_message_resend(message=message, actor=request.user)
    if outcome.ok:
        _queued(request, 1)
    return redirect("notifications:staff_delivery")


@staff_required
@require_POST
def delivery_resend_failed(request):
    """Alle mislukte opnieuw versturen: every failed message of the firm back in line."""
    _queued(request, outbox_resend_failed(firm=request.staff.firm, actor=request.user))
    return redirect("notifications:staff_delivery")
