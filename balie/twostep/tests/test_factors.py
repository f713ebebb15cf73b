"""Checking second factors: encryption at rest, single use, locks, SMS limits (ACC-4)."""

import re
from datetime import timedelta

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from balie.accounts.allauth_bridge import recovery_codes_unused
from balie.core.testing import later, race, skip_unless_postgresql
from balie.notifications.models import OutboxMessage
from balie.twostep import crypto, enrolment, services
from balie.twostep.models import Factor, FactorLock, OneTimeCode
from balie.twostep.tests.utils import enrol_sms, enrol_totp, last_sms, sms_code, totp_now

# Codes of the authenticator app belong to a 30-second window: the clock stands still so that a
# code cannot move into the next window between being read off the "app" and being checked.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("still_clock")]


def test_second_factor_secrets_are_encrypted_at_rest(personas, settings):
    user = personas.client_user
    secret = enrol_totp(user)
    with connection.cursor() as cursor:
        cursor.execute("SELECT type, data FROM mfa_authenticator WHERE user_id = %s", [user.pk])
        rows = dict(cursor.fetchall())
    dump = " ".join(str(value) for value in rows.values())
    assert set(rows) == {"totp", "recovery_codes"}
    assert secret not in dump  # the TOTP seed is not in the database dump
    seed = crypto.decrypt(Authenticator.objects.get(user=user, type="recovery_codes").data["seed"])
    assert seed not in dump  # nor the recovery-code seed
    assert "fernet:" in rows["totp"]
    # Without the configured key the stored values are useless.
    settings.BALIE_ENCRYPTION_KEYS = ["5bHfKB7n2kUq8M0bJ5tI3y0Cw3mZgkq2b9z2JvWkJxQ="]
    with pytest.raises(ValueError):
        services.verify_totp(user=user, code=totp_now(secret))


def test_encryption_keys_rotate_first_encrypts_all_decrypt(settings):
    old, new = "5bHfKB7n2kUq8M0bJ5tI3y0Cw3mZgkq2b9z2JvWkJxQ=", "Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE="
    settings.BALIE_ENCRYPTION_KEYS = [old]
    stored = crypto.encrypt("JBSWY3DPEHPK3PXP")
    settings.BALIE_ENCRYPTION_KEYS = [new, old]
    assert crypto.decrypt(stored) == "JBSWY3DPEHPK3PXP"
    settings.BALIE_ENCRYPTION_KEYS = [new]
    with pytest.raises(ValueError):
        crypto.decrypt(stored)
    with pytest.raises(ValueError):
        crypto.decrypt("JBSWY3DPEHPK3PXP")  # plain text is refused, never used as a seed


def test_totp_code_is_accepted_once_even_in_another_process(personas):
    user = personas.client_user
    secret = enrol_totp(user)
    code = totp_now(secret)
    services.verify_totp(user=user, code=code)
    cache.clear()  # another web process shares nothing in memory: the database decides
    with pytest.raises(ValidationError) as error:
        services.verify_totp(user=user, code=code)
    assert error.value.code == "wrong"


def test_totp_code_of_previous_window_is_accepted_once_not_twice(personas):
    user = personas.client_user
    secret = enrol_totp(user)
    Authenticator.objects.filter(user=user, type="totp").update(data={**_totp_data(user), "last_counter": 0})
    previous = totp_now(secret, -1)
    services.verify_totp(user=user, code=previous)
    with pytest.raises(ValidationError):
        services.verify_totp(user=user, code=previous)
    # A code from two windows ago was never valid.
    with pytest.raises(ValidationError):
        services.verify_totp(user=user, code=totp_now(secret, -3))


def _totp_data(user):
    return Authenticator.objects.get(user=user, type="totp").data


def test_enrolling_totp_with_a_wrong_first_code_is_refused(personas):
    with pytest.raises(ValidationError) as error:
        enrolment.totp_enrol(user=personas.client_user, secret="JBSWY3DPEHPK3PXP", code="000000")
    assert error.value.code == "wrong"
    assert not Authenticator.objects.filter(user=personas.client_user).exists()


def test_ten_wrong_codes_lock_the_factor_for_15_minutes_and_email_the_user(personas):
    user = personas.client_user
    secret = enrol_totp(user)
    for _ in range(9):
        with pytest.raises(ValidationError) as error:
            services.verify_totp(user=user, code="000000")
        assert error.value.code == "wrong"
    with pytest.raises(services.FactorLocked):
        services.verify_totp(user=user, code="000000")  # the tenth
    mail = OutboxMessage.objects.filter(channel="email", recipient=user.email).order_by("-id").first()
    assert mail.subject == "Een inlogmethode is geblokkeerd"
    assert re.search(r"\d{1,2}:\d{2}", mail.body_text)  # says until when
    # Even the right code is refused while locked, and the message says when to retry.
    with pytest.raises(services.FactorLocked) as locked:
        services.verify_totp(user=user, code=totp_now(secret))
    lock = FactorLock.objects.get(user=user, factor=Factor.TOTP)
    assert timedelta(minutes=14) < lock.locked_until - lock.updated_at <= timedelta(minutes=15)
    assert timezone.localtime(lock.locked_until).strftime("%H:%M") in locked.value.messages[0]
    # Other factors are not locked.
    enrol_sms(user)
    services.sms_send_code(user=user, purpose=OneTimeCode.Purpose.LOGIN)
    services.verify_sms(user=user, code=sms_code(), purpose=OneTimeCode.Purpose.LOGIN)
    with time_machine.travel(later(minutes=16), tick=False):
        services.verify_totp(user=user, code=totp_now(secret))


def test_a_correct_code_resets_the_count_of_wrong_ones(personas):
    user = personas.client_user
    secret = enrol_totp(user)
    for _ in range(9):
        with pytest.raises(ValidationError):
            services.verify_totp(user=user, code="000000")
    services.verify_totp(user=user, code=totp_now(secret))
    for _ in range(9):
        with pytest.raises(ValidationError) as error:
            services.verify_totp(user=user, code="000000")
        assert error.value.code == "wrong"
    assert not FactorLock.objects.get(user=user, factor=Factor.TOTP).is_locked


def test_recovery_codes_work_once_and_a_new_set_replaces_the_old(personas):
    user = personas.client_user
    enrol_totp(user)
    codes = enrolment.recovery_codes_unviewed(user=user)
    assert len(codes) == 10
    assert enrolment.recovery_codes_unviewed(user=user) is None  # shown once
    services.verify_recovery_code(user=user, code=codes[0])
    with pytest.raises(ValidationError):
        services.verify_recovery_code(user=user, code=codes[0])
    assert enrolment.recovery_codes_left(user=user) == 9
    enrolment.recovery_codes_regenerate(user=user)
    with pytest.raises(ValidationError):
        services.verify_recovery_code(user=user, code=codes[1])
    new = enrolment.recovery_codes_unviewed(user=user)
    assert new and not set(new) & set(codes)


@pytest.mark.django_db(transaction=True)
def test_the_same_recovery_code_sent_twice_at_once_succeeds_once(personas):
    skip_unless_postgresql()
    user = personas.client_user
    enrol_totp(user)
    code = recovery_codes_unused(Authenticator.objects.get(user=user, type="recovery_codes"))[0]
    outcomes = race(lambda _n: services.verify_recovery_code(user=user, code=code), [1, 2, 3])
    assert outcomes == ["ok", "wrong", "wrong"]


@pytest.mark.django_db(transaction=True)
def test_the_same_totp_code_sent_twice_at_once_succeeds_once(personas):
    skip_unless_postgresql()
    user = personas.client_user
    secret = enrol_totp(user)
    code = totp_now(secret)
    outcomes = race(lambda _n: services.verify_totp(user=user, code=code), [1, 2, 3])
    assert outcomes == ["ok", "wrong", "wrong"]


def test_sms_codes_are_six_random_digits_valid_five_minutes(personas):
    user = personas.client_user
    enrol_sms(user)
    seen = set()
    for minutes in (0, 1, 2, 3):
        with time_machine.travel(later(minutes=minutes), tick=False):
            services.sms_send_code(user=user, purpose=OneTimeCode.Purpose.LOGIN)
            seen.add(sms_code())
    assert all(len(code) == 6 and code.isdigit() for code in seen)
    assert len(seen) > 1
    assert last_sms().recipient == "+31612345678"
    # 6 minutes after the last one
    with time_machine.travel(later(minutes=9), tick=False), pytest.raises(ValidationError) as error:
        services.verify_sms(user=user, code=sms_code(), purpose=OneTimeCode.Purpose.LOGIN)
    assert error.value.code == "expired"


def test_an_sms_code_allows_three_attempts(personas):
    user = personas.client_user
    enrol_sms(user)
    services.sms_send_code(user=user, purpose=OneTimeCode.Purpose.LOGIN)
    code = sms_code()
    wrong = "111111" if code != "111111" else "222222"
    for _ in range(3):
        with pytest.raises(ValidationError) as error:
            services.verify_sms(user=user, code=wrong, purpose=OneTimeCode.Purpose.LOGIN)
        assert error.value.code == "wrong"
    with pytest.raises(ValidationError) as error:
        services.verify_sms(user=user, code=code, purpose=OneTimeCode.Purpose.LOGIN)
    assert error.value.code == "attempts"


def test_sms_codes_go_only_to_a_verified_number(personas):
    user = personas.client_user
    user.mobile_number = "+31611111111"  # known, not verified
    user.save()
    with pytest.raises(ValidationError) as error:
        services.sms_send_code(user=user, purpose=OneTimeCode.Purpose.LOGIN)
    assert error.value.code == "not_enrolled"
    assert not OutboxMessage.objects.filter(channel="sms").exists()


def test_resend_spam_is_limited_to_one_per_30_seconds(personas):
    user = personas.client_user
    enrol_sms(user)
    services.sms_send_code(user=user, purpose=OneTimeCode.Purpose.LOGIN)
    with pytest.raises(services.Throttled) as error:
        services.sms_send_code(user=user, purpose=OneTimeCode.Purpose.LOGIN)
    assert "seconden" in error.value.messages[0] or "seconds" in error.value.messages[0]
    with time_machine.travel(later(seconds=31), tick=False):
        services.sms_send_code(user=user, purpose=OneTimeCode.Purpose.LOGIN)
    assert OutboxMessage.objects.filter(channel="sms").count() == 2


def send_codes_30_seconds_apart(user, count: int) -> None:
    for step in range(count):
        with time_machine.travel(later(seconds=31 * step), tick=False):
            services.sms_send_code(user=user, purpose=OneTimeCode.Purpose.STEPUP)


def test_the_12th_code_within_an_hour_is_sent_and_the_13th_refused(personas):
    user = personas.client_user
    enrol_sms(user)
    send_codes_30_seconds_apart(user, 12)  # signing in and eleven confirmations
    assert OutboxMessage.objects.filter(channel="sms").count() == 12
    with time_machine.travel(later(seconds=31 * 12), tick=False), pytest.raises(services.Throttled) as error:
        services.sms_send_code(user=user, purpose=OneTimeCode.Purpose.LOGIN)
    assert "12 codes" in error.value.messages[0] and "minuten" in error.value.messages[0]
    assert OutboxMessage.objects.filter(channel="sms").count() == 12
    with time_machine.travel(later(minutes=61), tick=False):
        services.sms_send_code(user=user, purpose=OneTimeCode.Purpose.LOGIN)


def test_the_codes_per_hour_and_their_interval_are_settings(personas, settings):
    settings.BALIE_SMS_CODES_PER_HOUR = 3
    settings.BALIE_SMS_CODE_INTERVAL_SECONDS = 0
    user = personas.client_user
    enrol_sms(user)
    for _ in range(3):
        services.sms_send_code(user=user, purpose=OneTimeCode.Purpose.STEPUP)
    with pytest.raises(services.Throttled) as error:
        services.sms_send_code(user=user, purpose=OneTimeCode.Purpose.STEPUP)
    assert "3 codes" in error.value.messages[0]
    assert OutboxMessage.objects.filter(channel="sms").count() == 3


def test_a_longer_interval_setting_refuses_a_code_after_30_seconds(personas, settings):
    settings.BALIE_SMS_CODE_INTERVAL_SECONDS = 60
    user = personas.client_user
    enrol_sms(user)
    services.sms_send_code(user=user, purpose=OneTimeCode.Purpose.LOGIN)
    with time_machine.travel(later(seconds=31), tick=False), pytest.raises(services.Throttled):
        services.sms_send_code(user=user, purpose=OneTimeCode.Purpose.LOGIN)
    with time_machine.travel(later(seconds=61), tick=False):
        services.sms_send_code(user=user, purpose=OneTimeCode.Purpose.LOGIN)


def test_a_new_sms_code_replaces_the_previous_one(personas):
    user = personas.client_user
    enrol_sms(user)
    services.sms_send_code(user=user, purpose=OneTimeCode.Purpose.LOGIN)
    first = sms_code()
    with time_machine.travel(later(seconds=31), tick=False):
        services.sms_send_code(user=user, purpose=OneTimeCode.Purpose.LOGIN)
        second = sms_code()
        if first != second:
            with pytest.raises(ValidationError):
                services.verify_sms(user=user, code=first, purpose=OneTimeCode.Purpose.LOGIN)
        services.verify_sms(user=user, code=second, purpose=OneTimeCode.Purpose.LOGIN)


def test_removing_the_last_factor_while_the_firm_requires_one_is_refused(personas):
    user = personas.client_user
    enrol_totp(user)
    personas.firm.twostep_required_for_clients = True
    personas.firm.save()
    with pytest.raises(ValidationError) as error:
        enrolment.factor_remove(user=user, factor=Factor.TOTP)
    assert error.value.code == "required"
    assert Authenticator.objects.filter(user=user, type="totp").exists()
    enrol_sms(user)
    enrolment.factor_remove(user=user, factor=Factor.TOTP)  # another one is left
    assert not Authenticator.objects.filter(user=user, type="totp").exists()


def test_removing_the_last_factor_removes_the_recovery_codes_too(personas):
    user = personas.client_user
    enrol_totp(user)
    enrolment.factor_remove(user=user, factor=Factor.TOTP)
    assert not Authenticator.objects.filter(user=user).exists()


def test_an_outbox_limit_below_the_codes_per_hour_is_refused_at_start():
    import os
    import subprocess
    import sys

    env = {**os.environ, "BALIE_SMS_CODES_PER_HOUR": "12", "BALIE_SMS_PER_RECIPIENT_PER_HOUR": "5"}
    result = subprocess.run([sys.executable, "-c", "import balie.settings"], capture_output=True, text=True, env=env)
    assert result.returncode != 0
    assert "BALIE_SMS_PER_RECIPIENT_PER_HOUR (5) must not be lower than BALIE_SMS_CODES_PER_HOUR (12)" in result.stderr
    env["BALIE_SMS_PER_RECIPIENT_PER_HOUR"] = ""  # empty: as many as the codes per hour
    assert subprocess.run([sys.executable, "-c", "import balie.settings"], env=env).returncode == 0
