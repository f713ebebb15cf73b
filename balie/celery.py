"""Celery, for the ``celery`` jobs backend: one generic task runs any registered job."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "balie.settings")

app = Celery("balie")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_routes = ("balie.celery.route_job",)


def route_job(name, args, kwargs, options, task=None, **kw):
    """Sends a job that was queued without a queue (the scheduler's periodic runs) to the queue it
    was registered with (``@job(queue=...)``), so filings run on ``filing``, not on ``default``.
    A queue given by the sender (``enqueue``) wins over this."""
    if name != "balie.run_job" or not args:
        return None
    from balie.core import jobs

    try:
        return {"queue": jobs.get_job(args[0]).queue}
    except KeyError:
        return None


@app.on_after_finalize.connect
def _schedule_periodic_jobs(sender, **kwargs):
    from django.conf import settings

    for name, every in settings.BALIE_PERIODIC_JOBS.items():
        sender.add_periodic_task(float(every), run_job.s(name), name=name)


@app.task(
    name="balie.run_job",
    bind=True,
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=2,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def run_job(self, name: str, **kwargs):
    from balie.core import jobs

    return jobs.run(name, **kwargs)
