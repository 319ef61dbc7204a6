"""The types of record fields, and the type checks a rule's operands and arithmetic must pass.

A field's type (``FieldType``) is read from its record model once per kind. ``RecordScope`` is
what one condition may name: the fields of one record kind in one rule, its derived values
(``derive``, on the rule's primary record only) and the parameters of the commitment and the
treaty. ``operand`` type-checks a comparison's right-hand side and writes it as a durable_rules
operand (dates as day numbers, timestamps as epoch seconds); ``check_arith`` checks the
arithmetic of ``derive``. A mismatch is a ``CompileError`` naming the commitment, the rule, the
place (a JSON pointer) and the fix.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Mapping
from datetime import date, datetime
from functools import cache
from types import MappingProxyType, NoneType, UnionType
from typing import Any, Literal

from engine.errors import CompileError
from engine.model.commitment import Commitment, Parameter, TreatyState
from engine.model.records import RECORD_MODELS
from engine.model.rules import Arith, FieldRef, ParamRef, Rule

FieldType = Literal["date", "datetime", "number", "bool", "str", "list"]
TEMPORAL = ("date", "datetime")

VIRTUAL_FIELDS: dict[str, FieldType] = {
    "party_entry_into_force": "date",
    "reported_by": "list",
    "evidence_levels": "list",
}
"""Fields every record has without any report stating them (docs/rules.md section 3): facts about
the subject party and about the reports, read like reported fields in conditions, ``derive``,
deadline anchors and scopes. They are not reported, so they cannot correlate two records (joins),
time a fulfilment or a submission, or be ``requires``-d."""

_ARITH_KEYS = {"add": "$add", "sub": "$sub", "mul": "$mul", "div": "$div"}


def _classify_annotation(ann: Any) -> FieldType:
    origin = typing.get_origin(ann)
    if origin in (typing.Union, UnionType):
        args = [a for a in typing.get_args(ann) if a is not NoneType]
        return _classify_annotation(args[0])
    if origin is typing.Annotated:
        return _classify_annotation(typing.get_args(ann)[0])
    if origin is Literal:
        vals = typing.get_args(ann)
        return "bool" if all(isinstance(v, bool) for v in vals) else "str"
    if origin in (list, tuple):
        return "list"
    if ann is bool:
        return "bool"
    if ann in (int, float):
        return "number"
    if ann is date:
        return "date"
    if ann is datetime or getattr(ann, "__name__", "") == "AwareDatetime":
        return "datetime"
    if typing.get_origin(ann) is None and str(ann).endswith("AwareDatetime"):
        return "datetime"
    return "str"


@cache
def field_types(kind: str) -> Mapping[str, FieldType]:
    """Field name -> type for a record kind, read from its model (once per kind)."""
    model = RECORD_MODELS[kind]
    return MappingProxyType(
        {
            name: _classify_annotation(info.annotation)
            for name, info in model.model_fields.items()
            if name not in ("kind", "note")
        }
    )


def fact_name(name: str) -> str:
    """Name of a record field inside a durable_rules fact (``id`` is reserved there)."""
    return "_rid" if name == "id" else name


def sanitize(rule_id: str) -> str:
    """A rule id as it appears in fact field and join rule names (letters and digits only)."""
    return re.sub(r"[^A-Za-z0-9]", "_", rule_id)


def whole_number(kind: str, name: str) -> bool:
    """Whether a number field of a record kind holds whole numbers (a year)."""
    info = RECORD_MODELS[kind].model_fields.get(name)
    if info is None:
        return False
    ann = info.annotation
    args = [a for a in typing.get_args(ann) if a is not NoneType] if typing.get_args(ann) else [ann]
    return args == [int]


def derived_type(ar: Arith, kind: str, known: dict[str, FieldType]) -> FieldType:
    """Type of a derived value: temporal for min/max/coalesce of temporal fields, else number."""
    if ar.op in ("min", "max", "coalesce"):
        types = set()
        for a in ar.args:
            if isinstance(a, FieldRef):
                types.add(
                    known.get(a.field)
                    or VIRTUAL_FIELDS.get(a.field)
                    or field_types(kind).get(a.field, "number")
                )
            elif isinstance(a, Arith):
                types.add(derived_type(a, kind, known))
            else:
                types.add("number")
        if len(types) == 1:
            (t,) = types
            return t
    return "number"


class NoValue:
    """A parameter not in force: the comparison using it is false."""


NO_VALUE = NoValue()


def contains_no_value(x: Any) -> bool:
    """Whether an operand is, or holds, a parameter not in force."""
    if x is NO_VALUE:
        return True
    if isinstance(x, dict):
        return any(contains_no_value(v) for v in x.values())
    return False


class RecordScope:
    """What a condition on one record kind within one rule may name, and its types.

    The rule's primary record (its subject, trigger or submission) also has the rule's derived
    values, and reads a versioned parameter from the fact (``param_fields``) rather than on the
    compilation day. Every other record of the rule (counted, fulfilling, excusing) gets a scope
    of its own from ``other``.
    """

    def __init__(
        self,
        commitment: Commitment,
        rule: Rule,
        kind: str,
        treaty: TreatyState | None,
        as_of: date,
        *,
        primary: bool,
        derived: dict[str, str] | None = None,
    ) -> None:
        """The records of ``kind`` in ``rule``; ``primary`` for the rule's own record.

        ``derived`` maps the rule's derived values to their fact fields (primary record only);
        parameters are the commitment's, else the ``treaty``'s, read on ``as_of``.
        """
        self.commitment = commitment
        self.rule = rule
        self.kind = kind
        self.treaty = treaty
        self.as_of = as_of
        self.primary = primary
        self.derived = derived or {}
        """Derived value name -> its fact field."""
        self.derived_types: dict[str, FieldType] = {}
        self.param_fields: dict[str, str] = {}
        """Versioned parameter name -> the fact field carrying its value (primary record)."""
        if primary:
            for dname, ar in rule.derive.items():
                self.derived_types[dname] = derived_type(ar, kind, self.derived_types)

    def other(self, kind: str) -> RecordScope:
        """The scope of another record of the same rule (no derived values)."""
        return RecordScope(self.commitment, self.rule, kind, self.treaty, self.as_of, primary=False)

    def err(self, pointer: str, message: str, fix: str) -> CompileError:
        """A compile error in this scope's commitment and rule."""
        return CompileError(self.commitment.id, self.rule.id, pointer, message, fix)

    def ftype(self, name: str, pointer: str) -> FieldType:
        """The type of a field, derived value or virtual field; an unknown name is an error."""
        if name in self.derived:
            return self.derived_types.get(name, "number")
        if name in VIRTUAL_FIELDS:
            return VIRTUAL_FIELDS[name]
        types = field_types(self.kind)
        if name == "id":
            return "str"
        if name not in types:
            raise self.err(
                pointer,
                f"record kind {self.kind!r} has no field {name!r}",
                "use one of: " + ", ".join(sorted([*types, *VIRTUAL_FIELDS])),
            )
        return types[name]

    def reported(self, name: str, pointer: str, use: str, fix: str) -> FieldType:
        """The type of a field that must be reported on the record (not a virtual field)."""
        if name in VIRTUAL_FIELDS and name not in self.derived:
            raise self.err(pointer, f"{name!r} is not reported on a record: it cannot {use}", fix)
        return self.ftype(name, pointer)

    def fname(self, name: str) -> str:
        """The fact field of a record field or derived value."""
        return self.derived.get(name, fact_name(name))

    def always(self, name: str) -> bool:
        """Whether every fact of this kind has the field.

        The id, a required field or one with a default do; a derived value may be absent.
        """
        if name == "id":
            return True
        if name in self.derived or name in VIRTUAL_FIELDS:
            return False
        info = RECORD_MODELS[self.kind].model_fields.get(name)
        if info is None:
            return False
        return info.is_required() or info.get_default(call_default_factory=True) is not None

    def parameter(self, ref: ParamRef, pointer: str) -> Parameter:
        """The parameter named: the commitment's, else the treaty's; unknown is an error."""
        p = self.commitment.parameters.get(ref.param)
        if p is None and self.treaty is not None:
            p = self.treaty.parameters.get(ref.param)
        if p is None:
            raise self.err(
                pointer,
                f"unknown parameter {ref.param!r}",
                "define it under 'parameters' of the commitment or the treaty",
            )
        return p

    def is_date_only(self, value: Any) -> bool:
        """Whether a comparison value is a date without a time.

        The value is a literal, or a parameter read on the compilation day.
        """
        if isinstance(value, ParamRef):
            p = self.commitment.parameters.get(value.param) or (
                self.treaty.parameters.get(value.param) if self.treaty else None
            )
            value = p.value_on(self.as_of) if p is not None else None
        if isinstance(value, str):
            try:
                date.fromisoformat(value)
            except ValueError:
                return False
            return len(value) == 10
        return False


# ------------------------------------------------------------------------------------------
# Operands: type-checked and written as durable_rules operands


def operand(scope: RecordScope, op: Any, pointer: str, want: FieldType, refs: list[str]) -> Any:
    """A comparison's right-hand side as a durable operand, checked against the type ``want``.

    ``want`` is the type of the field it is compared with. Fact fields it reads are appended
    to ``refs``: durable does not treat a missing ``$m`` property as a non-match, so the atom
    tests that each exists.
    """
    if isinstance(op, ParamRef):
        value = param_operand(scope, op, pointer, want)
        if isinstance(value, dict) and "$m" in value:
            refs.append(value["$m"])
        return value
    if isinstance(op, FieldRef):
        return _field_operand(scope, op, pointer, want, refs)
    if isinstance(op, Arith):
        return _arith_operand(scope, op, pointer, want, refs)
    return literal(scope, op, pointer, want)


def _field_operand(
    scope: RecordScope, op: FieldRef, pointer: str, want: FieldType, refs: list[str]
) -> dict[str, str]:
    t = scope.ftype(op.field, pointer)
    if want in TEMPORAL and t in TEMPORAL and t != want:
        name = fact_name(op.field) + "__day"
        refs.append(name)
        return {"$m": name}
    if t != want:
        raise scope.err(
            pointer,
            f"field {op.field!r} ({t}) compared with a {want} field",
            "compare fields of the same type",
        )
    refs.append(scope.fname(op.field))
    return {"$m": scope.fname(op.field)}


def _arith_operand(
    scope: RecordScope, op: Arith, pointer: str, want: FieldType, refs: list[str]
) -> Any:
    if op.op not in _ARITH_KEYS:
        raise scope.err(
            pointer,
            f"'{op.op}' cannot be used inside a comparison",
            "compute it under 'derive' and compare the derived field",
        )
    args = [
        operand(scope, a, f"{pointer}/args/{i}", "number" if want not in TEMPORAL else want, refs)
        for i, a in enumerate(op.args)
    ]
    acc = args[0]
    key = _ARITH_KEYS[op.op]
    for a in args[1:]:
        acc = {key: {"$l": acc, "$r": a}}
    return acc


def param_operand(scope: RecordScope, ref: ParamRef, pointer: str, want: FieldType) -> Any:
    """A parameter as a durable operand.

    A constant, or a per-fact field if versioned (on the primary record); ``NO_VALUE`` when
    it is not in force on the compilation day.
    """
    p = scope.parameter(ref, pointer)
    if p.versions and scope.primary:
        fieldname = f"_p_{sanitize(scope.rule.id)}_{ref.param}"
        scope.param_fields[ref.param] = fieldname
        return {"$m": fieldname}
    value = p.value_on(scope.as_of)
    if value is None:
        return NO_VALUE
    return literal(scope, value, pointer, want)


def literal(scope: RecordScope, value: Any, pointer: str, want: FieldType) -> Any:
    """A literal checked against the type ``want``, as a durable operand.

    Dates become day numbers, timestamps epoch seconds, numbers floats; lists are checked item
    by item (as text).
    """
    if isinstance(value, bool):
        if want != "bool":
            raise scope.err(
                pointer,
                f"true/false compared with a {want} field",
                "compare with a value of the field's type",
            )
        return value
    if isinstance(value, int | float):
        if want not in ("number",):
            raise scope.err(
                pointer,
                f"a number compared with a {want} field",
                "compare with a value of the field's type",
            )
        return float(value)
    if isinstance(value, str):
        return _text_literal(scope, value, pointer, want)
    if isinstance(value, list):
        return [literal(scope, v, pointer, "str") for v in value]
    raise scope.err(pointer, f"unsupported value {value!r}", "use a number, text, date or list")


def _text_literal(scope: RecordScope, value: str, pointer: str, want: FieldType) -> Any:
    if want == "date":
        try:
            return float((date.fromisoformat(value) - date(1970, 1, 1)).days)
        except ValueError:
            raise scope.err(pointer, f"{value!r} is not a date", "write YYYY-MM-DD") from None
    if want == "datetime":
        try:
            ts = datetime.fromisoformat(value)
        except ValueError:
            raise scope.err(
                pointer, f"{value!r} is not a timestamp", "write an ISO timestamp with zone"
            ) from None
        if ts.tzinfo is None:
            raise scope.err(pointer, f"{value!r} has no time zone", "add Z or an offset")
        return float(int(ts.timestamp()))
    if want not in ("str", "list"):
        raise scope.err(
            pointer,
            f"text compared with a {want} field",
            "compare with a value of the field's type",
        )
    return value


# ------------------------------------------------------------------------------------------
# Arithmetic of derived values


def check_arith(scope: RecordScope, ar: Arith, pointer: str) -> None:
    """Check a ``derive`` expression.

    Its arity, and that it computes over numbers, dates and parameters (``count_distinct``:
    over one list field).
    """
    if ar.op == "abs" and len(ar.args) != 1:
        raise scope.err(pointer, "abs takes exactly one argument", "give one argument")
    if ar.op == "count_distinct":
        _check_count_distinct(scope, ar, pointer)
        return
    for i, a in enumerate(ar.args):
        if isinstance(a, Arith):
            check_arith(scope, a, f"{pointer}/args/{i}")
        elif isinstance(a, FieldRef):
            if a.field in scope.derived:
                continue
            t = scope.ftype(a.field, f"{pointer}/args/{i}")
            if t not in ("number", "date", "datetime"):
                raise scope.err(
                    f"{pointer}/args/{i}",
                    f"{a.field!r} ({t}) used in arithmetic",
                    "use number or date fields",
                )
        elif isinstance(a, ParamRef):
            scope.parameter(a, f"{pointer}/args/{i}")
        elif isinstance(a, bool) or not isinstance(a, int | float):
            raise scope.err(
                f"{pointer}/args/{i}",
                f"{a!r} is not a number",
                "use numbers, fields or parameters",
            )


def _check_count_distinct(scope: RecordScope, ar: Arith, pointer: str) -> None:
    arg = ar.args[0]
    if len(ar.args) != 1 or not isinstance(arg, FieldRef):
        raise scope.err(
            f"{pointer}/args",
            "count_distinct takes exactly one list field",
            "write args: [{field: LIST_FIELD}]",
        )
    t = scope.ftype(arg.field, f"{pointer}/args/0")
    if t != "list":
        raise scope.err(
            f"{pointer}/args/0",
            f"count_distinct counts the items of a list; {arg.field!r} is {t}",
            "name a list field, e.g. requested_by",
        )
