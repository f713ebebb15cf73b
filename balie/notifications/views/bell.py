from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from balie.notifications.forms import PreferencesForm
from balie.notifications.models import Notification
from balie.notifications.services import (
    notification_list_for_user,
    notifications_mark_read,
    preferences_for,
    preferences_save,
)


@login_required
@require_GET
def notification_list(request):
    """The bell: what happened for me, newest first (unread in bold)."""
    page = Paginator(notification_list_for_user(user=request.user), 25).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@login_required
@require_GET
def notification_open(request, notification):
    try:
        item = Notification.objects.get(user=request.user, public_id=notification)
    except (Notification.DoesNotExist, ValueError, ValidationError):
        raise Http404 from None
    notifications_mark_read(user=request.user, notification=item)
    if not url_has_allowed_host_and_scheme(item.link, allowed_hosts=None):
        return redirect("notifications:list")
    return redirect(item.link)


@login_required
@require_POST
def notification_read_all(request):
    notifications_mark_read(user=request.user)
    messages.success(request, _("All notifications are marked as read."))
    return redirect("notifications:list")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    """Per kind of event: immediately, daily digest or off. Security e-mails always go (NOT-2)."""
    form = PreferencesForm(request.POST or None, initial=preferences_for(user=request.user))
    if request.method == "POST" and form.is_valid():
        preferences_save(user=request.user, choices=form.cleaned_data)
        messages.success(request, _("Your notification settings have been saved."))
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})
