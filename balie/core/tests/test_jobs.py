import threading
import time

import pytest
from django.conf import settings as django_settings
from django.db import transaction

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
    flaky.enqueue(fail_times=2)
    assert done.wait(WAIT), "the job never succeeded"
    assert calls == [1, 2, 3]  # failed twice, retried with backoff, then succeeded


def test_inprocess_backend_gives_up_after_the_last_retry(fresh_runner, settings, caplog):
    settings.BALIE_JOB_MAX_RETRIES = 2
    flaky.enqueue(fail_times=99)
    deadline = time.monotonic() + WAIT
    while "failed for good" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "failed for good" in caplog.text  # no retry is planned after this
    assert calls == [1, 2, 3]  # the first run and two retries
    assert not done.is_set()


def test_immediate_backend_runs_in_the_caller(settings):
    settings.BALIE_JOBS_BACKEND = "immediate"
    calls.clear()
    flaky.enqueue(fail_times=0)
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


@jobs.job("tests.stubborn", max_retries=1, retry_backoff=10, retry_backoff_max=60)
def stubborn() -> None:
    raise RuntimeError("never")


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
        slow_filing.enqueue()
        assert slow_started.wait(WAIT)
        quick_code.enqueue()
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
    """The scheduler sends periodic runs by name: the router finds the declared job's queue."""
    from balie.celery import app

    router = app.amqp.router
    assert router.route({}, "notifications.relay_outbox", (), {})["queue"].name == "transactional"
    assert router.route({}, "notifications.send_digests", (), {})["queue"].name == "bulk"
    assert router.route({}, "approvals.deliver_submissions", (), {})["queue"].name == "filing"
    # a queue given by the sender wins; an unknown task goes to the default queue
    assert router.route({"queue": "bulk"}, "approvals.deliver_submissions", (), {})["queue"].name == "bulk"
    assert router.route({}, "tests.nobody", (), {})["queue"].name == "default"


# -- declared jobs --------------------------------------------------------------------------------

DECLARED = {  # name: queue; the names are those of README and monitoring
    "accounts.warn_password_guessing": "transactional",
    "approvals.deliver_submissions": "filing",
    "approvals.digipoort_receipts": "filing",
    "audit.check_alerts": "default",
    "audit.prune": "bulk",
    "audit.signin_failed": "default",
    "audit.verify_chains": "bulk",
    "audit.write_checkpoints": "bulk",
    "clients.end_expired_memberships": "default",
    "core.remove_stale_uploads": "bulk",
    "dossiers.bulk_publish": "bulk",
    "dossiers.extract_text": "default",
    "notifications.deliver_outbox": "transactional",
    "notifications.relay_outbox": "transactional",
    "notifications.send_bundles": "bulk",
    "notifications.send_chunk": "bulk",
    "notifications.send_digests": "bulk",
    "signing.seal": "default",
    "signing.seal_stale": "default",
    "todos.send_reminders": "bulk",
}


def test_every_job_is_a_celery_task_under_its_own_name_queue_and_retry_policy(settings):
    from balie.celery import app

    declared = {name: task for name, task in jobs.registered().items() if not name.startswith("tests.")}
    assert {name: task.declared_queue for name, task in declared.items()} == DECLARED
    assert "balie.run_job" not in app.tasks  # no generic task that hides which job runs
    for name, task in declared.items():
        assert app.tasks[name] is task
        assert task.autoretry_for == (Exception,)
        assert (task.retry_backoff, task.retry_backoff_max, task.retry_jitter, task.acks_late) == (2, 600, True, True)
        assert task.max_retries == settings.BALIE_JOB_MAX_RETRIES


def test_a_job_may_declare_its_own_retry_policy(settings):
    settings.BALIE_JOB_MAX_RETRIES = 5
    assert (stubborn.max_retries, stubborn.retry_backoff, stubborn.retry_backoff_max) == (1, 10, 60)
    assert flaky.max_retries == 5


def test_a_job_is_sent_to_celery_under_its_name_on_its_queue(settings, monkeypatch):
    from balie.celery import app

    sent = []
    monkeypatch.setattr(
        app, "send_task", lambda name, args=None, kwargs=None, **options: sent.append((name, kwargs, options["queue"]))
    )
    settings.BALIE_JOBS_BACKEND = "celery"
    quick_code.enqueue()
    slow_filing.enqueue(queue="bulk")  # a queue given by the caller wins
    assert sent == [("tests.quick_code", {}, "transactional"), ("tests.slow_filing", {}, "bulk")]


def test_only_a_declared_job_can_be_enqueued(settings):
    from celery import shared_task

    @shared_task(name="tests.undeclared")
    def undeclared():
        pass

    for backend in ("immediate", "inprocess", "celery"):
        settings.BALIE_JOBS_BACKEND = backend
        for wrong in ("tests.flaky", undeclared, flaky.run):
            with pytest.raises(TypeError):
                jobs.enqueue(wrong)
    with pytest.raises(KeyError):
        jobs.get_job("tests.nobody")


@pytest.mark.django_db(transaction=True)
def test_a_job_enqueued_in_a_transaction_runs_after_the_commit_and_never_after_a_rollback(settings):
    settings.BALIE_JOBS_BACKEND = "immediate"
    calls.clear()
    with transaction.atomic():
        transaction.on_commit(lambda: flaky.enqueue(fail_times=0))
        assert calls == []
    assert calls == [1]
    with pytest.raises(RuntimeError), transaction.atomic():
        transaction.on_commit(lambda: flaky.enqueue(fail_times=0))
        raise RuntimeError("the change failed")
    assert calls == [1]


def test_a_job_on_an_unknown_queue_is_refused_where_it_is_declared():
    with pytest.raises(ValueError, match="unknown queue"):
        jobs.job("tests.lost", queue="urgent")


def test_every_periodic_job_is_declared_and_scheduled_by_celery_on_its_queue():
    from django.conf import settings

    from balie.celery import app

    declared = jobs.registered()
    assert set(settings.BALIE_PERIODIC_JOBS) <= set(declared)
    schedule = app.conf.beat_schedule
    for name, every in settings.BALIE_PERIODIC_JOBS.items():
        assert schedule[name]["task"] == name
        assert schedule[name]["schedule"] == float(every)
        assert app.amqp.router.route({}, name, (), {})["queue"].name == declared[name].declared_queue


def test_an_undeclared_periodic_job_is_reported_and_the_others_still_run(fresh_runner, settings, caplog):
    settings.BALIE_PERIODIC_JOBS = {"tests.nobody": 1, "tests.periodic": 1}
    relay_runs.clear()
    jobs.start_inprocess_runner()
    assert relay_runs.wait(WAIT), "the periodic job never ran"
    assert "periodic job tests.nobody is not declared" in caplog.text


# -- the Celery path, with a real worker (needs Redis) -----------------------------------------

worker_runs: list[tuple[str, str, int]] = []
worker_done = threading.Event()


@jobs.job("tests.celery_flaky", queue="transactional", max_retries=3, retry_backoff=1, retry_backoff_max=1)
def celery_flaky(*, fail_times: int) -> None:
    from celery import current_task

    request = current_task.request
    worker_runs.append((current_task.name, request.delivery_info["routing_key"], request.retries))
    if len(worker_runs) <= fail_times:
        raise RuntimeError("not yet")
    worker_done.set()


@pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs REDIS_URL: .ci/run runs it with the machine's Redis")
def test_a_celery_worker_runs_the_job_under_its_name_on_its_queue_and_retries_it(settings):
    from celery.contrib.testing.worker import start_worker

    from balie.celery import app

    settings.BALIE_JOBS_BACKEND = "celery"
    worker_runs.clear()
    worker_done.clear()
    with start_worker(app, pool="solo", perform_ping_check=False, queues=["transactional"]):
        celery_flaky.enqueue(fail_times=1)
        assert worker_done.wait(300), "the worker never finished the job"  # a busy machine starts it slowly
    # failed once, retried by Celery on the same queue, then succeeded
    assert worker_runs == [("tests.celery_flaky", "transactional", 0), ("tests.celery_flaky", "transactional", 1)]
