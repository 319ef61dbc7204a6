"""The rules layer as a package: what it exports, what importing it loads, and its documented
examples."""

from __future__ import annotations

import doctest
import subprocess
import sys

import engine.rules
import engine.rules.compile
import engine.rules.time


def test_importing_the_layer_and_compiling_load_no_rules_engine() -> None:
    code = (
        "import sys, engine.rules, engine.rules.compile\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0].startswith('durable'))\n"
        "print(loaded)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_every_exported_name_is_there_and_compile_keeps_its_importers_names() -> None:
    for name in engine.rules.__all__:
        assert getattr(engine.rules, name) is not None, name
    # the evaluator, lint, the CLI and the tests import these from engine.rules.compile
    for name in engine.rules.compile.__all__:
        assert getattr(engine.rules.compile, name) is getattr(engine.rules, name), name


def test_the_calendar_examples_in_the_docs_hold() -> None:
    result = doctest.testmod(engine.rules.time)
    assert result.attempted >= 3
    assert result.failed == 0
