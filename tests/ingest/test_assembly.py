"""Input assembly without the CLI: ``assemble`` (check, report), ``validate_paths`` (validate)
and ``assemble_whatif`` (whatif) raise ``UsageError`` or ``InputError``, never exit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.errors import InputError, LimitExceeded, UsageError
from engine.ingest import (
    Limits,
    assemble,
    assemble_whatif,
    bundled_commitments_dir,
    load_paths,
    validate_paths,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
TREATY = EXAMPLES / "treaty-state.yaml"
REPORT = EXAMPLES / "reports" / "ARC-self.yaml"
LIBRARY = bundled_commitments_dir()


def codes(exc: pytest.ExceptionInfo[InputError]) -> list[str]:
    return [p.code for p in exc.value.problems]


def commitment_file(tmp_path: Path, cid: str, name: str | None = None) -> Path:
    """A copy of a library commitment under another file name (its id is unchanged)."""
    target = tmp_path / (name or f"{cid}.yaml")
    shutil.copy(LIBRARY / f"{cid}.yaml", target)
    return target


def test_assemble_takes_the_library_and_the_given_treaty_and_reports() -> None:
    bundle = assemble([TREATY, REPORT])

    assert set(bundle.commitments) == set(load_paths([LIBRARY]).commitments)
    assert bundle.treaty is not None and bundle.treaty.parties
    assert bundle.treaty_path is not None and bundle.treaty_path.endswith("treaty-state.yaml")
    assert bundle.reports and {lr.report.subject_party for lr in bundle.reports} == {"ARC"}
    paths = [i.path for i in bundle.inputs]
    assert paths[-3].endswith("treaty-state.yaml") and paths[-2].endswith("ARC-self.yaml")
    assert paths[-1].endswith("ARC-self.yaml.dsse.json"), "its envelope, found beside it"
    assert all("commitments" in p for p in paths[:-3]), "the library's files come first"


def test_assemble_streams_jsonl_reports_on_request() -> None:
    jsonl = EXAMPLES / "reports" / "secretariat.jsonl"

    assert assemble([TREATY, jsonl], stream=True).streamed
    assert not assemble([TREATY, jsonl]).streamed


def test_assemble_refuses_a_missing_path_or_library_as_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file or folder"):
        assemble([tmp_path / "missing.yaml"])
    with pytest.raises(UsageError, match="no such commitment library folder"):
        assemble([TREATY], library_dir=tmp_path / "missing")


def test_assemble_takes_the_library_treaty_when_none_is_given_and_needs_parties() -> None:
    """The bundled treaty state lists no parties: reports alone cannot be evaluated."""
    with pytest.raises(InputError) as exc:
        assemble([REPORT])
    assert codes(exc) == ["no-parties"]
    assert exc.value.problems[0].file.endswith("treaty.yaml")


def test_assemble_without_any_treaty_state(tmp_path: Path) -> None:
    library = tmp_path / "library"
    library.mkdir()
    commitment_file(library, "CB-1")

    with pytest.raises(InputError) as exc:
        assemble([REPORT], library_dir=library)
    assert codes(exc) == ["no-treaty"]


def test_assemble_refuses_a_commitment_also_in_the_library(tmp_path: Path) -> None:
    mine = commitment_file(tmp_path, "CB-2", "my-cb2.yaml")

    with pytest.raises(InputError) as exc:
        assemble([TREATY, mine])
    assert codes(exc) == ["duplicate-id"]
    assert "also in the library" in exc.value.problems[0].message


def test_assemble_refuses_a_second_treaty_state(tmp_path: Path) -> None:
    second = tmp_path / "second.yaml"
    shutil.copy(TREATY, second)

    with pytest.raises(InputError) as exc:
        assemble([TREATY, second])
    assert codes(exc) == ["duplicate-treaty"]
    assert exc.value.problems[0].file.endswith("second.yaml")


def test_assemble_cross_checks_against_the_merged_library(tmp_path: Path) -> None:
    """A treaty naming a commitment that neither the library nor the paths define."""
    treaty = tmp_path / "treaty.yaml"
    treaty.write_text(
        TREATY.read_text(encoding="utf-8").replace("  - GEN-1\n", "  - GEN-1\n  - ZZ-9\n", 1),
        encoding="utf-8",
    )

    with pytest.raises(InputError) as exc:
        assemble([treaty])
    assert codes(exc) == ["unknown-commitment"]


def test_lowered_limits_apply_to_the_paths_and_an_own_library_not_the_bundled_one(
    tmp_path: Path,
) -> None:
    tiny = Limits(max_depth=3)
    with pytest.raises(LimitExceeded):
        assemble([TREATY], limits=tiny)  # the treaty state is deeper than three levels
    small = Limits(max_string=5000)
    assert assemble([TREATY], limits=small).treaty is not None  # the library is not limited
    own = tmp_path / "library"
    shutil.copytree(LIBRARY, own)
    with pytest.raises(LimitExceeded):
        assemble([TREATY], library_dir=own, limits=Limits(max_string=50))


def test_validate_paths_lets_references_point_into_the_bundled_library() -> None:
    """A treaty state alone validates: its commitments are the library's."""
    bundle = validate_paths([TREATY])

    assert bundle.commitments == {}
    assert bundle.treaty is not None


def test_validate_paths_needs_no_treaty_but_checks_references(tmp_path: Path) -> None:
    assert validate_paths([REPORT]).treaty is None
    treaty = tmp_path / "treaty.yaml"
    treaty.write_text(
        TREATY.read_text(encoding="utf-8").replace("  - GEN-1\n", "  - ZZ-9\n", 1),
        encoding="utf-8",
    )
    with pytest.raises(InputError) as exc:
        validate_paths([treaty])
    assert codes(exc) == ["unknown-commitment"]
    with pytest.raises(UsageError):
        validate_paths([tmp_path / "missing"])


def test_assemble_whatif_takes_the_treaty_from_the_paths_and_commitments_from_base_and_draft(
    tmp_path: Path,
) -> None:
    draft = commitment_file(tmp_path, "CB-2")

    inputs = assemble_whatif([TREATY, REPORT], draft_dir=draft)

    assert inputs.treaty.parties
    assert set(inputs.base.commitments) == set(load_paths([LIBRARY]).commitments)
    assert inputs.draft is not None and set(inputs.draft.commitments) == {"CB-2"}
    assert inputs.reports.commitments == {}
    assert {lr.report.subject_party for lr in inputs.reports.reports} == {"ARC"}


def test_assemble_whatif_refuses_commitments_among_the_reports(tmp_path: Path) -> None:
    stray = commitment_file(tmp_path, "CB-2")

    with pytest.raises(UsageError, match="commitment documents among the report paths"):
        assemble_whatif([TREATY, stray])
    with pytest.raises(UsageError, match="no such file or folder"):
        assemble_whatif([TREATY], draft_dir=tmp_path / "missing")


def test_assemble_whatif_needs_a_treaty_state_with_parties(tmp_path: Path) -> None:
    """Without one among the paths, the base's (here: the bundled library's) lists none."""
    with pytest.raises(InputError) as exc:
        assemble_whatif([REPORT])
    assert codes(exc) == ["no-parties"]
    second = tmp_path / "second.yaml"
    shutil.copy(TREATY, second)
    with pytest.raises(InputError) as exc:
        assemble_whatif([TREATY, second, REPORT])
    assert codes(exc) == ["duplicate-treaty"]
