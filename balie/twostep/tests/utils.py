"""Helpers for two-step verification tests: compute the codes a phone would show or receive."""

import re
import time

import time_machine

from balie.accounts.allauth_bridge import totp_code, totp_secret_new
from balie.notifications.models import OutboxMessage


def totp_now(secret: str, windows: int = 0) -> str:
    """The code an authenticator app shows now (or ``windows`` periods earlier/later)."""
    return totp_code(secret, int(time.time()) // 30 + windows)


def enrol_totp(user) -> str:
    """Turns on the authenticator app for ``user``; returns the secret."""
    from balie.twostep.enrolment import totp_enrol

    secret = totp_secret_new()
    with time_machine.travel(time.time(), tick=False):  # the code's window cannot end before it is checked
        totp_enrol(user=user, secret=secret, code=totp_now(secret, -1))  # a first code from the app
    return secret


def enrol_sms(user, number: str = "+31612345678"):
    from balie.twostep.models import SmsFactor

    user.mobile_number = number
    user.save(update_fields=["mobile_number"])
    return SmsFactor.objects.create(user=user, phone_number=number)


def last_sms(number: str | None = None) -> OutboxMessage:
    rows = OutboxMessage.objects.filter(channel=OutboxMessage.Channel.SMS)
    if number:
        rows = rows.filter(recipient=number)
    return rows.order_by("-id").first()


def sms_code(number: str | None = None) -> str:
    return re.search(r"\b(\d{6})\b", last_sms(number).body_text).group(1)
