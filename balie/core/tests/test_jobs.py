import threading
import time

import pytest

from balie.core import jobs

calls: list[int] = []
done = threading.Event()

# Waits end as soon as the job did its part; the bound only stops a test that would otherwise hang
# (a busy machine may take seconds to start a thread).
WAIT = 60


@jobs.job("tests.flaky")
def flaky(*, fail_times: int) -> None:
    calls.append(len(calls) + 1)
    if len(calls) <= fail_times:
        raise RuntimeError("not yet")
    done.set()


@pytest.fixture
def fresh_runner(monkeypatch, settings):
    settings.BALIE_JOBS_BACKEND = "inprocess"
    settings.BALIE_PERIODIC_JOBS = {}
    monkeypatch.setattr(jobs, "_runner", None)
    monkeypatch.setattr(jobs, "backoff_seconds", lambda attempt, **kw: 0.05 * attempt)
    calls.clear()
    done.clear()
    yield
    if jobs._runner is not None:
        jobs._runner.stop()


def test_inprocess_backend_runs_the_job_in_a_worker_thread_and_retries(fresh_runner, settings):
    settings.BALIE_JOB_MAX_RETRIES = 5
    jobs.enqueue("tests.flaky", fail_times=2)
    assert done.wait(WAIT), "the job never succeeded"
    assert calls == [1, 2, 3]  # failed twice, retried with backoff, then succeeded


def test_inprocess_backend_gives_up_after_the_last_retry(fresh_runner, settings, caplog):
    settings.BALIE_JOB_MAX_RETRIES = 2
    jobs.enqueue("tests.flaky", fail_times=99)
    deadline = time.monotonic() + WAIT
    while "failed for good" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "failed for good" in caplog.text  # no retry is planned after this
    assert calls == [1, 2, 3]  # the first run and two retries
    assert not done.is_set()


def test_immediate_backend_runs_in_the_caller(settings):
    settings.BALIE_JOBS_BACKEND = "immediate"
    calls.clear()
    jobs.enqueue("tests.flaky", fail_times=0)
    assert calls == [1]


def test_unknown_backend_is_refused_at_start():
    import os
    import subprocess
    import sys

    env = {**os.environ, "BALIE_JOBS_BACKEND": "cron"}
    result = subprocess.run([sys.executable, "-c", "import balie.settings"], capture_output=True, text=True, env=env)
    assert result.returncode != 0
    assert "BALIE_JOBS_BACKEND must be inprocess, celery or immediate" in result.stderr


relay_runs = threading.Event()


@jobs.job("tests.periodic")
def periodic() -> None:
    relay_runs.set()


def test_inprocess_scheduler_runs_periodic_jobs(fresh_runner, settings):
    settings.BALIE_PERIODIC_JOBS = {"tests.periodic": 1}
    relay_runs.clear()
    jobs.start_inprocess_runner()
    assert relay_runs.wait(WAIT), "the periodic job never ran"


slow_started, slow_release, quick_done = threading.Event(), threading.Event(), threading.Event()


@jobs.job("tests.slow_filing", queue="filing")
def slow_filing() -> None:
    slow_started.set()
    slow_release.wait(3 * WAIT)  # longer than the test waits for the quick job: released by the test


@jobs.job("tests.quick_code", queue="transactional")
def quick_code() -> None:
    quick_done.set()


def test_inprocess_a_slow_job_on_one_queue_does_not_hold_up_another(fresh_runner):
    """A receiver that answers slowly keeps the filing queue busy, not sign-in codes and e-mail."""
    for event in (slow_started, slow_release, quick_done):
        event.clear()
    try:
        jobs.enqueue("tests.slow_filing")
        assert slow_started.wait(WAIT)
        jobs.enqueue("tests.quick_code")
        assert quick_done.wait(WAIT), "the transactional job waited behind the filing"
        assert set(jobs._runner.queues) == {"filing", "transactional"}
    finally:
        slow_release.set()


def test_the_worker_works_on_every_queue_by_default():
    from balie.core.management.commands.worker import Command

    queues = Command().create_parser("balie", "worker").parse_args([]).queues.split(",")
    assert queues == list(jobs.QUEUES)
    assert {"transactional", "default", "bulk", "filing"} <= set(queues)


def test_celery_sends_a_periodic_run_to_its_jobs_queue():
    from balie.celery import app

    router = app.amqp.router
    assert router.route({}, "balie.run_job", ("notifications.relay_outbox",), {})["queue"].name == "transactional"
    assert router.route({}, "balie.run_job", ("notifications.send_digests",), {})["queue"].name == "bulk"
    assert router.route({}, "balie.run_job", ("approvals.deliver_submissions",), {})["queue"].name == "filing"
    # a queue given by the sender wins; an unknown job goes to the default queue
    assert (
        router.route({"queue": "bulk"}, "balie.run_job", ("approvals.deliver_submissions",), {})["queue"].name == "bulk"
    )
    assert router.route({}, "balie.run_job", ("tests.nobody",), {})["queue"].name == "default"
