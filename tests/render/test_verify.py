"""`treaty verify`: a findings JSON is re-derived from its recorded inputs; an untouched report is
confirmed, and every changed or missing input and every differing finding is named."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from typer.testing import CliRunner  # noqa: E402

from engine.cli import app  # noqa: E402
from engine.model.findings import FindingsDocument  # noqa: E402
from engine.render.verify import compare_findings, verify_document  # noqa: E402
from tests.render.test_reports import (
    AS_OF,
    BOR_REPORT,
    cli,
    examples_available,
    treaty_subprocess,
    write_fixture,
)  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:Accessing the 'model_fields' attribute")

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_fixture(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def report_json(*extra: str) -> FindingsDocument:
    res = cli("report", "inputs", "--as-of", AS_OF, "-o", "out/r.json", "-o", "out/r.html", *extra)
    assert res.exit_code in (0, 1), res.stderr
    return FindingsDocument.model_validate_json(Path("out/r.json").read_text(encoding="utf-8"))


def test_untouched_report_is_verified(work: Path) -> None:
    doc = report_json()
    res = cli("verify", "out/r.json")

    assert res.exit_code == 0, res.stdout
    assert res.stdout.startswith("verified: out/r.json:")
    assert (
        f"{len(doc.inputs)} input(s) unchanged, {len(doc.findings)} finding(s) identical"
        in res.stdout
    )


def test_changed_report_file_is_named_with_the_findings_that_differ(work: Path) -> None:
    report_json()
    bor = work / "inputs" / "reports" / "bor-2028.yaml"
    bor.write_text(
        BOR_REPORT.replace(
            "    signed_on: 2027-06-01\n",
            "    signed_on: 2027-06-01\n    exclusivity_clause: true\n",
        ),
        encoding="utf-8",
    )
    res = cli("verify", "out/r.json")

    assert res.exit_code == 1
    assert res.stdout.startswith("NOT verified")
    assert "input changed: inputs/reports/bor-2028.yaml" in res.stdout
    assert "finding differs: BOR|NX-1|arr-bor-1 (gap -> breach;" in res.stdout
    assert "inputs/reports/atl-2028.yaml" not in res.stdout, "only the changed input is named"


def test_byte_change_without_a_different_finding_still_fails(work: Path) -> None:
    report_json()
    with (work / "inputs" / "reports" / "cas-2028.yaml").open("a", encoding="utf-8") as fh:
        fh.write("# a comment changes the bytes, not the findings\n")
    res = cli("verify", "out/r.json")

    assert res.exit_code == 1
    assert "input changed: inputs/reports/cas-2028.yaml" in res.stdout
    assert "finding" not in res.stdout.split("\n", 1)[1].replace("findings", "")


def test_missing_input_is_named(work: Path) -> None:
    report_json()
    (work / "inputs" / "reports" / "cas-2028.yaml").unlink()
    res = cli("verify", "out/r.json", "--format", "json")
    data = json.loads(res.stdout)

    assert res.exit_code == 1 and data["verified"] is False
    states = {i["path"]: i["state"] for i in data["inputs"]}
    assert states["inputs/reports/cas-2028.yaml"] == "missing"
    assert {s for p, s in states.items() if p != "inputs/reports/cas-2028.yaml"} == {"ok"}


def test_changed_commitment_library_file_is_named(work: Path) -> None:
    report_json()
    nx1 = work / "lib" / "NX-1.yaml"
    nx1.write_text(
        nx1.read_text(encoding="utf-8").replace("severity: critical", "severity: low"),
        encoding="utf-8",
    )
    res = cli("verify", "out/r.json")

    assert res.exit_code == 1
    assert "input changed: lib/NX-1.yaml" in res.stdout
    assert "finding differs: ATL|NX-1|arr-atl-1 (severity)" in res.stdout


def test_tampered_findings_are_named(work: Path) -> None:
    report_json()
    data = json.loads(Path("out/r.json").read_text(encoding="utf-8"))
    target = next(f for f in data["findings"] if f["status"] == "breach")
    target["status"] = "compliant"
    dropped = data["findings"].pop()
    Path("out/r.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    res = cli("verify", "out/r.json")
    fp = f"{target['party']}|{target['commitment']}|{target['subject'] or '-'}"
    dropped_fp = f"{dropped['party']}|{dropped['commitment']}|{dropped['subject'] or '-'}"

    assert res.exit_code == 1
    assert f"finding differs: {fp} (compliant -> breach; status)" in res.stdout
    assert f"finding added: {dropped_fp}" in res.stdout
    assert "input changed" not in res.stdout


def test_filters_and_as_of_are_replayed(work: Path) -> None:
    doc = report_json("--party", "BOR", "--status", "gap")

    assert {f.party for f in doc.findings} == {"BOR"} and {f.status for f in doc.findings} == {
        "gap"
    }
    assert cli("verify", "out/r.json").exit_code == 0


def test_bundled_library_inputs_are_recorded_and_verified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_fixture(tmp_path, library=False)
    monkeypatch.chdir(tmp_path)
    # The default library (no --commitments): its treaty.yaml and the fixture's treaty state are
    # both recorded, and verify must pick the fixture's, as check did.
    res = CliRunner().invoke(
        app,
        [
            "report",
            "inputs",
            "--as-of",
            AS_OF,
            "-o",
            "r.json",
        ],
    )
    assert res.exit_code == 1, res.stderr
    doc = FindingsDocument.model_validate_json(Path("r.json").read_text(encoding="utf-8"))
    library = [
        i
        for i in doc.inputs
        if i.document in ("commitment", "treaty") and not i.path.startswith("inputs/")
    ]

    assert any(i.path.endswith("NX-1.yaml") for i in library) and any(
        i.path.endswith("treaty.yaml") for i in library
    )
    result = verify_document(doc)
    # The shared library may be edited while the tests run; then verify must say which file.
    changed = [i.path for i in result.inputs if i.state != "ok"]
    assert result.ok or (changed and all(p in {i.path for i in library} for p in changed))
    if result.ok:
        assert result.recomputed is not None and result.recomputed.findings == doc.findings


def test_delta_document_is_refused_with_a_reason(work: Path) -> None:
    report_json()
    assert cli(
        "report", "inputs", "--as-of", AS_OF, "--baseline", "out/r.json", "-o", "out/d.json"
    ).exit_code in (0, 1)
    res = cli("verify", "out/d.json")

    assert res.exit_code == 3
    assert "findings-delta" in res.stderr


def test_usage_errors(work: Path) -> None:
    assert cli("verify", "nope.json").exit_code == 2
    Path("x.json").write_text("[]", encoding="utf-8")
    assert cli("verify", "x.json").exit_code == 3


def test_verify_exit_codes_through_main(work: Path) -> None:
    """The real entry point (as CI calls it): 0 verified, 1 not."""
    report_json()
    ok = treaty_subprocess(["verify", "out/r.json"], work)
    (work / "inputs" / "treaty-state.yaml").write_text(
        (work / "inputs" / "treaty-state.yaml")
        .read_text(encoding="utf-8")
        .replace("2028-06-01", "2028-09-01"),
        encoding="utf-8",
    )
    bad = treaty_subprocess(["verify", "out/r.json"], work)

    assert ok.returncode == 0, ok.stdout.decode() + ok.stderr.decode()
    assert bad.returncode == 1 and b"input changed: inputs/treaty-state.yaml" in bad.stdout


def test_compare_findings_kinds() -> None:
    from datetime import date

    from engine.model.findings import Explanation, Finding

    def f(subject: str, status: Any = "breach") -> Finding:
        return Finding(
            party="AAA",
            commitment="AB-1",
            subject=subject,
            status=status,
            severity="high",
            explanation=Explanation(rule=None, clause="c", summary="s"),
            as_of=date(2029, 1, 1),
        )

    diffs = compare_findings([f("a"), f("b"), f("c")], [f("b", "gap"), f("c"), f("d")])

    assert [(d.fingerprint, d.kind, d.fields) for d in diffs] == [
        ("AAA|AB-1|a", "removed", ()),
        ("AAA|AB-1|b", "changed", ("status",)),
        ("AAA|AB-1|d", "added", ()),
    ]


@pytest.mark.skipif(not examples_available(), reason="examples/ has no treaty state yet")
def test_examples_report_then_changed_file_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    shutil.copytree(ROOT / "commitments", tmp_path / "lib", ignore=shutil.ignore_patterns("__*"))
    monkeypatch.chdir(tmp_path)
    res = cli("report", "examples", "--commitments", "lib", "--as-of", "2029-06-30", "-o", "r.json")
    assert res.exit_code in (0, 1), res.stderr
    assert cli("verify", "r.json").exit_code == 0
    doc = FindingsDocument.model_validate_json(Path("r.json").read_text(encoding="utf-8"))
    report = next(i.path for i in doc.inputs if "report" in i.document.split("+"))
    path = Path(report)
    if path.suffix in (".yaml", ".yml"):
        path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    elif path.suffix == ".json":
        path.write_text(
            json.dumps(json.loads(path.read_text(encoding="utf-8")), indent=1), encoding="utf-8"
        )
    else:  # JSONL: same documents, other spacing
        lines = [
            json.dumps(json.loads(x), separators=(",", ":"))
            for x in path.read_text(encoding="utf-8").splitlines()
            if x.strip()
        ]
        path.write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    res = cli("verify", "r.json")

    assert res.exit_code == 1
    assert f"input changed: {report}" in res.stdout
