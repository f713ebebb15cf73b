from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Todo(models.Model):
    """A to-do item ("taak") for the people of one environment, about one object.

    The object (a request, a message thread, a dossier folder, ...) offers a page where this kind
    of task is done (``todo_kinds()`` and ``todo_url(kind)``, see balie/todos/targets.py); it may
    say it was withdrawn with an ``is_withdrawn`` attribute.
    """

    class Kind(models.TextChoices):
        APPROVE = "approve", _("Approve")
        SIGN = "sign", _("Sign")
        REVIEW = "review", _("Review")
        FILL_IN = "fill_in", _("Fill in")
        REPLY = "reply", _("Reply")
        UPLOAD = "upload", _("Upload")

    class Audience(models.TextChoices):
        HANDLERS = "handlers", _("Everyone who may handle documents")
        MEMBERS = "members", _("Every member of the environment")
        NAMED = "named", _("Named people")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Handled")
        CLOSED = "closed", pgettext_lazy("task status", "Closed")  # its object was withdrawn: vervallen

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="todos")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    target_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL)
    target_id = models.CharField(max_length=64, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    due_date = models.DateField(_("due date"), null=True, blank=True)
    audience = models.CharField(max_length=20, choices=Audience.choices, default=Audience.HANDLERS)
    assignees = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="assigned_todos")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "created_at"]
        indexes = [
            models.Index(fields=["client", "status", "due_date"], name="todos_client_open"),
            models.Index(fields=["target_type", "target_id"], name="todos_target"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="done") | models.Q(handled_at__isnull=False), name="todos_done_has_time"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    def is_overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.is_open and self.due_date is not None and self.due_date < today
