"""Reads for the digital dossier, always within an environment the caller may see.

Client views get ``request.client`` from ``client_required`` (a membership of the user), staff
views get it from ``get_client_for_staff``; every read below starts from that environment, so
access is one condition on an indexed column, never a per-row permission check.
"""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
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


def unread_filter(user) -> Exists:
    """True for documents ``user`` has not opened yet."""
    return ~Exists(DocumentRead.objects.filter(document=OuterRef("pk"), user=user))


def tab_unread_counts(*, dossier: Dossier, user) -> dict[str, int]:
    """Unread documents per tab (Correspondentie, Documenten, Door mij aangeleverd), one query."""
    rows = (
        Document.objects.filter(dossier=dossier, status=Document.Status.ACTIVE)
        .filter(unread_filter(user))
        .values("direction")
        .annotate(count=Count("pk"))
    )
    counts = dict.fromkeys(Document.Direction.values, 0)
    counts.update({row["direction"]: row["count"] for row in rows})
    return counts


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
        documents = documents.filter(title__icontains=query)
    orders = {
        "-created_at": ["-created_at", "-pk"],
        "created_at": ["created_at", "pk"],
        "title": ["title", "pk"],
        "-title": ["-title", "-pk"],
    }
    return (
        documents.select_related("current_version", "folder", "dossier")
        .annotate(is_unread=unread_filter(user))
        .order_by(*orders.get(order, orders["-created_at"]))
    )


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
    documents = Document.objects.filter(dossier=dossier, status=Document.Status.ACTIVE).exclude(year=None)
    if direction:
        documents = documents.filter(direction=direction)
    return list(documents.order_by("-year").values_list("year", flat=True).distinct())


def document_versions(*, document: Document) -> list:
    """Every stored version of the document, newest first, with who added it."""
    return list(document.versions.select_related("created_by").order_by("-number"))


def document_firm_openings(*, document: Document) -> list[dict]:
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


def client_access_summary(*, client, documents) -> dict[int, list[dict]]:
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
    summary: dict[int, list[dict]] = {}
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
