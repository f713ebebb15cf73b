"""A page's cursor that is not one of ours starts the page at the newest, on every keyset page."""

import pytest
from django.urls import reverse

from balie.audit.selectors import parse_cursor

pytestmark = pytest.mark.django_db

BAD_CURSORS = [
    "1." + "9" * 5000,  # more digits than Python reads
    "9" * 5000 + ".1",
    "1.9223372036854775808",  # an id past the bigint
    "1." + "9" * 20,
    "9" * 19 + ".1",  # past the year 9999
    "x.'; drop",
    "١٢.٣",  # digits, but not ASCII ones
]


@pytest.mark.parametrize("cursor", BAD_CURSORS)
def test_a_cursor_that_is_not_ours_is_none(cursor):
    assert parse_cursor(cursor) is None


def test_a_cursor_of_ours_is_read():
    at, pk = parse_cursor("1764590400000000.9223372036854775807")
    assert (at.year, pk) == (2025, 2**63 - 1)


@pytest.mark.parametrize("cursor", BAD_CURSORS[:4])
def test_the_signins_page_starts_at_the_newest(client, personas, cursor):
    client.force_login(personas.client_user)
    page = reverse("accounts:signins")
    assert client.get(page, {"na": cursor}).status_code == 200


@pytest.mark.parametrize("cursor", BAD_CURSORS[:4])
def test_the_viewers_page_starts_at_the_newest(client, personas, cursor):
    client.force_login(personas.client_user)
    page = reverse("organisation:viewers", kwargs={"client": personas.company.public_id})
    assert client.get(page, {"na": cursor}).status_code == 200


@pytest.mark.parametrize("cursor", BAD_CURSORS[:4])
def test_the_firms_log_starts_at_the_newest(client, personas, cursor):
    client.force_login(personas.staff.user)
    assert client.get(reverse("audit_staff:log"), {"na": cursor}).status_code == 200
