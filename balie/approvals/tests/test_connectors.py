"""The filing connectors on their own: webhook signatures, the SSRF guard, redirects and timeouts,
the firm's receiver settings, and the Digipoort simulator."""

import hashlib
import hmac
import json
import socket
import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from balie.approvals.connectors import (
    OutcomeUnknown,
    PermanentFailure,
    TemporaryFailure,
    get_connector,
    webhook,
)
from balie.approvals.connectors.digipoort import SIMULATED_REFUSAL, DigipoortOff, DigipoortSimulator
from balie.approvals.models import After, Receiver, Submission
from balie.approvals.receivers import receiver_generate_secret, receiver_update
from balie.approvals.tests.filing_support import (
    SECRET,
    DripReceiver,
    LocalReceiver,
    approved_request,
    wait_for_requests,
)

EVENT_ID = "6f2c1e1a-5d7b-4b43-9a55-0c1f2a3b4c5d"


@pytest.fixture
def local_receiver(settings):
    settings.BALIE_WEBHOOK_ALLOW_PRIVATE = True  # the test receiver listens on 127.0.0.1
    servers = []

    def start(*statuses, delay=0.0):
        servers.append(LocalReceiver(statuses, delay=delay))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def drip_receiver(settings):
    settings.BALIE_WEBHOOK_ALLOW_PRIVATE = True
    servers = []

    def start(answer, **options):
        servers.append(DripReceiver(answer, **options))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def _fake_dns(monkeypatch, answers: dict[str, list[str]]):
    """socket.getaddrinfo answering ``answers`` for the names in it; counts the look-ups."""
    real = socket.getaddrinfo
    lookups = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            return real(host, port, *args, **kwargs)
        lookups.append(host)
        return [
            (socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
            for address in answers[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


def _submission(p, *, after=After.FIRM_SOFTWARE, title="Aangifte omzetbelasting Q3 2025"):
    approval = approved_request(p, after=after, title=title)
    return Submission.objects.create(request=approval, connector=after, idempotency_key=f"{approval.public_id}:1")


# -- Signatures ---------------------------------------------------------------------------------


def test_signature_is_hmac_sha256_over_id_timestamp_and_body():
    body = b'{"id":"x","type":"request.approved"}'
    expected = hmac.new(SECRET.encode(), f"{EVENT_ID}.1700000000.".encode() + body, hashlib.sha256).hexdigest()

    assert webhook.sign(SECRET, EVENT_ID, "1700000000", body) == f"sha256={expected}"


def test_a_receiver_verifies_a_genuine_signature_and_refuses_a_forgery():
    body = b'{"id":"x"}'
    now = str(int(time.time()))
    header = webhook.sign(SECRET, EVENT_ID, now, body)

    assert webhook.verify_signature(SECRET, EVENT_ID, now, body, header)
    assert webhook.verify_signature(SECRET, EVENT_ID, now, body, f"sha256=00, {header}")  # a rotated key
    assert not webhook.verify_signature(SECRET, EVENT_ID, now, body + b" ", header)  # body changed
    assert not webhook.verify_signature("another-secret-0123456789", EVENT_ID, now, body, header)
    assert not webhook.verify_signature(SECRET, "another-event", now, body, header)
    assert not webhook.verify_signature(SECRET, EVENT_ID, now, body, "")


def test_an_old_timestamp_is_refused_so_a_captured_delivery_cannot_be_replayed():
    body = b"{}"
    old = str(int(time.time()) - 3600)
    header = webhook.sign(SECRET, EVENT_ID, old, body)

    assert not webhook.verify_signature(SECRET, EVENT_ID, old, body, header)
    assert webhook.verify_signature(SECRET, EVENT_ID, old, body, header, tolerance_seconds=None)


@pytest.mark.parametrize(
    "header",
    ["sha256=é", "sha256=\udcff", "sha256=" + "é" * 64, b"sha256=\xff\xfe", 12345, ["sha256=00"]],
)
def test_a_malformed_signature_header_is_refused_without_an_error(header):
    now = str(int(time.time()))

    assert webhook.verify_signature(SECRET, EVENT_ID, now, b"{}", header) is False


def test_malformed_ids_and_timestamps_are_refused_without_an_error():
    now = str(int(time.time()))
    header = webhook.sign(SECRET, EVENT_ID, now, b"{}")

    assert webhook.verify_signature(SECRET, "\udcff", now, b"{}", header) is False
    assert webhook.verify_signature(SECRET, "é", now, b"{}", header) is False
    assert webhook.verify_signature(SECRET, EVENT_ID, "1e999", b"{}", header) is False
    assert webhook.verify_signature(SECRET, EVENT_ID, "\udcff", b"{}", header, tolerance_seconds=None) is False
    assert webhook.verify_signature(SECRET, EVENT_ID, now, b"{}", header.encode())  # bytes, as some frameworks give


# -- The SSRF guard -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.10",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # shared address space (carrier-grade NAT)
        "0.0.0.0",
        "224.0.0.1",  # multicast
        "240.0.0.1",  # reserved
        "::1",
        "fe80::1",
        "fd00:ec2::254",  # cloud metadata over IPv6
        "fc00::5",
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::ffff:10.0.0.1",
        "2002:7f00:1::",  # 6to4 wrapping 127.0.0.1
        "64:ff9b::a00:1",  # NAT64 wrapping 10.0.0.1
        "ff02::1",
        "fec0::1",  # site-local (deprecated, fec0::/10), still routed internally on some networks
        "feff:1::2",
    ],
)
def test_internal_addresses_are_refused(settings, address):
    settings.BALIE_WEBHOOK_ALLOW_PRIVATE = False

    assert webhook.address_is_forbidden(address)
    with pytest.raises(webhook.TargetRefused):
        webhook.resolve_target(address, 443)


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
def test_public_addresses_are_allowed(settings, address):
    settings.BALIE_WEBHOOK_ALLOW_PRIVATE = False

    assert not webhook.address_is_forbidden(address)
    assert webhook.resolve_target(address, 443) == address


@pytest.mark.parametrize("internal", ["127.0.0.1", "10.0.0.7", "192.168.0.2", "169.254.169.254", "::1"])
def test_a_host_name_resolving_to_an_internal_address_is_refused(settings, monkeypatch, internal):
    settings.BALIE_WEBHOOK_ALLOW_PRIVATE = False
    _fake_dns(monkeypatch, {"software.kantoor.example": [internal]})

    with pytest.raises(webhook.TargetRefused, match=internal.replace(".", r"\.")):
        webhook.resolve_target("software.kantoor.example", 443)


def test_a_host_name_with_one_public_and_one_internal_address_is_refused(settings, monkeypatch):
    settings.BALIE_WEBHOOK_ALLOW_PRIVATE = False
    _fake_dns(monkeypatch, {"software.kantoor.example": ["93.184.215.14", "127.0.0.1"]})

    with pytest.raises(webhook.TargetRefused):
        webhook.resolve_target("software.kantoor.example", 443)


def test_the_setting_allows_internal_addresses(settings, monkeypatch):
    settings.BALIE_WEBHOOK_ALLOW_PRIVATE = True
    _fake_dns(monkeypatch, {"software.intern": ["10.0.0.7"]})

    assert webhook.resolve_target("software.intern", 443) == "10.0.0.7"


def test_the_connection_goes_to_the_checked_address_without_a_second_lookup(settings, monkeypatch):
    """DNS rebinding: a second answer (127.0.0.1) must not be used after the check passed."""
    settings.BALIE_WEBHOOK_ALLOW_PRIVATE = False
    answers = {"software.kantoor.example": ["93.184.215.14"]}
    lookups = _fake_dns(monkeypatch, answers)
    connected_to = []

    def create_connection(address, *args, **kwargs):
        connected_to.append(address)
        raise ConnectionRefusedError("refused")

    real_getaddrinfo = socket.getaddrinfo

    def rebinding(host, port, *args, **kwargs):  # the next look-up would answer loopback
        result = real_getaddrinfo(host, port, *args, **kwargs)
        answers["software.kantoor.example"] = ["127.0.0.1"]
        return result

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    monkeypatch.setattr(socket, "create_connection", create_connection)

    with pytest.raises(TemporaryFailure):
        webhook.post("https://software.kantoor.example/hook", b"{}", {})

    assert connected_to == [("93.184.215.14", 443)]
    assert lookups == ["software.kantoor.example"]


def test_a_delivery_to_an_internal_target_fails_at_once_and_sends_nothing(personas, settings, local_receiver):
    server = local_receiver()
    receiver_update(firm=personas.firm, actor=personas.staff.user, url=server.url, secret=SECRET)
    settings.BALIE_WEBHOOK_ALLOW_PRIVATE = False  # the address was accepted earlier; now it is refused
    submission = _submission(personas)

    with pytest.raises(PermanentFailure, match="127.0.0.1"):
        get_connector("firm_software").deliver(submission)
    assert server.received == []


@pytest.mark.parametrize("url", ["ftp://software.example/hook", "https://user:pw@software.example/hook", "hook"])
def test_unusable_addresses_are_refused(url):
    with pytest.raises(PermanentFailure):
        webhook.check_url(url)


# -- Deliveries over HTTP -----------------------------------------------------------------------


def test_a_delivery_is_a_signed_json_post_with_the_documented_headers(personas, local_receiver):
    server = local_receiver()
    receiver_update(firm=personas.firm, actor=personas.staff.user, url=server.url, secret=SECRET)
    submission = _submission(personas)

    outcome = get_connector("firm_software").deliver(submission)

    assert outcome.final and outcome.reference == "HTTP 200"
    [received] = server.received
    headers = received["headers"]
    assert received["path"] == "/balie/events"
    assert headers["Content-Type"] == "application/json"
    assert headers["Balie-Event-Id"] == str(submission.event_id)
    assert webhook.verify_signature(
        SECRET, headers["Balie-Event-Id"], headers["Balie-Timestamp"], received["body"], headers["Balie-Signature"]
    )
    event = json.loads(received["body"])
    approval = submission.request
    assert event["id"] == str(submission.event_id)
    assert event["type"] == "request.approved"
    assert event["data"]["request"]["id"] == str(approval.public_id)
    assert event["data"]["client"] == {
        "id": str(personas.company.public_id),
        "name": "Bakker B.V.",
        "number": "",
        "kvk_number": "",
    }
    assert event["data"]["document"]["title"] == "Aangifte omzetbelasting Q3 2025"
    assert event["data"]["version_sha256"] == approval.version.sha256
    [decision] = event["data"]["decisions"]
    assert decision["outcome"] == "approved"
    assert decision["by"]["email"] == "client@firm-a.test"
    assert decision["version_sha256"] == approval.version.sha256
    assert event["data"]["submission"]["idempotency_key"] == submission.idempotency_key


def test_redirects_are_not_followed(personas, local_receiver):
    server = local_receiver(302)
    receiver_update(firm=personas.firm, actor=personas.staff.user, url=server.url, secret=SECRET)

    with pytest.raises(TemporaryFailure, match="302"):
        get_connector("firm_software").deliver(_submission(personas))
    assert [item["path"] for item in server.received] == ["/balie/events"]  # never the Location


def test_an_error_answer_is_a_temporary_failure(personas, local_receiver):
    server = local_receiver(503)
    receiver_update(firm=personas.firm, actor=personas.staff.user, url=server.url, secret=SECRET)

    with pytest.raises(TemporaryFailure, match="503"):
        get_connector("firm_software").deliver(_submission(personas))


def test_no_answer_within_the_timeout_is_an_unknown_outcome(personas, settings, local_receiver):
    settings.BALIE_WEBHOOK_TIMEOUT_SECONDS = 1
    server = local_receiver(delay=60)  # answers long after the deadline: a 200 here means no deadline
    receiver_update(firm=personas.firm, actor=personas.staff.user, url=server.url, secret=SECRET)

    with pytest.raises(OutcomeUnknown):
        get_connector("firm_software").deliver(_submission(personas))
    assert len(wait_for_requests(server.received)) == 1


def test_the_default_timeout_is_ten_seconds(settings):
    assert settings.BALIE_WEBHOOK_TIMEOUT_SECONDS == 10


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 100,  # the body byte by byte
        b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"x" * 100 + b"\r\n\r\n",  # the headers byte by byte
    ],
    ids=["body", "headers"],
)
def test_a_receiver_answering_byte_by_byte_cannot_hold_an_attempt_past_its_deadline(
    personas, settings, drip_receiver, answer
):
    """The timeout is for the whole attempt, not for each read: 0.1 s per byte never trips a
    per-read timeout, yet the attempt ends at the deadline as one without an answer."""
    settings.BALIE_WEBHOOK_TIMEOUT_SECONDS = 1
    server = drip_receiver(answer, gap=0.1)  # about 10 s for the whole answer
    receiver_update(firm=personas.firm, actor=personas.staff.user, url=server.url, secret=SECRET)

    started = time.monotonic()
    with pytest.raises(OutcomeUnknown):  # a complete answer (a per-read timeout) would have returned 200
        get_connector("firm_software").deliver(_submission(personas))

    assert time.monotonic() - started >= 0.9  # not before the deadline either
    assert len(wait_for_requests(server.requests)) == 1


def test_a_slow_name_lookup_ends_the_attempt_at_its_deadline(settings, monkeypatch):
    settings.BALIE_WEBHOOK_ALLOW_PRIVATE = False
    connected = []
    real = socket.getaddrinfo

    def hanging(host, port, *args, **kwargs):
        if host == "traag.kantoor.example":
            time.sleep(30)  # abandoned at the deadline, so only this helper thread waits
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", hanging)
    monkeypatch.setattr(socket, "create_connection", lambda *args, **kwargs: connected.append(args))

    with pytest.raises(TemporaryFailure, match="traag.kantoor.example"):
        webhook.post("https://traag.kantoor.example/hook", b"{}", {}, timeout=0.5)

    assert connected == []  # nothing was sent: an ordinary failed attempt


def test_at_most_a_limited_part_of_the_answer_is_read(settings, drip_receiver):
    """A receiver announcing a huge answer (and then sending nothing more) does not keep the
    attempt waiting for it: the answer is read up to MAX_RESPONSE_BYTES only."""
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n" + b"x" * (2 * webhook.MAX_RESPONSE_BYTES)
    server = drip_receiver(answer, gap=0, hold=True)

    # Waiting for the announced rest would end at the deadline without an answer (OutcomeUnknown).
    status = webhook.post(server.url, b"{}", {}, timeout=10)

    assert status == 200


def test_without_a_configured_address_the_delivery_fails_for_good(personas):
    with pytest.raises(PermanentFailure):
        get_connector("firm_software").deliver(_submission(personas))


# -- The firm's receiver settings ---------------------------------------------------------------


def test_the_secret_is_stored_encrypted_and_only_shown_as_set(personas, settings):
    settings.BALIE_WEBHOOK_ALLOW_PRIVATE = False
    receiver = receiver_update(
        firm=personas.firm, actor=personas.staff.user, url="https://software.kantoor.example/hook", secret=SECRET
    )

    stored = Receiver.objects.get(firm=personas.firm)
    assert stored.has_secret
    assert stored.webhook_secret.startswith("fernet:") and SECRET not in stored.webhook_secret
    assert stored.secret() == SECRET
    assert receiver.updated_by == personas.staff.user


def test_an_address_change_without_a_secret_keeps_the_secret(personas):
    receiver_update(firm=personas.firm, actor=personas.staff.user, url="https://a.example/hook", secret=SECRET)
    receiver_update(firm=personas.firm, actor=personas.staff.user, url="https://b.example/hook", secret=None)

    stored = Receiver.objects.get(firm=personas.firm)
    assert (stored.webhook_url, stored.secret()) == ("https://b.example/hook", SECRET)


def test_an_empty_address_switches_the_webhook_off(personas):
    receiver_update(firm=personas.firm, actor=personas.staff.user, url="https://a.example/hook", secret=SECRET)
    receiver_update(firm=personas.firm, actor=personas.staff.user, url="", secret=None)

    stored = Receiver.objects.get(firm=personas.firm)
    assert (stored.webhook_url, stored.has_secret) == ("", False)


def test_a_first_address_needs_a_secret_of_some_length(personas):
    with pytest.raises(ValidationError) as missing:
        receiver_update(firm=personas.firm, actor=personas.staff.user, url="https://a.example/hook")
    with pytest.raises(ValidationError) as short:
        receiver_update(firm=personas.firm, actor=personas.staff.user, url="https://a.example/hook", secret="kort")

    assert (missing.value.code, short.value.code) == ("secret_missing", "secret")
    assert not Receiver.objects.exists()
    assert len(receiver_generate_secret()) > 40


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/hook", "http://localhost/hook", "http://[::1]/hook"])
def test_an_internal_address_cannot_be_configured(personas, settings, url):
    settings.BALIE_WEBHOOK_ALLOW_PRIVATE = False

    with pytest.raises(ValidationError):
        receiver_update(firm=personas.firm, actor=personas.staff.user, url=url, secret=SECRET)
    assert not Receiver.objects.exists()


def test_only_the_firms_administrators_change_the_receiver(personas):
    from balie.firms.factories import StaffMemberFactory

    colleague = StaffMemberFactory(firm=personas.firm)  # an employee, not an administrator
    for actor in (colleague.user, personas.outsider_staff.user, personas.client_user):
        with pytest.raises(PermissionDenied):
            receiver_update(firm=personas.firm, actor=actor, url="https://a.example/hook", secret=SECRET)
    assert not Receiver.objects.exists()


# -- Digipoort ------------------------------------------------------------------------------------


def test_the_simulator_accepts_at_once_and_answers_later(personas, settings):
    settings.BALIE_DIGIPOORT_DELAY_SECONDS = 20
    submission = _submission(personas, after=After.DIGIPOORT)
    connector = get_connector("digipoort")

    outcome = connector.deliver(submission)

    assert isinstance(connector, DigipoortSimulator) and not connector.idempotent
    assert not outcome.final and outcome.receipt_after == 20
    assert outcome.reference.startswith("SIM-")
    assert outcome.reference == connector.deliver(submission).reference  # predictable
    assert connector.receipt(submission).accepted


def test_the_simulator_refuses_a_document_with_fout_in_its_title(personas):
    submission = _submission(personas, after=After.DIGIPOORT, title="Publicatiestukken 2024 FOUT")

    receipt = get_connector("digipoort").receipt(submission)

    assert not receipt.accepted
    assert receipt.error == SIMULATED_REFUSAL == "Het bericht voldoet niet aan de specificaties (XBRL-validatie)"


def test_with_digipoort_off_a_filing_fails_saying_why(personas, settings):
    settings.BALIE_DIGIPOORT = "off"
    connector = get_connector("digipoort")

    assert isinstance(connector, DigipoortOff)
    with pytest.raises(PermanentFailure, match="PKIoverheid"):
        connector.deliver(_submission(personas, after=After.DIGIPOORT))


def _self_signed_certificate(tmp_path, name: str):
    """A certificate and key for ``name`` (written to tmp_path), for a local TLS receiver."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


def test_https_goes_to_the_checked_address_and_verifies_the_configured_name(settings, monkeypatch, tmp_path):
    import ssl

    settings.BALIE_WEBHOOK_ALLOW_PRIVATE = True
    cert_file, key_file = _self_signed_certificate(tmp_path, "software.kantoor.example")
    server = LocalReceiver()
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert_file, key_file)
    server.server.socket = tls.wrap_socket(server.server.socket, server_side=True)
    port = server.server.server_port
    _fake_dns(monkeypatch, {"software.kantoor.example": ["127.0.0.1"], "other.kantoor.example": ["127.0.0.1"]})
    try:
        with pytest.raises(TemporaryFailure, match="CERTIFICATE_VERIFY_FAILED"):  # not trusted by default
            webhook.post(f"https://software.kantoor.example:{port}/hook", b"{}", {})
        real_context = ssl.create_default_context
        monkeypatch.setattr(ssl, "create_default_context", lambda *a, **k: real_context(cafile=str(cert_file)))

        status = webhook.post(f"https://software.kantoor.example:{port}/hook", b"{}", {})
        with pytest.raises(TemporaryFailure, match="CERTIFICATE_VERIFY_FAILED|match"):  # a name it is not for
            webhook.post(f"https://other.kantoor.example:{port}/hook", b"{}", {})
    finally:
        server.close()

    assert status == 200
    assert [item["headers"]["Host"] for item in server.received] == [f"software.kantoor.example:{port}"]
