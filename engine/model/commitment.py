"""Commitment and treaty-state documents."""

from __future__ import annotations

from datetime import date
from typing import Literal, Union

from pydantic import Field, model_validator

from engine.model.base import Doc
from engine.model.keys import KeyRegistry
from engine.model.records import PARTY_CODE, EvidenceLevel
from engine.model.rules import Rule

Category = Literal[
    "non_exclusivity",
    "shared_standards",
    "confidence_building",
    "transparency",
    "export",
    "incident_response",
    "general",
]
Severity = Literal["low", "medium", "high", "critical"]
ParamValue = Union[bool, int, float, str, list[str]]
COMMITMENT_ID = r"^[A-Z]{2,4}-\d+[a-z]?$"


class ParameterVersion(Doc):
    """The value of a parameter over a validity window ``[valid_from, valid_to)``."""

    value: ParamValue
    """The value in force during the window."""
    valid_from: date | None = None
    """First day the value applies (absent = from the start)."""
    valid_to: date | None = None
    """First day the value no longer applies (exclusive; absent = open-ended)."""

    @model_validator(mode="after")
    def _ordered(self) -> ParameterVersion:
        if self.valid_from and self.valid_to and self.valid_to <= self.valid_from:
            raise ValueError("valid_to must be after valid_from (the window is [from, to))")
        return self


class Parameter(Doc):
    """A named value used by the rules: a threshold, a period, a set of States."""

    description: str = ""
    """What the parameter means."""
    unit: str | None = None
    """Unit, e.g. ``FLOP``, ``days``, ``H100e``; lint reports thresholds without one."""
    comparison: Literal["strict", "inclusive"] | None = None
    """For thresholds: ``strict`` (exceeds, >) or ``inclusive`` (reaches, >=)."""
    value: ParamValue | None = None
    """The value, when it never changes."""
    versions: list[ParameterVersion] = Field(default_factory=list)
    """Values over validity windows, when thresholds change over time."""
    time_zone: Literal["UTC"] | None = None
    """For deadlines: the time-zone convention (the treaty evaluates in UTC)."""
    mark: Literal["D", "†"] | None = None
    """``D``: a design choice with no analogue; ``†``: not yet confirmed against the primary text."""

    @model_validator(mode="after")
    def _one_value(self) -> Parameter:
        if (self.value is None) == (not self.versions):
            raise ValueError("give either 'value' or 'versions', not both and not neither")
        windows = sorted(self.versions, key=lambda v: v.valid_from or date.min)
        for a, b in zip(windows, windows[1:], strict=False):
            if a.valid_to is None or (b.valid_from is not None and b.valid_from < a.valid_to):
                raise ValueError("parameter versions overlap: close one window before the next")
        return self

    def value_on(self, day: date) -> ParamValue | None:
        """The value in force on ``day`` (None if no window covers it)."""
        if self.value is not None:
            return self.value
        for v in self.versions:
            if (v.valid_from is None or v.valid_from <= day) and (
                v.valid_to is None or day < v.valid_to
            ):
                return v.value
        return None


class Text(Doc):
    """The authentic text of a clause in one language."""

    lang: str = Field(pattern=r"^[a-z]{2}$")
    """ISO 639-1 language code."""
    text: str = Field(min_length=1)
    """The clause text."""
    authentic: bool = True
    """Whether this language version is authentic (or a courtesy translation)."""


class Transition(Doc):
    """Grace period for situations that existed before the party's entry into force."""

    months: int | None = Field(default=None, ge=0)
    """Length of the period after entry into force; absent = the treaty default (GEN-1)."""


class Applicability(Doc):
    """Who the commitment binds and how pre-existing situations are treated."""

    parties: Literal["all"] | list[str] = "all"
    """``all`` or a list of party codes."""
    transition: Transition | None = None
    """Transition period for pre-existing situations (continuing situations only)."""


class ReportingDuty(Doc):
    """What must be reported to verify the commitment."""

    what: str
    """Description of the data."""
    kinds: list[str] = Field(default_factory=list)
    """Record kinds that carry it."""
    deadline: str | None = None
    """When it is due, in words (the rule holds the machine form)."""
    frequency: Literal["once", "event", "annual", "biennial", "on_request"] | None = None
    """How often."""
    min_evidence: EvidenceLevel = "self"
    """Minimum evidence level accepted."""


class Verification(Doc):
    """How compliance is verified."""

    reports: list[ReportingDuty] = Field(default_factory=list)
    """Reporting duties that supply the data."""
    evidence_from: list[str] = Field(default_factory=list)
    """Periodic commitments whose submissions show the absence of relevant conduct: with no
    relevant records, the finding is compliant only if those were submitted."""


class Enforcement(Doc):
    """What happens on breach."""

    mechanism: str | None = None
    """E.g. consultation, referral to the Conference of the Parties."""
    response_deadline_days: int | None = Field(default=None, ge=0)
    """Days within which the mechanism must respond."""
    sanction_available: bool = False
    """Whether a sanction can be imposed."""
    sanction_from: date | None = None
    """First date sanctions apply; breaches before it carry ``no_sanction_available``."""


class Note(Doc):
    """A negotiator's note on a figure: design choice or unconfirmed."""

    on: str
    """What the note is about (a parameter name or a figure)."""
    mark: Literal["D", "†"]
    """``D`` design choice; ``†`` unconfirmed against the primary text."""
    text: str
    """The note."""


class Commitment(Doc):
    """One candidate commitment of the treaty, with its machine-checkable rules."""

    document: Literal["commitment"]
    """Document type tag; always ``commitment``."""
    id: str = Field(pattern=COMMITMENT_ID)
    """Stable id, e.g. ``CB-2``; never reused when clauses are renumbered."""
    title: str
    """Short title."""
    category: Category
    """Pillar of the treaty."""
    modality: Literal["obligation", "prohibition", "permission"]
    """Deontic modality of the clause."""
    severity: Severity
    """Severity of a breach."""
    text: list[Text] = Field(min_length=1)
    """Authentic text, in one or more languages."""
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    """Named parameters used by the text and the rules."""
    definitions: dict[str, str] = Field(default_factory=dict)
    """Defined terms and their definitions."""
    applicability: Applicability = Applicability()
    """Who is bound; transition for pre-existing situations."""
    verification: Verification = Verification()
    """What must be reported to verify the commitment, and which reports show absence."""
    enforcement: Enforcement = Enforcement()
    """Mechanism, response deadline and sanctions on breach."""
    rules: list[Rule] = Field(default_factory=list)
    """Machine-checkable rules; see ``docs/rules.md``."""
    machine_checkable: Literal["full", "partial", "none"] = "full"
    """``partial``: part of the clause needs a human determination, which the rules route to
    gap(pending_determination)."""
    notes: list[Note] = Field(default_factory=list)
    """Open figures and design choices."""

    @model_validator(mode="after")
    def _rule_ids(self) -> Commitment:
        seen: set[str] = set()
        for r in self.rules:
            if not r.id.startswith(self.id + ".R"):
                raise ValueError(f"rule id {r.id} must start with '{self.id}.R'")
            if r.id in seen:
                raise ValueError(f"rule id {r.id} is used twice: number rules uniquely")
            seen.add(r.id)
        return self

    def authentic_text(self) -> str:
        """The first authentic language version of the clause text."""
        for t in self.text:
            if t.authentic:
                return t.text
        return self.text[0].text


class Party(Doc):
    """A State party and its timeline under the treaty."""

    code: str = Field(pattern=PARTY_CODE)
    """ISO 3166 alpha-3 code."""
    name: str
    """Name of the State."""
    signed_on: date | None = None
    """Date of signature."""
    entry_into_force: date | None = None
    """Date the treaty entered into force for this party; absent = not (yet) bound."""
    withdrawal_notice_on: date | None = None
    """Date written notice of withdrawal was given."""
    withdrawal_effective_on: date | None = None
    """Date withdrawal takes effect; absent = notice date plus the treaty's notice period."""
    holidays: list[date] = Field(default_factory=list)
    """Public holidays the party declared, excluded from working-day deadlines."""

    @model_validator(mode="after")
    def _ordered(self) -> Party:
        if self.signed_on and self.entry_into_force and self.entry_into_force < self.signed_on:
            raise ValueError("entry_into_force is before signed_on: check both dates")
        if (
            self.withdrawal_notice_on
            and self.entry_into_force
            and (self.withdrawal_notice_on < self.entry_into_force)
        ):
            raise ValueError("withdrawal_notice_on is before entry_into_force: check both dates")
        if self.withdrawal_effective_on and not self.withdrawal_notice_on:
            raise ValueError("withdrawal_effective_on needs withdrawal_notice_on")
        if (
            self.withdrawal_effective_on
            and self.withdrawal_notice_on
            and self.withdrawal_effective_on < self.withdrawal_notice_on
        ):
            raise ValueError("withdrawal takes effect before its notice: check both dates")
        return self


_SETTLING: tuple[EvidenceLevel, ...] = ("inspection",)


class TreatyState(Doc):
    """The treaty as in force: which commitments, which parties, treaty-wide parameters."""

    document: Literal["treaty"]
    """Document type tag; always ``treaty``."""
    id: str
    """Identifier of the treaty text."""
    title: str
    """Title."""
    version: str
    """Version of the text, e.g. ``2027.1``."""
    commitments: list[str] = Field(min_length=1)
    """Ids of the commitments in force."""
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    """Treaty-wide parameters, e.g. ``great_powers``, ``transition_months``,
    ``withdrawal_notice_months``."""
    parties: list[Party] = Field(default_factory=list)
    """Parties and their timelines."""
    settling_evidence: list[EvidenceLevel] = Field(default_factory=lambda: list(_SETTLING))
    """Evidence levels that settle a disagreement between sources."""
    vague_terms: list[str] = Field(
        default_factory=lambda: [
            "appropriate",
            "significant",
            "as soon as possible",
            "best efforts",
            "where feasible",
            "large-scale",
            "reasonable",
            "promptly",
        ]
    )
    """Words lint reports when a clause uses them without a definition."""
    mission_pillars: list[str] = Field(
        default_factory=lambda: ["non_exclusivity", "shared_standards", "confidence_building"]
    )
    """Categories that must each have at least one commitment."""
    key_registry: KeyRegistry | None = None
    """The public keys that sign reports (issue 13, docs/submissions.md). Once it is present,
    every report must be signed by a key valid at its submission, and the signer decides the
    report's source and evidence level; without it, documents are trusted as they say."""

    @model_validator(mode="after")
    def _unique(self) -> TreatyState:
        codes = [p.code for p in self.parties]
        dup = sorted({c for c in codes if codes.count(c) > 1})
        if dup:
            raise ValueError(f"party {dup[0]} is listed twice: keep one entry per party")
        ids = self.commitments
        dupc = sorted({c for c in ids if ids.count(c) > 1})
        if dupc:
            raise ValueError(f"commitment {dupc[0]} is listed twice")
        if self.key_registry is not None:
            for entry in self.key_registry.keys:
                if entry.role == "party" and entry.holder not in codes:
                    raise ValueError(
                        f"key {entry.key_id} is held by {entry.holder}, which is not a party of "
                        "the treaty: list the party, or correct the holder"
                    )
        return self

    def party(self, code: str) -> Party | None:
        """The party with this code, or None."""
        for p in self.parties:
            if p.code == code:
                return p
        return None
