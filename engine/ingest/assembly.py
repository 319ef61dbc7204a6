"""Assembling the inputs of a command: the commitment library, the treaty state and the reports.

* ``assemble`` gives everything an evaluation (``treaty check``, ``treaty report``) needs: the
  library (the bundled one, or a folder of one's own) merged with the given paths, exactly one
  treaty state (the given one, else the library's) that lists parties, and every document
  checked against the others.
* ``validate_paths`` checks documents on their own (``treaty validate``): the bundled library is
  only where their commitment references may point.
* ``assemble_whatif`` gives the reports, the treaty state and two sets of commitments to compare
  (``treaty whatif``).

Compiling the commitments is the rules layer's work, above this one: callers compile what these
functions return (``engine.rules.compile.compile_problems``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.errors import InputError, Problem, UsageError
from engine.ingest.bundle import Bundle, cross_check
from engine.ingest.files import bundled_commitments_dir
from engine.ingest.limits import DEFAULT_LIMITS, Limits
from engine.ingest.paths import load_paths
from engine.ingest.provenance import registry_of, settle_origins
from engine.model.commitment import Commitment, TreatyState


def assemble(
    paths: Sequence[Path],
    *,
    library_dir: Path | None = None,
    limits: Limits = DEFAULT_LIMITS,
    stream: bool = False,
    jobs: int = 1,
    allow_unsigned: bool = False,
) -> Bundle:
    """Load the commitment library and the given paths into one validated bundle.

    Args:
        paths: report files and folders; a treaty-state document and commitments among them are
            taken too.
        library_dir: the commitment library (default: the bundled one, which ``limits`` do not
            apply to: lowered limits are for the user's files).
        limits: the safety limits.
        stream: validate the reports of JSONL files and leave them on disk
            (``Bundle.streamed``).
        jobs: with ``stream``, validate JSONL files in this many processes.
        allow_unsigned: admit unsigned reports at open-source rank although the treaty state
            has a key registry (``engine.ingest.provenance``).

    Returns:
        The bundle, with one treaty state that lists parties, and the library's files first in
        ``inputs``; each report's origin settled by its signer. Its commitments are not
        compiled yet.

    Raises:
        UsageError: a path or the library folder does not exist.
        InputError: a document is invalid, a commitment id is both in the library and in the
            paths, there is a second treaty state, a cross-document check fails, or the treaty
            state lists no parties, or a signature or a report's origin is refused.
    """
    _require_existing(paths)
    if library_dir is not None and not library_dir.exists():
        raise UsageError(f"{library_dir}: no such commitment library folder")
    library = load_paths(
        [library_dir or bundled_commitments_dir()],
        limits if library_dir is not None else DEFAULT_LIMITS,
    )
    given = load_paths(paths, limits, stream=stream, jobs=jobs)
    _refuse_second_treaty(given)
    bundle = _merge(library, given)
    cross_check(bundle, require_treaty=True)
    assert bundle.treaty is not None
    if not bundle.treaty.parties:
        raise InputError(
            [
                _no_parties(
                    bundle.treaty_path,
                    "pass the treaty-state file that lists the parties and their entry into force",
                )
            ]
        )
    settle_origins(bundle, bundle.treaty.key_registry, allow_unsigned=allow_unsigned)
    return bundle


def _require_existing(paths: Sequence[Path]) -> None:
    for p in paths:
        if not p.exists():
            raise UsageError(f"{p}: no such file or folder")


def _refuse_second_treaty(given: Bundle) -> None:
    if len(given.treaties) > 1:
        raise InputError(
            [
                Problem(
                    path,
                    "a second treaty-state document among the inputs",
                    f"pass only one (the first is {given.treaties[0][1]})",
                    code="duplicate-treaty",
                )
                for _treaty, path in given.treaties[1:]
            ]
        )


def _no_parties(treaty_path: str | None, fix: str) -> Problem:
    return Problem(
        treaty_path or "<treaty>",
        "the treaty state lists no parties",
        fix,
        pointer="/parties",
        code="no-parties",
    )


def _merge(library: Bundle, given: Bundle) -> Bundle:
    """The library's commitments with the given ones; the given treaty state, else the library's.

    Raises:
        InputError: a given commitment has the id of one in the library.
    """
    bundle = Bundle()
    bundle.commitments = dict(library.commitments)
    bundle.commitment_paths = dict(library.commitment_paths)
    problems: list[Problem] = []
    for cid, c in given.commitments.items():
        if cid in bundle.commitments:
            problems.append(
                Problem(
                    given.commitment_paths[cid],
                    f"commitment {cid} is also in the library ({bundle.commitment_paths[cid]})",
                    "pass --commitments with a folder of your own drafts instead of mixing both",
                    pointer="/id",
                    code="duplicate-id",
                )
            )
        bundle.commitments[cid] = c
        bundle.commitment_paths[cid] = given.commitment_paths[cid]
    if problems:
        raise InputError(problems)
    bundle.treaty, bundle.treaty_path = (
        (given.treaty, given.treaty_path) if given.treaty else (library.treaty, library.treaty_path)
    )
    bundle.reports = given.reports
    bundle.streamed = given.streamed
    bundle.attestations = given.attestations
    bundle.signed = given.signed
    bundle.inputs = library.inputs + given.inputs
    return bundle


def validate_paths(
    paths: Sequence[Path], limits: Limits = DEFAULT_LIMITS, *, allow_unsigned: bool = False
) -> Bundle:
    """Load the documents under ``paths`` and check them against each other.

    Their commitment references may point to their own commitments or to the bundled
    library's; nothing else of the library is taken. A treaty state is not required; if one
    among the paths has a key registry, every report's signature and origin are checked
    against it (``engine.ingest.provenance``), else the claims no signer is needed to refuse.

    Raises:
        UsageError: a path does not exist.
        InputError: a document is invalid, a cross-document check fails, or a signature or a
            report's origin is refused.
    """
    _require_existing(paths)
    bundle = load_paths(paths, limits)
    known = dict(bundle.commitments)
    for cid, c in load_paths([bundled_commitments_dir()]).commitments.items():
        known.setdefault(cid, c)
    cross_check(bundle, known_commitments=known)
    settle_origins(bundle, registry_of(bundle), allow_unsigned=allow_unsigned)
    return bundle


@dataclass
class WhatIfInputs:
    """What ``treaty whatif`` compares: the same reports under two sets of commitments."""

    reports: Bundle
    """The reports, with the treaty state they are evaluated under (``reports.treaty``)."""
    base: Bundle
    """The commitments now."""
    draft: Bundle | None
    """The commitments as drafted (None for a sweep over the base's parameters)."""

    @property
    def treaty(self) -> TreatyState:
        """The treaty state, which lists parties."""
        assert self.reports.treaty is not None
        return self.reports.treaty


def assemble_whatif(
    paths: Sequence[Path],
    *,
    base_dir: Path | None = None,
    draft_dir: Path | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> WhatIfInputs:
    """Load the reports, the base commitments and the draft commitments of a what-if.

    The treaty state comes from the paths, else from the base, else from the bundled library.
    The treaty state may name commitments of the base, the draft or the bundled library.

    Args:
        paths: report files and folders, with the treaty state that lists the parties.
        base_dir: the commitments now (default: the bundled library).
        draft_dir: the commitments as drafted.
        limits: the safety limits (for the base and the draft too).

    Raises:
        UsageError: a path, the base or the draft does not exist, or commitments are among the
            report paths.
        InputError: a document is invalid, there is a second treaty state, the treaty state
            lists no parties, or a cross-document check fails.
    """
    _require_existing([*paths, *(p for p in (base_dir, draft_dir) if p is not None)])
    base = load_paths([base_dir or bundled_commitments_dir()], limits)
    draft = load_paths([draft_dir], limits) if draft_dir is not None else None
    reports = load_paths(paths, limits)
    if reports.commitments:
        cid = sorted(reports.commitments)[0]
        raise UsageError(
            f"{reports.commitment_paths[cid]}: commitment documents among the report paths; "
            "pass them with --base or --draft"
        )
    _refuse_second_treaty(reports)
    library = _bundled_library()
    treaty = reports.treaty or base.treaty or (library.treaty if library else None)
    treaty_path = reports.treaty_path or base.treaty_path
    if treaty is None or not treaty.parties:
        raise InputError(
            [
                _no_parties(
                    treaty_path,
                    "pass the treaty-state file that lists the parties and their entry "
                    "into force among the report paths",
                )
            ]
        )
    reports.treaty, reports.treaty_path = treaty, treaty_path
    known: dict[str, Commitment] = dict(library.commitments) if library else {}
    known.update(base.commitments)
    known.update(draft.commitments if draft is not None else {})
    cross_check(reports, require_treaty=True, known_commitments=known)
    settle_origins(reports, treaty.key_registry)
    return WhatIfInputs(reports, base, draft)


def _bundled_library() -> Bundle | None:
    """The bundled library, or None in an installation without a valid one."""
    with contextlib.suppress(InputError, FileNotFoundError):
        return load_paths([bundled_commitments_dir()])
    return None
