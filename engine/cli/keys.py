"""The ``keys new`` and ``sign`` commands: making a signing key, and signing a report with it.

Private keys are written by ``engine.ingest.keyfile`` (mode 0600, never over a file) and never
printed: ``keys new`` prints the public key, its key id and the registry entry to send to the
Secretariat. See docs/submissions.md.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, cast

import typer

from engine.cli import app
from engine.cli.common import (
    DEFAULT_MAX_FILE_MB,
    MaxDepthOpt,
    MaxFileOpt,
    MaxNodesOpt,
    MaxRecordsOpt,
    MaxStringOpt,
    exit_on_error,
    fail_usage,
    limits_from,
    validate_choice,
    write_output,
)
from engine.ingest import DEFAULT_LIMITS, sign_file
from engine.ingest.keyfile import SigningKey, load_signing_key, registry_entry, write_private_key
from engine.model.keys import KeyRole

L = DEFAULT_LIMITS
ROLES: tuple[KeyRole, ...] = ("party", "secretariat", "inspectorate", "monitor", "body")

keys_app = typer.Typer(help="Signing keys (Ed25519): make one to register.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("new")
def keys_new(
    holder: Annotated[
        str,
        typer.Option(
            "--holder",
            help="Who holds the key: a party code (ARC), SECRETARIAT, INSPECTORATE, or the name "
            "of a monitor or treaty body.",
            show_default=False,
        ),
    ],
    role: Annotated[
        str,
        typer.Option(
            "--role",
            help="party, secretariat, inspectorate, monitor or body.",
            show_default=False,
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="The private key file to write (mode 0600; never over an existing file).",
            show_default=False,
        ),
    ],
    valid_from: Annotated[
        str | None,
        typer.Option(
            "--valid-from", help="First day the key may sign, YYYY-MM-DD (default: today, UTC)."
        ),
    ] = None,
) -> None:
    """Make an Ed25519 signing key: write the private key, print the public key and key id.

    The private key is never printed. Send the printed registry entry to the Secretariat, which
    adds it to the treaty state's key registry. Exit 0 written; 2 the file exists or an option
    is wrong; 3 the file cannot be written.
    """
    validate_choice([role], ROLES, "--role")
    day = _day(valid_from)
    if output.exists() or output.is_symlink():
        fail_usage(f"{output} exists: keys are never overwritten (choose another --output)")
    key = SigningKey.generate()
    with exit_on_error():
        entry = registry_entry(key, holder=holder, role=cast(KeyRole, role), valid_from=day)
        write_private_key(key, output)
    # Values quoted: a key id of digits around one "e" (365500375e787428) would read as a number.
    fields = entry.model_dump(mode="json", exclude_none=True)
    listing = [f"{k}: {json.dumps(v)}" for k, v in fields.items()]
    sys.stdout.write(
        f"wrote {output} (private key, mode 0600): keep it secret, never send it\n"
        f"key id:     {key.key_id}\n"
        f"public key: {key.public_key}\n"
        "send this entry to the Secretariat:\n"
        + "".join(f"  {'-' if i == 0 else ' '} {line}\n" for i, line in enumerate(listing))
    )


def _day(value: str | None) -> date:
    if value is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail_usage(f"--valid-from {value!r} is not a date: write YYYY-MM-DD")


@app.command()
def sign(
    report: Annotated[
        Path,
        typer.Argument(
            metavar="REPORT",
            help="A report file (or a file of the Secretariat's attestations): YAML, JSON or JSONL.",
            show_default=False,
        ),
    ],
    key: Annotated[
        Path,
        typer.Option(
            "--key", help="Your private key file (from 'treaty keys new').", show_default=False
        ),
    ],
    max_file_mb: MaxFileOpt = DEFAULT_MAX_FILE_MB,
    max_depth: MaxDepthOpt = L.max_depth,
    max_nodes: MaxNodesOpt = L.max_nodes,
    max_string: MaxStringOpt = L.max_string,
    max_records: MaxRecordsOpt = L.max_records,
) -> None:
    """Sign a report: write REPORT.dsse.json, a DSSE envelope over its exact bytes.

    The report is validated first. The envelope is written atomically beside the report and
    replaces an older envelope of it; signing the same bytes again gives the same envelope.
    Exit 0 signed; 2 a path is missing; 3 the report or the key file is invalid.
    """
    if not report.is_file():
        fail_usage(f"{report}: no such file")
    if not key.is_file():
        fail_usage(f"--key {key}: no such file")
    limits = limits_from(max_file_mb, max_depth, max_nodes, max_string, max_records)
    with exit_on_error():
        signing_key = load_signing_key(key)
        target, envelope = sign_file(report, signing_key, limits)
    if target.resolve() == key.resolve():
        fail_usage(f"{target} is the key file: it is never overwritten")
    write_output(envelope.decode("ascii"), target)
    sys.stdout.write(f"wrote {target} (signed by key {signing_key.key_id})\n")
