"""Bulk publish (DOS-7): one or more files to many environments of the firm, previewed first.

    publication = bulk_prepare(staff=..., mode="same", uploads=[...], fields={...}, scope="all")
    bulk_confirm(publication=publication, actor=user)   # the job publishes, in chunks
    bulk_cancel(publication=publication)                # a draft: items and staged files go

Every uploaded file is checked and stored **once**, under a random key in ``documents/``; the
document versions made for each environment all name that same key, so a file sent to 500
environments is one file in the storage. Until a publication is done its items keep the staged
keys referenced (the sanity check counts them); keys that nothing published are removed at the end.

Publishing runs as a job (``dossiers.bulk_publish``) that handles ``CHUNK`` items and then queues
itself for the rest; each item is published in its own transaction and only while it is still
pending, so a job that runs twice, or a retry after a crash, publishes nothing twice.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections import defaultdict
from datetime import date

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from balie.core import jobs
from balie.dossiers import files, search, services
from balie.dossiers.models import (
    BulkItem,
    BulkPublication,
    Document,
    DocumentRead,
    DocumentType,
    DocumentVersion,
    Dossier,
    Folder,
)

logger = logging.getLogger(__name__)

CHUNK = 100  # items per job run; the job queues itself again for the rest
MAX_CSV_BYTES = 1024 * 1024
DEFAULT_PATTERN = r"^\s*(\d+)"
SCOPES = ("all", "kind", "numbers")
FIELDS = ("folder_name", "title", "doc_type", "year", "period", "direction", "message", "request_kind")


# -- reading the matching instructions --------------------------------------------------------------


def parse_numbers(text: str) -> list[str]:
    """Client numbers pasted as a list: separated by new lines, spaces, commas or semicolons."""
    return [part for part in re.split(r"[\s,;]+", text or "") if part]


def parse_csv(raw: bytes) -> list[tuple[str, str]]:
    """(file name, client number) rows of a ``bestand;klantnummer`` CSV (``;`` or ``,``), header optional."""
    if len(raw) > MAX_CSV_BYTES:
        raise ValidationError(_("The CSV file is too large (at most 1 MB)."), code="csv_size")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")  # Excel on Windows
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") and ";" in first else ","
    rows = []
    for row in csv.reader(io.StringIO(text), delimiter=delimiter):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if len(cells) < 2 or not cells[0] or not cells[1]:
            raise ValidationError(
                _("Every line of the CSV needs a file name and a client number: “%(line)s”.")
                % {"line": delimiter.join(row)},
                code="csv_row",
            )
        rows.append((cells[0], cells[1]))
    if rows and rows[0][0].lower() in {"bestand", "file", "filename", "bestandsnaam"}:
        rows = rows[1:]  # the header
    if not rows:
        raise ValidationError(_("The CSV file has no lines."), code="csv_empty")
    return rows


def compile_pattern(pattern: str) -> re.Pattern:
    """The pattern that finds the client number in a file name: its first group, else the whole match."""
    pattern = (pattern or "").strip() or DEFAULT_PATTERN
    if len(pattern) > 200:
        raise ValidationError(_("The pattern is too long."), code="pattern")
    try:
        return re.compile(pattern)
    except re.error as error:
        raise ValidationError(_("The pattern is not valid: %(error)s") % {"error": error}, code="pattern") from None


def number_from_name(name: str, pattern: re.Pattern) -> str:
    match = pattern.search(name)
    if not match:
        return ""
    return (match.group(1) if pattern.groups else match.group(0)).strip()


class _Numbers:
    """The firm's environments by client number (also without leading zeros: 010232 = 10232)."""

    def __init__(self, firm):
        from balie.clients.models import Client

        self.exact: dict[str, list[int]] = defaultdict(list)
        self.loose: dict[str, list[int]] = defaultdict(list)
        for pk, number in Client.objects.filter(firm=firm).exclude(number="").values_list("pk", "number"):
            self.exact[number.strip().lower()].append(pk)
            self.loose[number.strip().lower().lstrip("0")].append(pk)

    def find(self, number: str) -> tuple[int | None, str]:
        """(environment id, problem)."""
        key = number.strip().lower()
        found = self.exact.get(key) or self.loose.get(key.lstrip("0")) or []
        if not found:
            return None, _("There is no environment with client number %(number)s.") % {"number": number}
        if len(found) > 1:
            return None, _("Several environments have client number %(number)s.") % {"number": number}
        return found[0], ""


# -- preparing: check, stage, match -----------------------------------------------------------------


def _check_fields(fields: dict) -> dict:
    fields = {name: fields.get(name) for name in FIELDS}
    fields["direction"] = fields["direction"] or Document.Direction.FIRM
    if fields["direction"] not in services.PUBLISH_DIRECTIONS:
        raise ValidationError(_("Choose Correspondence or Documents."), code="direction")
    if fields["request_kind"] and fields["request_kind"] not in Document.RequestKind.values:
        raise ValidationError(_("Choose a valid request."), code="request_kind")
    fields["doc_type"] = fields["doc_type"] or DocumentType.OTHER
    for name in ("folder_name", "title", "period", "message", "request_kind"):
        fields[name] = (fields[name] or "").strip()
    return fields


SETTINGS = ("audience", "required", "after", "due_date")  # what a bulk publication's requests may set
# What its sign requests may set: firm_first (the publisher signs first) and page are applied per
# environment (``signing.selectors.sign_settings_for``).
SIGN_SETTINGS = ("audience", "in_order", "firm_first", "page", "due_date")


def _stored_settings(request_settings: dict | None, request_kind: str) -> dict:
    """The request settings as stored on the publication (JSON: the due date as an ISO date)."""
    if not request_settings or request_kind not in ("approve", "review", "sign"):
        return {}
    unknown = set(request_settings) - set(SIGN_SETTINGS if request_kind == "sign" else SETTINGS)
    if unknown:  # named people and waiting for a request belong to one environment
        raise ValidationError(_("These request settings cannot be used for a bulk publication."), code="settings")
    stored = dict(request_settings)
    if isinstance(stored.get("due_date"), date):
        stored["due_date"] = stored["due_date"].isoformat()
    return stored


def request_settings_of(publication: BulkPublication) -> dict | None:
    """The publication's request settings for ``document_ask`` (None: the flow of the type decides)."""
    settings = dict(publication.request_settings or {})
    if not settings:
        return None
    if settings.get("due_date"):
        settings["due_date"] = date.fromisoformat(settings["due_date"])
    return settings


def _check_signable(upload, *, page: int | None) -> None:
    """A file to be signed: a PDF that can be signed, with the signature page (file name in the message)."""
    pages = services.check_signable_upload(upload)
    if page and page > pages:
        raise ValidationError(
            _("“%(name)s” has %(pages)s pages: the signatures cannot go on page %(page)s.")
            % {"name": upload.name, "pages": pages, "page": page},
            code="page",
        )


def _check_after(firm, settings: dict) -> None:
    """The step after approval must be able to happen (Digipoort on, the firm's software connected)."""
    from balie.approvals.flows import after_unavailable

    problem = after_unavailable(firm=firm, after=settings.get("after") or "nothing")
    if problem:
        raise ValidationError(problem, code="after_unavailable")


def bulk_prepare(
    *,
    staff,
    mode: str,
    uploads,
    fields: dict,
    scope: str = "all",
    kind: str = "",
    numbers: str = "",
    csv_file=None,
    pattern: str = "",
    request_settings: dict | None = None,
) -> BulkPublication:
    """Checks and stages the files and matches them to environments: a draft to preview.

    ``request_settings`` (audience, required, after, due_date; see ``RequestSettingsForm``) are
    what every approval request of the publication asks; left out, the flow of the type decides.
    For signing (audience, in_order, firm_first, page, due_date) every file must be a PDF that can
    be signed, with the chosen signature page.

    Problems with single files or environments become items with a problem (shown in the
    preview, never published); problems with the whole request raise ValidationError and
    store nothing.
    """
    from balie.clients.models import Client, Membership

    firm = staff.firm
    uploads = list(uploads or [])
    fields = _check_fields(fields)
    settings = _stored_settings(request_settings, fields["request_kind"])
    _check_after(firm, settings)
    if mode not in BulkPublication.Mode.values:
        raise ValidationError(_("Choose how the files are matched to environments."), code="mode")
    if not uploads:
        raise ValidationError(_("Choose at least one file."), code="no_files")
    if len(uploads) > services.MAX_FILES_PER_REQUEST:
        raise ValidationError(
            _("You chose %(count)s files; at most %(limit)s can be published at once. Please send them in parts.")
            % {"count": len(uploads), "limit": services.MAX_FILES_PER_REQUEST},
            code="too_many_files",
        )

    # The plan, before anything is stored: (upload index or None, environment id or None, number, problem).
    plan: list[tuple[int | None, int | None, str, str]] = []
    lookup = _Numbers(firm)
    if mode == BulkPublication.Mode.SAME:
        if scope not in SCOPES:
            raise ValidationError(_("Choose the environments."), code="scope")
        if scope == "numbers":
            listed = parse_numbers(numbers)
            if not listed:
                raise ValidationError(_("Paste at least one client number."), code="no_numbers")
            targets = [(number, *lookup.find(number)) for number in listed]
        else:
            environments = Client.objects.filter(firm=firm).order_by("name", "pk")
            if scope == "kind":
                if kind not in Client.Kind.values:
                    raise ValidationError(_("Choose a kind of environment."), code="kind")
                environments = environments.filter(kind=kind)
            targets = [(number, pk, "") for pk, number in environments.values_list("pk", "number")]
            if not targets:
                raise ValidationError(_("There are no environments to publish to."), code="no_environments")
        plan = [(index, pk, number, problem) for index in range(len(uploads)) for number, pk, problem in targets]
    elif mode == BulkPublication.Mode.CSV:
        if csv_file is None:
            raise ValidationError(_("Choose the CSV file with the columns bestand;klantnummer."), code="no_csv")
        rows = parse_csv(csv_file.read(MAX_CSV_BYTES + 1))
        by_name = {upload.name: index for index, upload in enumerate(uploads)}
        by_lower = {upload.name.lower(): index for index, upload in enumerate(uploads)}
        used: set[int] = set()
        for name, number in rows:
            index = by_name.get(name, by_lower.get(name.lower()))
            pk, problem = lookup.find(number)
            if index is None:
                plan.append((None, pk, number, _("“%(name)s” is in the CSV but was not uploaded.") % {"name": name}))
                continue
            used.add(index)
            plan.append((index, pk, number, problem))
        for index, upload in enumerate(uploads):
            if index not in used:
                plan.append((index, None, "", _("“%(name)s” is not in the CSV.") % {"name": upload.name}))
    else:
        regex = compile_pattern(pattern)
        for index, upload in enumerate(uploads):
            number = number_from_name(upload.name, regex)
            if not number:
                plan.append((index, None, "", _("No client number found in the file name.")))
            else:
                pk, problem = lookup.find(number)
                plan.append((index, pk, number, problem))

    # Check every file that is used, then store each distinct one once.
    checked: dict[int, tuple[str, str] | str] = {}
    for index in {index for index, *_rest in plan if index is not None}:
        try:
            checked[index] = files.check_upload(uploads[index], firm=firm)
            if fields["request_kind"] == Document.RequestKind.SIGN:
                _check_signable(uploads[index], page=settings.get("page"))
        except ValidationError as error:
            checked[index] = " ".join(error.messages)
    if mode == BulkPublication.Mode.SAME and any(isinstance(value, str) for value in checked.values()):
        raise ValidationError([value for value in checked.values() if isinstance(value, str)], code="files")

    stored: dict[int, files.StoredFile] = {}
    by_sha: dict[str, files.StoredFile] = {}
    try:
        for index, result in sorted(checked.items()):
            if isinstance(result, str):
                continue
            name, content_type = result
            blob = files.store(uploads[index], original_name=name, content_type=content_type)
            if blob.sha256 in by_sha:  # the same content twice: keep one stored copy
                default_storage.delete(blob.key)
                first = by_sha[blob.sha256]
                blob = files.StoredFile(first.key, name, first.size, first.sha256, first.content_type)
            else:
                by_sha[blob.sha256] = blob
            stored[index] = blob

        client_ids = {pk for _index, pk, *_rest in plan if pk is not None}
        with_members = set(
            Membership.objects.active().filter(client_id__in=client_ids).values_list("client_id", flat=True).distinct()
        )
        published_before = set(
            DocumentVersion.objects.filter(
                document__client_id__in=client_ids,
                sha256__in=list(by_sha),
                document__status=Document.Status.ACTIVE,
            ).values_list("document__client_id", "sha256")
        )
        with transaction.atomic():
            publication = BulkPublication.objects.create(
                firm=firm, created_by=staff.user, mode=mode, request_settings=settings, **fields
            )
            items = []
            seen: set[tuple[int, str]] = set()
            for position, (index, pk, number, problem) in enumerate(plan):
                item = BulkItem(publication=publication, position=position, client_id=pk, client_number=number)
                if index is not None:
                    item.file_name = uploads[index].name
                    blob = stored.get(index)
                    if blob is None:
                        problem = problem or checked[index]
                    else:
                        item.file_key, item.size, item.sha256 = blob.key, blob.size, blob.sha256
                        item.content_type = blob.content_type
                        item.file_name = blob.original_name
                        item.title = (fields["title"] or blob.original_name.rsplit(".", 1)[0]).strip()[:200]
                        if pk is not None and not problem:
                            if (pk, blob.sha256) in seen:
                                problem = _("Duplicate: this file already goes to this environment.")
                            seen.add((pk, blob.sha256))
                if pk is not None and not problem:
                    warnings = []
                    if pk not in with_members:
                        warnings.append(_("The environment has no members yet: nobody is notified."))
                    if (pk, item.sha256) in published_before:
                        warnings.append(_("This file has been published in this environment before."))
                    item.warning = " ".join(warnings)
                item.problem = problem
                items.append(item)
            BulkItem.objects.bulk_create(items, batch_size=500)
    except BaseException:
        for key in {blob.key for blob in stored.values()}:
            default_storage.delete(key)
        raise
    return publication


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
    return locked


def bulk_retry(*, publication: BulkPublication) -> BulkPublication:
    """Tries the items that failed once more (the others are skipped: they are published already)."""
    with transaction.atomic():
        locked = BulkPublication.objects.select_for_update().get(pk=publication.pk)
        if locked.status != BulkPublication.Status.FAILED:
            return locked
        locked.items.filter(status=BulkItem.Status.FAILED).update(status=BulkItem.Status.PENDING, error="")
        locked.status, locked.finished_at = BulkPublication.Status.CONFIRMED, None
        locked.save(update_fields=["status", "finished_at"])
        _enqueue(locked)
    return locked


def bulk_cancel(*, publication: BulkPublication) -> None:
    """Discards a draft and its staged files. Staged keys are fresh random keys that no version
    can name before the draft is confirmed, so they are all unreferenced."""
    with transaction.atomic():
        locked = BulkPublication.objects.select_for_update().get(pk=publication.pk)
        if locked.status != BulkPublication.Status.DRAFT:
            raise ValidationError(_("This bulk publication has been confirmed already."), code="confirmed")
        keys = set(locked.items.exclude(file_key="").values_list("file_key", flat=True))
        locked.delete()
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
            folder = services.folder_create(dossier=dossier, name=publication.folder_name)
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
        from balie.signing.selectors import sign_settings_for

        settings = sign_settings_for(client=client, settings=settings, publisher=actor)
    services.document_ask(document=document, actor=actor, request_settings=settings)
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
