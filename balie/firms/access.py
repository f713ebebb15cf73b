"""Access to the firm's back office: only the firm's own staff, everyone else gets 404."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404

from balie.firms.models import StaffMember


def staff_member_for(user) -> StaffMember | None:
    if not user.is_authenticated or not user.is_active:
        return None
    try:
        return StaffMember.objects.select_related("firm", "user").get(user=user)
    except StaffMember.DoesNotExist:
        return None


def staff_required(view):
    """Sets ``request.staff`` (with its firm) or answers 404: the back office does not exist for others."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        staff = staff_member_for(request.user)
        if staff is None:
            raise Http404
        request.staff = staff
        return view(request, *args, **kwargs)

    return wrapper


def firm_admin_required(view):
    """Like ``staff_required``, for the firm's administrators only: other staff get 404 too."""

    @staff_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.staff.is_admin:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper
