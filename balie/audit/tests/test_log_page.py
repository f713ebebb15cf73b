"""The firm's log under Kantoor (firm administrators only): filters, keyset pages at constant
queries, and exports with the chain's hashes that verify offline with docs/audit-verify.py."""

import csv
import datetime
import json
import subprocess
import sys
from io import StringIO

import pytest
import time_machine
from django.urls import reverse

from balie.audit.models import ActorKind, AuditEvent
from balie.audit.services import record
from balie.core.boundaries import ROOT
from balie.firms.factories import StaffMemberFactory
from balie.firms.models import StaffMember

pytestmark = pytest.mark.django_db

SCRIPT = ROOT.parent / "docs" / "audit-verify.py"
LOG = reverse("audit_staff:log")


@pytest.fixture
def sanne(personas):
    return StaffMemberFactory(firm=personas.firm, user__first_name="Sanne", user__last_name="de Vries").user


def _events(personas, sanne, count, *, day=1):
    noon = datetime.datetime(2026, 11, day, 12, tzinfo=datetime.UTC)
    with time_machine.travel(noon.timestamp(), tick=False):
        for _ in range(count):
            record(
                "staff.environment_viewed",
                firm=personas.firm,
                actor=sanne,
                environment=personas.company,
                obj=personas.company,
            )
            record("settings.changed", firm=personas.firm, actor=personas.staff.user)


def _ids(response) -> list[int]:
    return [row["event"].pk for row in response.context["rows"]]


def test_only_the_firms_admins_see_the_log(client, personas, sanne):
    client.force_login(sanne)  # staff, not an administrator
    assert client.get(LOG).status_code == 404
    client.force_login(personas.client_user)
    assert client.get(LOG).status_code == 404
    client.force_login(personas.staff.user)
    assert client.get(LOG).status_code == 200


def test_the_log_shows_the_firms_events_only(client, personas, sanne):
    _events(personas, sanne, 1)
    other = record("settings.changed", firm=personas.other_firm, actor=personas.outsider_staff.user)
    client.force_login(personas.outsider_staff.user)
    personas.outsider_staff.role = StaffMember.Role.ADMIN
    personas.outsider_staff.save()
    assert _ids(client.get(LOG, {"action": "settings.changed"})) == [other.pk]
    client.force_login(personas.staff.user)
    response = client.get(LOG)
    assert other.pk not in _ids(response)
    assert set(_ids(response)) == set(AuditEvent.objects.filter(firm=personas.firm).values_list("pk", flat=True))
    assert "Bakker B.V." in response.content.decode()


def test_the_log_filters_by_person_environment_action_and_period(client, personas, sanne):
    _events(personas, sanne, 2, day=1)
    _events(personas, sanne, 1, day=3)
    client.force_login(personas.staff.user)
    by_person = client.get(LOG, {"person": str(sanne.public_id)})
    assert {row["event"].actor_user_id for row in by_person.context["rows"]} == {sanne.pk}
    assert len(_ids(by_person)) == 3
    by_environment = client.get(LOG, {"environment": str(personas.company.public_id)})
    assert {row["event"].environment_id for row in by_environment.context["rows"]} == {personas.company.public_id}
    by_action = client.get(LOG, {"action": "settings.changed"})
    assert {row["event"].action for row in by_action.context["rows"]} == {"settings.changed"}
    by_period = client.get(LOG, {"since": "2026-11-02", "until": "2026-11-03"})
    assert len(_ids(by_period)) == 2
    assert {row["event"].at.day for row in by_period.context["rows"]} == {3}


def test_a_person_of_another_firm_is_not_a_choice(client, personas):
    client.force_login(personas.staff.user)
    response = client.get(LOG, {"person": str(personas.outsider_staff.user.public_id)})
    assert response.context["form"].errors["person"]
    assert response.context["rows"] == []  # not the whole log, as if it were filtered
    export = client.get(reverse("audit_staff:export_jsonl"), {"person": str(personas.outsider_staff.user.public_id)})
    assert export.status_code == 400


def test_the_log_pages_by_keyset_newest_first(client, personas, sanne):
    _events(personas, sanne, 30)  # 60 events in the same microsecond: the id breaks the tie
    client.force_login(personas.staff.user)
    first = client.get(LOG)
    assert len(_ids(first)) == 50
    second = client.get(LOG, {"na": first.context["next_cursor"]})
    assert len(_ids(second)) == AuditEvent.objects.filter(firm=personas.firm).count() - 50
    assert second.context["next_cursor"] == ""
    everything = _ids(first) + _ids(second)
    assert everything == sorted(everything, reverse=True)
    assert everything == list(
        AuditEvent.objects.filter(firm=personas.firm).order_by("-at", "-id").values_list("pk", flat=True)
    )


def test_a_broken_cursor_starts_at_the_newest(client, personas, sanne):
    _events(personas, sanne, 1)
    client.force_login(personas.staff.user)
    assert _ids(client.get(LOG, {"na": "x.'; drop"})) == _ids(client.get(LOG))


def test_the_log_costs_the_same_for_1_or_many_events(
    client, personas, sanne, django_assert_num_queries, django_assert_max_num_queries
):
    client.force_login(personas.staff.user)
    _events(personas, sanne, 1)
    with django_assert_max_num_queries(50) as one:
        client.get(LOG, {"person": str(sanne.public_id)})
    _events(personas, sanne, 40)
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(LOG, {"person": str(sanne.public_id)})
    assert len(_ids(response)) == 41


def _export(client, kind, **query) -> str:
    response = client.get(reverse(f"audit_staff:export_{kind}"), query)
    assert response.status_code == 200
    assert response.streaming
    assert "attachment" in response["Content-Disposition"]
    return b"".join(response.streaming_content).decode()


def _verify(tmp_path, text: str, *options: str) -> subprocess.CompletedProcess:
    path = tmp_path / "logboek.jsonl"
    path.write_text(text, encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(SCRIPT), *options, str(path)], capture_output=True, text=True, check=False
    )


def test_an_export_of_the_whole_log_verifies(client, personas, sanne, tmp_path):
    _events(personas, sanne, 2)
    client.force_login(personas.staff.user)
    text = _export(client, "jsonl")
    count = AuditEvent.objects.filter(firm=personas.firm).count()  # the export itself too
    assert len(text.splitlines()) == count
    result = _verify(tmp_path, text)
    assert result.returncode == 0, result.stdout
    assert f"intact: {count} events" in result.stdout


def test_an_export_filtered_to_a_person_verifies_as_a_selection(client, personas, sanne, tmp_path):
    _events(personas, sanne, 3)
    client.force_login(personas.staff.user)
    text = _export(client, "jsonl", person=str(sanne.public_id))
    lines = [json.loads(line) for line in text.splitlines()]
    assert [line["actor_user"] for line in lines] == [str(sanne.pk)] * 3
    assert [line["seq"] for line in lines] == ["1", "3", "5"]
    assert _verify(tmp_path, text).returncode == 1  # events are missing for a check in full
    result = _verify(tmp_path, text, "--selection")
    assert result.returncode == 0, result.stdout
    assert "intact: 3 events (a selection)" in result.stdout


def test_an_edited_selection_fails_the_script(client, personas, sanne, tmp_path):
    _events(personas, sanne, 2)
    client.force_login(personas.staff.user)
    lines = _export(client, "jsonl", person=str(sanne.public_id)).splitlines()
    edited = json.loads(lines[1])
    edited["actor_name"] = "Iemand anders"
    lines[1] = json.dumps(edited)
    result = _verify(tmp_path, "\n".join(lines) + "\n", "--selection")
    assert result.returncode == 1
    assert "does not match its hash" in result.stdout


def test_a_csv_export_has_the_hashes(client, personas, sanne):
    _events(personas, sanne, 1)
    client.force_login(personas.staff.user)
    rows = list(csv.DictReader(StringIO(_export(client, "csv", action="settings.changed"))))
    assert [row["action"] for row in rows] == ["settings.changed"]
    assert rows[0]["hash"] == AuditEvent.objects.get(action="settings.changed").hash


def test_an_export_is_recorded_with_its_filters(client, personas, sanne):
    client.force_login(personas.staff.user)
    _export(client, "csv", person=str(sanne.public_id))
    event = AuditEvent.objects.get(action="export.created")
    assert (event.actor_user_id, event.actor_kind, event.firm_id) == (
        personas.staff.user.pk,
        ActorKind.STAFF,
        personas.firm.pk,
    )
    assert event.details["format"] == "csv"
    assert event.details["person"] == str(sanne.public_id)


def test_only_admins_export(client, personas, sanne):
    client.force_login(sanne)
    assert client.get(reverse("audit_staff:export_jsonl")).status_code == 404
    assert not AuditEvent.objects.filter(action="export.created").exists()


def test_another_firms_admin_exports_only_their_own_events(client, personas, sanne):
    _events(personas, sanne, 2)
    personas.outsider_staff.role = StaffMember.Role.ADMIN
    personas.outsider_staff.save()
    client.force_login(personas.outsider_staff.user)
    lines = [json.loads(line) for line in _export(client, "jsonl").splitlines()]
    assert lines
    assert {line["firm"] for line in lines} == {str(personas.other_firm.public_id)}
    assert str(personas.company.public_id) not in {line["environment"] for line in lines}
