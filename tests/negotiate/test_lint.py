"""treaty lint: the bundled library, one fixture per check, the docs, formats and exit codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from engine.cli import app
from engine.ingest import bundled_commitments_dir
from engine.negotiate.lint import (
    CHECKS,
    LintInput,
    capitalised_terms,
    lint,
    lint_paths,
    load_lint_inputs,
    text_figures,
)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parents[1] / "lint_fixtures"
DOCS = ROOT / "docs" / "lint.md"
runner = CliRunner()


def _fixtures() -> list[Path]:
    return sorted(p for p in FIXTURES.iterdir() if re.match(r"te\d{3}_", p.name))


def _code_of(p: Path) -> str:
    return p.name[:5].upper()


def _codes(path: Path) -> set[str]:
    return {f.code for f in lint_paths([path])}


# ------------------------------------------------------------------------------------------
# The bundled library


def test_bundled_library_has_no_lint_errors() -> None:
    findings = lint_paths([bundled_commitments_dir()])
    errors = [f.render() for f in findings if f.severity == "error"]
    assert errors == []


def test_bundled_library_cli_exit_zero() -> None:
    res = runner.invoke(app, ["lint", str(bundled_commitments_dir())])
    assert res.exit_code == 0, res.output
    assert re.search(
        r"lint: 0 error\(s\), \d+ warning\(s\), \d+ info in \d+ commitment\(s\)", res.output
    )


# ------------------------------------------------------------------------------------------
# One fixture per check


@pytest.mark.parametrize("fixture", _fixtures(), ids=lambda p: p.name)
def test_fixture_triggers_its_code(fixture: Path) -> None:
    code = _code_of(fixture)
    findings = lint_paths([fixture])
    assert code in {f.code for f in findings}, [f.render() for f in findings]
    mine = [f for f in findings if f.code == code]
    for f in mine:
        assert f.severity == CHECKS[code].severity
        assert f.message and f.file


def test_every_check_has_a_fixture() -> None:
    covered = {_code_of(p) for p in _fixtures()}
    assert set(CHECKS) <= covered, sorted(set(CHECKS) - covered)


def test_clean_baseline_has_no_findings(tmp_path: Path) -> None:
    # te202 without its one change is the clean baseline all single-file fixtures start from
    text = (FIXTURES / "te202_no_response_deadline.yaml").read_text()
    clean = text.replace(
        "  sanction_available: false", "  response_deadline_days: 30\n  sanction_available: false"
    )
    p = tmp_path / "XA-1.yaml"
    p.write_text(clean)
    assert [f.render() for f in lint_paths([p])] == []


def test_vacuous_fixture_points_at_the_offending_line() -> None:
    path = FIXTURES / "te501_enum_value.yaml"
    lines = path.read_text().splitlines()
    (f,) = [f for f in lint_paths([path]) if f.code == "TE501"]
    assert f.line is not None and "re-export" in lines[f.line - 1]
    assert f.pointer == "/rules/0/trigger/where/all/0"


def test_todo_lines_are_reported_at_their_line() -> None:
    path = FIXTURES / "te900_todo.yaml"
    lines = path.read_text().splitlines()
    found = [f.line for f in lint_paths([path]) if f.code == "TE900"]
    assert found == [n for n, line in enumerate(lines, 1) if "TODO" in line]


def test_compile_error_is_not_duplicated_by_specific_checks() -> None:
    codes = [f.code for f in lint_paths([FIXTURES / "te410_threshold_without_comparison.yaml"])]
    assert "TE410" in codes and "TE001" not in codes
    codes = [f.code for f in lint_paths([FIXTURES / "te501_at_least.yaml"])]
    assert "TE501" in codes and "TE001" not in codes


def test_conflict_witness_and_no_conflict_when_disjoint(tmp_path: Path) -> None:
    fs = [f for f in lint_paths([FIXTURES / "te502_conflict"]) if f.code == "TE502"]
    assert len(fs) == 1
    m = re.search(r"h100e=([\d.]+)", fs[0].message)
    assert m and float(m.group(1)) > 1700  # the witness is above XB-1's cap and XB-2's floor
    # the same two commitments on different directions of trade never meet
    for name in ("treaty.yaml", "XB-1.yaml", "XB-2.yaml"):
        text = (FIXTURES / "te502_conflict" / name).read_text()
        if name == "XB-2.yaml":
            text = text.replace("value: export}", "value: import}")
        (tmp_path / name).write_text(text)
    assert "TE502" not in _codes(tmp_path)


def test_no_conflict_when_the_breach_turns_on_what_the_other_rule_never_reads(
    tmp_path: Path,
) -> None:
    # XB-1 now forbids large exports only to one destination, which XB-2 never looks at: a Party
    # exporting 1,701.7 H100e elsewhere meets both, so the two do not conflict.
    for name in ("treaty.yaml", "XB-1.yaml", "XB-2.yaml"):
        text = (FIXTURES / "te502_conflict" / name).read_text()
        if name == "XB-1.yaml":
            text = text.replace(
                "- when: {field: h100e, op: meets, value: {param: export_cap}}",
                "- when:\n          all:\n            - {field: h100e, op: meets, value: "
                "{param: export_cap}}\n            - {field: counterparty, op: eq, value: ARC}",
            )
            assert "counterparty" in text
        (tmp_path / name).write_text(text)
    assert "TE502" not in _codes(tmp_path)


def test_vacuity_is_sound_on_satisfiable_bounds(tmp_path: Path) -> None:
    text = (FIXTURES / "te501_contradictory_bounds.yaml").read_text()
    p = tmp_path / "XA-1.yaml"
    p.write_text(text.replace("op: lt, value: 1000", "op: lt, value: 5000"))
    assert "TE501" not in _codes(p)


def test_vacuity_on_whole_numbers_and_field_bounds(tmp_path: Path) -> None:
    base = (FIXTURES / "te501_contains_outside_choices.yaml").read_text()
    where = "      where: {field: severity_classes, op: contains, value: catastrophic}"
    assert where in base
    cases = {
        # a count-free whole-number field strictly between 5 and 6 is impossible
        "      where: {all: [{field: oldest_pending_accession_days, op: gt, value: 5}, "
        "{field: oldest_pending_accession_days, op: lt, value: 6}]}": True,
        "      where: {all: [{field: oldest_pending_accession_days, op: gt, value: 5}, "
        "{field: oldest_pending_accession_days, op: lt, value: 7}]}": False,
        # a share is at most 1
        "      where: {field: share_members_in_gp_defence_treaty, op: gt, value: 1}": True,
        "      where: {field: share_members_in_gp_defence_treaty, op: ge, value: 1}": False,
        # cross_border has a default: it is always stated
        "      where: {field: cross_border, op: absent}": True,
        "      where: {field: reported_at, op: absent}": False,
    }
    for i, (replacement, vacuous) in enumerate(cases.items()):
        text = base.replace(where, replacement)
        if "oldest_pending" in replacement or "share_members" in replacement:
            text = (
                text.replace("kind: incident\n", "kind: arrangement\n")
                .replace(
                    "kinds: [transfer, notification, incident]",
                    "kinds: [transfer, notification, arrangement]",
                )
                .replace(
                    "{field: cross_border, op: eq, value: true}",
                    "{field: exclusivity_clause, op: eq, value: true}",
                )
            )
        p = tmp_path / f"case{i}.yaml"
        p.write_text(text)
        codes = _codes(p)
        assert "TE001" not in codes, replacement
        assert ("TE501" in codes) is vacuous, replacement


def test_pillars_and_undefined_in_force_only_for_a_given_treaty() -> None:
    fs = lint_paths([FIXTURES / "te601_missing_pillar"])
    assert [f.message for f in fs if f.code == "TE601"] == [
        "the mission pillar 'transparency' has no commitment"
    ]
    # a single draft read against the bundled library never reports the library's treaty
    assert not {"TE601"} & _codes(FIXTURES / "te302_unused_definition.yaml")


def test_extra_vague_terms(tmp_path: Path) -> None:
    path = FIXTURES / "te202_no_response_deadline.yaml"
    inp: LintInput = load_lint_inputs([path])
    assert "TE301" not in {f.code for f in lint(inp)}
    fs = lint(inp, vague_terms=["working days"])
    assert any(f.code == "TE301" and "'working days'" in f.message for f in fs)


def test_text_heuristics() -> None:
    figs = {
        (f.value, f.unit)
        for f in text_figures(
            "notify 42 days or more before any run above 10^26 operations (10^23 if biological); "
            "three inspections, 90 % of members, 1,700 H100e, not later than 15 December, CB-1"
        )
    }
    assert (42.0, "days") in figs and (1e26, "operations") in figs and (1e23, None) in figs
    assert (3.0, None) in figs and (90.0, "%") in figs and (1700.0, "H100e") in figs
    assert not any(v in (15.0, 1.0) for v, _ in figs)  # no date, no id
    assert capitalised_terms(
        "Each Party shall refer it to the Conference of the Parties, or to a Great Power "
        "and the Joint Compute Board under CB-1."
    ) == ["Great Power", "Joint Compute Board"]


# ------------------------------------------------------------------------------------------
# Docs in step with the code


def _doc_sections() -> dict[str, str]:
    text = DOCS.read_text(encoding="utf-8")
    parts = re.split(r"^## (TE\d{3}) ", text, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def test_docs_list_exactly_the_checks() -> None:
    sections = _doc_sections()
    assert sorted(sections) == sorted(CHECKS)


@pytest.mark.parametrize("code", sorted(CHECKS))
def test_docs_entry_is_complete(code: str) -> None:
    body = _doc_sections()[code]
    heading = body.splitlines()[0]
    assert heading == f"{CHECKS[code].name} ({CHECKS[code].severity})"
    for part in ("**What it means.**", "**Why it matters.**", "**How to fix.**", "**Example.**"):
        assert part in body, f"{code}: {part} missing"


# ------------------------------------------------------------------------------------------
# Formats and exit codes


def test_text_format_and_exit_code_on_errors() -> None:
    path = FIXTURES / "te501_enum_value.yaml"
    res = runner.invoke(app, ["lint", str(path)])
    assert res.exit_code == 1
    first = res.output.splitlines()[0]
    assert re.match(r"^.*te501_enum_value\.yaml:45: TE501 error: ", first), first


def test_warnings_only_exit_zero_unless_fail_on_warning() -> None:
    path = FIXTURES / "te302_unused_definition.yaml"
    assert runner.invoke(app, ["lint", str(path)]).exit_code == 0
    assert runner.invoke(app, ["lint", str(path), "--fail-on", "warning"]).exit_code == 1


def test_invalid_document_exit_three(tmp_path: Path) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text("document: commitment\nid: XA-1\n")
    res = runner.invoke(app, ["lint", str(p)])
    assert res.exit_code == 3
    assert "missing required field 'title'" in res.output


def test_json_format() -> None:
    res = runner.invoke(app, ["lint", str(FIXTURES / "te110_unobservable"), "--format", "json"])
    assert res.exit_code == 1
    data = json.loads(res.output)
    assert data["format"] == "treaty-engine.lint/v1"
    (f,) = [f for f in data["findings"] if f["code"] == "TE110"]
    assert f["severity"] == "error" and f["commitment"] == "XA-1"
    assert f["pointer"] == "/rules/0/fulfil/kind" and isinstance(f["line"], int)
    assert data["summary"]["error"] >= 1


def test_sarif_format() -> None:
    res = runner.invoke(
        app, ["lint", str(FIXTURES / "te203_no_sanction.yaml"), "--format", "sarif"]
    )
    assert res.exit_code == 0
    sarif = json.loads(res.stdout)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(CHECKS)
    (result,) = run["results"]
    assert result["ruleId"] == "TE203" and result["level"] == "note"
    assert rules[result["ruleIndex"]]["id"] == "TE203"
    loc = result["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"].endswith("te203_no_sanction.yaml")
    assert loc["region"]["startLine"] >= 1


def test_output_file(tmp_path: Path) -> None:
    out = tmp_path / "lint.json"
    res = runner.invoke(
        app,
        [
            "lint",
            str(FIXTURES / "te120_no_reporting_deadline.yaml"),
            "--format",
            "json",
            "-o",
            str(out),
        ],
    )
    assert res.exit_code == 0
    assert json.loads(out.read_text())["findings"][0]["code"] == "TE120"
