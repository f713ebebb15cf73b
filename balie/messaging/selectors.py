"""Reads of threads: what a member of an environment sees, the firm's inbox, unread state and
search, each in a constant number of queries."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict, cast

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from balie.clients.models import Membership
from balie.firms.models import StaffMember
from balie.messaging.models import Message, Thread, ThreadRead

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    class _State(TypedDict):
        unread: int
        message_count: int

    ThreadWithState = WithAnnotations[Thread, _State]


def visible_to(user, client) -> Q:
    """The threads of ``client`` that ``user`` may see: all of them for a Beheerder and a
    Medewerker+; for a plain Medewerker only those they started and those the firm started (the
    questions of colleagues are theirs, roles.py). One condition, no extra query."""
    plain_employee = Membership.objects.active().filter(client=client, user=user, role=Membership.Role.EMPLOYEE)
    firm_started = StaffMember.objects.filter(user=OuterRef("created_by"), firm_id=client.firm_id)
    # Combining a negated Exists with a Q gives a Q at run time; the stubs only know "Combinable".
    return Q(client=client) & cast(Q, ~Exists(plain_employee) | Q(created_by=user) | Exists(firm_started))


def _with_state(threads: QuerySet[Thread], user) -> QuerySet[ThreadWithState]:
    """Each thread with ``unread`` (messages by others after the person last read it, notes left
    out for clients) and ``message_count``, in the same query."""
    read_at = ThreadRead.objects.filter(thread=OuterRef("pk"), user=user).values("read_at")[:1]
    return threads.select_related("client", "dossier", "assignee", "created_by").annotate(
        message_count=Count("messages", filter=Q(messages__internal=False), distinct=True),
        unread=Count(
            "messages",
            filter=Q(messages__internal=False)
            & ~Q(messages__author=user)
            & cast(  # a Q at run time (see visible_to)
                Q,
                Q(messages__created_at__gt=Subquery(read_at))
                | ~Exists(ThreadRead.objects.filter(thread=OuterRef("pk"), user=user)),
            ),
            distinct=True,
        ),
    )


def _search(threads: QuerySet[Thread], q: str, *, internal: bool) -> QuerySet[Thread]:
    q = (q or "").strip()
    if not q:
        return threads
    bodies = Message.objects.filter(thread=OuterRef("pk"), body_text__icontains=q)
    if not internal:
        bodies = bodies.filter(internal=False)
    return threads.filter(Q(subject__icontains=q) | Exists(bodies))


def threads_for_member(*, user, client, dossier=None, q: str = "", status: str = "") -> QuerySet[ThreadWithState]:
    """The threads of ``client`` (all of them, or those of ``dossier``; with ``status``, only the
    open ones or only the handled ones: Historie), newest activity first."""
    threads = Thread.objects.filter(visible_to(user, client))
    if dossier is not None:
        threads = threads.filter(dossier=dossier)
    if status:
        threads = threads.filter(status=status)
    return _with_state(_search(threads, q, internal=False), user).order_by("-last_message_at", "-pk")


def get_thread_for_member(*, client, public_id, user) -> Thread:
    thread = (
        Thread.objects.select_related("client__firm", "dossier")
        .filter(visible_to(user, client), public_id=public_id)
        .first()
    )
    if thread is None:
        raise Http404
    return thread


def messages_for_member(*, thread: Thread) -> QuerySet[Message]:
    """The thread's messages for the client: no notes, and no attachment the firm withdrew."""
    from django.db.models import Prefetch

    from balie.dossiers.models import Document
    from balie.messaging.models import Attachment

    attachments = Attachment.objects.filter(document__status=Document.Status.ACTIVE).select_related(
        "document__current_version"
    )
    return (
        thread.messages.filter(internal=False)
        .select_related("author__staff_member")  # the firm's writers: their photo beside the name
        .prefetch_related(Prefetch("attachments", queryset=attachments))
        .order_by("created_at", "pk")
    )


def unread_count_for_member(*, user, client) -> int:
    return sum(1 for thread in threads_for_member(user=user, client=client) if thread.unread)


def inbox_for_staff(
    *,
    staff,
    assignee=None,
    unassigned: bool = False,
    client=None,
    unread: bool = False,
    waiting: bool = False,
    status: str = Thread.Status.OPEN,
    q: str = "",
) -> QuerySet[Thread]:
    """The firm's inbox (FIRM-1): its clients' threads, open ones by default; filters on the
    assignee (or nobody), the environment, unread for this person, waiting for the firm."""
    threads = Thread.objects.filter(client__firm_id=staff.firm_id)
    if status:
        threads = threads.filter(status=status)
    if assignee is not None:
        threads = threads.filter(assignee=assignee)
    elif unassigned:
        threads = threads.filter(assignee__isnull=True)
    if client is not None:
        threads = threads.filter(client=client)
    if waiting:
        threads = threads.filter(waiting_on=Thread.Side.FIRM)
    with_state = _with_state(_search(threads, q, internal=True), staff.user)
    if unread:
        with_state = with_state.filter(unread__gt=0)
    return with_state.order_by("-last_message_at", "-pk")


def get_thread_for_staff(*, staff, public_id) -> Thread:
    thread = (
        Thread.objects.select_related("client__firm", "dossier", "assignee")
        .filter(client__firm_id=staff.firm_id, public_id=public_id)
        .first()
    )
    if thread is None:
        raise Http404
    return thread


def messages_for_staff(*, thread: Thread) -> QuerySet[Message]:
    return (
        thread.messages.select_related("author__staff_member")  # colleagues: their photo beside the name
        .prefetch_related("attachments__document__current_version")
        .order_by("created_at", "pk")
    )


def waiting_count_for_staff(*, staff) -> int:
    """Open threads waiting for the firm, given to this person or to nobody (the menu count)."""
    return (
        Thread.objects.filter(client__firm_id=staff.firm_id, status=Thread.Status.OPEN, waiting_on=Thread.Side.FIRM)
        .filter(Q(assignee=staff.user) | Q(assignee__isnull=True))
        .count()
    )


def staff_author_for_member(*, user, client, author_public_id) -> StaffMember | None:
    """A staff member of ``client``'s firm who wrote a message (not a note) in a thread ``user``
    may read, or None: whose photo the thread page may show beside their name."""
    written = Message.objects.filter(
        Q(thread__in=Thread.objects.filter(visible_to(user, client))),
        internal=False,
        author=OuterRef("user"),
    )
    return (
        StaffMember.objects.filter(firm_id=client.firm_id, user__public_id=author_public_id)
        .filter(Exists(written))
        .first()
    )


def thread_titles(*, firm_id: int, ids: list[str]) -> dict[str, str]:
    """Subjects of the firm's threads by public id, for the audit trail's pages."""
    rows = Thread.objects.filter(client__firm_id=firm_id, public_id__in=ids).values_list("public_id", "subject")
    return {str(public_id): subject for public_id, subject in rows}
