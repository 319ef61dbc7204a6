"""Signed submissions on disk: which envelope goes with which file, and what it may carry.

A signed document is a DSSE envelope (``engine.ingest.signing``) in a file whose name ends in
``.dsse.json``. **The pairing rule:**

* ``REPORT.yaml`` and ``REPORT.yaml.dsse.json`` side by side (the same folder; ``.yml``,
  ``.json`` and ``.jsonl`` alike) are **one signed submission**, whichever of the two was named
  on the command line or found in a folder. The documents are read once, from ``REPORT.yaml``
  (a JSONL file is streamed as before); the envelope must be over exactly the bytes read
  (their sha256 is compared), else the pair is refused as "an envelope over other bytes".
* An envelope with no such file beside it is a submission on its own: its documents are read
  from its payload, and named by the envelope's path.
* A file with no envelope beside it is unsigned: once the treaty has a key registry, an
  unsigned report is refused (unless ``--allow-unsigned``), see ``engine.ingest.provenance``.

An envelope may carry reports or attestations only (``SIGNED_DOCUMENTS``), in the format its
payload type names, which for a pair must be the file's own. Nothing is verified here: the
signature is checked once the key registry is known.

This module imports ``engine.model``, ``engine.errors`` and the ``files``, ``limits``,
``signing`` and ``validate`` modules of this layer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.errors import InputError, Problem
from engine.ingest.files import EXTENSIONS, RawDocument, parse_bytes, read_file_bytes, sha256_bytes
from engine.ingest.keyfile import SigningKey
from engine.ingest.limits import Limits, limit_exceeded
from engine.ingest.signing import (
    ENVELOPE_SUFFIX,
    FORMAT_SUFFIXES,
    Envelope,
    check_payload,
    envelope_limit,
    parse_envelope,
    parse_payload_type,
    payload_type_for,
    sign_payload,
)
from engine.ingest.validate import validate_document
from engine.model.keys import Attestation
from engine.model.records import Report

SIGNED_DOCUMENTS = ("report", "attestation")
"""The documents an envelope may carry."""


def is_envelope(path: Path) -> bool:
    """Whether ``path`` names a DSSE envelope (``*.dsse.json``)."""
    return path.name.lower().endswith(ENVELOPE_SUFFIX)


def envelope_path(path: Path) -> Path:
    """Where the envelope of ``path`` is written and looked for: ``path`` + ``.dsse.json``."""
    return path.with_name(path.name + ENVELOPE_SUFFIX)


@dataclass(frozen=True)
class Submission:
    """One input unit: a plain file, an envelope, or a plain file with its envelope."""

    plain: tuple[Path, str] | None
    """The file whose documents are read (path, display), if there is one."""
    envelope: tuple[Path, str] | None
    """The envelope over it, or standing alone (path, display), if there is one."""


def submissions(files: Iterable[tuple[Path, str]]) -> list[Submission]:
    """Pair the input files with their envelopes (the pairing rule), in input order.

    A pair is listed once, where its first member comes; its other member, if not among the
    inputs, is taken from beside it.
    """
    out: list[Submission] = []
    seen: set[Path] = set()
    for path, display in files:
        if is_envelope(path):
            cut = len(path.name) - len(ENVELOPE_SUFFIX)
            plain = path.with_name(path.name[:cut])
            paired = plain.suffix.lower() in EXTENSIONS and plain.is_file()
            unit = Submission(
                (plain, display[: len(display) - len(ENVELOPE_SUFFIX)]) if paired else None,
                (path, display),
            )
        else:
            env = envelope_path(path)
            unit = Submission(
                (path, display), (env, display + ENVELOPE_SUFFIX) if env.is_file() else None
            )
        key = _resolved((unit.plain or unit.envelope or (path, display))[0])
        if key not in seen:
            seen.add(key)
            out.append(unit)
    return out


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()


def read_envelope(path: Path, display: str, limits: Limits) -> tuple[Envelope, bytes]:
    """Read and decode the envelope at ``path`` (its payload may be as large as an input file).

    Returns:
        The envelope and the file's bytes.

    Raises:
        InputError: it cannot be read or is not a well-formed envelope (``LimitExceeded`` if it
            is too large); one problem.
    """
    limit = envelope_limit(limits.max_file_bytes)
    try:
        size = path.stat().st_size
        if size > limit:
            raise limit_exceeded(
                display,
                "max_file_bytes",
                f"envelope is {size / 1048576:.1f} MB, over the "
                f"{limit / 1048576:.0f} MB an envelope of an input file may have",
                "split the signed file",
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(
            [Problem(display, f"cannot read: {exc.strerror}", "check the path", code="invalid")]
        ) from None
    return parse_envelope(raw, display, max_payload_bytes=limits.max_file_bytes), raw


def signed_document(envelope: Envelope, file: str) -> tuple[str, str]:
    """``(document, format)`` of the envelope's payload type, if it may be signed.

    Raises:
        InputError: the payload type is not a treaty-engine report or attestation (one line).
    """
    parsed = parse_payload_type(envelope.payload_type)
    if parsed is None or parsed[0] not in SIGNED_DOCUMENTS:
        raise InputError(
            [
                Problem(
                    file,
                    f"the envelope's payload type is {envelope.payload_type!r}, not a "
                    "treaty-engine report or attestation",
                    "sign the report file itself with 'treaty sign'",
                    pointer="/payloadType",
                    code="payload-type",
                )
            ]
        )
    return parsed


def pair_problems(
    envelope: Envelope, file: str, plain: tuple[Path, str], sha256: str, documents: str
) -> list[Problem]:
    """What is wrong with ``envelope`` as the signature of the file ``plain``.

    Args:
        envelope: the envelope beside the file.
        file: the envelope's path, as displayed.
        plain: the file (path, display).
        sha256: the sha256 of the file's bytes, as read.
        documents: the documents read from the file (``InputDigest.document``).
    """
    path, display = plain
    fix = f"sign it again: treaty sign {display} --key YOUR.key"
    try:
        document, fmt = signed_document(envelope, file)
    except InputError as exc:
        return exc.problems
    signed = sha256_bytes(envelope.payload)
    if signed != sha256:
        message = (
            f"an envelope over other bytes than {display} (sha256 {signed[:12]} signed, "
            f"{sha256[:12]} in the file): the file changed after signing, or the envelope is "
            "another file's"
        )
        return [Problem(file, message, fix, pointer="/payload", code="envelope-other-bytes")]
    if path.suffix.lower() not in FORMAT_SUFFIXES[fmt]:
        message = f"the payload type says {fmt}, but {display} is a {path.suffix} file"
        return [Problem(file, message, fix, pointer="/payloadType", code="payload-type")]
    if documents != document:
        message = f"the signed payload holds {documents.replace('+', ' and ')}, not only {document}"
        return [Problem(file, message, fix, pointer="/payload", code="payload-not-document")]
    return []


def payload_documents(envelope: Envelope, file: str, limits: Limits) -> Iterable[RawDocument]:
    """The documents of an envelope standing alone, read from its payload and named by ``file``.

    Raises:
        InputError: the payload is not a report or attestation, not what its type says, or
            cannot be parsed.
    """
    document, fmt = signed_document(envelope, file)
    check_payload(envelope.payload_type, envelope.payload, document=document, file=file)
    return parse_bytes(envelope.payload, file, limits, FORMAT_SUFFIXES[fmt][0])


def sign_file(path: Path, key: SigningKey, limits: Limits) -> tuple[Path, bytes]:
    """Sign the report or attestation file at ``path`` with ``key`` (``treaty sign``).

    The file is validated first (every document a valid report, or every one a valid
    attestation), so that nobody signs what the engine would refuse.

    Returns:
        Where the envelope goes (``path`` + ``.dsse.json``) and its bytes.

    Raises:
        InputError: the file cannot be read, is not made of valid reports or attestations, or
            its name has no known format suffix; one line per problem.
    """
    display = str(path)
    if is_envelope(path):
        raise InputError(
            [
                Problem(
                    display,
                    "this is an envelope already",
                    "sign the report file it was made from",
                    code="sign-format",
                )
            ]
        )
    payload_type_for("report", path)  # refuses an unknown suffix before reading anything
    raw = read_file_bytes(path, display, limits)
    models = []
    problems: list[Problem] = []
    docs = iter(parse_bytes(raw, display, limits, path.suffix.lower()))
    while True:
        try:
            doc = next(docs, None)
            if doc is None:
                break
            models.append(validate_document(doc))
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    document = _one_document(models, display)
    envelope = sign_payload(raw, payload_type_for(document, path), key)
    return envelope_path(path), envelope.to_json()


def _one_document(models: Sequence[object], display: str) -> str:
    """``report`` or ``attestation``: what every document of a file to sign is."""
    kinds = {
        "report"
        if isinstance(m, Report)
        else "attestation"
        if isinstance(m, Attestation)
        else "other"
        for m in models
    }
    if len(kinds) == 1 and kinds <= set(SIGNED_DOCUMENTS):
        return kinds.pop()
    raise InputError(
        [
            Problem(
                display,
                "only a file of reports, or a file of attestations, is signed",
                "put other documents (treaty state, commitments) in files of their own",
                code="payload-not-document",
            )
        ]
    )
