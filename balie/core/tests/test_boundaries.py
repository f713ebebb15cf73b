"""App boundaries, read from the source (no import of the project): no private name crosses from one
app into another, every app imports only apps below it in ``LAYERS``, so there is no import cycle.

The imports are read by ``balie/core/boundaries.py``: those inside functions count as much as those at
the top of a module, and tests and migrations are left out.
"""

import pytest

from balie.core.boundaries import APPS, LAYERS, ROOT, Import, components, cycle_edges, imports, upward_imports

pytestmark = pytest.mark.once


def test_no_private_name_is_imported_from_another_app():
    private = [
        f"{found.path.relative_to(ROOT.parent)}: {found.module}"
        for found in imports()
        if found.name is not None and found.name.startswith("_")
    ]
    assert private == [], "use (or add) a public function of the app that owns it"


def test_every_app_has_its_place_in_the_layers():
    assert sorted(LAYERS) == APPS, "add a new app to LAYERS in balie/core/boundaries.py, above what it imports"


def test_no_app_imports_an_app_above_it():
    upward = [f"{found.path.relative_to(ROOT.parent)}: {found.module}" for found in upward_imports()]
    assert upward == [], (
        "a lower app may not import a higher one: define a signal or a registry in the lower app and "
        "fill it from the higher app's AppConfig.ready()"
    )


def test_there_is_no_import_cycle_between_apps():
    assert sorted(cycle_edges()) == []


def test_the_layer_check_sees_an_import_upward():
    assert [
        found.module
        for found in upward_imports([Import("core", ROOT / "core" / "x.py", "signing", "balie.signing.pdf", None)])
    ] == ["balie.signing.pdf"]


def test_the_check_sees_a_cycle_and_a_private_import():
    assert components({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    assert components({"a": {"b"}, "b": set()}) == []
