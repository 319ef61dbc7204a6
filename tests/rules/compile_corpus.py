"""What the rule compiler produces on a fixed corpus, written as JSON for a snapshot test.

The compiler's output is the contract between ``engine.rules`` and the evaluator: the durable_rules
definition (its text, key order included: the ruleset is named by its digest), the atoms, the joins
and each compiled rule's plan. A refactoring of the compiler must leave all of it, and every
``CompileError`` (pointer, message, fix), unchanged. This module computes that output on:

* ``library``: the bundled library (``commitments/`` and its ``treaty.yaml``), compiled as one
  program on a few dates, in full;
* ``mutations``: each bundled rule mutated one place at a time (an operator, a field, a value, a
  kind, a parameter), each commitment compiled alone: a digest of the output, or the error;
* ``matrix``: one comparison on a field of each type, with every operator and many values, in
  the subject's condition and in a counted record's condition.

Regenerate the snapshot only from code whose output is known to be right::

    python -m tests.rules.compile_corpus --write
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import sys
import typing
from collections.abc import Callable, Iterator
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from engine.errors import CompileError
from engine.ingest import load_yaml_text
from engine.model.commitment import Commitment, TreatyState
from engine.model.records import RECORD_MODELS
from engine.model.rules import CompareOp
from engine.rules.compile import Program, compile_program

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "commitments"
SNAPSHOT = Path(__file__).resolve().parent / "snapshots" / "compiled.json"
AS_OF = (date(2000, 1, 1), date(2028, 12, 31), date(2029, 6, 30))
MUTATION_DAY = date(2028, 12, 31)

OPS: tuple[str, ...] = typing.get_args(CompareOp)
ARITH_OPS = ("add", "sub", "mul", "div", "abs", "min", "max", "coalesce", "count_distinct")
VIRTUAL = ("party_entry_into_force", "reported_by", "evidence_levels")
NOT_NAMES = frozenset(
    {"id", "clause", "description", "explain", "label", "type", "status", "flags", "unit"}
    | {"direction", "corroboration", "every", "op", "param"}
)
"""Keys whose string values are not field or kind names (``op`` and ``param`` are mutated on
their own)."""


# ------------------------------------------------------------------------------------------
# The output of the compiler as plain JSON


def _plain(x: Any) -> Any:
    """JSON-ready form of compiler output: dataclasses field by field, models as their data,
    sets sorted, tuples as lists."""
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {f.name: _plain(getattr(x, f.name)) for f in dataclasses.fields(x)}
    if isinstance(x, BaseModel):
        return x.model_dump(mode="json", by_alias=True)
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_plain(v) for v in x]
    if isinstance(x, set | frozenset):
        return sorted(_plain(v) for v in x)
    if isinstance(x, date):
        return x.isoformat()
    return x


def program_json(program: Program) -> dict[str, Any]:
    """Everything a program holds; rules name their commitment and rule by id (and must be the
    very objects compiled)."""
    rules = []
    for cr in program.rules:
        assert any(r is cr.rule for r in cr.commitment.rules)
        plain = {
            f.name: _plain(getattr(cr, f.name))
            for f in dataclasses.fields(cr)
            if f.name not in ("rule", "commitment")
        }
        rules.append({"rule": cr.rule.id, "commitment": cr.commitment.id, **plain})
    return {
        # the text in durable_rules' key order (the ruleset's name is its digest)
        "definition_sha256": hashlib.sha256(json.dumps(program.definition).encode()).hexdigest(),
        "definition": program.definition,
        "atoms": _plain(program.atoms),
        "kinds": sorted(program.kinds),
        "as_of": program.as_of.isoformat(),
        "join_checks": _plain(program.join_checks),
        "left_refs": _plain(program.left_refs),
        "join_kinds": _plain(program.join_kinds),
        "elements": _plain(program.elements),
        "virtual_matched": _plain(program.virtual_matched),
        "rules": rules,
    }


def outcome(commitments: list[Commitment], treaty: TreatyState | None, day: date) -> Any:
    """A digest of the compiled program, or the error (any exception is recorded, not raised)."""
    try:
        program = compile_program(commitments, treaty, day)
    except CompileError as e:
        return ["CompileError", e.commitment, e.rule, e.pointer, e.message, e.fix]
    except Exception as e:  # recorded: a crash must stay visible, and the same
        return ["crash", type(e).__name__, str(e)]
    text = json.dumps(program_json(program), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# ------------------------------------------------------------------------------------------
# The bundled library


def _raw_library() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    treaty = load_yaml_text((LIBRARY / "treaty.yaml").read_text(encoding="utf-8"))
    docs = {
        p.stem: load_yaml_text(p.read_text(encoding="utf-8"), p.name)
        for p in sorted(LIBRARY.glob("*.yaml"))
        if p.name != "treaty.yaml"
    }
    return [docs[cid] for cid in treaty["commitments"]], treaty


def library_json() -> dict[str, Any]:
    """The whole library compiled as one program, in the treaty's order, on each of ``AS_OF``."""
    raw, raw_treaty = _raw_library()
    treaty = TreatyState.model_validate(raw_treaty)
    commitments = [Commitment.model_validate(c) for c in raw]
    return {d.isoformat(): program_json(compile_program(commitments, treaty, d)) for d in AS_OF}


# ------------------------------------------------------------------------------------------
# One-place mutations of the bundled rules


def _fields_by_type(kind: str) -> list[str]:
    """One field per annotation of a record kind (the first by name), read from the model."""
    seen: dict[str, str] = {}
    for name, info in sorted(RECORD_MODELS[kind].model_fields.items()):
        if name not in ("kind", "note"):
            seen.setdefault(repr(info.annotation), name)
    return sorted(seen.values())


def _kinds_in(x: Any) -> set[str]:
    if isinstance(x, dict):
        out = {x["kind"]} if isinstance(x.get("kind"), str) else set()
        for v in x.values():
            out |= _kinds_in(v)
        return out
    if isinstance(x, list):
        return set().union(*(_kinds_in(v) for v in x)) if x else set()
    return set()


def _field_candidates(rule: dict[str, Any]) -> list[str]:
    names = {"id", "nope", *VIRTUAL, *rule.get("derive", {})}
    for kind in _kinds_in(rule):
        if kind in RECORD_MODELS:
            names.update(_fields_by_type(kind))
    return sorted(names)


def _param_candidates(doc: dict[str, Any], treaty: dict[str, Any]) -> list[dict[str, str]]:
    names = {"nope", *doc.get("parameters", {}), *treaty.get("parameters", {})}
    return [{"param": n} for n in sorted(names)]


VALUES: tuple[Any, ...] = (
    1,
    2.5,
    -3,
    True,
    False,
    "text",
    "2028-01-01",
    "2028-01-01T12:00:00Z",
    "2028-01-01T12:00:00",
    "2028-13-45",
    ["a", "b"],
    [],
    ["2028-01-01"],
    {"op": "add", "args": [1, 2]},
    {"op": "abs", "args": [1]},
)


def _paths(x: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    yield path, x
    if isinstance(x, dict):
        for k, v in x.items():
            yield from _paths(v, (*path, k))
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from _paths(v, (*path, i))


def _get(x: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        x = x[p]
    return x


def _rule_mutations(
    rule: dict[str, Any], params: list[dict[str, str]]
) -> Iterator[tuple[str, tuple[Any, ...], Any]]:
    """(label, path inside the rule, new value); a new value of ``_RENAME`` renames a key."""
    fields = _field_candidates(rule)
    kinds = [*sorted(RECORD_MODELS), "nope"]
    for path, node in list(_paths(rule)):
        where = "/".join(map(str, path))
        if isinstance(node, dict) and "field" in node and "op" in node:  # a comparison
            for op in OPS:
                new = {k: v for k, v in node.items() if k != "value"}
                new["op"] = op
                if op in ("meets", "below"):
                    for p in params:
                        yield f"{where} op={op} {p['param']}", path, {**new, "value": p}
                elif op not in ("exists", "absent"):
                    new["value"] = node.get("value", 1)
                yield f"{where} op={op}", path, new
            for f in fields:
                yield f"{where} field={f}", path, {**node, "field": f}
            if node["op"] not in ("exists", "absent", "meets", "below"):
                for i, v in enumerate([*VALUES, *params, *({"field": f} for f in fields)]):
                    yield f"{where} value#{i}", path, {**node, "value": v}
        elif isinstance(node, dict) and node.get("op") in ARITH_OPS and "args" in node:
            for op in ARITH_OPS:
                yield f"{where} arith={op}", path, {**node, "op": op}
            for i, args in enumerate(
                [[1, 2], [True], ["x"], [{"param": "nope"}], [{"field": "nope"}]]
                + [[{"field": f}, 1] for f in fields]
            ):
                yield f"{where} args#{i}", path, {**node, "args": args}
        elif isinstance(node, dict) and path and path[-1] in ("match", "same", "contains"):
            for key in sorted(node):
                for f in fields:
                    yield (
                        f"{where} key {key}->{f}",
                        path,
                        {(f if k == key else k): v for k, v in node.items()},
                    )
            yield f"{where} empty", path, {}
        elif isinstance(node, str) and path and path[-1] not in NOT_NAMES:
            if len(path) >= 2 and path[-2] in ("clause", "description"):
                continue
            candidates = kinds if path[-1] == "kind" else fields
            for c in candidates:
                if c != node:
                    yield f"{where}={c}", path, c
        elif isinstance(node, int) and not isinstance(node, bool) and path:
            if path[-1] in ("at_least", "value", "amount", "months"):
                for v in (0, 1, 7, 1000):
                    yield f"{where}={v}", path, v
                if path[-1] != "at_least":
                    for p in params:
                        yield f"{where}={p['param']}", path, p
        elif isinstance(node, dict) and set(node) == {"param"}:
            for p in params:
                if p != node:
                    yield f"{where}={p['param']}", path, p


Group = tuple[str, list[tuple[str, Callable[[], Any]]]]
"""A group of cases checked together: its name and (label, thunk giving the outcome) pairs."""


def _mutated(doc: dict[str, Any], i: int, path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """``doc`` with ``value`` at ``path`` of its i-th rule (only that rule is copied)."""
    rules = list(doc["rules"])
    if path:
        rules[i] = copy.deepcopy(rules[i])
        _get(rules[i], path[:-1])[path[-1]] = value
    else:
        rules[i] = value
    return {**doc, "rules": rules}


def _judge(doc: dict[str, Any], treaty: TreatyState | None) -> Any:
    try:
        c = Commitment.model_validate(doc)
    except ValidationError:
        return "invalid"
    return outcome([c], treaty, MUTATION_DAY)


def _judge_mutation(
    doc: dict[str, Any], i: int, path: tuple[Any, ...], value: Any, treaty: TreatyState
) -> Any:
    return _judge(_mutated(doc, i, path, value), treaty)


def mutation_groups() -> Iterator[Group]:
    """One group per place mutated in a bundled rule; each commitment is compiled alone."""
    raw, raw_treaty = _raw_library()
    treaty = TreatyState.model_validate(raw_treaty)
    for doc in raw:
        params = _param_candidates(doc, raw_treaty)
        for i, rule in enumerate(doc["rules"]):
            sites: dict[tuple[Any, ...], list[tuple[str, Callable[[], Any]]]] = {}
            for label, path, value in _rule_mutations(rule, params):
                sites.setdefault(path, []).append(
                    (label, partial(_judge_mutation, doc, i, path, value, treaty))
                )
            for path, cases in sites.items():
                yield f"{doc['id']} rules/{i}/" + "/".join(map(str, path)), cases


# ------------------------------------------------------------------------------------------
# Every operator on a field of every type


MATRIX_PARAMS: dict[str, Any] = {
    "n_strict": {"comparison": "strict", "value": 10},
    "n_incl": {"comparison": "inclusive", "value": 10},
    "n_plain": {"value": 10},
    "d": {"value": "2028-01-01"},
    "ts": {"value": "2028-01-01T00:00:00Z"},
    "s": {"value": "x"},
    "b": {"value": True},
    "lst": {"value": ["x", "y"]},
    "empty": {"value": []},
    "versioned": {
        "comparison": "strict",
        "versions": [
            {"value": 5, "valid_to": "2028-01-01"},
            {"value": 7, "valid_from": "2028-01-01"},
        ],
    },
    "expired": {"comparison": "inclusive", "versions": [{"value": 5, "valid_to": "2020-01-01"}]},
}
MATRIX_KINDS = ("training_run", "arrangement", "notification", "inventory_account")


def _matrix_commitment(rule: dict[str, Any]) -> dict[str, Any]:
    return {
        "document": "commitment",
        "id": "MX-1",
        "title": "matrix",
        "category": "general",
        "modality": "obligation",
        "severity": "high",
        "text": [{"lang": "en", "text": "The Parties shall ..."}],
        "parameters": MATRIX_PARAMS,
        "rules": [rule],
        "enforcement": {"sanction_available": True},
    }


def _matrix_rule(kind: str, cond: dict[str, Any], counted: bool) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "type": "classify",
        "id": "MX-1.R1",
        "clause": "clause",
        "derive": {
            "dn": {"op": "add", "args": [1, 2]},
            "dd": {"op": "coalesce", "args": [{"field": "party_entry_into_force"}]},
        },
        "subject": {"kind": kind, "where": cond},
        "cases": [{"when": cond, "status": "breach"}],
        "otherwise": {"status": "compliant"},
    }
    if counted:
        rule["counts"] = [{"name": "k", "kind": kind, "where": cond}]
        rule["derive"] = {}
        rule["subject"]["where"] = None
        rule["cases"] = [{"when": {"count": "k", "op": "ge", "value": 1}, "status": "breach"}]
    return rule


def matrix_groups() -> Iterator[Group]:
    """One group per (kind, place, field, operator), over many values: in a subject's condition
    and in a counted record's condition (where versioned parameters are read on the day)."""
    values = [*VALUES, *({"param": p} for p in MATRIX_PARAMS), {"param": "nope"}]
    for kind in MATRIX_KINDS:
        fields = list(dict.fromkeys([*_fields_by_type(kind), "id", *VIRTUAL]))
        for counted in (False, True):
            for f in [*fields, *([] if counted else ["dn", "dd"])]:
                values_f = [*values, *({"field": g} for g in fields)]
                for op in OPS:
                    choices: list[Any]
                    if op in ("exists", "absent"):
                        choices = [None]
                    elif op in ("meets", "below"):
                        choices = [v for v in values_f if isinstance(v, dict) and "param" in v]
                    else:
                        choices = values_f
                    cases: list[tuple[str, Callable[[], Any]]] = []
                    for v in choices:
                        cond: dict[str, Any] = {"field": f, "op": op}
                        if v is not None:
                            cond["value"] = v
                        doc = _matrix_commitment(_matrix_rule(kind, cond, counted))
                        cases.append((json.dumps(v), partial(_judge, doc, None)))
                    yield f"{kind} {'count' if counted else 'subject'} {f} {op}", cases


def run_group(cases: list[tuple[str, Callable[[], Any]]]) -> list[tuple[str, Any]]:
    """Each case's label and outcome."""
    return [(label, thunk()) for label, thunk in cases]


def digest(results: list[tuple[str, Any]]) -> str:
    """A short digest of a group's outcomes."""
    text = json.dumps(results, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def corpus() -> dict[str, Any]:
    """The whole snapshot: the library in full on one day (digests on the others), a digest per
    group of mutations and of the matrix, and every distinct error message and fix."""
    library = library_json()
    full = AS_OF[-1].isoformat()
    out: dict[str, Any] = {
        "library": library[full],
        "library_digests": {
            day: digest([("", program)]) for day, program in library.items() if day != full
        },
    }
    messages: set[tuple[str, str]] = set()
    for name, groups in (("mutations", mutation_groups()), ("matrix", matrix_groups())):
        out[name] = {}
        for key, cases in groups:
            results = run_group(cases)
            out[name][key] = digest(results)
            messages.update(
                (r[4], r[5]) for _, r in results if isinstance(r, list) and r[0] == "CompileError"
            )
    out["messages"] = sorted(messages)
    return out


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python -m tests.rules.compile_corpus --write")
    SNAPSHOT.parent.mkdir(exist_ok=True)
    SNAPSHOT.write_text(
        json.dumps(corpus(), indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(f"wrote {SNAPSHOT}")
