"""Jobs of the notifications app: thin wrappers around the outbox services."""

from balie.core import jobs
from balie.notifications.outbox import DELIVER_JOB, outbox_deliver_due
from balie.notifications.services import (
    BUNDLE_JOB,
    CHUNK_JOB,
    notifications_send_bundles,
    notifications_send_chunk,
    notifications_send_digests,
)


@jobs.job(DELIVER_JOB, queue="transactional")
def deliver_outbox(*, outbox_queue: str | None = None) -> int:
    return outbox_deliver_due(queue=outbox_queue)


@jobs.job("notifications.relay_outbox", queue="transactional")
def relay_outbox() -> int:
    """Periodic: delivers whatever is due, whatever happened to the request that created it."""
    return deliver_outbox(outbox_queue=None)


@jobs.job(BUNDLE_JOB, queue="bulk")
def send_bundles() -> int:
    """Periodic (and at once for urgent events): one e-mail per person with what waited for them."""
    return notifications_send_bundles()


@jobs.job("notifications.send_digests", queue="bulk")
def send_digests() -> int:
    """Periodic (hourly): the daily digest at its hour."""
    return notifications_send_digests()


@jobs.job(CHUNK_JOB, queue="bulk")
def send_chunk(*, user_ids: list[int], status: str, template: str, before=None) -> int:
    """One chunk of a fan-out: e-mails for a few hundred people."""
    return notifications_send_chunk(user_ids=user_ids, status=status, template=template, before=before)
