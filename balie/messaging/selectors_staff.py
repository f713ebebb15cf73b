"""Reads the firm's inbox pages need besides ``selectors``: the colleagues to assign to, the
environments to filter on, "mine or nobody's", and a thread's messages with their documents'
dossiers (for the links to the firm's document page). Each is one query."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from balie.clients.models import Client
from balie.firms.models import StaffMember
from balie.messaging.models import Attachment, Message, Thread


def colleagues_for_staff(*, staff) -> QuerySet[StaffMember]:
    """The active staff of the person's own firm (the person included)."""
    return (
        StaffMember.objects.filter(firm_id=staff.firm_id, user__is_active=True)
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__email")
    )


def environments_with_threads(*, staff) -> QuerySet[Client]:
    """The firm's environments that have at least one thread, for the inbox's filter."""
    return Client.objects.filter(firm_id=staff.firm_id, threads__isnull=False).distinct().order_by("name", "pk")


def for_me_or_nobody(threads: QuerySet[Thread], *, user) -> QuerySet[Thread]:
    """Threads given to this person or to nobody: what the menu counts as waiting for them."""
    return threads.filter(Q(assignee=user) | Q(assignee__isnull=True))


def thread_messages_for_staff(*, thread: Thread) -> QuerySet[Message]:
    """Every message of the thread, internal notes included, with attachments and their dossiers."""
    attachments = Attachment.objects.select_related("document__dossier", "document__current_version").order_by("pk")
    return (
        thread.messages.select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=attachments))
        .order_by("created_at", "pk")
    )
