"""Background jobs: each job is a Celery task, declared where it is defined.

    @job("notifications.deliver_outbox", queue="transactional")
    def deliver_outbox(*, outbox_queue=None): ...

    deliver_outbox.enqueue(outbox_queue="transactional")

``job`` declares the task's name, queue and retry policy in one place: Celery's own
``shared_task`` with the ``Job`` base class below. Callers enqueue through the declared object, so
a job that does not exist is an ImportError when the module loads, not a failure at run time, and
monitoring (Flower, ``celery inspect``) sees each job as its own task. Enqueue with ``enqueue``,
never Celery's ``delay``: only ``enqueue`` honours ``BALIE_JOBS_BACKEND``. Celery is used directly
rather than the django-tasks backport: Celery is already the production backend and brings retries
with backoff, per-task queues and the periodic scheduler (beat); django-tasks has neither retries
nor schedules, and its Celery runner (django-tasks-celery 0.1) is young and would be one more layer
between a job and Celery. ``@job`` and ``.enqueue`` mirror Django 6's ``@task`` and ``.enqueue``,
so moving to ``django.tasks`` later would change this module, not the callers.

Jobs take plain keyword arguments (ids, names), are idempotent, and may run more than once.
``BALIE_JOBS_BACKEND`` chooses where they run:

- ``inprocess`` (embedded default): a worker thread per queue inside the web process, plus a
  scheduler thread for the periodic jobs of ``BALIE_PERIODIC_JOBS``; nothing else to start (no
  broker: the declared task is called in the thread, with the same retry policy).
- ``celery``: Celery with Redis as broker (``balie worker`` runs worker and scheduler).
- ``immediate``: runs the job at once in the caller; for tests and one-off commands.

Callers that change data enqueue in ``transaction.on_commit``: a job queued inside a transaction
runs only once it commits, never when it rolls back.

Queues (``QUEUES``) keep slow work from holding up urgent work: ``transactional`` (sign-in codes,
invitations), ``default``, ``bulk`` (notification e-mail to many) and ``filing`` (deliveries to
receivers outside, which may be slow to answer). In-process each queue has its own worker thread;
``balie worker`` works on all of them by default; a periodic run goes to its job's queue.

A failing job is retried with exponential backoff (``retry_backoff`` seconds, doubling, at most
``retry_backoff_max``), up to ``max_retries`` times (``BALIE_JOB_MAX_RETRIES`` unless the job
declares its own).
"""

from __future__ import annotations

import logging
import queue as queue_module
import threading
import time

from celery import Task, shared_task
from django.conf import settings
from django.db import close_old_connections
from django.utils.module_loading import autodiscover_modules

logger = logging.getLogger(__name__)

QUEUES = ("transactional", "default", "bulk", "filing")


class Job(Task):
    """The base of every declared job: its retry policy and ``enqueue``."""

    autoretry_for = (Exception,)
    retry_backoff = 2
    retry_backoff_max = 600
    retry_jitter = True
    acks_late = True
    # Where the job runs. Not Celery's ``queue`` task attribute, deprecated since Celery 5.7: the
    # ``task_routes`` router of balie/celery.py reads this one.
    declared_queue = "default"

    @property
    def max_retries(self) -> int:
        declared = getattr(self, "declared_max_retries", None)
        return settings.BALIE_JOB_MAX_RETRIES if declared is None else declared

    def enqueue(self, **kwargs) -> None:
        """Runs the job outside the request, on the configured backend (see ``enqueue``)."""
        enqueue(self, **kwargs)


def job(
    name: str,
    *,
    queue: str = "default",
    max_retries: int | None = None,
    retry_backoff: int = 2,
    retry_backoff_max: int = 600,
):
    """Declares a function as the job ``name`` (its Celery task name), to run on ``queue``."""
    if queue not in QUEUES:
        raise ValueError(f"job {name}: unknown queue {queue!r}")
    return shared_task(
        name=name,
        base=Job,
        declared_queue=queue,
        declared_max_retries=max_retries,
        retry_backoff=retry_backoff,
        retry_backoff_max=retry_backoff_max,
    )


def registered() -> dict[str, Job]:
    """Every declared job by name, with every app's ``jobs`` module loaded."""
    from balie.celery import app

    autodiscover_modules("jobs")
    return {name: task for name, task in app.tasks.items() if isinstance(task, Job)}


def get_job(name: str) -> Job:
    """The declared job ``name`` (KeyError when there is none); for schedules, which name jobs."""
    return registered()[name]


def run(task: Job, **kwargs) -> object:
    """Runs a job in a worker thread, with fresh database connections around it."""
    close_old_connections()
    try:
        return task(**kwargs)
    finally:
        close_old_connections()


def backoff_seconds(attempt: int, *, base: float = 2.0, cap: float = 600.0) -> float:
    """Exponential backoff: base, 2*base, 4*base, ... capped (attempt counts from 1)."""
    return min(cap, base * 2 ** max(0, attempt - 1))


def enqueue(task: Job, *, queue: str | None = None, **kwargs) -> None:
    """Runs the declared job ``task`` outside the request, on its queue (or ``queue``)."""
    if not isinstance(task, Job):
        raise TypeError(f"only a declared job can be enqueued, not {task!r}")
    target = queue or task.declared_queue
    backend = settings.BALIE_JOBS_BACKEND
    if backend == "immediate":
        task(**kwargs)  # in the caller's thread and transaction
    elif backend == "celery":
        task.apply_async(kwargs=kwargs, queue=target)
    else:
        _inprocess().submit(task, kwargs, queue=target)


class InProcessRunner:
    """A worker thread per queue (started with the queue's first job) and one scheduler thread in
    this process: a job that takes long on one queue never holds up the jobs of another."""

    def __init__(self) -> None:
        self.queues: dict[str, queue_module.Queue] = {}
        self.started = False
        self.lock = threading.Lock()
        self.periodic_waiting: set[str] = set()  # a periodic job is queued at most once at a time
        self.stopping = threading.Event()

    def start(self) -> None:
        with self.lock:
            if self.started:
                return
            self.started = True
        periodic = dict(settings.BALIE_PERIODIC_JOBS)
        if periodic:
            threading.Thread(target=self._schedule, args=(periodic,), name="balie-scheduler", daemon=True).start()

    def stop(self) -> None:
        """Lets all threads end (used by tests; a web process simply exits)."""
        self.stopping.set()

    def _queue(self, queue: str) -> queue_module.Queue:
        """The queue's jobs, with its worker thread started on first use."""
        with self.lock:
            jobs = self.queues.get(queue)
            if jobs is None:
                jobs = self.queues[queue] = queue_module.Queue()
                threading.Thread(target=self._work, args=(queue, jobs), name=f"balie-jobs-{queue}", daemon=True).start()
            return jobs

    def submit(self, task: Job, kwargs: dict, attempt: int = 1, *, queue: str | None = None) -> None:
        self.start()
        self._queue(queue or task.declared_queue).put((task, kwargs, attempt))

    def _work(self, queue: str, jobs: queue_module.Queue) -> None:
        while not self.stopping.is_set():
            try:
                task, kwargs, attempt = jobs.get(timeout=0.5)
            except queue_module.Empty:
                continue
            self.periodic_waiting.discard(task.name)
            try:
                run(task, **kwargs)
            except Exception:
                if attempt > task.max_retries:
                    logger.exception("job %s failed for good after %d attempts", task.name, attempt)
                    continue
                delay = backoff_seconds(attempt, base=task.retry_backoff, cap=task.retry_backoff_max)
                logger.warning(
                    "job %s failed (attempt %d); retrying in %.0f s", task.name, attempt, delay, exc_info=True
                )
                timer = threading.Timer(delay, self.submit, args=(task, kwargs, attempt + 1), kwargs={"queue": queue})
                timer.daemon = True
                timer.start()

    def _schedule(self, periodic: dict[str, int]) -> None:
        declared = registered()
        for name in set(periodic) - set(declared):
            logger.error("periodic job %s is not declared: it never runs", name)
        tasks = {name: declared[name] for name in periodic if name in declared}
        due = dict.fromkeys(tasks, 0.0)
        while not self.stopping.is_set():
            now = time.monotonic()
            for name, task in tasks.items():
                every = periodic[name]
                if now >= due[name] and name not in self.periodic_waiting:
                    due[name] = now + every
                    self.periodic_waiting.add(name)
                    self._queue(task.declared_queue).put((task, {}, 1))
            self.stopping.wait(1)


_runner: InProcessRunner | None = None
_runner_lock = threading.Lock()


def _inprocess() -> InProcessRunner:
    global _runner
    with _runner_lock:
        if _runner is None:
            _runner = InProcessRunner()
        return _runner


def start_inprocess_runner() -> None:
    """Starts the in-process worker and scheduler when that backend is configured (web processes)."""
    if settings.BALIE_JOBS_BACKEND == "inprocess":
        _inprocess().start()


@job("core.remove_stale_uploads", queue="bulk")
def remove_stale_uploads() -> None:
    """Temporary files of uploads whose process was killed halfway (see balie/core/uploads.py)."""
    from balie.core.uploads import remove_stale_upload_files

    remove_stale_upload_files()
