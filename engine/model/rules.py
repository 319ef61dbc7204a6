"""The rule language: machine-checkable rules written as data inside commitment documents.

Three rule types cover the commitment catalogue (see ``docs/rules.md`` for the semantics):

* ``classify``: every record of one kind that is in scope gets the status of the first case whose
  condition holds (prohibitions, quotas and counts, indicator tests, arithmetic on reported
  numbers).
* ``deadline``: every trigger record needs a correlated fulfilling record in time (prior
  notification, replies within 48 hours, registration within 10 working days).
* ``periodic``: a submission of a kind is due on a schedule (15 December each year; 24 months after
  entry into force and every 24 months after that).

Conditions compare record fields with literals, parameters, other fields of the same record or
arithmetic over them. Nothing in a rule is ever evaluated as code.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field, model_validator

from engine.model.base import Doc
from engine.model.vocabulary import Flag, Status

CompareOp = Literal[
    "eq",
    "ne",
    "gt",
    "ge",
    "lt",
    "le",
    "in",
    "not_in",
    "contains",
    "contains_all",
    "contains_any",
    "exists",
    "absent",
    "meets",
    "below",
]
CountOp = Literal["eq", "ne", "gt", "ge", "lt", "le"]
TimeUnit = Literal["days", "hours", "working_days", "months"]


class ParamRef(Doc):
    """A reference to a named parameter of the commitment or of the treaty."""

    param: str
    """Name of the parameter, e.g. ``notice_days`` or ``great_powers``."""


class FieldRef(Doc):
    """A reference to another field of the same record."""

    field: str
    """Name of the field of the same record, e.g. ``sigma``."""


class Arith(Doc):
    """Arithmetic over numbers, fields and parameters (no code is evaluated)."""

    op: Literal["add", "sub", "mul", "div", "abs", "min", "max", "coalesce", "count_distinct"]
    """Operation: ``add``/``mul``/``min``/``max`` over all args, ``sub``/``div`` left to right,
    ``abs`` of one arg, ``coalesce`` = the first arg whose field is present, ``count_distinct`` =
    the number of distinct items of one list field (``derive`` only)."""
    args: list[Operand] = Field(min_length=1)
    """Operands: numbers, ``{field: ...}``, ``{param: ...}`` or nested arithmetic; for
    ``count_distinct`` exactly one ``{field: ...}`` naming a list field."""


Scalar = Union[bool, int, float, str]
Operand = Union[Scalar, list[str], ParamRef, FieldRef, Arith]


class Compare(Doc):
    """Compare one field of the record with a value."""

    field: str
    """Field of the record (after ``derive``) to test."""
    op: CompareOp
    """``eq ne gt ge lt le``; ``in``/``not_in`` a set; ``contains``/``contains_all``/``contains_any``
    for list fields; ``exists``/``absent``; ``meets``/``below`` a parameter threshold, strict or
    inclusive as the parameter says."""
    value: Operand | None = None
    """The value compared with; omitted for ``exists`` and ``absent``."""

    @model_validator(mode="after")
    def _value_matches_op(self) -> Compare:
        if self.op in ("exists", "absent"):
            if self.value is not None:
                raise ValueError(f"op '{self.op}' takes no value: remove 'value'")
        elif self.value is None:
            raise ValueError(f"op '{self.op}' needs a 'value'")
        if self.op in ("meets", "below") and not isinstance(self.value, ParamRef):
            raise ValueError(
                f"op '{self.op}' compares with a threshold parameter: write value: {{param: NAME}}"
            )
        return self


class CountCompare(Doc):
    """Compare a count (declared under ``counts``) with a value."""

    count: str
    """Name of a count declared in the rule's ``counts``."""
    op: CountOp
    """Comparison operator."""
    value: int | ParamRef
    """The number compared with."""


class AllOf(Doc):
    """True when every condition holds."""

    all: list[Condition] = Field(min_length=1)
    """Conditions that must all hold."""


class AnyOf(Doc):
    """True when at least one condition holds."""

    any: list[Condition] = Field(min_length=1)
    """Conditions of which one must hold."""


class NotOf(Doc):
    """True when the condition does not hold."""

    not_: Condition = Field(alias="not")
    """The condition negated."""


class AtLeast(Doc):
    """True when at least N of the listed indicators hold (the indicators seen are reported)."""

    at_least: int = Field(ge=1)
    """How many indicators must hold."""
    of: list[Condition] = Field(min_length=1)
    """The indicators."""


Condition = Union[Compare, CountCompare, AllOf, AnyOf, NotOf, AtLeast]


class Selector(Doc):
    """Which records a rule is about: a record kind and an optional condition."""

    kind: str
    """Record kind, e.g. ``training_run``."""
    where: Condition | None = None
    """Only records for which this holds are selected."""


class Outcome(Doc):
    """A status with flags and a plain-language reason."""

    status: Status
    """Verdict given when this outcome applies."""
    flags: list[Flag] = Field(default_factory=list)
    """Flags added to the finding."""
    explain: str = ""
    """Plain-language reason. ``{field}`` placeholders are filled with record values."""


class Case(Outcome):
    """An outcome that applies when its condition holds. The first matching case wins."""

    when: Condition
    """Condition on the record (and counts)."""


class CountSpec(Doc):
    """A count of related records, joined to the subject record in the rules engine."""

    name: str
    """Name used by ``{count: NAME}`` conditions."""
    kind: str
    """Kind of the counted records."""
    where: Condition | None = None
    """Only counted records for which this holds are counted."""
    same: dict[str, str] = Field(default_factory=dict)
    """Correlation: counted-record field -> subject field that must be equal."""
    contains: dict[str, str] = Field(default_factory=dict)
    """Correlation: counted-record list field -> subject field whose value the list must hold
    (a calendar's ``runs`` listing the run's ``id``). One list per count."""
    same_year: tuple[str, str] | None = None
    """(counted field, subject field) that must fall in the same calendar year: each a date or
    time, or a whole-number year field such as a calendar's ``for_year``."""
    before: tuple[str, str] | None = None
    """(counted time field, subject time field): count only records strictly earlier."""
    distinct: bool = False
    """Count a related record once even when several sources report it (always true in effect:
    records are counted by id)."""


class Scope(Doc):
    """When a record is inside the treaty's reach (GEN-1)."""

    event: str | None = None
    """Date field that dates an act (acts before entry into force are not applicable)."""
    start: str | None = None
    """For continuing situations: date field when the situation began."""
    end: str | None = None
    """For continuing situations: date field when it ended (absent = continuing)."""


class RuleBase(Doc):
    """What every rule has: id, clause, derived values, required fields, corroboration, scope."""

    id: str = Field(pattern=r"^[A-Z]{2,4}-\d+[a-z]?\.R\d+$")
    """Stable rule id: the commitment id, ``.R`` and a number, e.g. ``CB-2.R1``."""
    clause: str
    """The words of the authentic text this rule checks, quoted in every finding."""
    description: str = ""
    """What the rule checks, in plain words."""
    derive: dict[str, Arith] = Field(default_factory=dict)
    """Values computed from each record before matching, e.g. the inventory balance."""
    requires: list[str] = Field(default_factory=list)
    """Fields that must be reported; if one is absent the finding is gap(insufficient_detail)."""
    corroboration: Literal["none", "flag", "required"] = "none"
    """Self-reported evidence alone: ``flag`` adds uncorroborated, ``required`` gives a gap."""
    scope: Scope | None = None
    """Dating of the subject record for entry into force, transition and withdrawal."""


class ClassifyRule(RuleBase):
    """Every selected record gets the first matching case's outcome, else ``otherwise``."""

    type: Literal["classify"] = "classify"
    """Rule type tag."""
    subject: Selector
    """The records judged."""
    counts: list[CountSpec] = Field(default_factory=list)
    """Counts of related records that cases may test."""
    cases: list[Case] = Field(min_length=1)
    """Ordered cases; the first whose condition holds decides."""
    otherwise: Outcome
    """Outcome when no case holds."""


class Offset(Doc):
    """A signed amount of time."""

    amount: int | ParamRef
    """How much, as a number or a parameter."""
    unit: TimeUnit
    """``days`` (calendar), ``hours`` (exact, UTC), ``working_days`` (Mon-Fri minus the party's
    declared holidays) or ``months`` (clamped to the end of the month)."""


class Deadline(Doc):
    """A deadline computed from a field of the trigger record."""

    anchor: str
    """Date or timestamp field of the trigger record the deadline counts from."""
    offset: Offset
    """How far from the anchor."""
    direction: Literal["before", "after"] = "after"
    """``before``: fulfil at least offset before the anchor; ``after``: within offset after it."""
    when: Condition | None = None
    """The deadline applies only when this holds of the trigger; the strictest applicable wins."""
    label: str = ""
    """Name of the deadline in explanations, e.g. ``death``."""


class Fulfil(Doc):
    """The record that discharges the obligation, correlated with the trigger."""

    kind: str
    """Kind of the fulfilling record, e.g. ``notification``."""
    where: Condition | None = None
    """Only records for which this holds count."""
    match: dict[str, str]
    """Correlation: fulfilling-record field -> trigger field that must be equal."""
    at: str
    """Date or timestamp field of the fulfilling record compared with the deadline."""


class Excuse(Doc):
    """A record that releases the trigger from its deadlines (e.g. a refusal of the request)."""

    kind: str
    """Kind of the excusing record, e.g. ``inspection_refusal``."""
    where: Condition | None = None
    """Only records for which this holds excuse."""
    match: dict[str, str]
    """Correlation: excusing-record field -> trigger field that must be equal."""
    outcome: Outcome = Outcome(status="not_applicable")
    """The finding for an excused trigger; by default ``not_applicable`` (nothing was owed)."""


class DeadlineRule(RuleBase):
    """Each trigger needs a correlated fulfilling record by the strictest applicable deadline."""

    type: Literal["deadline"] = "deadline"
    """Rule type tag."""
    trigger: Selector
    """The records that start the obligation."""
    fulfil: Fulfil
    """The record that discharges it."""
    deadlines: list[Deadline] = Field(min_length=1)
    """Candidate deadlines; the strictest applicable one wins."""
    on_late: Outcome = Outcome(status="breach", flags=["late"])
    """Outcome when the fulfilling record came after the deadline."""
    on_missing: Outcome = Outcome(status="breach", flags=["missing"])
    """Outcome when no fulfilling record exists and the deadline has passed."""
    excused_by: Excuse | None = None
    """A record whose existence means the deadline is not owed (it decides before fulfilments)."""


class Schedule(Doc):
    """When a periodic submission is due."""

    every: Literal["year", "months"]
    """``year``: on a fixed day each year; ``months``: every N months from the first due date."""
    month: int | None = Field(default=None, ge=1, le=12)
    """For ``year``: the month of the due day."""
    day: int | None = Field(default=None, ge=1, le=31)
    """For ``year``: the day of the due day."""
    months: int | ParamRef | None = None
    """For ``months``: the interval; the first due date is entry into force plus one interval,
    later ones count from the previous due date, not from the filing date."""

    @model_validator(mode="after")
    def _complete(self) -> Schedule:
        if self.every == "year" and (self.month is None or self.day is None):
            raise ValueError("a yearly schedule needs 'month' and 'day'")
        if self.every == "months" and self.months is None:
            raise ValueError("a monthly schedule needs 'months'")
        return self


class PeriodicRule(RuleBase):
    """A submission is due on a schedule from the party's entry into force."""

    type: Literal["periodic"] = "periodic"
    """Rule type tag."""
    submission: Selector
    """The records that count as the submission."""
    at: str
    """Timestamp or date field of the submission compared with the due date."""
    schedule: Schedule
    """When submissions are due."""
    cycle_field: str | None = None
    """Field of the submission naming the year it is for; absent = earliest unused submission."""
    cycle_offset: int = 0
    """Added to the due year to get the value of ``cycle_field`` (15 Dec 2027 is for 2028: +1)."""
    on_late: Outcome = Outcome(status="breach", flags=["late"])
    """Outcome for a submission after its due date."""
    on_missing: Outcome = Outcome(status="breach", flags=["missing"])
    """Outcome for a due date passed with no submission."""


Rule = Annotated[Union[ClassifyRule, DeadlineRule, PeriodicRule], Field(discriminator="type")]

for _m in (
    Arith,
    AllOf,
    AnyOf,
    NotOf,
    AtLeast,
    Selector,
    Case,
    CountSpec,
    Deadline,
    Fulfil,
    Excuse,
):
    _m.model_rebuild()
