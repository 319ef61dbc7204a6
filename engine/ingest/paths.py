"""Loading files and folders into a bundle: ``load_paths``.

Each file is read, each of its documents validated and filed in the bundle; every problem in
every file is collected before raising. With ``stream``, the reports of JSONL files are
validated and left on disk (``StreamedReport``), and with ``jobs`` > 1 the JSONL files are
validated in worker processes; the bundle, and every problem and its order, are the same as in
one process.

Envelopes (``*.dsse.json``) are paired with the files beside them (``engine.ingest.envelopes``):
a pair's documents are read from the file, once, and the envelope must be over its bytes; an
envelope alone is read from its payload. Either way the bundle records the envelope
(``Bundle.signed``); its signature is verified later, against the treaty's key registry.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import InputError, LimitExceeded, Problem
from engine.ingest.bundle import Bundle, SignedFile, StreamedReport
from engine.ingest.envelopes import (
    Submission,
    pair_problems,
    payload_documents,
    read_envelope,
    submissions,
)
from engine.ingest.files import RawDocument, iter_documents, iter_input_files, sha256_bytes
from engine.ingest.limits import DEFAULT_LIMITS, Limits, limit_exceeded
from engine.ingest.validate import validate_document
from engine.ingest.workers import run_in_workers
from engine.model.findings import InputDigest
from engine.model.records import Report


def load_paths(
    paths: Sequence[str | Path],
    limits: Limits = DEFAULT_LIMITS,
    *,
    bundle: Bundle | None = None,
    stream: bool = False,
    jobs: int = 1,
) -> Bundle:
    """Load and validate every document under ``paths`` into a bundle.

    Args:
        paths: files and folders (read recursively, in sorted order).
        limits: the safety limits.
        bundle: add to this bundle instead of a new one.
        stream: leave the reports of JSONL files on disk (``Bundle.streamed``), validated: the
            caller reads them back one party at a time.
        jobs: with ``stream``, validate JSONL files in this many processes.

    Raises:
        InputError: with every problem in every file (``LimitExceeded`` if any of them is a
            limit).
    """
    b = bundle if bundle is not None else Bundle()
    problems: list[Problem] = []
    limit_hit = False
    units = submissions(iter_input_files(paths))
    scanned: dict[Path, _FileLoad] = {}
    if stream and jobs > 1:
        plain = [u.plain for u in units if u.plain is not None]
        scanned = _scan_in_processes([f for f in plain if f[0].suffix == ".jsonl"], limits, jobs)
    for unit in units:
        for done in _load_submission(b, unit, scanned, limits, stream):
            if done.digest is not None:
                b.inputs.append(done.digest)
            problems.extend(done.problems)
            limit_hit = limit_hit or done.limit_hit
    if problems:
        raise (LimitExceeded if limit_hit else InputError)(problems)
    return b


def _load_submission(
    b: Bundle, unit: Submission, scanned: dict[Path, _FileLoad], limits: Limits, stream: bool
) -> list[_FileLoad]:
    """Load one input unit into ``b``: what each of its files added."""
    out: list[_FileLoad] = []
    if unit.plain is not None:
        path, display = unit.plain
        done = scanned.get(path)
        if done is None or done.other_documents:
            done = _load_file(b, path, display, limits, stream)
        else:
            b.streamed.extend(done.streamed)
        out.append(done)
    if unit.envelope is not None:
        out.append(_load_envelope(b, unit, out[0] if out else None, limits))
    return out


def _load_envelope(
    b: Bundle, unit: Submission, plain: _FileLoad | None, limits: Limits
) -> _FileLoad:
    """Read the unit's envelope: check it against its file, or load its payload's documents."""
    assert unit.envelope is not None
    path, display = unit.envelope
    out = _FileLoad(None)
    try:
        envelope, raw = read_envelope(path, display, limits)
    except InputError as exc:
        out.refused(exc)
        return out
    out.digest = InputDigest(path=display, document="envelope", sha256=sha256_bytes(raw))
    if unit.plain is not None:
        if plain is None or plain.digest is None or plain.problems:
            return out  # the file itself was refused: that is the problem to fix first
        out.problems += pair_problems(
            envelope, display, unit.plain, plain.digest.sha256, plain.digest.document
        )
        owner = unit.plain[1]
    else:
        try:
            docs = payload_documents(envelope, display, limits)
        except InputError as exc:
            out.refused(exc)
            return out
        loaded = _file_documents(b, docs, envelope.payload, display, limits, None)
        out.problems += loaded.problems
        out.limit_hit = loaded.limit_hit
        owner = display
    if not out.problems:
        b.signed[owner] = SignedFile(envelope, display, sha256_bytes(envelope.payload))
    return out


@dataclass
class _FileLoad:
    """What loading one file added: its digest, streamed reports and problems."""

    digest: InputDigest | None
    streamed: list[StreamedReport] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    limit_hit: bool = False
    other_documents: bool = False
    """The file held documents other than streamed reports (a worker then leaves it to the
    main process, which keeps the bundle's commitments and treaties in file order)."""

    def refused(self, exc: InputError) -> None:
        self.problems.extend(exc.problems)
        self.limit_hit = self.limit_hit or isinstance(exc, LimitExceeded)


def _load_file(b: Bundle, path: Path, display: str, limits: Limits, stream: bool) -> _FileLoad:
    """Load one file into ``b``."""
    try:
        docs, raw = iter_documents(path, display, limits)
    except InputError as exc:
        out = _FileLoad(None)
        out.refused(exc)
        return out
    return _file_documents(b, docs, raw, display, limits, path if stream else None)


def _file_documents(
    b: Bundle,
    docs: Iterable[RawDocument],
    raw: bytes,
    display: str,
    limits: Limits,
    stream_from: Path | None,
) -> _FileLoad:
    """Validate and file the documents ``docs`` parsed from ``raw``.

    With ``stream_from`` (the file ``raw`` was read from), JSONL reports are left on disk.
    """
    out = _FileLoad(None)
    first_streamed = len(b.streamed)
    kinds: set[str] = set()
    it = iter(docs)
    while True:
        try:
            doc = next(it, None)
        except InputError as exc:  # a malformed JSONL line ends that file
            out.refused(exc)
            break
        if doc is None:
            break
        try:
            model = validate_document(doc)
            if isinstance(model, Report) and len(model.records) > limits.max_records:
                raise limit_exceeded(
                    display,
                    "max_records",
                    f"report has {len(model.records)} records, over the limit of {limits.max_records}",
                    "split the report",
                    line=doc.line,
                    pointer="/records",
                )
        except InputError as exc:
            out.refused(exc)
            continue
        if stream_from is not None and isinstance(model, Report) and doc.span is not None:
            out.problems += b.add_streamed(model, doc, stream_from, raw)
            kinds.add("report")
            continue
        out.other_documents = True
        kind, problems = b.add(model, doc)
        out.problems += problems
        kinds.add(kind)
    out.digest = InputDigest(
        path=display, document="+".join(sorted(kinds)) or "none", sha256=sha256_bytes(raw)
    )
    out.streamed = b.streamed[first_streamed:]
    return out


def _scan_in_processes(
    files: list[tuple[Path, str]], limits: Limits, jobs: int
) -> dict[Path, _FileLoad]:
    """``_load_file`` of each JSONL file with ``stream``, in ``jobs`` processes.

    The largest files go first, each to the least loaded process.
    """
    if len(files) < 2:
        return {}
    shares: list[list[tuple[Path, str]]] = [[] for _ in range(jobs)]
    load = [0] * jobs
    for f in sorted(files, key=lambda f: (-_size(f[0]), f[1])):
        k = load.index(min(load))
        shares[k].append(f)
        load[k] += _size(f[0])
    work = [(share, limits) for share in shares if share]
    out: dict[Path, _FileLoad] = {}
    for res in run_in_workers(_scan_worker, work, jobs):
        out.update(res)
    return out


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _scan_worker(args: tuple[list[tuple[Path, str]], Limits]) -> dict[Path, _FileLoad]:
    files, limits = args
    out = {}
    for path, display in files:
        done = _load_file(Bundle(), path, display, limits, True)
        if done.other_documents:  # left to the main process: models stay where they are
            done = _FileLoad(None, other_documents=True)
        out[path] = done
    return out
