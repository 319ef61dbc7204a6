"""Plumbing shared by the CLI commands: options, errors to exit codes, output.

Input assembly is the library's (``engine.ingest.assemble``); this module only checks the options,
compiles what was assembled and turns the engine's errors into exit codes.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from engine.cli.exitcodes import ExitCode
from engine.errors import InputError, Problem, UsageError
from engine.ingest import DEFAULT_LIMITS, Bundle, Limits, assemble
from engine.model.commitment import TreatyState
from engine.render.output import write_atomic
from engine.rules.compile import compile_problems

PathsArg = Annotated[
    list[Path],
    typer.Argument(
        help="Report files or folders (YAML, JSON, JSONL). A folder may hold the treaty-state file.",
        show_default=False,
    ),
]
FailOnOpt = Annotated[
    str,
    typer.Option("--fail-on", help="breach (default) or gap: which status makes the exit code 1."),
]
JobsOpt = Annotated[
    int,
    typer.Option("--jobs", "-j", min=1, help="Evaluate parties in N processes (same output)."),
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
AllowUnsignedOpt = Annotated[
    bool,
    typer.Option(
        "--allow-unsigned",
        help="Admit unsigned reports although the treaty state has a key registry: at "
        "open-source rank, and marked unsigned in the findings.",
    ),
]


def fail_input(problems: Sequence[Problem], fmt: str = "text") -> NoReturn:
    """Exit 3: one line per problem on stderr, or (``fmt`` "json") the problems on stdout."""
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
    """Exit 2 with ``treaty: message`` on stderr."""
    sys.stderr.write(f"treaty: {message}\n")
    raise typer.Exit(ExitCode.USAGE)


def parse_as_of(value: str | None) -> date:
    """The ``--as-of`` date (default: today, UTC); exit 2 if it is not YYYY-MM-DD."""
    if value is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail_usage(f"--as-of {value!r} is not a date: write YYYY-MM-DD")


def limits_from(
    max_file_mb: float, max_depth: int, max_nodes: int, max_string: int, max_records: int
) -> Limits:
    """The ``Limits`` the ``--max-*`` options set."""
    return Limits(
        max_file_bytes=int(max_file_mb * 1024 * 1024),
        max_depth=max_depth,
        max_nodes=max_nodes,
        max_string=max_string,
        max_records=max_records,
    )


DEFAULT_MAX_FILE_MB = DEFAULT_LIMITS.max_file_bytes / (1024 * 1024)


def check_paths_exist(paths: Sequence[Path]) -> None:
    """Exit 2 if a path argument does not exist."""
    for p in paths:
        if not p.exists():
            fail_usage(f"{p}: no such file or folder")


@contextmanager
def exit_on_error(fmt: str = "text") -> Iterator[None]:
    """Map the engine's errors to exit codes: ``UsageError`` 2, ``InputError`` 3.

    Input problems are written one a line to stderr, or as JSON to stdout with ``fmt`` "json".
    (``EngineFault`` and anything unexpected are left to ``engine.cli.main``: exit 4.)
    """
    try:
        yield
    except UsageError as exc:
        fail_usage(str(exc))
    except InputError as exc:
        fail_input(exc.problems, fmt)


def require_compiled(treaty: TreatyState | None, *bundles: Bundle | None) -> None:
    """Compile every commitment of the bundles (None: none) on its own, so errors name its file.

    Raises:
        InputError: a commitment does not compile (one problem per commitment).
    """
    problems = [
        p
        for b in bundles
        if b is not None
        for p in compile_problems(b.commitments, b.commitment_paths, treaty)
    ]
    if problems:
        raise InputError(problems)


def assemble_or_exit(
    paths: Sequence[Path],
    commitments: Path | None,
    limits: Limits,
    *,
    stream: bool = False,
    jobs: int = 1,
    allow_unsigned: bool = False,
) -> Bundle:
    """``engine.ingest.assemble`` the inputs of an evaluation and compile their commitments.

    ``commitments`` is the ``--commitments`` option. Exits 2 on a usage error, 3 on invalid
    input.
    """
    check_paths_exist(paths)
    if commitments is not None and not commitments.exists():
        fail_usage(f"--commitments {commitments}: no such folder")
    with exit_on_error():
        bundle = assemble(
            paths,
            library_dir=commitments,
            limits=limits,
            stream=stream,
            jobs=jobs,
            allow_unsigned=allow_unsigned,
        )
        require_compiled(bundle.treaty, bundle)
    return bundle


def note_origins(bundle: Bundle) -> None:
    """Say on stderr, once, that report origins are unverified, or unsigned reports admitted.

    Origins are unverified when the treaty state has no key registry; unsigned reports are
    admitted by ``--allow-unsigned``.
    """
    if bundle.treaty is not None and bundle.treaty.key_registry is None:
        sys.stderr.write(
            "treaty: note: the treaty state has no key registry, so report origins are "
            "unverified: each report is taken to come from whom it says (docs/submissions.md)\n"
        )
    if bundle.admitted_unsigned:
        files = ", ".join(bundle.admitted_unsigned)
        sys.stderr.write(
            f"treaty: note: {len(bundle.admitted_unsigned)} file(s) of unsigned reports admitted "
            f"at open-source rank (--allow-unsigned): {files}\n"
        )


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
    """The values of ``option``; exit 2 if one is not ``allowed``."""
    out = list(values or [])
    for v in out:
        if v not in allowed:
            fail_usage(f"{option} {v!r} is not one of: {', '.join(allowed)}")
    return out


def dumps(data: Any) -> str:
    """JSON output: indented, UTF-8 as is, with a final newline."""
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def validate_filters(
    bundle: Bundle, parties: Sequence[str] | None, commitments: Sequence[str] | None
) -> None:
    """Exit 2 unless ``--party`` and ``--commitment`` name parties and commitments in force.

    A typo would otherwise give an empty (or unfiltered) report that looks clean.
    """
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
