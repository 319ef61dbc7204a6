"""Fixtures shared by the whole suite: where things are, how to run ``treaty``, the demo.

* ``ROOT``, ``EXAMPLES``, ``LIBRARY``, ``DEMO_AS_OF``: paths and the demo's as-of date, also
  importable as constants (``from tests.conftest import ROOT``).
* ``treaty`` (fixture): run the command line in-process, from the repository root, and get its
  exit code and output (a typer ``CliRunner`` result).
* ``treaty_subprocess`` (fixture): run ``python -m engine.cli`` in a child process, for what only
  a real process shows (exit codes through ``main``, stderr, signals, environment).
* ``demo`` (fixture, once per session): the bundled library and the example reports loaded and
  validated, ready for ``engine.explain.evaluate_reports``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
LIBRARY = ROOT / "commitments"
DEMO_AS_OF = date(2029, 6, 30)


@pytest.fixture
def treaty(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """``treaty(*args)``: the CLI in-process, from the repository root."""
    from engine.cli import app

    monkeypatch.chdir(ROOT)
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(app, list(args))

    return run


@pytest.fixture
def treaty_subprocess() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``treaty_subprocess(*args, env=..., cwd=...)``: the CLI in a child process."""

    def run(
        *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "engine.cli", *args],
            capture_output=True,
            text=True,
            cwd=cwd or ROOT,
            env={**os.environ, **(env or {})},
            timeout=600,
            check=False,
        )

    return run


@dataclass(frozen=True)
class Demo:
    """The demo's inputs, validated: what ``treaty check examples/`` evaluates."""

    treaty: Any
    commitments: Mapping[str, Any]
    reports: Sequence[tuple[Any, Mapping[str, str], str]]
    as_of: date = DEMO_AS_OF


@pytest.fixture(scope="session")
def demo() -> Demo:
    """The bundled library and the example reports, loaded once for the session."""
    from engine.ingest import load_paths, settle_origins

    library = load_paths([LIBRARY])
    given = load_paths([EXAMPLES])
    assert given.treaty is not None and given.treaty.parties  # the demo's own treaty state
    settle_origins(given, given.treaty.key_registry)  # signatures verified, as 'treaty check'
    items = [(r.report, r.record_hashes, r.path) for r in given.reports]
    return Demo(given.treaty, dict(library.commitments), items)
