"""Loading: untrusted files and folders in, a validated ``Bundle`` out.

Inputs come from governments that may be adversaries, so every document is treated as hostile:
its size, depth, values (after YAML alias expansion), strings and records are bounded
(``Limits``); YAML is built from plain values only; each document is validated against its
published JSON Schema, then by its model, then against the other documents. Every problem is a
``Problem`` naming file, line, JSON pointer, message and fix, raised in an ``InputError``.

The modules, in the order a file goes through them:

* ``limits``: ``Limits`` and the problems that report a limit exceeded;
* ``yaml``, ``json``: parsing YAML, JSON and JSONL text within the limits;
* ``files``: finding input files, reading each into raw documents, hashing;
* ``validate``: a raw document against its schema and model;
* ``bundle``: ``Bundle``, the reports in memory or left on disk, cross-document checks;
* ``paths``: ``load_paths``, files and folders into a bundle (JSONL in worker processes);
* ``signing``, ``keyfile``, ``origin``: DSSE envelopes and Ed25519 keys, and what a signer may
  claim (issue 13);
* ``envelopes``: which envelope goes with which file (the pairing rule), signing a file;
* ``provenance``: ``settle_origins``, signatures verified against the treaty's key registry and
  each report's origin decided by its signer;
* ``assembly``: ``assemble``, the library with the given paths, as an evaluation needs them;
* ``workers``, ``gcpause``: the process pool behind ``--jobs``, and pausing the collector.

This layer imports only ``engine.model`` and ``engine.errors``.
"""

from engine.ingest.assembly import WhatIfInputs, assemble, assemble_whatif, validate_paths
from engine.ingest.bundle import (
    Bundle,
    LoadedReport,
    Origin,
    SignedFile,
    StreamedReport,
    cross_check,
    kind_conflicts,
)
from engine.ingest.envelopes import envelope_path, is_envelope, sign_file
from engine.ingest.files import (
    EXTENSIONS,
    RawDocument,
    bundled_commitments_dir,
    canonical_hash,
    iter_input_files,
    read_documents,
    sha256_bytes,
)
from engine.ingest.limits import DEFAULT_LIMITS, Limits
from engine.ingest.paths import load_paths
from engine.ingest.provenance import registry_of, settle_origins
from engine.ingest.validate import published_schema, validate_document
from engine.ingest.yaml import load_yaml_text

__all__ = [
    "DEFAULT_LIMITS",
    "EXTENSIONS",
    "Bundle",
    "Limits",
    "LoadedReport",
    "Origin",
    "RawDocument",
    "SignedFile",
    "StreamedReport",
    "WhatIfInputs",
    "assemble",
    "assemble_whatif",
    "bundled_commitments_dir",
    "canonical_hash",
    "cross_check",
    "envelope_path",
    "is_envelope",
    "iter_input_files",
    "kind_conflicts",
    "load_paths",
    "load_yaml_text",
    "published_schema",
    "read_documents",
    "registry_of",
    "settle_origins",
    "sign_file",
    "sha256_bytes",
    "validate_document",
    "validate_paths",
]
