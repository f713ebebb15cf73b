"""Filing connectors (APR-8): how an approved request reaches a receiver.

A connector is a small object with a name, an ``idempotent`` flag and two methods:

    deliver(submission) -> Delivered      # one attempt; raises one of the errors below
    receipt(submission) -> Receipt | None  # only for receivers that answer later (Digipoort)

``idempotent`` says whether delivering the same submission again is harmless: the webhook sends
the same event id every time, so its receiver drops duplicates; Digipoort files a new message. The
delivery job (``balie/approvals/filing.py``) uses it to decide what to do when it cannot know
whether an attempt arrived: re-deliver, or flag the submission for the firm to reconcile.

Built in: ``firm_software`` (a signed webhook, ``webhook.py``) and ``digipoort`` (a local simulator,
``digipoort.py``). Another receiver registers itself with ``@register("name")``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


class DeliveryError(Exception):
    """An attempt did not deliver the submission."""


class TemporaryFailure(DeliveryError):
    """Not delivered (receiver down, refused the connection, answered an error): try again later."""


class PermanentFailure(DeliveryError):
    """Not delivered and trying again will not help (no address configured, a forbidden target)."""


class OutcomeUnknown(DeliveryError):
    """The submission was sent but no answer came (a timeout, a broken connection): it may have arrived."""


@dataclass(frozen=True)
class Delivered:
    """The receiver took the submission. ``final``: nothing more will come (a webhook's 2xx);
    otherwise a receipt follows, asked for after ``receipt_after`` seconds."""

    reference: str = ""
    final: bool = True
    receipt_after: int = 0


@dataclass(frozen=True)
class Receipt:
    accepted: bool
    error: str = ""


_REGISTRY: dict[str, Callable[[], object]] = {}


def register(name: str):
    """Registers a connector factory under the name used in ``Submission.connector``."""

    def decorate(factory):
        _REGISTRY[name] = factory
        return factory

    return decorate


def get_connector(name: str):
    if name not in _REGISTRY:
        from balie.approvals.connectors import digipoort, webhook  # noqa: F401 (they register themselves)
    try:
        return _REGISTRY[name]()
    except KeyError:
        raise PermanentFailure(f"no connector named {name!r}") from None
