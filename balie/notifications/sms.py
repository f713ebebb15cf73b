"""SMS: a gateway interface, a plain HTTP provider adapter and the development outbox.

``BALIE_SMS_BACKEND`` = ``devoutbox`` (default in development: kept at /dev/outbox/) or ``http``:
a POST of JSON ``{"from", "to", "text"}`` to ``BALIE_SMS_HTTP_URL`` with basic authentication.
SMS go through the outbox like e-mail (``outbox_add_sms``), with the same retries, except that an
SMS with an ``expires_at`` (every code Balie sends) is dropped once its code is no longer valid.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request

from django.conf import settings


class SmsTemporaryError(Exception):
    """The gateway is down, timed out or answered 5xx: try again later."""


class SmsRejected(Exception):
    """The gateway refused this message (4xx): retrying will not help."""


class DevOutboxSmsGateway:
    def send(self, *, to: str, text: str, sender: str) -> None:
        from balie.notifications.models import DevOutboxMessage

        DevOutboxMessage.objects.create(
            channel=DevOutboxMessage.Channel.SMS, sender=sender, recipients=to, subject=text[:80], body_text=text
        )


class HttpSmsGateway:
    def send(self, *, to: str, text: str, sender: str) -> None:
        body = json.dumps({"from": sender, "to": to, "text": text}).encode()
        request = urllib.request.Request(  # noqa: S310 (settings only allow http(s) URLs)
            settings.BALIE_SMS_HTTP_URL, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        if settings.BALIE_SMS_HTTP_USER:
            token = f"{settings.BALIE_SMS_HTTP_USER}:{settings.BALIE_SMS_HTTP_PASSWORD}".encode()
            request.add_header("Authorization", "Basic " + base64.b64encode(token).decode())
        try:
            with urllib.request.urlopen(request, timeout=settings.BALIE_SMS_HTTP_TIMEOUT) as response:  # noqa: S310
                response.read()
        except urllib.error.HTTPError as error:
            if 400 <= error.code < 500 and error.code != 429:
                raise SmsRejected(f"{error.code} {error.reason}") from error
            raise SmsTemporaryError(f"{error.code} {error.reason}") from error
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise SmsTemporaryError(repr(error)) from error


def get_gateway():
    if settings.BALIE_SMS_BACKEND == "http":
        return HttpSmsGateway()
    return DevOutboxSmsGateway()
