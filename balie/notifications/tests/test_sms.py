"""SMS through the outbox, against a real HTTP gateway on loopback."""

import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from balie.core.testing import later
from balie.notifications.models import DevOutboxMessage, OutboxMessage
from balie.notifications.outbox import outbox_add_sms, outbox_deliver_due

pytestmark = [pytest.mark.django_db, pytest.mark.real_on_commit]


@pytest.fixture
def gateway(settings):
    """An HTTP SMS gateway on loopback whose answer the test chooses."""
    state = {"answer": 200, "delay": 0.0, "received": [], "auth": []}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            time.sleep(state["delay"])
            if state["answer"] == 200:
                state["received"].append(body)
                state["auth"].append(self.headers.get("Authorization"))
            self.send_response(state["answer"])
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.BALIE_SMS_BACKEND = "http"
    settings.BALIE_SMS_HTTP_URL = f"http://127.0.0.1:{server.server_address[1]}/send"
    settings.BALIE_SMS_HTTP_USER, settings.BALIE_SMS_HTTP_PASSWORD = "balie", "geheim"
    settings.BALIE_SMS_HTTP_TIMEOUT = 60  # only stops a hang: a busy machine may answer slowly
    yield state
    server.shutdown()


def test_sms_is_posted_to_the_gateway_once(gateway):
    outbox_add_sms(to="+31612345678", text="Je code is 123456")
    assert outbox_deliver_due() == 1
    assert gateway["received"] == [{"from": "Balie", "to": "+31612345678", "text": "Je code is 123456"}]
    assert gateway["auth"][0].startswith("Basic ")
    assert outbox_deliver_due() == 0


def test_gateway_500_is_retried_later_and_then_delivered(gateway):
    gateway["answer"] = 500
    outbox_add_sms(to="+31612345678", text="Code 1")
    assert outbox_deliver_due() == 0
    row = OutboxMessage.objects.get()
    assert (row.status, row.attempts) == ("pending", 1)
    assert "500" in row.last_error
    gateway["answer"] = 200
    with time_machine.travel(later(minutes=5)):
        assert outbox_deliver_due() == 1
    assert len(gateway["received"]) == 1


def test_gateway_timeout_is_retried(gateway, settings):
    settings.BALIE_SMS_HTTP_TIMEOUT = 1
    gateway["delay"] = 2  # longer than the 1 s timeout
    outbox_add_sms(to="+31612345678", text="Code 2")
    assert outbox_deliver_due() == 0
    assert OutboxMessage.objects.get().status == "pending"


def test_gateway_refusal_fails_the_message(gateway):
    gateway["answer"] = 400
    outbox_add_sms(to="+3161234", text="Code 3")
    outbox_deliver_due()
    row = OutboxMessage.objects.get()
    assert row.status == "failed"
    assert "rejected" in row.last_error


def test_sms_per_recipient_is_rate_limited(settings):
    settings.BALIE_SMS_PER_RECIPIENT_PER_HOUR = 3
    for n in range(3):
        outbox_add_sms(to="+31600000001", text=f"Code {n}")
    with pytest.raises(ValidationError) as error:
        outbox_add_sms(to="+31600000001", text="Code 4")
    assert error.value.code == "sms_rate_limited"
    outbox_add_sms(to="+31600000002", text="Another number")  # others are not affected
    with time_machine.travel(later(hours=1, minutes=1)):
        outbox_add_sms(to="+31600000001", text="An hour later")


def test_development_sms_land_in_the_dev_outbox(settings):
    settings.BALIE_SMS_BACKEND = "devoutbox"
    outbox_add_sms(to="+31612345678", text="Je code is 654321")
    assert outbox_deliver_due() == 1
    message = DevOutboxMessage.objects.get()
    assert (message.channel, message.recipients, message.body_text) == ("sms", "+31612345678", "Je code is 654321")


def test_an_sms_code_is_not_delivered_after_it_expired(gateway):
    gateway["answer"] = 500
    start = time.time()
    with time_machine.travel(start, tick=False):
        outbox_add_sms(to="+31612345678", text="Code 5", expires_at=timezone.now() + timedelta(minutes=5))
        assert outbox_deliver_due() == 0
    gateway["answer"] = 200
    with time_machine.travel(start + 6 * 60, tick=False):
        assert outbox_deliver_due() == 0  # the gateway is back, but the code is no longer valid
    row = OutboxMessage.objects.get()
    assert row.status == "failed"
    assert "expired" in row.last_error
    assert gateway["received"] == []


def test_an_sms_without_expiry_is_retried_like_email(gateway, settings):
    settings.BALIE_OUTBOX_GIVE_UP_HOURS = 24
    gateway["answer"] = 500
    start = time.time()
    with time_machine.travel(start, tick=False):
        outbox_add_sms(to="+31612345678", text="Geen code")
        outbox_deliver_due()
    with time_machine.travel(start + 3 * 3600, tick=False):
        outbox_deliver_due()
    assert OutboxMessage.objects.get().status == "pending"
    gateway["answer"] = 200
    with time_machine.travel(start + 4 * 3600, tick=False):
        assert outbox_deliver_due() == 1


def test_sign_in_codes_expire_in_the_outbox_with_the_code(settings):
    from balie.accounts.factories import UserFactory
    from balie.twostep.models import OneTimeCode, SmsFactor
    from balie.twostep.services import sms_send_code

    user = UserFactory()
    SmsFactor.objects.create(user=user, phone_number="+31612345678")
    sms_send_code(user=user, purpose=OneTimeCode.Purpose.LOGIN)
    code = OneTimeCode.objects.get(user=user)
    assert OutboxMessage.objects.get(recipient="+31612345678").expires_at == code.expires_at
