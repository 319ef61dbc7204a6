"""The compiler's output is unchanged: the bundled library compiles to the very definition, atoms,
joins and rule plans recorded in ``snapshots/compiled.json``, and mutated rules give the same
programs or the same ``CompileError`` (pointer, message and fix). The snapshot was made by the
compiler before it was split into modules (``tests/rules/compile_corpus.py`` says how)."""

from __future__ import annotations

import json
from itertools import islice
from typing import Any

import pytest

from tests.rules.compile_corpus import (
    AS_OF,
    SNAPSHOT,
    Group,
    digest,
    library_json,
    matrix_groups,
    mutation_groups,
    run_group,
)

STRIDE = 16
"""The default run checks every STRIDE-th group of mutations and of the matrix; ``-m slow`` all."""


@pytest.fixture(scope="module")
def snapshot() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    return data


def test_the_library_compiles_to_the_recorded_program(snapshot: dict[str, Any]) -> None:
    library = json.loads(json.dumps(library_json()))  # tuples as lists, as in the file
    full = AS_OF[-1].isoformat()
    for part, want in snapshot["library"].items():
        assert library[full][part] == want, part
    assert library[full].keys() == snapshot["library"].keys()
    for day, want in snapshot["library_digests"].items():
        assert digest([("", library[day])]) == want, day


def _check(
    snapshot: dict[str, Any], name: str, groups: list[Group], messages: set[tuple[str, str]]
) -> None:
    want = snapshot[name]
    differ = []
    for key, cases in groups:
        results = run_group(cases)
        messages.update(
            (r[4], r[5]) for _, r in results if isinstance(r, list) and r[0] == "CompileError"
        )
        if digest(results) != want[key]:
            differ.append(key)
    assert not differ, f"{len(differ)} groups compile differently, e.g. {differ[:5]}"


@pytest.mark.parametrize("name", ["mutations", "matrix"])
def test_a_sample_of_rules_compiles_as_before(snapshot: dict[str, Any], name: str) -> None:
    groups = mutation_groups() if name == "mutations" else matrix_groups()
    sample = list(islice(groups, 0, None, STRIDE))
    assert len(sample) >= len(snapshot[name]) // STRIDE
    messages: set[tuple[str, str]] = set()
    _check(snapshot, name, sample, messages)
    assert messages <= {tuple(m) for m in snapshot["messages"]}


@pytest.mark.slow
def test_every_rule_of_the_corpus_compiles_as_before(snapshot: dict[str, Any]) -> None:
    messages: set[tuple[str, str]] = set()
    mutations, matrix = list(mutation_groups()), list(matrix_groups())
    assert sorted(k for k, _ in mutations) == sorted(snapshot["mutations"])
    assert sorted(k for k, _ in matrix) == sorted(snapshot["matrix"])
    _check(snapshot, "mutations", mutations, messages)
    _check(snapshot, "matrix", matrix, messages)
    assert sorted(messages) == [tuple(m) for m in snapshot["messages"]]
