"""treaty new commitment: a valid scaffold whose TODOs lint reports, and a round trip."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from engine.cli import app
from engine.ingest import load_paths, load_yaml_text
from engine.model.commitment import Commitment
from engine.negotiate.lint import lint_paths
from engine.negotiate.scaffold import CATEGORIES, scaffold_commitment, todo_lines
from engine.rules.compile import compile_program

runner = CliRunner()
SECTIONS = (
    "id",
    "title",
    "category",
    "modality",
    "severity",
    "text",
    "parameters",
    "definitions",
    "applicability",
    "verification",
    "enforcement",
    "rules",
    "machine_checkable",
    "notes",
)


def _fill(value: Any) -> Any:
    """Replace every TODO placeholder string (and TODO key) the way a negotiator would."""
    if isinstance(value, dict):
        return {(_fill(k) if isinstance(k, str) else k): _fill(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v) for v in value]
    if isinstance(value, str) and "TODO" in value:
        return "hotline report"
    return value


def _fill_text(text: str) -> str:
    """The scaffold with its values filled in and every TODO comment deleted."""
    data = _fill(load_yaml_text(text))
    data["text"][0]["text"] = (
        "Each Party shall notify all Parties of a hotline report within 14 days of becoming "
        "aware of an incident."
    )
    out = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    assert "TODO" not in out
    return out


def test_scaffold_has_every_section_with_a_comment() -> None:
    text = scaffold_commitment("CB-6")
    lines = text.splitlines()
    for section in SECTIONS:
        idx = next(i for i, ln in enumerate(lines) if ln.startswith(f"{section}:"))
        assert lines[idx - 1].startswith("#"), f"no comment above {section}"
    data = load_yaml_text(text)
    assert [k for k in data if k != "document"] == list(SECTIONS)


def test_scaffold_is_valid_and_lint_reports_each_todo(tmp_path: Path) -> None:
    text = scaffold_commitment("CB-6")
    p = tmp_path / "CB-6.yaml"
    p.write_text(text)
    bundle = load_paths([p])  # schema and model validation
    c = bundle.commitments["CB-6"]
    compile_program([c], None, date(2028, 1, 1))
    findings = lint_paths([p])
    todo = [f.line for f in findings if f.code == "TE900"]
    assert todo == todo_lines(text)
    assert len(todo) >= 20
    assert all(f.severity == "error" for f in findings if f.code == "TE900")


def test_round_trip_after_filling_the_todos(tmp_path: Path) -> None:
    filled = _fill_text(scaffold_commitment("CB-6", title="Incident hotline"))
    p = tmp_path / "CB-6.yaml"
    p.write_text(filled)
    bundle = load_paths([p])
    c = bundle.commitments["CB-6"]
    assert isinstance(c, Commitment) and c.title == "Incident hotline"
    assert c.rules[0].id == "CB-6.R1"
    compile_program([c], None, date(2028, 1, 1))
    findings = lint_paths([p])
    assert not [f.render() for f in findings if f.severity == "error"]
    assert "TE900" not in {f.code for f in findings}


@pytest.mark.parametrize("cid", ["TR-12a", "EXPO-7", "NX-1"])
def test_ids_and_categories(cid: str) -> None:
    for cat in CATEGORIES:
        text = scaffold_commitment(cid, category=cat)
        data = load_yaml_text(text)
        assert data["id"] == cid and data["category"] == cat
        assert data["rules"][0]["id"] == f"{cid}.R1"
        assert not re.search(r"^category: .*TODO", text, re.M)  # a chosen category is final


def test_bad_id_and_category() -> None:
    with pytest.raises(ValueError, match="not a commitment id"):
        scaffold_commitment("cb6")
    with pytest.raises(ValueError, match="category"):
        scaffold_commitment("CB-6", category="military")


def test_title_is_quoted_safely() -> None:
    data = load_yaml_text(scaffold_commitment("CB-6", title='The "hotline": 24/7 \\ line'))
    assert data["title"] == 'The "hotline": 24/7 \\ line'


def test_cli_stdout_and_output_file(tmp_path: Path) -> None:
    res = runner.invoke(app, ["new", "commitment", "CB-6"])
    assert res.exit_code == 0 and res.stdout == scaffold_commitment("CB-6")
    out = tmp_path / "drafts" / "CB-6.yaml"
    res = runner.invoke(app, ["new", "commitment", "CB-6", "--output", str(out)])
    assert res.exit_code == 0, res.output
    assert out.read_text() == scaffold_commitment("CB-6")
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".tmp")]


def test_cli_never_overwrites_without_force(tmp_path: Path) -> None:
    out = tmp_path / "CB-6.yaml"
    out.write_text("my work\n")
    res = runner.invoke(app, ["new", "commitment", "CB-6", "-o", str(out)])
    assert res.exit_code == 2 and "--force" in res.output
    assert out.read_text() == "my work\n"
    res = runner.invoke(app, ["new", "commitment", "CB-6", "-o", str(out), "--force"])
    assert res.exit_code == 0 and out.read_text() == scaffold_commitment("CB-6")


def test_cli_usage_errors(tmp_path: Path) -> None:
    assert runner.invoke(app, ["new", "commitment", "cb-6"]).exit_code == 2
    assert runner.invoke(app, ["new", "commitment", "CB-6", "--category", "x"]).exit_code == 2
    assert runner.invoke(app, ["new", "commitment", "CB-6", "-o", str(tmp_path)]).exit_code == 2
