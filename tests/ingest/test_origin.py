"""The signer decides the source: each attack of issue 13 is refused, honest reports pass.

``check_origin`` is pure: these tests give it the declared claims and the verified signer (or
None, for a treaty without a registry) and read the problems. The end-to-end test at the bottom
signs real report bytes, verifies them, and checks the claims read from the verified payload.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import date
from typing import Any

import pytest
import yaml

from engine.errors import Problem
from engine.ingest.keyfile import SigningKey, registry_entry
from engine.ingest.origin import check_attestation, check_origin, raised_level
from engine.ingest.signing import REPORT_YAML, parse_envelope, sign_payload, verify_envelope
from engine.model.keys import Attestation, KeyEntry, KeyRegistry, key_id_for

FILE = "reports/claim.yaml"


def key(holder: str, role: str, seed: int = 0) -> KeyEntry:
    raw = hashlib.sha256(f"{holder}{seed}".encode()).digest()
    return KeyEntry(
        key_id=key_id_for(raw),
        holder=holder,
        role=role,  # type: ignore[arg-type]
        public_key=base64.b64encode(raw).decode(),
        valid_from=date(2027, 1, 1),
    )


ARC = key("ARC", "party")
SEC = key("SECRETARIAT", "secretariat")
INSP = key("INSPECTORATE", "inspectorate")
WATCH = key("Open Compute Watch", "monitor")
COUNCIL = key("Executive Council", "body")


def claims(
    signer: KeyEntry | None,
    source: str,
    subject: str,
    source_party: str | None = None,
    level: str | None = None,
    attested: str | None = None,
) -> list[Problem]:
    return check_origin(
        file=FILE,
        source=source,
        source_party=source_party,
        subject_party=subject,
        evidence_level=level,
        signer=signer,
        attested_level=attested,
    )


def one(problems: list[Problem], pointer: str, *needles: str) -> str:
    assert len(problems) == 1, problems
    line = problems[0].render()
    assert "\n" not in line and line.startswith(f"{FILE}: {pointer}: ")
    for needle in needles:
        assert needle in line, line
    return line


# --------------------------------------------------------------- the attacks of the issue


def test_impersonation_a_party_signs_a_self_report_for_another() -> None:
    line = one(claims(ARC, "self", "BRN"), "/subject_party", "source: self about BRN")
    assert f"key {ARC.key_id} (ARC, party)" in line  # names the signer


def test_raised_evidence_level_used_against_another_party() -> None:
    problems = claims(ARC, "other_party", "BRN", "ARC", level="inspection")
    one(problems, "/evidence_level", "evidence_level: inspection", "its source other_party")


@pytest.mark.parametrize("level", ["inspection", "secretariat", "other_party", "open_source"])
def test_raised_evidence_level_used_in_its_own_favour(level: str) -> None:
    one(claims(ARC, "self", "ARC", level=level), "/evidence_level", f"evidence_level: {level}")


def test_a_self_report_disguised_as_another_partys() -> None:
    problems = claims(ARC, "other_party", "ARC", "ARC")
    one(problems, "/source", "source: other_party about ARC, its own party")


@pytest.mark.parametrize("source", ["inspection", "secretariat", "open_source"])
def test_a_party_key_cannot_claim_another_source(source: str) -> None:
    one(claims(ARC, source, "BRN"), "/source", f"source: {source}", "self and other_party")


def test_other_party_report_must_name_the_signer_as_source_party() -> None:
    one(claims(ARC, "other_party", "CAL", "BRN"), "/source_party", "set source_party: ARC")


def test_a_self_report_may_not_name_another_source_party() -> None:
    one(claims(ARC, "self", "ARC", "BRN"), "/source_party", "source_party: BRN")


@pytest.mark.parametrize(
    ("signer", "source"),
    [(WATCH, "inspection"), (WATCH, "secretariat"), (INSP, "secretariat"), (SEC, "inspection")],
)
def test_claimed_inspection_or_secretariat_by_the_wrong_key(signer: KeyEntry, source: str) -> None:
    one(claims(signer, source, "BRN"), "/source", f"source: {source}", signer.holder)


def test_a_treaty_body_signs_no_report() -> None:
    one(claims(COUNCIL, "secretariat", "BRN"), "/source", "signs determinations, not reports")


def test_a_non_party_source_names_no_source_party() -> None:
    one(claims(SEC, "secretariat", "BRN", "DOV"), "/source_party", "source_party: DOV")


# ------------------------------------------------------------------------ honest reports


@pytest.mark.parametrize(
    ("signer", "args"),
    [
        (ARC, ("self", "ARC")),
        (ARC, ("self", "ARC", "ARC", "self")),
        (ARC, ("other_party", "BRN", "ARC")),
        (ARC, ("other_party", "BRN", "ARC", "open_source")),  # same rank as other_party
        (SEC, ("secretariat", "BRN", None, "secretariat")),
        (SEC, ("secretariat", "BRN", None, "self")),  # lower is always allowed
        (INSP, ("inspection", "CAL", None, "inspection")),
        (WATCH, ("open_source", "DOV")),
        (WATCH, ("open_source", "DOV", None, "other_party")),  # same rank
    ],
)
def test_honest_reports_pass(signer: KeyEntry, args: tuple[Any, ...]) -> None:
    assert claims(signer, *args) == []


# --------------------------------------------------------------------------- attestations


def test_an_attestation_raises_the_ceiling() -> None:
    assert claims(ARC, "self", "ARC", level="inspection", attested="inspection") == []
    assert claims(ARC, "self", "ARC", level="secretariat", attested="inspection") == []
    problems = claims(ARC, "self", "ARC", level="inspection", attested="secretariat")
    one(problems, "/evidence_level", "above the attested secretariat")
    problems = claims(WATCH, "open_source", "DOV", level="secretariat", attested="self")
    one(problems, "/evidence_level", "above its source open_source")


def attestation(
    report: str = "BRN-q1", sha: str = "ab" * 32, level: str = "secretariat"
) -> Attestation:
    return Attestation.model_validate(
        {
            "document": "attestation",
            "id": f"ATT-{report}-{level}",
            "report": report,
            "report_sha256": sha,
            "evidence_level": level,
            "attested_on": "2028-05-01",
            "reason": "customs records",
        }
    )


def test_only_the_secretariat_signs_attestations() -> None:
    assert check_attestation(attestation(), SEC, file=FILE) == []
    line = one(check_attestation(attestation(), ARC, file=FILE), "/signatures/0")
    assert "only the Secretariat's key" in line and ARC.key_id in line


def test_raised_level_counts_only_attestations_of_these_bytes() -> None:
    atts = [
        attestation(level="secretariat"),
        attestation(level="inspection"),
        attestation(level="other_party"),
        attestation(sha="cd" * 32, level="inspection"),  # an earlier version of the report
    ]
    assert raised_level(atts, report_id="BRN-q1", report_sha256="ab" * 32) == "inspection"
    assert raised_level(atts[:1], report_id="BRN-q1", report_sha256="ab" * 32) == "secretariat"
    assert raised_level(atts[3:], report_id="BRN-q1", report_sha256="ab" * 32) is None
    assert raised_level(atts, report_id="BRN-q2", report_sha256="ab" * 32) is None


# ------------------------------------------------------------------------ without registry


def test_without_registry_the_three_checks_of_item_4() -> None:
    one(claims(None, "self", "ARC", "BRN"), "/source_party", "unsigned", "source_party: BRN")
    one(claims(None, "other_party", "ARC", "ARC"), "/source_party", "its own subject")
    one(claims(None, "self", "ARC", level="inspection"), "/evidence_level", "unsigned")
    one(claims(None, "open_source", "ARC", level="secretariat"), "/evidence_level", "open_source")


def test_without_registry_documents_are_otherwise_trusted() -> None:
    assert claims(None, "self", "ARC", "ARC") == []
    assert claims(None, "inspection", "BRN", None, "inspection") == []  # unverifiable, as today
    assert claims(None, "other_party", "BRN", "ARC", "other_party") == []
    assert claims(None, "secretariat", "BRN", "DOV") == []


# ------------------------------------------------------------------------------ end to end


def test_signed_bytes_verified_then_their_claims_checked() -> None:
    """The flow the loader will follow: verify the envelope, read the report, check its claims."""
    arc = SigningKey.generate()
    reg = KeyRegistry(
        keys=[registry_entry(arc, holder="ARC", role="party", valid_from=date(2027, 1, 1))]
    )
    forged = b"document: report\nid: r1\nsource: self\nsubject_party: BRN\n"
    data = sign_payload(forged, REPORT_YAML, arc).to_json()
    verified = verify_envelope(parse_envelope(data, FILE), reg, date(2028, 1, 1), file=FILE)
    report = yaml.safe_load(verified.payload)
    problems = claims(verified.signer, report["source"], report["subject_party"])
    one(problems, "/subject_party", f"key {arc.key_id} (ARC, party)", "source: self about BRN")
