"""The format registry: every command finds its formats there, and a new format is one entry."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from engine.cli import app
from engine.model.findings import FindingsDocument, Summary
from engine.model.lint import LintFinding, LintReport
from engine.negotiate.lint import lint_paths
from engine.render import registry
from engine.render.context import ReportContext, context_from_document
from engine.render.registry import Format, format_for_path, names, plan_outputs
from tests.render.test_reports import official_sarif_schema

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_every_format_once_with_its_extensions() -> None:
    assert names() == ("text", "json", "md", "html", "csv", "sarif", "junit")
    extensions = [ext for f in registry.FORMATS for ext in f.extensions]
    assert len(extensions) == len(set(extensions))
    for f in registry.FORMATS:
        for ext in f.extensions:
            assert format_for_path(f"out/report{ext.upper()}") == f.name


def test_what_each_command_may_ask_for() -> None:
    assert names("stream") == ("text", "json")
    assert names("lint") == ("text", "json", "sarif")
    assert names("verify") == ("text", "json")


def test_a_format_without_a_renderer_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="'pdf'.*text, json, md"):
        registry.get("pdf")
    with pytest.raises(ValueError, match="text, json, sarif"):
        registry.render_lint("md", LintReport([], 0))
    with pytest.raises(ValueError, match="text, json$"):
        registry.stream_of("html")


def _tsv(ctx: ReportContext) -> str:
    """A format a newcomer might add: one line per finding, tab separated."""
    rows = ["party\tcommitment\tstatus"]
    rows += [f"{f.party}\t{f.commitment}\t{f.status}" for f in ctx.doc.findings]
    return "\n".join(rows) + "\n"


def test_a_new_format_is_one_registry_entry(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With only a renderer and an entry in FORMATS, `treaty report` offers, infers and writes it."""
    monkeypatch.setattr(registry, "FORMATS", (*registry.FORMATS, Format("tsv", (".tsv",), _tsv)))
    assert "tsv" in names() and format_for_path("a.tsv") == "tsv"
    assert plan_outputs([], [tmp_path / "a.tsv"]) == [("tsv", tmp_path / "a.tsv")]

    monkeypatch.chdir(ROOT)
    out = tmp_path / "findings.tsv"
    args = ["report", "examples/", "--as-of", "2029-06-30", "--party", "ARC", "-o", str(out)]
    res = runner.invoke(app, args)
    assert res.exit_code in (0, 1), res.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "party\tcommitment\tstatus"
    assert len(lines) > 1 and all(line.startswith("ARC\t") for line in lines[1:])


def test_lint_sarif_and_findings_sarif_are_both_valid_sarif() -> None:
    """One SARIF builder serves both; each log validates against the official schema."""
    validator = jsonschema.Draft4Validator(official_sarif_schema())
    lint_log = json.loads(
        registry.render_lint("sarif", LintReport(lint_paths([ROOT / "commitments"]), 0))
    )
    placed = LintFinding("TE101", "a TODO is left", "a b/c.yaml", line=3, pointer="/rules")
    one = json.loads(registry.render_lint("sarif", LintReport([placed], 1)))
    doc = FindingsDocument(
        engine_version="0",
        as_of=date(2029, 6, 30),
        run_id="r",
        inputs=[],
        summary=Summary(),
        findings=[],
    )
    findings_log = json.loads(registry.render_report("sarif", context_from_document(doc)))
    for log in (lint_log, one, findings_log):
        errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(log)]
        assert not errors, errors[:5]
    (result,) = one["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 3}
    assert result["properties"] == {"commitment": None, "pointer": "/rules"}
