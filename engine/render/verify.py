"""Re-deriving a findings document from its recorded inputs (``treaty verify``).

A findings document records every input file with its sha256 (``inputs``: the commitment
library, the treaty state and the reports, paths relative to the working directory where the run
was made), the as-of date and the filters. ``verify_document`` re-hashes each recorded file,
loads them, evaluates again with the same as-of date and filters, and compares the findings.

The document is confirmed only if every input has the recorded sha256 and the re-evaluation gives
the same findings, summary and run id. Loading the inputs again re-checks every key of the
treaty's key registry (each key id must be its public key's) and every signature, with the
claims each signer may make (``engine.ingest.provenance``): a changed signature, or a changed key
in the registry, fails the verification even before the hashes are compared.

Which treaty-state document was used: the run takes the treaty state from the paths it was
given, else from the commitment library. When two are recorded, the one outside the bundled
library folder is taken, then the one that lists parties.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from engine.errors import CompileError, InputError, Problem
from engine.ingest import (
    DEFAULT_LIMITS,
    Bundle,
    Limits,
    bundled_commitments_dir,
    cross_check,
    load_paths,
    settle_origins,
    sha256_bytes,
)
from engine.model.base import ENGINE_VERSION as __version__
from engine.model.findings import Finding, FindingsDocument, InputDigest
from engine.render.pipeline import run_check


@dataclass(frozen=True)
class InputCheck:
    """One recorded input, re-hashed."""

    path: str
    document: str
    expected: str
    actual: str | None
    """sha256 now; None if the file is missing or unreadable."""

    @property
    def state(self) -> Literal["ok", "changed", "missing"]:
        """``ok`` (same sha256), ``changed`` or ``missing``."""
        if self.actual is None:
            return "missing"
        return "ok" if self.actual == self.expected else "changed"


@dataclass(frozen=True)
class FindingDiff:
    """A finding that differs between the document and the re-evaluation."""

    fingerprint: str
    kind: Literal["added", "removed", "changed"]
    """added: only in the re-evaluation; removed: only in the document; changed: in both."""
    fields: tuple[str, ...] = ()
    """For changed: the top-level fields that differ (status, flags, explanation, evidence...)."""
    recorded: Finding | None = None
    recomputed: Finding | None = None


@dataclass
class VerifyResult:
    """The outcome of ``verify_document``."""

    inputs: list[InputCheck] = field(default_factory=list)
    findings: list[FindingDiff] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """Anything else that differs or prevented the re-evaluation."""
    notes: list[str] = field(default_factory=list)
    """Information that does not by itself fail the verification."""
    recomputed: FindingsDocument | None = None
    signatures: int = 0
    """Envelopes whose signature verified again against the key registry."""
    keys: int = 0
    """Keys of the treaty's key registry (each checked against its key id)."""

    @property
    def ok(self) -> bool:
        """Verified: every input unchanged, the same findings, nothing else differs."""
        return (
            all(i.state == "ok" for i in self.inputs)
            and not self.findings
            and not self.problems
            and self.recomputed is not None
        )


def _hash_file(path: str) -> str | None:
    try:
        return sha256_bytes(Path(path).read_bytes())
    except OSError:
        return None


def _under(path: str, folder: Path) -> bool:
    try:
        Path(path).resolve().relative_to(folder.resolve())
    except (ValueError, OSError):
        return False
    return True


def rebuild_bundle(
    inputs: Sequence[InputDigest], limits: Limits = DEFAULT_LIMITS, *, allow_unsigned: bool = False
) -> Bundle:
    """Load the recorded input files into one bundle, as ``treaty check`` assembled it.

    Signatures are verified and origins settled again, as the run did (``allow_unsigned`` as
    ``--allow-unsigned``).

    Raises ``InputError`` if a file is invalid, the treaty state is ambiguous, or a signature or
    a report's origin is refused.
    """
    paths = [i.path for i in inputs]
    loaded = load_paths(paths, limits)
    treaties = loaded.treaties
    if len(treaties) > 1:
        try:
            library = bundled_commitments_dir()
        except FileNotFoundError:  # pragma: no cover - broken installation
            library = None
        outside = [t for t in treaties if library is None or not _under(t[1], library)]
        if len(outside) == 1:
            treaties = outside
        else:
            with_parties = [t for t in (outside or treaties) if t[0].parties]
            if len(with_parties) != 1:
                raise InputError(
                    [
                        Problem(
                            t[1],
                            "several treaty-state documents are recorded and it cannot be told "
                            "which was used",
                            "re-run 'treaty report' with one treaty state",
                            code="ambiguous-treaty",
                        )
                        for t in treaties
                    ]
                )
            treaties = with_parties
    bundle = Bundle()
    bundle.commitments = loaded.commitments
    bundle.commitment_paths = loaded.commitment_paths
    bundle.reports = loaded.reports
    bundle.attestations = loaded.attestations
    bundle.signed = loaded.signed
    bundle.inputs = loaded.inputs
    if treaties:
        bundle.treaty, bundle.treaty_path = treaties[0]
        bundle.treaties = [treaties[0]]
    cross_check(bundle, require_treaty=True)
    assert bundle.treaty is not None
    settle_origins(bundle, bundle.treaty.key_registry, allow_unsigned=allow_unsigned)
    return bundle


def _diff_fields(a: Finding, b: Finding) -> tuple[str, ...]:
    da, db = a.model_dump(mode="json"), b.model_dump(mode="json")
    return tuple(k for k in da if da[k] != db.get(k))


def compare_findings(
    recorded: Sequence[Finding], recomputed: Sequence[Finding]
) -> list[FindingDiff]:
    """Per fingerprint: findings only in one of the two lists, or different in both."""
    before = {f.fingerprint(): f for f in recorded}
    after = {f.fingerprint(): f for f in recomputed}
    out: list[FindingDiff] = []
    for k in sorted(set(before) | set(after)):
        a, b = before.get(k), after.get(k)
        if a is None:
            out.append(FindingDiff(k, "added", recomputed=b))
        elif b is None:
            out.append(FindingDiff(k, "removed", recorded=a))
        elif a != b:
            out.append(FindingDiff(k, "changed", _diff_fields(a, b), recorded=a, recomputed=b))
    if len(before) != len(recorded):
        out.append(FindingDiff("(document)", "changed", ("duplicate fingerprints",)))
    return out


def verify_document(
    doc: FindingsDocument,
    *,
    limits: Limits = DEFAULT_LIMITS,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
    allow_unsigned: bool = False,
) -> VerifyResult:
    """Re-hash the recorded inputs, evaluate again and compare (see the module docstring).

    ``allow_unsigned`` admits unsigned reports as ``--allow-unsigned`` did in the run.
    """
    result = VerifyResult()
    for i in doc.inputs:
        result.inputs.append(InputCheck(i.path, i.document, i.sha256, _hash_file(i.path)))
    if any(i.state == "missing" for i in result.inputs):
        result.problems.append("cannot re-evaluate: an input is missing")
        return result
    if doc.engine_version != __version__:
        result.notes.append(
            f"the document was made by treaty-engine {doc.engine_version}; this is {__version__}"
        )
    try:
        bundle = rebuild_bundle(doc.inputs, limits, allow_unsigned=allow_unsigned)
    except InputError as exc:
        result.problems.extend(f"cannot re-evaluate: {p.render()}" for p in exc.problems)
        return result
    result.signatures = len(bundle.signers)
    registry = bundle.treaty.key_registry if bundle.treaty else None
    result.keys = len(registry.keys) if registry else 0
    filters = doc.filters
    try:
        again = run_check(
            bundle,
            doc.as_of,
            parties=filters.get("party", []),
            commitments=filters.get("commitment", []),
            statuses=filters.get("status", []),
            jobs=jobs,
            progress=progress,
        )
    except InputError as exc:
        result.problems.extend(f"cannot re-evaluate: {p.render()}" for p in exc.problems)
        return result
    except CompileError as exc:
        result.problems.append(f"cannot re-evaluate: commitment {exc.commitment}: {exc}")
        return result
    result.recomputed = again
    result.findings = compare_findings(doc.findings, again.findings)
    if again.summary != doc.summary:
        result.problems.append(
            f"the summary differs: recorded {doc.summary.model_dump()}, "
            f"recomputed {again.summary.model_dump()}"
        )
    if again.treaty != doc.treaty:
        result.problems.append(
            f"the treaty differs: recorded {doc.treaty!r}, recomputed {again.treaty!r}"
        )
    if again.run_id != doc.run_id and doc.engine_version == __version__:
        result.problems.append(
            f"the run id differs: recorded {doc.run_id}, recomputed {again.run_id}"
        )
    recorded_paths = sorted(i.path for i in doc.inputs)
    if sorted(i.path for i in again.inputs) != recorded_paths:
        result.problems.append("the recomputed run did not read the same input files")
    return result
