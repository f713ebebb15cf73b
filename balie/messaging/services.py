"""Messages (MSG-1 .. MSG-3, FIRM-1, TASK-1): starting a thread, replying, notes, assigning,
handling, reading. Every message is sanitised before it is stored; a message with attachments is
stored whole or not at all (the files are checked first, the rows written in one transaction, and
files already stored removed when it fails).

    thread = thread_start(client=bv, user=pieter, kind="question", subject="Btw Q3", body="<p>…</p>",
                          uploads=[file1, file2])
    reply(thread=thread, user=sanne, body="…")       # the firm answers: a "reply" task for Pieter
    reply(thread=thread, user=pieter, body="…")      # the task is done; the firm's inbox has it again
    thread_handle(thread=thread, user=pieter)        # afgehandeld: tasks close
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from balie.audit.services import record
from balie.clients.models import Membership
from balie.dossiers import files
from balie.dossiers.models import Document, Dossier
from balie.firms.models import StaffMember
from balie.messaging import richtext
from balie.messaging.models import Attachment, Message, Thread, ThreadRead
from balie.notifications.models import EventKind
from balie.notifications.services import notify
from balie.todos.models import Todo
from balie.todos.services import todo_create, todos_close_for_target, todos_handle_for_target

MAX_ATTACHMENTS = 20
MAX_BODY = 20_000  # characters of a message as sent (HTML included)
MAX_TAGS = 2_000  # a message is prose: more tags than this is refused before sanitising
MESSAGES_DOSSIER = "Berichten"  # where attachments go when the thread has no dossier


def _name(user) -> str:
    return user.get_full_name() or user.email


def is_staff_of(user, client) -> bool:
    return StaffMember.objects.filter(user=user, firm_id=client.firm_id, user__is_active=True).exists()


def _members(client) -> list:
    return [
        membership.user
        for membership in Membership.objects.active()
        .filter(client=client, user__is_active=True)
        .select_related("user")
        .order_by("pk")
    ]


def _members_who_see(thread: Thread) -> list:
    """The members who may see ``thread`` (a plain Medewerker only their own and the firm's)."""
    from balie.messaging.selectors import visible_to

    return [
        user
        for user in _members(thread.client)
        if Thread.objects.filter(visible_to(user, thread.client), pk=thread.pk).exists()
    ]


def contactable_staff(*, client) -> list:
    """Whom a client may write to (MSG-1): the environment's relationship managers, then the staff
    the firm made contactable; each once, active people only."""
    people = [staff.user for staff in client.relationship_managers.select_related("user") if staff.user.is_active]
    for staff in (
        StaffMember.objects.filter(firm_id=client.firm_id, contactable=True, user__is_active=True)
        .select_related("user")
        .order_by("user__first_name", "user__last_name")
    ):
        if staff.user not in people:
            people.append(staff.user)
    return people


def _firm_people(client) -> list:
    managers = [staff.user for staff in client.relationship_managers.select_related("user")]
    return managers or [staff.user for staff in client.firm.staff.filter(role="admin").select_related("user")]


def check_body_size(body: str) -> None:
    """Refuses a body too long or with too many tags before the sanitiser spends time on it."""
    if len(body or "") > MAX_BODY or (body or "").count("<") > MAX_TAGS:
        raise ValidationError(
            {"body": _("Your message is too long: keep it under %(count)s characters.") % {"count": MAX_BODY}},
            code="body_size",
        )


def _body(body: str) -> tuple[str, str]:
    check_body_size(body)
    cleaned = richtext.clean(body)
    text = richtext.plain(cleaned)
    if not text:
        raise ValidationError({"body": _("Write your message.")}, code="body")
    return cleaned, text


def _check_uploads(uploads: list, *, client, from_firm: bool = False) -> None:
    if len(uploads) > MAX_ATTACHMENTS:
        raise ValidationError(
            {"attachments": _("At most %(count)s files can go with one message.") % {"count": MAX_ATTACHMENTS}},
            code="too_many",
        )
    problems = []
    for upload in uploads:
        try:
            files.check_upload(upload, firm=client.firm)
        except ValidationError as error:
            problems.extend(error.messages)
    if problems:
        raise ValidationError({"attachments": problems}, code="attachments")
    if uploads and not from_firm:  # the client's files count against the environment's storage
        from balie.dossiers.uploads import check_quota

        try:
            check_quota(client=client, adding=sum(upload.size for upload in uploads))
        except ValidationError as error:
            raise ValidationError({"attachments": error.messages}, code="quota") from None


def _dossier_for(thread: Thread) -> Dossier:
    if thread.dossier:
        return thread.dossier
    from balie.dossiers.services import dossier_create

    dossier = Dossier.objects.filter(client=thread.client, description=MESSAGES_DOSSIER).order_by("pk").first()
    return dossier or dossier_create(client=thread.client, description=MESSAGES_DOSSIER)


def _attach(message: Message, uploads: list, *, actor, stored: list[str]) -> None:
    from balie.dossiers.services import document_add

    if not uploads:
        return
    dossier = _dossier_for(message.thread)
    direction = Document.Direction.CORRESPONDENCE if message.from_firm else Document.Direction.CLIENT
    for upload in uploads:
        document = document_add(
            dossier=dossier,
            upload=upload,
            direction=direction,
            actor=actor,
            message=_("Attachment to the message “%(subject)s”") % {"subject": message.thread.subject},
        )
        version = document.current_version
        assert version is not None and version.file.name, "document_add has just stored it"
        stored.append(version.file.name)
        Attachment.objects.create(message=message, document=document)


@contextmanager
def _removing_on_failure(stored: list[str]):
    """Removes the files stored for a message when anything after them fails (the rows roll back)."""
    try:
        yield
    except BaseException:
        for key in stored:
            default_storage.delete(key)
        raise


def _write(thread_or_none, *, create_thread, body_html, body_text, user, from_firm, internal, uploads, stored):
    """Writes the thread (when new), the message and its attachments, in the caller's transaction;
    the keys of the files stored go into ``stored`` (see ``_removing_on_failure``)."""
    thread = create_thread() if thread_or_none is None else thread_or_none
    message = Message.objects.create(
        thread=thread, author=user, from_firm=from_firm, internal=internal, body=body_html, body_text=body_text
    )
    _attach(message, uploads, actor=user, stored=stored)
    ThreadRead.objects.update_or_create(user=user, thread=thread, defaults={"read_at": message.created_at})
    return thread, message


def thread_start(
    *,
    client,
    user,
    kind: str,
    subject: str,
    body: str,
    uploads: Iterable = (),
    dossier: Dossier | None = None,
    recipient=None,
) -> Thread:
    """A client's new thread: a question (Stel een vraag), a message to a chosen employee (Contact)
    or a message in a dossier (Berichten), or the firm's new message to the environment (from
    staff). Subject and body are required; the attachments are checked before anything is stored."""
    uploads = list(uploads)
    subject = " ".join((subject or "").split())
    errors: dict[str, str | list[str]] = {}
    if not subject:
        errors["subject"] = _("Give your message a subject.")
    elif len(subject) > 200:
        errors["subject"] = _("Keep the subject under 200 characters.")
    try:
        body_html, body_text = _body(body)
    except ValidationError as error:
        errors.update(error.message_dict)
    if kind not in Thread.Kind.values:
        errors["kind"] = _("Choose what kind of message this is.")
    if dossier is not None and dossier.client_id != client.pk:
        errors["dossier"] = _("The dossier belongs to another environment.")
    from_firm = is_staff_of(user, client)
    if not from_firm and not Membership.objects.active().filter(client=client, user=user).exists():
        raise ValidationError(_("You cannot write in this environment."), code="not_member")
    if kind == Thread.Kind.CONTACT and not from_firm:
        if recipient is None:
            errors["recipient"] = _("Choose whom you write to.")
        elif recipient not in contactable_staff(client=client):
            errors["recipient"] = _("You cannot write to this person; choose someone from the list.")
    if errors:
        raise ValidationError(errors)
    _check_uploads(uploads, client=client, from_firm=from_firm)
    now = timezone.now()

    def create():
        assignee = recipient if recipient is not None else (None if from_firm else _default_assignee(client))
        return Thread.objects.create(
            client=client,
            dossier=dossier,
            kind=kind,
            subject=subject,
            waiting_on=Thread.Side.CLIENT if from_firm else Thread.Side.FIRM,
            assignee=user if from_firm else assignee,
            created_by=user,
            created_at=now,
            last_message_at=now,
        )

    stored: list[str] = []
    with _removing_on_failure(stored), transaction.atomic():
        thread, message = _write(
            None,
            create_thread=create,
            body_html=body_html,
            body_text=body_text,
            user=user,
            from_firm=from_firm,
            internal=False,
            uploads=uploads,
            stored=stored,
        )
        _after_message(thread, message)
        _record("thread.created", thread, actor=user, details={"kind": kind, "attachments": len(uploads)})
    return thread


def _record(action: str, thread: Thread, *, actor, details: dict | None = None) -> None:
    """The audit event of a write on ``thread``: its subject and what happened, never a message's text."""
    client = thread.client
    facts = {"subject": thread.subject, **(details or {})}
    record(action, firm=client.firm, actor=actor, environment=client, obj=thread, details=facts)


def _default_assignee(client):
    managers = [staff.user for staff in client.relationship_managers.select_related("user") if staff.user.is_active]
    return managers[0] if managers else None


def _after_message(thread: Thread, message: Message) -> None:
    """Who hears of a new message, and whose task it becomes (TASK-1)."""
    client = thread.client
    if message.from_firm:
        todos_close_for_target(target=thread)  # one open reply task at a time
        members = [user for user in _members_who_see(thread) if user.pk != (message.author_id or 0)]
        notify(
            users=members,
            client=client,
            kind=EventKind.MESSAGE,
            title=gettext_noop("New message from %(firm)s: %(subject)s"),
            params={"firm": client.firm.name, "subject": thread.subject},
            link=thread.get_absolute_url(),
        )
        starter = thread.created_by
        starter_is_member = starter is not None and any(user.pk == starter.pk for user in _members(client))
        todo_create(
            client=client,
            kind=Todo.Kind.REPLY,
            title=thread.subject,
            target=thread,
            audience=Todo.Audience.NAMED if starter_is_member else Todo.Audience.MEMBERS,
            assignees=[starter] if starter_is_member else [],
            created_by=message.author,
        )
    else:
        todos_handle_for_target(target=thread, user=message.author)  # the client replied: task done
        # The assignee while they still work for the firm; the text itself stays in the portal.
        assignee = thread.assignee if thread.assignee_id and is_staff_of(thread.assignee, client) else None
        notify(
            users=[assignee] if assignee else _firm_people(client),
            client=client,
            kind=EventKind.MESSAGE,
            title=gettext_noop("New message from %(who)s (%(client)s): %(subject)s"),
            params={"who": _name(message.author), "client": client.name, "subject": thread.subject},
            link=staff_link(thread),
        )


def staff_link(thread: Thread) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("messaging_staff:thread", args=[thread.public_id])
    except NoReverseMatch:
        return reverse("clients:staff_detail", args=[thread.client.public_id])


def reply(*, thread: Thread, user, body: str, uploads: Iterable = ()) -> Message:
    """Beantwoorden: a message in an existing thread, by a member of its environment or by the
    firm's staff. A reply reopens a handled thread; it turns the thread over to the other side."""
    uploads = list(uploads)
    body_html, body_text = _body(body)
    from_firm = is_staff_of(user, thread.client)
    if not from_firm and not Membership.objects.active().filter(client=thread.client, user=user).exists():
        raise ValidationError(_("You cannot write in this environment."), code="not_member")
    _check_uploads(uploads, client=thread.client, from_firm=from_firm)
    stored: list[str] = []
    with _removing_on_failure(stored), transaction.atomic():
        locked = Thread.objects.select_for_update().select_related("client__firm").get(pk=thread.pk)
        _thread, message = _write(
            locked,
            create_thread=None,
            body_html=body_html,
            body_text=body_text,
            user=user,
            from_firm=from_firm,
            internal=False,
            uploads=uploads,
            stored=stored,
        )
        locked.last_message_at = message.created_at
        locked.waiting_on = Thread.Side.CLIENT if from_firm else Thread.Side.FIRM
        locked.status, locked.handled_at, locked.handled_by = Thread.Status.OPEN, None, None
        if from_firm and locked.assignee_id is None:
            locked.assignee = user
        locked.save(update_fields=["last_message_at", "waiting_on", "status", "handled_at", "handled_by", "assignee"])
        _after_message(locked, message)
        _record("message.posted", locked, actor=user, details={"from_firm": from_firm, "attachments": len(uploads)})
    thread.refresh_from_db()
    return message


def note_add(*, thread: Thread, user, body: str) -> Message:
    """An internal note among the firm's staff: never shown to the client, nobody outside told."""
    if not is_staff_of(user, thread.client):
        raise ValidationError(_("Only the firm can add notes."), code="not_staff")
    body_html, body_text = _body(body)
    with transaction.atomic():
        note = Message.objects.create(
            thread=thread, author=user, from_firm=True, internal=True, body=body_html, body_text=body_text
        )
        _record("message.note_added", thread, actor=user)
        return note


def thread_assign(*, thread: Thread, assignee, actor) -> Thread:
    """Gives the thread to a colleague (or to nobody); the colleague hears of it."""
    if not is_staff_of(actor, thread.client):
        raise ValidationError(_("Only the firm can assign messages."), code="not_staff")
    if assignee is not None and not is_staff_of(assignee, thread.client):
        raise ValidationError(_("Choose a colleague of this firm."), code="not_colleague")
    with transaction.atomic():
        before = thread.assignee
        Thread.objects.filter(pk=thread.pk).update(assignee=assignee)
        thread.assignee = assignee
        names = [_name(before) if before else "", _name(assignee) if assignee else ""]
        if assignee is not None and assignee.pk != actor.pk:
            notify(
                users=[assignee],
                client=thread.client,
                kind=EventKind.REQUEST,
                title=gettext_noop("%(who)s gave you the message “%(subject)s” (%(client)s)"),
                params={"who": _name(actor), "subject": thread.subject, "client": thread.client.name},
                link=staff_link(thread),
            )
        _record("thread.assigned", thread, actor=actor, details={"assignee": names})
    return thread


def thread_handle(*, thread: Thread, user) -> Thread:
    """Afgehandeld: by either side; the reply tasks close; a new message reopens it."""
    from_firm = is_staff_of(user, thread.client)
    if not from_firm and not Membership.objects.active().filter(client=thread.client, user=user).exists():
        raise ValidationError(_("You cannot handle this message."), code="not_member")
    with transaction.atomic():
        locked = Thread.objects.select_for_update().get(pk=thread.pk)
        if locked.status == Thread.Status.HANDLED:
            return locked
        locked.status, locked.handled_at, locked.handled_by = Thread.Status.HANDLED, timezone.now(), user
        locked.save(update_fields=["status", "handled_at", "handled_by"])
        if not from_firm:
            todos_handle_for_target(target=locked, user=user)
        todos_close_for_target(target=locked)
        _record("thread.handled", locked, actor=user)
    thread.status = locked.status
    return locked


def thread_read(*, thread: Thread, user) -> None:
    ThreadRead.objects.update_or_create(user=user, thread=thread, defaults={"read_at": timezone.now()})
