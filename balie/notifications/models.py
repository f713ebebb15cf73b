from django.db import models
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
