"""The bad-input corpus: every fixture in tests/invalid/ exits 3 with one line per problem,
naming the file and the fix, and never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = ROOT / "tests" / "invalid"

# fixture -> (words the message must contain, extra CLI arguments)
CASES: dict[str, tuple[list[str], list[str]]] = {
    "malformed_yaml.yaml": (["malformed YAML", ":4:"], []),
    "alias_bomb.yaml": (["alias", "--max-nodes"], []),
    "python_tag.yaml": (["tag", "not allowed", "remove the tag"], []),
    "unknown_field.yaml": (
        ["unknown field 'compute_upper_flopz'", "/records/0/compute_upper_flopz", "spelling"],
        [],
    ),
    "wrong_type.yaml": (
        ["not of type number", "/records/0/compute_upper_flop", "write a number"],
        [],
    ),
    "impossible_date.yaml": (["2027-02-30", "not a valid date", "YYYY-MM-DD"], []),
    "end_before_start.yaml": (["end is before its start", "swap"], []),
    "duplicate_id.yaml": (["run-1", "twice", "unique id"], []),
    "duplicate_key.yaml": (["duplicate key 'id'", "keep one"], []),
    "unknown_commitment.yaml": (["ZZ-9", "not defined", "/commitments/1"], []),
    "empty.yaml": (["empty", "document:"], []),
    "binary.yaml": (["binary", "text file"], []),
    "over_size_limit.yaml": (["MB", "--max-file-mb"], ["--max-file-mb", "0.001"]),
    "naive_timestamp.yaml": (["timezone", "time zone"], []),
    "unknown_kind.yaml": (["unknown record kind 'satellite_launch'", "training_run"], []),
    "no_document_type.yaml": (["no 'document' field", "add 'document:'"], []),
    "malformed_json.json": (["malformed JSON", ":1:"], []),
    "bad_rule_field.yaml": (["computee", "ZZ-1.R1", "compute_upper_flop"], []),
}


def run_validate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "engine.cli.__main__", "validate", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def test_every_fixture_has_a_case() -> None:
    """A new fixture without expectations, or an expectation without its fixture, fails."""
    assert sorted(p.name for p in HERE.iterdir()) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_invalid_fixture_exits_3_with_one_line_per_problem(name: str) -> None:
    words, extra = CASES[name]
    path = Path("tests/invalid") / name
    res = run_validate(str(path), *extra)

    assert res.returncode == 3, res.stdout + res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert lines, "no problem was reported"
    for ln in lines:
        assert ln.startswith(str(path)), f"the line does not start with the file name: {ln}"
        assert ln.rstrip().endswith(")"), f"the line has no '(how to fix)' part: {ln}"
    text = "\n".join(lines)
    for w in words:
        assert w in text, f"{w!r} not in {text!r}"


def test_json_format_lists_problems() -> None:
    """--format json gives machine-readable problems with pointer and fix."""
    import json

    res = run_validate(str(HERE / "unknown_field.yaml"), "--format", "json")

    assert res.returncode == 3
    data = json.loads(res.stdout)
    assert data["valid"] is False
    p = data["problems"][0]
    assert p["pointer"] == "/records/0/compute_upper_flopz"
    assert p["line"] == 11
    assert "spelling" in p["fix"]


def test_several_bad_files_report_every_problem() -> None:
    """Problems in several files are all reported, one line each, in one run."""
    res = run_validate(str(HERE / "unknown_field.yaml"), str(HERE / "wrong_type.yaml"))

    assert res.returncode == 3
    assert len(res.stderr.strip().splitlines()) == 2


def test_usage_error_is_exit_2() -> None:
    """A missing path is a usage error, not invalid input."""
    res = run_validate("does/not/exist.yaml")

    assert res.returncode == 2
    assert "no such file" in res.stderr
    assert "Traceback" not in res.stderr


@pytest.mark.parametrize("name", ["end_before_start.yaml", "naive_timestamp.yaml"])
def test_model_problems_have_the_model_code(name: str) -> None:
    """A document that passes its schema but fails a model check gets the code 'model', one of
    the documented codes, not pydantic's own error type ('value_error', 'timezone_aware')."""
    import json

    res = run_validate(str(HERE / name), "--format", "json")

    assert res.returncode == 3
    assert [p["code"] for p in json.loads(res.stdout)["problems"]] == ["model"]
