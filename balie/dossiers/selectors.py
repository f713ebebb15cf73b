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
