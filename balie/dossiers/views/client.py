"""The client side of the digital dossier (DOS-1 .. DOS-5): dossiers, their tabs, documents, files.

Every view starts from ``request.client`` (``client_required``: a membership of the user, else
404) and reads through the selectors, which look only inside that environment.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from balie.clients.access import client_required
from balie.core.addresses import client_ip
from balie.dossiers import selectors, services, tabs
from balie.dossiers.delivery import file_response, preview_data_response, safe_content_type
from balie.dossiers.models import Document, DocumentAccess, DocumentType, Dossier

PAGE_SIZE = 25
STATUS_ALL = "all"
# The dossier page's tabs (DOS-2), one per direction, in the URL as ?tab=<direction>.
TABS = Document.Direction.values  # correspondence, firm (Documenten), client (Door mij aangeleverd)
DEFAULT_TAB = Document.Direction.FIRM  # what clients come for
# After them, the tabs other apps register (dossiers.tabs): the dossier's threads (MSG-2, ?tab=berichten).
SORTS = {
    "-created_at": _("Newest first"),
    "created_at": _("Oldest first"),
    "title": _("Title A–Z"),
    "-title": _("Title Z–A"),
}
# A file is rendered by the browser only as what it was sniffed to be (nosniff, stored type) and,
# where browsers allow it, inside a sandbox with nothing else allowed to load. PDFs are never shown
# by the browser: the page draws them with PDF.js from bytes served as an opaque attachment
# (delivery.preview_data_response), so a PDF's own JavaScript never runs.
DOWNLOAD_CSP = "sandbox; default-src 'none'; frame-ancestors 'none'"
INLINE_IMAGE_CSP = "sandbox; default-src 'none'; img-src 'self'; frame-ancestors 'self'"


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


@client_required
@require_GET
def dossier_list(request):
    """The environment's dossiers (DOS-1): search on description or number, status filter."""
    query = request.GET.get("q", "").strip()
    status = request.GET.get("status", Dossier.Status.IN_PROGRESS)
    if status != STATUS_ALL and status not in Dossier.Status.values:
        status = Dossier.Status.IN_PROGRESS
    dossiers = selectors.dossier_list(
        client=request.client, status=None if status == STATUS_ALL else status, query=query
    )
    statuses = [*Dossier.Status.choices, (STATUS_ALL, _("All"))]
    page = _page(request, dossiers)
    # Only an empty page needs to know whether the environment has any dossier at all.
    has_any = bool(page.object_list) or selectors.dossier_list(client=request.client).exists()
    return render(
        request,
        "dossiers/list.html",
        {
            "page": page,
            "query": query,
            "status": status,
            "statuses": statuses,
            "status_label": dict(statuses)[status],
            "has_any": has_any,
        },
    )


def _folder_paths(folders) -> dict[int, str]:
    """The path ("Parent / Child") of every folder of the dossier, from one list of them."""
    by_pk = {folder.pk: folder for folder in folders}

    def path(folder) -> str:
        parent = by_pk.get(folder.parent_id)
        return f"{path(parent)} / {folder.name}" if parent is not None else folder.name

    return {folder.pk: path(folder) for folder in folders}


def _capped(count: int, cap: int = selectors.COUNT_CAP):
    """A count as shown: exact up to the cap, "100+" beyond (the selectors stop counting there)."""
    return f"{cap}+" if count > cap else count


def _year_or_none(value) -> int | None:
    try:
        year = int(value)
    except (TypeError, ValueError):
        return None
    return year if 1000 <= year <= 9999 else None  # nothing out of the column's range reaches the query


@client_required
@require_GET
def dossier_detail(request, dossier):
    """A dossier (DOS-2..4): progress, the three tabs with unread counts, the tab's document list."""
    dossier = selectors.get_dossier(client=request.client, dossier_public_id=dossier)
    direction = request.GET.get("tab", DEFAULT_TAB)
    extra = tabs.get_tab(direction)
    if extra is not None:
        return _dossier_extra_tab(request, dossier, extra)
    if direction not in TABS:
        direction = DEFAULT_TAB
    folders = selectors.folder_list(dossier=dossier)
    paths = _folder_paths(folders)
    folder = None
    if request.GET.get("map"):
        folder = selectors.get_folder(dossier=dossier, folder_public_id=request.GET["map"])
    doc_type = request.GET.get("type", "")
    if doc_type not in DocumentType.values:
        doc_type = ""
    year = _year_or_none(request.GET.get("year"))
    query = request.GET.get("q", "").strip()
    sort = request.GET.get("sort", "-created_at")
    if sort not in SORTS:
        sort = "-created_at"
    documents = selectors.document_list(
        client=request.client,
        user=request.user,
        dossier=dossier,
        direction=direction,
        folder=folder,
        doc_type=doc_type,
        year=year,
        query=query,
        order=sort,
    )
    # Keyset pages (?na= / ?voor= cursors) and a count capped at 100: no COUNT(*) or OFFSET over the set.
    page = selectors.keyset_page(
        documents, order=sort, after=request.GET.get("na", ""), before=request.GET.get("voor", ""), size=PAGE_SIZE
    )
    for document in page.object_list:
        document.folder_path = paths.get(document.folder_id, "")
    unread = selectors.tab_unread_counts(dossier=dossier, user=request.user)
    steps = selectors.checklist(dossier=dossier)
    return render(
        request,
        "dossiers/detail.html",
        {
            "dossier": dossier,
            "tabs": _tabs(request, dossier, unread),
            "tab": direction,
            "page": page,
            "steps": steps,
            "steps_done": sum(1 for step in steps if step.done_at),
            "folders": [(item.public_id, paths[item.pk]) for item in folders],
            "folder": folder,
            "doc_types": DocumentType.choices,
            "doc_type": doc_type,
            "years": selectors.document_years(dossier=dossier, direction=direction),
            "year": year,
            "query": query,
            "sorts": SORTS.items(),
            "sort": sort,
            "filtered": bool(folder or doc_type or year or query),
        },
    )


def _tabs(request, dossier, unread: dict[str, int]) -> list[dict]:
    document_tabs = [
        {"slug": value, "label": Document.Direction(value).label, "unread": _capped(unread[value])} for value in TABS
    ]
    extra = [
        {
            "slug": tab.slug,
            "label": tab.label,
            "unread": tab.unread(user=request.user, client=request.client, dossier=dossier),
        }
        for tab in tabs.registered_tabs()
    ]
    return [*document_tabs, *extra]


def _dossier_extra_tab(request, dossier, tab: tabs.DossierTab):
    """A tab another app registered (dossiers.tabs), e.g. Berichten (MSG-2): the dossier's threads."""
    items = tab.items(user=request.user, client=request.client, dossier=dossier)
    unread = selectors.tab_unread_counts(dossier=dossier, user=request.user)
    steps = selectors.checklist(dossier=dossier)
    return render(
        request,
        "dossiers/detail.html",
        {
            "dossier": dossier,
            "tabs": _tabs(request, dossier, unread),
            "tab": tab.slug,
            "page": _page(request, items),
            "steps": steps,
            "steps_done": sum(1 for step in steps if step.done_at),
        },
    )


def document_withdrawn(request, document):
    """An old link to a withdrawn document says so, with 410 Gone, and offers no file."""
    return render(request, "dossiers/document_withdrawn.html", {"document": document}, status=410)


@client_required
@require_GET
def document_detail(request, document):
    """A document (DOS-5): facts, the firm's message, preview, versions, who at the firm opened it.

    Opening the page logs a view (who, when, IP) and marks the document read for this person.
    """
    document = selectors.get_document(client=request.client, document_public_id=document)
    if document.is_withdrawn:
        return document_withdrawn(request, document)
    if document.current_version is None:
        raise Http404
    services.document_record_access(
        document=document, user=request.user, action=DocumentAccess.Action.VIEW, ip_address=client_ip(request)
    )
    version = document.current_version
    return render(
        request,
        "dossiers/document.html",
        {
            "document": document,
            "version": version,
            "is_pdf": version.content_type == "application/pdf",
            "versions": selectors.document_versions(document=document),
            "firm_openings": selectors.document_firm_openings(document=document),
        },
    )


def _file_response(request, document, *, inline: bool):
    document = selectors.get_document(client=request.client, document_public_id=document)
    if document.is_withdrawn:
        return document_withdrawn(request, document)
    version = document.current_version
    if version is None or (inline and not version.can_preview):
        raise Http404
    if not inline:
        response = file_response(version, inline=False, csp=DOWNLOAD_CSP)
    elif safe_content_type(version.content_type) == "application/pdf":
        response = preview_data_response(version)
    else:
        response = file_response(version, inline=True, csp=INLINE_IMAGE_CSP)
    services.document_record_access(
        document=document,
        user=request.user,
        action=DocumentAccess.Action.PREVIEW if inline else DocumentAccess.Action.DOWNLOAD,
        ip_address=client_ip(request),
    )
    return response


@client_required
@require_GET
def document_download(request, document):
    """The current version as an attachment under its original name (RFC 6266 ``filename*``)."""
    return _file_response(request, document, inline=False)


@client_required
@require_GET
def document_inline(request, document):
    """The current version for the previews: common images inline; a PDF's bytes for the page's PDF.js
    preview, as an attachment the browser never renders itself."""
    return _file_response(request, document, inline=True)
