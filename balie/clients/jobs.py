"""Jobs of the clients app (found by ``balie.core.jobs`` through autodiscovery)."""

from balie.clients.contacts import memberships_end_expired
from balie.core import jobs


@jobs.job("clients.end_expired_memberships")
def end_expired_memberships() -> int:
    """Periodic: access whose end date has passed ends (BEY-4); returns how many memberships ended."""
    return memberships_end_expired()
