from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from balie.core.addresses import is_local_request
from balie.notifications.models import DevOutboxMessage


def _require_dev_outbox(request) -> None:
    """The outbox holds sign-in codes and invitation and reset links: it exists in development only,
    and answers only this machine unless BALIE_DEV_OUTBOX_ALLOW_REMOTE says otherwise (``balie demo
    --host 0.0.0.0`` would otherwise hand everyone on the network a way past two-step verification)."""
    if not settings.BALIE_DEV_OUTBOX:
        raise Http404
    if not (settings.BALIE_DEV_OUTBOX_ALLOW_REMOTE or is_local_request(request)):
        raise Http404


@require_GET
def outbox(request):
    """Every message the development outbox caught, newest first. Does not exist in production."""
    _require_dev_outbox(request)
    page = Paginator(DevOutboxMessage.objects.all(), 25).get_page(request.GET.get("page"))
    return render(request, "notifications/outbox.html", {"page": page})


@require_GET
def outbox_message(request, pk: int):
    _require_dev_outbox(request)
    message = get_object_or_404(DevOutboxMessage, pk=pk)
    return render(request, "notifications/outbox_message.html", {"message": message})
