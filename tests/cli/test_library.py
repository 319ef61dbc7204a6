"""The bundled commitment library: complete, valid, browsable."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = [
    "NX-1", "NX-2", "NX-3", "SS-1", "SS-2", "SS-3", "CB-1", "CB-2", "CB-3", "CB-4", "CB-5",
    "TR-1", "TR-2", "TR-3", "TR-4", "EX-1", "EX-2", "IR-1", "IR-2", "GEN-1",
]  # fmt: skip


def treaty(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


def test_every_catalogue_id_is_listed() -> None:
    res = treaty("commitments", "list", "--format", "json")

    assert res.returncode == 0
    ids = [c["id"] for c in json.loads(res.stdout)]
    assert sorted(ids) == sorted(CATALOGUE)


def test_show_gives_clause_parameters_with_units_and_readable_rules() -> None:
    out = treaty("commitments", "show", "CB-2").stdout

    assert "42 days or more before the start" in out
    assert "notice_days = 42 days" in out
    assert "threshold_flop = 1e+26 operations, strict" in out
    assert "CB-2.R1 [deadline]" in out
    assert "at least <notice_days> days before start" in out


def test_show_json_round_trips_to_the_document() -> None:
    res = treaty("commitments", "show", "NX-1", "--format", "json")

    assert json.loads(res.stdout)["id"] == "NX-1"
    assert treaty("commitments", "show", "ZZ-9").returncode == 2


def test_library_and_examples_validate() -> None:
    res = treaty("validate", "commitments/", "examples/")

    assert res.returncode == 0, res.stderr
    assert "20 commitment(s)" in res.stdout
