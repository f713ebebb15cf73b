from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from balie.firms.access import staff_required
from balie.notifications.models import OutboxMessage
from balie.notifications.selectors import outbox_list_for_staff


@staff_required
@require_GET
def delivery_list(request):
    """Verzending: what the firm's e-mail did, failed deliveries first in mind (NOT-3)."""
    status = request.GET.get("status", OutboxMessage.Status.FAILED)
    if status not in OutboxMessage.Status.values and status != "":
        status = OutboxMessage.Status.FAILED
    page = Paginator(outbox_list_for_staff(staff=request.staff, status=status), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/staff/delivery_list.html",
        {"page": page, "status": status, "statuses": OutboxMessage.Status.choices},
    )
