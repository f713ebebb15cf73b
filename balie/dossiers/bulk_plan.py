"""Preparing a bulk publication (DOS-7): the files checked and staged, matched to environments.

    publication = bulk_prepare(staff=..., mode="same", uploads=[...], fields={...}, scope="all")

The steps, in order: the request as a whole is checked (``_check_request``); a plan matches each
file to environments by the chosen mode (``_plan``: the same files to many, a CSV, or the client
number in the file name); every file in the plan is checked (``_check_files``) and each distinct
one stored once (``_store_files``); the draft and its items are created (``_create_draft``), with a
problem or a warning per item for the preview. The draft is confirmed, cancelled and published by
``balie.dossiers.bulk``, which also re-exports the public names here.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from datetime import date

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from balie.dossiers import files, services
from balie.dossiers.models import BulkItem, BulkPublication, Document, DocumentType, DocumentVersion
from balie.dossiers.publication import hook as publication_hook

MAX_CSV_BYTES = 1024 * 1024
DEFAULT_PATTERN = r"^\s*(\d+)"
SCOPES = ("all", "kind", "numbers")
FIELDS = ("folder_name", "title", "doc_type", "year", "period", "direction", "message", "request_kind")

# A plan row: (upload index or None, environment id or None, client number, problem).
PlanRow = tuple[int | None, int | None, str, str]


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
    problem = publication_hook("after_unavailable")(firm=firm, after=settings.get("after") or "nothing")
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
    firm = staff.firm
    uploads = list(uploads or [])
    fields = _check_fields(fields)
    settings = _stored_settings(request_settings, fields["request_kind"])
    _check_after(firm, settings)
    _check_request(mode, uploads)
    plan = _plan(firm, mode, uploads, scope=scope, kind=kind, numbers=numbers, csv_file=csv_file, pattern=pattern)
    checked = _check_files(plan, uploads, firm=firm, mode=mode, fields=fields, settings=settings)
    stored: dict[int, files.StoredFile] = {}
    try:
        _store_files(checked, uploads, stored)
        return _create_draft(
            staff,
            mode=mode,
            fields=fields,
            settings=settings,
            plan=plan,
            uploads=uploads,
            checked=checked,
            stored=stored,
        )
    except BaseException:
        for key in {blob.key for blob in stored.values()}:
            default_storage.delete(key)
        raise


def _check_request(mode: str, uploads: list) -> None:
    """The mode is known, and there are files, but no more than one request may carry."""
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


def _plan(firm, mode: str, uploads: list, *, scope, kind, numbers, csv_file, pattern) -> list[PlanRow]:
    """The plan, before anything is stored: which file goes to which environment, with any problem."""
    lookup = _Numbers(firm)
    if mode == BulkPublication.Mode.SAME:
        return _plan_same(firm, uploads, lookup, scope=scope, kind=kind, numbers=numbers)
    if mode == BulkPublication.Mode.CSV:
        return _plan_csv(uploads, lookup, csv_file=csv_file)
    return _plan_names(uploads, lookup, pattern=pattern)


def _plan_same(firm, uploads: list, lookup: _Numbers, *, scope, kind, numbers) -> list[PlanRow]:
    """Every file to every chosen environment: all of them, those of one kind, or those listed."""
    from balie.clients.models import Client

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
    return [(index, pk, number, problem) for index in range(len(uploads)) for number, pk, problem in targets]


def _plan_csv(uploads: list, lookup: _Numbers, *, csv_file) -> list[PlanRow]:
    """Each file to the environments the CSV names for it; files and lines that do not match are problems."""
    if csv_file is None:
        raise ValidationError(_("Choose the CSV file with the columns bestand;klantnummer."), code="no_csv")
    rows = parse_csv(csv_file.read(MAX_CSV_BYTES + 1))
    by_name = {upload.name: index for index, upload in enumerate(uploads)}
    by_lower = {upload.name.lower(): index for index, upload in enumerate(uploads)}
    plan: list[PlanRow] = []
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
    return plan


def _plan_names(uploads: list, lookup: _Numbers, *, pattern) -> list[PlanRow]:
    """Each file to the environment whose client number its name holds."""
    regex = compile_pattern(pattern)
    plan: list[PlanRow] = []
    for index, upload in enumerate(uploads):
        number = number_from_name(upload.name, regex)
        if not number:
            plan.append((index, None, "", _("No client number found in the file name.")))
        else:
            pk, problem = lookup.find(number)
            plan.append((index, pk, number, problem))
    return plan


def _check_files(plan, uploads, *, firm, mode, fields, settings) -> dict[int, tuple[str, str] | str]:
    """Every file the plan uses, checked: (name, content type), or the problem as text. With the same
    files for every environment, one bad file stops the whole request."""
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
    return checked


def _store_files(checked: dict, uploads: list, stored: dict[int, files.StoredFile]) -> None:
    """Stores each distinct good file once, into ``stored`` by upload index (filled as it goes, so
    that the caller can remove what was stored when a later step fails)."""
    by_sha: dict[str, files.StoredFile] = {}
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


def _create_draft(staff, *, mode, fields, settings, plan, uploads, checked, stored) -> BulkPublication:
    """The draft publication and one item per plan row, with its problem or warnings."""
    from balie.clients.models import Membership

    client_ids = {pk for _index, pk, *_rest in plan if pk is not None}
    with_members = set(
        Membership.objects.active().filter(client_id__in=client_ids).values_list("client_id", flat=True).distinct()
    )
    published_before = set(
        DocumentVersion.objects.filter(
            document__client_id__in=client_ids,
            sha256__in=list({blob.sha256 for blob in stored.values()}),
            document__status=Document.Status.ACTIVE,
        ).values_list("document__client_id", "sha256")
    )
    with transaction.atomic():
        publication = BulkPublication.objects.create(
            firm=staff.firm, created_by=staff.user, mode=mode, request_settings=settings, **fields
        )
        seen: set[tuple[int, str]] = set()
        items = [
            _item(
                publication,
                position,
                row,
                title=fields["title"],
                uploads=uploads,
                checked=checked,
                stored=stored,
                seen=seen,
            )
            for position, row in enumerate(plan)
        ]
        for item in items:
            if item.client_id is not None and not item.problem:
                item.warning = _warning(item, with_members=with_members, published_before=published_before)
        BulkItem.objects.bulk_create(items, batch_size=500)
    return publication


def _item(publication, position: int, row: PlanRow, *, title, uploads, checked, stored, seen: set) -> BulkItem:
    """One item of the draft: its file (staged, or the file's problem) and environment."""
    index, pk, number, problem = row
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
            item.title = (title or blob.original_name.rsplit(".", 1)[0]).strip()[:200]
            if pk is not None and not problem:
                if (pk, blob.sha256) in seen:
                    problem = _("Duplicate: this file already goes to this environment.")
                seen.add((pk, blob.sha256))
    item.problem = problem
    return item


def _warning(item: BulkItem, *, with_members: set, published_before: set) -> str:
    """What the preview warns about for an item that will be published."""
    warnings = []
    if item.client_id not in with_members:
        warnings.append(_("The environment has no members yet: nobody is notified."))
    if (item.client_id, item.sha256) in published_before:
        warnings.append(_("This file has been published in this environment before."))
    return " ".join(warnings)
