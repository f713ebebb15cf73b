"""Step-up confirmation (ACC-7): single use, five minutes, bound to one action and one object."""

import hashlib

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from balie.core.testing import later
from balie.notifications.models import OutboxMessage
from balie.twostep import enrolment, services
from balie.twostep.models import Factor, OneTimeCode
from balie.twostep.stepup import stepup_begin, stepup_confirm, usable_factors
from balie.twostep.tests.utils import enrol_sms, enrol_totp, sms_code, totp_now

# Codes of the authenticator app belong to a 30-second window: the clock stands still so that a
# code cannot move into the next window between being read off the "app" and being checked.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("still_clock")]


def _request(user):
    request = RequestFactory().post("/")
    request.user = user
    request.session = {}
    return request


def _version_key(content: bytes) -> str:
    return f"document-version:{hashlib.sha256(content).hexdigest()}"


def confirm(user, challenge, *, action="approve", object_key="doc-A", factor=Factor.SMS, code="", firm=None):
    return stepup_confirm(
        request=_request(user),
        user=user,
        challenge_id=str(challenge.public_id),
        action=action,
        object_key=object_key,
        factor=factor,
        code=code,
        firm=firm,
    )


@pytest.fixture
def sms_user(personas):
    enrol_sms(personas.client_user)
    return personas.client_user


def send(user, challenge) -> str:
    services.sms_send_code(user=user, purpose=OneTimeCode.Purpose.STEPUP, challenge=challenge)
    return sms_code()


def test_a_confirmation_by_sms_works_once(sms_user):
    challenge = stepup_begin(user=sms_user, action="approve", object_key="doc-A")
    code = send(sms_user, challenge)
    result = confirm(sms_user, challenge, code=code)
    assert result.factor == "sms"
    challenge.refresh_from_db()
    assert challenge.used_at is not None and challenge.factor == "sms"
    with pytest.raises(ValidationError) as error:
        confirm(sms_user, challenge, code=code)
    assert error.value.code == "used"


def test_the_sms_names_the_action(sms_user):
    challenge = stepup_begin(user=sms_user, action="password_change", object_key="x")
    send(sms_user, challenge)
    from balie.twostep.tests.utils import last_sms

    assert "wachtwoord" in last_sms().body_text


def test_a_wrong_code_is_refused_and_the_right_one_still_works(sms_user):
    challenge = stepup_begin(user=sms_user, action="approve", object_key="doc-A")
    code = send(sms_user, challenge)
    with pytest.raises(ValidationError) as error:
        confirm(sms_user, challenge, code="000000" if code != "000000" else "111111")
    assert error.value.code == "wrong"
    assert confirm(sms_user, challenge, code=code).factor == "sms"


def test_an_expired_confirmation_is_refused(sms_user):
    challenge = stepup_begin(user=sms_user, action="approve", object_key="doc-A")
    code = send(sms_user, challenge)
    with time_machine.travel(later(minutes=5, seconds=1), tick=False), pytest.raises(ValidationError) as error:
        confirm(sms_user, challenge, code=code)
    assert error.value.code == "expired"


def test_a_code_for_document_a_cannot_approve_document_b(sms_user):
    challenge = stepup_begin(user=sms_user, action="approve", object_key=_version_key(b"A"))
    code = send(sms_user, challenge)
    with pytest.raises(ValidationError) as error:
        confirm(sms_user, challenge, object_key=_version_key(b"B"), code=code)
    assert error.value.code == "other"
    # Nor another action on document A.
    with pytest.raises(ValidationError) as error:
        confirm(sms_user, challenge, action="reject", object_key=_version_key(b"A"), code=code)
    assert error.value.code == "other"
    assert confirm(sms_user, challenge, object_key=_version_key(b"A"), code=code).factor == "sms"


def test_a_code_issued_before_a_new_version_no_longer_works(sms_user):
    """The object key of a document is the SHA-256 of the exact version."""
    challenge = stepup_begin(user=sms_user, action="approve", object_key=_version_key(b"%PDF version 1"))
    code = send(sms_user, challenge)
    new_version = _version_key(b"%PDF version 2")  # published meanwhile
    with pytest.raises(ValidationError) as error:
        confirm(sms_user, challenge, object_key=new_version, code=code)
    assert error.value.code == "other"


def test_another_persons_challenge_is_unknown(personas, sms_user):
    enrol_sms(personas.employee, "+31687654321")
    challenge = stepup_begin(user=sms_user, action="approve", object_key="doc-A")
    send(sms_user, challenge)
    with pytest.raises(ValidationError) as error:
        confirm(personas.employee, challenge, code=sms_code())
    assert error.value.code == "unknown"


def test_totp_confirms_once_per_code(personas):
    user = personas.client_user
    secret = enrol_totp(user)
    first = stepup_begin(user=user, action="approve", object_key="doc-A")
    code = totp_now(secret)
    assert confirm(user, first, factor=Factor.TOTP, code=code).factor == "totp"
    second = stepup_begin(user=user, action="approve", object_key="doc-B")
    with pytest.raises(ValidationError) as error:
        confirm(user, second, object_key="doc-B", factor=Factor.TOTP, code=code)  # the same code again
    assert error.value.code == "wrong"


def test_only_factors_the_firm_accepts_confirm(personas):
    user = personas.client_user
    secret = enrol_totp(user)
    enrol_sms(user)
    personas.firm.stepup_factors = ["sms"]
    personas.firm.save()
    assert usable_factors(user=user, firm=personas.firm) == ["sms"]
    challenge = stepup_begin(user=user, action="approve", object_key="doc-A")
    with pytest.raises(ValidationError) as error:
        confirm(user, challenge, factor=Factor.TOTP, code=totp_now(secret), firm=personas.firm)
    assert error.value.code == "factor"


def test_a_pin_confirms_only_at_its_own_firm_and_only_where_accepted(personas):
    user = personas.client_user
    letter, pin = enrolment.pin_letter_create(user=user, firm=personas.firm, created_by=personas.staff.user)
    told = OutboxMessage.objects.filter(recipient=user.email).latest("id")
    assert told.subject == "Er is een brief met een pincode onderweg" and pin not in told.body_text
    letter.activated_at = letter.created_at
    letter.save()
    personas.firm.stepup_factors = ["pin", "sms"]
    personas.firm.save()
    personas.other_firm.stepup_factors = ["pin", "sms"]
    personas.other_firm.save()
    challenge = stepup_begin(user=user, action="approve", object_key="doc-A", firm=personas.firm)
    with pytest.raises(ValidationError):
        confirm(user, challenge, factor=Factor.PIN, code="000000" if pin != "000000" else "111111", firm=personas.firm)
    assert confirm(user, challenge, factor=Factor.PIN, code=pin, firm=personas.firm).factor == "pin"
    # Not at another firm, and never for the person's own account (password, e-mail, methods).
    assert "pin" not in usable_factors(user=user, firm=personas.other_firm)
    assert "pin" not in usable_factors(user=user)
    elsewhere = stepup_begin(user=user, action="approve", object_key="doc-B", firm=personas.other_firm)
    with pytest.raises(ValidationError) as error:
        confirm(user, elsewhere, object_key="doc-B", factor=Factor.PIN, code=pin, firm=personas.other_firm)
    assert error.value.code == "factor"


def test_a_challenge_for_one_firm_does_not_confirm_for_another(sms_user, personas):
    challenge = stepup_begin(user=sms_user, action="approve", object_key="doc-A", firm=personas.firm)
    code = send(sms_user, challenge)
    with pytest.raises(ValidationError) as error:
        confirm(sms_user, challenge, code=code, firm=personas.other_firm)
    assert error.value.code == "other"


def test_account_changes_accept_any_sign_in_factor_whatever_the_firms_accept(personas):
    """A firm that accepts only passkeys for approvals does not lock a person with only SMS out of
    changing their own password, nor let them change it without a second factor."""
    user = personas.client_user
    enrol_sms(user)
    personas.firm.stepup_factors = ["webauthn"]
    personas.firm.save()
    assert usable_factors(user=user, allow_password=True) == ["sms"]
    assert usable_factors(user=user, firm=personas.firm) == []


def test_the_password_confirms_only_for_people_without_a_second_factor(personas):
    user = personas.client_user
    assert usable_factors(user=user, allow_password=True) == ["password"]
    assert usable_factors(user=user) == []
    enrol_totp(user)
    assert usable_factors(user=user, allow_password=True) == ["totp"]


def test_ten_wrong_confirmation_codes_lock_the_factor(personas):
    user = personas.client_user
    secret = enrol_totp(user)
    challenge = stepup_begin(user=user, action="approve", object_key="doc-A")
    for attempt in range(10):
        expected = services.FactorLocked if attempt == 9 else ValidationError
        with pytest.raises(expected):
            confirm(user, challenge, factor=Factor.TOTP, code="000000")
    with pytest.raises(services.FactorLocked):
        confirm(user, challenge, factor=Factor.TOTP, code=totp_now(secret))
    challenge.refresh_from_db()
    assert challenge.used_at is None
