"""Reads for the digital dossier, always within an environment the caller may see.

Client views get ``request.client`` from ``client_required`` (a membership of the user), staff
views get it from ``get_client_for_staff``; every read below starts from that environment, so
access is one condition on an indexed column, never a per-row permission check.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import Combinable, NegatedExpression
from django.http import Http404

from balie.dossiers.models import ChecklistItem, Document, DocumentRead, Dossier, Folder


def _uuid_or_404(value):
    import uuid

    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        raise Http404 from None


def dossier_list(*, client, status: str | None = None, query: str = "") -> QuerySet[Dossier]:
    """The environment's dossiers, with their progress counts (one query)."""
    dossiers = Dossier.objects.filter(client=client)
    if status:
        dossiers = dossiers.filter(status=status)
    if query:
        dossiers = dossiers.filter(Q(description__icontains=query) | Q(number__icontains=query))
    return dossiers.annotate(
        steps=Count("checklist", distinct=True),
        steps_done=Count("checklist", filter=Q(checklist__done_at__isnull=False), distinct=True),
    ).order_by("-created_at", "-pk")


def get_dossier(*, client, dossier_public_id) -> Dossier:
    """A dossier of this environment, or 404 (another environment's id included)."""
    try:
        return Dossier.objects.select_related("client__firm").get(
            client=client, public_id=_uuid_or_404(dossier_public_id)
        )
    except Dossier.DoesNotExist:
        raise Http404 from None


def folder_list(*, dossier: Dossier) -> list[Folder]:
    return list(Folder.objects.filter(dossier=dossier).order_by("position", "name"))


def get_folder(*, dossier: Dossier, folder_public_id) -> Folder:
    try:
        return Folder.objects.get(dossier=dossier, public_id=_uuid_or_404(folder_public_id))
    except Folder.DoesNotExist:
        raise Http404 from None


def checklist(*, dossier: Dossier) -> list[ChecklistItem]:
    return list(ChecklistItem.objects.filter(dossier=dossier))


def unread_filter(user) -> NegatedExpression[Combinable]:
    """True for documents ``user`` has not opened yet."""
    return ~Exists(DocumentRead.objects.filter(document=OuterRef("pk"), user=user))


def tab_unread_counts(*, dossier: Dossier, user, cap: int = 100) -> dict[str, int]:
    """Unread documents per tab (Correspondentie, Documenten, Door mij aangeleverd), one query.

    Each count stops at ``cap + 1`` (shown as "100+"): no exact count over a large dossier.
    """
    parts: list[str] = []
    params: list[Any] = []
    for direction in Document.Direction.values:
        unread = (
            Document.objects.filter(dossier=dossier, direction=direction, status=Document.Status.ACTIVE)
            .filter(unread_filter(user))
            .order_by()
            .values("pk")[: cap + 1]
        )
        sql, sql_params = unread.query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS capped_{len(parts)})")  # noqa: S608 (constants only; values are parameters)
        params.extend(sql_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return dict(zip(Document.Direction.values, row, strict=True))


def document_list(
    *,
    client,
    user,
    dossier: Dossier | None = None,
    direction: str | None = None,
    folder: Folder | None = None,
    doc_type: str = "",
    year: int | None = None,
    query: str = "",
    order: str = "-created_at",
) -> QuerySet[Document]:
    """Active documents of the environment, filtered, with ``is_unread`` for ``user``."""
    documents = Document.objects.filter(client=client, status=Document.Status.ACTIVE)
    if dossier is not None:
        documents = documents.filter(dossier=dossier)
    if direction:
        documents = documents.filter(direction=direction)
    if folder is not None:
        documents = documents.filter(folder=folder)
    if doc_type:
        documents = documents.filter(doc_type=doc_type)
    if year:
        documents = documents.filter(year=year)
    if query:
        from balie.dossiers.search import search_documents

        documents = search_documents(queryset=documents, query=query, client=client)
    return (
        documents.select_related("current_version", "folder", "dossier")
        .annotate(is_unread=unread_filter(user))
        .order_by(*DOCUMENT_ORDERS.get(order, DOCUMENT_ORDERS["-created_at"]))
    )


DOCUMENT_ORDERS = {
    "-created_at": ["-created_at", "-pk"],
    "created_at": ["created_at", "pk"],
    "title": ["title", "pk"],
    "-title": ["-title", "-pk"],
}
COUNT_CAP = 100  # beyond it a list says "100+" instead of counting the whole set


@dataclass
class KeysetPage:
    """One page of a list in a fixed order, found from a cursor instead of an offset."""

    object_list: list
    has_next: bool
    has_previous: bool
    next_cursor: str = ""
    previous_cursor: str = ""
    count: int = 0  # exact up to COUNT_CAP
    more: bool = False  # more than COUNT_CAP

    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous


def encode_cursor(value, pk: int) -> str:
    if hasattr(value, "isoformat"):
        value = value.isoformat()
    raw = json.dumps([value, pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, field: str):
    """(value, pk) from a cursor, or None when it is not one of ours."""
    try:
        value, pk = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(pk, int) or not isinstance(value, str):
            return None
        if field == "created_at":
            value = datetime.fromisoformat(value)
            if value.tzinfo is None:
                return None
        return value, pk
    except (ValueError, TypeError, binascii.Error):
        return None


def keyset_page(queryset: QuerySet, *, order: str, after: str = "", before: str = "", size: int = 25) -> KeysetPage:
    """A page of ``queryset`` ordered by ``order`` (a key of DOCUMENT_ORDERS) after/before a cursor.

    Two queries whatever the size of the set: the page (one row more, to know there is a next) and
    a count capped at COUNT_CAP. A cursor seeks in the index (value <= cursor AND (value, pk) <
    cursor), so page 4,000 costs what page 1 costs.
    """
    fields = DOCUMENT_ORDERS.get(order, DOCUMENT_ORDERS["-created_at"])
    field, descending = fields[0].lstrip("-"), fields[0].startswith("-")
    cursor_text, backwards = (before, True) if before and not after else (after, False)
    cursor = decode_cursor(cursor_text, field) if cursor_text else None
    matching = queryset
    if cursor is not None:
        value, pk = cursor
        # Moving on in the list's order: "less" when descending; going back flips it.
        less = descending != backwards
        op = "lt" if less else "gt"
        matching = matching.filter(
            Q(**{f"{field}__{op}e": value}), Q(**{f"{field}__{op}": value}) | Q(**{field: value, f"pk__{op}": pk})
        )
    if backwards and cursor is not None:
        flipped = [name[1:] if name.startswith("-") else f"-{name}" for name in fields]
        rows = list(matching.order_by(*flipped)[: size + 1])
        has_more_before = len(rows) > size
        rows = list(reversed(rows[:size]))
        has_next, has_previous = True, has_more_before
    else:
        rows = list(matching.order_by(*fields)[: size + 1])
        has_next, has_previous = len(rows) > size, cursor is not None
        rows = rows[:size]
    count = queryset.order_by().values("pk")[: COUNT_CAP + 1].count()
    page = KeysetPage(object_list=rows, has_next=has_next, has_previous=has_previous)
    page.count, page.more = min(count, COUNT_CAP), count > COUNT_CAP
    if rows:
        page.next_cursor = encode_cursor(getattr(rows[-1], field), rows[-1].pk) if has_next else ""
        page.previous_cursor = encode_cursor(getattr(rows[0], field), rows[0].pk) if has_previous else ""
    return page


def get_document(*, client, document_public_id, include_withdrawn: bool = True) -> Document:
    """A document of this environment, or 404. Withdrawn ones are found (their page says so)."""
    documents = Document.objects.select_related("current_version", "dossier", "folder", "client__firm")
    if not include_withdrawn:
        documents = documents.filter(status=Document.Status.ACTIVE)
    try:
        return documents.get(client=client, public_id=_uuid_or_404(document_public_id))
    except Document.DoesNotExist:
        raise Http404 from None


def dossier_counts(*, client) -> dict[str, int]:
    """In progress and total, for the start page (HOME-1), one query."""
    return Dossier.objects.filter(client=client).aggregate(
        total=Count("pk"), in_progress=Count("pk", filter=Q(status=Dossier.Status.IN_PROGRESS))
    )


def document_years(*, dossier: Dossier, direction: str | None = None) -> list[int]:
    """The years the dossier's active documents are about, newest first (for the year filter)."""
    if direction:
        # A loose index scan on dossiers_doc_years: one index seek per distinct year, not a pass over
        # every document of the tab (SELECT DISTINCT reads them all on both databases).
        table = Document._meta.db_table
        where = f"FROM {table} WHERE dossier_id = %s AND direction = %s AND status = %s"
        sql = (
            f"WITH RECURSIVE years(year) AS (SELECT MAX(year) {where} AND year IS NOT NULL "  # noqa: S608 (constants only; values are parameters)
            f"UNION ALL SELECT (SELECT MAX(year) {where} AND year < years.year) FROM years "
            "WHERE years.year IS NOT NULL) SELECT year FROM years WHERE year IS NOT NULL"
        )
        active = str(Document.Status.ACTIVE)
        with connection.cursor() as cursor:
            cursor.execute(sql, [dossier.pk, direction, active, dossier.pk, direction, active])
            return [row[0] for row in cursor.fetchall()]
    documents = Document.objects.filter(dossier=dossier, status=Document.Status.ACTIVE).exclude(year=None)
    years = documents.order_by("-year").values_list("year", flat=True).distinct()
    return [year for year in years if year is not None]


def document_versions(*, document: Document) -> list:
    """Every stored version of the document, newest first, with who added it."""
    return list(document.versions.select_related("created_by").order_by("-number"))


def document_firm_openings(*, document: Document) -> list[Mapping[str, Any]]:
    """Who at the firm opened the document and when, one row per person, latest first.

    Only accesses by the document's own firm's staff count: what the client's own people did is
    not this list's business, and a person's staff membership elsewhere never shows here.
    """
    from django.db.models import Max

    return list(
        document.accesses.filter(user__staff_member__firm_id=document.client.firm_id)
        .values("user_id", "user__first_name", "user__last_name", "user__email")
        .annotate(last_at=Max("at"), times=Count("pk"))
        .order_by("-last_at")
    )


# -- firm side (DOS-7) ------------------------------------------------------------------------------


def folder_tree(*, dossier: Dossier) -> list[tuple[Folder, int]]:
    """The dossier's folders in display order, each with its depth (sub-folders below their parent)."""
    folders = folder_list(dossier=dossier)
    children: dict[int | None, list[Folder]] = {}
    for folder in folders:
        children.setdefault(folder.parent_id, []).append(folder)
    tree: list[tuple[Folder, int]] = []

    def walk(parent_id, depth):
        for folder in children.get(parent_id, []):
            tree.append((folder, depth))
            walk(folder.pk, depth + 1)

    walk(None, 0)
    return tree


def document_list_for_staff(*, dossier: Dossier, direction: str = "") -> QuerySet[Document]:
    """All documents of the dossier for the firm, withdrawn ones included, newest first."""
    documents = Document.objects.filter(dossier=dossier)
    if direction:
        documents = documents.filter(direction=direction)
    return documents.select_related("current_version", "folder", "created_by", "withdrawn_by").order_by(
        "-created_at", "-pk"
    )


def _by_members(client):
    """Accesses by members of the environment: what "who at the client" means."""
    from balie.clients.models import Membership

    return Exists(Membership.objects.filter(client=client, user=OuterRef("user")))


def client_access_summary(*, client, documents) -> dict[int, list[Mapping[str, Any]]]:
    """Per document: who at the client viewed or downloaded it, how often and when last (one query)."""
    from django.db.models import Max

    from balie.dossiers.models import DocumentAccess

    rows = (
        DocumentAccess.objects.filter(document__in=[document.pk for document in documents])
        .filter(_by_members(client))
        .values("document_id", "user_id", "user__first_name", "user__last_name", "user__email", "action")
        .annotate(times=Count("pk"), last_at=Max("at"))
        .order_by("document_id", "-last_at")
    )
    summary: dict[int, list[Mapping[str, Any]]] = {}
    for row in rows:
        summary.setdefault(row["document_id"], []).append(row)
    return summary


def client_access_log(*, document: Document, limit: int = 200) -> list:
    """The latest views and downloads of the document by members of its environment."""
    accesses = (
        document.accesses.all()
        .filter(_by_members(document.client_id))
        .select_related("user", "version")
        .order_by("-at", "-pk")
    )
    return list(accesses[:limit])


def get_version(*, document: Document, version_public_id):
    """One stored version of this (already access-checked) document, or 404."""
    try:
        return document.versions.get(public_id=_uuid_or_404(version_public_id))
    except document.versions.model.DoesNotExist:
        raise Http404 from None


def get_checklist_item(*, dossier: Dossier, item_id: int) -> ChecklistItem:
    """One step of this dossier's checklist (steps have no public id; the dossier scopes the pk)."""
    try:
        return ChecklistItem.objects.get(dossier=dossier, pk=item_id)
    except ChecklistItem.DoesNotExist:
        raise Http404 from None


def staff_page_dossiers(*, staff, client) -> dict:
    """The dossiers section of the firm's page of an environment (``clients.staff_page``)."""
    return {"dossiers": list(dossier_list(client=client))}


def document_titles(*, firm_id: int, ids: list[str]) -> dict[str, str]:
    """Titles of the firm's documents by public id, for the audit trail's pages."""
    rows = Document.objects.filter(client__firm_id=firm_id, public_id__in=ids).values_list("public_id", "title")
    return {str(public_id): title for public_id, title in rows}


def dossier_titles(*, firm_id: int, ids: list[str]) -> dict[str, str]:
    found = Dossier.objects.filter(client__firm_id=firm_id, public_id__in=ids).only(
        "public_id", "number", "description"
    )
    return {str(dossier.public_id): str(dossier) for dossier in found}
