"""The firm side of the digital dossier (DOS-7): dossiers, folders, progress, publishing, documents.

Every view starts from ``get_client_for_staff`` (an environment of the staff member's own firm,
else 404) and reaches dossiers, folders and documents only through that environment, so another
environment's ids answer 404 as well. Firm admins and employees may do all of it.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import model_to_dict
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from balie.audit.models import ActorKind
from balie.audit.services import record
from balie.clients.selectors import get_client_for_staff
from balie.core.actions import service_refusal
from balie.core.addresses import client_ip
from balie.core.limits import allows_large_body
from balie.dossiers import limits, selectors, services
from balie.dossiers.delivery import file_response
from balie.dossiers.forms_staff import (
    AskForm,
    DossierForm,
    FolderForm,
    PublishForm,
    ReplaceForm,
    StepForm,
    folder_paths,
)
from balie.dossiers.models import Document, DocumentAccess, Dossier
from balie.dossiers.publication import hook as publication_hook
from balie.dossiers.views.client import DOWNLOAD_CSP
from balie.firms.access import staff_required

PAGE_SIZE = 50
DIRECTIONS = dict(Document.Direction.choices)


def _dossier(request, client, dossier):
    client = get_client_for_staff(staff=request.staff, client_public_id=client)
    return selectors.get_dossier(client=client, dossier_public_id=dossier)


def _document(request, client, dossier, document):
    dossier = _dossier(request, client, dossier)
    document = selectors.get_document(client=dossier.client, document_public_id=document)
    if document.dossier_id != dossier.pk:
        raise Http404
    return dossier, document


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page", 1)))
    except ValueError:
        return 1


def _settings_url(client) -> str:
    """Where the publish form fetches the request settings of a document type (htmx)."""
    return reverse("approvals_staff:flow_defaults") + "?" + urlencode({"client": client.public_id})


def _detail(
    request,
    dossier,
    *,
    folder_form=None,
    step_form=None,
    publish_form=None,
    request_form=None,
    ask_form=None,
    status=200,
):
    """The staff dossier page; a form that failed is shown again with its errors."""
    client = dossier.client
    tree = selectors.folder_tree(dossier=dossier)
    direction = request.GET.get("richting", "")
    if direction not in DIRECTIONS:
        direction = ""
    number = _page_number(request)
    # One row more than a page tells whether there is a next page, without counting them all.
    rows = list(
        selectors.document_list_for_staff(dossier=dossier, direction=direction)[
            (number - 1) * PAGE_SIZE : number * PAGE_SIZE + 1
        ]
    )
    documents, has_next = rows[:PAGE_SIZE], len(rows) > PAGE_SIZE
    accesses = selectors.client_access_summary(client=client, documents=documents)
    paths = {folder.pk: label for folder, label in folder_paths(tree)}
    for document in documents:
        document.client_accesses = accesses.get(document.pk, [])
        document.folder_path = paths.get(document.folder_id, "")
        for access in document.client_accesses:
            access["action_label"] = DocumentAccess.Action(access["action"]).label
            access["name"] = (
                f"{access['user__first_name']} {access['user__last_name']}".strip() or access["user__email"]
            )
    steps = selectors.checklist(dossier=dossier)
    return render(
        request,
        "dossiers/staff/dossier.html",
        {
            "client": client,
            "dossier": dossier,
            "folder_nodes": _folder_nodes(tree),
            "steps": steps,
            "steps_done": sum(1 for step in steps if step.done_at),
            "documents": documents,
            "page_number": number,
            "has_next": has_next,
            "direction": direction,
            "directions": Document.Direction.choices,
            "folder_form": folder_form or FolderForm(tree=tree),
            "step_form": step_form or StepForm(),
            "ask_form": ask_form or AskForm(tree=tree),
            "publish_form": publish_form or PublishForm(tree=tree, settings_url=_settings_url(client)),
            "request_form": request_form
            or publication_hook("request_settings_form")(
                staff=request.staff, client=client, doc_type=PublishForm.base_fields["doc_type"].initial
            ),
        },
        status=status,
    )


def _folder_nodes(tree) -> list[dict]:
    """The folder tree as nested nodes ({"folder", "children"}) for the nested list on the page."""
    roots: list[dict] = []
    stack: list[list[dict]] = [roots]
    for folder, depth in tree:
        node = {"folder": folder, "children": []}
        del stack[depth + 1 :]
        stack[depth].append(node)
        stack.append(node["children"])
    return roots


@staff_required
@require_http_methods(["GET", "POST"])
def dossier_new(request, client):
    """A new dossier with the firm's default sub-dossiers (DOS-1)."""
    client = get_client_for_staff(staff=request.staff, client_public_id=client)
    form = DossierForm(request.POST or None, initial={"kind": Dossier.Kind.STANDING})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            dossier = services.dossier_create(
                client=client,
                description=data["description"],
                number=data["number"],
                kind=data["kind"],
                created_by=request.user,
            )
            if data["status"] != dossier.status:
                services.dossier_update(dossier=dossier, actor=request.user, **data)
        messages.success(request, _("Dossier “%(name)s” has been created.") % {"name": dossier})
        return redirect("dossiers_staff:dossier", client=client.public_id, dossier=dossier.public_id)
    return render(request, "dossiers/staff/dossier_form.html", {"client": client, "form": form})


@staff_required
@require_http_methods(["GET", "POST"])
def dossier_edit(request, client, dossier):
    """Description, number, kind and status (in progress, on hold, closed)."""
    dossier = _dossier(request, client, dossier)
    form = DossierForm(request.POST or None, initial=model_to_dict(dossier, fields=DossierForm.Meta.fields))
    if request.method == "POST" and form.is_valid():
        with service_refusal(form=form) as outcome:
            services.dossier_update(dossier=dossier, actor=request.user, **form.cleaned_data)
        if outcome.ok:
            messages.success(request, _("The dossier has been saved."))
            return redirect("dossiers_staff:dossier", client=dossier.client.public_id, dossier=dossier.public_id)
    return render(
        request, "dossiers/staff/dossier_form.html", {"client": dossier.client, "dossier": dossier, "form": form}
    )


@staff_required
@require_GET
def dossier_detail(request, client, dossier):
    """Folders, progress checklist, publishing and every document of the dossier, for the firm."""
    dossier = _dossier(request, client, dossier)
    record(
        "staff.environment_viewed",
        firm=request.staff.firm,
        actor=request.user,
        actor_kind=ActorKind.STAFF,
        environment=dossier.client,
        obj=dossier,
        details={"page": "dossier"},
    )
    return _detail(request, dossier)


def _back(dossier, anchor=""):
    """Back to the dossier page, at the panel that was changed."""
    return redirect(reverse("dossiers_staff:dossier", args=[dossier.client.public_id, dossier.public_id]) + anchor)


@staff_required
@require_POST
def folder_add(request, client, dossier):
    """A folder at the top of the dossier or inside another of its folders."""
    dossier = _dossier(request, client, dossier)
    parent = None
    if request.POST.get("parent"):
        parent = selectors.get_folder(dossier=dossier, folder_public_id=request.POST["parent"])
    form = FolderForm(request.POST, tree=selectors.folder_tree(dossier=dossier))
    if form.is_valid():
        with service_refusal(form=form, field="name") as outcome:
            folder = services.folder_create(
                dossier=dossier, name=form.cleaned_data["name"], parent=parent, actor=request.user
            )
        if outcome.ok:
            messages.success(request, _("Folder “%(name)s” has been added.") % {"name": folder.name})
            return _back(dossier, "#folders")
    return _detail(request, dossier, folder_form=form, status=400)


@staff_required
@require_POST
def documents_ask(request, client, dossier):
    """Documenten opvragen: the environment's members get a task to supply documents into a folder."""
    from balie.dossiers.uploads import documents_request

    dossier = _dossier(request, client, dossier)
    form = AskForm(request.POST, tree=selectors.folder_tree(dossier=dossier))
    if not form.is_valid():
        return _detail(request, dossier, ask_form=form, status=400)
    data = form.cleaned_data
    folder = selectors.get_folder(dossier=dossier, folder_public_id=data["folder"])
    with service_refusal(form=form) as outcome:
        documents_request(folder=folder, title=data["title"], actor=request.user, due_date=data["due_date"])
    if not outcome.ok:
        return _detail(request, dossier, ask_form=form, status=400)
    messages.success(
        request,
        _("%(client)s has been asked for “%(title)s”.") % {"client": dossier.client.name, "title": data["title"]},
    )
    return _back(dossier, "#ask")


@staff_required
@require_POST
def step_add(request, client, dossier):
    """A step of the progress checklist (DOS-3)."""
    dossier = _dossier(request, client, dossier)
    form = StepForm(request.POST)
    if not form.is_valid():
        return _detail(request, dossier, step_form=form, status=400)
    services.checklist_add(dossier=dossier, title=form.cleaned_data["title"], actor=request.user)
    return _back(dossier, "#progress")


@staff_required
@require_POST
def step_toggle(request, client, dossier, step):
    """Ticks a step off, or unticks it (``done`` is 1 or 0)."""
    dossier = _dossier(request, client, dossier)
    item = selectors.get_checklist_item(dossier=dossier, item_id=step)
    services.checklist_toggle(item=item, done=request.POST.get("done") == "1", actor=request.user)
    return _back(dossier, "#progress")


@allows_large_body(limits.for_staff_uploads(files=services.MAX_FILES_PER_REQUEST))
@staff_required
@require_POST
def publish(request, client, dossier):
    """Publishes one or more files into the dossier (DOS-7); all of them or none."""
    dossier = _dossier(request, client, dossier)
    tree = selectors.folder_tree(dossier=dossier)
    # More than 100 files never get here: Django refuses them while parsing (see core.views.system.bad_request).
    folder = None
    if request.POST.get("folder"):
        folder = selectors.get_folder(dossier=dossier, folder_public_id=request.POST["folder"])
    form = PublishForm(request.POST, request.FILES, tree=tree, settings_url=_settings_url(dossier.client))
    request_form = publication_hook("request_settings_form")(
        staff=request.staff, client=dossier.client, data=request.POST, doc_type=request.POST.get("doc_type", "")
    )
    if form.is_valid() & request_form.is_valid():  # both, so that each shows its errors
        fields = form.cleaned_data
        with service_refusal(form=form, as_text=True, closing=_("Nothing has been published.")) as outcome:
            documents = services.document_publish(
                dossier=dossier,
                uploads=fields["files"],
                folder=folder,
                doc_type=fields["doc_type"],
                year=fields["year"],
                period=fields["period"],
                direction=fields["direction"],
                message=fields["message"],
                request_kind=request_form.cleaned_data["request_kind"],
                request_settings=request_form.request_settings(),
                actor=request.user,
            )
        if outcome.ok:
            messages.success(
                request,
                ngettext(
                    "%(count)s document has been published.", "%(count)s documents have been published.", len(documents)
                )
                % {"count": len(documents)},
            )
            return _back(dossier, "#documents")
    return _detail(request, dossier, publish_form=form, request_form=request_form, status=400)


@staff_required
@require_GET
def document_detail(request, client, dossier, document):
    """A document for the firm: its versions, who at the client opened it, a new version."""
    dossier, document = _document(request, client, dossier, document)
    if not document.is_withdrawn and document.current_version_id:
        # Seen by the firm: off the list of new uploads, and on the client's "opened by the firm".
        from balie.dossiers.services import document_record_access

        document_record_access(document=document, user=request.user, action="view", ip_address=client_ip(request))
    return _document_page(request, dossier, document, ReplaceForm())


def _document_page(request, dossier, document, form, status=200):
    return render(
        request,
        "dossiers/staff/document.html",
        {
            "client": dossier.client,
            "dossier": dossier,
            "document": document,
            "versions": selectors.document_versions(document=document),
            "accesses": selectors.client_access_log(document=document),
            "approvals": publication_hook("document_requests")(
                staff=request.staff, client=dossier.client, document=document
            ),
            "form": form,
        },
        status=status,
    )


@allows_large_body(limits.for_staff_uploads(files=1))
@staff_required
@require_POST
def document_replace(request, client, dossier, document):
    """A new version of the document (DOS-8): earlier versions stay, the client sees it unread again."""
    dossier, document = _document(request, client, dossier, document)
    back = reverse("dossiers_staff:document", args=[dossier.client.public_id, dossier.public_id, document.public_id])
    form = ReplaceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            version = services.document_replace(document=document, upload=form.cleaned_data["file"], actor=request.user)
        except ValidationError as error:
            if error.code == "withdrawn":  # its page has no upload form to show the error in
                messages.error(request, error.messages[0])
                return redirect(back)
            form.add_error("file", error)
        else:
            messages.success(request, _("Version %(number)s has been added.") % {"number": version.number})
            return redirect(back)
    return _document_page(request, dossier, document, form, status=400)


@staff_required
@require_http_methods(["GET", "POST"])
def document_withdraw(request, client, dossier, document):
    """Asks first, then withdraws: the document leaves the client's lists and its open tasks close."""
    dossier, document = _document(request, client, dossier, document)
    if request.method == "POST":
        if document.is_withdrawn:
            messages.info(request, _("“%(title)s” had already been withdrawn.") % {"title": document.title})
        else:
            services.document_withdraw(document=document, actor=request.user)
            messages.success(request, _("“%(title)s” has been withdrawn.") % {"title": document.title})
        return _back(dossier, "#documents")
    return render(
        request, "dossiers/staff/withdraw.html", {"client": dossier.client, "dossier": dossier, "document": document}
    )


@staff_required
@require_GET
def version_download(request, client, dossier, document, version):
    """One version as an attachment; the download is logged, so the client sees who at the firm did."""
    dossier, document = _document(request, client, dossier, document)
    version = selectors.get_version(document=document, version_public_id=version)
    response = file_response(version, inline=False, csp=DOWNLOAD_CSP)
    services.version_record_download(version=version, user=request.user, ip_address=client_ip(request))
    return response
