"""Directors acting at the same moment (APR-5), on PostgreSQL with one connection per person:
exactly one decision and one filing, and everyone else is told who was first."""

import random

import pytest

from balie.approvals import sending, services
from balie.approvals.decisions import request_decide
from balie.approvals.models import Decision, Request, Submission
from balie.approvals.states import Status
from balie.approvals.tests.client_support import company_with_directors, confirmation, document
from balie.core.testing import race, skip_unless_postgresql

pytestmark = pytest.mark.django_db(transaction=True)

TRIALS = 200


@pytest.fixture
def no_delivery(monkeypatch):
    """The filing is recorded (a Submission) but not delivered: delivery has its own tests."""
    monkeypatch.setattr("balie.approvals.filing.request_delivery", lambda: None)


def approve_and_send(approval):
    """What Bevestigen with "direct verzenden" does for one director."""

    def act(director):
        request_decide(approval=approval, user=director, outcome="approved", confirmation=confirmation())
        sending.request_send(approvals=[approval], actor=director, later=False)

    return act


def test_simultaneous_approvals_record_one_decision_and_file_once(personas, no_delivery):
    skip_unless_postgresql()
    bv = company_with_directors(personas, count=10)
    vat = document(bv.client, actor=personas.staff.user)
    chance = random.Random(2025)
    for _trial in range(TRIALS):
        approval = services.request_create(
            document=vat, actor=personas.staff.user, audience="directors", after="firm_software"
        )
        racers = chance.sample(bv.directors, chance.randint(2, 10))
        outcomes = race(approve_and_send(approval), racers)
        assert outcomes == ["ok"] + ["settled"] * (len(racers) - 1)
        decisions = list(Decision.objects.filter(request=approval))
        assert len(decisions) == 1
        assert Submission.objects.filter(request=approval).count() == 1
        approval.refresh_from_db()
        assert (approval.status, approval.settled_by_id) == (Status.SUBMITTED, decisions[0].user_id)
    assert Decision.objects.count() == TRIALS and Submission.objects.count() == TRIALS


def test_approve_and_reject_at_once_settle_it_one_way(personas, no_delivery):
    skip_unless_postgresql()
    bv = company_with_directors(personas, count=2)
    a, b = bv.directors
    vat = document(bv.client, actor=personas.staff.user)
    for _trial in range(30):
        approval = services.request_create(
            document=vat, actor=personas.staff.user, audience="directors", after="firm_software"
        )

        def act(director, approval=approval):
            if director == a:
                approve_and_send(approval)(director)
            else:
                request_decide(
                    approval=approval,
                    user=director,
                    outcome="rejected",
                    comment="Niet akkoord",
                    confirmation=confirmation(),
                )

        assert race(act, [a, b]) == ["ok", "settled"]
        decision = Decision.objects.get(request=approval)
        approval.refresh_from_db()
        if decision.outcome == "approved":
            assert approval.status == Status.SUBMITTED and Submission.objects.filter(request=approval).count() == 1
        else:
            assert approval.status == Status.REJECTED and not Submission.objects.filter(request=approval).exists()
    assert Request.objects.count() == 30


def test_a_double_click_by_one_director_decides_once(personas, no_delivery):
    skip_unless_postgresql()
    bv = company_with_directors(personas, count=2)
    vat = document(bv.client, actor=personas.staff.user)
    for _trial in range(20):
        approval = services.request_create(
            document=vat, actor=personas.staff.user, audience="directors", after="firm_software"
        )
        director = bv.directors[0]
        assert race(approve_and_send(approval), [director, director]) == ["ok", "settled"]
        assert Decision.objects.filter(request=approval).count() == 1
        assert Submission.objects.filter(request=approval).count() == 1


def test_two_batches_at_once_file_each_request_once(personas, no_delivery):
    skip_unless_postgresql()
    bv = company_with_directors(personas, count=2)
    a, b = bv.directors
    approvals = []
    for quarter in ("Q1", "Q2", "Q3", "Q4"):
        doc = document(bv.client, actor=personas.staff.user, title=f"Btw {quarter}", period=quarter)
        approval = services.request_create(
            document=doc, actor=personas.staff.user, audience="directors", after="firm_software"
        )
        request_decide(approval=approval, user=a, outcome="approved", confirmation=confirmation())
        sending.request_send(approvals=[approval], actor=a, later=True)
        approvals.append(approval)
    results = []

    def send_all(director):
        results.append(sending.requests_send_batch(approvals=approvals, actor=director, confirmation=confirmation()))

    assert race(send_all, [a, b]) == ["ok", "ok"]
    assert sorted(len(result.sent) for result in results) == [0, 4]  # the second finds them all sent
    assert Submission.objects.count() == 4
    assert set(Request.objects.values_list("status", flat=True)) == {Status.SUBMITTED}
