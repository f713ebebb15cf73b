"""Background jobs: one small interface, two backends.

    @job("notifications.deliver_outbox", queue="transactional")
    def deliver_outbox(*, queue): ...

    enqueue("notifications.deliver_outbox", queue="transactional")

Jobs take plain keyword arguments (ids, names), are idempotent, and may run more than once.
``BALIE_JOBS_BACKEND`` chooses where they run:

- ``inprocess`` (embedded default): a worker thread per queue inside the web process, plus a
  scheduler thread for the periodic jobs of ``BALIE_PERIODIC_JOBS``; nothing else to start.
- ``celery``: Celery with Redis as broker (``balie worker`` runs worker and scheduler).
- ``immediate``: runs the job at once in the caller; for tests and one-off commands.

Queues (``QUEUES``) keep slow work from holding up urgent work: ``transactional`` (sign-in codes,
invitations), ``default``, ``bulk`` (notification e-mail to many) and ``filing`` (deliveries to
receivers outside, which may be slow to answer). In-process each queue has its own worker thread;
``balie worker`` works on all of them by default; a periodic run goes to its job's queue.

A failing job is retried with exponential backoff (``BALIE_JOB_MAX_RETRIES``).
"""

from __future__ import annotations

import logging
import queue as queue_module
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import close_old_connections
from django.utils.module_loading import autodiscover_modules

logger = logging.getLogger(__name__)

QUEUES = ("transactional", "default", "bulk", "filing")


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable[..., object]
    queue: str


REGISTRY: dict[str, Job] = {}


def job(name: str, *, queue: str = "default"):
    """Registers a function as a job under ``name``, to run on ``queue``."""

    def register(func):
        REGISTRY[name] = Job(name=name, func=func, queue=queue)
        return func

    return register


def get_job(name: str) -> Job:
    if name not in REGISTRY:
        autodiscover_modules("jobs")
    return REGISTRY[name]


def run(name: str, **kwargs) -> object:
    """Runs a job in a worker thread or process, with fresh database connections around it."""
    close_old_connections()
    try:
        return get_job(name).func(**kwargs)
    finally:
        close_old_connections()


def backoff_seconds(attempt: int, *, base: float = 2.0, cap: float = 600.0) -> float:
    """Exponential backoff: base, 2*base, 4*base, ... capped (attempt counts from 1)."""
    return min(cap, base * 2 ** max(0, attempt - 1))


def enqueue(name: str, *, queue: str | None = None, **kwargs) -> None:
    """Runs the job outside the request, on the configured backend."""
    target = queue or get_job(name).queue
    backend = settings.BALIE_JOBS_BACKEND
    if backend == "immediate":
        get_job(name).func(**kwargs)  # in the caller's thread and transaction
    elif backend == "celery":
        from balie.celery import run_job

        run_job.apply_async(args=[name], kwargs=kwargs, queue=target)
    else:
        _inprocess().submit(name, kwargs, queue=target)


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

    def submit(self, name: str, kwargs: dict, attempt: int = 1, *, queue: str | None = None) -> None:
        self.start()
        target = queue or get_job(name).queue
        self._queue(target).put((name, kwargs, attempt))

    def _work(self, queue: str, jobs: queue_module.Queue) -> None:
        while not self.stopping.is_set():
            try:
                name, kwargs, attempt = jobs.get(timeout=0.5)
            except queue_module.Empty:
                continue
            self.periodic_waiting.discard(name)
            try:
                run(name, **kwargs)
            except Exception:
                if attempt > settings.BALIE_JOB_MAX_RETRIES:
                    logger.exception("job %s failed for good after %d attempts", name, attempt)
                    continue
                delay = backoff_seconds(attempt)
                logger.warning("job %s failed (attempt %d); retrying in %.0f s", name, attempt, delay, exc_info=True)
                timer = threading.Timer(delay, self.submit, args=(name, kwargs, attempt + 1), kwargs={"queue": queue})
                timer.daemon = True
                timer.start()

    def _schedule(self, periodic: dict[str, int]) -> None:
        due = dict.fromkeys(periodic, 0.0)
        while not self.stopping.is_set():
            now = time.monotonic()
            for name, every in periodic.items():
                if now >= due[name] and name not in self.periodic_waiting:
                    due[name] = now + every
                    self.periodic_waiting.add(name)
                    self._queue(_queue_of(name)).put((name, {}, 1))
            self.stopping.wait(1)


def _queue_of(name: str) -> str:
    try:
        return get_job(name).queue
    except KeyError:  # a periodic job nobody registered: its run fails and says so, on "default"
        return "default"


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
