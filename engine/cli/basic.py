"""Core commands: validate, check, schema, commitments."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from engine.cli import app
from engine.cli.common import (
    DEFAULT_MAX_FILE_MB,
    AllowUnsignedOpt,
    AsOfOpt,
    CommitmentOpt,
    CommitmentsOpt,
    MaxDepthOpt,
    MaxFileOpt,
    MaxNodesOpt,
    MaxRecordsOpt,
    MaxStringOpt,
    PartyOpt,
    PathsArg,
    StatusOpt,
    assemble_or_exit,
    check_paths_exist,
    dumps,
    exit_on_error,
    fail_input,
    fail_usage,
    limits_from,
    note_origins,
    parse_as_of,
    require_compiled,
    validate_choice,
    validate_filters,
    write_output,
)
from engine.cli.exitcodes import ExitCode
from engine.errors import InputError
from engine.ingest import DEFAULT_LIMITS, bundled_commitments_dir, load_paths, validate_paths
from engine.model.vocabulary import STATUSES

L = DEFAULT_LIMITS


@app.command()
def validate(
    paths: PathsArg,
    fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    max_file_mb: MaxFileOpt = DEFAULT_MAX_FILE_MB,
    max_depth: MaxDepthOpt = L.max_depth,
    max_nodes: MaxNodesOpt = L.max_nodes,
    max_string: MaxStringOpt = L.max_string,
    max_records: MaxRecordsOpt = L.max_records,
    allow_unsigned: AllowUnsignedOpt = False,
) -> None:
    """Validate commitment, treaty-state and report documents (files or folders).

    Each document is checked against its published JSON Schema, then the models, then across
    documents (unique ids, references that must exist, dates in order). Signed reports
    (REPORT.dsse.json envelopes) are verified against the key registry of a treaty state among
    the paths, with what each signer may claim. Exit 0 valid, 3 invalid.
    """
    validate_choice([fmt], ("text", "json"), "--format")
    check_paths_exist(paths)
    limits = limits_from(max_file_mb, max_depth, max_nodes, max_string, max_records)
    with exit_on_error(fmt):
        bundle = validate_paths(paths, limits, allow_unsigned=allow_unsigned)
        require_compiled(bundle.treaty, bundle)
    n = len(bundle.inputs)
    if fmt == "json":
        sys.stdout.write(
            dumps(
                {
                    "valid": True,
                    "documents": [i.model_dump() for i in bundle.inputs],
                    "problems": [],
                }
            )
        )
    else:
        signed = f", {len(bundle.signers)} signature(s) verified" if bundle.signers else ""
        sys.stdout.write(
            f"{n} file(s) valid: {len(bundle.commitments)} commitment(s), "
            f"{len(bundle.reports)} report(s), {'1 treaty state' if bundle.treaty else 'no treaty state'}"
            f"{signed}\n"
        )


@app.command()
def check(
    paths: PathsArg,
    as_of: AsOfOpt = None,
    commitments: CommitmentsOpt = None,
    party: PartyOpt = None,
    commitment: CommitmentOpt = None,
    status: StatusOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file (atomically) instead of stdout."),
    ] = None,
    fail_on: Annotated[
        str,
        typer.Option(
            "--fail-on", help="breach (default) or gap: which status makes the exit code 1."
        ),
    ] = "breach",
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs", "-j", min=1, help="Validate and evaluate in N processes (same output)."
        ),
    ] = 1,
    max_file_mb: MaxFileOpt = DEFAULT_MAX_FILE_MB,
    max_depth: MaxDepthOpt = L.max_depth,
    max_nodes: MaxNodesOpt = L.max_nodes,
    max_string: MaxStringOpt = L.max_string,
    max_records: MaxRecordsOpt = L.max_records,
    allow_unsigned: AllowUnsignedOpt = False,
) -> None:
    """Evaluate reports against the commitments and explain every finding.

    Exit codes: 0 no breach, 1 at least one breach (or gap with --fail-on gap), 2 usage error,
    3 invalid input, 4 rules-engine fault.
    """
    import tempfile

    from engine.render import registry
    from engine.render.pipeline import spool_check
    from engine.render.text import summary_line

    validate_choice([fmt], registry.names("stream"), "--format")
    validate_choice([fail_on], ("breach", "gap"), "--fail-on")
    statuses = validate_choice(status, STATUSES, "--status")
    day = parse_as_of(as_of)
    limits = limits_from(max_file_mb, max_depth, max_nodes, max_string, max_records)
    bundle = assemble_or_exit(
        paths, commitments, limits, stream=True, jobs=jobs, allow_unsigned=allow_unsigned
    )
    validate_filters(bundle, party, commitment)
    # Findings are rendered party by party into a spool folder and streamed out at the end, so
    # neither the reports nor the findings of a large archive are ever all in memory.
    with tempfile.TemporaryDirectory(prefix="treaty-check-") as spool:
        try:
            sp = spool_check(
                bundle,
                day,
                Path(spool),
                registry.stream_of(fmt),
                parties=party or [],
                commitments=commitment or [],
                statuses=statuses,
                jobs=jobs,
            )
        except InputError as exc:  # a streamed report found wrong when read back
            fail_input(exc.problems)
        note_origins(bundle)
        doc = sp.head
        write_output(sp.render(), output)
    if output is not None:
        sys.stderr.write(summary_line(doc) + f" -> {output}\n")
    failing = doc.summary.breach + (doc.summary.gap if fail_on == "gap" else 0)
    raise typer.Exit(ExitCode.FINDINGS if failing else ExitCode.OK)


schema_app = typer.Typer(help="The published JSON Schemas.", no_args_is_help=True)
app.add_typer(schema_app, name="schema")


@schema_app.command("export")
def schema_export(
    directory: Annotated[
        Path, typer.Option("--dir", help="Folder to write the schemas to.")
    ] = Path("schemas"),
) -> None:
    """Regenerate the JSON Schemas from the models (one file per document type)."""
    from engine.model.schema import DOCUMENT_TYPES, render
    from engine.render.output import write_atomic

    for doc in DOCUMENT_TYPES:
        path = directory / f"{doc}.schema.json"
        write_atomic(path, render(doc))
        sys.stdout.write(f"wrote {path}\n")


@schema_app.command("show")
def schema_show(
    document: Annotated[
        str, typer.Argument(help="commitment, treaty, report, findings or attestation.")
    ],
) -> None:
    """Print the JSON Schema of one document type."""
    from engine.model.schema import DOCUMENT_TYPES, render

    validate_choice([document], DOCUMENT_TYPES, "document type")
    sys.stdout.write(render(document))


commitments_app = typer.Typer(help="Browse the commitment library.", no_args_is_help=True)
app.add_typer(commitments_app, name="commitments")


def _library(path: Path | None) -> dict[str, Any]:
    lib = path or bundled_commitments_dir()
    if not lib.exists():
        fail_usage(f"{lib}: no such folder")
    try:
        b = load_paths([lib])
    except InputError as exc:
        fail_input(exc.problems)
    return {"bundle": b}


@commitments_app.command("list")
def commitments_list(
    commitments: CommitmentsOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """List the commitments with their category, modality and severity."""
    from engine.explain.describe import commitment_summary

    validate_choice([fmt], ("text", "json"), "--format")
    b = _library(commitments)["bundle"]
    items = [commitment_summary(b.commitments[cid]) for cid in sorted(b.commitments, key=_id_key)]
    if fmt == "json":
        sys.stdout.write(dumps(items))
        return
    for it in items:
        sys.stdout.write(
            f"{it['id']:<6} {it['category']:<20} {it['modality']:<11} {it['severity']:<8} "
            f"{it['rules']} rule(s)  {it['title']}\n"
        )


@commitments_app.command("show")
def commitments_show(
    commitment_id: Annotated[str, typer.Argument(metavar="ID", help="Commitment id, e.g. CB-2.")],
    commitments: CommitmentsOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """Show a commitment: clause text, parameters with units and validity, rules in readable form."""
    from engine.explain.describe import describe_commitment

    validate_choice([fmt], ("text", "json"), "--format")
    b = _library(commitments)["bundle"]
    c = b.commitments.get(commitment_id)
    if c is None:
        fail_usage(f"no commitment {commitment_id!r}; see 'treaty commitments list'")
    if fmt == "json":
        sys.stdout.write(
            json.dumps(
                c.model_dump(mode="json", by_alias=True, exclude_defaults=True),
                indent=2,
                ensure_ascii=False,
            )
            + "\n"
        )
        return
    sys.stdout.write(describe_commitment(c))


def _id_key(cid: str) -> tuple[str, int, str]:
    prefix, _, rest = cid.partition("-")
    digits = "".join(ch for ch in rest if ch.isdigit())
    return (prefix, int(digits or 0), rest)
