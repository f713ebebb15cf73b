"""Branded, translated e-mails rendered from ``templates/emails/<name>.{subject,txt,html}``."""

from __future__ import annotations

from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from balie.core.links import absolute_url
from balie.notifications.outbox import outbox_add_email

__all__ = ["absolute_url", "render_email", "send_templated_email"]  # absolute_url lives in core.links


def render_email(*, template: str, context: dict, language: str, firm=None) -> EmailMultiAlternatives:
    context = {"firm": firm, "site_url": settings.BALIE_SITE_URL, **context}
    with translation.override(language):
        subject = " ".join(render_to_string(f"emails/{template}.subject", context).split())
        text = render_to_string(f"emails/{template}.txt", context)
        html = render_to_string(f"emails/{template}.html", context)
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    sender = formataddr((firm.sender_name, address)) if firm is not None else settings.DEFAULT_FROM_EMAIL
    message = EmailMultiAlternatives(subject=subject, body=text, from_email=sender)
    message.attach_alternative(html, "text/html")
    return message


def send_templated_email(
    *, to: str, template: str, context: dict, language: str, firm=None, queue: str = "transactional"
) -> None:
    """Puts the e-mail in the outbox, in the current transaction: a rolled-back change sends
    nothing, a committed one is delivered even if the process dies right after."""
    message = render_email(template=template, context=context, language=language, firm=firm)
    message.to = [to]
    outbox_add_email(message=message, firm=firm, queue=queue)
