"""The audit trail: who did what, when and from where (``AuditEvent``), append-only and chained per
firm (``ChainHead``). Events are written by ``balie.audit.services.record`` only."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

USER_AGENT_LENGTH = 300
NAME_LENGTH = 200


class ActorKind(models.TextChoices):
    USER = "user", _("User")
    STAFF = "staff", _("Staff member")
    API_KEY = "api_key", _("API key")
    SYSTEM = "system", _("System")
    OPERATOR = "operator", _("Operator")
    # Someone not signed in: a failed sign-in is tried by a person nobody knows yet.
    ANONYMOUS = "anonymous", _("Not signed in")


class AuditEventQuerySet(models.QuerySet):
    """Events are added, never changed or deleted, not in bulk either: ``update()`` and ``delete()``
    refuse (and so does ``bulk_update``). On PostgreSQL a trigger refuses an UPDATE or DELETE of the
    table as well (migration 0002)."""

    def update(self, **kwargs):
        raise ValueError("Audit events are evidence: they are never changed.")

    def delete(self):
        raise ValueError("Audit events are evidence: they are never deleted.")

    update.alters_data = True
    delete.alters_data = True
    delete.queryset_only = True


class AuditEvent(models.Model):
    """One event of the audit trail. The firm is NULL only for events that belong to no firm (a
    failed sign-in of an address nobody has, an operator's action outside any firm): those form the
    operator's chain. Who and what are kept as plain values (the actor's id without a database
    constraint, the object's type and public id) so an event outlives what it is about."""

    at = models.DateTimeField(default=timezone.now)
    firm = models.ForeignKey("firms.Firm", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    seq = models.PositiveBigIntegerField()
    environment_id = models.UUIDField(null=True, blank=True)
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(max_length=NAME_LENGTH, blank=True)
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=USER_AGENT_LENGTH, blank=True)
    request_id = models.CharField(max_length=32, blank=True)
    details = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "seq"], name="audit_event_seq_per_firm"),
            models.UniqueConstraint(
                fields=["seq"], condition=models.Q(firm__isnull=True), name="audit_event_seq_operator"
            ),
        ]
        # The log's filters (person, environment, action, period), newest first, paged by (at, id).
        indexes = [
            models.Index(fields=["firm", "-at", "-id"], name="audit_firm_at"),
            models.Index(fields=["firm", "environment_id", "-at", "-id"], name="audit_firm_env_at"),
            models.Index(fields=["firm", "actor_user", "-at", "-id"], name="audit_firm_actor_at"),
            models.Index(fields=["firm", "action", "-at", "-id"], name="audit_firm_action_at"),
            # A person's failed sign-ins (the account is the object, there is no actor): the second
            # half of the sign-ins page's query (``selectors.signins_of_user``).
            models.Index(
                fields=["firm", "object_type", "object_id", "-at", "-id"],
                condition=models.Q(action="auth.signin_failed"),
                name="audit_signin_failed_object",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} #{self.seq}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("An audit event is evidence: it is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("An audit event is evidence: it is never deleted.")


class ChainHead(models.Model):
    """The end of one chain: its last number and hash, locked while an event is added so the numbers
    of a chain have no gaps and no doubles. ``key`` is the firm's id, or "operator" for the chain
    without a firm (a unique key, as NULLs never collide). Not evidence: it is updated."""

    OPERATOR = "operator"

    key = models.CharField(max_length=40, unique=True)
    firm = models.OneToOneField("firms.Firm", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("audit chain")
        verbose_name_plural = _("audit chains")

    def __str__(self) -> str:
        return f"{self.key} #{self.last_seq}"


def chain_key(firm_id: int | None) -> str:
    return ChainHead.OPERATOR if firm_id is None else str(firm_id)


class AuditCheckpointQuerySet(models.QuerySet):
    """Checkpoints are written once, never changed or deleted, not in bulk either (pruning removes
    events, never checkpoints). On PostgreSQL a trigger refuses an UPDATE or DELETE of the table
    as well (migration 0004)."""

    def update(self, **kwargs):
        raise ValueError("Audit checkpoints are evidence: they are never changed.")

    def delete(self):
        raise ValueError("Audit checkpoints are evidence: they are never deleted.")

    update.alters_data = True
    delete.alters_data = True
    delete.queryset_only = True


class AuditCheckpoint(models.Model):
    """The end of one day of a firm's chain (in Balie's time zone), written down the next day: the
    last event's number and hash, in the database and in a small PDF sealed with the firm's seal
    and kept with the documents. Whoever rewrites the chain afterwards, consistently (every hash
    recomputed), changes the hash at this number, and ``verify`` reports it. Pruning removes events
    only up to a checkpoint, and verification then starts from it."""

    firm = models.ForeignKey("firms.Firm", on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    last_seq = models.PositiveBigIntegerField()
    last_hash = models.CharField(max_length=64)
    events = models.PositiveIntegerField()  # events of that day
    created_at = models.DateTimeField(default=timezone.now)
    file_key = models.CharField(max_length=300)  # in the default storage, with the documents
    file_sha256 = models.CharField(max_length=64)
    sealed = models.BooleanField(default=False)  # False: no seal was available; the PDF says so
    # The previous checkpoint's digest (checkpoints.checkpoint_digest; zeros for the first): the
    # checkpoints of a firm are a chain of their own, in the rows and the PDFs.
    prev_hash = models.CharField(max_length=64, default="")

    objects = AuditCheckpointQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit checkpoint")
        verbose_name_plural = _("audit checkpoints")
        ordering = ["firm", "day"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "day"], name="audit_checkpoint_day"),
            models.UniqueConstraint(fields=["firm", "last_seq"], name="audit_checkpoint_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.firm_id} {self.day} #{self.last_seq}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("An audit checkpoint is evidence: it is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("An audit checkpoint is evidence: it is never deleted.")


class AuditAlert(models.Model):
    """An alert given (to a firm's administrators, or the operator for the chain of no firm), so
    the same finding is not told again: ``kind`` and ``subject`` (a person's id, a broken link)
    name it, and ``until`` is when the same finding may be told anew."""

    firm = models.ForeignKey("firms.Firm", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=30)
    subject = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)
    until = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["kind", "subject", "until"], name="audit_alert_recent")]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject}"
