"""Bulk publish for the firm (DOS-7): upload and match, preview, confirm, follow the result.

Every publication is reached through ``bulk.get_publication_for_staff`` (the staff member's own
firm, else 404); clients and other firms' staff never see one.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from balie.clients.models import Client
from balie.dossiers import bulk
from balie.dossiers.forms_staff import MultipleFileField
from balie.dossiers.models import BulkPublication, Document, DocumentType
from balie.dossiers.services import MAX_FILES_PER_REQUEST, PUBLISH_DIRECTIONS
from balie.firms.access import staff_required

PREVIEW_ROWS = 1000  # rows shown in the preview and result tables; the counts cover all


class BulkForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("How are files matched to environments?"),
        choices=BulkPublication.Mode.choices,
        initial=BulkPublication.Mode.SAME,
        widget=forms.RadioSelect,
    )
    files = MultipleFileField(
        label=_("Files"),
        error_messages={"required": _("Choose at least one file.")},
    )
    scope = forms.ChoiceField(
        label=_("Environments (same file to many)"),
        choices=[
            ("all", _("All environments of the firm")),
            ("kind", _("All environments of one kind")),
            ("numbers", _("The client numbers below")),
        ],
        initial="all",
        required=False,
        widget=forms.RadioSelect,
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—")] + list(Client.Kind.choices), required=False)
    numbers = forms.CharField(
        label=_("Client numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line, or separated by commas or spaces."),
    )
    csv_file = forms.FileField(
        label=_("CSV list"),
        required=False,
        help_text=_("Columns bestand;klantnummer (file name; client number), separated by ; or ,."),
    )
    pattern = forms.CharField(
        label=_("Client number in the file name"),
        required=False,
        max_length=200,
        help_text=_(
            "By default the leading digits of the file name (“10232 Btw Q3.pdf” goes to client 10232). "
            "Or a regular expression whose first group is the client number."
        ),
    )
    folder_name = forms.CharField(
        label=_("Folder"),
        required=False,
        max_length=100,
        help_text=_("For example Fiscaal: that folder in the environment's standing dossier (created when missing)."),
    )
    title = forms.CharField(
        label=_("Title"), required=False, max_length=200, help_text=_("Leave empty to use the file name.")
    )
    doc_type = forms.ChoiceField(label=_("Type"), choices=DocumentType.choices, initial=DocumentType.OTHER)
    year = forms.IntegerField(label=_("Year"), required=False, min_value=1900, max_value=2200)
    period = forms.CharField(
        label=_("Period"), required=False, max_length=20, help_text=_("For example Q3, January or 2025-H1.")
    )
    direction = forms.ChoiceField(
        label=_("Tab"),
        choices=[(value, label) for value, label in Document.Direction.choices if value in PUBLISH_DIRECTIONS],
        initial=Document.Direction.FIRM,
        widget=forms.RadioSelect,
    )
    message = forms.CharField(
        label=_("Message to the client"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    request_kind = forms.ChoiceField(
        label=_("Request"),
        required=False,
        choices=[("", _("No request"))] + list(Document.RequestKind.choices),
        help_text=_("Approve, sign and review add a task for the client; “for your information” does not."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Interpolated per request, so that it is in the person's language.
        self.fields["files"].help_text = gettext("At most %(count)s files at once.") % {"count": MAX_FILES_PER_REQUEST}


@staff_required
@require_http_methods(["GET", "POST"])
def bulk_new(request):
    """Step 1: the files, how they are matched, and what the documents say. Nothing is published yet."""
    form = BulkForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
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
            )
        except ValidationError as error:
            for problem in error.messages:
                form.add_error(None, problem)
            form.add_error(None, _("Nothing has been stored or published."))
        else:
            return redirect("dossiers_staff:bulk", publication=publication.public_id)
    status = 400 if request.method == "POST" else 200
    recent = bulk.publication_list_for_staff(staff=request.staff)[:10]
    return render(request, "dossiers/staff/bulk_new.html", {"form": form, "recent": recent}, status=status)


@staff_required
@require_GET
def bulk_detail(request, publication):
    """The preview of a draft, or the result (with its progress while the job runs)."""
    publication = bulk.get_publication_for_staff(staff=request.staff, publication_public_id=publication)
    context = {
        "publication": publication,
        "summary": bulk.publication_summary(publication=publication),
        "items": bulk.publication_items(publication=publication)[:PREVIEW_ROWS],
        "preview_rows": PREVIEW_ROWS,
        "running": publication.status == BulkPublication.Status.CONFIRMED,
    }
    if request.htmx:
        return render(request, "dossiers/staff/bulk_result.html", context)
    return render(request, "dossiers/staff/bulk_detail.html", context)


@staff_required
@require_POST
def bulk_confirm(request, publication):
    publication = bulk.get_publication_for_staff(staff=request.staff, publication_public_id=publication)
    try:
        bulk.bulk_confirm(publication=publication, actor=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Publishing has started. This page shows the progress."))
    return redirect("dossiers_staff:bulk", publication=publication.public_id)


@staff_required
@require_POST
def bulk_cancel(request, publication):
    publication = bulk.get_publication_for_staff(staff=request.staff, publication_public_id=publication)
    try:
        bulk.bulk_cancel(publication=publication)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("dossiers_staff:bulk", publication=publication.public_id)
    messages.success(request, _("The bulk publication has been cancelled; nothing was published."))
    return redirect("dossiers_staff:bulk_new")


@staff_required
@require_POST
def bulk_retry(request, publication):
    publication = bulk.get_publication_for_staff(staff=request.staff, publication_public_id=publication)
    bulk.bulk_retry(publication=publication)
    return redirect("dossiers_staff:bulk", publication=publication.public_id)
