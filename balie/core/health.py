"""Checks behind ``GET /health``: core's own, and those apps register in their ``ready()``.

A check returns None when all is well, raises when its part is broken (the answer is 503: take
this process out), or returns ``Degraded`` when its part works but something needs an operator
(the answer stays 200, so a load balancer keeps the process: e.g. mail waiting on an SMTP outage).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Degraded:
    details: dict = field(default_factory=dict)  # added to the report, e.g. {"email_oldest_...": 1200}


_checks: dict[str, Callable[[], Degraded | None]] = {}


def register_check(name: str, check: Callable[[], Degraded | None]) -> None:
    _checks[name] = check


def registered_checks() -> dict[str, Callable[[], Degraded | None]]:
    return dict(_checks)
