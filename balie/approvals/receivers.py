"""The firm's receiver settings for filing with its own software (APR-8): services and selector.

The signing secret is stored encrypted (Fernet, BALIE_ENCRYPTION_KEYS) and never read back into
a page: a settings page shows only whether one is set (``Receiver.has_secret``).
"""

from __future__ import annotations

import ipaddress
import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from balie.approvals.connectors import PermanentFailure
from balie.approvals.connectors.webhook import address_is_forbidden, check_url
from balie.approvals.models import Receiver
from balie.audit.services import record

SECRET_MIN_LENGTH = 16
SECRET_MAX_LENGTH = 200


def receiver_for_firm(*, firm) -> Receiver | None:
    """The firm's receiver settings, or None when never configured."""
    return Receiver.objects.filter(firm=firm).first()


def receiver_generate_secret() -> str:
    """A new random signing secret, to show the firm once (and store with ``receiver_update``)."""
    return "whsec_" + secrets.token_urlsafe(32)


def _validate_url(url: str) -> None:
    try:
        scheme, host, _port, _target = check_url(url)
    except PermanentFailure as error:
        raise ValidationError(str(error), code="url") from error
    if settings.PRODUCTION and scheme != "https":
        raise ValidationError(_("The webhook address must start with https://."), code="url")
    if settings.BALIE_WEBHOOK_ALLOW_PRIVATE:
        return
    # A name is checked again on every delivery, against all the addresses it resolves to then.
    try:
        literal = str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        literal = None
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        literal = "127.0.0.1"
    if literal is not None and address_is_forbidden(literal):
        raise ValidationError(_("The webhook address may not point to an internal address."), code="url_internal")


@transaction.atomic
def receiver_update(*, firm, actor, url: str, secret: str | None = None) -> Receiver:
    """Sets the firm software's webhook address and, when ``secret`` is given, its signing secret.

    Only the firm's administrators may (PermissionDenied otherwise). ``secret=None`` keeps the
    stored secret; an empty ``url`` switches the webhook off and forgets the secret. The secret is
    stored encrypted and never returned.
    """
    from balie.firms.models import StaffMember
    from balie.twostep import crypto

    if not StaffMember.objects.filter(user=actor, firm=firm, role=StaffMember.Role.ADMIN).exists():
        raise PermissionDenied
    url = (url or "").strip()
    receiver = Receiver.objects.select_for_update(of=("self",)).filter(firm=firm).first() or Receiver(firm=firm)
    before = receiver.webhook_url
    if not url:
        receiver.webhook_url, receiver.webhook_secret = "", ""
    else:
        if len(url) > Receiver._meta.get_field("webhook_url").max_length:
            raise ValidationError(_("The webhook address is too long."), code="url")
        _validate_url(url)
        receiver.webhook_url = url
        if secret is not None:
            secret = secret.strip()
            if not SECRET_MIN_LENGTH <= len(secret) <= SECRET_MAX_LENGTH:
                raise ValidationError(
                    _("The secret must be %(min)s to %(max)s characters long.")
                    % {"min": SECRET_MIN_LENGTH, "max": SECRET_MAX_LENGTH},
                    code="secret",
                )
            receiver.webhook_secret = crypto.encrypt(secret)
        if not receiver.webhook_secret:
            raise ValidationError(_("Set a secret to sign the deliveries with."), code="secret_missing")
    receiver.updated_at = timezone.now()
    receiver.updated_by = actor
    receiver.save()
    # The address, and whether a new signing secret was set; never the secret.
    details = {"webhook_url": [before, receiver.webhook_url], "new_signing": bool(url and secret)}
    record("settings.changed", firm=firm, actor=actor, details=details)
    return receiver
