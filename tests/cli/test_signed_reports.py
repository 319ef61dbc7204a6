"""Signed reports end to end (issue 13): every attack of the issue, refused through the CLI.

Each test builds a small treaty world in a temporary folder: a treaty state with parties ARC and
BOR and (unless said otherwise) a key registry of freshly made keys, reports written as YAML, and
envelopes made with the library's ``sign_file`` (what ``treaty sign`` does). ``treaty check``
runs in-process from that folder. Every refusal must be exit 3 and exactly one line on stderr,
naming the file and the reason; never a traceback.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result
from typer.testing import CliRunner

from engine.cli import app
from engine.ingest import DEFAULT_LIMITS, sha256_bytes, sign_file
from engine.ingest.keyfile import SigningKey, registry_entry
from engine.ingest.signing import REPORT_YAML, sign_payload

AS_OF = "2029-06-30"
KEYS = {
    "ARC": ("ARC", "party"),
    "BOR": ("BOR", "party"),
    "SEC": ("SECRETARIAT", "secretariat"),
    "INSP": ("INSPECTORATE", "inspectorate"),
    "WATCH": ("Open Compute Watch", "monitor"),
    "COUNCIL": ("Executive Council", "body"),
}


@dataclass
class World:
    """A treaty state with a key registry, reports and envelopes in ``root``."""

    root: Path
    keys: dict[str, SigningKey] = field(default_factory=dict)
    entries: list[dict[str, Any]] = field(default_factory=list)
    registry: bool = True

    def key(self, name: str, **dates: date) -> SigningKey:
        """The key ``name`` of ``KEYS``, registered (with ``valid_until``/``revoked_on`` given)."""
        if name not in self.keys:
            holder, role = KEYS.get(name, (name, "party"))
            key = SigningKey.generate()
            entry = registry_entry(key, holder=holder, role=role, valid_from=date(2027, 1, 1))  # type: ignore[arg-type]
            data = entry.model_dump(mode="json", exclude_none=True)
            data.update({k: v.isoformat() for k, v in dates.items()})
            self.entries.append(data)
            self.keys[name] = key
        return self.keys[name]

    def write_treaty(self) -> None:
        treaty: dict[str, Any] = {
            "document": "treaty",
            "id": "test-treaty",
            "title": "Test treaty",
            "version": "1",
            "commitments": ["CB-2"],
            "parameters": DEMO_PARAMETERS,
            "parties": [
                {"code": "ARC", "name": "Arcadia", "entry_into_force": "2027-01-01"},
                {"code": "BOR", "name": "Borealis", "entry_into_force": "2027-01-01"},
            ],
        }
        if self.registry and self.entries:
            treaty["key_registry"] = {"keys": self.entries}
        # JSON is YAML with every string quoted: a key id such as 365500375e787428 stays a string
        (self.root / "treaty-state.yaml").write_text(json.dumps(treaty, indent=1), encoding="utf-8")

    def report(self, name: str, **fields: Any) -> Path:
        """Write a report about BOR's run (CB-2) as ``reports/<name>.yaml``."""
        doc: dict[str, Any] = {
            "document": "report",
            "id": name,
            "source": "self",
            "subject_party": "BOR",
            "period": {"start": "2028-01-01", "end": "2028-06-30"},
            "submitted_at": "2028-04-02T09:00:00Z",
            "records": [
                {
                    "kind": "training_run",
                    "id": "run-BOR-1",
                    "planned_start": "2028-06-01",
                    "compute_upper_flop": 3.0e26,
                },
                {
                    "kind": "notification",
                    "id": "cb2-BOR-1",
                    "channel": "CB-2",
                    "about": "run-BOR-1",
                    "sent_at": "2028-03-01T09:00:00Z",
                },
            ],
        }
        doc.update(fields)
        path = self.root / "reports" / f"{name}.yaml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        return path

    def sign(self, path: Path, name: str) -> Path:
        """Sign ``path`` with the key ``name``; the envelope is written beside it."""
        target, envelope = sign_file(path, self.key(name), DEFAULT_LIMITS)
        target.write_bytes(envelope)
        return target

    def signed(self, name: str, key: str, **fields: Any) -> Path:
        """A report signed by ``key``."""
        path = self.report(name, **fields)
        self.sign(path, key)
        return path

    def check(self, *args: str) -> Result:
        self.write_treaty()
        return RUNNER.invoke(app, ["check", ".", "--as-of", AS_OF, *args])


RUNNER = CliRunner()
DEMO_PARAMETERS = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "examples" / "treaty-state.yaml").read_text("utf-8")
)["parameters"]


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.chdir(tmp_path)
    w = World(tmp_path)
    w.signed("BOR-own", "BOR")  # BOR's own honest report: a compliant CB-2 finding
    yield w


def refused(res: Result, file: str, *needles: str) -> str:
    """Exit 3, one line on stderr starting with ``file``, holding every needle."""
    assert res.exit_code == 3, res.output
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith(f"{file}:"), lines[0]
    assert "Traceback" not in res.output
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def findings(res: Result) -> list[dict[str, Any]]:
    assert res.exit_code in (0, 1), res.output
    found: list[dict[str, Any]] = json.loads(res.stdout)["findings"]
    return found


def cb2(res: Result) -> dict[str, Any]:
    return next(f for f in findings(res) if f["subject"] == "run-BOR-1")


# ------------------------------------------------------------- the honest case and the evidence


def test_signed_reports_pass_and_every_evidence_item_names_its_signer(world: World) -> None:
    res = world.check("--format", "json")

    finding = cb2(res)
    assert finding["status"] == "compliant"
    bor = world.keys["BOR"]
    assert {(e["key_id"], e["signer"]) for e in finding["evidence"]} == {(bor.key_id, "BOR")}
    assert "no key registry" not in res.stderr


# ------------------------------------------------------------- the attacks of the "Why"


def test_impersonation_a_self_report_for_another_party_is_refused(world: World) -> None:
    """ARC files as BOR, later, with a late notification: it would turn BOR's finding to breach."""
    late = {"kind": "notification", "id": "cb2-BOR-1", "channel": "CB-2", "about": "run-BOR-1"}
    late["sent_at"] = "2028-05-25T09:00:00Z"
    world.signed("BOR-forged", "ARC", submitted_at="2028-05-30T09:00:00Z", records=[late])

    line = refused(world.check(), "reports/BOR-forged.yaml", "source: self about BOR")
    assert f"key {world.keys['ARC'].key_id} (ARC, party)" in line


def test_raised_evidence_level_against_another_party_is_refused(world: World) -> None:
    world.signed(
        "ARC-on-BOR",
        "ARC",
        source="other_party",
        source_party="ARC",
        evidence_level="inspection",
    )

    refused(world.check(), "reports/ARC-on-BOR.yaml", "evidence_level: inspection")


@pytest.mark.parametrize("level", ["inspection", "secretariat"])
def test_raised_evidence_level_in_ones_own_favour_is_refused(world: World, level: str) -> None:
    world.signed("BOR-raised", "BOR", evidence_level=level)

    refused(world.check(), "reports/BOR-raised.yaml", f"evidence_level: {level}", "above")


def test_a_self_report_disguised_as_another_partys_is_refused(world: World) -> None:
    world.signed("BOR-disguised", "BOR", source="other_party", source_party="BOR")

    refused(world.check(), "reports/BOR-disguised.yaml", "other_party about BOR, its own party")


def test_another_partys_report_naming_a_third_party_as_source_is_refused(world: World) -> None:
    world.signed("ARC-as-BOR", "ARC", source="other_party", source_party="BOR")

    refused(world.check(), "reports/ARC-as-BOR.yaml", "source_party: BOR")


@pytest.mark.parametrize("claim", ["inspection", "secretariat", "open_source"])
def test_a_party_claiming_another_source_is_refused(world: World, claim: str) -> None:
    world.signed("ARC-claims", "ARC", source=claim)

    refused(world.check(), "reports/ARC-claims.yaml", f"source: {claim}")


def test_each_role_signs_its_own_source_only(world: World) -> None:
    world.signed("SEC-says", "SEC", source="inspection")

    refused(world.check(), "reports/SEC-says.yaml", "SECRETARIAT, secretariat", "inspection")


def test_a_treaty_bodys_key_signs_no_report(world: World) -> None:
    world.signed("COUNCIL-says", "COUNCIL", source="secretariat")

    refused(world.check(), "reports/COUNCIL-says.yaml", "signs determinations, not reports")


def test_inspection_and_open_source_reports_pass_with_the_right_keys(world: World) -> None:
    world.signed("INSP-1", "INSP", source="inspection")
    world.signed("WATCH-1", "WATCH", source="open_source")

    signers = {e["signer"] for e in cb2(world.check("--format", "json"))["evidence"]}
    assert signers == {"BOR", "INSPECTORATE", "Open Compute Watch"}


# ------------------------------------------------------------------------- issue 13, item 7


def test_a_replayed_envelope_of_another_report_is_refused(world: World) -> None:
    other = world.report("BOR-other", submitted_at="2028-05-01T09:00:00Z")
    replay = (world.root / "reports" / "BOR-own.yaml.dsse.json").read_bytes()
    (other.parent / f"{other.name}.dsse.json").write_bytes(replay)

    refused(
        world.check(),
        "reports/BOR-other.yaml.dsse.json",
        "an envelope over other bytes than reports/BOR-other.yaml",
    )


def test_a_signature_one_day_after_valid_until_is_refused(world: World) -> None:
    world.key("ARC", valid_until=date(2028, 4, 1))
    world.signed(
        "ARC-late",
        "ARC",
        source="other_party",
        source_party="ARC",
        submitted_at="2028-04-01T23:59:59Z",
    )
    world.signed(
        "ARC-later",
        "ARC",
        source="other_party",
        source_party="ARC",
        submitted_at="2028-04-02T00:00:00Z",
    )

    refused(world.check(), "reports/ARC-later.yaml", "valid only until 2028-04-01")


def test_a_key_revoked_before_the_submission_is_refused(world: World) -> None:
    world.key("ARC", revoked_on=date(2028, 4, 2))
    world.signed("ARC-revoked", "ARC", source="other_party", source_party="ARC")

    refused(world.check(), "reports/ARC-revoked.yaml", "revoked on 2028-04-02")


def test_a_key_revoked_after_the_submission_is_accepted(world: World) -> None:
    world.key("ARC", revoked_on=date(2028, 4, 3))
    world.signed("ARC-before", "ARC", source="other_party", source_party="ARC")

    sources = {e["source"] for e in cb2(world.check("--format", "json"))["evidence"]}
    assert sources == {"self", "other_party:ARC"}


def test_a_truncated_envelope_is_refused(world: World) -> None:
    env = world.root / "reports" / "BOR-own.yaml.dsse.json"
    env.write_bytes(env.read_bytes()[:100])

    refused(world.check(), "reports/BOR-own.yaml.dsse.json", "not JSON")


def test_an_altered_signature_is_refused(world: World) -> None:
    env = world.root / "reports" / "BOR-own.yaml.dsse.json"
    doc = json.loads(env.read_bytes())
    sig = bytearray(base64.b64decode(doc["signatures"][0]["sig"]))
    sig[0] ^= 1
    doc["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
    env.write_text(json.dumps(doc), encoding="utf-8")

    refused(world.check(), "reports/BOR-own.yaml.dsse.json", "signature was not made by key")


def test_an_envelope_alone_with_an_altered_payload_is_refused(world: World) -> None:
    """Without the file beside it, the payload is read; changed bytes break the signature."""
    report = world.root / "reports" / "BOR-own.yaml"
    env = report.parent / f"{report.name}.dsse.json"
    doc = json.loads(env.read_bytes())
    payload = base64.b64decode(doc["payload"]).replace(b"2028-03-01T09", b"2028-05-25T09")
    doc["payload"] = base64.b64encode(payload).decode()
    (report.parent / "alone.dsse.json").write_text(json.dumps(doc), encoding="utf-8")
    report.unlink()
    env.unlink()

    refused(world.check(), "reports/alone.dsse.json", "not made by key", "altered")


def test_an_edited_report_no_longer_matches_its_envelope(world: World) -> None:
    report = world.root / "reports" / "BOR-own.yaml"
    report.write_text(report.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")

    refused(world.check(), "reports/BOR-own.yaml.dsse.json", "over other bytes", "sign it again")


def test_an_envelope_whose_payload_is_not_a_report_is_refused(world: World) -> None:
    """A commitment signed as if it were a report (an envelope standing alone)."""
    commitment = (Path(__file__).resolve().parents[2] / "commitments" / "CB-2.yaml").read_bytes()
    envelope = sign_payload(commitment, REPORT_YAML, world.key("ARC"))
    (world.root / "reports" / "not-a-report.dsse.json").write_bytes(envelope.to_json())

    refused(world.check(), "reports/not-a-report.dsse.json", "holds a 'commitment' document")


def test_an_envelope_of_another_document_type_is_refused(world: World) -> None:
    treaty = b"document: treaty\n"
    envelope = sign_payload(treaty, "application/vnd.treaty-engine.treaty+yaml", world.key("ARC"))
    (world.root / "reports" / "treaty.dsse.json").write_bytes(envelope.to_json())

    refused(world.check(), "reports/treaty.dsse.json", "not a treaty-engine report")


def test_a_key_outside_the_registry_is_refused(world: World) -> None:
    stranger = SigningKey.generate()
    path = world.report("BOR-stranger")
    target, envelope = sign_file(path, stranger, DEFAULT_LIMITS)
    target.write_bytes(envelope)

    refused(
        world.check(), "reports/BOR-stranger.yaml.dsse.json", "not in the treaty's key registry"
    )


# --------------------------------------------------------------------------- unsigned reports


def test_an_unsigned_report_is_refused_once_there_is_a_registry(world: World) -> None:
    world.report("BOR-unsigned", submitted_at="2028-05-01T09:00:00Z")

    refused(world.check(), "reports/BOR-unsigned.yaml", "unsigned report", "--allow-unsigned")


def test_allow_unsigned_admits_at_open_source_rank_and_the_findings_say_so(world: World) -> None:
    """An unsigned inspection report is admitted, but cannot settle a dispute any more."""
    world.report("INSP-unsigned", source="inspection", submitted_at="2028-05-01T09:00:00Z")

    res = world.check("--format", "json", "--allow-unsigned")

    evidence = {e["report"]: e for e in cb2(res)["evidence"]}
    assert evidence["INSP-unsigned"]["admitted_unsigned"] is True
    assert evidence["INSP-unsigned"]["key_id"] is None
    assert evidence["INSP-unsigned"]["source"] == "open_source"  # no unsigned inspection
    assert evidence["BOR-own"]["admitted_unsigned"] is False
    assert "1 file(s) of unsigned reports admitted" in res.stderr
    assert "reports/INSP-unsigned.yaml" in res.stderr


def test_an_unsigned_attestation_is_refused_even_with_allow_unsigned(world: World) -> None:
    (world.root / "reports" / "attest.yaml").write_text(
        yaml.safe_dump(_attestation("BOR-own", "0" * 64)), encoding="utf-8"
    )

    refused(world.check("--allow-unsigned"), "reports/attest.yaml", "unsigned attestation")


# ------------------------------------------------------------------------------- attestations


def _attestation(report: str, sha256: str) -> dict[str, Any]:
    return {
        "document": "attestation",
        "id": f"att-{report}",
        "report": report,
        "report_sha256": sha256,
        "evidence_level": "inspection",
        "attested_on": "2028-04-10",
        "reason": "customs records obtained by the Secretariat",
    }


def _attest(world: World, report: Path, key: str, sha256: str | None = None) -> None:
    path = world.root / "reports" / f"att-{report.stem}.yaml"
    body = _attestation(report.stem, sha256 or sha256_bytes(report.read_bytes()))
    path.write_text(yaml.safe_dump(body), encoding="utf-8")
    world.sign(path, key)


def _late_notice() -> list[dict[str, Any]]:
    notice = {"kind": "notification", "id": "cb2-BOR-1", "channel": "CB-2", "about": "run-BOR-1"}
    return [dict(notice, sent_at="2028-05-25T09:00:00Z")]


def test_a_secretariat_attestation_raises_the_level_of_the_exact_bytes(world: World) -> None:
    """ARC disputes BOR's notice date: a gap; attested as inspection evidence, it settles it."""
    arc = world.signed(
        "ARC-on-BOR", "ARC", source="other_party", source_party="ARC", records=_late_notice()
    )
    assert "contradictory" in cb2(world.check("--format", "json"))["flags"]

    _attest(world, arc, "SEC")

    finding = cb2(world.check("--format", "json"))
    assert finding["status"] == "breach", finding
    assert "settles it" in finding["explanation"]["summary"]


def test_an_attestation_of_other_bytes_raises_nothing(world: World) -> None:
    arc = world.signed(
        "ARC-on-BOR", "ARC", source="other_party", source_party="ARC", evidence_level="inspection"
    )
    _attest(world, arc, "SEC", sha256="f" * 64)

    refused(world.check(), "reports/ARC-on-BOR.yaml", "evidence_level: inspection")


def test_an_attestation_signed_by_a_party_is_refused(world: World) -> None:
    arc = world.signed("ARC-on-BOR", "ARC", source="other_party", source_party="ARC")
    _attest(world, arc, "ARC")

    refused(world.check(), "reports/att-ARC-on-BOR.yaml.dsse.json", "only the Secretariat")


# ------------------------------------------------------------------------ without a registry


@pytest.fixture
def open_world(world: World) -> World:
    world.registry = False
    return world


def test_without_a_registry_documents_are_trusted_and_check_says_so_once(open_world: World) -> None:
    open_world.report("ARC-unsigned", source="other_party", source_party="ARC")

    res = open_world.check()

    assert res.exit_code in (0, 1), res.output
    assert res.stderr.count("no key registry, so report origins are unverified") == 1


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        (
            {"source": "self", "source_party": "ARC"},
            "source: self about BOR with source_party: ARC",
        ),
        ({"source": "other_party", "source_party": "BOR"}, "source_party: BOR, its own subject"),
        ({"source": "self", "evidence_level": "inspection"}, "above its source self"),
    ],
    ids=["self-naming-another", "other-party-naming-itself", "level-above-source"],
)
def test_without_a_registry_the_three_self_contradictions_are_refused(
    open_world: World, fields: dict[str, Any], needle: str
) -> None:
    open_world.report("claim", **fields)

    refused(open_world.check(), "reports/claim.yaml", "unsigned", needle)


# ------------------------------------------------------------------------------------- others


def test_validate_and_report_accept_envelopes_as_check_does(world: World) -> None:
    world.write_treaty()

    ok = RUNNER.invoke(app, ["validate", "treaty-state.yaml", "reports/BOR-own.yaml.dsse.json"])
    assert ok.exit_code == 0, ok.output
    assert "1 signature(s) verified" in ok.stdout

    world.report("BOR-unsigned", submitted_at="2028-05-01T09:00:00Z")
    for command in (["validate", "."], ["report", ".", "--as-of", AS_OF, "--format", "json"]):
        res = RUNNER.invoke(app, command)
        refused(res, "reports/BOR-unsigned.yaml", "unsigned report")
        res = RUNNER.invoke(app, [*command, "--allow-unsigned"])
        assert res.exit_code in (0, 1), res.output


def test_a_signed_jsonl_file_streams_as_before_and_is_checked_first(world: World) -> None:
    """The envelope over a JSONL file is checked against its bytes; the lines then stream."""
    jsonl = world.root / "reports" / "ARC-on-BOR.jsonl"
    report = yaml.safe_load(
        world.report("tmp", source="other_party", source_party="ARC").read_text()
    )
    (world.root / "reports" / "tmp.yaml").unlink()
    lines = [dict(report, id=f"ARC-on-BOR-{i}") for i in range(3)]
    jsonl.write_text("".join(json.dumps(x, default=str) + "\n" for x in lines), encoding="utf-8")
    world.sign(jsonl, "ARC")

    one = world.check("--format", "json")
    two = world.check("--format", "json", "--jobs", "2")
    assert one.stdout == two.stdout
    assert "ARC-on-BOR-2" in {e["report"] for e in cb2(one)["evidence"]}  # the latest of three

    jsonl.write_bytes(jsonl.read_bytes().replace(b"ARC-on-BOR-2", b"ARC-on-BOR-9"))
    refused(world.check("--jobs", "2"), "reports/ARC-on-BOR.jsonl.dsse.json", "over other bytes")
