from pathlib import Path

import polib

PO = Path(__file__).resolve().parents[3] / "locale" / "nl" / "LC_MESSAGES" / "django.po"


def test_every_ui_string_has_a_dutch_translation():
    catalog = polib.pofile(str(PO))
    assert len(catalog) > 100
    assert [e.msgid for e in catalog.untranslated_entries()] == []
    assert [e.msgid for e in catalog.fuzzy_entries()] == []


def test_compiled_catalog_is_up_to_date():
    mo = PO.with_suffix(".mo")
    assert mo.exists()
    # Keyed by context and text: the same English word may translate differently per context.
    compiled = {(e.msgctxt, e.msgid): e.msgstr for e in polib.mofile(str(mo)) if e.msgid}
    source = {
        (e.msgctxt, e.msgid): e.msgstr
        for e in polib.pofile(str(PO))
        if e.msgid and not e.msgid_plural and not e.obsolete
    }
    assert {k: v for k, v in source.items() if compiled.get(k) != v} == {}
