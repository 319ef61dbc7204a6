"""Who may claim what: a report's declared origin checked against its signer (issue 13, 3-4).

Once the treaty state has a key registry, the signer decides the source:

- a party's key signs ``self`` reports about its own party, and ``other_party`` reports about
  other parties with ``source_party`` equal to the signer;
- the Secretariat's key signs ``secretariat`` reports, the inspectorate's ``inspection``, a
  monitor's ``open_source``; none of these names a ``source_party``;
- a treaty body's key signs determinations, never reports.

Without a registry (the signer is None), documents are trusted as they say, except that a
``self`` report may not name another ``source_party``, and an ``other_party`` report may not name
its own subject.

Either way, ``evidence_level`` may not rank above the report's source (``EVIDENCE_RANK``), unless
an attestation signed by the Secretariat raises it. These are pure functions: verifying the
signatures is ``engine.ingest.signing``'s work.

This module imports ``engine.model``, ``engine.errors`` and ``engine.ingest.signing``.
"""

from __future__ import annotations

from collections.abc import Iterable

from engine.errors import Problem, ProblemCode
from engine.ingest.signing import describe_signer
from engine.model.keys import Attestation, KeyEntry
from engine.model.records import EVIDENCE_RANK, EvidenceLevel, Source

ROLE_SOURCE: dict[str, Source] = {
    "secretariat": "secretariat",
    "inspectorate": "inspection",
    "monitor": "open_source",
}
"""The one source each non-party role's key may sign reports as."""


def check_origin(
    *,
    file: str,
    source: str,
    source_party: str | None,
    subject_party: str,
    evidence_level: str | None,
    signer: KeyEntry | None,
    attested_level: str | None = None,
) -> list[Problem]:
    """What a report claims about its origin that its signer (or, unsigned, the report) belies.

    Args:
        file: the report's path as the user gave it.
        source: the declared ``source``.
        source_party: the declared ``source_party``.
        subject_party: the declared ``subject_party``.
        evidence_level: the declared ``evidence_level``, if any.
        signer: the registry entry whose signature verified; None when the treaty has no registry.
        attested_level: the level a verified Secretariat attestation raises this report to
            (``raised_level``); None if there is none.

    Returns:
        One problem per false claim (the level is checked once the source is right); each renders
        as one line naming the file, the signer and the claim.
    """
    if signer is None:
        problems = _unsigned_claims(file, source, source_party, subject_party)
    elif signer.role == "party":
        problems = _party_claims(file, source, source_party, subject_party, signer)
    else:
        problems = _role_claims(file, source, source_party, signer)
    return problems or _level_claims(file, source, evidence_level, signer, attested_level)


def _claim(file: str, message: str, fix: str, pointer: str, code: ProblemCode) -> list[Problem]:
    return [Problem(file, message, fix, pointer=pointer, code=code)]


def _unsigned_claims(
    file: str, source: str, source_party: str | None, subject: str
) -> list[Problem]:
    if source == "self" and source_party not in (None, subject):
        return _claim(
            file,
            f"unsigned, the report claims source: self about {subject} with source_party: "
            f"{source_party}",
            f"remove source_party, or report as source: other_party with source_party: "
            f"{source_party}",
            "/source_party",
            "origin-claim",
        )
    if source == "other_party" and source_party == subject:
        return _claim(
            file,
            f"unsigned, the report claims source: other_party with source_party: {subject}, "
            "its own subject",
            "a party reporting on itself uses source: self",
            "/source_party",
            "origin-claim",
        )
    return []


def _party_claims(
    file: str, source: str, source_party: str | None, subject: str, signer: KeyEntry
) -> list[Problem]:
    holder = signer.holder
    said = f"signed by {describe_signer(signer)}, the report claims"
    if source == "self" and subject != holder:
        fix = f"{holder}'s key signs self reports about {holder} only; report on {subject} as "
        fix += f"source: other_party with source_party: {holder}"
        return _claim(
            file, f"{said} source: self about {subject}", fix, "/subject_party", "origin-signer"
        )
    if source == "self" and source_party not in (None, holder):
        fix = f"remove source_party, or set it to {holder}"
        return _claim(
            file, f"{said} source_party: {source_party}", fix, "/source_party", "origin-signer"
        )
    if source == "other_party" and source_party != holder:
        fix = f"set source_party: {holder}; the signer is the source"
        return _claim(
            file, f"{said} source_party: {source_party}", fix, "/source_party", "origin-signer"
        )
    if source == "other_party" and subject == holder:
        fix = "report on your own party as source: self"
        return _claim(
            file,
            f"{said} source: other_party about {holder}, its own party",
            fix,
            "/source",
            "origin-signer",
        )
    if source not in ("self", "other_party"):
        fix = "a party's key signs self and other_party reports only"
        return _claim(file, f"{said} source: {source}", fix, "/source", "origin-signer")
    return []


def _role_claims(
    file: str, source: str, source_party: str | None, signer: KeyEntry
) -> list[Problem]:
    said = f"signed by {describe_signer(signer)}, the report claims"
    expected = ROLE_SOURCE.get(signer.role)
    if expected is None:
        fix = f"a {signer.role} key signs determinations, not reports"
        return _claim(file, f"{said} source: {source}", fix, "/source", "origin-signer")
    if source != expected:
        fix = f"a {signer.role} key signs {expected} reports: set source: {expected}, or sign with "
        fix += "the right key"
        return _claim(file, f"{said} source: {source}", fix, "/source", "origin-signer")
    if source_party is not None:
        fix = "remove source_party; the signer is the source"
        return _claim(
            file, f"{said} source_party: {source_party}", fix, "/source_party", "origin-signer"
        )
    return []


def _level_claims(
    file: str, source: str, level: str | None, signer: KeyEntry | None, attested: str | None
) -> list[Problem]:
    if level is None or source not in EVIDENCE_RANK or level not in EVIDENCE_RANK:
        return []  # the schema refuses unknown names; this rule only compares known ones
    own = EVIDENCE_RANK[source]
    raised = EVIDENCE_RANK.get(attested or "", 0)
    if EVIDENCE_RANK[level] <= max(own, raised):
        return []
    who = f"signed by {describe_signer(signer)}" if signer else "unsigned"
    above = f"the attested {attested}" if raised > own else f"its source {source}"
    return _claim(
        file,
        f"{who}, the report claims evidence_level: {level}, above {above}",
        f"remove evidence_level or lower it to {source}; only an attestation signed by the "
        "Secretariat raises it",
        "/evidence_level",
        "origin-evidence-level",
    )


def check_attestation(attestation: Attestation, signer: KeyEntry, *, file: str) -> list[Problem]:
    """Refuse an attestation not signed by the Secretariat's key.

    The key's validity is checked apart, with ``check_key_valid`` at ``attested_on``.
    """
    if signer.role == "secretariat":
        return []
    return _claim(
        file,
        f"attestation {attestation.id} is signed by {describe_signer(signer)}",
        "only the Secretariat's key signs attestations",
        "/signatures/0",
        "origin-signer",
    )


def raised_level(
    attestations: Iterable[Attestation], *, report_id: str, report_sha256: str
) -> EvidenceLevel | None:
    """The highest evidence level that attestations raise this report to, or None.

    Args:
        attestations: attestations whose signature verified and passed ``check_attestation``.
        report_id: the report's id.
        report_sha256: SHA-256 of the report's signed bytes: an attestation of other bytes (an
            earlier version with the same id) does not count.
    """
    levels = [
        a.evidence_level
        for a in attestations
        if a.report == report_id and a.report_sha256 == report_sha256
    ]
    return max(levels, key=EVIDENCE_RANK.__getitem__, default=None)
