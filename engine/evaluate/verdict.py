"""Verdicts as data: a status, flags, a reason code with typed values, and the records relied on.

The evaluator never writes English. Each verdict names *why* with a :class:`Reason` (a code
from ``engine.model.vocabulary.ReasonCode`` and typed arguments: dates, numbers, record ids);
``engine.explain`` turns reasons into the sentences of a finding. The differential oracle
compares status, flags and reason code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from engine.model.vocabulary import STATUS_ORDER, ReasonCode, Status

if TYPE_CHECKING:
    from engine.evaluate.merge import MergedRecord
    from engine.model.commitment import Commitment
    from engine.model.findings import Evidence


@dataclass(frozen=True)
class Reason:
    """Why a verdict is what it is: a reason code, its typed values, and notes said after it."""

    code: ReasonCode
    args: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[Reason, ...] = ()
    """Further reasons said after this one (indicators seen, missing corroboration)."""

    def noted(self, note: Reason) -> Reason:
        """This reason with one more note after it."""
        return replace(self, notes=(*self.notes, note))


@dataclass(frozen=True)
class Elapsed:
    """The time between a deadline's anchor and a fulfilment, as an explanation states it."""

    amount: int
    """Seconds (``unit == "seconds"``), working days or calendar days; never negative."""
    unit: str
    """``seconds``, ``working_days`` or ``days``."""
    word: str
    """``after`` or ``before`` the anchor."""


def reason(code: ReasonCode, **args: Any) -> Reason:
    """A reason with keyword arguments."""
    return Reason(code, args)


@dataclass
class Verdict:
    """The verdict of one rule on one reading of one subject."""

    status: Status
    flags: set[str]
    reason: Reason
    values: dict[str, Any] = field(default_factory=dict)
    """Values compared, typed (keys starting with ``_`` are internal and never shown)."""
    counterfactual: Reason | None = None
    """What would have complied."""
    records: list[MergedRecord] = field(default_factory=list)
    """Records the verdict rests on (subject first)."""
    event: date | None = None
    """The date that dates the verdict (for sanctions): act, situation start, due date."""


@dataclass
class Judgement:
    """The status of one (party, commitment, subject), before it is put into words."""

    party: str
    commitment: Commitment
    subject: str | None
    status: Status
    flags: set[str]
    reasons: list[Reason]
    """One per verdict of the worst status, in rule order (said once each)."""
    as_of: date
    notes: list[Reason] = field(default_factory=list)
    """Said after the reasons (disagreements an inspection settled)."""
    values: dict[str, Any] = field(default_factory=dict)
    counterfactual: Reason | None = None
    evidence: list[Evidence] = field(default_factory=list)
    rule: str | None = None
    """Rule ids that produced the finding, comma-separated (None for party-level findings)."""
    clause: str | None = None
    """The clause quoted; None = the commitment's authentic text."""

    @property
    def reason_code(self) -> ReasonCode:
        """The code of the first reason: what the differential oracle compares."""
        return self.reasons[0].code


def worst(statuses: Iterable[Status]) -> Status:
    """The worst of some statuses (breach > gap > compliant > not_applicable)."""
    return min(statuses, key=lambda s: STATUS_ORDER[s])


def records_of(verdicts: Iterable[Verdict]) -> list[MergedRecord]:
    """The records the readings rest on, each once, in the order first seen: readings that agree
    on a status may rest on different records (another fulfilment, another submission), and
    corroboration looks at all of them (docs/rules.md section 12).
    """
    out: dict[str, MergedRecord] = {}
    for v in verdicts:
        for r in v.records:
            out.setdefault(f"{r.kind}:{r.id}", r)
    return list(out.values())
