"""Details never hold a bank account or citizen service number (masked), nor a change of a secret field."""

import pytest

from balie.audit.models import AuditEvent
from balie.audit.services import is_bsn, personal_number, record

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("details", "kept"),
    [
        ({"note": "NL91ABNA0417164300"}, {"note": "*" * 18}),
        ({"note": "rekening NL91 ABNA 0417 1643 00 van Pieter"}, {"note": f"rekening {'*' * 22} van Pieter"}),
        ({"changes": [["rekening", "", "nl91abna0417164300"]]}, {"changes": [["rekening", "", "*" * 18]]}),
        ({"note": "111222333"}, {"note": "*" * 9}),
        ({"changes": [["note", "", "bsn 111222333."]]}, {"changes": [["note", "", f"bsn {'*' * 9}."]]}),
        ({"items": [{"deep": ["123456782"]}]}, {"items": [{"deep": ["*" * 9]}]}),
    ],
)
def test_an_iban_or_a_bsn_in_a_value_is_masked_and_the_event_kept(personas, details, kept):
    event = record("settings.changed", firm=personas.firm, details=details)
    assert event.details == kept
    stored = AuditEvent.objects.get()
    assert stored.details == kept
    assert "0417" not in str(stored.details) and "111222333" not in str(stored.details)


@pytest.mark.parametrize("field", ["password", "recovery_codes", "api_key", "bsn", "sessionId"])
def test_a_change_of_a_secret_field_is_refused(personas, field):
    with pytest.raises(ValueError, match="never hold secrets"):
        record("settings.changed", firm=personas.firm, details={"via": "staff", "changes": [[field, "a", "b"]]})
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    "value",
    [
        "123456789",  # nine digits that fail the 11-proef
        "000000000",
        "0612345678",  # a telephone number
        "+31 20 123 4567",
        "NL123456789B01",  # a VAT number
        "1234567890",
        "a" * 64,
        "d49215c6-ae46-4717-9fa9-ec920b319070",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "Bakker B.V.",
    ],
)
def test_other_values_are_kept(personas, value):
    event = record("settings.changed", firm=personas.firm, details={"changes": [["phone", "", value]], "n": value})
    assert event.details["n"] == value


def test_the_11_proef():
    assert is_bsn("111222333") and is_bsn("123456782")
    assert not is_bsn("123456789") and not is_bsn("12345678") and not is_bsn("000000000")
    assert personal_number("NL02 ABNA 0123 4567 89") and not personal_number("NL02 ABNA 0123")


def test_an_address_field_that_names_a_code_is_kept(personas):
    event = record("settings.changed", firm=personas.firm, details={"changes": [["postal_code", "", "1234 AB"]]})
    assert event.details["changes"] == [["postal_code", "", "1234 AB"]]
