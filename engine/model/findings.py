"""Findings: the verdicts, each explained and traceable to its evidence."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from engine.model.base import Doc
from engine.model.commitment import Severity
from engine.model.vocabulary import STATUS_ORDER as STATUS_ORDER  # re-exported for importers
from engine.model.vocabulary import Flag, ReasonCode, Status


class Evidence(Doc):
    """A record version a finding rests on."""

    record: str
    """Record id."""
    kind: str
    """Record kind."""
    report: str
    """Id of the report that carried it."""
    source: str
    """Source of that report."""
    sha256: str
    """sha256 of the record's canonical JSON as submitted."""
    key_id: str | None = None
    """Key id of the registered key that signed the report (None: its signature was not
    verified, because the treaty has no key registry or the report was admitted unsigned)."""
    signer: str | None = None
    """Holder of that key: a party code, ``SECRETARIAT``, ``INSPECTORATE`` or a monitor's
    name."""
    admitted_unsigned: bool = False
    """The report was unsigned although the treaty has a key registry, and was admitted at
    open-source rank by ``--allow-unsigned``."""


class Explanation(Doc):
    """Why the finding has its status."""

    rule: str | None
    """Rule id that produced the finding (None for party-level findings)."""
    clause: str
    """The words of the authentic text the finding rests on."""
    summary: str
    """One or two plain sentences."""
    values: dict[str, str] = Field(default_factory=dict)
    """Values compared, as displayed."""
    counterfactual: str | None = None
    """What would have complied, e.g. "would comply if notified by 2028-01-19"."""
    reason: ReasonCode | None = None
    """Why, as a code from a closed set (docs/rules.md section 13), e.g. ``deadline_late``."""


class Finding(Doc):
    """The status of one (party, commitment, subject) at the as-of date."""

    party: str
    """Party code."""
    commitment: str
    """Commitment id."""
    subject: str | None
    """The record (or cycle) the finding is about; None for the commitment as a whole."""
    status: Status
    """breach, gap, compliant or not_applicable."""
    flags: list[Flag] = Field(default_factory=list)
    """Qualifiers: late, missing, uncorroborated, contradictory, ..."""
    severity: Severity
    """Severity of the commitment."""
    explanation: Explanation
    """Why."""
    evidence: list[Evidence] = Field(default_factory=list)
    """Record versions used."""
    as_of: date
    """Date the finding is valid for."""

    @property
    def key(self) -> tuple[str, str, str]:
        """(party, commitment, subject): what identifies a finding across runs."""
        return (self.party, self.commitment, self.subject or "")

    def fingerprint(self) -> str:
        """``party|commitment|subject`` (``-`` for none): a finding's stable id in baselines."""
        return f"{self.party}|{self.commitment}|{self.subject or '-'}"


class InputDigest(Doc):
    """An input document and its digest."""

    path: str
    """Path as given (relative to the working directory where possible)."""
    document: str
    """Document type."""
    sha256: str
    """sha256 of the file bytes."""


class Summary(Doc):
    """Counts per status."""

    breach: int = 0
    """Findings with status breach."""
    gap: int = 0
    """Findings with status gap."""
    compliant: int = 0
    """Findings with status compliant."""
    not_applicable: int = 0
    """Findings with status not_applicable."""


class FindingsDocument(Doc):
    """The output of ``treaty check --format json``."""

    document: Literal["findings"] = "findings"
    """Document type tag; always ``findings``."""
    format: Literal["treaty-engine.findings/v1"] = "treaty-engine.findings/v1"
    """Format version."""
    engine_version: str
    """Version of treaty-engine that produced it."""
    as_of: date
    """Evaluation date."""
    run_id: str
    """Digest of the engine version, as-of date, filters and input digests."""
    treaty: str | None = None
    """Treaty id and version evaluated."""
    filters: dict[str, list[str]] = Field(default_factory=dict)
    """Filters applied (party, commitment, status)."""
    inputs: list[InputDigest]
    """Every input document with its sha256."""
    summary: Summary
    """Number of findings per status."""
    findings: list[Finding]
    """Findings, sorted by party, commitment and subject."""
