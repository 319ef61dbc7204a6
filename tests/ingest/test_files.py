"""Reading input files: a file that cannot be read is a one-line problem, not a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import InputError
from engine.ingest import DEFAULT_LIMITS, load_paths, read_documents


def test_a_file_that_cannot_be_read_is_an_input_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Listed (stat works) but not readable, e.g. without read permission."""
    p = tmp_path / "locked.yaml"
    p.write_text("document: treaty\n", encoding="utf-8")

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(InputError) as exc:
        read_documents(p, "locked.yaml", DEFAULT_LIMITS)
    [problem] = exc.value.problems
    assert problem.render() == "locked.yaml: /: cannot read: Permission denied (check the path)"
    with pytest.raises(InputError):
        load_paths([p])
