"""Bulk publish for the firm (DOS-7): upload and match, preview, confirm, follow the result.

Every publication is reached through ``bulk.get_publication_for_staff`` (the staff member's own
firm, else 404); clients and other firms' staff never see one.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from balie.core.actions import service_refusal
from balie.core.limits import allows_large_body
from balie.dossiers import bulk, limits
from balie.dossiers.forms_staff import BulkForm
from balie.dossiers.models import BulkPublication
from balie.dossiers.publication import hook as publication_hook
from balie.dossiers.services import MAX_FILES_PER_REQUEST
from balie.firms.access import staff_required

PREVIEW_ROWS = 1000  # rows shown in the preview and result tables; the counts cover all


@allows_large_body(limits.for_staff_uploads(files=MAX_FILES_PER_REQUEST + 1))  # the files and the CSV
@staff_required
@require_http_methods(["GET", "POST"])
def bulk_new(request):
    """Step 1: the files, how they are matched, and what the documents say. Nothing is published yet."""
    settings_url = reverse("approvals_staff:flow_defaults") + "?bulk=1"
    form = BulkForm(request.POST or None, request.FILES or None, settings_url=settings_url)
    doc_type = request.POST.get("doc_type", "") if request.method == "POST" else form.fields["doc_type"].initial
    request_form = publication_hook("request_settings_form")(
        staff=request.staff, data=request.POST or None, doc_type=doc_type, bulk=True
    )
    if request.method == "POST" and form.is_valid() & request_form.is_valid():  # both show their errors
        data = {**form.cleaned_data, "request_kind": request_form.cleaned_data["request_kind"]}
        with service_refusal(form=form, as_text=True, closing=_("Nothing has been stored or published.")) as outcome:
            publication = bulk.bulk_prepare(
                staff=request.staff,
                mode=data["mode"],
                uploads=data["files"],
                fields={name: data[name] for name in bulk.FIELDS},
                scope=data["scope"] or "all",
                kind=data["kind"],
                numbers=data["numbers"],
                csv_file=data["csv_file"],
                pattern=data["pattern"],
                request_settings=request_form.request_settings(),
            )
        if outcome.ok:
            return redirect("dossiers_staff:bulk", publication=publication.public_id)
    status = 400 if request.method == "POST" else 200
    recent = bulk.publication_list_for_staff(staff=request.staff)[:10]
    context = {"form": form, "request_form": request_form, "recent": recent}
    return render(request, "dossiers/staff/bulk_new.html", context, status=status)


@staff_required
@require_GET
def bulk_detail(request, publication):
    """The preview of a draft, or the result (with its progress while the job runs)."""
    publication = bulk.get_publication_for_staff(staff=request.staff, publication_public_id=publication)
    context = {
        "publication": publication,
        "request_facts": _request_facts(publication),
        "summary": bulk.publication_summary(publication=publication),
        "items": bulk.publication_items(publication=publication)[:PREVIEW_ROWS],
        "preview_rows": PREVIEW_ROWS,
        "running": publication.status == BulkPublication.Status.CONFIRMED,
    }
    if request.htmx:
        return render(request, "dossiers/staff/bulk_result.html", context)
    return render(request, "dossiers/staff/bulk_detail.html", context)


def _request_facts(publication: BulkPublication) -> list[tuple[str, str]]:
    """(label, value) of the request settings the publication chose; the flow decides the rest."""
    settings = bulk.request_settings_of(publication) or {}
    facts = list(publication_hook("request_facts")(settings))  # who must act, how many, what follows
    if publication.request_kind == "sign":
        if "in_order" in settings:
            facts.append(
                (_("Order of signing"), _("One after the other") if settings["in_order"] else _("At the same time"))
            )
        if settings.get("firm_first"):
            name = publication.created_by.get_full_name() or publication.created_by.email
            facts.append((_("Signs first for the firm"), name))
        if settings.get("page"):
            facts.append((_("Signature page"), str(settings["page"])))
    if "due_date" in settings:
        facts.append((_("Due date"), date_format(settings["due_date"]) if settings["due_date"] else "—"))
    return facts


@staff_required
@require_POST
def bulk_confirm(request, publication):
    publication = bulk.get_publication_for_staff(staff=request.staff, publication_public_id=publication)
    with service_refusal(request, first_only=True, success=_("Publishing has started. This page shows the progress.")):
        bulk.bulk_confirm(publication=publication, actor=request.user)
    return redirect("dossiers_staff:bulk", publication=publication.public_id)


@staff_required
@require_POST
def bulk_cancel(request, publication):
    publication = bulk.get_publication_for_staff(staff=request.staff, publication_public_id=publication)
    with service_refusal(request, first_only=True) as outcome:
        bulk.bulk_cancel(publication=publication, actor=request.user)
    if not outcome.ok:
        return redirect("dossiers_staff:bulk", publication=publication.public_id)
    messages.success(request, _("The bulk publication has been cancelled; nothing was published."))
    return redirect("dossiers_staff:bulk_new")


@staff_required
@require_POST
def bulk_retry(request, publication):
    publication = bulk.get_publication_for_staff(staff=request.staff, publication_public_id=publication)
    bulk.bulk_retry(publication=publication, actor=request.user)
    return redirect("dossiers_staff:bulk", publication=publication.public_id)
