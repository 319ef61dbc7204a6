"""Fuzz tests of every loader and validator, and a little of the evaluator.

Inputs come from governments that may be adversaries. Whatever a file holds, the only allowed
outcomes are

* success, or
* a clean ``InputError`` (or ``LimitExceeded``) whose problems each render as one line that starts
  with the name of the file (``<inputs>`` for a problem across documents);

and through the command line: exit 0 or 3, every stderr line naming the file, never a traceback.
No document may take more than a second: every example runs under hypothesis ``deadline=1000``.

The inputs are random bytes, random JSON values, random YAML text (a token soup over YAML's
syntax, tags, anchors and scalars that trip loaders) and mutations of the valid documents in
``examples/`` and ``commitments/`` (keys deleted, duplicated, renamed and retyped, dates swapped
and broken, unicode inserted, records duplicated, text truncated), written as YAML, JSON or JSONL.

The evaluator gets valid random reports (every record kind of the report schema, small values)
and must return findings, never raise.

Short runs (a few hundred examples per test, about a minute in all) run by default; the long
runs are marked ``slow`` (``pytest -m slow``). Examples are derandomized so CI is reproducible.

The ``test_found_*`` tests at the end pin inputs the fuzzers found: they must keep passing.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine.errors import InputError, Problem
from engine.explain.findings import evaluate_models
from engine.ingest import (
    DEFAULT_LIMITS,
    Bundle,
    Limits,
    bundled_commitments_dir,
    cross_check,
    iter_input_files,
    load_paths,
    load_yaml_text,
    published_schema,
    read_documents,
    validate_document,
)
from engine.model.commitment import TreatyState
from engine.model.records import RECORD_MODELS, Report
from engine.model.vocabulary import STATUS_ORDER
from engine.rules.compile import compile_problems

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
LIBRARY_DIR = bundled_commitments_dir()
LIBRARY = load_paths([LIBRARY_DIR]).commitments
TREATY_TEXT = (EXAMPLES / "treaty-state.yaml").read_text(encoding="utf-8")
SMALL_LIMITS = Limits(max_file_bytes=8192, max_depth=6, max_nodes=300, max_string=80, max_records=3)

HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]


def short(n: int) -> settings:
    """The CI run: derandomized (the same examples every time), one second per example."""
    return settings(
        max_examples=n, deadline=1000, derandomize=True, database=None, suppress_health_check=HEALTH
    )


def long(n: int) -> settings:
    """The long run behind ``-m slow``: random examples, the same one-second bound."""
    return settings(max_examples=n, deadline=1000, database=None, suppress_health_check=HEALTH)


# ------------------------------------------------------------------------------------------------
# The oracle of outcomes


def validate_in_process(paths: list[Path], limits: Limits = DEFAULT_LIMITS) -> Bundle:
    """What `treaty validate` does (``validate_paths``, then compile), without the process and
    with the library loaded once."""
    bundle = load_paths(paths, limits)
    known = dict(bundle.commitments)
    for cid, c in LIBRARY.items():
        known.setdefault(cid, c)
    cross_check(bundle, known_commitments=known)
    problems = compile_problems(bundle.commitments, bundle.commitment_paths, bundle.treaty)
    if problems:
        raise InputError(problems)
    return bundle


def assert_clean_problems(problems: list[Problem], names: set[str]) -> None:
    assert problems, "an InputError without problems"
    for p in problems:
        line = p.render()
        assert "\n" not in line and len(line.splitlines()) == 1, f"multi-line problem: {line!r}"
        assert any(line.startswith(f"{n}:") for n in names | {"<inputs>"}), (
            f"does not name the file: {line!r}"
        )
        assert p.message.strip() and p.fix.strip(), f"problem without message or fix: {p!r}"
        assert p.pointer == "" or p.pointer.startswith("/"), f"not a JSON pointer: {p.pointer!r}"
        assert p.line is None or p.line >= 1, p
        json.dumps(p.as_dict())  # --format json can always write it


def check_files(paths: list[Path], limits: Limits = DEFAULT_LIMITS) -> str:
    """Validate ``paths``: success or a clean InputError. Returns 'ok' or 'invalid'."""
    names = {display for _, display in iter_input_files(paths)}
    try:
        validate_in_process(paths, limits)
    except InputError as exc:
        assert_clean_problems(exc.problems, names)
        str(exc)
        return "invalid"
    return "ok"


def check_text(
    name: str, content: bytes | str, limits: Limits = DEFAULT_LIMITS, treaty: bool = False
) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        p = d / name
        if isinstance(content, str):
            p.write_text(content, encoding="utf-8", errors="surrogatepass")
        else:
            p.write_bytes(content)
        paths = [p]
        if treaty:
            t = d / "treaty-state.yaml"
            t.write_text(TREATY_TEXT, encoding="utf-8")
            paths.append(t)
        return check_files(paths, limits)


def run_cli(args: list[str]) -> tuple[int, str, str]:
    """Run the real `treaty` entry point in this process; returns (exit code, stdout, stderr)."""
    from engine.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved = sys.argv
    sys.argv = ["treaty", *args]
    code: Any = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main()
            except SystemExit as e:
                code = e.code
    finally:
        sys.argv = saved
    return int(code or 0), out.getvalue(), err.getvalue()


def assert_clean_cli(code: int, out: str, err: str, path: Path) -> None:
    assert "Traceback" not in out + err, err
    assert "internal error" not in err and "rules engine fault" not in err, err
    assert code in (0, 3), f"exit {code}: {err}"
    if code == 0:
        assert "file(s) valid" in out
        return
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines, "exit 3 without a problem line"
    for ln in lines:
        assert ln.startswith(str(path)), f"the line does not name the file: {ln!r}"


# ------------------------------------------------------------------------------------------------
# The corpus of valid documents


def _corpus() -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    files = (
        sorted(EXAMPLES.rglob("*.yaml"))
        + sorted(EXAMPLES.rglob("*.jsonl"))
        + sorted(LIBRARY_DIR.glob("*.yaml"))
    )
    for f in files:
        docs, _ = read_documents(f, f.name, DEFAULT_LIMITS)
        for d in docs:
            out.append((f.name, d.data))
    return out


CORPUS = _corpus()
assert len(CORPUS) > 60, len(CORPUS)

# ------------------------------------------------------------------------------------------------
# Strategies: raw inputs

SUFFIXES = [".yaml", ".yml", ".json", ".jsonl"]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=12), inner, max_size=6)
    ),
    max_leaves=40,
)

# Documents that get past the 'document' dispatch, so the schema and the models see random data.
FIELD_NAMES = sorted(
    {
        "document",
        "id",
        "source",
        "subject_party",
        "period",
        "submitted_at",
        "records",
        "kind",
        "start",
        "end",
        "title",
        "version",
        "commitments",
        "parties",
        "parameters",
        "code",
        "rules",
        "value",
        "note",
        "sent_at",
        "about",
        "channel",
        "planned_start",
        "compute_upper_flop",
        "category",
        "modality",
        "severity",
        "text",
    }
)
doc_like = st.fixed_dictionaries(
    {"document": st.sampled_from(["report", "treaty", "commitment", "findings", "Report", ""])},
    optional={k: json_values for k in FIELD_NAMES if k != "document"},
)

YAML_TOKENS = [
    "document: report\n",
    "document: treaty\n",
    "document: commitment\n",
    "records:\n",
    "  - ",
    "- ",
    "\n",
    "  ",
    "    ",
    "\t",
    ": ",
    ":",
    "? ",
    ",",
    "[",
    "]",
    "{",
    "}",
    "'",
    '"',
    "&a ",
    "&b ",
    "*a",
    "*b",
    "*zz",
    "<<: ",
    "<<: *a\n",
    "!!python/object/apply:os.system ['true']",
    "!!python/name:os.system",
    "!!int ",
    "!!float ",
    "!!bool ",
    "!!str ",
    "!!null ",
    "!!map ",
    "!!seq ",
    "!!binary ",
    "!!timestamp ",
    "!custom ",
    "!<tag:x> ",
    "---\n",
    "...\n",
    "%YAML 1.2\n",
    "%TAG ! tag:x,2000:\n",
    "# c\n",
    "|\n",
    ">-\n",
    "NO",
    "no",
    "yes",
    "on",
    "1e26",
    "1.0e+26",
    "._",
    ".5",
    "-.inf",
    ".nan",
    "0x1F",
    "0o17",
    "190:20:30",
    "1_000",
    "~",
    "null",
    "true",
    "2027-02-30",
    "2028-02-29",
    "2027-01-01T10:00:00",
    "2027-01-01T10:00:00Z",
    "2027-01-01T10:00:00+25:00",
    "kind: training_run\n",
    "kind: notification\n",
    "id: r-1\n",
    "id: ",
    "subject_party: ARC\n",
    "source: self\n",
    "period: {start: 2027-01-01, end: 2026-01-01}\n",
    "submitted_at: 2027-06-01T00:00:00Z\n",
    "planned_start: ",
    "compute_upper_flop: ",
    "\\u0000",
    "\\ud800",
    '"\\ud800"',
    '"\\x00"',
    "é",
    "\u2028",
    "\u0085",
    "\ufeff",
    "\x7f",
    "\U0001f600",
    "a",
    "x",
    "0",
    "-1",
    "12345678901234567890",
    "1" * 50,
]
yaml_soup = st.lists(st.sampled_from(YAML_TOKENS) | st.text(max_size=4), max_size=60).map("".join)


# ------------------------------------------------------------------------------------------------
# Strategies: mutations of valid documents

VALUE_POOL: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1.5,
    -0.0,
    10**30,
    1e308,
    2**63,
    "",
    "x",
    "NO",
    "1e26",
    "true",
    "2027-02-30",
    "2027-13-01",
    "2028-02-29",
    "2027-1-5",
    "2027-01-01T10:00:00",
    "2027-01-01T10:00:00+25:00",
    "2027-01-01T24:00:00Z",
    "\ud800",
    "é" * 20,
    "\u2028\u2029",
    "\x00",
    "a\nb",
    [],
    {},
    [[[]]],
    {"a": {"b": 1}},
    ["x"],
    [1, 2],
    "x" * 300,
    "USA",
    "ZZZ",
    "CB-2",
    "training_run",
    "self",
    "inspection",
]
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}")
KEY_POOL = [
    "",
    "id",
    "kind",
    "document",
    "<<",
    "records",
    "note",
    "x",
    "é",
    "\ud800",
    "Kind",
    "ID",
    " id",
    "id ",
]


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value (mapping key or list index), depth first."""
    out: list[tuple[Any, ...]] = []
    if isinstance(data, dict):
        for k, v in data.items():
            out.append((*prefix, k))
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out.append((*prefix, i))
            out.extend(_paths(v, (*prefix, i)))
    return out


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        data = data[p]
    return data


def _strings(data: Any) -> list[tuple[Any, ...]]:
    return [p for p in _paths(data) if isinstance(_get(data, p), str)]


@st.composite
def mutate(draw: Any, data: Any) -> Any:
    """Apply one random mutation to a deep copy of ``data``."""
    data = json.loads(json.dumps(data))
    paths = _paths(data)
    if not paths:
        return draw(json_values)
    op = draw(
        st.sampled_from(
            ["delete", "rename", "retype", "retype", "dates", "unicode", "dup_item", "swap"]
        )
    )
    path = paths[draw(st.integers(0, len(paths) - 1))]
    parent, key = _get(data, path[:-1]), path[-1]
    if op == "delete":
        del parent[key]
    elif op == "rename" and isinstance(parent, dict):
        new = draw(
            st.sampled_from(KEY_POOL)
            | st.text(max_size=8)
            | st.just(str(key) + "z")
            | st.just(str(key).upper())
        )
        value = parent.pop(key)
        parent[new] = value
    elif op == "retype":
        parent[key] = draw(st.sampled_from(VALUE_POOL) | json_values)
    elif op == "dates":
        dated = [p for p in _strings(data) if DATE_RE.match(_get(data, p))]
        if len(dated) >= 2:
            a, b = (dated[draw(st.integers(0, len(dated) - 1))] for _ in range(2))
            pa, pb = _get(data, a[:-1]), _get(data, b[:-1])
            pa[a[-1]], pb[b[-1]] = pb[b[-1]], pa[a[-1]]
        elif dated:
            p = dated[0]
            v = _get(data, p)
            _get(data, p[:-1])[p[-1]] = draw(
                st.sampled_from(
                    [
                        v[:10],
                        v + "Z",
                        v.replace("-", "/"),
                        "0001-01-01",
                        "9999-12-31",
                        v[:7],
                        "2027-02-29",
                    ]
                )
            )
    elif op == "unicode":
        strings = _strings(data)
        if strings:
            p = strings[draw(st.integers(0, len(strings) - 1))]
            v = _get(data, p)
            i = draw(st.integers(0, len(v)))
            ins = draw(
                st.text(st.characters(codec=None, exclude_categories=()), min_size=1, max_size=5)
                | st.sampled_from(
                    ["\ud800", "\udfff", "\u202e", "\x00", "\r\n", "\u2028", "\x85", "\ufeff"]
                )
            )
            _get(data, p[:-1])[p[-1]] = v[:i] + ins + v[i:]
    elif op == "dup_item" and isinstance(parent, list):
        parent.insert(key, json.loads(json.dumps(parent[key])))
    elif op == "swap":
        other = paths[draw(st.integers(0, len(paths) - 1))]
        try:
            po = _get(data, other[:-1])
            parent[key], po[other[-1]] = po[other[-1]], parent[key]
        except (KeyError, IndexError, TypeError):
            pass
    return data


def _to_yaml(data: Any) -> str:
    try:
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    except (yaml.YAMLError, UnicodeError, ValueError):
        return json.dumps(data)


@st.composite
def mutated_files(draw: Any) -> tuple[str, str, bool]:
    """(file name, text, whether the treaty state goes along) from mutated corpus documents."""
    n_docs = draw(st.integers(1, 3))
    docs = []
    for _ in range(n_docs):
        _name, data = CORPUS[draw(st.integers(0, len(CORPUS) - 1))]
        for _ in range(draw(st.integers(1, 4))):
            data = draw(mutate(data))
        docs.append(data)
    fmt = draw(st.sampled_from(["yaml", "yaml", "json", "jsonl"]))
    if fmt == "yaml":
        name, text = "doc.yaml", "---\n".join(_to_yaml(d) for d in docs)
    elif fmt == "json":
        name, text = (
            "doc.json",
            json.dumps(
                docs[0], ensure_ascii=draw(st.booleans()), indent=draw(st.sampled_from([None, 1]))
            ),
        )
    else:
        name, text = (
            "doc.jsonl",
            "\n".join(json.dumps(d, ensure_ascii=draw(st.booleans())) for d in docs),
        )
    lines = text.split("\n")
    text_op = draw(
        st.sampled_from(["none", "none", "none", "truncate", "dup_line", "drop_line", "bignum"])
    )
    if text_op == "truncate":
        text = text[: draw(st.integers(0, len(text)))]
    elif text_op == "dup_line" and lines:
        i = draw(st.integers(0, len(lines) - 1))
        text = "\n".join(lines[: i + 1] + [lines[i]] + lines[i + 1 :])
    elif text_op == "drop_line" and lines:
        i = draw(st.integers(0, len(lines) - 1))
        text = "\n".join(lines[:i] + lines[i + 1 :])
    elif text_op == "bignum":
        # a number with more digits than Python converts by default (4300)
        text = re.sub(r"(?<![\w.])(\d+(?:\.\d+)?)(?![\w.:-])", "1" + "0" * 5000, text, count=1)
    return name, text, draw(st.booleans())


# ------------------------------------------------------------------------------------------------
# Loader and validator fuzz (short runs)


@short(300)
@given(content=st.binary(max_size=3000), suffix=st.sampled_from(SUFFIXES))
def test_random_bytes(content: bytes, suffix: str) -> None:
    check_text("f" + suffix, content)


@short(200)
@given(content=st.binary(max_size=500).map(lambda b: b"document: report\nrecords:\n  - " + b))
def test_random_bytes_after_a_report_header(content: bytes) -> None:
    check_text("f.yaml", content)


@short(200)
@given(value=json_values | doc_like, suffix=st.sampled_from(SUFFIXES), ascii_only=st.booleans())
def test_random_json_values(value: Any, suffix: str, ascii_only: bool) -> None:
    check_text("v" + suffix, json.dumps(value, ensure_ascii=ascii_only))


@short(150)
@given(value=doc_like, limits=st.sampled_from([DEFAULT_LIMITS, SMALL_LIMITS]))
def test_random_documents_as_yaml(value: Any, limits: Limits) -> None:
    check_text("v.yaml", _to_yaml(value), limits)


@short(500)
@given(text=yaml_soup, suffix=st.sampled_from([".yaml", ".json", ".jsonl"]))
def test_random_yaml_text(text: str, suffix: str) -> None:
    check_text("y" + suffix, text)


@short(300)
@given(doc=mutated_files(), limits=st.sampled_from([DEFAULT_LIMITS, DEFAULT_LIMITS, SMALL_LIMITS]))
def test_mutated_documents(doc: tuple[str, str, bool], limits: Limits) -> None:
    name, text, treaty = doc
    check_text(name, text, limits, treaty)


@short(300)
@given(text=yaml_soup)
def test_load_yaml_text(text: str) -> None:
    """The public helper: a value or a clean InputError naming the given name."""
    try:
        load_yaml_text(text, "given.yaml")
    except InputError as exc:
        assert_clean_problems(exc.problems, {"given.yaml"})


@short(200)
@given(data=st.data())
def test_validate_document_on_mutated_data(data: st.DataObject) -> None:
    """validate_document on in-memory data (no file): a model or a clean InputError."""
    from engine.ingest import RawDocument

    _name, doc = CORPUS[data.draw(st.integers(0, len(CORPUS) - 1))]
    for _ in range(data.draw(st.integers(1, 3))):
        doc = data.draw(mutate(doc))
    try:
        validate_document(RawDocument(doc, "mem.yaml", None, None, {}))
    except InputError as exc:
        assert_clean_problems(exc.problems, {"mem.yaml"})


# ------------------------------------------------------------------------------------------------
# Through the command line (in process: the real entry point, argument parsing and output)

cli_inputs = st.one_of(
    mutated_files().map(lambda t: (t[0], t[1].encode("utf-8", "surrogatepass"))),
    yaml_soup.map(lambda t: ("s.yaml", t.encode("utf-8", "surrogatepass"))),
    st.binary(max_size=300).map(lambda b: ("b.json", b)),
)


def _cli_check(name: str, content: bytes, fmt: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / name
        p.write_bytes(content)
        code, out, err = run_cli(["validate", str(p), "--format", fmt])
        if fmt == "json":
            assert "Traceback" not in out + err and code in (0, 3), f"exit {code}: {err}"
            body = json.loads(out)
            assert body["valid"] is (code == 0)
            for prob in body["problems"]:
                assert prob["file"] == str(p) or prob["file"] == "<inputs>"
        else:
            assert_clean_cli(code, out, err, p)


@short(60)
@given(item=cli_inputs, fmt=st.sampled_from(["text", "text", "json"]))
def test_cli_validate(item: tuple[str, bytes], fmt: str) -> None:
    _cli_check(*item, fmt)


# ------------------------------------------------------------------------------------------------
# Evaluator fuzz: valid random reports must give findings, never an exception

PARTIES = ["ARC", "BOR", "CAL", "ELY", "GLN", "HES"]
COUNTERPARTS = PARTIES + ["USA", "CHN", "DOV"]
CHANNELS = ["CB-2", "SS-1", "IR-1", "IR-2", "IR-2-written", "EX-2", "TR-2", "x"]
KINDS = sorted(RECORD_MODELS)
ID_POOL = [f"{k}-{i}" for k in KINDS for i in range(2)]
NUMBERS = [
    0,
    1,
    2.5,
    3,
    24,
    36,
    48,
    60,
    100,
    1530,
    1700,
    5000,
    1e20,
    1e23,
    9.6e25,
    1e26,
    1.5e26,
    2e27,
]
BASE = date(2028, 6, 1)
ZONES = [UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=9))]
REPORT_SCHEMA = published_schema("report")

dates = st.integers(-500, 500).map(lambda d: BASE + timedelta(days=d))
instants = st.builds(
    lambda d, h, z: (datetime(d.year, d.month, d.day, tzinfo=UTC) + timedelta(hours=h)).astimezone(
        z
    ),
    dates,
    st.integers(0, 71),
    st.sampled_from(ZONES),
)


def _field_strategy(name: str, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A small-value strategy for one property of a record schema."""
    if "anyOf" in schema:
        non_null = [s for s in schema["anyOf"] if s.get("type") != "null"]
        return _field_strategy(name, non_null[0])
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    t = schema.get("type")
    if t == "array":
        return st.lists(_field_strategy(name, schema.get("items", {})), max_size=3, unique=True)
    if t == "boolean":
        return st.booleans()
    if t == "integer":
        lo, hi = schema.get("minimum", 0), schema.get("maximum", 100)
        return (
            st.integers(max(lo, 2026), min(hi, 2031))
            if lo >= 2000
            else st.integers(lo, min(hi, lo + 400))
        )
    if t == "number":
        lo = schema.get("minimum", schema.get("exclusiveMinimum", float("-inf")))
        hi = schema.get("maximum", float("inf"))
        pool = [x for x in NUMBERS if lo <= x <= hi and x != schema.get("exclusiveMinimum")]
        if hi <= 1:
            pool = [0.0, 0.3, 0.5, 0.9, 1.0]
        return st.sampled_from(pool)
    if t == "string":
        fmt = schema.get("format")
        if fmt == "date":
            return dates.map(date.isoformat)
        if fmt == "date-time":
            return instants.map(lambda x: x.isoformat())
        pattern = schema.get("pattern", "")
        if "A-Z]{3}" in pattern:
            return st.sampled_from(COUNTERPARTS)
        if pattern:
            return st.sampled_from(ID_POOL)
        if name == "channel":
            return st.sampled_from(CHANNELS)
        return st.sampled_from(["x", "Lab", "secretariat", "CB-2", "NX-1", "all"])
    return st.none()


def _record_strategy(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    model = RECORD_MODELS[kind]
    schema = REPORT_SCHEMA["$defs"][model.__name__]
    required = set(schema.get("required", []))
    fields = {
        k: _field_strategy(k, v)
        for k, v in schema["properties"].items()
        if k not in ("id", "kind", "note")
    }
    return st.fixed_dictionaries(
        {"kind": st.just(kind), "id": st.sampled_from([f"{kind}-{i}" for i in range(3)])}
        | {k: v for k, v in fields.items() if k in required},
        optional={k: v for k, v in fields.items() if k not in required},
    )


records = st.sampled_from(KINDS).flatmap(_record_strategy)


@st.composite
def reports(draw: Any, i: int) -> Report:
    recs = draw(st.lists(records, min_size=1, max_size=8, unique_by=lambda r: r["id"]))
    for r in recs:  # the one cross-field rule of the models
        lo, hi = r.get("compute_lower_flop"), r.get("compute_upper_flop")
        if lo is not None and hi is not None and lo > hi:
            r["compute_lower_flop"], r["compute_upper_flop"] = hi, lo
    source = draw(
        st.sampled_from(["self", "self", "other_party", "secretariat", "inspection", "open_source"])
    )
    start = draw(dates)
    doc = {
        "document": "report",
        "id": f"rep-{i}",
        "source": source,
        "subject_party": draw(st.sampled_from(PARTIES)),
        "period": {
            "start": start.isoformat(),
            "end": (start + timedelta(days=draw(st.integers(0, 400)))).isoformat(),
        },
        "submitted_at": draw(instants).isoformat(),
        "records": recs,
    }
    if source == "other_party":
        doc["source_party"] = draw(st.sampled_from(PARTIES))
    return Report.model_validate(doc)


@st.composite
def report_sets(draw: Any) -> list[Report]:
    n = draw(st.integers(1, 5))
    out = [draw(reports(i)) for i in range(n)]
    # the loader refuses one id used for two kinds about the same party; so do we
    seen: dict[tuple[str, str], str] = {}
    for r in out:
        for rec in r.records:
            assume(seen.setdefault((r.subject_party, rec.id), rec.kind) == rec.kind)
    return out


TREATY = load_yaml_text(TREATY_TEXT)
TREATY["parties"] = [p for p in TREATY["parties"] if p["code"] in PARTIES]
TREATY.pop("key_registry", None)  # models evaluated directly: no signature to verify
TREATY_STATE = TreatyState.model_validate(TREATY)
RULED = {cid for cid in TREATY_STATE.commitments if LIBRARY[cid].rules}


def _evaluate(reps: list[Report], as_of: date) -> None:
    findings = evaluate_models(TREATY_STATE, LIBRARY, reps, as_of)
    assert findings, "no findings at all"
    for party in TREATY_STATE.parties:
        got = {f.commitment for f in findings if f.party == party.code}
        assert got == RULED, (
            f"{party.code}: findings for {sorted(got)}, expected every commitment with rules"
        )
        if party.entry_into_force is None or party.entry_into_force > as_of:
            assert {f.status for f in findings if f.party == party.code} == {"not_applicable"}
    for f in findings:
        assert f.status in STATUS_ORDER
        assert f.explanation.summary.startswith(f"{f.commitment}: ")
        assert "\n" not in f.party
    again = evaluate_models(TREATY_STATE, LIBRARY, list(reversed(reps)), as_of)
    assert [f.model_dump() for f in again] == [f.model_dump() for f in findings], (
        "findings depend on report order"
    )


@short(100)
@given(reps=report_sets(), as_of=dates)
def test_evaluator_on_random_valid_reports(reps: list[Report], as_of: date) -> None:
    _evaluate(reps, as_of)


# ------------------------------------------------------------------------------------------------
# Long runs (pytest -m slow)


@pytest.mark.slow
@long(3000)
@given(content=st.binary(max_size=20000), suffix=st.sampled_from(SUFFIXES))
def test_random_bytes_long(content: bytes, suffix: str) -> None:
    check_text("f" + suffix, content)


@pytest.mark.slow
@long(3000)
@given(value=json_values | doc_like, suffix=st.sampled_from(SUFFIXES))
def test_random_json_values_long(value: Any, suffix: str) -> None:
    check_text("v" + suffix, json.dumps(value, ensure_ascii=False))


@pytest.mark.slow
@long(5000)
@given(text=yaml_soup, suffix=st.sampled_from([".yaml", ".json"]))
def test_random_yaml_text_long(text: str, suffix: str) -> None:
    check_text("y" + suffix, text)


@pytest.mark.slow
@long(5000)
@given(doc=mutated_files(), limits=st.sampled_from([DEFAULT_LIMITS, DEFAULT_LIMITS, SMALL_LIMITS]))
def test_mutated_documents_long(doc: tuple[str, str, bool], limits: Limits) -> None:
    name, text, treaty = doc
    check_text(name, text, limits, treaty)


@pytest.mark.slow
@long(500)
@given(item=cli_inputs, fmt=st.sampled_from(["text", "json"]))
def test_cli_validate_long(item: tuple[str, bytes], fmt: str) -> None:
    _cli_check(*item, fmt)


@pytest.mark.slow
@settings(max_examples=40, deadline=None, database=None, suppress_health_check=HEALTH)
@given(item=cli_inputs)
def test_cli_validate_subprocess_long(item: tuple[str, bytes]) -> None:
    """The real process: exit 0 or 3, no traceback, every line naming the file (about 1.5 s of
    interpreter start and library loading per example, so no deadline here)."""
    name, content = item
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / name
        p.write_bytes(content)
        res = subprocess.run(
            [sys.executable, "-m", "engine.cli", "validate", str(p)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
        )
        assert_clean_cli(res.returncode, res.stdout, res.stderr, p)


@pytest.mark.slow
@long(1000)
@given(reps=report_sets(), as_of=dates)
def test_evaluator_on_random_valid_reports_long(reps: list[Report], as_of: date) -> None:
    _evaluate(reps, as_of)


# ------------------------------------------------------------------------------------------------
# Inputs the fuzzers found (pinned). Each must be a clean InputError, not a crash.

VALID_REPORT = {
    "document": "report",
    "id": "r1",
    "source": "self",
    "subject_party": "ARC",
    "period": {"start": "2027-01-01", "end": "2027-12-31"},
    "submitted_at": "2027-06-01T00:00:00Z",
    "records": [
        {"kind": "holding", "id": "h1", "on": "2027-05-01", "h100e": 3, "last_declared_h100e": 5}
    ],
}


def _report_yaml(value: str, field: str = "h100e") -> str:
    text = _to_yaml(VALID_REPORT)
    return re.sub(rf"^(\s*){field}: .*$", rf"\g<1>{field}: {value}", text, count=1, flags=re.M)


@pytest.mark.parametrize(
    "value",
    [
        "!!int abc",  # ValueError from PyYAML's int constructor
        "!!float abc",  # ValueError from the float constructor
        "!!bool maybe",  # KeyError from the bool constructor
        "._",  # the YAML 1.2 float resolver matches it; float('.') raises
        "1" + "0" * 5000,  # more digits than int() converts (ValueError)
        "0x" + "f" * 4000,  # same, in hex
        "!!int ''",  # IndexError: the int constructor reads value[0] of an empty scalar
        "!!float",  # IndexError, the same in the float constructor (empty plain scalar)
    ],
    ids=[
        "int-tag",
        "float-tag",
        "bool-tag",
        "dot-underscore",
        "5000-digit-int",
        "huge-hex",
        "empty-int-tag",
        "empty-float-tag",
    ],
)
def test_found_yaml_scalars_that_crash_the_constructor(value: str) -> None:
    assert check_text("r.yaml", _report_yaml(value)) == "invalid"


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_found_lone_surrogate_escape_in_a_valid_report(suffix: str) -> None:
    """JSON and YAML both allow the escape \\ud800; the record hash then fails to encode it."""
    rep = json.loads(json.dumps(VALID_REPORT))
    rep["records"][0]["note"] = "\ud800"
    check_text("r" + suffix, json.dumps(rep))  # JSON text is YAML too


def test_found_crashes_through_the_cli_are_exit_3_without_traceback(tmp_path: Path) -> None:
    p = tmp_path / "r.yaml"
    p.write_text(_report_yaml("!!int abc"), encoding="utf-8")
    res = subprocess.run(
        [sys.executable, "-m", "engine.cli", "validate", str(p)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert_clean_cli(res.returncode, res.stdout, res.stderr, p)


def _timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    with contextlib.suppress(InputError):
        fn()
    return time.perf_counter() - t


def test_found_a_1000_record_report_takes_over_a_second_to_validate(tmp_path: Path) -> None:
    """A 1000-record report (200 KB, far inside every limit) must validate within a second.
    The JSON Schema pass (oneOf over 24 record kinds) costs about 1.5 ms a record."""
    rep = json.loads(json.dumps(VALID_REPORT))
    rep["records"] = [dict(VALID_REPORT["records"][0], id=f"h{i}") for i in range(1000)]
    p = tmp_path / "r.json"
    p.write_text(json.dumps(rep), encoding="utf-8")
    load_paths([p])  # warm caches
    assert _timed(lambda: load_paths([p])) < 1.0


def test_found_an_invalid_json_document_takes_over_a_second_to_place_its_errors(
    tmp_path: Path,
) -> None:
    """A 300 KB JSON document with an unknown field: the pointer-to-line map re-parses the whole
    text with the pure-Python YAML composer, which takes seconds."""
    p = tmp_path / "x.json"
    p.write_text(json.dumps({"document": "report", "x": [0] * 100_000}), encoding="utf-8")
    assert _timed(lambda: load_paths([p])) < 1.0


def test_no_finding_for_a_commitment_without_rules_even_for_an_unbound_party() -> None:
    """docs/rules.md section 5: a commitment with no rules (GEN-1) produces no findings, for a
    party not yet bound as for a bound one."""
    findings = evaluate_models(
        TREATY_STATE, LIBRARY, [], date(2029, 6, 30)
    )  # GLN bound from 2029-09-01
    assert {f.party for f in findings} >= {"ARC", "GLN"}
    assert [f.party for f in findings if f.commitment == "GEN-1"] == []


@short(300)
@given(data=st.data())
def test_fast_schema_check_is_never_laxer(data: st.DataObject) -> None:
    """The jsonschema-rs yes/no check skips the detailed jsonschema pass only when it says valid,
    so it must never accept what jsonschema rejects (mutations of the corpus, many invalid)."""
    from engine.ingest.validate import fast_validator, iter_schema_errors

    _name, doc = CORPUS[data.draw(st.integers(0, len(CORPUS) - 1))]
    for _ in range(data.draw(st.integers(0, 3))):
        doc = data.draw(mutate(doc))
    kind = doc.get("document") if isinstance(doc, dict) else None
    if kind not in ("report", "commitment", "treaty"):
        kind = data.draw(st.sampled_from(["report", "commitment", "treaty"]))
    try:
        fast = fast_validator(kind).is_valid(doc)
    except (ValueError, TypeError, OverflowError):
        return  # the loader then takes the slow path
    if fast:
        assert list(iter_schema_errors(doc, kind)) == []


@short(500)
@given(
    value=json_values,
    raw=st.sampled_from(["", "1e999", "-1E+400", "1" + "0" * 400 + ".5", '"\\ud800"', '"a\\"b"']),
    ascii_only=st.booleans(),
    limits=st.builds(
        Limits,
        max_depth=st.integers(0, 6),
        max_nodes=st.integers(1, 80),
        max_string=st.integers(0, 25),
    ),
)
def test_the_quick_limit_check_is_never_laxer(
    value: Any, raw: str, ascii_only: bool, limits: Limits
) -> None:
    """``plainly_within_limits`` lets the loader skip the walk over a parsed JSON value; it may
    say so only when the walk would find nothing wrong."""
    from engine.ingest.json import check_json_value, plainly_within_limits

    def refuse(name: str) -> Any:
        raise ValueError(name)

    text = json.dumps(value, ensure_ascii=ascii_only)
    if raw:
        text = f"[{text},{raw}]"
    try:
        data = json.loads(text, parse_constant=refuse)  # the loader refuses NaN and Infinity
    except ValueError:
        return
    if plainly_within_limits(text, limits):
        try:
            check_json_value(data, "x.json", limits, None)
        except InputError as exc:
            raise AssertionError(f"quick check passed {text!r}: {exc}") from None


def test_the_quick_limit_check_passes_a_plain_report() -> None:
    """It must pass ordinary documents, or it saves nothing."""
    from engine.ingest.json import plainly_within_limits

    line = json.dumps(CORPUS[0][1])
    assert plainly_within_limits(line, DEFAULT_LIMITS)
    assert not plainly_within_limits(line, Limits(max_depth=1))


@pytest.mark.parametrize(
    ("text", "limits"),
    [
        ("[[[1]]]", Limits(max_depth=2)),  # a value three levels deep
        ('{"a":{"b":[]}}', Limits(max_depth=1)),  # three nested containers
        ('["ab\\"cd"]', Limits(max_string=4)),  # an escaped quote: five characters
        ('["a\\"b\\"cdef"]', Limits(max_string=5)),  # two escaped quotes: eight characters
        ('{"abcde":1}', Limits(max_string=4)),  # a key
        ('["\\ud800"]', DEFAULT_LIMITS),  # an unpaired surrogate escape
        ("[1e400]", DEFAULT_LIMITS),
        ("[1, 2, 3]", Limits(max_nodes=3)),
    ],
)
def test_the_quick_limit_check_sends_each_limit_to_the_walk(text: str, limits: Limits) -> None:
    """At each limit's boundary the quick check declines, and the walk finds the problem."""
    from engine.ingest.json import check_json_value, plainly_within_limits

    assert not plainly_within_limits(text, limits)
    with pytest.raises(InputError):
        check_json_value(json.loads(text), "x.json", limits, None)
