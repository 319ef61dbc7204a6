"""Sign the demo's reports with the demonstration keys: ``python examples/sign_demo.py``.

Every report file in ``examples/reports/`` gets its envelope ``REPORT.dsse.json`` beside it,
signed with the key of whom the file's reports say they come from: a party's own reports and its
reports about others with that party's key, the Secretariat's with ``SECRETARIAT``, the
inspection team's with ``INSPECTORATE``, the open-source monitor's with ``Gazette Watch``. The keys
are ``examples/keys/DEMO-ONLY-*.key``, registered in ``examples/treaty-state.yaml``.

Run it after changing a report. Ed25519 signatures are deterministic, so signing unchanged bytes
again gives the same envelope: ``--check`` writes nothing and exits 1 if any envelope is stale
or missing (``tests/cli/test_signed_demo.py`` runs it).

These keys are for the demonstration only: their private halves are published here.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from engine.ingest import DEFAULT_LIMITS, read_documents, sign_file
from engine.ingest.keyfile import SigningKey, load_signing_key

HERE = Path(__file__).resolve().parent
REPORTS = HERE / "reports"
KEYS = HERE / "keys"
FIXED_SIGNER = {
    "secretariat": "SECRETARIAT",
    "inspection": "INSPECTORATE",
    "open_source": "Gazette Watch",
}
"""The holder of the key that signs each non-party source's reports in the demo."""


def key_file(holder: str) -> Path:
    """The demonstration key of ``holder``: ``examples/keys/DEMO-ONLY-<HOLDER>.key``."""
    return KEYS / f"DEMO-ONLY-{holder.upper().replace(' ', '-')}.key"


def signer_of(path: Path) -> str:
    """Who signs the report file ``path``: the one holder all its reports come from."""
    docs, _ = read_documents(path, str(path), DEFAULT_LIMITS)
    holders = set()
    for doc in docs:
        data = doc.data
        source = data["source"]
        if source == "self":
            holders.add(data["subject_party"])
        elif source == "other_party":
            holders.add(data["source_party"])
        else:
            holders.add(FIXED_SIGNER[source])
    if len(holders) != 1:
        raise SystemExit(f"{path}: reports from {sorted(holders)}; one signer signs a file")
    return holders.pop()


def demo_key(path: Path) -> SigningKey:
    """Load a demonstration key whatever its file mode.

    Git does not keep file modes, so a fresh checkout may leave the keys readable by everyone,
    which ``load_signing_key`` refuses for a real key. A private copy is loaded instead; the
    checkout is left as it is.
    """
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / path.name
        shutil.copyfile(path, copy)
        os.chmod(copy, 0o600)
        return load_signing_key(copy)


def envelopes() -> dict[Path, bytes]:
    """The envelope of every report file of the demo, as signing it now gives."""
    out: dict[Path, bytes] = {}
    keys: dict[str, SigningKey] = {}
    for path in sorted(REPORTS.iterdir()):
        if path.name.endswith(".dsse.json") or path.suffix not in (".yaml", ".jsonl"):
            continue
        holder = signer_of(path)
        if holder not in keys:
            keys[holder] = demo_key(key_file(holder))
        target, envelope = sign_file(path, keys[holder], DEFAULT_LIMITS)
        out[target] = envelope
    return out


def main(argv: list[str] | None = None) -> int:
    """Write the envelopes that changed (or, with ``--check``, list them and exit 1)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if stale")
    args = parser.parse_args(argv)
    stale = []
    for target, envelope in envelopes().items():
        if target.is_file() and target.read_bytes() == envelope:
            continue
        stale.append(target)
        if not args.check:
            target.write_bytes(envelope)
    for target in stale:
        verb = "stale" if args.check else "signed"
        print(f"{verb}: {target.relative_to(HERE.parent)}")
    if args.check and stale:
        print("run: python examples/sign_demo.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
