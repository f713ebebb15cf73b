"""What the page layout needs: the firm whose branding shows, the switcher's environments, the menu."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from balie.clients.organisation import pending_change_request_count
from balie.clients.roles import allowed_actions
from balie.clients.selectors import client_list_for_user
from balie.firms.access import staff_member_for
from balie.messaging.selectors import waiting_count_for_staff
from balie.messaging.unread import unread_thread_count
from balie.notifications.services import unread_count
from balie.todos.selectors import todo_list_for_user

SWITCHER_LIMIT = 8


def layout(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if getattr(request, "twostep_pending", False):
        # Two-step verification must be set up first: no environment data on those pages.
        return {"twostep_pending": True}

    def staff():
        if not hasattr(request, "staff"):
            request.staff = staff_member_for(user)
        return request.staff

    def switcher():
        # One query, whatever the number of environments: the first few plus a "more" link.
        known = getattr(request, "environments", None)
        items = (
            known[: SWITCHER_LIMIT + 1]
            if known is not None
            else list(client_list_for_user(user=user)[: SWITCHER_LIMIT + 1])
        )
        return {"items": items[:SWITCHER_LIMIT], "more": len(items) > SWITCHER_LIMIT}

    def brand():
        client = getattr(request, "client", None)
        if client is not None:
            return client.firm
        member = staff()
        if member is not None:
            return member.firm
        items = layout_switcher["items"]
        return items[0].firm if items else None

    def open_todo_count():
        if not hasattr(request, "open_todo_count"):
            request.open_todo_count = todo_list_for_user(user=user).count()
        return request.open_todo_count

    def pending_change_requests():
        member = staff()
        return 0 if member is None else pending_change_request_count(firm=member.firm)

    def waiting_messages():
        # Threads waiting for the firm, given to this person or to nobody: one count query.
        member = staff()
        return 0 if member is None else waiting_count_for_staff(staff=member)

    def unread():
        return unread_count(user=user)

    def unread_messages():
        client = getattr(request, "client", None)
        return 0 if client is None else unread_thread_count(user=user, client=client)

    layout_switcher = SimpleLazyObject(switcher)
    return {
        "current_client": getattr(request, "client", None),
        "current_membership": getattr(request, "membership", None),
        # What the member's role allows here (balie.clients.roles), for menus and buttons.
        "client_can": allowed_actions(getattr(request, "membership", None)),
        "staff_member": SimpleLazyObject(staff),
        "switcher": layout_switcher,
        "brand": SimpleLazyObject(brand),
        "open_todo_count": SimpleLazyObject(open_todo_count),
        "unread_notifications": SimpleLazyObject(unread),
        "unread_messages": SimpleLazyObject(unread_messages),  # threads of this environment, one query
        "pending_change_requests": SimpleLazyObject(pending_change_requests),
        "waiting_messages": SimpleLazyObject(waiting_messages),
    }
