"""Attacks on two-step verification that a first version let through, each shown to fail now."""

import pytest
from allauth.mfa.models import Authenticator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client as HttpClient
from django.urls import reverse

from balie.accounts.factories import TEST_PASSWORD
from balie.core.testing import later, race, skip_unless_postgresql
from balie.notifications.models import OutboxMessage
from balie.twostep import enrolment, services
from balie.twostep.models import Factor, FactorLock, OneTimeCode, SmsFactor, StepUpChallenge
from balie.twostep.selectors import has_sign_in_factor
from balie.twostep.stepup import stepup_begin
from balie.twostep.tests.utils import enrol_sms, enrol_totp, sms_code, totp_now

# Codes of the authenticator app belong to a 30-second window: the clock stands still so that a
# code cannot move into the next window between being read off the "app" and being checked.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("still_clock")]


@pytest.mark.django_db(transaction=True)
def test_wrong_codes_sent_at_once_are_counted_one_by_one(personas):
    """Twenty guesses in parallel: after the tenth the factor is locked, the rest are not checked."""
    skip_unless_postgresql()
    user = personas.client_user
    enrol_totp(user)
    outcomes = race(lambda n: services.verify_totp(user=user, code=f"{n:06d}"), list(range(20)))
    assert outcomes.count("wrong") == 9
    assert outcomes.count("locked") == 11
    assert FactorLock.objects.get(user=user, factor=Factor.TOTP).is_locked


@pytest.mark.django_db(transaction=True)
def test_two_removals_at_once_leave_one_factor_when_the_firm_requires_one(personas):
    skip_unless_postgresql()
    user = personas.client_user
    enrol_totp(user)
    enrol_sms(user)
    personas.firm.twostep_required_for_clients = True
    personas.firm.save()
    outcomes = race(lambda factor: enrolment.factor_remove(user=user, factor=factor), [Factor.TOTP, Factor.SMS])
    assert outcomes == ["ok", "required"]
    assert has_sign_in_factor(user=user)


def test_checking_a_code_inside_a_transaction_is_refused(personas):
    """A rollback would undo the count of wrong codes, so the check insists on its own transaction."""
    enrol_totp(personas.client_user)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.verify_totp(user=personas.client_user, code="000000")


def test_an_expired_sms_code_neither_counts_nor_resets_the_wrong_ones(personas):
    import time_machine

    user = personas.client_user
    enrol_sms(user)
    services.sms_send_code(user=user, purpose=OneTimeCode.Purpose.LOGIN)
    code = sms_code()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(2):
        with pytest.raises(ValidationError):
            services.verify_sms(user=user, code=wrong, purpose=OneTimeCode.Purpose.LOGIN)
    with time_machine.travel(later(minutes=6), tick=False), pytest.raises(ValidationError) as error:
        services.verify_sms(user=user, code=code, purpose=OneTimeCode.Purpose.LOGIN)
    assert error.value.code == "expired"
    assert FactorLock.objects.get(user=user, factor=Factor.SMS).failures == 2


def test_wrong_codes_for_a_new_number_do_not_lock_sms_sign_in(personas):
    user = personas.client_user
    services.sms_send_code(user=user, purpose=OneTimeCode.Purpose.VERIFY_PHONE, phone_number="+31611111111")
    code = sms_code()
    with pytest.raises(ValidationError):
        services.verify_sms(user=user, code="000000" if code != "000000" else "1", purpose="verify_phone")
    assert not FactorLock.objects.filter(user=user, factor=Factor.SMS, failures__gt=0).exists()
    assert FactorLock.objects.get(user=user, factor="verify_phone").failures == 1


def test_the_first_method_signs_out_every_other_session(client, personas):
    user = personas.client_user
    elsewhere = HttpClient()
    elsewhere.force_login(user)  # perhaps someone who knows the password
    client.force_login(user)
    client.get(reverse("twostep:totp_add"))
    secret = client.session["twostep.totp_secret"]
    client.post(reverse("twostep:totp_add"), {"code": totp_now(secret)})
    assert elsewhere.get(reverse("todos:list")).status_code == 302
    assert client.get(reverse("todos:list")).status_code == 200


def test_a_method_removed_elsewhere_is_noticed_within_a_minute(client, personas):
    import time_machine

    user = personas.client_user
    enrol_totp(user)
    personas.firm.twostep_required_for_clients = True
    personas.firm.save()
    client.force_login(user)
    assert client.get(reverse("todos:list")).status_code == 200
    enrolment.factors_reset(user=user, firm=personas.firm, reset_by=personas.staff.user, note="Teruggebeld")
    HttpClient().force_login(user)  # (the reset ended the session; a fresh one is not yet checked)
    client.force_login(user)
    with time_machine.travel(later(seconds=61), tick=False):
        assert client.get(reverse("todos:list")).url == reverse("twostep:overview")


def test_pages_before_set_up_show_no_environment_data(client, personas):
    personas.firm.twostep_required_for_clients = True
    personas.firm.save()
    client.force_login(personas.client_user)
    page = client.get(reverse("twostep:overview")).content.decode()
    assert personas.company.name not in page
    assert 'class="bell"' not in page and 'class="modules"' not in page
    assert 'id="sign-out"' in page
    assert client.get("/healthcheck-of-something-else").status_code in (302, 404)
    assert client.get("/accounts/password/reset/").url == reverse("twostep:overview")


def test_a_confirmation_sms_is_not_sent_for_an_expired_challenge_or_a_firm_without_sms(client, personas):
    import time_machine

    user = personas.client_user
    enrol_sms(user)
    client.force_login(user)
    challenge = stepup_begin(user=user, action="approve", object_key="doc-A")
    with time_machine.travel(later(minutes=6), tick=False):
        client.force_login(user)
        client.post(reverse("twostep:stepup_sms", args=[challenge.public_id]), HTTP_HX_REQUEST="true")
    personas.firm.stepup_factors = ["totp"]
    personas.firm.save()
    other = stepup_begin(user=user, action="approve", object_key="doc-B", firm=personas.firm)
    body = client.post(reverse("twostep:stepup_sms", args=[other.public_id]), HTTP_HX_REQUEST="true")
    assert 'role="alert"' in body.content.decode()
    assert not OutboxMessage.objects.filter(channel="sms").exists()


def test_a_pin_letter_does_not_replace_a_verified_number_without_confirmation(client, personas):
    user = personas.client_user
    enrol_sms(user, "+31612345678")
    secret = enrol_totp(user)
    letter, pin = enrolment.pin_letter_create(user=user, firm=personas.firm, created_by=personas.staff.user)
    client.force_login(user)
    response = client.post(reverse("twostep:pin_activate"), {"send": "1", "pin": pin, "phone_number": "0687654321"})
    assert response.status_code == 400
    assert not OutboxMessage.objects.filter(channel="sms").exists()
    challenge = StepUpChallenge.objects.get(user=user, action="factor_add")
    client.post(
        reverse("twostep:pin_activate"),
        {
            "send": "1",
            "pin": pin,
            "phone_number": "0687654321",
            "stepup_challenge": challenge.public_id,
            "stepup_factor": "totp",
            "stepup_code": totp_now(secret),
        },
    )
    client.post(reverse("twostep:pin_activate"), {"verify": "1", "code": sms_code("+31687654321")})
    assert SmsFactor.objects.get(user=user).phone_number == "+31687654321"


def test_a_wrong_first_app_code_does_not_use_up_the_confirmation(client, personas):
    user = personas.client_user
    enrol_sms(user)
    client.force_login(user)
    client.get(reverse("twostep:totp_add"))
    secret = client.session["twostep.totp_secret"]
    challenge = StepUpChallenge.objects.get(user=user, action="factor_add")
    services.sms_send_code(user=user, purpose=OneTimeCode.Purpose.STEPUP, challenge=challenge)
    confirmation = {"stepup_challenge": challenge.public_id, "stepup_factor": "sms", "stepup_code": sms_code()}
    assert client.post(reverse("twostep:totp_add"), {"code": "000000", **confirmation}).status_code == 400
    challenge.refresh_from_db()
    assert challenge.used_at is None
    response = client.post(reverse("twostep:totp_add"), {"code": totp_now(secret), **confirmation})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type="totp").exists()


def test_a_pending_sign_in_whose_methods_were_reset_starts_again(client, personas):
    user = personas.client_user
    enrol_totp(user)
    client.post("/accounts/login/", {"login": user.email, "password": TEST_PASSWORD})
    Authenticator.objects.filter(user=user).delete()
    response = client.get(reverse("twostep:authenticate"))
    assert response.status_code == 302 and "_auth_user_id" not in client.session
