import uuid

from django.db import models
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class DevOutboxMessage(models.Model):
    """A message caught by the development outbox instead of being sent."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")

    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    sender = models.CharField(max_length=300, blank=True)
    recipients = models.TextField()
    subject = models.CharField(max_length=300, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.recipients}: {self.subject}"


class OutboxMessage(models.Model):
    """An e-mail (or SMS) to deliver: written in the transaction of the change that caused it,
    delivered by a job, retried with backoff, and never delivered twice by Balie itself."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")

    class Queue(models.TextChoices):
        TRANSACTIONAL = "transactional", _("Transactional")  # invitations, password resets: never wait
        BULK = "bulk", _("Bulk")  # notifications fanned out to many

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    WAITING = (Status.PENDING, Status.SENDING)  # not delivered yet and still being tried

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    firm = models.ForeignKey("firms.Firm", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    queue = models.CharField(max_length=20, choices=Queue.choices, default=Queue.TRANSACTIONAL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    recipient = models.CharField(max_length=254)
    sender = models.CharField(max_length=300, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    # Stable across retries, so a receiving server can drop a copy of a message it already has.
    message_id = models.CharField(max_length=200, unique=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # When it was (last) put in line: created, or resent by staff. Delivery is given up
    # BALIE_OUTBOX_GIVE_UP_HOURS after it, and how long a message has waited is counted from it.
    queued_at = models.DateTimeField(default=timezone.now)
    # Never delivered after this moment (an SMS code that is no longer valid); empty for e-mail.
    expires_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    resent_at = models.DateTimeField(null=True, blank=True)
    resent_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "queue", "next_attempt_at"], name="notif_outbox_due"),
            # The delivery page: one status of the firm, or all of them, newest first.
            models.Index(fields=["firm", "status", "created_at"], name="notif_outbox_firm"),
            models.Index(fields=["firm", "created_at"], name="notif_outbox_firm_all"),
            # The oldest message still waiting: for /health (all firms) and the firm's delivery page.
            models.Index(
                fields=["channel", "queued_at"],
                condition=models.Q(status__in=["pending", "sending"]),
                name="notif_outbox_waiting",
            ),
            models.Index(
                fields=["firm", "channel", "queued_at"],
                condition=models.Q(status__in=["pending", "sending"]),
                name="notif_outbox_firm_waiting",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.subject} ({self.status})"


class EventKind(models.TextChoices):
    """What a notification is about; people choose per kind how they hear of it (NOT-2)."""

    DOCUMENT = "document", _("New documents")
    REQUEST = "request", _("Requests to approve or sign")
    QUESTIONNAIRE = "questionnaire", _("Questionnaires")
    MESSAGE = "message", _("Messages and answers")
    TICKET = "ticket", _("Ticket updates")
    REMINDER = "reminder", _("Reminders")
    DETAILS = "details", _("Changes of organisation data and access")


class Frequency(models.TextChoices):
    IMMEDIATE = "immediate", _("Immediately")
    DAILY = "daily", _("Daily digest")
    OFF = "off", _("Off")


class NotificationPreference(models.Model):
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="notification_preferences")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.IMMEDIATE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notif_pref_unique")]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} {self.frequency}"


class Notification(models.Model):
    """Something a person should know of: shown under the bell, and e-mailed per their preference,
    bundled with whatever else reaches them within a short window (NOT-1)."""

    class Email(models.TextChoices):
        PENDING = "pending", _("Waiting to be bundled")
        DIGEST = "digest", _("In the daily digest")
        SENT = "sent", _("E-mailed")
        SKIPPED = "skipped", _("Not e-mailed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="notifications")
    # The environment it is about; None for what concerns the firm itself (an alert to its
    # administrators), which then names the firm.
    client = models.ForeignKey("clients.Client", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    firm = models.ForeignKey("firms.Firm", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    # Rendered in the recipient's language when it was made; shown as is for rows without a
    # ``title_msgid`` (made before titles were stored untranslated).
    title = models.CharField(max_length=300)
    # The English source text and its values: rendered in the reader's language when shown or e-mailed.
    title_msgid = models.TextField(blank=True)
    title_params = models.JSONField(default=dict, blank=True)
    link = models.CharField(max_length=500)  # a path inside Balie, e.g. /o/<client>/taken/<id>/
    # The firm's own words with it (the message written when publishing or asking), quoted in the e-mail.
    message = models.TextField(blank=True)
    # Something waiting for this person to act on (approve, sign, a task): first in the e-mail.
    needs_action = models.BooleanField(default=False)
    due_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    email = models.CharField(max_length=10, choices=Email.choices, default=Email.PENDING)
    send_after = models.DateTimeField(default=timezone.now)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notif_user_unread"),
            models.Index(fields=["email", "send_after"], name="notif_email_due"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def display_title(self) -> str:
        """The title in the active language (the reader's on a page, the recipient's in an e-mail)."""
        if not self.title_msgid:
            return self.title
        try:
            text = gettext(self.title_msgid) % self.title_params
        except (KeyError, TypeError, ValueError):
            return self.title
        return Truncator(text).chars(self._meta.get_field("title").max_length)
