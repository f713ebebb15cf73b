"""The sign-ins page's query can use an index for both of its halves in a firm with many events:
the person's own sign-ins (by actor) and the failed attempts on their account (by object,
``audit_signin_failed_object``), instead of reading the firm's whole log."""

import pytest
from django.db import connection

from balie.audit import selectors
from balie.audit.models import ActorKind
from balie.audit.services import record

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the plan of PostgreSQL"),
]

# 50,000 failed attempts on other accounts of the firm (copies of its first event): what someone
# guessing addresses leaves, and what the page must not read through.
MANY = """
INSERT INTO audit_auditevent (at, firm_id, seq, environment_id, actor_kind, actor_user_id, actor_name, action,
    object_type, object_id, ip_address, user_agent, request_id, details, prev_hash, hash)
SELECT at - make_interval(secs => g), firm_id, 1000 + g, environment_id, 'anonymous', NULL, '', 'auth.signin_failed',
    'accounts.user', g::text, NULL, '', '', details, prev_hash, hash
FROM audit_auditevent, generate_series(1, 50000) AS g WHERE firm_id = %s AND seq = 1
"""


def test_the_failed_attempts_on_an_account_are_found_by_index(personas):
    user = personas.client_user
    record("auth.signin", firm=personas.firm, actor=user)
    record("auth.signin_failed", firm=personas.firm, actor_kind=ActorKind.ANONYMOUS, obj=user)
    with connection.cursor() as cursor:
        cursor.execute(MANY, [personas.firm.pk])
        cursor.execute("ANALYZE audit_auditevent")
    events = selectors.signins_of_user(user=user, firm_id=personas.firm.pk).order_by("-at", "-id")[:51]
    plan = events.explain()
    assert "audit_signin_failed_object" in plan, plan
    assert "BitmapOr" in plan and "Seq Scan" not in plan and "audit_firm_at" not in plan, plan
    assert [event.action for event in events] == ["auth.signin_failed", "auth.signin"]
