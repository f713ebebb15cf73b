from django.core.mail.backends.base import BaseEmailBackend

from balie.notifications.models import DevOutboxMessage


class DevOutboxEmailBackend(BaseEmailBackend):
    """Stores every e-mail in the database, readable at /dev/outbox/, instead of sending it."""

    def send_messages(self, email_messages):
        rows = []
        for message in email_messages:
            html = ""
            for content, mimetype in getattr(message, "alternatives", []):
                if mimetype == "text/html":
                    html = content
            rows.append(
                DevOutboxMessage(
                    channel=DevOutboxMessage.Channel.EMAIL,
                    sender=message.from_email or "",
                    recipients=", ".join(message.recipients()),
                    subject=message.subject,
                    body_text=message.body,
                    body_html=html,
                )
            )
        DevOutboxMessage.objects.bulk_create(rows)
        return len(rows)
