"""Who vouches for each report: signatures verified, claims checked, origins settled (issue 13).

``settle_origins`` runs once the treaty state is known, after the files are loaded:

**With a key registry** (``TreatyState.key_registry``):

1. every envelope's signature is verified against the registry (``verify_signature``);
2. every attestation must be signed by the Secretariat's key, valid on its ``attested_on``;
3. every report must be signed (else refused, or with ``allow_unsigned`` admitted at
   open-source rank), by a key valid at the report's ``submitted_at``, and what it claims
   about its origin must agree with the signer (``check_origin``);
4. each report then gets its **origin from the signer**, never from the document: a party's
   key makes it ``self`` (about the party) or ``other_party`` with ``source_party`` the party;
   the Secretariat's key ``secretariat``, the inspectorate's ``inspection``, a monitor's
   ``open_source``. Its evidence level is the one it declares (which may be lower than its
   source, never higher), raised to the level of a verified attestation of its exact bytes.
   Its ``Provenance`` names the key id and holder, and every evidence item of a finding
   repeats them.

An unsigned report admitted by ``allow_unsigned`` is taken **at open-source rank**: a claim to
be the Secretariat's or an inspection's becomes ``open_source``, its evidence level is at most
``open_source``, and a ``self`` or ``other_party`` report keeps its claim (a party's word about
itself stays rank 1, so it still needs corroboration). It speaks for whom it says, so it can
supersede that source's earlier reports: ``allow_unsigned`` is for drafts and experiments, not
for judging. Its provenance says it was admitted unsigned, and so does each evidence item.

**Without a registry** documents are trusted as they say, except for the three claims no
signer is needed to refuse (``check_origin`` with no signer). Envelopes are read but cannot be
verified, and attestations raise nothing.

Every refusal is one line naming the file and the reason; all are collected before raising.

This module imports ``engine.model``, ``engine.errors`` and the ``bundle``, ``origin`` and
``signing`` modules of this layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from engine.errors import InputError, Problem
from engine.ingest.bundle import Bundle, LoadedReport, Origin, StreamedReport
from engine.ingest.origin import ROLE_SOURCE, check_attestation, check_origin, raised_level
from engine.ingest.signing import Verified, check_key_valid, verify_signature
from engine.model.keys import Attestation, KeyEntry, KeyRegistry
from engine.model.records import EVIDENCE_RANK, EvidenceLevel, Provenance, Source

UNSIGNED_CAP: EvidenceLevel = "open_source"
"""The highest evidence level of a report admitted unsigned (``--allow-unsigned``)."""


@dataclass(frozen=True)
class _Head:
    """What the origin checks read of a report."""

    id: str
    source: Source
    source_party: str | None
    subject_party: str
    evidence_level: EvidenceLevel | None
    submitted_at: datetime
    path: str


def _loaded_head(lr: LoadedReport) -> _Head:
    r = lr.report
    return _Head(
        r.id, r.source, r.source_party, r.subject_party, r.evidence_level, r.submitted_at, lr.path
    )


def _streamed_head(sr: StreamedReport) -> _Head:
    assert sr.submitted_at is not None  # set by Bundle.add_streamed
    return _Head(
        sr.id,
        sr.source,
        sr.source_party,
        sr.subject_party,
        sr.evidence_level,
        sr.submitted_at,
        sr.path,
    )


def registry_of(bundle: Bundle) -> KeyRegistry | None:
    """The key registry that applies to ``bundle``: its treaty state's, else the first given.

    ``treaty validate`` may be given several treaty states (the library's and one's own); the
    first that has a registry is the one that documents are checked against.
    """
    if bundle.treaty is not None and bundle.treaty.key_registry is not None:
        return bundle.treaty.key_registry
    return next((t.key_registry for t, _ in bundle.treaties if t.key_registry), None)


def settle_origins(
    bundle: Bundle, registry: KeyRegistry | None, *, allow_unsigned: bool = False
) -> None:
    """Verify the bundle's signatures and give each report its origin (see the module).

    Args:
        bundle: the loaded bundle; its reports are replaced by reports with their origin, and
            ``signers`` and ``admitted_unsigned`` are filled.
        registry: the treaty's key registry, or None.
        allow_unsigned: admit unsigned reports at open-source rank although there is a registry.

    Raises:
        InputError: with one problem per refused envelope, attestation, file or report.
    """
    settler = _Settler(registry, allow_unsigned)
    if registry is not None:
        for owner, signed in bundle.signed.items():
            try:
                settler.verified[owner] = verify_signature(
                    signed.envelope, registry, file=signed.file
                )
            except InputError as exc:
                settler.problems += exc.problems
                settler.refused.add(owner)
    settler.attestations = _attestations(bundle, settler)
    reports = [_with(lr, settler.settle(_loaded_head(lr))) for lr in bundle.reports]
    streamed = [_with_streamed(sr, settler.settle(_streamed_head(sr))) for sr in bundle.streamed]
    problems = settler.problems + [_unsigned(path) for path in settler.unsigned]
    if problems:
        raise InputError(problems)
    bundle.reports, bundle.streamed = reports, streamed
    bundle.signers = {bundle.signed[o].file: v.signer for o, v in settler.verified.items()}
    bundle.admitted_unsigned = list(settler.admitted)


def _with(lr: LoadedReport, origin: Origin | None) -> LoadedReport:
    return lr if origin is None else replace(lr, report=origin.apply(lr.report))


def _with_streamed(sr: StreamedReport, origin: Origin | None) -> StreamedReport:
    return sr if origin is None else replace(sr, origin=origin)


@dataclass
class _Settler:
    """The state of one ``settle_origins``: what verified, what was refused or admitted."""

    registry: KeyRegistry | None
    allow_unsigned: bool
    verified: dict[str, Verified] = field(default_factory=dict)
    """By the path of the documents the envelope signs."""
    refused: set[str] = field(default_factory=set)
    """Paths whose envelope was refused (one line already says why)."""
    attestations: list[Attestation] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unsigned: dict[str, None] = field(default_factory=dict)
    """Files of unsigned reports, refused, in input order."""
    admitted: dict[str, None] = field(default_factory=dict)
    """Files of unsigned reports admitted by ``allow_unsigned``."""

    def settle(self, head: _Head) -> Origin | None:
        """The origin of one report (None: as declared, or refused with a problem)."""
        verified = self.verified.get(head.path)
        if self.registry is not None and verified is None:
            if head.path in self.refused:
                return None
            if not self.allow_unsigned:
                self.unsigned.setdefault(head.path)
                return None
            self.admitted.setdefault(head.path)
        origin, problems = _settle(head, verified, self.registry, self.attestations)
        self.problems += problems
        return origin


def _attestations(bundle: Bundle, settler: _Settler) -> list[Attestation]:
    """The attestations that count: signed by the Secretariat's key, valid on their date."""
    if settler.registry is None:
        return []  # nothing can vouch for them
    out: list[Attestation] = []
    for attestation, path in bundle.attestations:
        v = settler.verified.get(path)
        if v is None:
            if path not in settler.refused:
                settler.problems.append(_unsigned(path, "attestation"))
            continue
        file = bundle.signed[path].file
        found = check_attestation(attestation, v.signer, file=file)
        try:
            check_key_valid(v.signer, attestation.attested_on, file=file)
        except InputError as exc:
            found += exc.problems
        settler.problems += found
        if not found:
            out.append(attestation)
    return out


def _unsigned(path: str, what: str = "report") -> Problem:
    fix = f"sign it (treaty sign {path} --key YOUR.key) and keep the envelope beside it"
    if what == "report":
        fix += ", or pass --allow-unsigned to admit unsigned reports at open-source rank"
    return Problem(
        path,
        f"unsigned {what}: the treaty state has a key registry, so every {what} must be signed",
        fix,
        code="unsigned-document",
    )


def _settle(
    head: _Head,
    verified: Verified | None,
    registry: KeyRegistry | None,
    attestations: list[Attestation],
) -> tuple[Origin | None, list[Problem]]:
    """The origin of one report (None: as declared), or the problems that refuse it."""
    signer = verified.signer if verified is not None else None
    attested = None
    if verified is not None and signer is not None:
        try:
            check_key_valid(signer, head.submitted_at, file=head.path)
        except InputError as exc:
            return None, _about(head, exc.problems)
        attested = raised_level(attestations, report_id=head.id, report_sha256=verified.sha256)
    problems = check_origin(
        file=head.path,
        source=head.source,
        source_party=head.source_party,
        subject_party=head.subject_party,
        evidence_level=head.evidence_level,
        signer=signer,
        attested_level=attested,
    )
    if problems:
        return None, _about(head, problems)
    if registry is None:
        return None, []
    if signer is None:
        return _admitted(head), []
    source, source_party = signer_source(signer, head.subject_party)
    level = head.evidence_level or source
    if attested is not None and EVIDENCE_RANK[attested] > EVIDENCE_RANK[level]:
        level = attested
    provenance = Provenance(key_id=signer.key_id, holder=signer.holder)
    return Origin(source, source_party, None if level == source else level, provenance), []


def _admitted(head: _Head) -> Origin:
    """The origin of an unsigned report admitted at open-source rank."""
    cap = EVIDENCE_RANK[UNSIGNED_CAP]
    source = UNSIGNED_CAP if EVIDENCE_RANK[head.source] > cap else head.source
    level = head.evidence_level or head.source
    evidence_level = UNSIGNED_CAP if EVIDENCE_RANK[level] > cap else head.evidence_level
    if evidence_level == source:
        evidence_level = None
    return Origin(source, head.source_party, evidence_level, Provenance(admitted_unsigned=True))


def signer_source(signer: KeyEntry, subject_party: str) -> tuple[Source, str | None]:
    """``(source, source_party)`` of a report about ``subject_party`` signed by ``signer``.

    Raises:
        ValueError: the signer's role signs no report (a treaty body's key).
    """
    if signer.role == "party":
        if signer.holder == subject_party:
            return "self", None
        return "other_party", signer.holder
    source = ROLE_SOURCE.get(signer.role)
    if source is None:
        raise ValueError(f"a {signer.role} key signs no report")
    return source, None


def _about(head: _Head, problems: list[Problem]) -> list[Problem]:
    """Name the report in each problem: a file may hold several."""
    return [replace(p, message=f"report {head.id}: {p.message}") for p in problems]
