"""Streaming: JSONL reports are validated, left on disk, and read back one party at a time."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import weakref
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.errors import InputError
from engine.ingest import StreamedReport, load_paths
from engine.render.json import render_json
from engine.render.pipeline import run_check

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
AS_OF = date(2029, 6, 30)


def _example_reports() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for f in sorted((EXAMPLES / "reports").iterdir()):
        if f.name.endswith(".dsse.json"):
            continue  # an envelope carries the report beside it
        text = f.read_text(encoding="utf-8")
        if f.suffix == ".jsonl":
            docs += [json.loads(ln) for ln in text.splitlines() if ln.strip()]
        else:
            docs += [d for d in yaml.safe_load_all(text) if d]
    return docs


def _as_jsonl(tmp: Path) -> Path:
    """The examples with every report rewritten as one JSONL line, one file per subject party."""
    out = tmp / "archive"
    (out / "reports").mkdir(parents=True)
    # Without the demo's key registry: these files regroup reports of several signers, unsigned.
    treaty = yaml.safe_load((EXAMPLES / "treaty-state.yaml").read_text(encoding="utf-8"))
    treaty.pop("key_registry")
    (out / "treaty-state.yaml").write_text(yaml.safe_dump(treaty), encoding="utf-8")
    by_party: dict[str, list[str]] = {}
    for d in _example_reports():
        by_party.setdefault(d["subject_party"], []).append(json.dumps(d, default=str))
    for code, lines in by_party.items():
        (out / "reports" / f"{code}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def _bundle(paths: list[Path], stream: bool) -> Any:
    from engine.ingest import assemble

    return assemble(paths, stream=stream)


def _treaty(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )


def test_streamed_reports_are_not_held_in_memory(tmp_path: Path) -> None:
    archive = _as_jsonl(tmp_path)

    b = _bundle([archive], stream=True)

    assert b.reports == []
    assert len(b.streamed) == len(_example_reports())
    assert all(isinstance(s, StreamedReport) for s in b.streamed)


def test_streaming_gives_the_same_findings_as_loading_everything(tmp_path: Path) -> None:
    archive = _as_jsonl(tmp_path)

    streamed = render_json(run_check(_bundle([archive], stream=True), AS_OF))
    whole = render_json(run_check(_bundle([archive], stream=False), AS_OF))
    jobs2 = render_json(run_check(_bundle([archive], stream=True), AS_OF, jobs=2))

    assert streamed == whole == jobs2
    assert json.loads(streamed)["summary"]["breach"] > 0


def test_one_party_at_a_time_is_alive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When a party's reports are read back, every report of the parties before it is gone."""
    archive = _as_jsonl(tmp_path)
    b = _bundle([archive], stream=True)
    alive: list[tuple[str, weakref.ref[Any]]] = []
    leaks: list[str] = []
    real_load = StreamedReport.load

    def load(self: StreamedReport) -> Any:
        gc.collect()
        leaks.extend(
            f"{party} still alive while loading {self.subject_party}"
            for party, ref in alive
            if party != self.subject_party and ref() is not None
        )
        lr = real_load(self)
        alive.append((self.subject_party, weakref.ref(lr.report)))
        return lr

    monkeypatch.setattr(StreamedReport, "load", load)
    run_check(b, AS_OF)

    assert len({p for p, _ in alive}) > 3
    assert leaks == []


def test_a_file_changed_during_the_check_is_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = _as_jsonl(tmp_path)
    b = _bundle([archive], stream=True)
    victim = b.streamed[0].file
    victim.write_text(victim.read_text(encoding="utf-8").replace('"', "'", 1), encoding="utf-8")

    with pytest.raises(InputError) as exc:
        run_check(b, AS_OF)

    [problem] = exc.value.problems
    assert problem.code == "changed"
    assert problem.line == 1
    assert "\n" not in problem.render()


def test_record_id_reused_for_another_kind_across_streamed_reports(tmp_path: Path) -> None:
    archive = _as_jsonl(tmp_path)
    f = archive / "reports" / "CAL.jsonl"
    lines = f.read_text(encoding="utf-8").splitlines()
    records = [r for ln in lines for r in json.loads(ln)["records"]]
    a = records[0]
    b = next(r for r in records if r["kind"] != a["kind"])
    clash = {
        "document": "report",
        "id": "clash-report",
        "source": "self",
        "subject_party": "CAL",
        "period": {"start": "2028-01-01", "end": "2028-12-31"},
        "submitted_at": "2028-06-01T00:00:00Z",
        "records": [{**b, "id": a["id"]}],
    }
    f.write_text("\n".join([*lines, json.dumps(clash)]) + "\n", encoding="utf-8")

    res = _treaty("check", str(archive), "--as-of", "2029-06-30", cwd=tmp_path)

    assert res.returncode == 3, res.stderr
    assert "Traceback" not in res.stderr
    lines_err = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines_err) == 1, res.stderr
    assert f"record {a['id']} is a {b['kind']} here but a {a['kind']}" in lines_err[0]
    assert res.stdout == ""


def test_jsonl_split_on_newlines_only(tmp_path: Path) -> None:
    """U+2028 inside a JSON string is not a line break; a byte-order mark is skipped; the
    line numbers of later documents stay right."""
    docs = [d for d in _example_reports() if d["subject_party"] == "CAL"][:2]
    docs[0]["records"][0]["note"] = "line\u2028separator"
    f = tmp_path / "r.jsonl"
    f.write_bytes(
        b"\xef\xbb\xbf"
        + (json.dumps(docs[0], default=str, ensure_ascii=False) + "\n\n").encode()
        + (json.dumps(docs[1], default=str, ensure_ascii=False) + "\r\n").encode()
    )

    b = load_paths([f], stream=True)

    assert [s.line for s in b.streamed] == [1, 3]
    first = b.streamed[0].load()
    assert first.report.records[0].note == "line\u2028separator"
    assert b.streamed[1].load().report.id == docs[1]["id"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"jobs": 2},
        {"statuses": ["breach", "gap"]},
        {"parties": ["CAL", "ARC"], "commitments": ["CB-2", "NX-1"]},
        {"statuses": ["not_applicable"], "parties": ["GLN"], "jobs": 3},
    ],
)
def test_spooled_output_is_byte_identical_to_the_whole_document(
    tmp_path: Path, kwargs: dict[str, Any]
) -> None:
    """`treaty check` renders party by party into a spool; the bytes must be those of the
    findings document rendered whole, in JSON and in text."""
    from engine.ingest import assemble
    from engine.render.pipeline import spool_check
    from engine.render.registry import stream_of
    from engine.render.text import render_text

    bundle = assemble([EXAMPLES], stream=True)
    whole = run_check(bundle, AS_OF, **kwargs)
    for fmt in ("json", "text"):
        spool = tmp_path / fmt
        spool.mkdir()
        sp = spool_check(bundle, AS_OF, spool, stream_of(fmt), **kwargs)
        got = "".join(sp.render())
        if fmt == "json":
            assert got == render_json(whole)
        else:
            assert got == render_text(whole, bundle.treaty, bundle.commitments)
        assert sp.head.summary == whole.summary


def test_unknown_filters_are_usage_errors(tmp_path: Path) -> None:
    res = _treaty("check", str(EXAMPLES), "--as-of", "2029-06-30", "--party", "ZZZ", cwd=tmp_path)
    assert res.returncode == 2
    assert "--party ZZZ is not a party of the treaty" in res.stderr
    res = _treaty(
        "check", str(EXAMPLES), "--as-of", "2029-06-30", "--commitment", "CB-9", cwd=tmp_path
    )
    assert res.returncode == 2
    assert "--commitment CB-9 is not in force" in res.stderr


def _messy_archive(tmp: Path) -> Path:
    """The examples as JSONL, plus files that go wrong in different ways and a JSONL file that
    holds a commitment (which the main process must load itself)."""
    archive = _as_jsonl(tmp)
    reports = archive / "reports"
    first = json.loads((reports / sorted(os.listdir(reports))[0]).read_text().splitlines()[0])
    bad = dict(first, id="bad-1", period="not a period")
    (reports / "zz-bad.jsonl").write_text(
        json.dumps(first) + "\n" + json.dumps(bad) + "\n{not json\n", encoding="utf-8"
    )
    (reports / "aa-also-bad.jsonl").write_text(json.dumps(dict(first, extra=1)) + "\n")
    commitment = yaml.safe_load(
        (ROOT / "commitments" / sorted(os.listdir(ROOT / "commitments"))[0]).read_text()
    )
    (archive / "drafts.jsonl").write_text(json.dumps(commitment, default=str) + "\n")
    return archive


def _load(paths: list[Path], jobs: int) -> tuple[Any, list[Any]]:
    try:
        b = load_paths(paths, stream=True, jobs=jobs)
    except InputError as exc:
        return None, [p.render() for p in exc.problems]
    return (b.streamed, b.inputs, sorted(b.commitments)), []


def test_validating_in_processes_gives_the_same_bundle_and_problems(tmp_path: Path) -> None:
    clean = _as_jsonl(tmp_path / "clean")
    messy = _messy_archive(tmp_path / "messy")

    one, _ = _load([clean], jobs=1)
    two, _ = _load([clean], jobs=2)
    assert one is not None and one == two

    _, problems_one = _load([messy], jobs=1)
    _, problems_two = _load([messy], jobs=3)
    assert len(problems_one) >= 3
    assert problems_one == problems_two

    (messy / "reports" / "zz-bad.jsonl").unlink()
    (messy / "reports" / "aa-also-bad.jsonl").unlink()
    one, _ = _load([messy], jobs=1)
    two, _ = _load([messy], jobs=2)
    assert one is not None and one[2] == [commitment_id(messy)]
    assert one == two


def commitment_id(archive: Path) -> str:
    return str(json.loads((archive / "drafts.jsonl").read_text())["id"])


@pytest.mark.parametrize("fmt", ["md", "html", "json"])
def test_report_from_streamed_reports_is_the_same_as_from_loaded_ones(
    tmp_path: Path, fmt: str
) -> None:
    """'treaty report' streams JSONL reports too; the evidence still names each report's file."""
    from engine.render.context import build_context
    from engine.render.registry import render_report

    archive = _as_jsonl(tmp_path)
    out = []
    for stream in (False, True):
        b = _bundle([archive], stream=stream)
        out.append(render_report(fmt, build_context(b, [run_check(b, AS_OF)])))

    assert out[0] == out[1]
    assert "reports/ARC.jsonl" in out[1]
