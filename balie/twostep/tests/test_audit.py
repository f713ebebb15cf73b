"""What two-step verification writes to the audit trail: never a code, always which factor."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from balie.audit.models import AuditEvent
from balie.twostep import enrolment, services
from balie.twostep.models import OneTimeCode, SmsFactor
from balie.twostep.tests.utils import sms_code

pytestmark = pytest.mark.django_db


def enrol_sms(user, number: str) -> None:
    services.sms_send_code(user=user, purpose=OneTimeCode.Purpose.VERIFY_PHONE, phone_number=number)
    enrolment.sms_enrol(user=user, phone_number=number, code=sms_code(number))


def test_a_new_number_for_sms_codes_is_recorded_as_a_changed_factor(personas):
    user = personas.client_user
    enrol_sms(user, "+31612345678")
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):  # past the throttle of codes sent
        enrol_sms(user, "+31687654321")
    assert SmsFactor.objects.get(user=user).phone_number == "+31687654321"
    actions = list(AuditEvent.objects.order_by("seq").values_list("action", "details"))
    assert ("twostep.factor_added", {"factor": "sms"}) in actions
    assert ("twostep.factor_changed", {"factor": "sms", "via": "sms"}) in actions


def test_a_wrong_sms_code_is_recorded_without_the_code(personas):
    user = personas.client_user
    enrol_sms(user, "+31612345678")
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):  # past the throttle of codes sent
        services.sms_send_code(user=user, purpose=OneTimeCode.Purpose.LOGIN)
        right = sms_code("+31612345678")
        wrong = "000000" if right != "000000" else "111111"
        with pytest.raises(ValidationError):
            services.verify_sms(user=user, code=wrong, purpose=OneTimeCode.Purpose.LOGIN)
    event = AuditEvent.objects.get(action="auth.twostep_failed")
    assert event.details == {"factor": "sms", "locked": False}
    assert right not in str(event.details) and wrong not in str(event.details)


def test_a_passkey_that_does_not_verify_is_recorded(personas):
    from types import SimpleNamespace

    request = SimpleNamespace(session={})  # no challenge was begun: it cannot verify
    with pytest.raises(ValidationError):
        services.verify_webauthn(request=request, user=personas.client_user, scope="login", credential="{}")
    event = AuditEvent.objects.get(action="auth.twostep_failed")
    assert event.details == {"factor": "webauthn", "locked": False}
