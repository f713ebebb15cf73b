"""The digital dossier (DOS-1 .. DOS-8): dossiers, folders, documents and their versions.

Every document row carries its environment (``client``), so that "the documents this person may
see" is one join on membership and every list query can use an index that starts with it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from balie.todos.models import Todo


class Dossier(models.Model):
    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")  # in behandeling
        ON_HOLD = "on_hold", _("On hold")  # aangehouden
        CLOSED = "closed", pgettext_lazy("dossier status", "Closed")  # afgerond; a task's "Closed" reads otherwise

    class Kind(models.TextChoices):
        STANDING = "standing", _("Standing dossier")  # doorlopend dossier (accountancy)
        MATTER = "matter", _("Matter")  # zaak (notary)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="dossiers")
    number = models.CharField(_("number"), max_length=40, blank=True)
    description = models.CharField(_("description"), max_length=200)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.IN_PROGRESS)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.STANDING)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["client", "status", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.number} {self.description}".strip()

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("dossiers:detail", args=[self.client.public_id, self.public_id])


class Folder(models.Model):
    """A sub-dossier (Advies, Fiscaal, ...) or a folder below one."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="folders")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("folder")
        verbose_name_plural = _("folders")
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "parent", "name"], name="dossiers_folder_unique_name"),
            models.UniqueConstraint(
                fields=["dossier", "name"], condition=models.Q(parent=None), name="dossiers_folder_unique_top_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    # A task about a folder (balie/todos/targets.py): supplying documents into it, on the client's
    # upload page with this folder chosen; an upload there handles it (documents_supply).
    @property
    def client_id(self) -> int:
        return self.dossier.client_id

    def todo_kinds(self) -> tuple[str, ...]:
        return (Todo.Kind.UPLOAD,)

    def todo_url(self, kind: str) -> str:
        from django.urls import reverse

        url = reverse("dossiers:upload", args=[self.dossier.client.public_id, self.dossier.public_id])
        return f"{url}?map={self.public_id}"


class ChecklistItem(models.Model):
    """One step of the dossier's progress (Voortgang x/y), maintained by the firm (DOS-3)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="checklist")
    title = models.CharField(_("step"), max_length=200)
    position = models.PositiveIntegerField(default=0)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.title


class DocumentType(models.TextChoices):
    """The document types of APR-1 (their default flows belong to the approvals)."""

    VAT_RETURN = "vat_return", _("VAT return")  # Btw-aangifte
    INCOME_TAX_RETURN = "income_tax_return", _("Income tax return")  # Aangifte IB
    CORPORATE_TAX_RETURN = "corporate_tax_return", _("Corporate tax return")  # Aangifte VPB
    CONCEPT_RETURN = "concept_return", _("Draft tax return")  # Conceptaangifte
    CONCEPT_ANNUAL_ACCOUNTS = "concept_annual_accounts", _("Draft annual accounts")
    REPRESENTATION_LETTER = "representation_letter", _("Letter of representation")
    ANNUAL_ACCOUNTS = "annual_accounts", _("Annual accounts and minutes")
    PUBLICATION = "publication", _("Publication documents")
    CREDIT_REPORT = "credit_report", _("Credit report")
    ENGAGEMENT_LETTER = "engagement_letter", _("Engagement letter")
    LETTER = "letter", _("Letter")
    OTHER = "other", _("Other document")


# The tax returns (aangiften): words a firm without them (a notary's office) never shows its clients.
TAX_RETURN_TYPES = frozenset(
    {
        DocumentType.VAT_RETURN,
        DocumentType.INCOME_TAX_RETURN,
        DocumentType.CORPORATE_TAX_RETURN,
        DocumentType.CONCEPT_RETURN,
    }
)


class Document(models.Model):
    class Direction(models.TextChoices):
        CORRESPONDENCE = "correspondence", _("Correspondence")  # tab Correspondentie
        FIRM = "firm", _("Documents")  # tab Documenten
        CLIENT = "client", _("Supplied by me")  # tab Door mij aangeleverd

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class RequestKind(models.TextChoices):
        APPROVE = "approve", _("Approve")
        SIGN = "sign", _("Sign")
        REVIEW = "review", _("Review")
        INFO = "info", _("For your information")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="documents")
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="documents")
    folder = models.ForeignKey(Folder, null=True, blank=True, on_delete=models.SET_NULL, related_name="documents")
    title = models.CharField(_("title"), max_length=200)
    doc_type = models.CharField(_("type"), max_length=40, choices=DocumentType.choices, default=DocumentType.OTHER)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    period = models.CharField(_("period"), max_length=20, blank=True)  # Q3, 2025, januari
    direction = models.CharField(max_length=20, choices=Direction.choices)
    message = models.TextField(_("message"), blank=True)
    request_kind = models.CharField(_("request"), max_length=20, choices=RequestKind.choices, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    current_version = models.ForeignKey(
        "DocumentVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Made by the upload page for each file it sends: a retry of the same file finds this document
    # instead of storing the file again. Unique per environment and person, never looked up wider.
    upload_id = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "created_by", "upload_id"],
                condition=models.Q(upload_id__isnull=False),
                name="dossiers_document_unique_upload",
            )
        ]
        indexes = [
            models.Index(fields=["client", "status", "-created_at", "-id"], name="dossiers_doc_client_recent"),
            models.Index(fields=["dossier", "direction", "status", "-created_at", "-id"], name="dossiers_doc_tab"),
            models.Index(fields=["dossier", "direction", "status", "year"], name="dossiers_doc_years"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("dossiers:document", args=[self.client.public_id, self.public_id])

    @property
    def is_tax_return(self) -> bool:
        return self.doc_type in TAX_RETURN_TYPES

    @property
    def is_withdrawn(self) -> bool:
        return self.status == self.Status.WITHDRAWN


class DocumentVersion(models.Model):
    """One stored file of a document (DOS-8): never changed, never silently deleted."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(default=1)
    file = models.FileField(max_length=200)  # a random key, never the uploaded name
    original_name = models.CharField(max_length=255)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=100)  # sniffed from the content, not the name
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["document", "number"], name="dossiers_version_unique_number")]

    def __str__(self) -> str:
        return f"{self.original_name} (v{self.number})"

    @property
    def can_preview(self) -> bool:
        return self.content_type == "application/pdf" or self.content_type in PREVIEW_IMAGES


PREVIEW_IMAGES = {"image/png", "image/jpeg", "image/gif", "image/webp"}


class DocumentRead(models.Model):
    """Per person and document: first seen, last downloaded (unread counts come from it)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="reads")
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_downloaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["document", "user"], name="dossiers_read_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.document_id}"


class DocumentAccess(models.Model):
    """Every view and download: who, when, from where (DOS-5, SEC-2). Append-only."""

    class Action(models.TextChoices):
        VIEW = "view", _("viewed")
        PREVIEW = "preview", _("previewed")
        DOWNLOAD = "download", _("downloaded")

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="accesses")
    version = models.ForeignKey(DocumentVersion, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=20, choices=Action.choices)
    at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["document", "-at"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.action} {self.document_id}"


class BulkPublication(models.Model):
    """One bulk publish (DOS-7): files staged once, matched to many environments, confirmed, then
    published by a background job. Its items say what goes (went) where."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")  # staged, shown as a preview; nothing published
        CONFIRMED = "confirmed", _("Publishing")  # the job is (or will be) working on it
        DONE = "done", _("Done")
        FAILED = "failed", _("Done with errors")

    class Mode(models.TextChoices):
        SAME = "same", _("The same file to many environments")
        CSV = "csv", _("Files matched by a CSV list")
        PATTERN = "pattern", _("Files matched by their name")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    firm = models.ForeignKey("firms.Firm", on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    mode = models.CharField(max_length=20, choices=Mode.choices)
    folder_name = models.CharField(_("folder"), max_length=100, blank=True)
    title = models.CharField(_("title"), max_length=200, blank=True)
    doc_type = models.CharField(_("type"), max_length=40, choices=DocumentType.choices, default=DocumentType.OTHER)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    period = models.CharField(_("period"), max_length=20, blank=True)
    direction = models.CharField(max_length=20, choices=Document.Direction.choices)
    message = models.TextField(_("message"), blank=True)
    request_kind = models.CharField(_("request"), max_length=20, choices=Document.RequestKind.choices, blank=True)
    # What each approval request asks (audience, required, after, due_date as ISO date), as chosen in
    # the form; a setting left out follows the firm's flow for the type. Empty: the flow decides all.
    request_settings = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["firm", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_mode_display()} ({self.created_at:%Y-%m-%d %H:%M})"


class BulkItem(models.Model):
    """One file for one environment, or a problem that keeps a file or an environment out."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        OK = "ok", _("Published")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Not published")  # it had a problem in the preview

    publication = models.ForeignKey(BulkPublication, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(default=0)
    client = models.ForeignKey("clients.Client", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    client_number = models.CharField(max_length=30, blank=True)  # as given (CSV, list, file name)
    file_key = models.CharField(max_length=200, blank=True)  # the staged file; shared by the versions
    file_name = models.CharField(max_length=255, blank=True)
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=200, blank=True)
    problem = models.TextField(blank=True)  # not published because of it
    warning = models.TextField(blank=True)  # published anyway
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)  # why publishing failed
    document = models.ForeignKey(Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["position", "pk"]
        indexes = [
            models.Index(fields=["publication", "status", "position"]),
            models.Index(fields=["file_key"]),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} → {self.client_number or self.client_id}"


class DocumentText(models.Model):
    """The text extracted from a document's current version (for search), or why there is none."""

    document = models.OneToOneField(Document, primary_key=True, on_delete=models.CASCADE, related_name="text")
    version = models.ForeignKey(DocumentVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField(blank=True)
    extracted_at = models.DateTimeField(default=timezone.now)
    error = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"text of {self.document_id}"
