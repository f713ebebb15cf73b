"""Events written at the same moment, on PostgreSQL with one connection per writer: every number of
a chain is given once, without gaps, and the chain verifies; the first events of a new chain make
one head between them."""

import pytest

from balie.audit.models import AuditEvent, ChainHead
from balie.audit.services import record
from balie.audit.verify import verify_chain
from balie.core.testing import race, skip_unless_postgresql

pytestmark = pytest.mark.django_db(transaction=True)

WRITERS = 8
ROUNDS = 10


def test_simultaneous_events_get_consecutive_numbers(personas):
    skip_unless_postgresql()
    for _round in range(ROUNDS):
        assert (
            race(lambda n: record("document.viewed", firm=personas.firm, details={"n": n}), range(WRITERS))
            == ["ok"] * WRITERS
        )
    seqs = list(AuditEvent.objects.filter(firm=personas.firm).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, WRITERS * ROUNDS + 1))
    outcome = verify_chain(personas.firm)
    assert (outcome.events, outcome.broken) == (WRITERS * ROUNDS, None)


def test_the_first_events_of_new_chains_at_once_make_one_head_each(personas):
    skip_unless_postgresql()
    firms = [personas.firm, personas.other_firm, None]
    writers = [firm for firm in firms for _copy in range(3)]
    assert race(lambda firm: record("auth.signin_failed", firm=firm), writers) == ["ok"] * len(writers)
    assert ChainHead.objects.count() == 3
    for firm in firms:
        outcome = verify_chain(firm)
        assert (outcome.events, outcome.broken) == (3, None)
