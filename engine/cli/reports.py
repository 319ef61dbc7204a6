"""The ``report`` and ``verify`` commands."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from engine.cli import app
from engine.cli.common import (
    DEFAULT_MAX_FILE_MB,
    AllowUnsignedOpt,
    CommitmentOpt,
    CommitmentsOpt,
    FailOnOpt,
    JobsOpt,
    MaxDepthOpt,
    MaxFileOpt,
    MaxNodesOpt,
    MaxRecordsOpt,
    MaxStringOpt,
    PartyOpt,
    PathsArg,
    StatusOpt,
    assemble_or_exit,
    fail_input,
    fail_usage,
    limits_from,
    note_origins,
    parse_as_of,
    validate_choice,
    validate_filters,
    write_output,
)
from engine.cli.exitcodes import ExitCode
from engine.errors import InputError, Problem
from engine.ingest import DEFAULT_LIMITS, EXTENSIONS, Bundle, Limits
from engine.model.findings import FindingsDocument
from engine.model.vocabulary import STATUSES
from engine.render.baseline import FindingsDelta, compute_delta, load_findings
from engine.render.context import ReportContext, build_context, failing_count
from engine.render.pipeline import run_check
from engine.render.registry import render_report
from engine.render.text import summary_line

L = DEFAULT_LIMITS

FORMAT_HELP = (
    "text, json, md, html, csv, sarif or junit. Repeatable: the Nth --format goes to the Nth "
    "--output; an --output without one takes its format from its extension; one --format "
    "without an --output goes to stdout."
)
OUTPUT_HELP = (
    "Write to this file (atomically). Repeatable. Extensions: .json .md .html .csv .sarif "
    "(.sarif.json) .xml (.junit.xml) .txt."
)


class Progress:
    """A progress bar on stderr, drawn only when stderr is a terminal."""

    WIDTH = 30

    def __init__(self, label: str, steps: int) -> None:
        """A progress bar of ``steps`` steps on stderr, shown only on a terminal."""
        self.label = label
        self.steps = max(steps, 1)
        self.enabled = sys.stderr.isatty()
        self.drawn = False

    def step(self, index: int, what: str) -> Callable[[int, int], None] | None:
        """A run_check progress callback for step ``index`` (0-based) of ``steps``."""
        if not self.enabled:
            return None

        def callback(done: int, total: int) -> None:
            frac = (index + (done / total if total else 1.0)) / self.steps
            filled = int(round(frac * self.WIDTH))
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            sys.stderr.write(
                f"\r{self.label} [{bar}] {int(frac * 100):3d}% {what} ({done}/{total})\033[K"
            )
            sys.stderr.flush()
            self.drawn = True

        return callback

    def close(self) -> None:
        """End the bar's line."""
        if self.drawn:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
            self.drawn = False


def plan(formats: list[str], outputs: list[Path]) -> list[tuple[str, Path | None]]:
    """Pair formats with outputs (see ``engine.render.registry.plan_outputs``); usage errors exit 2."""
    from engine.render.registry import plan_outputs

    try:
        return plan_outputs(formats, outputs)
    except ValueError as exc:
        fail_usage(str(exc))


@app.command()
def report(
    paths: PathsArg,
    as_of: Annotated[
        list[str] | None,
        typer.Option(
            "--as-of",
            help="Evaluation date YYYY-MM-DD (default: today, UTC). Repeatable: "
            "one evaluation per date, a trend of the counts, the latest date in full.",
        ),
    ] = None,
    commitments: CommitmentsOpt = None,
    party: PartyOpt = None,
    commitment: CommitmentOpt = None,
    status: StatusOpt = None,
    fmt: Annotated[list[str] | None, typer.Option("--format", help=FORMAT_HELP)] = None,
    output: Annotated[list[Path] | None, typer.Option("--output", "-o", help=OUTPUT_HELP)] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline",
            help="Findings JSON of an earlier run: report only new, resolved and "
            "changed findings (keyed by party|commitment|subject).",
        ),
    ] = None,
    fail_on: FailOnOpt = "breach",
    jobs: JobsOpt = 1,
    max_file_mb: MaxFileOpt = DEFAULT_MAX_FILE_MB,
    max_depth: MaxDepthOpt = L.max_depth,
    max_nodes: MaxNodesOpt = L.max_nodes,
    max_string: MaxStringOpt = L.max_string,
    max_records: MaxRecordsOpt = L.max_records,
    allow_unsigned: AllowUnsignedOpt = False,
) -> None:
    """Write findings as reports: text, JSON, Markdown, HTML, CSV, SARIF 2.1.0 or JUnit XML.

    Same inputs and filters as 'check'. Several formats in one run: repeat --output (and
    --format). Every report records the as-of date, engine version, run id and the sha256 of
    every input; 'treaty verify' re-derives a JSON report. Exit codes: 0 no breach, 1 at least
    one breach (or gap with --fail-on gap; with --baseline only new and changed findings count),
    2 usage error, 3 invalid input, 4 rules-engine fault.
    """
    pairs = plan(list(fmt or []), list(output or []))
    validate_choice([fail_on], ("breach", "gap"), "--fail-on")
    statuses = validate_choice(status, STATUSES, "--status")
    days: list[date] = sorted({parse_as_of(v) for v in as_of} if as_of else {parse_as_of(None)})
    limits = limits_from(max_file_mb, max_depth, max_nodes, max_string, max_records)
    base = _baseline(baseline, limits)
    # JSONL reports stay on disk and are read back one party at a time (as for 'check'); the
    # findings of every date are held, since the reports are rendered from all of them.
    bundle = assemble_or_exit(
        paths, commitments, limits, stream=True, jobs=jobs, allow_unsigned=allow_unsigned
    )
    validate_filters(bundle, party, commitment)
    docs = _evaluate_days(bundle, days, party or [], commitment or [], statuses, jobs)
    note_origins(bundle)
    delta = compute_delta(base[0], docs[-1], path=base[1], sha256=base[2]) if base else None
    ctx = build_context(bundle, docs, delta)
    _warn_outputs_inside_inputs([out for _, out in pairs if out is not None], paths)
    _write_reports(pairs, ctx, delta)
    raise typer.Exit(ExitCode.FINDINGS if failing_count(ctx, fail_on) else ExitCode.OK)


def _baseline(baseline: Path | None, limits: Limits) -> tuple[FindingsDocument, str, str] | None:
    """The baseline findings (document, path, sha256), or None without ``--baseline``."""
    if baseline is None:
        return None
    if not baseline.is_file():
        fail_usage(f"--baseline {baseline}: no such file")
    try:
        return load_findings(baseline, limits)
    except InputError as exc:
        fail_input(exc.problems)


def _evaluate_days(
    bundle: Bundle,
    days: list[date],
    parties: list[str],
    commitments: list[str],
    statuses: list[str],
    jobs: int,
) -> list[FindingsDocument]:
    """One findings document per as-of date, with a progress bar on a terminal."""
    progress = Progress("treaty report", len(days))
    try:
        return [
            run_check(
                bundle,
                day,
                parties=parties,
                commitments=commitments,
                statuses=statuses,
                jobs=jobs,
                progress=progress.step(i, f"as of {day.isoformat()}"),
            )
            for i, day in enumerate(days)
        ]
    except InputError as exc:  # a streamed report found wrong when read back
        progress.close()
        fail_input(exc.problems)
    finally:
        progress.close()


def _write_reports(
    pairs: list[tuple[str, Path | None]], ctx: ReportContext, delta: FindingsDelta | None
) -> None:
    """Render each format to its output (or stdout); say on stderr what was written."""
    written = []
    for f, out in pairs:
        write_output(render_report(f, ctx), out)
        if out is not None:
            written.append(str(out))
    if written:
        line = summary_line(ctx.doc)
        if delta is not None:
            s = delta.summary
            line += f"; since the baseline: {s.new} new, {s.changed} changed, {s.resolved} resolved"
        sys.stderr.write(f"{line} -> {', '.join(written)}\n")


@app.command()
def verify(
    report_file: Annotated[
        Path,
        typer.Argument(
            metavar="REPORT.json",
            help="A findings JSON written by 'treaty report --format json' or "
            "'treaty check --format json'.",
            show_default=False,
        ),
    ],
    fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    jobs: Annotated[
        int,
        typer.Option("--jobs", "-j", min=1, help="Evaluate parties in N processes (same output)."),
    ] = 1,
    max_file_mb: MaxFileOpt = DEFAULT_MAX_FILE_MB,
    max_depth: MaxDepthOpt = L.max_depth,
    max_nodes: MaxNodesOpt = L.max_nodes,
    max_string: MaxStringOpt = L.max_string,
    max_records: MaxRecordsOpt = L.max_records,
    allow_unsigned: AllowUnsignedOpt = False,
) -> None:
    """Re-derive a findings JSON from its recorded inputs and confirm it is unchanged.

    Re-hashes every input recorded in the document (paths relative to the current folder),
    re-checks every key of the treaty's key registry and every signature, evaluates again with
    the same as-of date and filters, and compares. Give --allow-unsigned if the run did. Exit 0
    verified; 1 an input changed or is missing, a signature or key fails, or a finding differs
    (each is named); 2 usage error; 3 the document is not a valid findings JSON.
    """
    from engine.render import registry
    from engine.render.baseline import load_findings
    from engine.render.verify import verify_document

    validate_choice([fmt], registry.names("verify"), "--format")
    if not report_file.is_file():
        fail_usage(f"{report_file}: no such file")
    limits = limits_from(max_file_mb, max_depth, max_nodes, max_string, max_records)
    try:
        doc, name, _ = load_findings(report_file, limits)
    except InputError as exc:
        fail_input(_explain_not_findings(report_file) or exc.problems)
    progress = Progress("treaty verify", 1)
    try:
        result = verify_document(
            doc,
            limits=limits,
            jobs=jobs,
            progress=progress.step(0, f"as of {doc.as_of.isoformat()}"),
            allow_unsigned=allow_unsigned,
        )
    finally:
        progress.close()
    sys.stdout.write(registry.render_verify(fmt, result, name))
    raise typer.Exit(ExitCode.OK if result.ok else ExitCode.FINDINGS)


def _warn_outputs_inside_inputs(outputs: list[Path], paths: list[Path]) -> None:
    """A JSON or YAML report written inside an input folder is read as an input next time."""
    folders = [p.resolve() for p in paths if p.is_dir()]
    for out in outputs:
        if out.suffix.lower() not in EXTENSIONS:
            continue
        target = out.resolve()
        for folder in folders:
            if target.is_relative_to(folder) and not any(
                part.startswith(".") for part in target.relative_to(folder).parts
            ):
                sys.stderr.write(
                    f"treaty: note: {out} is inside the input folder {folder}; the next run over "
                    "that folder will read it as an input (write reports elsewhere)\n"
                )
                break


def _explain_not_findings(path: Path) -> list[Problem] | None:
    """A clearer message for a delta document passed to verify."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(data, dict) and data.get("document") == "findings-delta":
        return [
            Problem(
                str(path),
                "a findings-delta document (from --baseline) cannot be verified",
                "verify the findings JSON of the same run: 'treaty report --format json' "
                "without --baseline",
                pointer="/document",
                code="not-findings",
            )
        ]
    return None
