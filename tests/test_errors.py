"""The problem codes: the ``ProblemCode`` type, the table in docs/errors.md and the codes the
engine emits are one closed set."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

from engine.errors import ProblemCode

ROOT = Path(__file__).resolve().parents[1]
CODES = set(get_args(ProblemCode))


def _documented() -> list[str]:
    text = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    table = text.split("## Problem codes", 1)[1]
    return re.findall(r"^\| `([a-z0-9-]+)` \|", table, flags=re.M)


def _sources() -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8") for p in sorted((ROOT / "engine").rglob("*.py"))}


def test_the_docs_table_lists_exactly_the_problem_codes() -> None:
    documented = _documented()
    assert len(documented) == len(set(documented)), "a code is documented twice"
    assert set(documented) == CODES


def test_every_code_literal_in_the_engine_is_a_problem_code() -> None:
    used = {
        (path.relative_to(ROOT), code)
        for path, text in _sources().items()
        for code in re.findall(r"\bcode=\"([^\"]*)\"", text)
    }
    assert used, "no code= literal found: the pattern is stale"
    assert {(path, code) for path, code in used if code not in CODES} == set()


def test_every_problem_code_is_emitted_somewhere() -> None:
    """A code no module writes is stale: remove it from the type and the docs."""
    sources = _sources()
    errors = ROOT / "engine" / "errors.py"
    sources[errors] = re.sub(r"ProblemCode = Literal\[.*?\n\]", "", sources[errors], flags=re.S)
    text = "\n".join(sources.values())
    assert {code for code in CODES if f'"{code}"' not in text} == set()
