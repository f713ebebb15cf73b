"""Small helpers for tests."""

import time
from datetime import timedelta


def later(**delta) -> float:
    """A moment from now as a Unix timestamp, for ``time_machine.travel``.

    A timestamp rather than an aware datetime: travelling to an aware datetime also switches the
    process's time zone, which would shift naive clocks (such as password-reset tokens) by the UTC offset.
    """
    return time.time() + timedelta(**delta).total_seconds()
