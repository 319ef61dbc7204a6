"""`treaty check` end to end on the bundled library and the example reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2029-06-30"


def check(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", "check", "examples/", "--as-of", AS_OF, *args],
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=600,
    )


def test_examples_give_all_four_statuses_each_explained() -> None:
    res = check("--format", "json")

    assert res.returncode == 1  # the demo holds breaches on purpose
    doc = json.loads(res.stdout)
    statuses = {f["status"] for f in doc["findings"]}
    assert statuses == {"breach", "gap", "compliant", "not_applicable"}
    assert all(f["explanation"]["summary"].strip() for f in doc["findings"])
    assert all(f["explanation"]["clause"].strip() for f in doc["findings"])
    assert doc["as_of"] == AS_OF


def test_json_output_validates_against_the_published_schema() -> None:
    doc = json.loads(check("--format", "json").stdout)
    schema = json.loads((ROOT / "schemas" / "findings.schema.json").read_text(encoding="utf-8"))

    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(doc)
    assert {i["path"] for i in doc["inputs"]} >= {"examples/treaty-state.yaml"}
    assert all(len(i["sha256"]) == 64 for i in doc["inputs"])


def test_output_is_byte_identical_across_hash_seeds_and_jobs() -> None:
    """Same inputs and as-of date: same bytes, whatever the hash seed or the process count."""
    a = check("--format", "json", env={"PYTHONHASHSEED": "1"})
    b = check("--format", "json", env={"PYTHONHASHSEED": "4242"})
    c = check("--format", "json", "--jobs", "2", env={"PYTHONHASHSEED": "7"})
    t1 = check(env={"PYTHONHASHSEED": "3"})
    t2 = check(env={"PYTHONHASHSEED": "99"})

    assert a.stdout == b.stdout == c.stdout
    assert t1.stdout == t2.stdout


def test_text_groups_by_party_and_ends_with_a_summary() -> None:
    out = check("--party", "ARC", "--commitment", "CB-2").stdout.decode()

    assert out.startswith(f"treaty check: as of {AS_OF}")
    assert "ARC  Arcadia" in out
    assert "would comply if the notification had been made by 2028-01-19" in out
    assert out.rstrip().splitlines()[-1].startswith("Summary: 1 breach")


def test_filters_and_fail_on_gap_set_the_exit_code() -> None:
    only_ok = check("--status", "compliant", "--format", "json")
    gaps = check("--party", "FAL", "--commitment", "NX-1", "--fail-on", "gap")
    no_gap_fail = check("--party", "FAL", "--commitment", "NX-1")

    assert only_ok.returncode == 0
    assert {f["status"] for f in json.loads(only_ok.stdout)["findings"]} == {"compliant"}
    assert b"GAP" in gaps.stdout
    assert gaps.returncode == 1
    assert no_gap_fail.returncode == 0


def test_output_file_is_written_atomically_and_bad_usage_is_exit_2(tmp_path: Path) -> None:
    out = tmp_path / "findings.json"
    out.write_text("previous")
    res = check("--format", "json", "--output", str(out))

    assert res.returncode == 1
    assert json.loads(out.read_text())["document"] == "findings"
    assert not list(tmp_path.glob(".findings.json.*"))  # no temporary file left behind
    bad = check("--as-of", "2029-02-30")
    assert bad.returncode == 2
    assert b"Traceback" not in bad.stderr
