"""The status machine of a request (APR-4), in one place.

    waiting ──▶ open ──▶ approved ──▶ ready_to_send ──▶ submitted ──▶ accepted (akkoord digipoort)
                  │          │                              │    └──▶ completed (firm software)
                  │          └──────────────▶ submitted     └──▶ failed ──▶ submitted (retry)
                  ├──▶ rejected                                     └──▶ completed (settled by hand)
                  ├──▶ completed (a review acknowledged)
                  ├──▶ signed (a sign request: every signer signed, the signed PDF sealed)
                  └──▶ withdrawn / replaced (also from waiting, approved and ready_to_send)

An approved request that has not been sent yet can still be stopped: the firm withdraws it (or its
document), or a new version of the document replaces it; its decisions stay on record.

``approved`` is final when nothing follows the approval (the services then neither withdraw nor
replace it); ``accepted``, ``completed``, ``rejected``, ``withdrawn`` and ``replaced`` are always
final. Services change a status only through ``check``, under a row lock, so an illegal or
repeated transition is refused and nothing is written.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy


class Status(models.TextChoices):
    WAITING = "waiting", gettext_lazy("Waiting")  # "wacht op …": held until the step before it is done
    OPEN = "open", gettext_lazy("Open")
    APPROVED = "approved", gettext_lazy("Approved")
    REJECTED = "rejected", pgettext_lazy("approval status", "Rejected")  # afgekeurd (APR-4)
    READY_TO_SEND = "ready_to_send", gettext_lazy("Ready to send")
    SUBMITTED = "submitted", gettext_lazy("Submitted")
    ACCEPTED = "accepted", gettext_lazy("Accepted by Digipoort")
    FAILED = "failed", gettext_lazy("Submission failed")
    COMPLETED = "completed", gettext_lazy("Completed")
    SIGNED = "signed", gettext_lazy("Signed")  # every signer signed and the signed PDF is in the dossier
    WITHDRAWN = "withdrawn", gettext_lazy("Withdrawn")
    REPLACED = "replaced", gettext_lazy("Replaced by a new version")


S = Status
TRANSITIONS: dict[str, frozenset[str]] = {
    S.WAITING: frozenset({S.OPEN, S.WITHDRAWN, S.REPLACED}),
    S.OPEN: frozenset({S.APPROVED, S.REJECTED, S.COMPLETED, S.SIGNED, S.WITHDRAWN, S.REPLACED}),
    S.APPROVED: frozenset({S.READY_TO_SEND, S.SUBMITTED, S.WITHDRAWN, S.REPLACED}),
    S.READY_TO_SEND: frozenset({S.SUBMITTED, S.WITHDRAWN, S.REPLACED}),
    S.SUBMITTED: frozenset({S.ACCEPTED, S.COMPLETED, S.FAILED}),
    S.FAILED: frozenset({S.SUBMITTED, S.COMPLETED}),
    S.REJECTED: frozenset(),
    S.ACCEPTED: frozenset(),
    S.COMPLETED: frozenset(),
    S.SIGNED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.REPLACED: frozenset(),
}
# Someone in the environment still has to act.
ACTIONABLE = frozenset({S.OPEN})
# Over: nothing more happens to it.
FINAL = frozenset(status for status, targets in TRANSITIONS.items() if not targets)


def allowed(current: str, new: str) -> bool:
    return new in TRANSITIONS.get(current, frozenset())


def check(current: str, new: str) -> None:
    """Raises a ValidationError (code ``transition``) for a transition the machine does not have."""
    if not allowed(current, new):
        raise ValidationError(
            _("This request is %(current)s and cannot become %(new)s.")
            % {"current": Status(current).label.lower(), "new": Status(new).label.lower()},
            code="transition",
        )
