"""The bundle: every validated document an evaluation needs, and the checks across documents.

A ``Bundle`` holds the commitments (by id, with their files), the treaty state, the reports, the
attestations, the envelopes that sign files (``SignedFile``) and the digest of every input file.
Reports are either in memory (``LoadedReport``) or, for large JSONL streams, validated and left
on disk (``StreamedReport``), to be read back one party at a time. ``Bundle.add`` files one
validated document, refusing a commitment id defined twice and a record id used twice in a
report; ``cross_check`` then checks what no single document can: unique report ids, references
to commitments and parties that exist, one kind per record id. Who vouches for each report is
settled afterwards (``engine.ingest.provenance``), once the treaty state and its key registry are
known: it gives each report an ``Origin``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from engine.errors import InputError, Problem
from engine.ingest.files import RawDocument, canonical_hash
from engine.ingest.signing import Envelope
from engine.model.commitment import Commitment, TreatyState
from engine.model.findings import FindingsDocument, InputDigest
from engine.model.keys import Attestation, KeyEntry
from engine.model.records import EvidenceLevel, Provenance, Report, Source


@dataclass(frozen=True)
class Origin:
    """A report's origin as the loader established it: what the evaluator uses, not the claim."""

    source: Source
    source_party: str | None
    evidence_level: EvidenceLevel | None
    provenance: Provenance

    def apply(self, report: Report) -> Report:
        """``report`` with this origin."""
        return report.with_origin(
            self.source, self.source_party, self.evidence_level, self.provenance
        )


@dataclass(frozen=True)
class SignedFile:
    """An envelope over the exact bytes of one input: the documents read from them carry it."""

    envelope: Envelope
    """The envelope, decoded (its signature is verified once the key registry is known)."""
    file: str
    """The envelope's path, as displayed."""
    sha256: str
    """sha256 of the payload, the signed bytes (what an attestation names)."""


@dataclass(frozen=True)
class LoadedReport:
    """A validated report with the digest of each record as submitted."""

    report: Report
    path: str
    record_hashes: dict[str, str]


@dataclass(frozen=True)
class StreamedReport:
    """A validated report left on disk in its JSONL file; read back when its party is evaluated.

    Only these few fields stay in memory between the two passes, so a large archive costs memory
    in proportion to its largest party, not to its size.
    """

    id: str
    subject_party: str
    source_party: str | None
    file: Path
    path: str
    line: int
    offset: int
    length: int
    digest: str
    """sha256 of the line as validated: a file changed between the passes is an error."""
    source: Source = "self"
    """The declared source (checked against the signer when origins are settled)."""
    evidence_level: EvidenceLevel | None = None
    """The declared evidence level."""
    submitted_at: datetime | None = None
    """The declared submission time (the signing key must be valid then)."""
    origin: Origin | None = None
    """The origin settled by ``engine.ingest.provenance``; None: as declared."""

    def load(self) -> LoadedReport:
        """Read the line back and build the report (validated in the first pass).

        Raises:
            InputError: the line is no longer the one validated.
        """
        try:
            with self.file.open("rb") as fh:
                fh.seek(self.offset)
                raw = fh.read(self.length)
        except OSError as exc:
            raw, why = b"", exc.strerror
        else:
            why = "its content changed"
        if hashlib.sha256(raw).hexdigest() != self.digest:
            raise InputError(
                [
                    Problem(
                        self.path,
                        f"report {self.id} cannot be read back: {why} while the check ran",
                        "do not modify input files during a check; run it again",
                        line=self.line,
                        code="changed",
                    )
                ]
            )
        data = json.loads(raw)
        report = Report.model_validate(data)
        if self.origin is not None:
            report = self.origin.apply(report)
        return LoadedReport(report, self.path, record_hashes(data))


def record_hashes(data: Any) -> dict[str, str]:
    """The digest of each record of a report as submitted, by record id."""
    raw_records = data.get("records", []) if isinstance(data, dict) else []
    return {rec.get("id"): canonical_hash(rec) for rec in raw_records}


@dataclass
class Bundle:
    """Everything an evaluation needs, validated."""

    treaty: TreatyState | None = None
    treaty_path: str | None = None
    commitments: dict[str, Commitment] = field(default_factory=dict)
    commitment_paths: dict[str, str] = field(default_factory=dict)
    reports: list[LoadedReport] = field(default_factory=list)
    streamed: list[StreamedReport] = field(default_factory=list)
    """JSONL reports loaded with ``stream=True``: validated, then left on disk."""
    inputs: list[InputDigest] = field(default_factory=list)
    findings: list[tuple[FindingsDocument, str]] = field(default_factory=list)
    treaties: list[tuple[TreatyState, str]] = field(default_factory=list)
    """Every treaty-state document, in file order (``treaty`` is the first)."""
    attestations: list[tuple[Attestation, str]] = field(default_factory=list)
    """The Secretariat's attestations, with their files."""
    signed: dict[str, SignedFile] = field(default_factory=dict)
    """The envelope over each signed input, by the path its documents carry."""
    signers: dict[str, KeyEntry] = field(default_factory=dict)
    """Envelopes whose signature verified against the key registry: their signer, by envelope
    path (filled by ``engine.ingest.provenance.settle_origins``)."""
    admitted_unsigned: list[str] = field(default_factory=list)
    """Files admitted unsigned by ``--allow-unsigned`` although the treaty has a key registry."""

    def add(self, model: BaseModel, doc: RawDocument) -> tuple[str, list[Problem]]:
        """File one validated document; return its document type and any problems.

        A commitment whose id is already in the bundle is not added (a problem); a report
        with a record id used twice is added, with a problem for each repeat.
        """
        if isinstance(model, Commitment):
            return "commitment", self._add_commitment(model, doc)
        if isinstance(model, TreatyState):
            self.treaties.append((model, doc.file))
            if self.treaty is None:
                self.treaty, self.treaty_path = model, doc.file
            return "treaty", []
        if isinstance(model, Report):
            self.reports.append(LoadedReport(model, doc.file, record_hashes(doc.data)))
            return "report", duplicate_record_ids(model, doc)
        if isinstance(model, FindingsDocument):
            self.findings.append((model, doc.file))
            return "findings", []
        if isinstance(model, Attestation):
            self.attestations.append((model, doc.file))
            return "attestation", []
        raise AssertionError(type(model))

    def _add_commitment(self, model: Commitment, doc: RawDocument) -> list[Problem]:
        if model.id in self.commitments:
            return [
                Problem(
                    doc.file,
                    f"commitment {model.id} is also defined in {self.commitment_paths[model.id]}",
                    "give each commitment a unique id, or pass only one of the two files",
                    line=doc.line_of("/id"),
                    pointer="/id",
                    code="duplicate-id",
                )
            ]
        self.commitments[model.id] = model
        self.commitment_paths[model.id] = doc.file
        return []

    def add_streamed(
        self, model: Report, doc: RawDocument, path: Path, raw: bytes
    ) -> list[Problem]:
        """File a validated report of a JSONL file (``raw``) as a ``StreamedReport``."""
        assert doc.span is not None and doc.line is not None
        off, length = doc.span
        self.streamed.append(
            StreamedReport(
                model.id,
                model.subject_party,
                model.source_party,
                path,
                doc.file,
                doc.line,
                off,
                length,
                hashlib.sha256(raw[off : off + length]).hexdigest(),
                source=model.source,
                evidence_level=model.evidence_level,
                submitted_at=model.submitted_at,
            )
        )
        return duplicate_record_ids(model, doc)


def duplicate_record_ids(model: Report, doc: RawDocument) -> list[Problem]:
    """A problem for each record whose id an earlier record of the same report has."""
    seen: set[str] = set()
    out = []
    for i, rec in enumerate(model.records):
        if rec.id in seen:
            out.append(
                Problem(
                    doc.file,
                    f"record id {rec.id!r} appears twice in report {model.id}",
                    "give each record in a report a unique id",
                    line=doc.line_of(f"/records/{i}/id"),
                    pointer=f"/records/{i}/id",
                    code="duplicate-id",
                )
            )
        seen.add(rec.id)
    return out


def kind_conflicts(reports: Iterable[LoadedReport]) -> list[Problem]:
    """A record id used for two kinds in reports about the same party.

    This is always an input error: the versions of a record are merged by id.
    """
    problems: list[Problem] = []
    kinds: dict[tuple[str, str], tuple[str, str]] = {}
    for lr in reports:
        for i, rec in enumerate(lr.report.records):
            key = (lr.report.subject_party, rec.id)
            prev = kinds.get(key)
            if prev and prev[0] != rec.kind:
                problems.append(
                    Problem(
                        lr.path,
                        f"record {rec.id} is a {rec.kind} here but a {prev[0]} in {prev[1]}",
                        "use distinct ids for distinct records",
                        pointer=f"/records/{i}/kind",
                        code="kind-conflict",
                    )
                )
            kinds.setdefault(key, (rec.kind, lr.path))
    return problems


_Head = tuple[str, str, str | None, str]
"""A report's id, subject party, source party and file."""


def cross_check(
    b: Bundle,
    *,
    require_treaty: bool = False,
    known_commitments: Mapping[str, Commitment] | None = None,
) -> None:
    """Checks across documents: unique ids, references that must exist, consistent kinds.

    Args:
        b: the bundle to check.
        require_treaty: a bundle without a treaty state is a problem.
        known_commitments: where commitment references may point (default: the bundle's).

    Raises:
        InputError: with every problem found.
    """
    known = known_commitments if known_commitments is not None else b.commitments
    heads: list[_Head] = [
        (lr.report.id, lr.report.subject_party, lr.report.source_party, lr.path) for lr in b.reports
    ]
    heads += [(s.id, s.subject_party, s.source_party, s.path) for s in b.streamed]
    problems = _duplicate_report_ids(heads)
    if require_treaty and b.treaty is None:
        problems.append(
            Problem(
                "<inputs>",
                "no treaty document among the inputs",
                "add the treaty-state file (document: treaty) to the paths",
                code="no-treaty",
            )
        )
    for treaty, tp in b.treaties or ([(b.treaty, b.treaty_path or "<treaty>")] if b.treaty else []):
        problems += _unknown_commitments_in_force(treaty, tp, known)
        problems += _unknown_parties(treaty, heads)
    problems.extend(kind_conflicts(b.reports))  # streamed reports: checked party by party
    problems += _unknown_evidence(b, known)
    if problems:
        raise InputError(problems)


def _duplicate_report_ids(heads: list[_Head]) -> list[Problem]:
    problems = []
    report_ids: dict[str, str] = {}
    for rid, _subject, _source, path in heads:
        if rid in report_ids:
            problems.append(
                Problem(
                    path,
                    f"report id {rid!r} is also used in {report_ids[rid]}",
                    "give each report a unique id",
                    pointer="/id",
                    code="duplicate-id",
                )
            )
        report_ids.setdefault(rid, path)
    return problems


def _unknown_commitments_in_force(
    treaty: TreatyState, path: str, known: Mapping[str, Commitment]
) -> list[Problem]:
    return [
        Problem(
            path,
            f"commitment {cid} is in force but not defined",
            "add its commitment file, pass --commitments, or remove it from the list",
            pointer=f"/commitments/{i}",
            code="unknown-commitment",
        )
        for i, cid in enumerate(treaty.commitments)
        if cid not in known
    ]


def _unknown_parties(treaty: TreatyState, heads: list[_Head]) -> list[Problem]:
    """Reports about, or from, a party the treaty does not list (if it lists any)."""
    codes = {p.code for p in treaty.parties}
    return [
        Problem(
            path,
            f"{field_name} {code} is not a party of the treaty",
            "add the party to the treaty state, or fix the code",
            pointer=f"/{field_name}",
            code="unknown-party",
        )
        for _rid, subject, source, path in heads
        for field_name, code in (("subject_party", subject), ("source_party", source))
        if code is not None and code not in codes and treaty.parties
    ]


def _unknown_evidence(b: Bundle, known: Mapping[str, Commitment]) -> list[Problem]:
    """``evidence_from`` references to commitments that are not defined."""
    return [
        Problem(
            b.commitment_paths.get(cid, cid),
            f"evidence_from names {ref}, which is not defined",
            "name an existing commitment",
            pointer=f"/verification/evidence_from/{j}",
            code="unknown-commitment",
        )
        for cid, c in b.commitments.items()
        for j, ref in enumerate(c.verification.evidence_from)
        if ref not in known
    ]
