"""Jobs of the notifications app: thin wrappers around the outbox services."""

from balie.core import jobs
from balie.notifications.outbox import DELIVER_JOB, outbox_deliver_due


@jobs.job(DELIVER_JOB, queue="transactional")
def deliver_outbox(*, outbox_queue: str | None = None) -> int:
    return outbox_deliver_due(queue=outbox_queue)


@jobs.job("notifications.relay_outbox", queue="transactional")
def relay_outbox() -> int:
    """Periodic: delivers whatever is due, whatever happened to the request that created it."""
    return deliver_outbox(outbox_queue=None)
