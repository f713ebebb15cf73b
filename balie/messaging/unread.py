"""Unread threads of a member as one number (the menu, the dossier's Berichten tab), one query.

A thread counts when it holds a message, not an internal note, by someone else that came after the
person last read the thread (the same rule as ``selectors._with_state``).
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, Subquery

from balie.messaging.models import Message, Thread, ThreadRead


def unread_thread_count(*, user, client, dossier=None) -> int:
    reads = ThreadRead.objects.filter(thread=OuterRef("thread"), user=user)
    unread = (
        Message.objects.filter(thread=OuterRef("pk"), internal=False)
        .exclude(author=user)
        .filter(Q(created_at__gt=Subquery(reads.values("read_at")[:1])) | ~Exists(reads))
    )
    from balie.messaging.selectors import visible_to

    threads = Thread.objects.filter(visible_to(user, client))
    if dossier is not None:
        threads = threads.filter(dossier=dossier)
    return threads.filter(Exists(unread)).count()
