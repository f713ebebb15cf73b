"""Forms of the firm side of the dossier (DOS-7). They validate; the services write."""

from __future__ import annotations

from django import forms
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from balie.clients.models import Client
from balie.dossiers.models import BulkPublication, Document, DocumentType, Dossier
from balie.dossiers.services import MAX_FILES_PER_REQUEST, PUBLISH_DIRECTIONS


def folder_paths(tree):
    """(folder, "Fiscaal › 2025") for each folder of a tree from ``selectors.folder_tree``."""
    path: list[str] = []
    for folder, depth in tree:
        path[depth:] = [folder.name]
        yield folder, " › ".join(path)


def folder_choices(tree, *, empty_label) -> list[tuple[str, str]]:
    """Select options for a folder tree, sub-folders with their path."""
    return [("", empty_label)] + [(str(folder.public_id), label) for folder, label in folder_paths(tree)]


class DossierForm(forms.ModelForm):
    class Meta:
        model = Dossier
        fields = ["description", "number", "kind", "status"]


class FolderForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    parent = forms.ChoiceField(label=_("Inside"), required=False)

    def __init__(self, *args, tree, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = folder_choices(tree, empty_label=_("— top level —"))


class AskForm(forms.Form):
    """Documenten opvragen: what the client should supply, into which folder, by when (TASK-1)."""

    title = forms.CharField(
        label=_("What to supply"), max_length=200, help_text=_("For example: Jaaropgave 2025 van de bank")
    )
    folder = forms.ChoiceField(label=_("Into folder"))
    due_date = forms.DateField(
        label=_("Due date"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args, tree, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["folder"].choices = folder_choices(tree, empty_label=_("Choose a folder"))
        self.prefix = "ask"

    def clean_due_date(self):
        due = self.cleaned_data.get("due_date")
        if due is not None and due < timezone.localdate():
            raise forms.ValidationError(_("The due date cannot be in the past."))
        return due


class StepForm(forms.Form):
    title = forms.CharField(label=_("Step"), max_length=200)


class MultipleFileInput(forms.ClearableFileInput):
    """The browser's own file control, which ``files.js`` turns into a "Choose files" button with
    the chosen names under it (one control either way)."""

    allow_multiple_selected = True

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        context = {"input": html, "id": (attrs or {}).get("id", ""), "standalone": True}
        return render_to_string("partials/_file_picker.html", context)


class MultipleFileField(forms.FileField):
    """Several files from one ``<input type=file multiple>`` (``request.FILES.getlist`` underneath).

    Empty files pass here on purpose: the upload check refuses them with the file's name.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            if not data and self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class DocumentFieldsForm(forms.Form):
    """What a published document says about itself: type, year/period, tab, message, request."""

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
    # The request (kind, who, how many, due date, what follows) is the approvals' RequestSettingsForm,
    # posted with this form; choosing a type fetches that type's flow into it (htmx).

    def __init__(self, *args, settings_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if settings_url:
            self.fields["doc_type"].widget.attrs.update(
                {
                    "hx-get": settings_url,
                    "hx-trigger": "change",
                    "hx-target": "#request-settings",
                    "hx-swap": "outerHTML",
                }
            )


class PublishForm(DocumentFieldsForm):
    files = MultipleFileField(
        label=_("Files"),
        help_text=_("One document per file; at most %(count)s files at once.") % {"count": MAX_FILES_PER_REQUEST},
        error_messages={"required": _("Choose at least one file.")},
    )
    folder = forms.ChoiceField(label=_("Folder"), required=False)

    field_order = ["files", "folder", "doc_type", "year", "period", "direction", "message"]

    def __init__(self, *args, tree, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["folder"].choices = folder_choices(tree, empty_label=_("— no folder —"))


class ReplaceForm(forms.Form):
    file = forms.FileField(label=_("New version"), allow_empty_file=True)


class BulkForm(DocumentFieldsForm):
    """Bulk publishing (DOS-7): the files, how they are matched to environments, what they say."""

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

    field_order = [
        "mode",
        "files",
        "scope",
        "kind",
        "numbers",
        "csv_file",
        "pattern",
        "folder_name",
        "title",
        "doc_type",
        "year",
        "period",
        "direction",
        "message",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Interpolated per request, so that it is in the person's language.
        self.fields["files"].help_text = gettext("At most %(count)s files at once.") % {"count": MAX_FILES_PER_REQUEST}
