"""Size and complexity, read from the source (no import of the project): no module over 600 lines
and no function with a cyclomatic complexity over 20 (as radon counts it), tests and migrations
left out. A module that grows past the limit is split by what its parts do; a function, into
well-named steps."""

import pytest
from radon.complexity import cc_visit
from radon.visitors import Class, Function

from balie.core.boundaries import ROOT, modules

pytestmark = pytest.mark.once

MAX_LINES = 600
MAX_COMPLEXITY = 20


def _functions(blocks) -> list[Function]:
    """Every function and method of ``blocks``, with the functions defined inside them."""
    found: list[Function] = []
    for block in blocks:
        if isinstance(block, Class):
            continue  # its methods are blocks of their own
        found.append(block)
        found += _functions(block.closures)
    return found


def too_complex(code: str) -> list[tuple[str, int]]:
    """(name, complexity) of each function of ``code`` over MAX_COMPLEXITY."""
    return [
        (block.fullname, block.complexity) for block in _functions(cc_visit(code)) if block.complexity > MAX_COMPLEXITY
    ]


def test_no_module_is_over_600_lines():
    long = [
        f"{path.relative_to(ROOT.parent)}: {lines}"
        for path in modules()
        if (lines := path.read_text(encoding="utf-8").count("\n")) > MAX_LINES
    ]
    assert long == [], f"split these modules (at most {MAX_LINES} lines)"


def test_no_function_is_over_complexity_20():
    complex_functions = [
        f"{path.relative_to(ROOT.parent)}:{name} ({complexity})"
        for path in modules()
        for name, complexity in too_complex(path.read_text(encoding="utf-8"))
    ]
    assert complex_functions == [], f"split these functions into steps (complexity at most {MAX_COMPLEXITY})"


def test_the_check_sees_a_complex_function_method_and_closure():
    branches = "".join(f"    if x == {n}:\n        return {n}\n" for n in range(MAX_COMPLEXITY))
    simple = "def simple(x):\n    return x\n"
    function = "def branchy(x):\n" + branches
    method = "class Thing:\n" + "\n".join("    " + line for line in function.splitlines()) + "\n"
    closure = "def outer():\n" + "\n".join("    " + line for line in function.splitlines()) + "\n    return branchy\n"
    assert too_complex(simple) == []
    assert too_complex(function) == [("branchy", MAX_COMPLEXITY + 1)]
    assert too_complex(method) == [("Thing.branchy", MAX_COMPLEXITY + 1)]
    assert [name for name, _ in too_complex(closure)] == ["branchy"]
