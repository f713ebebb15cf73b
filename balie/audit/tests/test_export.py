"""``balie audit export``: a firm's events with their hashes, and the documented script that checks
a JSON Lines export offline."""

import csv
import datetime
import json
import subprocess
import sys
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from balie.audit.models import ActorKind, AuditEvent
from balie.audit.services import record
from balie.core.boundaries import ROOT

pytestmark = pytest.mark.django_db

SCRIPT = ROOT.parent / "docs" / "audit-verify.py"


@pytest.fixture
def events(personas):
    found = []
    for day in (1, 2, 3):
        noon = datetime.datetime(2026, 11, day, 12, tzinfo=datetime.UTC)
        with time_machine.travel(noon.timestamp(), tick=False):
            found.append(
                record(
                    "settings.changed",
                    firm=personas.firm,
                    actor=personas.staff.user,
                    environment=personas.company,
                    details={"name": ["Bakker B.V.", f"Bakker {day} B.V."], "note": 'één, "twee"\n=drie'},
                )
            )
    record("document.viewed", firm=personas.other_firm, actor=personas.outsider)
    return found


def export(*arguments) -> str:
    out = StringIO()
    call_command("audit", "export", *arguments, stdout=out)
    return out.getvalue()


def run_script(tmp_path, text: str) -> subprocess.CompletedProcess:
    path = tmp_path / "export.jsonl"
    path.write_text(text, encoding="utf-8")
    return subprocess.run([sys.executable, str(SCRIPT), str(path)], capture_output=True, text=True, check=False)


def test_a_jsonl_export_has_the_firms_events_with_their_hashes(events, personas):
    lines = [json.loads(line) for line in export("--firm", "van-dijk").splitlines()]
    assert [line["id"] for line in lines] == [event.pk for event in events]
    assert [line["hash"] for line in lines] == [event.hash for event in events]
    assert lines[1]["prev_hash"] == lines[0]["hash"]
    assert lines[0]["firm"] == str(personas.firm.public_id)
    assert lines[0]["environment"] == str(personas.company.public_id)
    assert lines[0]["at"] == "2026-11-01T12:00:00.000000+00:00"


def test_an_export_verifies_with_the_documented_script(events, tmp_path):
    result = run_script(tmp_path, export("--firm", "van-dijk"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "intact: 3 events" in result.stdout


def test_a_period_verifies_from_its_anchor(events, tmp_path):
    text = export("--firm", "van-dijk", "--since", "2026-11-02", "--until", "2026-11-03")
    assert [json.loads(line)["seq"] for line in text.splitlines()] == ["2"]
    result = run_script(tmp_path, text)
    assert result.returncode == 0
    assert f"starts at event 2 of chain {events[0].firm.public_id}, after {events[0].hash}" in result.stdout


def test_an_edited_export_line_fails_the_script(events, tmp_path):
    lines = export("--firm", "van-dijk").splitlines()
    edited = json.loads(lines[1])
    edited["actor_name"] = "Iemand anders"
    lines[1] = json.dumps(edited)
    result = run_script(tmp_path, "\n".join(lines) + "\n")
    assert result.returncode == 1
    assert "BROKEN at line 2: event 2: it does not match its hash" in result.stdout


def test_a_removed_export_line_fails_the_script(events, tmp_path):
    lines = export("--firm", "van-dijk").splitlines()
    result = run_script(tmp_path, "\n".join([lines[0], lines[2]]) + "\n")
    assert result.returncode == 1
    assert "BROKEN at line 2: event 3: it follows event 1" in result.stdout


def test_a_csv_export_has_a_header_and_a_row_per_event_safe_for_spreadsheets(events):
    rows = list(csv.DictReader(StringIO(export("--firm", str(events[0].firm.public_id), "--format", "csv"))))
    assert [row["hash"] for row in rows] == [event.hash for event in events]
    assert json.loads(rows[0]["details"])["note"] == 'één, "twee"\n=drie'
    assert rows[0]["action"] == "settings.changed"


def test_a_cell_that_looks_like_a_formula_is_quoted_in_csv(personas):
    record("settings.changed", firm=personas.firm, actor=personas.staff.user)
    personas.staff.user.first_name, personas.staff.user.last_name = "=HYPERLINK(1)", ""
    record("settings.changed", firm=personas.firm, actor=personas.staff.user)
    rows = list(csv.DictReader(StringIO(export("--firm", "van-dijk", "--format", "csv"))))
    assert rows[1]["actor_name"] == "'=HYPERLINK(1)"


def test_the_export_itself_is_recorded(events, personas):
    export("--firm", "van-dijk", "--since", "2026-11-02")
    last = AuditEvent.objects.filter(firm=personas.firm).order_by("-seq").first()
    assert (last.action, last.actor_kind) == ("export.created", ActorKind.OPERATOR)
    assert last.details == {"format": "jsonl", "since": "2026-11-02", "until": "", "events": 2}
