"""Plumbing shared by the CLI commands: input loading, errors, dates, limits, output."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from engine.cli.exitcodes import ExitCode
from engine.errors import InputError, Problem
from engine.load import (
    DEFAULT_LIMITS,
    Bundle,
    Limits,
    bundled_commitments_dir,
    cross_check,
    load_paths,
)
from engine.render.output import write_atomic

T = TypeVar("T")

PathsArg = Annotated[
    list[Path],
    typer.Argument(
        help="Report files or folders (YAML, JSON, JSONL). A folder may hold the treaty-state file.",
        show_default=False,
    ),
]
AsOfOpt = Annotated[
    str | None, typer.Option("--as-of", help="Evaluation date YYYY-MM-DD (default: today, UTC).")
]
CommitmentsOpt = Annotated[
    Path | None,
    typer.Option("--commitments", help="Commitment library folder (default: the bundled library)."),
]
PartyOpt = Annotated[
    list[str] | None, typer.Option("--party", help="Only these parties (repeatable).")
]
CommitmentOpt = Annotated[
    list[str] | None, typer.Option("--commitment", help="Only these commitments (repeatable).")
]
StatusOpt = Annotated[
    list[str] | None,
    typer.Option("--status", help="Only findings with these statuses (repeatable)."),
]
MaxFileOpt = Annotated[float, typer.Option("--max-file-mb", help="Largest input file, MB.")]
MaxDepthOpt = Annotated[
    int, typer.Option("--max-depth", help="Deepest nesting of an input document.")
]
MaxNodesOpt = Annotated[
    int, typer.Option("--max-nodes", help="Most values in one document after YAML alias expansion.")
]
MaxStringOpt = Annotated[
    int, typer.Option("--max-string", help="Longest string value, characters.")
]
MaxRecordsOpt = Annotated[int, typer.Option("--max-records", help="Most records in one report.")]

STATUSES = ("breach", "gap", "compliant", "not_applicable")


def fail_input(problems: Sequence[Problem], fmt: str = "text") -> NoReturn:
    if fmt == "json":
        sys.stdout.write(
            json.dumps({"valid": False, "problems": [p.as_dict() for p in problems]}, indent=2)
            + "\n"
        )
    else:
        for p in problems:
            sys.stderr.write(p.render() + "\n")
    raise typer.Exit(ExitCode.INVALID_INPUT)


def fail_usage(message: str) -> NoReturn:
    sys.stderr.write(f"treaty: {message}\n")
    raise typer.Exit(ExitCode.USAGE)


def parse_as_of(value: str | None) -> date:
    if value is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail_usage(f"--as-of {value!r} is not a date: write YYYY-MM-DD")


def limits_from(
    max_file_mb: float, max_depth: int, max_nodes: int, max_string: int, max_records: int
) -> Limits:
    return Limits(
        max_file_bytes=int(max_file_mb * 1024 * 1024),
        max_depth=max_depth,
        max_nodes=max_nodes,
        max_string=max_string,
        max_records=max_records,
    )


DEFAULT_MAX_FILE_MB = DEFAULT_LIMITS.max_file_bytes / (1024 * 1024)


def check_paths_exist(paths: Sequence[Path]) -> None:
    for p in paths:
        if not p.exists():
            fail_usage(f"{p}: no such file or folder")


@dataclass
class Inputs:
    bundle: Bundle
    library: Bundle


def load_for_evaluation(
    paths: Sequence[Path],
    commitments: Path | None,
    limits: Limits,
    *,
    stream: bool = False,
    jobs: int = 1,
) -> Bundle:
    """Load the commitment library and the given paths into one validated bundle.

    The treaty state comes from the paths if one is there, else from the library. With
    ``stream``, JSONL reports are validated (in ``jobs`` processes) and left on disk
    (``Bundle.streamed``).
    """
    check_paths_exist(paths)
    if commitments is not None and not commitments.exists():
        fail_usage(f"--commitments {commitments}: no such folder")
    lib_dir = commitments or bundled_commitments_dir()
    try:
        # lowered limits apply to the user's files, not to the library shipped with the engine
        library = load_paths([lib_dir], limits if commitments is not None else DEFAULT_LIMITS)
        given = load_paths(paths, limits, stream=stream, jobs=jobs)
    except InputError as exc:
        fail_input(exc.problems)
    if len(given.treaties) > 1:
        fail_input(
            [
                Problem(
                    t[1],
                    "a second treaty-state document among the inputs",
                    f"pass only one (the first is {given.treaties[0][1]})",
                    code="duplicate-treaty",
                )
                for t in given.treaties[1:]
            ]
        )
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
    bundle.treaty, bundle.treaty_path = (
        (given.treaty, given.treaty_path) if given.treaty else (library.treaty, library.treaty_path)
    )
    bundle.reports = given.reports
    bundle.streamed = given.streamed
    bundle.inputs = library.inputs + given.inputs
    if problems:
        fail_input(problems)
    try:
        cross_check(bundle, require_treaty=True)
        compile_check(bundle)
    except InputError as exc:
        fail_input(exc.problems)
    assert bundle.treaty is not None
    if not bundle.treaty.parties:
        fail_input(
            [
                Problem(
                    bundle.treaty_path or "<treaty>",
                    "the treaty state lists no parties",
                    "pass the treaty-state file that lists the parties and their entry into force",
                    pointer="/parties",
                    code="no-parties",
                )
            ]
        )
    return bundle


def compile_check(bundle: Bundle) -> None:
    """Compile every commitment on its own so errors name the right file."""
    from engine.rules.compile import compile_problems

    problems = compile_problems(bundle.commitments, bundle.commitment_paths, bundle.treaty)
    if problems:
        raise InputError(problems)


def write_output(text: str | Iterable[str], output: Path | None) -> None:
    """Write to ``output`` atomically, or to stdout; ``text`` may come in chunks."""
    if output is None:
        for chunk in [text] if isinstance(text, str) else text:
            sys.stdout.write(chunk)
    else:
        try:
            write_atomic(output, text)
        except OSError as exc:
            fail_usage(f"cannot write {output}: {exc.strerror}")


def validate_choice(values: Sequence[str] | None, allowed: Sequence[str], option: str) -> list[str]:
    out = list(values or [])
    for v in out:
        if v not in allowed:
            fail_usage(f"{option} {v!r} is not one of: {', '.join(allowed)}")
    return out


def guarded(fn: Callable[..., T]) -> Callable[..., T]:
    return fn


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def validate_filters(
    bundle: Bundle, parties: Sequence[str] | None, commitments: Sequence[str] | None
) -> None:
    """``--party`` and ``--commitment`` must name a party of the treaty and a commitment in
    force: a typo would otherwise give an empty (or unfiltered) report that looks clean."""
    assert bundle.treaty is not None
    codes = {p.code for p in bundle.treaty.parties}
    for code in parties or []:
        if code not in codes:
            fail_usage(
                f"--party {code} is not a party of the treaty (parties: {', '.join(sorted(codes))})"
            )
    in_force = set(bundle.treaty.commitments)
    for cid in commitments or []:
        if cid not in in_force:
            fail_usage(
                f"--commitment {cid} is not in force in the treaty state "
                f"(in force: {', '.join(sorted(in_force))})"
            )
