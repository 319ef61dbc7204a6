"""The library API (``engine.ingest``, ``check``, ``report``, ``lint``, ``whatif``): what the README
shows works, and it gives what the command line gives."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from click.testing import Result

import engine
from engine.errors import InputError, UsageError
from tests.conftest import EXAMPLES, ROOT

AS_OF = date(2029, 6, 30)


@pytest.fixture(scope="module")
def bundle() -> object:
    return engine.load([EXAMPLES])


def test_public_names() -> None:
    assert set(engine.__all__) == {"__version__", "load", "check", "report", "lint", "whatif"}


def test_check_equals_the_command_line(bundle: object, treaty: Callable[..., Result]) -> None:
    doc = engine.check(bundle, as_of=AS_OF)  # type: ignore[arg-type]
    res = treaty("check", "examples/", "--as-of", "2029-06-30", "--format", "json")
    assert res.exit_code == 1
    assert doc.model_dump(mode="json") == json.loads(res.stdout)
    assert (doc.summary.breach, doc.summary.gap) == (18, 63)


def test_check_takes_paths_and_records_filters() -> None:
    doc = engine.check([EXAMPLES], as_of=AS_OF, parties=["ARC"], statuses=["breach"])
    assert {f.party for f in doc.findings} == {"ARC"}
    assert {f.status for f in doc.findings} == {"breach"}
    assert doc.filters == {"party": ["ARC"], "status": ["breach"]}


def test_report_renders_every_format(bundle: object, treaty: Callable[..., Result]) -> None:
    html = engine.report(bundle, as_of=AS_OF, format="html")  # type: ignore[arg-type]
    assert html.startswith("<!DOCTYPE html>")
    md = engine.report(bundle, as_of=AS_OF, format="md")  # type: ignore[arg-type]
    res = treaty("report", "examples/", "--as-of", "2029-06-30", "--format", "md")
    assert md == res.stdout
    with pytest.raises(ValueError, match="unknown format"):
        engine.report(bundle, as_of=AS_OF, format="pdf")  # type: ignore[arg-type]


def test_lint_and_whatif() -> None:
    report = engine.lint([ROOT / "commitments"])
    assert report.commitments == 20 and report.counts()["error"] == 0
    result = engine.whatif([EXAMPLES], draft=ROOT / "tests/golden/draft", as_of=AS_OF)
    assert [(c.kind, c.party, c.subject) for c in result.changes] == [
        ("new_breach", "ARC", "run-ARC-selene")
    ]


def test_errors_are_exceptions_not_exits(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        engine.load([tmp_path / "nowhere"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("document: report\nid: r1\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        engine.load([EXAMPLES, bad])
    assert all(p.file.endswith("bad.yaml") for p in info.value.problems)
