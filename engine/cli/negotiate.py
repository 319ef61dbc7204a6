"""Commands for negotiators: lint, whatif (and sweeps), diff, new commitment."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from engine.cli import app
from engine.cli.common import (
    DEFAULT_MAX_FILE_MB,
    AsOfOpt,
    MaxDepthOpt,
    MaxFileOpt,
    MaxNodesOpt,
    MaxRecordsOpt,
    MaxStringOpt,
    PartyOpt,
    check_paths_exist,
    exit_on_error,
    fail_input,
    fail_usage,
    limits_from,
    parse_as_of,
    require_compiled,
    validate_choice,
    write_output,
)
from engine.cli.exitcodes import ExitCode
from engine.errors import InputError
from engine.ingest import (
    DEFAULT_LIMITS,
    Bundle,
    Limits,
    WhatIfInputs,
    assemble_whatif,
    bundled_commitments_dir,
    load_paths,
)
from engine.negotiate import whatif as W
from engine.negotiate import whatif_render as WR
from engine.rules.compile import compile_problems

L = DEFAULT_LIMITS
FormatOpt = Annotated[str, typer.Option("--format", help="text or json.")]
OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write to this file (atomically) instead of stdout."),
]


def _load(path: Path, limits: Limits, what: str) -> Bundle:
    if not path.exists():
        fail_usage(f"{what} {path}: no such file or folder")
    try:
        return load_paths([path], limits)
    except InputError as exc:
        fail_input(exc.problems)


# ------------------------------------------------------------------------------------------
# lint


@app.command()
def lint(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Commitment files or folders (a treaty-state document among them makes them the "
            "whole treaty; otherwise the bundled library is the context).",
            show_default=False,
        ),
    ],
    fmt: Annotated[
        str, typer.Option("--format", help="text, json or sarif (SARIF 2.1.0).")
    ] = "text",
    vague: Annotated[
        list[str] | None,
        typer.Option(
            "--vague",
            help="Another vague term to report (repeatable; adds to the treaty's vague_terms).",
        ),
    ] = None,
    library: Annotated[
        Path | None,
        typer.Option(
            "--library",
            help="Context library when no treaty document is given (default: the bundled one).",
        ),
    ] = None,
    fail_on: Annotated[
        str,
        typer.Option(
            "--fail-on",
            help="error (default) or warning: which severity makes the exit code 1.",
        ),
    ] = "error",
    output: OutputOpt = None,
    max_file_mb: MaxFileOpt = DEFAULT_MAX_FILE_MB,
    max_depth: MaxDepthOpt = L.max_depth,
    max_nodes: MaxNodesOpt = L.max_nodes,
    max_string: MaxStringOpt = L.max_string,
    max_records: MaxRecordsOpt = L.max_records,
) -> None:
    """Find enforcement gaps in commitment documents: unverifiable, unobservable, unenforceable,
    vague or vacuous clauses, conflicts, missing pillars and unfilled TODOs.

    Each finding has a stable code (docs/lint.md). Exit codes: 0 no error, 1 at least one error
    (or warning with --fail-on warning), 2 usage error, 3 invalid documents.
    """
    from engine.model.lint import LintReport
    from engine.negotiate import lint as lintmod
    from engine.render import registry
    from engine.render.text import lint_summary_line

    validate_choice([fmt], registry.names("lint"), "--format")
    validate_choice([fail_on], ("error", "warning"), "--fail-on")
    check_paths_exist(paths)
    if library is not None and not library.exists():
        fail_usage(f"--library {library}: no such folder")
    limits = limits_from(max_file_mb, max_depth, max_nodes, max_string, max_records)
    try:
        inputs = lintmod.load_lint_inputs(paths, limits, library=library)
    except InputError as exc:
        fail_input(exc.problems, "json" if fmt == "json" else "text")
    report = LintReport(lintmod.lint(inputs, vague_terms=vague or []), len(inputs.commitments))
    if report.commitments == 0 and not inputs.treaty_given:
        sys.stderr.write("treaty lint: no commitment or treaty document among the inputs\n")
    write_output(registry.render_lint(fmt, report), output)
    if output is not None or fmt == "sarif":
        where = f" -> {output}" if output else ""
        sys.stderr.write(lint_summary_line(report) + where + "\n")
    c = report.counts()
    failing = c["error"] + (c["warning"] if fail_on == "warning" else 0)
    raise typer.Exit(ExitCode.FINDINGS if failing else ExitCode.OK)


# ------------------------------------------------------------------------------------------
# whatif


@app.command()
def whatif(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Report files or folders, with the treaty state that lists the parties.",
            show_default=False,
        ),
    ],
    base: Annotated[
        Path | None,
        typer.Option(
            "--base", help="Commitments now (folder or file; default: the bundled library)."
        ),
    ] = None,
    draft: Annotated[
        Path | None, typer.Option("--draft", help="Commitments as drafted (folder or file).")
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Sweep a parameter: COMMITMENT.PARAMETER=V1,V2,... (repeatable; "
            "several give every combination).",
        ),
    ] = None,
    as_of: AsOfOpt = None,
    party: PartyOpt = None,
    fmt: FormatOpt = "text",
    output: OutputOpt = None,
    max_file_mb: MaxFileOpt = DEFAULT_MAX_FILE_MB,
    max_depth: MaxDepthOpt = L.max_depth,
    max_nodes: MaxNodesOpt = L.max_nodes,
    max_string: MaxStringOpt = L.max_string,
    max_records: MaxRecordsOpt = L.max_records,
) -> None:
    """Evaluate the base and the draft commitments over the same reports and show every finding
    that changes, by party and commitment: new breaches, resolved breaches, other changes.

    With --set instead of --draft, show how the counts per status change with each value of a
    parameter. Exit codes: 0 done, 2 usage error, 3 invalid input.
    """
    validate_choice([fmt], ("text", "json"), "--format")
    if draft is None and not set_:
        fail_usage("give --draft NEW (a folder or file of commitments) or --set CID.PARAM=V1,V2")
    if draft is not None and set_:
        fail_usage("use --draft or --set, not both (sweep a parameter of the base with --set)")
    settings = _settings(set_ or [])
    day = parse_as_of(as_of)
    check_paths_exist(paths)
    for option, path in (("--base", base), ("--draft", draft)):
        if path is not None and not path.exists():
            fail_usage(f"{option} {path}: no such file or folder")
    limits = limits_from(max_file_mb, max_depth, max_nodes, max_string, max_records)
    with exit_on_error():
        inputs = assemble_whatif(paths, base_dir=base, draft_dir=draft, limits=limits)
        require_compiled(inputs.treaty, inputs.base, inputs.draft)
    items = [(lr.report, lr.record_hashes, lr.path) for lr in inputs.reports.reports]
    engine = W.WhatIf(inputs.treaty, items, day, parties=party or [])
    if settings:
        text = _sweep(engine, inputs, settings, fmt)
    else:
        assert draft is not None
        text, summary = _draft(
            engine, inputs, str(base or bundled_commitments_dir()), str(draft), fmt
        )
        if output is not None:
            sys.stderr.write(summary + f" -> {output}\n")
    write_output(text, output)
    raise typer.Exit(ExitCode.OK)


def _settings(texts: list[str]) -> list[W.Setting]:
    """The ``--set`` sweeps, parsed (a bad one is a usage error)."""
    settings = []
    for s in texts:
        try:
            settings.append(W.parse_setting(s))
        except ValueError as exc:
            fail_usage(str(exc))
    return settings


def _sweep(engine: W.WhatIf, inputs: WhatIfInputs, settings: list[W.Setting], fmt: str) -> str:
    """Evaluate every variant of the sweep (each must compile) and render the table."""
    base_b, treaty = inputs.base, inputs.treaty
    try:
        variants = W.sweep_variants(base_b.commitments, settings)
    except ValueError as exc:
        fail_usage(str(exc))
    problems = []
    for _, variant in variants:
        changed = {s.commitment: variant[s.commitment] for s in settings}
        problems += compile_problems(changed, base_b.commitment_paths, treaty)
    if problems:
        fail_input(problems)
    sweep = W.run_sweep(engine, base_b.commitments, settings)
    return WR.render_sweep_json(sweep) if fmt == "json" else WR.render_sweep_text(sweep)


def _draft(
    engine: W.WhatIf, inputs: WhatIfInputs, base_label: str, draft_label: str, fmt: str
) -> tuple[str, str]:
    """Evaluate the base and the draft and render the changes; (text, summary line)."""
    base_b, draft_b = inputs.base, inputs.draft
    assert draft_b is not None
    result = W.run_whatif(
        engine,
        base_b.commitments,
        draft_b.commitments,
        base_label=base_label,
        draft_label=draft_label,
    )
    if fmt == "json":
        return WR.render_json(result), WR.summary_line(result)
    titles = {cid: c.title for cid, c in {**base_b.commitments, **draft_b.commitments}.items()}
    names = {p.code: p.name for p in inputs.treaty.parties}
    return WR.render_text(result, titles, names), WR.summary_line(result)


# ------------------------------------------------------------------------------------------
# diff


@app.command()
def diff(
    old: Annotated[
        Path,
        typer.Argument(
            help="The earlier draft: a folder or file of commitments.", show_default=False
        ),
    ],
    new: Annotated[
        Path,
        typer.Argument(
            help="The later draft: a folder or file of commitments.", show_default=False
        ),
    ],
    fmt: FormatOpt = "text",
    show_all: Annotated[
        bool, typer.Option("--all", help="Also list unchanged commitments.")
    ] = False,
    output: OutputOpt = None,
    max_file_mb: MaxFileOpt = DEFAULT_MAX_FILE_MB,
    max_depth: MaxDepthOpt = L.max_depth,
    max_nodes: MaxNodesOpt = L.max_nodes,
    max_string: MaxStringOpt = L.max_string,
    max_records: MaxRecordsOpt = L.max_records,
) -> None:
    """Compare two drafts clause by clause: text (word by word), parameters, definitions, rules,
    verification and enforcement. Commitments are matched by id, so moved or renumbered files
    still line up; added and removed commitments are listed.

    Exit codes (as diff(1)): 0 no differences, 1 differences, 2 usage error, 3 invalid input.
    """
    from engine.negotiate import diff as D
    from engine.negotiate import diff_render as DR

    validate_choice([fmt], ("text", "json"), "--format")
    limits = limits_from(max_file_mb, max_depth, max_nodes, max_string, max_records)
    a = _load(old, limits, "OLD")
    b = _load(new, limits, "NEW")
    result = D.diff_sets(
        a.commitments,
        b.commitments,
        old_paths=a.commitment_paths,
        new_paths=b.commitment_paths,
        old_treaty=a.treaty,
        new_treaty=b.treaty,
    )
    if fmt == "json":
        text = DR.render_json(result, str(old), str(new))
    else:
        text = DR.render_text(result, str(old), str(new), show_unchanged=show_all)
    write_output(text, output)
    raise typer.Exit(ExitCode.FINDINGS if result.has_changes else ExitCode.OK)


# ------------------------------------------------------------------------------------------
# new


new_app = typer.Typer(help="Scaffold new documents.", no_args_is_help=True)
app.add_typer(new_app, name="new")


@new_app.command("commitment")
def new_commitment(
    commitment_id: Annotated[
        str, typer.Argument(metavar="ID", help="Stable id, e.g. CB-6.", show_default=False)
    ],
    title: Annotated[str | None, typer.Option("--title", help="Short title.")] = None,
    category: Annotated[
        str | None,
        typer.Option(
            "--category",
            help="Pillar: non_exclusivity, shared_standards, confidence_building, "
            "transparency, export, incident_response or general.",
        ),
    ] = None,
    output: OutputOpt = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite --output if it exists.")
    ] = False,
) -> None:
    """Write a commitment scaffold with every section and a comment in each. Its TODO markers
    are what 'treaty lint' reports (TE900) until they are filled in.
    """
    from engine.negotiate.scaffold import CATEGORIES, scaffold_commitment
    from engine.render.output import write_atomic

    if category is not None:
        validate_choice([category], CATEGORIES, "--category")
    try:
        text = scaffold_commitment(commitment_id, title=title, category=category)
    except ValueError as exc:
        fail_usage(str(exc))
    if output is None:
        sys.stdout.write(text)
        raise typer.Exit(ExitCode.OK)
    if output.is_dir():
        fail_usage(
            f"{output} is a folder: give a file name, e.g. {output / (commitment_id + '.yaml')}"
        )
    if output.exists() and not force:
        fail_usage(f"{output} exists: choose another file or pass --force to overwrite it")
    try:
        write_atomic(output, text)
    except OSError as exc:
        fail_usage(f"cannot write {output}: {exc.strerror}")
    sys.stderr.write(f"wrote {output}: fill in its TODO markers, then run 'treaty lint {output}'\n")
    raise typer.Exit(ExitCode.OK)
