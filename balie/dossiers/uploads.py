"""Clients supplying documents (DOS-6) and the firm's list of what came in ("Aangeleverd")."""

from __future__ import annotations

import uuid
from datetime import date

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from balie.audit.services import record
from balie.dossiers import files
from balie.dossiers.models import Document, DocumentRead, DocumentVersion, Dossier, Folder
from balie.dossiers.services import MAX_FILES_PER_REQUEST, document_add
from balie.todos.models import Todo
from balie.todos.services import todo_create, todos_handle_for_target


def documents_supply(
    *,
    dossier: Dossier,
    folder: Folder | None,
    uploads: list,
    actor,
    upload_ids: list[uuid.UUID | None] | None = None,
) -> list[Document]:
    """Stores the client's files in ``folder`` as documents "supplied by me", all or none, and tells
    the environment's relationship managers (bell and e-mail, bundled by the notification window).

    ``upload_ids`` (one per upload, or None) are the ids the upload page made for its files: a file
    whose id this person already stored in this environment is not stored again, and its document
    is returned as the first time — also when the retry and the first request arrive together.
    """
    if not uploads:
        raise ValidationError(_("Choose at least one file."), code="none")
    if len(uploads) > MAX_FILES_PER_REQUEST:
        raise ValidationError(
            _("You can send at most %(count)s files at once.") % {"count": MAX_FILES_PER_REQUEST}, code="too_many"
        )
    if folder is not None and folder.dossier_id != dossier.pk:
        raise ValidationError(_("The folder belongs to another dossier."), code="other_dossier")
    ids = list(upload_ids) if upload_ids and len(upload_ids) == len(uploads) else [None] * len(uploads)
    given = [upload_id for upload_id in ids if upload_id]
    if len(set(given)) != len(given):  # one id for two files: no id can say which file it meant
        ids = [None] * len(uploads)
    try:
        return _supply(dossier=dossier, folder=folder, uploads=uploads, ids=ids, actor=actor)
    except IntegrityError:
        if not any(ids):
            raise
        # Another request stored one of these ids after we looked (the first attempt of a retry,
        # still running): it has committed now, so this time its document is found, not stored.
        return _supply(dossier=dossier, folder=folder, uploads=uploads, ids=ids, actor=actor)


@transaction.atomic
def documents_request(*, folder: Folder, title: str, actor, due_date: date | None = None) -> Todo:
    """Asks the environment to supply documents into ``folder`` (TASK-1, "aanleveren").

    Every member gets the task (bell and e-mail per their choice); it opens the client's upload
    page with this folder chosen, and the first upload into the folder by a member handles it.
    """
    client = folder.dossier.client
    todo = todo_create(
        client=client,
        kind=Todo.Kind.UPLOAD,
        title=title,
        target=folder,
        due_date=due_date,
        audience=Todo.Audience.MEMBERS,
        created_by=actor,
    )
    from balie.notifications.models import EventKind
    from balie.notifications.services import notify
    from balie.todos.selectors import todo_recipients

    notify(
        users=todo_recipients(todo=todo),
        client=client,
        kind=EventKind.REQUEST,
        title=gettext_noop("Please supply: %(title)s"),
        params={"title": todo.title},
        link=reverse("todos:open", args=[client.public_id, todo.public_id]),
        needs_action=True,
        due_date=due_date,
    )
    record(
        "todo.created",
        firm=client.firm,
        actor=actor,
        environment=client,
        obj=todo,
        details={"kind": todo.kind, "title": todo.title, "folder": folder.name},
    )
    return todo


def _supply(*, dossier: Dossier, folder: Folder | None, uploads: list, ids: list, actor) -> list[Document]:
    known = {
        document.upload_id: document
        for document in Document.objects.filter(
            client=dossier.client, created_by=actor, upload_id__in=[upload_id for upload_id in ids if upload_id]
        )
    }
    _check_same_uploads(known=known, uploads=uploads, ids=ids, dossier=dossier, folder=folder)
    new = [(upload, upload_id) for upload, upload_id in zip(uploads, ids, strict=True) if upload_id not in known]
    if not new:
        return [known[upload_id] for upload_id in ids]
    firm = dossier.client.firm
    problems = []
    for upload, _upload_id in new:
        try:
            files.check_upload(upload, firm=firm)
        except ValidationError as error:
            problems.extend(error.messages)
    if problems:
        raise ValidationError(problems, code="invalid")
    check_quota(client=dossier.client, adding=sum(upload.size for upload, _upload_id in new))
    stored: list[str] = []
    try:
        with transaction.atomic():
            documents = []
            for upload, upload_id in new:
                document = document_add(
                    dossier=dossier,
                    folder=folder,
                    upload=upload,
                    direction=Document.Direction.CLIENT,
                    actor=actor,
                    upload_id=upload_id,
                )
                stored.append(document.current_version.file.name)
                documents.append(document)
            _tell_the_firm(dossier=dossier, folder=folder, documents=documents, actor=actor)
            if folder is not None:
                todos_handle_for_target(target=folder, user=actor)  # the documents asked for came
    except BaseException:
        for key in stored:
            default_storage.delete(key)  # the rows are rolled back: leave no orphan files
        raise
    added = iter(documents)
    return [known[upload_id] if upload_id in known else next(added) for upload_id in ids]


def _check_same_uploads(*, known: dict, uploads: list, ids: list, dossier: Dossier, folder: Folder | None) -> None:
    """A known id answers for its stored document only when it is the same file to the same place:
    an id sent again with other bytes or to another folder must not be answered "sent" while the
    new file is dropped."""
    if not known:
        return
    first = {
        version.document_id: version
        for version in DocumentVersion.objects.filter(document__in=known.values(), number=1).only(
            "document_id", "size", "sha256"
        )
    }
    for upload, upload_id in zip(uploads, ids, strict=True):
        document = known.get(upload_id)
        if document is None:
            continue
        version = first.get(document.pk)
        sha256 = getattr(upload, "sha256", None)
        same = (
            version is not None
            and document.dossier_id == dossier.pk
            and document.folder_id == (folder.pk if folder is not None else None)
            and version.size == upload.size
            and (not sha256 or version.sha256 == sha256)
        )
        if not same:
            raise ValidationError(
                _("“%(name)s” was sent before with other contents or to another place. Please choose the file again.")
                % {"name": upload.name},
                code="upload_id_reused",
            )


def client_storage_used(*, client) -> int:
    """Bytes of all versions of documents the environment's people supplied (withdrawn included:
    they stay on record)."""
    from django.db.models import Sum

    used = DocumentVersion.objects.filter(
        document__client=client, document__direction=Document.Direction.CLIENT
    ).aggregate(total=Sum("size"))["total"]
    return used or 0


def check_quota(*, client, adding: int) -> None:
    """Refuses ``adding`` bytes more of the client's files when they would pass the firm's quota."""
    quota = client.firm.client_quota_bytes
    if quota and client_storage_used(client=client) + adding > quota:
        from django.template.defaultfilters import filesizeformat

        raise ValidationError(
            _(
                "These files do not fit: this environment may store %(quota)s of supplied documents. "
                "Please contact your firm."
            )
            % {"quota": filesizeformat(quota)},
            code="quota",
        )


def _tell_the_firm(*, dossier: Dossier, folder: Folder | None, documents: list[Document], actor) -> None:
    from balie.notifications.models import EventKind
    from balie.notifications.services import notify

    client = dossier.client
    managers = [staff.user for staff in client.relationship_managers.select_related("user")]
    if not managers:  # nobody assigned: the firm's administrators hear of it
        managers = [staff.user for staff in client.firm.staff.filter(role="admin").select_related("user")]
    who = actor.get_full_name() or actor.email
    where = folder.name if folder is not None else dossier.description
    # Two texts rather than a plural form: each reader's language renders the stored text later.
    if len(documents) == 1:
        title = gettext_noop("%(who)s (%(client)s) supplied %(document)s in %(where)s")
    else:
        title = gettext_noop("%(who)s (%(client)s) supplied %(count)s documents in %(where)s")
    params = {"who": who, "client": client.name, "count": len(documents), "where": where}
    params["document"] = documents[0].title
    notify(
        users=managers,
        client=client,
        kind=EventKind.DOCUMENT,
        title=title,
        params=params,
        link=reverse("dossiers_inbox:list"),
    )


def staff_unseen_filter(firm) -> Exists:
    """True for documents nobody at ``firm`` has opened yet."""
    return Exists(DocumentRead.objects.filter(document=OuterRef("pk"), user__staff_member__firm=firm))


def supplied_documents_for_staff(*, staff, only_new: bool = True) -> QuerySet[Document]:
    """What clients of the staff member's firm supplied, newest first: the firm's inbox of uploads.
    ``only_new``: not yet opened by anyone at the firm."""
    documents = Document.objects.filter(
        client__firm=staff.firm, direction=Document.Direction.CLIENT, status=Document.Status.ACTIVE
    )
    documents = documents.annotate(seen_by_firm=staff_unseen_filter(staff.firm))
    if only_new:
        documents = documents.filter(seen_by_firm=False)
    return documents.select_related("client", "dossier", "folder", "created_by", "current_version").order_by(
        "-created_at", "-pk"
    )


def upload_limits(firm) -> dict:
    """What the browser checks before sending (the server checks again)."""
    return {
        "max_bytes": firm.upload_max_bytes,
        "extensions": files.allowed_extensions(firm),
        "max_files": MAX_FILES_PER_REQUEST,
    }
