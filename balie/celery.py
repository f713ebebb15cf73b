"""Celery, for the ``celery`` jobs backend: each job declared with ``balie.core.jobs.job`` is a
task of this app, under its own name, on its own queue, with its own retry policy."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "balie.settings")

app = Celery("balie")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.set_default()  # the jobs' shared tasks resolve to this app in every thread, not a fallback app
app.autodiscover_tasks(related_name="jobs")
app.conf.task_routes = ("balie.celery.route_job",)


def route_job(name, args, kwargs, options, task=None, **kw):
    """Sends each job to the queue it was declared with (``@job(queue=...)``), whoever sends it:
    ``enqueue``, a retry, the scheduler. A queue given by the sender (``enqueue(queue=...)``) wins
    over this."""
    queue = getattr(app.tasks.get(name), "declared_queue", None)
    return {"queue": queue} if queue else None


@app.on_after_finalize.connect
def _schedule_periodic_jobs(sender, **kwargs):
    """The periodic jobs of ``BALIE_PERIODIC_JOBS``, by their declared names."""
    from django.conf import settings

    from balie.core import jobs

    declared = jobs.registered()
    for name, every in settings.BALIE_PERIODIC_JOBS.items():
        sender.add_periodic_task(float(every), declared[name].s(), name=name)
