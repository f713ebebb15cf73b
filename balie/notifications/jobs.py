"""Jobs of the notifications app: thin wrappers around the outbox services (imported when a job
runs: they enqueue these jobs)."""

from balie.core import jobs


@jobs.job("notifications.deliver_outbox", queue="transactional")
def deliver_outbox(*, outbox_queue: str | None = None) -> int:
    from balie.notifications.outbox import outbox_deliver_due

    return outbox_deliver_due(queue=outbox_queue)


@jobs.job("notifications.relay_outbox", queue="transactional")
def relay_outbox() -> int:
    """Periodic: delivers whatever is due, whatever happened to the request that created it."""
    return deliver_outbox(outbox_queue=None)


@jobs.job("notifications.send_bundles", queue="bulk")
def send_bundles() -> int:
    """Periodic (and at once for urgent events): one e-mail per person with what waited for them."""
    from balie.notifications.services import notifications_send_bundles

    return notifications_send_bundles()


@jobs.job("notifications.send_digests", queue="bulk")
def send_digests() -> int:
    """Periodic (hourly): the daily digest at its hour."""
    from balie.notifications.services import notifications_send_digests

    return notifications_send_digests()


@jobs.job("notifications.send_chunk", queue="bulk")
def send_chunk(*, user_ids: list[int], status: str, template: str, before=None) -> int:
    """One chunk of a fan-out: e-mails for a few hundred people."""
    from balie.notifications.services import notifications_send_chunk

    return notifications_send_chunk(user_ids=user_ids, status=status, template=template, before=before)
