"""treaty diff: commitments matched by id across renamed files, word diffs, exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from engine.cli import app
from engine.ingest import bundled_commitments_dir, load_paths
from engine.negotiate.diff import diff_sets, word_diff

runner = CliRunner()
LIB = bundled_commitments_dir()


@pytest.fixture()
def drafts(tmp_path: Path) -> tuple[Path, Path]:
    """OLD = the library; NEW = the same commitments renumbered into other files, with CB-2's
    notice period changed from 42 to 30 days, CB-3 removed and a new CB-9 added."""
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(LIB, old)
    new.mkdir()
    files = sorted(p for p in LIB.glob("*.yaml") if p.name != "treaty.yaml")
    for i, p in enumerate(reversed(files), start=1):
        if p.name == "CB-3.yaml":
            continue
        text = p.read_text(encoding="utf-8")
        if p.name == "CB-2.yaml":
            assert "in writing 42 days or more" in text and "    value: 42\n" in text
            text = text.replace("in writing 42 days or more", "in writing 30 days or more")
            text = text.replace("    value: 42\n", "    value: 30\n")
        (new / f"clause-{i:02d}.yaml").write_text(text, encoding="utf-8")
    res = runner.invoke(
        app, ["new", "commitment", "CB-9", "--title", "Hotline", "-o", str(new / "clause-99.yaml")]
    )
    assert res.exit_code == 0
    return old, new


def test_matched_by_id_across_renumbered_files(drafts: tuple[Path, Path]) -> None:
    old, new = drafts
    a, b = load_paths([old]), load_paths([new])
    result = diff_sets(
        a.commitments, b.commitments, old_paths=a.commitment_paths, new_paths=b.commitment_paths
    )
    by_status: dict[str, list[str]] = {}
    for d in result.commitments:
        by_status.setdefault(d.status, []).append(d.id)
    assert by_status["changed"] == ["CB-2"]
    assert by_status["added"] == ["CB-9"]
    assert by_status["removed"] == ["CB-3"]
    assert len(by_status["unchanged"]) == len(a.commitments) - 2
    (cb2,) = [d for d in result.commitments if d.id == "CB-2"]
    assert cb2.new_file is not None and cb2.new_file.endswith(".yaml")
    assert "clause-" in cb2.new_file
    paths = {c.path: c for c in cb2.changes}
    assert paths["parameters.notice_days.value"].old == 42
    assert paths["parameters.notice_days.value"].new == 30
    assert "[-42-]{+30+}" in paths["text[en]"].render()
    assert 'rules["CB-2.R1"].clause' in paths
    assert set(paths) == {"parameters.notice_days.value", "text[en]", 'rules["CB-2.R1"].clause'}


def test_cli_text_and_exit_codes(drafts: tuple[Path, Path]) -> None:
    old, new = drafts
    res = runner.invoke(app, ["diff", str(old), str(new)])
    assert res.exit_code == 1, res.output
    out = res.stdout
    assert "~ CB-2  Prior notification of very large training runs" in out
    assert "parameters.notice_days.value: 42 -> 30" in out
    assert "+ CB-9  Hotline" in out and "- CB-3" in out
    assert "moved:" in out
    assert out.rstrip().splitlines()[-1].startswith("Summary: 1 changed, 1 added, 1 removed")
    same = runner.invoke(app, ["diff", str(old), str(LIB)])
    assert same.exit_code == 0, same.output
    assert "0 changed, 0 added, 0 removed" in same.stdout


def test_cli_json(drafts: tuple[Path, Path]) -> None:
    old, new = drafts
    res = runner.invoke(app, ["diff", str(old), str(new), "--format", "json"])
    data = json.loads(res.stdout)
    assert data["summary"]["changed"] == 1
    (cb2,) = [d for d in data["commitments"] if d["id"] == "CB-2"]
    text = [c for c in cb2["changes"] if c["path"] == "text[en]"][0]
    assert text["word_diff"].startswith("Each Party shall notify")  # full text, no ellipsis
    assert "[-42-]{+30+}" in text["word_diff"]


def test_rule_order_and_file_split_do_not_matter(tmp_path: Path) -> None:
    """Rules are matched by id: reordering them is not a change; one file or many is the same."""
    import yaml

    src = (LIB / "CB-2.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(src)
    data["rules"] = list(reversed(data["rules"]))
    (tmp_path / "all.yaml").write_text(
        "\n---\n".join(
            [
                yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                (LIB / "CB-1.yaml").read_text(encoding="utf-8"),
            ]
        ),
        encoding="utf-8",
    )
    a = load_paths([LIB / "CB-1.yaml", LIB / "CB-2.yaml"])
    b = load_paths([tmp_path / "all.yaml"])
    result = diff_sets(a.commitments, b.commitments)
    assert [d.status for d in result.commitments] == ["unchanged", "unchanged"]
    assert not result.has_changes


def test_treaty_state_is_compared(tmp_path: Path) -> None:
    new = tmp_path / "new"
    shutil.copytree(LIB, new)
    t = new / "treaty.yaml"
    t.write_text(
        t.read_text().replace("  - TR-4\n", "").replace('version: "2027.1"', 'version: "2027.2"')
    )
    res = runner.invoke(app, ["diff", str(LIB), str(new)])
    assert res.exit_code == 1
    assert "treaty.version: 2027.1 -> 2027.2" in res.stdout
    assert "treaty.commitments[TR-4]: removed" in res.stdout


def test_word_diff() -> None:
    assert word_diff("a b c", "a x c") == "a [-b-]{+x+} c"
    assert word_diff("a b", "a b c") == "a b {+c+}"
    long = " ".join(f"w{i}" for i in range(40))
    changed = long.replace("w20", "W20")
    out = word_diff(long, changed)
    assert out == "… w14 w15 w16 w17 w18 w19 [-w20-]{+W20+} w21 w22 w23 w24 w25 w26 …"
    assert word_diff(long, changed, context=None).count("w") == 39 + 1


def test_usage_and_invalid(tmp_path: Path) -> None:
    assert runner.invoke(app, ["diff", str(tmp_path / "nope"), str(LIB)]).exit_code == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("document: commitment\nid: CB-2\n")
    assert runner.invoke(app, ["diff", str(bad), str(LIB)]).exit_code == 3
