"""Writes for the digital dossier: dossiers, folders, documents, versions, reads and accesses."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from balie.audit.services import record
from balie.dossiers import files, publication, search
from balie.dossiers.models import (
    ChecklistItem,
    Document,
    DocumentAccess,
    DocumentRead,
    DocumentVersion,
    Dossier,
    Folder,
)


@transaction.atomic
def dossier_create(
    *, client, description: str, number: str = "", kind: str = Dossier.Kind.STANDING, created_by=None
) -> Dossier:
    """A dossier with the firm's default sub-dossiers (DOS-1)."""
    dossier = Dossier.objects.create(
        client=client, description=description.strip(), number=number.strip(), kind=kind, created_by=created_by
    )
    for position, name in enumerate(client.firm.default_folders or []):
        Folder.objects.create(dossier=dossier, name=name, position=position)
    _record("dossier.created", dossier, actor=created_by, details={"description": dossier.description})
    return dossier


def _record(action: str, dossier: Dossier, *, actor, obj=None, details: dict | None = None) -> None:
    client = dossier.client
    record(action, firm=client.firm, actor=actor, environment=client, obj=obj or dossier, details=details)


def folder_create(*, dossier: Dossier, name: str, parent: Folder | None = None, actor=None) -> Folder:
    if parent is not None and parent.dossier_id != dossier.pk:
        raise ValidationError(_("The folder belongs to another dossier."), code="other_dossier")
    name = name.strip()
    if not name:
        raise ValidationError(_("Give the folder a name."), code="name")
    try:
        with transaction.atomic():
            position = Folder.objects.filter(dossier=dossier, parent=parent).count()
            folder = Folder.objects.create(dossier=dossier, parent=parent, name=name, position=position)
            _record("folder.created", dossier, actor=actor, details={"name": name})
            return folder
    except IntegrityError:
        raise ValidationError(_("There is already a folder with this name here."), code="exists") from None


@transaction.atomic
def checklist_add(*, dossier: Dossier, title: str, actor=None) -> ChecklistItem:
    position = ChecklistItem.objects.filter(dossier=dossier).count()
    item = ChecklistItem.objects.create(dossier=dossier, title=title.strip(), position=position)
    _record("checklist.item_added", dossier, actor=actor, details={"title": item.title})
    return item


@transaction.atomic
def checklist_toggle(*, item: ChecklistItem, done: bool, actor=None) -> ChecklistItem:
    item.done_at = timezone.now() if done else None
    item.save(update_fields=["done_at"])
    _record(
        "checklist.item_done" if done else "checklist.item_reopened",
        item.dossier,
        actor=actor,
        details={"title": item.title},
    )
    return item


def _stored_version(*, document: Document, upload, actor, number: int, firm) -> DocumentVersion:
    name, content_type = files.check_upload(upload, firm=firm)
    stored = files.store(upload, original_name=name, content_type=content_type)
    try:
        return DocumentVersion.objects.create(
            document=document,
            number=number,
            file=stored.key,
            original_name=stored.original_name,
            size=stored.size,
            sha256=stored.sha256,
            content_type=stored.content_type,
            created_by=actor,
        )
    except Exception:
        default_storage.delete(stored.key)  # no orphan file when the row cannot be written
        raise


def document_add(
    *,
    dossier: Dossier,
    upload,
    direction: str,
    actor,
    folder: Folder | None = None,
    title: str = "",
    doc_type: str = "",
    year: int | None = None,
    period: str = "",
    message: str = "",
    request_kind: str = "",
    upload_id: uuid.UUID | None = None,
    audit: bool = True,
) -> Document:
    """Checks and stores one file as a new document in ``dossier`` (nothing is stored if it fails).

    ``upload_id``: the id the upload page gave this file; a second document with the same id for the
    same environment and actor is refused by the database (IntegrityError) before its file is stored.
    ``audit``: records ``document.added`` (False: the caller records the event, as publishing does).
    """
    if folder is not None and folder.dossier_id != dossier.pk:
        raise ValidationError(_("The folder belongs to another dossier."), code="other_dossier")
    firm = dossier.client.firm
    files.check_upload(upload, firm=firm)  # before any row or file exists
    with transaction.atomic():
        document = Document.objects.create(
            client=dossier.client,
            dossier=dossier,
            folder=folder,
            title=(title or upload.name.rsplit(".", 1)[0]).strip()[:200],
            doc_type=doc_type or Document._meta.get_field("doc_type").default,
            year=year,
            period=period.strip(),
            direction=direction,
            message=message.strip(),
            request_kind=request_kind,
            created_by=actor,
            upload_id=upload_id if actor is not None else None,
        )
        version = _stored_version(document=document, upload=upload, actor=actor, number=1, firm=firm)
        document.current_version = version
        document.save(update_fields=["current_version"])
        search.document_indexed(document, text="")  # findable by title at once
        search.version_stored(version)  # its text follows from a job after commit
        if actor is not None:
            DocumentRead.objects.create(user=actor, document=document)  # its author has seen it
        if audit:
            _record_document("document.added", document, dossier=dossier, actor=actor)
    return document


def _record_document(action: str, document: Document, *, dossier: Dossier, actor, details: dict | None = None) -> None:
    facts = {"title": document.title, "direction": document.direction, "doc_type": document.doc_type}
    _record(action, dossier, actor=actor, obj=document, details={**facts, **(details or {})})


def document_replace(*, document: Document, upload, actor) -> DocumentVersion:
    """A new version of the document; earlier versions stay (DOS-8). Unread again for others."""
    if document.is_withdrawn:
        raise ValidationError(_("This document has been withdrawn."), code="withdrawn")
    firm = document.client.firm
    files.check_upload(upload, firm=firm)
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=document.pk)
        number = (locked.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        version = _stored_version(document=locked, upload=upload, actor=actor, number=number, firm=firm)
        locked.current_version = version
        locked.save(update_fields=["current_version"])
        search.version_stored(version)
        DocumentRead.objects.filter(document=locked).exclude(user=actor).delete()
        publication.hook("replaced")(document=locked, actor=actor)  # open requests restart on it
        record(
            "document.replaced",
            firm=firm,
            actor=actor,
            environment=document.client,
            obj=locked,
            details={"title": locked.title, "version": number},
        )
    document.current_version = version
    return version


@transaction.atomic
def document_withdraw(*, document: Document, actor) -> Document:
    """Withdraws a document: gone from the lists, its link says so; the files stay on record."""
    document.status = Document.Status.WITHDRAWN
    document.withdrawn_at = timezone.now()
    document.withdrawn_by = actor
    document.save(update_fields=["status", "withdrawn_at", "withdrawn_by"])
    from balie.todos.services import todos_close_for_target

    todos_close_for_target(target=document)
    publication.hook("withdrawn")(document=document, actor=actor)  # its requests are withdrawn
    client = document.client
    record(
        "document.withdrawn",
        firm=client.firm,
        actor=actor,
        environment=client,
        obj=document,
        details={"title": document.title},
    )
    return document


@transaction.atomic
def document_record_access(*, document: Document, user, action: str, ip_address: str | None) -> None:
    """Logs a view, preview or download (who, when, IP) and keeps the person's read state; the
    audit trail gets ``document.viewed`` (page or preview) or ``document.downloaded``."""
    now = timezone.now()
    assert document.current_version_id is not None  # a document is created with its first version
    DocumentAccess.objects.create(
        document=document,
        version_id=document.current_version_id,
        user=user,
        action=action,
        at=now,
        ip_address=ip_address,
    )
    read, created = DocumentRead.objects.get_or_create(user=user, document=document, defaults={"first_seen_at": now})
    if action == DocumentAccess.Action.DOWNLOAD:
        DocumentRead.objects.filter(pk=read.pk).update(last_downloaded_at=now)
    event = "document.downloaded" if action == DocumentAccess.Action.DOWNLOAD else "document.viewed"
    client = document.client
    record(event, firm=client.firm, actor=user, environment=client, obj=document, details={"how": str(action)})


# -- firm side (DOS-7) ------------------------------------------------------------------------------

MAX_FILES_PER_REQUEST = 100  # Django refuses more too (DATA_UPLOAD_MAX_NUMBER_FILES)
PUBLISH_DIRECTIONS = (Document.Direction.CORRESPONDENCE, Document.Direction.FIRM)


@transaction.atomic
def dossier_update(*, dossier: Dossier, description: str, number: str, kind: str, status: str, actor=None) -> Dossier:
    """Changes a dossier's details or status (in progress, on hold, closed)."""
    if status not in Dossier.Status.values or kind not in Dossier.Kind.values:
        raise ValidationError(_("Choose a valid kind and status."), code="invalid")
    description = description.strip()
    if not description:
        raise ValidationError(_("Give the dossier a description."), code="description")
    fields = ["description", "number", "kind", "status"]
    before = {name: getattr(dossier, name) for name in fields}
    dossier.description, dossier.number, dossier.kind, dossier.status = description, number.strip(), kind, status
    dossier.save(update_fields=fields)
    changes = {name: [old, getattr(dossier, name)] for name, old in before.items() if old != getattr(dossier, name)}
    if changes:
        _record("dossier.changed", dossier, actor=actor, details=changes)
    return dossier


def document_ask(*, document: Document, actor, request_settings: dict | None = None) -> None:
    """What the published document's ``request_kind`` asks of the environment: approve and review
    become an approval request with the flow of the document type (APR-1), or with
    ``request_settings`` (see ``request_create_for_published``); sign a sign request (signers in
    turn, balie.signing); info nothing. The apps that own the requests do this through the
    ``published`` publication hook (``dossiers.publication``)."""
    publication.hook("published")(document=document, actor=actor, settings=request_settings)


def check_signable_upload(upload) -> int:
    """A file to be signed must be a PDF that can be signed (not encrypted, not damaged, not signed
    already): refused at publishing, with the file's name in the message. Read from the upload's
    file, not copied into memory. Returns its number of pages."""
    try:
        return publication.hook("check_signable")(upload.file if hasattr(upload, "file") else upload)
    except ValidationError as error:
        raise ValidationError(
            _("“%(name)s”: %(problem)s") % {"name": upload.name, "problem": " ".join(error.messages)},
            code=getattr(error, "code", "signable"),
        ) from None
    finally:
        upload.seek(0)


def document_publish(
    *,
    dossier: Dossier,
    uploads,
    folder: Folder | None,
    doc_type: str,
    year: int | None,
    period: str,
    direction: str,
    message: str,
    request_kind: str,
    actor,
    request_settings: dict | None = None,
) -> list[Document]:
    """Publishes files from the firm into ``dossier`` (DOS-7): one document per file, all or nothing.

    Every file is checked before anything is stored, and all problems are reported together. Each
    document notifies the environment's members (NOT-1); a request kind other than "info" asks for it
    (``document_ask``: an approval request, or a task to sign). If anything fails, no row stays and
    the files already stored are removed.
    """
    from balie.clients.models import Membership
    from balie.notifications.models import EventKind
    from balie.notifications.services import notify

    uploads = list(uploads)
    if not uploads:
        raise ValidationError(_("Choose at least one file."), code="no_files")
    if len(uploads) > MAX_FILES_PER_REQUEST:
        raise ValidationError(
            _("You chose %(count)s files; at most %(limit)s can be published at once. Please send them in parts.")
            % {"count": len(uploads), "limit": MAX_FILES_PER_REQUEST},
            code="too_many_files",
        )
    if direction not in PUBLISH_DIRECTIONS:
        raise ValidationError(_("Choose Correspondence or Documents."), code="direction")
    if request_kind and request_kind not in Document.RequestKind.values:
        raise ValidationError(_("Choose a valid request."), code="request_kind")
    if folder is not None and folder.dossier_id != dossier.pk:
        raise ValidationError(_("The folder belongs to another dossier."), code="other_dossier")
    client = dossier.client
    problems = []
    for upload in uploads:
        try:
            files.check_upload(upload, firm=client.firm)
            if request_kind == Document.RequestKind.SIGN:
                check_signable_upload(upload)
        except ValidationError as error:
            problems.extend(error.messages)
    if problems:
        raise ValidationError(problems, code="files")

    stored: list[str] = []
    try:
        with transaction.atomic():
            documents = []
            for upload in uploads:
                document = document_add(
                    dossier=dossier,
                    upload=upload,
                    direction=direction,
                    actor=actor,
                    folder=folder,
                    doc_type=doc_type,
                    year=year,
                    period=period,
                    message=message,
                    request_kind=request_kind,
                    audit=False,
                )
                version = document.current_version
                assert version is not None and version.file.name, "document_add has just stored it"
                stored.append(version.file.name)
                documents.append(document)
            members = [
                membership.user
                for membership in Membership.objects.active()
                .filter(client=client)
                .exclude(user=actor)
                .select_related("user")
            ]
            for document in documents:
                notify(
                    users=members,
                    client=client,
                    kind=EventKind.DOCUMENT,
                    title=gettext_noop("New document: %(title)s"),
                    params={"title": document.title},
                    link=document.get_absolute_url(),
                    message=document.message,
                )
                document_ask(document=document, actor=actor, request_settings=request_settings)
            for document in documents:
                _record_document(
                    "document.published", document, dossier=dossier, actor=actor, details={"request_kind": request_kind}
                )
    except BaseException:
        for key in stored:
            default_storage.delete(key)  # the rows are rolled back: leave no orphan files
        raise
    return documents


@transaction.atomic
def version_record_download(*, version: DocumentVersion, user, ip_address: str | None) -> None:
    """Logs a download of one (possibly earlier) version, e.g. by staff on the firm side."""
    now = timezone.now()
    DocumentAccess.objects.create(
        document_id=version.document_id,
        version=version,
        user=user,
        action=DocumentAccess.Action.DOWNLOAD,
        at=now,
        ip_address=ip_address,
    )
    read, _created = DocumentRead.objects.get_or_create(
        user=user, document_id=version.document_id, defaults={"first_seen_at": now}
    )
    DocumentRead.objects.filter(pk=read.pk).update(last_downloaded_at=now)
    client = version.document.client
    record(
        "document.downloaded",
        firm=client.firm,
        actor=user,
        environment=client,
        obj=version.document,
        details={"version": version.number},
    )
