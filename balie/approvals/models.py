"""Requests on a document version, the decisions on them, and their filing (APR-1 .. APR-8)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from balie.approvals.states import Status


class Kind(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REVIEW = "review", _("Review")  # a reminder task until acknowledged
    SIGN = "sign", _("Sign")  # signers in order, each signature sealed into the PDF (balie/signing)


class Audience(models.TextChoices):
    DIRECTORS = "directors", _("All directors with portal access")
    HANDLERS = "handlers", _("Everyone who may handle documents")
    NAMED = "named", _("Named people")


class Required(models.TextChoices):
    ONE = "one", _("One approval suffices")
    ALL = "all", _("Everyone asked must approve")


class After(models.TextChoices):
    """What follows the approval (APR-8)."""

    NOTHING = "nothing", _("Nothing")
    FIRM_SOFTWARE = "firm_software", _("Notify the firm's software")
    DIGIPOORT = "digipoort", _("File through Digipoort")


class Flow(models.Model):
    """A firm's default flow for one document type (APR-1, BEY-2); without a row Balie's default applies."""

    class Mode(models.TextChoices):
        APPROVE = "approve", _("Approve")
        REVIEW = "review", _("Review")
        SIGN = "sign", _("Sign")
        INFO = "info", _("For your information (no task)")

    firm = models.ForeignKey("firms.Firm", on_delete=models.CASCADE, related_name="approval_flows")
    doc_type = models.CharField(_("document type"), max_length=40)
    mode = models.CharField(_("request"), max_length=10, choices=Mode.choices)
    audience = models.CharField(_("who must act"), max_length=10, choices=Audience.choices)
    required = models.CharField(_("approvals needed"), max_length=5, choices=Required.choices, default=Required.ONE)
    after = models.CharField(_("after approval"), max_length=20, choices=After.choices, default=After.NOTHING)
    due_days = models.PositiveSmallIntegerField(_("days to act"), null=True, blank=True)

    class Meta:
        verbose_name = _("approval flow")
        verbose_name_plural = _("approval flows")
        constraints = [models.UniqueConstraint(fields=["firm", "doc_type"], name="approvals_flow_one_per_type")]

    def __str__(self) -> str:
        return f"{self.firm_id} {self.doc_type}: {self.mode}"


class Request(models.Model):
    """A request to approve or review one exact version of a document (accordering)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="approval_requests")
    document = models.ForeignKey("dossiers.Document", on_delete=models.CASCADE, related_name="approval_requests")
    version = models.ForeignKey("dossiers.DocumentVersion", on_delete=models.PROTECT, related_name="approval_requests")
    kind = models.CharField(_("request"), max_length=10, choices=Kind.choices, default=Kind.APPROVE)
    audience = models.CharField(_("who must act"), max_length=10, choices=Audience.choices)
    named = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("named people")
    )
    required = models.CharField(_("approvals needed"), max_length=5, choices=Required.choices, default=Required.ONE)
    after = models.CharField(_("after approval"), max_length=20, choices=After.choices, default=After.NOTHING)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    # BEY-2: held ("wacht op …") until this request is done.
    waits_for = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="followers", verbose_name=_("waits for")
    )
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaced_by", editable=False
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    status_changed_at = models.DateTimeField(default=timezone.now)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["client", "status", "-created_at"], name="approvals_req_client_status"),
            models.Index(fields=["status", "status_changed_at"], name="approvals_req_status"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.document_id} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("approvals:detail", args=[self.client.public_id, self.public_id])

    @property
    def is_withdrawn(self) -> bool:  # a task about a withdrawn or replaced request closes
        return self.status in (Status.WITHDRAWN, Status.REPLACED)

    # A task about a request (balie/todos/targets.py) is its own kind: approve, review or sign.
    def todo_kinds(self) -> tuple[str, ...]:
        return (self.kind,)

    def todo_url(self, kind: str) -> str:
        if self.kind == Kind.SIGN:
            return reverse("signing:detail", args=[self.client.public_id, self.public_id])
        return self.get_absolute_url()


class DecisionQuerySet(models.QuerySet):
    """Decisions are added (``create``, ``bulk_create``), never changed or deleted, not in bulk
    either: ``update()`` and ``delete()`` refuse (and so does ``bulk_update``, which updates). On
    PostgreSQL a trigger refuses an UPDATE or DELETE of the table as well (migration 0003)."""

    def update(self, **kwargs):
        raise ValueError("Decisions are evidence: they are never changed.")

    def delete(self):
        raise ValueError("Decisions are evidence: they are never deleted.")

    update.alters_data = True
    delete.alters_data = True
    delete.queryset_only = True  # as Django's: ``Decision.objects.delete()`` does not exist at all


class Decision(models.Model):
    """What one person decided on one exact version: evidence (APR-7), never changed afterwards."""

    class Outcome(models.TextChoices):
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Not approved")
        ACKNOWLEDGED = "acknowledged", _("Seen")
        SIGNED = "signed", _("Signed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    request = models.ForeignKey(Request, on_delete=models.PROTECT, related_name="decisions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(_("decision"), max_length=15, choices=Outcome.choices)
    comment = models.TextField(_("comment"), blank=True)
    decided_at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    factor = models.CharField(_("confirmed with"), max_length=20, blank=True)
    challenge_id = models.CharField(max_length=40, blank=True)
    version_sha256 = models.CharField(max_length=64)
    # A decision the client gave outside the portal (on paper, by phone), entered by staff.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outside_note = models.TextField(_("how the decision was given"), blank=True)

    objects = DecisionQuerySet.as_manager()

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["decided_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["request", "user"], name="approvals_one_decision_per_person"),
            models.CheckConstraint(
                condition=~models.Q(outcome="rejected") | ~models.Q(comment=""), name="approvals_rejection_has_reason"
            ),
            models.CheckConstraint(
                condition=models.Q(recorded_by__isnull=True) | ~models.Q(outside_note=""),
                name="approvals_outside_decision_has_note",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.outcome} {self.request_id}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("A decision is evidence: it is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("A decision is evidence: it is never deleted.")


class Submission(models.Model):
    """One filing of an approved request with a receiver (APR-8), delivered at most once.

    The idempotency key is unique: a retry after a crash or a timeout finds this row instead of
    filing again. ``event_id`` stays the same on every delivery attempt.
    """

    class Connector(models.TextChoices):
        FIRM_SOFTWARE = "firm_software", _("Firm software (webhook)")
        DIGIPOORT = "digipoort", _("Digipoort")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting to be delivered")
        DELIVERING = "delivering", _("Being delivered")
        DELIVERED = "delivered", _("Delivered, waiting for the receipt")
        ACCEPTED = "accepted", _("Accepted")
        FAILED = "failed", _("Failed")
        UNKNOWN = "unknown", _("Outcome unknown: check with the receiver")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    request = models.ForeignKey(Request, on_delete=models.PROTECT, related_name="submissions")
    connector = models.CharField(max_length=20, choices=Connector.choices)
    idempotency_key = models.CharField(max_length=80, unique=True)
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    reference = models.CharField(_("receiver's reference"), max_length=100, blank=True)
    last_error = models.TextField(blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="approvals_sub_due")]

    def __str__(self) -> str:
        return f"{self.connector} {self.request_id} ({self.state})"


class Receiver(models.Model):
    """Where a firm's software hears of approved requests (APR-8, "firm software"): a webhook
    address and the secret its deliveries are signed with, stored encrypted (balie/twostep/crypto.py)
    and never shown again, only whether it is set. Changed through ``receivers.receiver_update``."""

    firm = models.OneToOneField("firms.Firm", on_delete=models.CASCADE, related_name="filing_receiver")
    webhook_url = models.URLField(_("webhook address"), max_length=500, blank=True)
    webhook_secret = models.TextField(blank=True, editable=False)  # "fernet:…", see twostep/crypto.py
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("receiver")
        verbose_name_plural = _("receivers")

    def __str__(self) -> str:
        return f"{self.firm_id}: {self.webhook_url or '-'}"

    @property
    def has_secret(self) -> bool:
        return bool(self.webhook_secret)

    def secret(self) -> str:
        from balie.twostep import crypto

        return crypto.decrypt(self.webhook_secret) if self.webhook_secret else ""
