"""Bulk publish (DOS-7): one or more files to many environments of the firm, previewed first.

    publication = bulk_prepare(staff=..., mode="same", uploads=[...], fields={...}, scope="all")
    bulk_confirm(publication=publication, actor=user)   # the job publishes, in chunks
    bulk_cancel(publication=publication)                # a draft: items and staged files go

Every uploaded file is checked and stored **once**, under a random key in ``documents/``; the
document versions made for each environment all name that same key, so a file sent to 500
environments is one file in the storage. Until a publication is done its items keep the staged
keys referenced (the sanity check counts them); keys that nothing published are removed at the end.

Preparing the draft (checking, staging and matching) is in ``balie.dossiers.bulk_plan``.

Publishing runs as a job (``dossiers.bulk_publish``) that handles ``CHUNK`` items and then queues
itself for the rest; each item is published in its own transaction and only while it is still
pending, so a job that runs twice, or a retry after a crash, publishes nothing twice.
"""

from __future__ import annotations

import logging
from datetime import date

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from balie.audit.services import record
from balie.core import jobs
from balie.dossiers import search, services

# Preparing a draft lives in ``bulk_plan``; its public names stay importable from here, where callers use them.
from balie.dossiers.bulk_plan import (  # noqa: F401
    DEFAULT_PATTERN,
    FIELDS,
    MAX_CSV_BYTES,
    SCOPES,
    SETTINGS,
    SIGN_SETTINGS,
    _check_after,
    bulk_prepare,
    compile_pattern,
    number_from_name,
    parse_csv,
    parse_numbers,
)
from balie.dossiers.models import (
    BulkItem,
    BulkPublication,
    Document,
    DocumentRead,
    DocumentVersion,
    Dossier,
    Folder,
)
from balie.dossiers.publication import hook as publication_hook

logger = logging.getLogger(__name__)

CHUNK = 100  # items per job run; the job queues itself again for the rest


def request_settings_of(publication: BulkPublication) -> dict | None:
    """The publication's request settings for ``document_ask`` (None: the flow of the type decides)."""
    settings = dict(publication.request_settings or {})
    if not settings:
        return None
    if settings.get("due_date"):
        settings["due_date"] = date.fromisoformat(settings["due_date"])
    return settings


# -- reading --------------------------------------------------------------------------------------


def get_publication_for_staff(*, staff, publication_public_id) -> BulkPublication:
    """One bulk publication of the staff member's own firm; 404 for any other."""
    from django.http import Http404

    try:
        return BulkPublication.objects.select_related("created_by").get(
            firm_id=staff.firm_id, public_id=publication_public_id
        )
    except (BulkPublication.DoesNotExist, ValueError, ValidationError):
        raise Http404 from None


def publication_list_for_staff(*, staff):
    return BulkPublication.objects.filter(firm_id=staff.firm_id).select_related("created_by")


def publication_items(*, publication: BulkPublication):
    return publication.items.select_related("client", "document__dossier")


def publication_summary(*, publication: BulkPublication) -> dict:
    """Counts per item status, how many have a problem, and how many distinct files are staged."""
    from django.db.models import Count, Q

    counts = publication.items.aggregate(
        total=Count("pk"),
        problems=Count("pk", filter=~Q(problem="")),
        warnings=Count("pk", filter=~Q(warning="") & Q(problem="")),
        pending=Count("pk", filter=Q(status=BulkItem.Status.PENDING, problem="")),
        ok=Count("pk", filter=Q(status=BulkItem.Status.OK)),
        failed=Count("pk", filter=Q(status=BulkItem.Status.FAILED)),
        environments=Count("client", distinct=True, filter=Q(problem="")),
        files=Count("file_key", distinct=True, filter=~Q(file_key="")),
    )
    counts["publishable"] = counts["total"] - counts["problems"]
    counts["processed"] = counts["ok"] + counts["failed"]
    counts["percent"] = round(100 * counts["processed"] / counts["publishable"]) if counts["publishable"] else 100
    return counts


# -- confirming, cancelling, retrying -------------------------------------------------------------


def _enqueue(publication: BulkPublication) -> None:
    publication_id = publication.pk
    transaction.on_commit(lambda: bulk_publish_job.enqueue(publication_id=publication_id))


def bulk_confirm(*, publication: BulkPublication, actor) -> BulkPublication:
    """Publishes the draft's matched items (in a job); items with a problem are left out."""
    with transaction.atomic():
        locked = BulkPublication.objects.select_for_update().get(pk=publication.pk)
        if locked.status != BulkPublication.Status.DRAFT:
            return locked  # a second click: already on its way
        if not locked.items.filter(problem="").exists():
            raise ValidationError(_("Nothing can be published: every line has a problem."), code="nothing")
        _check_after(locked.firm, locked.request_settings or {})  # still so since the preview?
        locked.items.exclude(problem="").update(status=BulkItem.Status.SKIPPED)
        locked.status, locked.confirmed_at = BulkPublication.Status.CONFIRMED, timezone.now()
        locked.save(update_fields=["status", "confirmed_at"])
        _enqueue(locked)
        _record("bulk.confirmed", locked, actor=actor)
    return locked


def _record(action: str, publication: BulkPublication, *, actor) -> None:
    record(action, firm=publication.firm, actor=actor, obj=publication, details={"title": publication.title})


def bulk_retry(*, publication: BulkPublication, actor=None) -> BulkPublication:
    """Tries the items that failed once more (the others are skipped: they are published already)."""
    with transaction.atomic():
        locked = BulkPublication.objects.select_for_update().get(pk=publication.pk)
        if locked.status != BulkPublication.Status.FAILED:
            return locked
        locked.items.filter(status=BulkItem.Status.FAILED).update(status=BulkItem.Status.PENDING, error="")
        locked.status, locked.finished_at = BulkPublication.Status.CONFIRMED, None
        locked.save(update_fields=["status", "finished_at"])
        _enqueue(locked)
        _record("bulk.retried", locked, actor=actor)
    return locked


def bulk_cancel(*, publication: BulkPublication, actor=None) -> None:
    """Discards a draft and its staged files. Staged keys are fresh random keys that no version
    can name before the draft is confirmed, so they are all unreferenced."""
    with transaction.atomic():
        locked = BulkPublication.objects.select_for_update().get(pk=publication.pk)
        if locked.status != BulkPublication.Status.DRAFT:
            raise ValidationError(_("This bulk publication has been confirmed already."), code="confirmed")
        keys = set(locked.items.exclude(file_key="").values_list("file_key", flat=True))
        locked.delete()
        _record("bulk.cancelled", locked, actor=actor)
    for key in keys:
        default_storage.delete(key)


# -- publishing (the job) -------------------------------------------------------------------------


@jobs.job("dossiers.bulk_publish", queue="bulk")
def bulk_publish_job(*, publication_id: int) -> int:
    return bulk_publish_run(publication_id=publication_id)


def bulk_publish_run(*, publication_id: int, chunk: int = CHUNK) -> int:
    """Publishes up to ``chunk`` pending items, then queues itself for the rest or finishes.

    Returns how many items this run handled.
    """
    publication = BulkPublication.objects.select_related("firm", "created_by").filter(pk=publication_id).first()
    if publication is None or publication.status != BulkPublication.Status.CONFIRMED:
        return 0
    pending = publication.items.filter(status=BulkItem.Status.PENDING, problem="").order_by("position", "pk")
    ids = list(pending.values_list("pk", flat=True)[:chunk])
    for item_id in ids:
        _publish_item(publication, item_id)
    if pending.exists():
        bulk_publish_job.enqueue(publication_id=publication_id)
    else:
        _finish(publication)
    return len(ids)


def _publish_item(publication: BulkPublication, item_id: int) -> None:
    """One item in its own transaction; only while it is pending (a second run skips it)."""
    with transaction.atomic():
        item = BulkItem.objects.select_for_update(of=("self",)).select_related("client__firm").get(pk=item_id)
        if item.status != BulkItem.Status.PENDING or item.problem:
            return
        try:
            with transaction.atomic():
                item.document = _publish_one(publication, item)
        except Exception as error:
            logger.warning("bulk publish %s: item %s failed", publication.public_id, item.pk, exc_info=True)
            item.status = BulkItem.Status.FAILED
            item.error = " ".join(error.messages) if isinstance(error, ValidationError) else str(error) or repr(error)
        else:
            item.status = BulkItem.Status.OK
        item.save(update_fields=["status", "error", "document"])


def _target_dossier(client, actor) -> Dossier:
    """The environment's first standing dossier in progress, created when there is none."""
    dossier = (
        Dossier.objects.filter(client=client, kind=Dossier.Kind.STANDING, status=Dossier.Status.IN_PROGRESS)
        .order_by("created_at", "pk")
        .first()
    )
    if dossier is None:
        dossier = services.dossier_create(client=client, description=str(Dossier.Kind.STANDING.label), created_by=actor)
    return dossier


def _publish_one(publication: BulkPublication, item: BulkItem) -> Document:
    from balie.clients.models import Membership
    from balie.notifications.models import EventKind
    from balie.notifications.services import notify

    client, actor = item.client, publication.created_by
    if client is None or client.firm_id != publication.firm_id:
        raise ValidationError(_("The environment is not one of your firm's."), code="other_firm")
    dossier = _target_dossier(client, actor)
    folder = None
    if publication.folder_name:
        folder = Folder.objects.filter(dossier=dossier, parent=None, name__iexact=publication.folder_name).first()
        if folder is None:
            folder = services.folder_create(dossier=dossier, name=publication.folder_name, actor=actor)
    document = Document.objects.create(
        client=client,
        dossier=dossier,
        folder=folder,
        title=item.title or item.file_name,
        doc_type=publication.doc_type,
        year=publication.year,
        period=publication.period,
        direction=publication.direction,
        message=publication.message,
        request_kind=publication.request_kind,
        created_by=actor,
    )
    version = DocumentVersion.objects.create(
        document=document,
        number=1,
        file=item.file_key,  # the staged file, shared with the other environments' versions
        original_name=item.file_name,
        size=item.size,
        sha256=item.sha256,
        content_type=item.content_type,
        created_by=actor,
    )
    document.current_version = version
    document.save(update_fields=["current_version"])
    search.document_indexed(document, text="")  # findable by title at once
    search.version_stored(version)  # its text follows from a job after commit
    if actor is not None:
        DocumentRead.objects.create(user=actor, document=document)
    members = [
        m.user for m in Membership.objects.active().filter(client=client).exclude(user=actor).select_related("user")
    ]
    notify(
        users=members,
        client=client,
        kind=EventKind.DOCUMENT,
        title=gettext_noop("New document: %(title)s"),
        params={"title": document.title},
        link=document.get_absolute_url(),
        message=document.message,
    )
    # An approval or sign request with the publication's settings (the type's flow for what they leave out).
    settings = request_settings_of(publication)
    if settings and publication.request_kind == Document.RequestKind.SIGN:
        settings = publication_hook("sign_settings_for")(client=client, settings=settings, publisher=actor)
    services.document_ask(document=document, actor=actor, request_settings=settings)
    record(
        "document.published",
        firm=client.firm,
        actor=actor,
        environment=client,
        obj=document,
        details={"title": document.title, "direction": document.direction, "doc_type": document.doc_type, "bulk": True},
    )
    return document


def _finish(publication: BulkPublication) -> None:
    """Done (or done with errors); staged files that nothing published or may retry are removed."""
    with transaction.atomic():
        locked = BulkPublication.objects.select_for_update().get(pk=publication.pk)
        if locked.status != BulkPublication.Status.CONFIRMED:
            return
        failed = locked.items.filter(status=BulkItem.Status.FAILED).exists()
        locked.status = BulkPublication.Status.FAILED if failed else BulkPublication.Status.DONE
        locked.finished_at = timezone.now()
        locked.save(update_fields=["status", "finished_at"])
        keys = locked.items.exclude(file_key="").values("file_key")
        needed = set(
            keys.filter(status__in=[BulkItem.Status.OK, BulkItem.Status.FAILED]).values_list("file_key", flat=True)
        )
        unused = set(keys.values_list("file_key", flat=True)) - needed
    for key in unused:
        default_storage.delete(key)


def staged_keys_in_use():
    """Keys that bulk publications not yet done still need (the sanity check counts them as used)."""
    return (
        BulkItem.objects.exclude(file_key="")
        .exclude(publication__status=BulkPublication.Status.DONE)
        .values_list("file_key", flat=True)
        .distinct()
    )
