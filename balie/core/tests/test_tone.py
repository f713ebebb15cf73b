"""Clients are addressed as "u" in every Dutch text they can see (the manuals' tone).

Staff pages may stay informal. A text counts as staff-only when every place it comes from is a
staff-only source (see ``staff_only``); a text used anywhere else can reach a client.
"""

import re
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[3]
PO = ROOT / "locale" / "nl" / "LC_MESSAGES" / "django.po"

INFORMAL = re.compile(r"\b(je|jij|jou|jouw|jouwe|jezelf|jullie)\b", re.IGNORECASE)


def staff_only(path: str) -> bool:
    """Sources only staff (or the operator) see.

    - a folder named ``staff`` anywhere in the path (``templates/**/staff/**``,
      ``balie/approvals/views/staff.py`` is covered by the file rule);
    - a file named ``staff.py`` or whose name starts with ``staff_`` or ends with ``_staff``
      (``forms_staff.py``, ``selectors_staff.py``, ``urls_staff.py``, ``staff_organisation.py``,
      ``templates/firms/staff_settings.html``);
    - Django admin (``admin.py``) and management commands (``management/commands/``).
    """
    parts = Path(path).parts
    stem = Path(path).stem
    return (
        "staff" in parts[:-1]
        or stem == "staff"
        or stem.startswith("staff_")
        or stem.endswith("_staff")
        or stem == "admin"
        or "management" in parts[:-1]
    )


def informal_client_texts(catalog: polib.POFile) -> list[tuple[list[str], str]]:
    found = []
    for entry in catalog:
        if entry.obsolete:
            continue
        sources = [path for path, _line in entry.occurrences]
        if sources and all(staff_only(path) for path in sources):
            continue
        texts = [entry.msgstr, *entry.msgstr_plural.values()]
        if any(INFORMAL.search(text) for text in texts):
            found.append((sources, entry.msgstr or entry.msgstr_plural[0]))
    return found


def test_staff_only_sources_are_recognised():
    assert staff_only("templates/approvals/staff/detail.html")
    assert staff_only("templates/clients/staff/partials/_client_table.html")
    assert staff_only("balie/approvals/views/staff.py")
    assert staff_only("balie/messaging/forms_staff.py")
    assert staff_only("balie/clients/views/staff_contacts.py")
    assert staff_only("templates/firms/staff_settings.html")
    assert not staff_only("templates/approvals/detail.html")
    assert not staff_only("balie/messaging/forms.py")
    assert not staff_only("templates/emails/invitation.txt")
    assert not staff_only("balie/firms/migrations/0007_staffmember_contactable.py")


def test_the_check_finds_an_informal_client_text():
    catalog = polib.POFile()
    catalog.append(polib.POEntry(msgid="Your decision", msgstr="Je beslissing", occurrences=[("a/detail.html", "1")]))
    catalog.append(polib.POEntry(msgid="Your answer", msgstr="Je antwoord", occurrences=[("a/staff/x.html", "1")]))
    catalog.append(
        polib.POEntry(msgid="Mixed", msgstr="Jouw tekst", occurrences=[("a/staff/x.html", "1"), ("b.py", "2")])
    )
    assert [text for _sources, text in informal_client_texts(catalog)] == ["Je beslissing", "Jouw tekst"]


def test_no_dutch_text_a_client_can_see_says_je():
    found = informal_client_texts(polib.pofile(str(PO)))
    assert found == []


def test_no_hard_coded_dutch_outside_the_catalogue_says_je():
    """Dutch typed straight into templates, code or demo data (not through the catalogue)."""
    paths = [
        *ROOT.joinpath("templates").rglob("*"),
        *ROOT.joinpath("balie").rglob("*.py"),
        *ROOT.joinpath("static").rglob("*.js"),
    ]
    found = []
    for path in paths:
        relative = path.relative_to(ROOT).as_posix()
        if not path.is_file() or "/tests/" in relative or relative.endswith(".min.js") or staff_only(relative):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if INFORMAL.search(line):
                found.append(f"{relative}:{number}: {line.strip()}")
    assert found == []
