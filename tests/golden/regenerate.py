"""Regenerate the golden outputs of the demo: ``python tests/golden/regenerate.py``.

Each entry of ``COMMANDS`` is a ``treaty`` command line run from the repository root with the
library given as ``commitments/`` (so recorded paths are relative and the bytes do not depend
on where the package is installed). ``tests/test_golden.py`` runs the same commands and compares
byte for byte. After a deliberate change of output, regenerate and review ``git diff``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
AS_OF = ["--as-of", "2029-06-30"]
LIB = ["--commitments", "commitments/"]

COMMANDS: dict[str, list[str]] = {
    "check.txt": ["check", "examples/", *AS_OF, *LIB],
    "check.json": ["check", "examples/", *AS_OF, *LIB, "--format", "json"],
    "check-breach-ARC.txt": [
        "check",
        "examples/",
        *AS_OF,
        *LIB,
        "--party",
        "ARC",
        "--status",
        "breach",
    ],
    **{
        f"report.{fmt}": ["report", "examples/", *AS_OF, *LIB, "--format", fmt]
        for fmt in ("text", "json", "md", "html", "csv", "sarif", "junit")
    },
    "report-trend.md": [
        "report",
        "examples/",
        "--as-of",
        "2028-06-30",
        "--as-of",
        "2029-06-30",
        *LIB,
        "--format",
        "md",
    ],
    "report-trend.html": [
        "report",
        "examples/",
        "--as-of",
        "2028-06-30",
        "--as-of",
        "2029-06-30",
        *LIB,
        "--format",
        "html",
    ],
    "report-baseline.md": [
        "report",
        "examples/",
        *AS_OF,
        *LIB,
        "--format",
        "md",
        "--baseline",
        "tests/golden/baseline-2028-12-31.json",
    ],
    "lint.txt": ["lint", "commitments/"],
    "lint.json": ["lint", "commitments/", "--format", "json"],
    "lint.sarif": ["lint", "commitments/", "--format", "sarif"],
    "whatif.txt": [
        "whatif",
        "--base",
        "commitments/",
        "--draft",
        "tests/golden/draft/",
        "examples/",
        *AS_OF,
    ],
    "whatif.json": [
        "whatif",
        "--base",
        "commitments/",
        "--draft",
        "tests/golden/draft/",
        "examples/",
        *AS_OF,
        "--format",
        "json",
    ],
    "whatif-sweep.txt": [
        "whatif",
        "--base",
        "commitments/",
        "--set",
        "CB-2.notice_days=30,42,60",
        "examples/",
        *AS_OF,
    ],
    "diff.txt": ["diff", "commitments/", "tests/golden/draft/"],
    "diff.json": ["diff", "commitments/", "tests/golden/draft/", "--format", "json"],
    "commitments-show-CB-2.txt": ["commitments", "show", "CB-2"],
    "commitments-list.txt": ["commitments", "list"],
}
"""Golden file name -> arguments of ``treaty``."""

SETUP: dict[str, list[str]] = {
    "baseline-2028-12-31.json": [
        "report",
        "examples/",
        "--as-of",
        "2028-12-31",
        *LIB,
        "--format",
        "json",
    ],
}
"""Inputs other commands read, made first."""


def run(args: list[str]) -> tuple[int, bytes]:
    """Run ``treaty ARGS`` from the repository root; (exit code, stdout bytes)."""
    proc = subprocess.run(
        [sys.executable, "-m", "engine.cli", *args], cwd=ROOT, capture_output=True, check=False
    )
    return proc.returncode, proc.stdout


def main() -> None:
    for name, args in {**SETUP, **COMMANDS}.items():
        code, out = run(args)
        if code not in (0, 1):
            raise SystemExit(f"{name}: treaty {' '.join(args)} exited {code}")
        (HERE / name).write_bytes(out)
        print(f"{name}: exit {code}, {len(out)} bytes")


if __name__ == "__main__":
    main()
