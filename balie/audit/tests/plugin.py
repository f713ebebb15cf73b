"""Two checks over every audit event the test suite writes (loaded by the root ``conftest.py``).

1. Every registered action is written by some test: an action nobody writes is a capability whose
   service forgot its event (or an action left registered after its writer went).
2. No event holds a secret: the demo's password and PIN, the test password, and every one-time
   code and PIN made during the run (remembered as they are made) never appear in an event.

Each test process watches the events it saves (``post_save`` of ``AuditEvent``); with
pytest-xdist each worker hands its findings to the controller (``workeroutput``), which checks
them at the end. Leaks fail any run. The "every action" check runs only when the whole suite
runs, as ``uv run pytest`` without paths, ``-k``, ``-m``, ``--lf`` or ``--deselect`` does; a
subset would miss actions through no fault of its own. ``BALIE_AUDIT_ACTIONS_CHECK=1`` forces it
(``=0`` turns it off), e.g. for a CI job that runs the whole suite in parts and merges nothing.
"""

from __future__ import annotations

import json
import os
import re

import pytest

ACTIONS_KEY = "balie_audit_actions"
LEAKS_KEY = "balie_audit_leaks"

_written: set[str] = set()
_leaks: list[str] = []
_secrets: set[str] = set()


def _known_secrets() -> set[str]:
    from balie.accounts.factories import TEST_PASSWORD
    from balie.core.demo import DEMO_PASSWORD
    from balie.twostep.demo import DEMO_PIN

    return {DEMO_PASSWORD, DEMO_PIN, TEST_PASSWORD}


def _event_saved(sender, instance, created, **kwargs):
    if not created:
        return
    _written.add(instance.action)
    text = " ".join(
        [
            json.dumps(instance.details, ensure_ascii=False),
            instance.actor_name,
            instance.object_id,
            instance.user_agent,
        ]
    )
    for secret in _secrets:
        # A whole token only: a six-digit code also turns up inside a random UUID's hex digits.
        if secret and re.search(rf"(?<![0-9A-Za-z]){re.escape(secret)}(?![0-9A-Za-z])", text):
            _leaks.append(f"{instance.action}: holds a secret ({secret[:2]}…) in {text[:200]!r}")


@pytest.fixture(scope="session", autouse=True)
def _audit_watch():
    """Watches every event saved in this process, and remembers the codes and PINs made."""
    from django.db.models.signals import post_save

    from balie.audit.models import AuditEvent
    from balie.twostep import enrolment, services

    _secrets.update(_known_secrets())
    new_code, pin_letter_create = services.new_code, enrolment.pin_letter_create

    def remembered_code() -> str:
        code = new_code()
        _secrets.add(code)
        return code

    def remembered_letter(**kwargs):
        letter, pin = pin_letter_create(**kwargs)
        _secrets.add(pin)
        return letter, pin

    services.new_code = remembered_code
    enrolment.pin_letter_create = remembered_letter
    post_save.connect(_event_saved, sender=AuditEvent, dispatch_uid="audit_suite_watch")
    yield
    post_save.disconnect(sender=AuditEvent, dispatch_uid="audit_suite_watch")
    services.new_code, enrolment.pin_letter_create = new_code, pin_letter_create


def _whole_suite(config) -> bool:
    forced = os.environ.get("BALIE_AUDIT_ACTIONS_CHECK", "")
    if forced in ("0", "1"):
        return forced == "1"
    option = config.option
    subset = (
        getattr(option, "keyword", "")
        or getattr(option, "markexpr", "")
        or getattr(option, "lf", False)
        or getattr(option, "failedfirst", False)
        or getattr(option, "deselect", None)
        or getattr(option, "stepwise", False)
    )
    return not subset and config.args_source != pytest.Config.ArgsSource.ARGS


def pytest_configure(config):
    config._balie_audit = {"actions": set(), "leaks": []}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    output = getattr(node, "workeroutput", {})
    found = node.config._balie_audit
    found["actions"].update(output.get(ACTIONS_KEY, []))
    found["leaks"].extend(output.get(LEAKS_KEY, []))


def pytest_sessionfinish(session, exitstatus):
    config = session.config
    if hasattr(config, "workeroutput"):  # a worker: the controller checks
        config.workeroutput[ACTIONS_KEY] = sorted(_written)
        config.workeroutput[LEAKS_KEY] = list(_leaks)
        return
    found = config._balie_audit
    found["actions"].update(_written)
    found["leaks"].extend(_leaks)
    problems = []
    if found["leaks"]:
        problems.append("Audit events hold secrets:\n  " + "\n  ".join(found["leaks"][:20]))
    if exitstatus == 0 and session.testscollected and _whole_suite(config):
        from balie.audit import actions

        never = sorted(set(actions.names()) - found["actions"])
        if never:
            problems.append(
                "These audit actions are registered but no test writes them "
                "(test the service that records each, or unregister it): " + ", ".join(never)
            )
    if problems:
        config._balie_audit_problems = problems
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    for problem in getattr(config, "_balie_audit_problems", []):
        terminalreporter.write_sep("=", "audit trail", red=True)
        terminalreporter.write_line(problem, red=True)
