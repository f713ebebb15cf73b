"""Clients supplying documents (DOS-6) and the firm's inbox of what came in."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from balie.clients.access import client_required
from balie.core.limits import allows_large_body
from balie.dossiers import limits
from balie.dossiers.models import Document
from balie.dossiers.selectors import folder_list, get_dossier, get_folder
from balie.dossiers.services import MAX_FILES_PER_REQUEST
from balie.dossiers.uploads import documents_supply, supplied_documents_for_staff, upload_limits
from balie.firms.access import staff_required
from balie.todos.models import Todo
from balie.todos.selectors import open_todos_about


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _upload_ids(request) -> list[uuid.UUID | None]:
    """The ids the upload page's script gave its files (none without JavaScript); a malformed id
    counts as none: the file is stored, only without protection against a retry."""
    ids: list[uuid.UUID | None] = []
    for value in request.POST.getlist("upload_id"):
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            ids.append(None)
    return ids


@allows_large_body(limits.for_client_uploads(files=MAX_FILES_PER_REQUEST))
@client_required
@require_http_methods(["GET", "POST"])
def upload(request, dossier):
    """Aanleveren: pick the sub-folder, add files (drag and drop), see each one's progress, send.

    With JavaScript each file is its own request (a progress bar per file); without it the form
    sends them all at once. Either way a file is checked before anything is stored.
    """
    dossier = get_dossier(client=request.client, dossier_public_id=dossier)
    folders = folder_list(dossier=dossier)
    errors: list[str] = []
    chosen = request.POST.get("map") or request.GET.get("map") or ""
    if request.method == "POST":
        try:
            folder = get_folder(dossier=dossier, folder_public_id=chosen) if chosen else None
            if folder is None and folders:
                raise ValidationError(_("Choose the folder the files go into."), code="folder")
            documents = documents_supply(
                dossier=dossier,
                folder=folder,
                uploads=request.FILES.getlist("files"),
                upload_ids=_upload_ids(request),
                actor=request.user,
            )
        except ValidationError as error:
            errors = error.messages
            if _wants_json(request):
                return JsonResponse({"ok": False, "errors": errors}, status=400)
        else:
            if _wants_json(request):
                return JsonResponse({"ok": True, "documents": [document.title for document in documents]})
            messages.success(
                request,
                ngettext(
                    "%(count)s document has been sent to %(firm)s.",
                    "%(count)s documents have been sent to %(firm)s.",
                    len(documents),
                )
                % {"count": len(documents), "firm": request.client.firm.name},
            )
            return redirect(
                reverse("dossiers:detail", args=[request.client.public_id, dossier.public_id]) + "?tab=client"
            )
    by_id = {str(folder.pk): folder for folder in folders}
    asked = [
        (todo, by_id[todo.target_id])
        for todo in open_todos_about(user=request.user, targets=folders, kind=Todo.Kind.UPLOAD)
    ]
    context = {
        "dossier": dossier,
        "folders": folders,
        "asked": asked,
        "chosen": chosen,
        "errors": errors,
        "limits": upload_limits(request.client.firm),
        "done_url": reverse("dossiers:detail", args=[request.client.public_id, dossier.public_id]) + "?tab=client",
    }
    return render(request, "dossiers/upload.html", context, status=400 if errors else 200)


@staff_required
@require_GET
def inbox(request):
    """Aangeleverd: documents clients supplied that nobody at the firm has opened yet (or all)."""
    show_all = request.GET.get("alles") == "1"
    documents = supplied_documents_for_staff(staff=request.staff, only_new=not show_all)
    page = Paginator(documents, 25, allow_empty_first_page=True).get_page(request.GET.get("page"))
    return render(request, "dossiers/inbox.html", {"page": page, "show_all": show_all, "Document": Document})
