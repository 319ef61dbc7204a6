"""Static enforcement-gap analysis of commitment documents (``treaty lint``).

Every check has a stable code, a severity and an entry in ``docs/lint.md`` (a test keeps the two
in step). The checks read documents only: nothing is evaluated against reports.

Inputs are commitment documents (files or folders). A treaty document among them supplies
``vague_terms`` and ``mission_pillars`` and makes the inputs the whole treaty; without one, the
bundled library is the *context*: its treaty state, and its commitments wherever a check looks
across commitments (who reports a record kind, which terms are defined, evidence_from targets).
Findings are only reported on the documents given.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import re
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from types import NoneType, UnionType
from typing import Any, Literal

import annotated_types
from pydantic import BaseModel, ValidationError

from engine.errors import InputError, Problem
from engine.load import (
    DEFAULT_LIMITS,
    Limits,
    RawDocument,
    bundled_commitments_dir,
    iter_input_files,
    read_documents,
    validate_document,
)
from engine.model.commitment import Commitment, Parameter, TreatyState

# The catalogue and LintFinding moved to engine.model.lint; re-exported here.
from engine.model.lint import CHECKS, DOCS_PAGE, Check, LintFinding, LintSeverity  # noqa: F401
from engine.model.records import RECORD_MODELS, EvidenceLevel, Source
from engine.model.rules import (
    AllOf,
    AnyOf,
    Arith,
    AtLeast,
    ClassifyRule,
    Compare,
    Condition,
    CountCompare,
    DeadlineRule,
    FieldRef,
    NotOf,
    Offset,
    ParamRef,
    Rule,
    Schedule,
)
from engine.rules.compile import (
    VIRTUAL_FIELDS,
    CompileError,
    FieldType,
    compile_program,
    derived_type,
    field_types,
)

# Words of the treaty itself that need no definition in each commitment.
TREATY_GLOSSARY = {
    "party",
    "parties",
    "state",
    "states",
    "treaty",
    "this treaty",
    "secretariat",
    "chair",
    "conference of the parties",
    "the conference of the parties",
    "each party",
    "all parties",
}
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_CONNECTORS = {"of", "the", "for", "on"}
_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "sixty": 60,
    "ninety": 90,
    "twice": 2,
    "once": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
}


# ------------------------------------------------------------------------------------------
# Findings and inputs


@dataclass
class LintDoc:
    """A validated document with its line map."""

    model: Commitment | TreatyState
    raw: RawDocument
    file: str

    def line_of(self, pointer: str) -> int | None:
        return self.raw.line_of(pointer)


@dataclass
class LintInput:
    """What lint looks at: the documents given, and the context they are read in."""

    commitments: dict[str, LintDoc] = field(default_factory=dict)
    treaty: LintDoc | None = None
    treaty_given: bool = False
    context: dict[str, Commitment] = field(default_factory=dict)
    """Every commitment of the treaty as lint reads it: the given ones, plus the library's
    commitments with other ids when no treaty document was given."""
    file_texts: dict[str, str] = field(default_factory=dict)
    doc_starts: dict[str, list[tuple[int, str | None]]] = field(default_factory=dict)
    """Per file: (first line, commitment id) of each document, to place TODO markers."""

    @property
    def treaty_model(self) -> TreatyState | None:
        t = self.treaty.model if self.treaty else None
        return t if isinstance(t, TreatyState) else None


def load_lint_inputs(
    paths: Sequence[str | Path],
    limits: Limits = DEFAULT_LIMITS,
    *,
    library: str | Path | None = None,
    _with_context: bool = True,
) -> LintInput:
    """Load and validate the documents under ``paths`` (raises ``InputError``).

    Reports and findings documents among them are ignored. Without a treaty document among the
    inputs, the library (default: the bundled one) supplies the treaty state and the context.
    """
    out = LintInput()
    problems: list[Problem] = []
    for path, display in iter_input_files(paths):
        try:
            docs, raw = read_documents(path, display, limits)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        out.file_texts[display] = raw.decode("utf-8-sig", errors="replace")
        starts: list[tuple[int, str | None]] = []
        for doc in docs:
            try:
                model = validate_document(doc)
            except InputError as exc:
                problems.extend(exc.problems)
                continue
            first = min(doc.lines.values()) if doc.lines else (doc.line or 1)
            if isinstance(model, Commitment):
                if model.id in out.commitments:
                    problems.append(
                        Problem(
                            display,
                            f"commitment {model.id} is also defined in "
                            f"{out.commitments[model.id].file}",
                            "give each commitment a unique id, or lint the two files separately",
                            line=doc.line_of("/id"),
                            pointer="/id",
                            code="duplicate-id",
                        )
                    )
                    continue
                out.commitments[model.id] = LintDoc(model, doc, display)
                starts.append((first, model.id))
            elif isinstance(model, TreatyState):
                if out.treaty is not None:
                    problems.append(
                        Problem(
                            display,
                            "a second treaty-state document among the inputs",
                            f"lint one treaty at a time (the first is {out.treaty.file})",
                            line=doc.line_of("/document"),
                            pointer="/document",
                            code="duplicate-treaty",
                        )
                    )
                    continue
                out.treaty = LintDoc(model, doc, display)
                out.treaty_given = True
                starts.append((first, None))
        out.doc_starts[display] = sorted(starts, key=lambda s: s[0])
    if problems:
        raise InputError(problems)
    out.context = {cid: d.model for cid, d in out.commitments.items()}  # type: ignore[misc]
    # Without a treaty document, or with a treaty state but no commitment (a folder of reports
    # with its treaty state, as 'treaty check' takes it), the library is the context.
    if (out.treaty is None or not out.commitments) and _with_context:
        try:
            lib = Path(library) if library is not None else bundled_commitments_dir()
        except FileNotFoundError:  # an installation without the library: no context
            return out
        lib_input = load_lint_inputs([lib], limits, _with_context=False) if lib.exists() else None
        if lib_input is not None:
            if out.treaty is None:
                out.treaty = lib_input.treaty
            for cid, d in lib_input.commitments.items():
                if cid not in out.context and isinstance(d.model, Commitment):
                    out.context[cid] = d.model
    return out


# ------------------------------------------------------------------------------------------
# Record-field facts read from the models


@dataclass(frozen=True)
class FieldMeta:
    """What the schemas allow for one field of one record kind."""

    type: FieldType
    choices: tuple[Any, ...] | None
    """Literal choices of the field (for a list field: of its items)."""
    always_present: bool
    """Required, or with a non-null default: the field is always stated."""
    lo: float | None = None
    lo_strict: bool = False
    hi: float | None = None
    hi_strict: bool = False
    integer: bool = False
    pattern: str | None = None


def _unwrap(ann: Any) -> Any:
    origin = typing.get_origin(ann)
    if origin in (typing.Union, UnionType):
        args = [a for a in typing.get_args(ann) if a is not NoneType]
        return _unwrap(args[0]) if len(args) == 1 else ann
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(ann)[0])
    return ann


VIRTUAL_CHOICES: dict[str, tuple[Any, ...]] = {
    "reported_by": typing.get_args(Source),
    "evidence_levels": typing.get_args(EvidenceLevel),
}
"""The values a virtual list field's items can take."""


@cache
def field_meta(kind: str, name: str) -> FieldMeta | None:
    """Schema facts about ``kind.name`` (None for an unknown kind or field)."""
    model = RECORD_MODELS.get(kind)
    if model is None:
        return None
    if name in VIRTUAL_FIELDS:  # never absent (docs/rules.md section 3)
        return FieldMeta(VIRTUAL_FIELDS[name], VIRTUAL_CHOICES.get(name), True)
    if name == "id":
        return FieldMeta("str", None, True, pattern=_loader_record_id())
    info = model.model_fields.get(name)
    types = field_types(kind)
    if info is None or name not in types:
        return None
    ann = _unwrap(info.annotation)
    choices: tuple[Any, ...] | None = None
    if typing.get_origin(ann) is Literal:
        choices = typing.get_args(ann)
    elif typing.get_origin(ann) in (list, tuple):
        args = typing.get_args(ann)
        item = _unwrap(args[0]) if args else None
        if typing.get_origin(item) is Literal:
            choices = typing.get_args(item)
    lo = hi = None
    lo_strict = hi_strict = False
    pattern = None
    for m in info.metadata:
        if isinstance(m, annotated_types.Ge):
            lo, lo_strict = float(m.ge), False  # type: ignore[arg-type]
        elif isinstance(m, annotated_types.Gt):
            lo, lo_strict = float(m.gt), True  # type: ignore[arg-type]
        elif isinstance(m, annotated_types.Le):
            hi, hi_strict = float(m.le), False  # type: ignore[arg-type]
        elif isinstance(m, annotated_types.Lt):
            hi, hi_strict = float(m.lt), True  # type: ignore[arg-type]
        elif hasattr(m, "pattern") and isinstance(m.pattern, str):
            pattern = m.pattern
    return FieldMeta(
        types[name],
        choices,
        info.default is not None,
        lo,
        lo_strict,
        hi,
        hi_strict,
        integer=ann is int,
        pattern=pattern,
    )


def _loader_record_id() -> str:
    from engine.model.records import RECORD_ID

    return RECORD_ID


# ------------------------------------------------------------------------------------------
# Walking rules


def rule_kinds(rule: Rule) -> list[tuple[str, str]]:
    """(record kind, pointer suffix) of every kind the rule reads."""
    if isinstance(rule, ClassifyRule):
        out = [(rule.subject.kind, "/subject/kind")]
        out += [(c.kind, f"/counts/{j}/kind") for j, c in enumerate(rule.counts)]
        return out
    if isinstance(rule, DeadlineRule):
        out = [(rule.trigger.kind, "/trigger/kind"), (rule.fulfil.kind, "/fulfil/kind")]
        if rule.excused_by is not None:
            out.append((rule.excused_by.kind, "/excused_by/kind"))
        return out
    return [(rule.submission.kind, "/submission/kind")]


def iter_conditions(rule: Rule) -> Iterator[tuple[str, Condition, str]]:
    """(pointer suffix, top-level condition, record kind) of every condition in a rule."""
    if isinstance(rule, ClassifyRule):
        if rule.subject.where is not None:
            yield "/subject/where", rule.subject.where, rule.subject.kind
        for j, cs in enumerate(rule.counts):
            if cs.where is not None:
                yield f"/counts/{j}/where", cs.where, cs.kind
        for j, case in enumerate(rule.cases):
            yield f"/cases/{j}/when", case.when, rule.subject.kind
    elif isinstance(rule, DeadlineRule):
        if rule.trigger.where is not None:
            yield "/trigger/where", rule.trigger.where, rule.trigger.kind
        if rule.fulfil.where is not None:
            yield "/fulfil/where", rule.fulfil.where, rule.fulfil.kind
        for k, dl in enumerate(rule.deadlines):
            if dl.when is not None:
                yield f"/deadlines/{k}/when", dl.when, rule.trigger.kind
        if rule.excused_by is not None and rule.excused_by.where is not None:
            yield "/excused_by/where", rule.excused_by.where, rule.excused_by.kind
    else:
        if rule.submission.where is not None:
            yield "/submission/where", rule.submission.where, rule.submission.kind


def walk_condition(c: Condition, ptr: str) -> Iterator[tuple[Condition, str]]:
    """Every sub-condition with its pointer, the condition itself first."""
    yield c, ptr
    if isinstance(c, AllOf):
        for i, x in enumerate(c.all):
            yield from walk_condition(x, f"{ptr}/all/{i}")
    elif isinstance(c, AnyOf):
        for i, x in enumerate(c.any):
            yield from walk_condition(x, f"{ptr}/any/{i}")
    elif isinstance(c, NotOf):
        yield from walk_condition(c.not_, f"{ptr}/not")
    elif isinstance(c, AtLeast):
        for i, x in enumerate(c.of):
            yield from walk_condition(x, f"{ptr}/of/{i}")


def _walk_values(x: Any, ptr: str) -> Iterator[tuple[Any, str]]:
    """Every pydantic sub-object, list item and scalar under ``x`` with its pointer."""
    yield x, ptr
    if isinstance(x, list | tuple):
        for i, v in enumerate(x):
            yield from _walk_values(v, f"{ptr}/{i}")
    elif isinstance(x, dict):
        for k, v in x.items():
            yield from _walk_values(v, f"{ptr}/{k}")
    elif isinstance(x, BaseModel):
        for name, info in type(x).model_fields.items():
            key = info.alias or name
            yield from _walk_values(getattr(x, name), f"{ptr}/{key}")


def param_uses(c: Commitment) -> list[tuple[str, str, str]]:
    """(parameter name, use, pointer) for every parameter reference in the rules.

    ``use`` is ``meets`` (meets/below), ``compare`` (gt/ge/lt/le/eq... with a field),
    ``count``, ``offset`` (deadline offset), ``schedule`` or ``other``.
    """
    out: list[tuple[str, str, str]] = []
    for i, rule in enumerate(c.rules):
        base = f"/rules/{i}"
        for x, ptr in _walk_values(rule, base):
            if isinstance(x, Compare) and isinstance(x.value, ParamRef):
                use = "meets" if x.op in ("meets", "below") else "compare"
                if x.op in ("gt", "ge", "lt", "le"):
                    use = "threshold"
                out.append((x.value.param, use, f"{ptr}/value"))
            elif isinstance(x, CountCompare) and isinstance(x.value, ParamRef):
                out.append((x.value.param, "count", f"{ptr}/value"))
            elif isinstance(x, Offset) and isinstance(x.amount, ParamRef):
                out.append((x.amount.param, "offset", f"{ptr}/amount"))
            elif isinstance(x, Schedule) and isinstance(x.months, ParamRef):
                out.append((x.months.param, "schedule", f"{ptr}/months"))
            elif isinstance(x, Arith):
                for j, a in enumerate(x.args):
                    if isinstance(a, ParamRef):
                        out.append((a.param, "other", f"{ptr}/args/{j}"))
    return out


def _rule_numbers(c: Commitment) -> set[float]:
    """Numeric literals anywhere in the rules and the applicability clause."""
    out: set[float] = set()
    for x, _ in _walk_values(c.rules, ""):
        if isinstance(x, int | float) and not isinstance(x, bool):
            out.add(float(x))
    t = c.applicability.transition
    if t is not None and t.months is not None:
        out.add(float(t.months))
    return out


def _param(c: Commitment, treaty: TreatyState | None, name: str) -> Parameter | None:
    p = c.parameters.get(name)
    if p is None and treaty is not None:
        p = treaty.parameters.get(name)
    return p


def _param_values(p: Parameter) -> list[Any]:
    return [p.value] if p.value is not None else [v.value for v in p.versions]


def _latest_value(p: Parameter) -> Any:
    if p.value is not None:
        return p.value
    open_ended = [v for v in p.versions if v.valid_to is None]
    return (open_ended or p.versions)[-1].value


# ------------------------------------------------------------------------------------------
# Text analysis


_NUM_RX = re.compile(
    r"(?<![\w.^/-])"
    r"(?P<num>10\^-?\d+|\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
    r"(?:\s?[×x]\s?10\^-?\d+)?)"
    r"(?![\w^])",
)
_WORD_NUM_RX = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.I)
_UNIT_RX = re.compile(
    r"\s*(?:(?:calendar|working)\s+)?"
    r"(?P<unit>days?|hours?|months?|years?|weeks?|FLOP|operations|ops/s|Gbit/s|H100e|"
    r"H100-equivalents|%|per\s?cent|percent)(?![\w])",
    re.I,
)
_PLACEHOLDER_RX = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_QUOTED_RX = re.compile(r"[\"“]([^\"“”]{2,80})[\"”]")
_WORD_RX = re.compile(r"[A-Za-z][\w'’-]*|[.;:!?,()]")


def parse_number(text: str) -> float | None:
    s = text.replace(",", "").replace(" ", "")
    m = re.fullmatch(r"(?:(\d+(?:\.\d+)?)[×x])?10\^(-?\d+)", s)
    if m:
        return float(f"{m.group(1) or '1'}e{int(m.group(2))}")
    try:
        return float(s)
    except ValueError:
        return None


@dataclass(frozen=True)
class Figure:
    text: str
    value: float
    unit: str | None
    start: int


def text_figures(text: str) -> list[Figure]:
    """Numbers in a clause, with the unit word that follows them (if any).

    Dates (``15 December``) are not figures; percentages also match their fraction (90 % = 0.9).
    """
    out: list[Figure] = []
    for m in _NUM_RX.finditer(text):
        after = text[m.end() :]
        if re.match(r"\s*(?:" + "|".join(_MONTHS) + r")\b", after, re.I):
            continue
        value = parse_number(m.group("num"))
        if value is None:
            continue
        um = _UNIT_RX.match(after)
        out.append(
            Figure(
                m.group(0) + (um.group(0) if um else ""),
                value,
                um.group("unit") if um else None,
                m.start(),
            )
        )
    for m in _WORD_NUM_RX.finditer(text):
        after = text[m.end() :]
        um = _UNIT_RX.match(after)
        out.append(
            Figure(
                m.group(0) + (um.group(0) if um else ""),
                float(_NUMBER_WORDS[m.group(1).lower()]),
                um.group("unit") if um else None,
                m.start(),
            )
        )
    return out


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


_UNIT_FACTORS = {
    "%": [0.01],
    "percent": [0.01],
    "per cent": [0.01],
    "year": [12.0, 365.0],
    "week": [7.0],
    "day": [24.0],
    "hour": [1 / 24],
}


def _figure_matches(fig: Figure, values: Iterable[float]) -> bool:
    """Whether the figure equals one of ``values`` (also as a fraction, in months, days...)."""
    cands = [fig.value]
    unit = re.sub(r"\s+", " ", (fig.unit or "").strip().lower())
    unit = unit[:-1] if unit.endswith("s") and unit not in ("ops/s", "gbit/s") else unit
    cands += [fig.value * f for f in _UNIT_FACTORS.get(unit, [])]
    return any(_close(c, v) for c in cands for v in values)


def _numeric_values(values: Iterable[Any]) -> list[float]:
    return [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]


def _term_rx(term: str) -> re.Pattern[str]:
    parts = [re.escape(p) for p in re.split(r"[\s-]+", term.strip()) if p]
    body = r"[\s-]+".join(parts)
    return re.compile(r"(?<![\w])" + body + r"(?:s|es)?(?![\w])", re.I)


def _norm_term(term: str) -> str:
    t = " ".join(re.split(r"[\s-]+", term.strip().lower()))
    return t


def _term_variants(term: str) -> set[str]:
    t = _norm_term(term)
    out = {t}
    for suf in ("es", "s"):
        if t.endswith(suf):
            out.add(t[: -len(suf)])
    out.add(t + "s")
    return out


def capitalised_terms(text: str) -> list[str]:
    """Capitalised multi-word terms in a clause (``Great Power``, ``Conference of the Parties``).

    A run of two or more capitalised words (connectors of/the/for/on allowed inside)
    counts; a sentence's first word counts only if it is not an ordinary sentence opener, which
    is approximated by dropping it. Month names and runs made only of treaty-glossary words are
    left out.
    """
    tokens = _WORD_RX.findall(text)
    out: list[str] = []
    run: list[str] = []
    sentence_start = True

    def flush() -> None:
        while run and run[-1].lower() in _CONNECTORS:
            run.pop()
        caps = [w for w in run if w[0].isupper()]
        if len(caps) >= 2:
            term = " ".join(run)
            if term.lower() not in TREATY_GLOSSARY and not all(
                w.lower() in TREATY_GLOSSARY or w.lower() in _MONTHS or w.lower() in _CONNECTORS
                for w in run
            ):
                out.append(term)
        run.clear()

    for tok in tokens:
        if tok in ".!?":
            flush()
            sentence_start = True
            continue
        if tok in ",();:" or any(ch.isdigit() for ch in tok):
            flush()
            sentence_start = False
            continue
        if tok[0].isupper() and tok.lower() not in _MONTHS:
            if sentence_start:
                sentence_start = False
                continue
            run.append(tok)
        elif run and tok.lower() in _CONNECTORS:
            run.append(tok)
        else:
            flush()
        sentence_start = False
    flush()
    return out


def _line_in_block(file_text: str | None, start: int | None, needle: str) -> int | None:
    """The line of ``needle`` in a block scalar that starts at line ``start`` (1-based)."""
    if file_text is None or start is None:
        return start
    lines = file_text.splitlines()
    words = [w for w in re.split(r"\s+", needle.strip()) if w]
    if not words:
        return start
    first = words[0].lower()
    for i in range(start - 1, min(len(lines), start + 60)):
        if first in lines[i].lower():
            return i + 1
    return start


# ------------------------------------------------------------------------------------------
# Vacuity: conditions that can never hold under the schemas


class _Ctx:
    """What a condition is evaluated against: one record kind inside one rule."""

    def __init__(
        self, c: Commitment, treaty: TreatyState | None, rule: Rule, kind: str, primary: bool
    ) -> None:
        self.c = c
        self.treaty = treaty
        self.rule = rule
        self.kind = kind
        self.derived = set(rule.derive) if primary else set()

    def meta(self, name: str) -> FieldMeta | None:
        if name in self.derived:
            return None
        return field_meta(self.kind, name)

    def alternatives(self, v: Any) -> list[Any] | None:
        """The values an operand may take (several for a versioned parameter); None = unknown."""
        if isinstance(v, ParamRef):
            p = _param(self.c, self.treaty, v.param)
            return _param_values(p) if p is not None else None
        if isinstance(v, FieldRef | Arith) or v is None:
            return None
        return [v]

    def comparison(self, v: Any) -> str | None:
        if isinstance(v, ParamRef):
            p = _param(self.c, self.treaty, v.param)
            return p.comparison if p is not None else None
        return None


Unsat = tuple[str, str]  # (pointer, reason)


def _num(x: Any, t: FieldType) -> float | None:
    if isinstance(x, bool):
        return None
    if isinstance(x, int | float):
        return float(x)
    if isinstance(x, str) and t == "date":
        try:
            return float(date.fromisoformat(x).toordinal())
        except ValueError:
            return None
    if isinstance(x, str) and t == "datetime":
        try:
            return datetime.fromisoformat(x).timestamp()
        except ValueError:
            return None
    return None


def _eff_op(c: Compare, ctx: _Ctx) -> str | None:
    if c.op == "meets":
        cmp = ctx.comparison(c.value)
        return None if cmp is None else ("gt" if cmp == "strict" else "ge")
    if c.op == "below":
        cmp = ctx.comparison(c.value)
        return None if cmp is None else ("le" if cmp == "strict" else "lt")
    return c.op


@dataclass
class _Interval:
    lo: float | None = None
    lo_strict: bool = False
    hi: float | None = None
    hi_strict: bool = False

    def add(self, op: str, v: float) -> None:
        if op in ("gt", "ge", "eq") and (
            self.lo is None or v > self.lo or (v == self.lo and op == "gt")
        ):
            self.lo, self.lo_strict = v, op == "gt"
        if op in ("lt", "le", "eq") and (
            self.hi is None or v < self.hi or (v == self.hi and op == "lt")
        ):
            self.hi, self.hi_strict = v, op == "lt"

    def empty(self, integer: bool) -> bool:
        lo, hi = self.lo, self.hi
        if lo is None or hi is None:
            return False
        if integer:
            lo_i = math.floor(lo) + 1 if self.lo_strict else math.ceil(lo)
            hi_i = math.ceil(hi) - 1 if self.hi_strict else math.floor(hi)
            return lo_i > hi_i
        if lo > hi:
            return True
        return lo == hi and (self.lo_strict or self.hi_strict)


def _field_interval(m: FieldMeta) -> _Interval:
    return _Interval(m.lo, m.lo_strict, m.hi, m.hi_strict)


def _fmt_val(v: Any) -> str:
    if isinstance(v, str):
        return repr(v)
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return json.dumps(v) if isinstance(v, list | bool) else str(v)


def _compare_unsat(c: Compare, ptr: str, ctx: _Ctx) -> Unsat | None:
    m = ctx.meta(c.field)
    if m is None:
        return None
    kind = ctx.kind
    if c.op == "absent":
        if m.always_present:
            return (
                ptr,
                f"{kind}.{c.field} is always stated (required or with a default), "
                "so 'absent' never holds",
            )
        return None
    if c.op == "exists":
        return None
    alts = ctx.alternatives(c.value)
    if alts is None:
        return None
    reasons = [_compare_alt_unsat(c, x, m, ctx) for x in alts]
    if all(r is not None for r in reasons):
        return (ptr, str(reasons[0]))
    return None


def _compare_alt_unsat(c: Compare, x: Any, m: FieldMeta, ctx: _Ctx) -> str | None:
    f = f"{ctx.kind}.{c.field}"
    choices = set(m.choices) if m.choices is not None else None
    op = c.op
    if m.type == "list":
        xs = x if isinstance(x, list) else [x]
        if op == "contains":
            if choices is not None and x not in choices:
                return (
                    f"{f} can only contain {sorted(map(str, choices))}; "
                    f"{_fmt_val(x)} is not one of them"
                )
        elif op == "contains_all":
            bad = [v for v in xs if choices is not None and v not in choices]
            if bad:
                return (
                    f"{f} can only contain {sorted(map(str, choices or ()))}; "
                    f"{_fmt_val(bad[0])} is not one of them"
                )
        elif op == "contains_any":
            if not xs:
                return f"'contains_any' with an empty list never holds ({f})"
            if choices is not None and not any(v in choices for v in xs):
                return (
                    f"{f} can only contain {sorted(map(str, choices))}; none of "
                    f"{_fmt_val(xs)} is one of them"
                )
        return None
    if op in ("in", "not_in"):
        xs = x if isinstance(x, list) else [x]
        if op == "in":
            if not xs:
                return f"'in' an empty list never holds ({f})"
            if choices is not None and not any(v in choices for v in xs):
                return f"{f} is one of {sorted(map(str, choices))}; never one of {_fmt_val(xs)}"
            if m.type == "number":
                nums = [_num(v, m.type) for v in xs]
                iv = _field_interval(m)
                if nums and all(
                    n is not None and _interval_with(iv, "eq", n).empty(m.integer) for n in nums
                ):
                    return f"{f} can never equal any of {_fmt_val(xs)}"
        elif choices is not None and choices <= set(xs):
            return f"{f} is always one of {_fmt_val(xs)}, so 'not_in' never holds"
        return None
    if op == "eq" and choices is not None and x not in choices:
        return f"{f} is one of {sorted(map(str, choices))}; never {_fmt_val(x)}"
    if op == "ne" and choices is not None and choices == {x}:
        return f"{f} is always {_fmt_val(x)}, so 'ne' never holds"
    eop = _eff_op(c, ctx)
    if m.type == "number" and eop in ("eq", "gt", "ge", "lt", "le"):
        n = _num(x, m.type)
        if n is not None and _interval_with(_field_interval(m), eop, n).empty(m.integer):
            return f"{f} {_bounds_text(m)} can never be {_OP_WORDS[eop]} {_fmt_val(x)}"
    return None


_OP_WORDS = {"eq": "=", "gt": ">", "ge": "≥", "lt": "<", "le": "≤"}


def _bounds_text(m: FieldMeta) -> str:
    parts = []
    if m.lo is not None:
        parts.append(f"{'>' if m.lo_strict else '≥'} {_fmt_val(m.lo)}")
    if m.hi is not None:
        parts.append(f"{'<' if m.hi_strict else '≤'} {_fmt_val(m.hi)}")
    if m.integer:
        parts.append("whole number")
    return f"({', '.join(parts)})" if parts else ""


def _interval_with(iv: _Interval, op: str, v: float) -> _Interval:
    out = _Interval(iv.lo, iv.lo_strict, iv.hi, iv.hi_strict)
    out.add(op, v)
    return out


def condition_unsat(c: Condition, ptr: str, ctx: _Ctx) -> Unsat | None:
    """A reason why ``c`` can never hold for any schema-valid record, or None.

    Sound, not complete: None means "could hold as far as this analysis can tell".
    """
    if isinstance(c, Compare):
        return _compare_unsat(c, ptr, ctx)
    if isinstance(c, CountCompare):
        alts = ctx.alternatives(c.value)
        if alts is None:
            return None
        bad = []
        for x in alts:
            n = _num(x, "number")
            if n is None:
                return None
            iv = _Interval(0.0, False)
            bad.append(_interval_with(iv, c.op, n).empty(True) if c.op != "ne" else False)
        if all(bad):
            return (ptr, f"a count is a whole number ≥ 0 and is never {c.op} {_fmt_val(alts[0])}")
        return None
    if isinstance(c, AllOf):
        return _conjunction_unsat(list(enumerate(c.all)), ptr, ctx, "all")
    if isinstance(c, AnyOf):
        reasons = [condition_unsat(x, f"{ptr}/any/{i}", ctx) for i, x in enumerate(c.any)]
        if all(r is not None for r in reasons):
            first = reasons[0]
            assert first is not None
            return (ptr, f"none of the alternatives can hold (e.g. {first[1]})")
        return None
    if isinstance(c, NotOf):
        if condition_taut(c.not_, ctx):
            return (ptr, "it negates a condition that always holds")
        return None
    if isinstance(c, AtLeast):
        possible = [
            i for i, x in enumerate(c.of) if condition_unsat(x, f"{ptr}/of/{i}", ctx) is None
        ]
        if len(possible) < c.at_least:
            return (
                ptr,
                f"at least {c.at_least} of {len(c.of)} indicators must hold, but only "
                f"{len(possible)} can ever hold",
            )
        return None
    return None


def condition_taut(c: Condition, ctx: _Ctx) -> bool:
    """True when ``c`` holds for every schema-valid record (sound, not complete)."""
    if isinstance(c, Compare):
        m = ctx.meta(c.field)
        if m is None:
            return False
        if c.op == "exists":
            return m.always_present
        return c.op == "contains_all" and c.value == []
    if isinstance(c, CountCompare):
        return c.op == "ge" and c.value == 0
    if isinstance(c, NotOf):
        return condition_unsat(c.not_, "", ctx) is not None
    if isinstance(c, AnyOf):
        return any(condition_taut(x, ctx) for x in c.any)
    if isinstance(c, AllOf):
        return all(condition_taut(x, ctx) for x in c.all)
    if isinstance(c, AtLeast):
        return sum(condition_taut(x, ctx) for x in c.of) >= c.at_least
    return False


def _flatten_all(
    items: list[tuple[Any, Condition]], ptr: str, key: str
) -> list[tuple[str, Condition]]:
    out: list[tuple[str, Condition]] = []
    for i, x in items:
        p = f"{ptr}/{key}/{i}" if key else str(i)
        if isinstance(x, AllOf):
            out.extend(_flatten_all(list(enumerate(x.all)), p, "all"))
        else:
            out.append((p, x))
    return out


def _conjunction_unsat(
    items: list[tuple[Any, Condition]], ptr: str, ctx: _Ctx, key: str
) -> Unsat | None:
    flat = _flatten_all(items, ptr, key)
    for p, x in flat:
        r = condition_unsat(x, p, ctx)
        if r is not None:
            return r
    # constraints on the same field that contradict each other
    present: dict[str, str] = {}
    absent: dict[str, str] = {}
    intervals: dict[str, _Interval] = {}
    eqs: dict[str, tuple[Any, str]] = {}
    nes: dict[str, set[str]] = {}
    for p, x in flat:
        if not isinstance(x, Compare):
            continue
        m = ctx.meta(x.field)
        if m is None:
            continue
        if x.op == "absent":
            absent[x.field] = p
        else:
            present.setdefault(x.field, p)
        if x.field in absent and x.field in present:
            return (ptr, f"{x.field} is required to be both stated and not stated")
        alts = ctx.alternatives(x.value)
        if alts is None or len(alts) != 1:
            continue
        v = alts[0]
        eop = _eff_op(x, ctx)
        if m.type in ("number", "date", "datetime") and eop in ("eq", "gt", "ge", "lt", "le"):
            n = _num(v, m.type)
            if n is None:
                continue
            iv = intervals.setdefault(
                x.field, _field_interval(m) if m.type == "number" else _Interval()
            )
            iv.add(eop, n)
            if iv.empty(m.integer):
                return (
                    ptr,
                    f"the bounds on {ctx.kind}.{x.field} contradict each other "
                    f"(nothing is {_interval_text(iv)})",
                )
        elif m.type in ("str", "bool") and eop == "eq":
            prev = eqs.get(x.field)
            if prev is not None and _canon(prev[0]) != _canon(v):
                return (
                    ptr,
                    f"{ctx.kind}.{x.field} cannot equal both {_fmt_val(prev[0])} and {_fmt_val(v)}",
                )
            eqs[x.field] = (v, p)
            if _canon(v) in nes.get(x.field, set()):
                return (ptr, f"{ctx.kind}.{x.field} must equal and differ from {_fmt_val(v)}")
        elif m.type in ("str", "bool") and eop == "ne":
            nes.setdefault(x.field, set()).add(_canon(v))
            if x.field in eqs and _canon(eqs[x.field][0]) == _canon(v):
                return (ptr, f"{ctx.kind}.{x.field} must equal and differ from {_fmt_val(v)}")
    for _p, x in flat:
        if isinstance(x, Compare) and x.op in ("in", "not_in") and x.field in eqs:
            alts = ctx.alternatives(x.value)
            if alts is None or len(alts) != 1:
                continue
            xs = alts[0] if isinstance(alts[0], list) else [alts[0]]
            v = eqs[x.field][0]
            inside = any(_canon(v) == _canon(y) for y in xs)
            if (x.op == "in") != inside:
                return (
                    ptr,
                    f"{ctx.kind}.{x.field} = {_fmt_val(v)} contradicts '{x.op}' {_fmt_val(xs)}",
                )
    return None


def _interval_text(iv: _Interval) -> str:
    lo = f"{'>' if iv.lo_strict else '≥'} {_fmt_val(iv.lo)}" if iv.lo is not None else ""
    hi = f"{'<' if iv.hi_strict else '≤'} {_fmt_val(iv.hi)}" if iv.hi is not None else ""
    return " and ".join(x for x in (lo, hi) if x)


def _canon(v: Any) -> str:
    return json.dumps(v, sort_keys=True, default=str)


# ------------------------------------------------------------------------------------------
# Conflicts: an enumerative search over schema-valid sample records


_BASE_DAY = date(2030, 1, 1)
_BASE_TS = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
SAMPLE_LIMIT = 20_000
"""Largest number of sample records tried per pair of rules (a seeded random subset beyond)."""


def _sample_norm(value: Any, t: FieldType) -> Any:
    """A literal or parameter value in the sample domain of a field type."""
    if t == "date":
        if isinstance(value, str):
            try:
                return date.fromisoformat(value).toordinal()
            except ValueError:
                return None
        return None
    if t == "datetime":
        if isinstance(value, str):
            try:
                return int(datetime.fromisoformat(value).timestamp())
            except ValueError:
                return None
        return None
    if t == "number":
        return (
            float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
        )
    if isinstance(value, list):
        return tuple(value)
    return value


class _Sampler:
    """Builds candidate values per field from the constants two rules compare with."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.consts: dict[str, list[Any]] = {}
        self.lists: dict[str, list[tuple[Any, ...]]] = {}
        self.linked: list[tuple[str, str]] = []
        self.fields: set[str] = set()
        self.counts: dict[str, list[float]] = {}

    def add_condition(self, cond: Condition, ctx: _Ctx, count_prefix: str) -> None:
        for x, _ in walk_condition(cond, ""):
            if isinstance(x, CountCompare):
                cvals = ctx.alternatives(x.value) or []
                self.counts.setdefault(count_prefix + x.count, []).extend(
                    float(v) for v in cvals if isinstance(v, int | float)
                )
            if not isinstance(x, Compare):
                continue
            names = self._inputs(x.field, ctx)
            self.fields.update(names)
            if isinstance(x.value, FieldRef):
                self.fields.update(self._inputs(x.value.field, ctx))
                self.linked.append((x.field, x.value.field))
                continue
            if x.field in ctx.derived:
                continue
            m = field_meta(self.kind, x.field)
            if m is None:
                continue
            for alt in ctx.alternatives(x.value) or []:
                if m.type == "list":
                    vals = tuple(alt) if isinstance(alt, list) else (alt,)
                    self.lists.setdefault(x.field, []).append(vals)
                    continue
                for item in alt if isinstance(alt, list) else [alt]:  # 'in' a list: each value
                    v = _sample_norm(item, m.type)
                    if v is not None:
                        self.consts.setdefault(x.field, []).append(v)

    def _inputs(self, name: str, ctx: _Ctx) -> set[str]:
        if name in ctx.derived:
            out: set[str] = set()
            for x, _ in _walk_values(ctx.rule.derive[name], ""):
                if isinstance(x, FieldRef):
                    out |= self._inputs(x.field, ctx) if x.field != name else set()
            return out
        return {name}

    def candidates(self, name: str) -> list[Any]:
        m = field_meta(self.kind, name)
        if m is None:
            return [None]
        out: list[Any] = []
        consts = list(self.consts.get(name, []))
        for a, b in self.linked:
            other = b if a == name else a if b == name else None
            if other is not None:
                consts.extend(self.consts.get(other, []))
        if m.type == "bool":
            out = [True, False]
        elif m.type == "number":
            base = [m.lo if m.lo is not None else 0.0]
            for v in consts:
                d = 1.0 if m.integer or v == 0 else abs(v) * 1e-3
                base += [v - d, v, v + d]
            for v in base:
                if _interval_with(_field_interval(m), "eq", v).empty(m.integer):
                    continue
                out.append(float(round(v)) if m.integer else v)
        elif m.type == "date":
            day = _BASE_DAY.toordinal()
            out = [day, day + 1] + [v + d for v in consts for d in (-1, 0, 1)]
        elif m.type == "datetime":
            ts = int(_BASE_TS.timestamp())
            out = [ts, ts + 86_400] + [v + d for v in consts for d in (-1, 0, 1)]
        elif m.type == "str":
            out = list(m.choices) if m.choices is not None else consts + ["ZZZ"]
        else:  # list
            groups = self.lists.get(name, [])
            pool: list[tuple[Any, ...]] = [()]
            if m.choices is not None:
                pool.append(tuple(m.choices))
            for g in groups:
                pool.append(g)
                pool.extend((v,) for v in g)
                pool.extend(tuple(y for y in g if y != v) for v in g)
            if m.choices is None:
                pool.append(("ZZZ",))
            else:
                pool = [g for g in pool if all(v in m.choices for v in g)]
            out = list(dict.fromkeys(pool))
        out = list(dict.fromkeys(out))
        if not m.always_present:
            out.append(None)
        return out

    def count_candidates(self, name: str) -> list[float]:
        vals = {0.0}
        for v in self.counts.get(name, []):
            vals.update(x for x in (v - 1, v, v + 1) if x >= 0)
        return sorted(vals)


def _arith(ar: Arith, values: Mapping[str, Any], param: Callable[[str], Any]) -> Any:
    args: list[Any] = []
    for a in ar.args:
        if isinstance(a, FieldRef):
            args.append(values.get(a.field))
        elif isinstance(a, ParamRef):
            args.append(param(a.param))
        elif isinstance(a, Arith):
            args.append(_arith(a, values, param))
        else:
            args.append(a)
    if ar.op == "coalesce":
        return next((x for x in args if x is not None), None)
    if ar.op == "count_distinct":
        return float(len(set(args[0]))) if isinstance(args[0], list | tuple) else None
    if any(x is None or isinstance(x, bool) or not isinstance(x, int | float) for x in args):
        return None
    if ar.op == "add":
        return sum(args)
    if ar.op == "mul":
        out = 1.0
        for x in args:
            out *= x
        return out
    if ar.op == "sub":
        acc = args[0]
        for x in args[1:]:
            acc -= x
        return acc
    if ar.op == "div":
        acc = args[0]
        for x in args[1:]:
            if x == 0:
                return None
            acc /= x
        return acc
    if ar.op == "abs":
        return abs(args[0])
    if ar.op == "min":
        return min(args)
    if ar.op == "max":
        return max(args)
    return None


class _Judge:
    """Evaluates one classify rule on a sample record, following docs/rules.md section 4."""

    def __init__(
        self, c: Commitment, treaty: TreatyState | None, rule: ClassifyRule, count_prefix: str
    ) -> None:
        self.c = c
        self.treaty = treaty
        self.rule = rule
        self.kind = rule.subject.kind
        self.ctx = _Ctx(c, treaty, rule, self.kind, True)
        self.prefix = count_prefix
        self.dtypes: dict[str, FieldType] = {}
        for name, ar in rule.derive.items():
            self.dtypes[name] = derived_type(ar, self.kind, self.dtypes)

    def param(self, name: str) -> Any:
        p = _param(self.c, self.treaty, name)
        return _latest_value(p) if p is not None else None

    def ftype(self, name: str) -> FieldType:
        if name in self.dtypes:
            return self.dtypes[name]
        if name in VIRTUAL_FIELDS:
            return VIRTUAL_FIELDS[name]
        return field_types(self.kind).get(name, "str") if name != "id" else "str"

    def values(self, sample: Mapping[str, Any]) -> dict[str, Any]:
        vals = dict(sample)
        for name, ar in self.rule.derive.items():
            vals[name] = _arith(ar, vals, self.param)
        return vals

    def holds(self, cond: Condition, vals: Mapping[str, Any], counts: Mapping[str, float]) -> bool:
        if isinstance(cond, AllOf):
            return all(self.holds(x, vals, counts) for x in cond.all)
        if isinstance(cond, AnyOf):
            return any(self.holds(x, vals, counts) for x in cond.any)
        if isinstance(cond, NotOf):
            return not self.holds(cond.not_, vals, counts)
        if isinstance(cond, AtLeast):
            return sum(self.holds(x, vals, counts) for x in cond.of) >= cond.at_least
        if isinstance(cond, CountCompare):
            n = counts.get(self.prefix + cond.count, 0.0)
            v = self.param(cond.value.param) if isinstance(cond.value, ParamRef) else cond.value
            return isinstance(v, int | float) and _cmp(n, cond.op, float(v))
        assert isinstance(cond, Compare)
        x = vals.get(cond.field)
        if cond.op == "exists":
            return x is not None
        if cond.op == "absent":
            return x is None
        if x is None:
            return False
        t = self.ftype(cond.field)
        if isinstance(cond.value, FieldRef):
            y = vals.get(cond.value.field)
            yt = self.ftype(cond.value.field)
            if y is None:
                return False
            if t != yt and {t, yt} == {"date", "datetime"}:
                x = _as_day(x, t)
                y = _as_day(y, yt)
        elif isinstance(cond.value, Arith):
            y = _arith(cond.value, vals, self.param)
            if y is None:
                return False
        else:
            raw = self.param(cond.value.param) if isinstance(cond.value, ParamRef) else cond.value
            y = _sample_norm(raw, t) if t != "list" else raw
            if y is None:
                return False
        op = _eff_op(cond, self.ctx)
        if op is None:
            return False
        if op == "contains":
            return y in x
        if op == "contains_all":
            return all(v in x for v in (y if isinstance(y, list | tuple) else [y]))
        if op == "contains_any":
            return any(v in x for v in (y if isinstance(y, list | tuple) else [y]))
        if op in ("in", "not_in"):
            ys = list(y) if isinstance(y, list | tuple) else [y]
            return (x in ys) == (op == "in")
        if op == "eq":
            return bool(x == y)
        if op == "ne":
            return bool(x != y)
        try:
            return _cmp(float(x), op, float(typing.cast(float, y)))
        except (TypeError, ValueError):
            return False

    def outcome(
        self, sample: Mapping[str, Any], counts: Mapping[str, float]
    ) -> tuple[str, str] | None:
        """(status, which: 'case N' or 'otherwise'), or None when the record is not selected."""
        vals = self.values(sample)
        r = self.rule
        if r.subject.where is not None and not self.holds(r.subject.where, vals, counts):
            return None
        if any(vals.get(f) is None for f in r.requires):
            return ("gap", "requires")
        for j, case in enumerate(r.cases):
            if self.holds(case.when, vals, counts):
                return (case.status, f"case {j + 1}")
        return (r.otherwise.status, "otherwise")


def _as_day(x: Any, t: FieldType) -> Any:
    if t == "datetime":
        return datetime.fromtimestamp(x, UTC).date().toordinal()
    return x


def _cmp(a: float, op: str, b: float) -> bool:
    return {
        "eq": a == b,
        "ne": a != b,
        "gt": a > b,
        "ge": a >= b,
        "lt": a < b,
        "le": a <= b,
    }[op]


def _sample_to_record(kind: str, sample: Mapping[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": kind, "id": "lint-sample"}
    model = RECORD_MODELS[kind]
    types = field_types(kind)
    for name, info in model.model_fields.items():
        if name in ("kind", "id", "note"):
            continue
        t = types.get(name, "str")
        if name in sample:
            v = sample[name]
            if v is None:
                continue
            if t == "date":
                v = date.fromordinal(int(v)).isoformat()
            elif t == "datetime":
                v = datetime.fromtimestamp(int(v), UTC).isoformat().replace("+00:00", "Z")
            elif t == "list":
                v = list(v)
            elif t == "number" and _is_integer(kind, name):
                v = int(v)
            data[name] = v
        elif info.is_required():
            m = field_meta(kind, name)
            if t == "date":
                data[name] = _BASE_DAY.isoformat()
            elif t == "datetime":
                data[name] = "2030-01-01T12:00:00Z"
            elif t == "number":
                lo = m.lo if m and m.lo is not None else 0
                data[name] = int(lo) + 1 if m and m.integer else float(lo) + 1
            elif t == "bool":
                data[name] = False
            elif t == "list":
                data[name] = []
            elif m is not None and m.choices:
                data[name] = m.choices[0]
            else:
                data[name] = "ZZZ"
    return data


def _sample_out(t: FieldType, v: Any) -> Any:
    """A sample value of a virtual field as a report would write it."""
    if t == "date":
        return date.fromordinal(int(v)).isoformat()
    if t == "list":
        return list(v)
    return v


def _is_integer(kind: str, name: str) -> bool:
    m = field_meta(kind, name)
    return m is not None and m.integer


def _describe_sample(kind: str, sample: Mapping[str, Any], counts: Mapping[str, float]) -> str:
    rec = _sample_to_record(kind, sample)
    parts = []
    for name in sorted(sample):
        if name in VIRTUAL_FIELDS and sample[name] is not None:
            parts.append(f"{name}={_fmt_val(_sample_out(VIRTUAL_FIELDS[name], sample[name]))}")
            continue
        parts.append(f"{name}={_fmt_val(rec[name])}" if name in rec else f"{name} absent")
    for name in sorted(counts):
        parts.append(f"count {name.split(':', 1)[1]}={int(counts[name])}")
    return ", ".join(parts)


def find_conflict(
    a: Commitment, ra: ClassifyRule, b: Commitment, rb: ClassifyRule, treaty: TreatyState | None
) -> tuple[str, str, str, str] | None:
    """A sample record on which one rule gives breach and the other an explicit compliant.

    Returns (status of a, which case of a, which case of b, sample description), or None.
    """

    def can(r: ClassifyRule) -> tuple[bool, bool]:
        breach = r.otherwise.status == "breach" or any(c.status == "breach" for c in r.cases)
        return breach, any(c.status == "compliant" for c in r.cases)

    (a_breach, a_ok), (b_breach, b_ok) = can(ra), can(rb)
    if not ((a_breach and b_ok) or (b_breach and a_ok)):
        return None  # no pair of outcomes could ever be opposite
    kind = ra.subject.kind
    ja, jb = _Judge(a, treaty, ra, "a:"), _Judge(b, treaty, rb, "b:")
    sampler = _Sampler(kind)
    reads: dict[str, set[str]] = {}
    for judge in (ja, jb):
        r = judge.rule
        conds: list[Condition] = [c.when for c in r.cases]
        if r.subject.where is not None:
            conds.append(r.subject.where)
        own = _Sampler(kind)
        for cond in conds:
            sampler.add_condition(cond, judge.ctx, judge.prefix)
            own.add_condition(cond, judge.ctx, judge.prefix)
        sampler.fields.update(f for f in r.requires if f not in r.derive)
        own.fields.update(f for f in r.requires if f not in r.derive)
        reads[judge.prefix] = own.fields | {judge.prefix + cs.name for cs in r.counts}
        for cs in r.counts:
            sampler.counts.setdefault(judge.prefix + cs.name, [])
    fields = sorted(f for f in sampler.fields if field_meta(kind, f) is not None)
    axes: list[list[Any]] = [sampler.candidates(f) for f in fields]
    count_names = sorted(sampler.counts)
    axes += [list(sampler.count_candidates(n)) for n in count_names]
    total = 1
    for ax in axes:
        total *= max(1, len(ax))
    combos: Iterable[tuple[Any, ...]]
    if total <= SAMPLE_LIMIT:
        combos = itertools.product(*axes)
    else:
        rng = random.Random(0)
        combos = (tuple(rng.choice(ax) for ax in axes) for _ in range(SAMPLE_LIMIT))
    model = RECORD_MODELS[kind]
    for combo in combos:
        sample = {f: v for f, v in zip(fields, combo[: len(fields)], strict=True) if v is not None}
        sample_full = dict(zip(fields, combo[: len(fields)], strict=True))
        counts = dict(zip(count_names, combo[len(fields) :], strict=True))
        oa, ob = ja.outcome(sample, counts), jb.outcome(sample, counts)
        if oa is None or ob is None:
            continue
        hit = (oa[0] == "breach" and ob[0] == "compliant" and ob[1].startswith("case")) or (
            ob[0] == "breach" and oa[0] == "compliant" and oa[1].startswith("case")
        )
        if not hit:
            continue
        breaching, other = (ja, jb) if oa[0] == "breach" else (jb, ja)
        if _avoidable(
            breaching, reads[breaching.prefix] - reads[other.prefix], sample_full, counts, sampler
        ):
            continue
        try:
            model.model_validate(_sample_to_record(kind, sample))
        except ValidationError:
            continue
        return oa[0], oa[1], ob[1], _describe_sample(kind, sample_full, counts)
    return None


def _avoidable(
    judge: _Judge,
    only: set[str],
    sample: Mapping[str, Any],
    counts: Mapping[str, float],
    sampler: _Sampler,
) -> bool:
    """Whether the breach can be avoided by changing only what the other rule never reads.

    A record on which one commitment finds a breach and the other an explicit compliance is a
    conflict only if the Party cannot satisfy both: if some value of a field (or a count) that
    only the breaching rule reads ends the breach, the other rule's verdict stays as it was and
    both are met (declaring a facility does not change whether it is under exclusive control).
    """
    names = sorted(f for f in only if f in sample)
    count_names = sorted(n for n in only if n in counts)
    axes = [sampler.candidates(f) for f in names] + [
        sampler.count_candidates(n) for n in count_names
    ]
    for k, combo in enumerate(itertools.product(*axes)):
        if k >= SAMPLE_LIMIT:
            break
        alt = dict(sample)
        alt.update(zip(names, combo[: len(names)], strict=True))
        alt_counts = dict(counts)
        alt_counts.update(zip(count_names, combo[len(names) :], strict=True))
        out = judge.outcome({f: v for f, v in alt.items() if v is not None}, alt_counts)
        if out is None or out[0] != "breach":
            return True
    return False


# ------------------------------------------------------------------------------------------
# The checks


class _Linter:
    def __init__(self, inp: LintInput, extra_vague: Sequence[str]) -> None:
        self.inp = inp
        self.treaty = inp.treaty_model
        self.extra_vague = list(extra_vague)
        self.out: list[LintFinding] = []

    # -- helpers ---------------------------------------------------------------------------

    def add(
        self,
        code: str,
        doc: LintDoc | None,
        pointer: str,
        message: str,
        fix: str = "",
        *,
        line: int | None = None,
        file: str | None = None,
    ) -> None:
        cid = doc.model.id if doc is not None and isinstance(doc.model, Commitment) else None
        if line is None and doc is not None:
            line = doc.line_of(pointer)
        self.out.append(
            LintFinding(
                code, message, file or (doc.file if doc else "<inputs>"), line, pointer, cid, fix
            )
        )

    def text_line(self, doc: LintDoc, pointer: str, needle: str) -> int | None:
        return _line_in_block(self.inp.file_texts.get(doc.file), doc.line_of(pointer), needle)

    # -- per commitment --------------------------------------------------------------------

    def run(self) -> list[LintFinding]:
        for cid in sorted(self.inp.commitments):
            doc = self.inp.commitments[cid]
            assert isinstance(doc.model, Commitment)
            c = doc.model
            self.check_rules_exist(doc, c)
            covered = self.check_vacuous(doc, c)
            covered |= self.check_params_thresholds(doc, c)
            self.check_compile(doc, c, covered)
            self.check_observable(doc, c)
            self.check_reporting(doc, c)
            self.check_enforcement(doc, c)
            self.check_vague(doc, c)
            self.check_terms(doc, c)
            self.check_parameters(doc, c)
            self.check_evidence_from(doc, c)
        self.check_conflicts()
        self.check_treaty()
        self.check_todos()
        return sorted(self.out, key=lambda f: (f.file, f.line or 0, f.code, f.message))

    def check_rules_exist(self, doc: LintDoc, c: Commitment) -> None:
        if c.rules:
            return
        if c.category == "general":
            self.add(
                "TE103",
                doc,
                "/rules",
                f"{c.id} is a general provision with no rule of its own; the engine applies "
                "it to every rule (docs/rules.md section 5), so lint cannot check it",
                "nothing to do if the engine implements it; otherwise add rules",
            )
        elif c.machine_checkable == "none":
            self.add(
                "TE102",
                doc,
                "/machine_checkable",
                f"{c.id} has no rule and declares machine_checkable: none; no finding will "
                "ever say whether it is kept",
                "add a rule for the part that can be checked, or keep it under review",
            )
        else:
            self.add(
                "TE101",
                doc,
                "/rules",
                f"{c.id} has no machine rule although machine_checkable is "
                f"{c.machine_checkable}: it is unverifiable",
                "add a rule (see docs/rules.md), or set machine_checkable: none",
            )

    def check_compile(self, doc: LintDoc, c: Commitment, covered: set[str]) -> None:
        try:
            compile_program([c], self.treaty, date(2000, 1, 1))
        except CompileError as e:
            if any(
                e.pointer == p or e.pointer.startswith(p + "/") or p.startswith(e.pointer + "/")
                for p in covered
            ):
                return
            self.add("TE001", doc, e.pointer, f"rule {e.rule}: {e.message}", e.fix)

    def check_observable(self, doc: LintDoc, c: Commitment) -> None:
        own = {k for d in c.verification.reports for k in d.kinds}
        elsewhere: dict[str, list[str]] = {}
        for oid, other in sorted(self.inp.context.items()):
            if oid == c.id:
                continue
            for d in other.verification.reports:
                for k in d.kinds:
                    elsewhere.setdefault(k, []).append(oid)
        seen: set[str] = set()
        for i, rule in enumerate(c.rules):
            for kind, suffix in rule_kinds(rule):
                if kind in own or kind in seen or kind not in RECORD_MODELS:
                    continue
                seen.add(kind)
                ptr = f"/rules/{i}{suffix}"
                if kind in elsewhere:
                    who = ", ".join(dict.fromkeys(elsewhere[kind]))
                    self.add(
                        "TE111",
                        doc,
                        ptr,
                        f"{rule.id} reads {kind} records, which only the verification "
                        f"clauses of {who} oblige the parties to report",
                        f"list {kind} under verification.reports[].kinds if this "
                        "commitment needs it reported on its own terms",
                    )
                else:
                    self.add(
                        "TE110",
                        doc,
                        ptr,
                        f"{rule.id} reads {kind} records, but no verification clause "
                        f"obliges anyone to report {kind}: the rule can never see data",
                        f"add a reporting duty with kinds: [{kind}] under verification",
                    )

    def check_reporting(self, doc: LintDoc, c: Commitment) -> None:
        for j, d in enumerate(c.verification.reports):
            missing = [
                n for n, v in (("deadline", d.deadline), ("frequency", d.frequency)) if v is None
            ]
            if missing:
                self.add(
                    "TE120",
                    doc,
                    f"/verification/reports/{j}",
                    f"reporting duty {j + 1} ({', '.join(d.kinds) or d.what[:40]}) has no "
                    f"{' and no '.join(missing)}",
                    "say when the data is due and how often (deadline, frequency)",
                )

    def check_enforcement(self, doc: LintDoc, c: Commitment) -> None:
        e = c.enforcement
        if not (e.mechanism or "").strip():
            self.add(
                "TE201",
                doc,
                "/enforcement",
                f"{c.id} names no enforcement mechanism: nothing happens on breach",
                "add enforcement.mechanism (e.g. consultation, referral to the Conference "
                "of the Parties)",
            )
        elif e.response_deadline_days is None:
            self.add(
                "TE202",
                doc,
                "/enforcement/mechanism",
                f"the enforcement mechanism of {c.id} has no response deadline",
                "add enforcement.response_deadline_days",
            )
        if c.severity in ("high", "critical") and not e.sanction_available and c.rules:
            self.add(
                "TE203",
                doc,
                "/enforcement/sanction_available",
                f"{c.id} is of {c.severity} severity but a breach carries no sanction",
                "set enforcement.sanction_available (and sanction_from) if one is intended",
            )

    def _texts(self, c: Commitment) -> list[tuple[int, str]]:
        return list(enumerate(t.text for t in c.text))

    def _defined_anywhere(self, term: str, c: Commitment) -> bool:
        variants = _term_variants(term)
        for other in [c, *self.inp.context.values()]:
            for key in other.definitions:
                if _term_variants(key) & variants:
                    return True
        return bool(variants & TREATY_GLOSSARY)

    def check_vague(self, doc: LintDoc, c: Commitment) -> None:
        vague = list(
            self.treaty.vague_terms
            if self.treaty
            else TreatyState.model_fields["vague_terms"].get_default(call_default_factory=True)
        )
        vague += self.extra_vague
        keys = [_norm_term(k) for k in c.definitions]
        for i, text in self._texts(c):
            if c.text[i].lang != "en":
                continue
            for term in dict.fromkeys(vague):
                m = _term_rx(term).search(text)
                if not m:
                    continue
                nt = _norm_term(term)
                if any(nt in k for k in keys):
                    continue
                ptr = f"/text/{i}/text"
                self.add(
                    "TE301",
                    doc,
                    ptr,
                    f"the text uses the vague term {term!r} without a definition",
                    f"define {term!r} under definitions with something checkable, or "
                    "replace it with a figure",
                    line=self.text_line(doc, ptr, m.group(0)),
                )

    def check_terms(self, doc: LintDoc, c: Commitment) -> None:
        all_text = " ".join(t.text for t in c.text)
        for term in c.definitions:
            # "compute unaccounted for (CUF)": the term or its parenthesised short form counts
            forms = [term, re.sub(r"\s*\([^)]*\)", "", term)] + re.findall(r"\(([^)]+)\)", term)
            if not any(f.strip() and _term_rx(f).search(all_text) for f in forms):
                self.add(
                    "TE302",
                    doc,
                    f"/definitions/{_ptr(term)}",
                    f"the defined term {term!r} is never used in the text",
                    "use the term in the text, or remove the definition",
                )
        for i, text in self._texts(c):
            if c.text[i].lang != "en":
                continue
            ptr = f"/text/{i}/text"
            found: dict[str, str] = {}
            for m in _QUOTED_RX.finditer(text):
                term = m.group(1).strip()
                if 0 < len(term.split()) <= 6:
                    found.setdefault(_norm_term(term), term)
            for term in capitalised_terms(text):
                found.setdefault(_norm_term(term), term)
            for term in found.values():
                if self._defined_anywhere(term, c):
                    continue
                self.add(
                    "TE303",
                    doc,
                    ptr,
                    f"the text uses the term {term!r}, which no commitment defines",
                    f"add {term!r} under definitions",
                    line=self.text_line(doc, ptr, term),
                )

    def check_parameters(self, doc: LintDoc, c: Commitment) -> None:
        uses = param_uses(c)
        used_by_rules = {name for name, _, _ in uses}
        texts = self._texts(c)
        placeholders: set[str] = set()
        for i, text in texts:
            ptr = f"/text/{i}/text"
            for m in _PLACEHOLDER_RX.finditer(text):
                name = m.group(1)
                placeholders.add(name)
                if _param(c, self.treaty, name) is None:
                    self.add(
                        "TE401",
                        doc,
                        ptr,
                        f"the text names the parameter {{{name}}}, which is not defined",
                        f"define {name} under parameters, or fix the name",
                        line=self.text_line(doc, ptr, m.group(0)),
                    )
        figures = [(i, f) for i, text in texts for f in text_figures(text)]
        for name, p in c.parameters.items():
            if name in used_by_rules or name in placeholders:
                continue
            vals = _param_values(p)
            nums = _numeric_values(vals)
            in_text = any(_figure_matches(f, nums) for _, f in figures) if nums else False
            if not in_text:
                strs = [v for v in vals if isinstance(v, str) and not isinstance(v, bool)]
                strs += [x for v in vals if isinstance(v, list) for x in v]
                in_text = bool(strs) and all(
                    any(re.search(rf"(?<!\w){re.escape(s)}(?!\w)", t) for _, t in texts)
                    for s in strs
                )
            if not in_text:
                self.add(
                    "TE402",
                    doc,
                    f"/parameters/{_ptr(name)}",
                    f"the parameter {name} is used neither by a rule nor by the text",
                    "reference it from a rule ({param: " + name + "}), name it in the "
                    "text, or remove it",
                )
        known = [v for p in c.parameters.values() for v in _numeric_values(_param_values(p))]
        if self.treaty is not None:
            known += [
                v
                for p in self.treaty.parameters.values()
                for v in _numeric_values(_param_values(p))
            ]
        known += sorted(_rule_numbers(c))
        reported: set[str] = set()
        for i, fig in figures:
            if fig.unit is None or _figure_matches(fig, known):
                continue
            key = _norm_term(fig.text)
            if key in reported:
                continue
            reported.add(key)
            ptr = f"/text/{i}/text"
            self.add(
                "TE403",
                doc,
                ptr,
                f"the figure {fig.text.strip()!r} in the text is not a parameter and no rule "
                "uses it",
                "make it a parameter with a unit so rules and what-if sweeps can use it",
                line=self.text_line(doc, ptr, fig.text),
            )

    def check_params_thresholds(self, doc: LintDoc, c: Commitment) -> set[str]:
        covered: set[str] = set()
        done: set[tuple[str, str]] = set()
        for name, use, ptr in param_uses(c):
            p = _param(c, self.treaty, name)
            if p is None:
                continue
            own = name in c.parameters
            where = f"/parameters/{_ptr(name)}" if own else ptr
            scope = "" if own else " (a treaty parameter)"
            if use == "meets" and p.comparison is None and ("TE410", name) not in done:
                done.add(("TE410", name))
                covered.add(ptr)
                self.add(
                    "TE410",
                    doc,
                    where,
                    f"the threshold {name}{scope} is compared with meets/below but has no "
                    "strict/inclusive choice",
                    "add comparison: strict (exceeds, >) or inclusive (reaches, >=)",
                )
            thresholdish = use in ("meets", "threshold", "count")
            if thresholdish and not p.unit and ("TE411", name) not in done:
                done.add(("TE411", name))
                self.add(
                    "TE411",
                    doc,
                    where,
                    f"the threshold {name}{scope} has no unit",
                    "add unit: (e.g. FLOP, operations, days, H100e)",
                )
            if (
                use in ("offset", "schedule")
                and p.time_zone is None
                and ("TE420", name) not in done
            ):
                done.add(("TE420", name))
                self.add(
                    "TE420",
                    doc,
                    where,
                    f"the deadline parameter {name}{scope} has no time-zone convention",
                    "add time_zone: UTC (the treaty compares every time in UTC)",
                )
        return covered

    def check_vacuous(self, doc: LintDoc, c: Commitment) -> set[str]:
        covered: set[str] = set()
        for i, rule in enumerate(c.rules):
            base = f"/rules/{i}"
            sel_ptr, sel = _selector(rule)
            primary_kind = sel.kind
            if primary_kind not in RECORD_MODELS:
                continue
            pctx = _Ctx(c, self.treaty, rule, primary_kind, True)
            sel_unsat = None
            if sel.where is not None:
                sel_unsat = condition_unsat(sel.where, f"{base}{sel_ptr}/where", pctx)
            if sel_unsat is not None:
                covered.add(sel_unsat[0])
                self.add(
                    "TE501",
                    doc,
                    sel_unsat[0],
                    f"{rule.id} can never fire: its selection never holds ({sel_unsat[1]})",
                    "fix the condition so that some valid record can meet it",
                )
                continue
            for suffix, cond, kind in iter_conditions(rule):
                if suffix == f"{sel_ptr}/where" or kind not in RECORD_MODELS:
                    continue
                ctx = _Ctx(
                    c,
                    self.treaty,
                    rule,
                    kind,
                    kind == primary_kind
                    and not suffix.startswith(("/counts", "/fulfil", "/excused_by")),
                )
                ptr = f"{base}{suffix}"
                if (
                    kind == primary_kind
                    and sel.where is not None
                    and not suffix.startswith(("/counts", "/fulfil", "/excused_by"))
                ):
                    r = _conjunction_unsat([(1, cond), (0, sel.where)], ptr, ctx, "")
                    if r is not None and r[0].startswith("1"):
                        r = (ptr + r[0][1:], r[1])
                    elif r is not None and r[0].startswith("0"):
                        r = (f"{base}{sel_ptr}/where" + r[0][1:], r[1])
                else:
                    r = condition_unsat(cond, ptr, ctx)
                if r is None:
                    continue
                covered.add(r[0])
                what = {
                    "/cases": "case",
                    "/counts": "count",
                    "/fulfil": "fulfilment",
                    "/excused_by": "excuse",
                    "/deadlines": "deadline",
                }
                label = next((v for k, v in what.items() if suffix.startswith(k)), "condition")
                self.add(
                    "TE501",
                    doc,
                    ptr,
                    f"a {label} of {rule.id} can never apply: {r[1]}",
                    "fix the condition so that some valid record can meet it",
                )
        return covered

    def check_evidence_from(self, doc: LintDoc, c: Commitment) -> None:
        for j, ref in enumerate(c.verification.evidence_from):
            if ref not in self.inp.context:
                self.add(
                    "TE901",
                    doc,
                    f"/verification/evidence_from/{j}",
                    f"evidence_from names {ref}, which no document defines",
                    "name an existing commitment, or add its document",
                )

    # -- across commitments ---------------------------------------------------------------

    def check_conflicts(self) -> None:
        given = set(self.inp.commitments)
        by_kind: dict[str, list[tuple[Commitment, int, ClassifyRule]]] = {}
        for cid in sorted(self.inp.context):
            c = self.inp.context[cid]
            for i, r in enumerate(c.rules):
                if isinstance(r, ClassifyRule) and r.subject.kind in RECORD_MODELS:
                    by_kind.setdefault(r.subject.kind, []).append((c, i, r))
        for _kind, items in sorted(by_kind.items()):
            for (a, ia, ra), (b, ib, rb) in itertools.combinations(items, 2):
                if a.id == b.id or (a.id not in given and b.id not in given):
                    continue
                try:
                    hit = find_conflict(a, ra, b, rb, self.treaty)
                except (CompileError, ValueError, TypeError, KeyError):
                    continue
                if hit is None:
                    continue
                status_a, case_a, case_b, sample = hit
                if status_a == "breach":
                    msg = (
                        f"{ra.id} ({case_a}) gives breach and {rb.id} ({case_b}) gives "
                        f"compliant for the same {ra.subject.kind} record, e.g. {sample}"
                    )
                else:
                    msg = (
                        f"{ra.id} ({case_a}) gives compliant and {rb.id} ({case_b}) gives "
                        f"breach for the same {ra.subject.kind} record, e.g. {sample}"
                    )
                target, idx = (a, ia) if a.id in given else (b, ib)
                doc = self.inp.commitments[target.id]
                self.add(
                    "TE502",
                    doc,
                    f"/rules/{idx}",
                    msg,
                    "narrow one rule's selection or cases so the two commitments "
                    "agree, or state which prevails",
                )

    def check_treaty(self) -> None:
        doc = self.inp.treaty
        t = self.treaty
        if doc is None or t is None or not self.inp.treaty_given:
            return
        cats = {c.category for c in self.inp.context.values()}
        for j, pillar in enumerate(t.mission_pillars):
            if pillar not in cats:
                self.add(
                    "TE601",
                    doc,
                    f"/mission_pillars/{j}",
                    f"the mission pillar {pillar!r} has no commitment",
                    f"add a commitment with category: {pillar}, or remove the pillar",
                )
        for j, cid in enumerate(t.commitments):
            if cid not in self.inp.context:
                self.add(
                    "TE901",
                    doc,
                    f"/commitments/{j}",
                    f"the treaty lists {cid} as in force, but no document defines it",
                    "add its commitment document, or remove it from the list",
                )

    def check_todos(self) -> None:
        given_files = {d.file for d in self.inp.commitments.values()}
        if self.inp.treaty is not None and self.inp.treaty_given:
            given_files.add(self.inp.treaty.file)
        for file in sorted(given_files):
            text = self.inp.file_texts.get(file, "")
            starts = self.inp.doc_starts.get(file, [])
            for n, line in enumerate(text.splitlines(), start=1):
                if "TODO" not in line:
                    continue
                cid = starts[0][1] if starts else None
                for first, owner in starts:
                    if first <= n:
                        cid = owner
                what = line.strip().lstrip("#- ").strip()
                self.out.append(
                    LintFinding(
                        "TE900",
                        f"TODO left in the document: {what[:90]}",
                        file,
                        n,
                        "",
                        cid,
                        "fill in the value and delete the TODO marker",
                    )
                )


def _selector(rule: Rule) -> tuple[str, Any]:
    if isinstance(rule, ClassifyRule):
        return "/subject", rule.subject
    if isinstance(rule, DeadlineRule):
        return "/trigger", rule.trigger
    return "/submission", rule.submission


def _ptr(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def lint(inp: LintInput, *, vague_terms: Sequence[str] = ()) -> list[LintFinding]:
    """Every lint finding for the inputs, sorted by file, line and code."""
    return _Linter(inp, vague_terms).run()


def lint_paths(
    paths: Sequence[str | Path],
    *,
    vague_terms: Sequence[str] = (),
    library: str | Path | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> list[LintFinding]:
    """Load and lint (raises ``InputError`` for invalid documents)."""
    return lint(load_lint_inputs(paths, limits, library=library), vague_terms=vague_terms)


__all__ = [
    "CHECKS",
    "Check",
    "LintFinding",
    "LintInput",
    "find_conflict",
    "lint",
    "lint_paths",
    "load_lint_inputs",
]
