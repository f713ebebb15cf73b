"""Messages (MSG-1 .. MSG-3): threads between an environment and its firm, their messages (rich
text, sanitised on the way in), attachments (documents in the dossier) and who read what.

A thread belongs to one environment (``client``) and optionally a dossier; every active member of
the environment and the firm's staff see it. ``waiting_on`` says whose turn it is: a client's
message waits on the firm (the inbox), the firm's answer on the client (a "reply" task).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from balie.todos.models import Todo


class Thread(models.Model):
    class Kind(models.TextChoices):
        CONTACT = "contact", _("Contact")  # a message to a chosen employee (MSG-1)
        QUESTION = "question", _("Question")  # Stel een vraag (MSG-3)
        DOSSIER = "dossier", _("Dossier message")  # Berichten in a dossier (MSG-2)
        FIRM = "firm", _("Message from the firm")  # Nieuw bericht by the firm, without a dossier

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        HANDLED = "handled", _("Handled")  # afgehandeld

    class Side(models.TextChoices):
        FIRM = "firm", _("The firm")
        CLIENT = "client", _("The client")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="threads")
    dossier = models.ForeignKey(
        "dossiers.Dossier", null=True, blank=True, on_delete=models.SET_NULL, related_name="threads"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    waiting_on = models.CharField(max_length=10, choices=Side.choices, default=Side.FIRM)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(default=timezone.now)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("thread")
        verbose_name_plural = _("threads")
        ordering = ["-last_message_at", "-pk"]
        indexes = [
            models.Index(fields=["client", "-last_message_at"], name="messaging_thread_client"),
            models.Index(fields=["status", "waiting_on", "-last_message_at"], name="messaging_thread_inbox"),
        ]

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        return reverse("messaging:thread", args=[self.client.public_id, self.public_id])

    @property
    def is_withdrawn(self) -> bool:  # a reply task about a handled thread closes
        return self.status == self.Status.HANDLED

    # A task about a thread (balie/todos/targets.py): replying, on the thread's page.
    def todo_kinds(self) -> tuple[str, ...]:
        return (Todo.Kind.REPLY,)

    def todo_url(self, kind: str) -> str:
        return self.get_absolute_url()


class Message(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    from_firm = models.BooleanField(default=False)
    internal = models.BooleanField(default=False)  # a note among the firm's staff, never shown to the client
    body = models.TextField()  # sanitised HTML (see ``richtext``)
    body_text = models.TextField(blank=True)  # the same as plain text, for search and notifications
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["thread", "created_at"], name="messaging_message_thread")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(internal=False) | models.Q(from_firm=True), name="messaging_internal_is_firm"
            )
        ]

    def __str__(self) -> str:
        return f"{self.thread_id}: {self.body_text[:40]}"


class Attachment(models.Model):
    """A file sent with a message, stored as a document in the environment's dossier."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    document = models.ForeignKey("dossiers.Document", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.message_id}: {self.document_id}"


class ThreadRead(models.Model):
    """Up to when a person has read a thread (bold and counted as unread otherwise)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="reads")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "thread"], name="messaging_read_once")]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.thread_id}"
