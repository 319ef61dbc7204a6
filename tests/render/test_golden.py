"""The demo's outputs, byte for byte, against the golden copies in ``tests/golden/``.

``python tests/golden/regenerate.py`` rewrites them after a deliberate change of output; review
the ``git diff`` before committing. Each command runs in-process from the repository root, with
the library given as ``commitments/`` so that recorded paths do not depend on the install.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from engine.cli import app
from tests.golden.regenerate import COMMANDS, HERE, ROOT

runner = CliRunner()


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_golden(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    res = runner.invoke(app, COMMANDS[name])
    assert res.exit_code in (0, 1), res.output
    expected = (HERE / name).read_bytes()
    got = res.stdout_bytes
    if got != expected:
        out = Path(os.environ.get("GOLDEN_DIFF_DIR", "/tmp")) / f"golden-{name}"
        out.write_bytes(got)
        pytest.fail(f"{name} differs from tests/golden/{name}; got {out} (diff them)")
