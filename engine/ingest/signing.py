"""Signing and verifying documents: DSSE envelopes, Ed25519, checked against the key registry.

The one module for signatures, used by signed reports (issue 13), determinations (issue 14) and
the Secretariat's service (issue 16).

**Envelope.** A signed document is a DSSE v1.0.0 JSON envelope (the in-toto / Sigstore format,
https://github.com/secure-systems-lab/dsse, ``envelope.md`` and ``protocol.md``)::

    {"payload": "<Base64(SERIALIZED_BODY)>",
     "payloadType": "<PAYLOAD_TYPE>",
     "signatures": [{"keyid": "<KEYID>", "sig": "<Base64(SIGNATURE)>"}]}

The signature is over the Pre-Authentication Encoding, never over the payload alone::

    PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body

where SP is one ASCII space and LEN is the byte length in ASCII decimal without leading zeros.
The body is the exact bytes of the file that was signed: no canonicalisation.

Reading follows the spec: standard and URL-safe base64 are both accepted; unknown fields are
ignored; an absent ``keyid`` is the same as an empty one; the key id is a hint that narrows which
registered key to try, never a proof (the key whose signature verifies is the signer). On top of
the spec, this module is strict where strictness closes a door: base64 must be canonical and
padded (so that no two texts carry the same bytes), a JSON key may not appear twice (so that no
two readers see different payloads), sizes are limited, and an envelope carries exactly one
signature (one signer decides the origin of what it signs).

**Payload types** are ``application/vnd.treaty-engine.<document>+<format>``, the format chosen by
the file's suffix: ``yaml`` (``.yaml``, ``.yml``; one or more documents), ``json`` (one document)
or ``jsonl`` (JSON Lines, one document per line); e.g.
``application/vnd.treaty-engine.report+yaml``. The type says both how to parse the bytes and
which documents they must be; it is signed with them (PAE), so it cannot be swapped.

**Keys** are Ed25519 (through ``cryptography``); ``engine.ingest.keyfile`` creates, stores and loads
them. The key id (``engine.model.keys.key_id_for``) is the first 16 hex digits of the SHA-256 of
the raw 32-byte public key, and names the key in the envelope's ``keyid``.

What a signer may claim is ``engine.ingest.origin``'s question.

This module imports ``engine.model``, ``engine.errors`` and ``engine.ingest.keyfile`` (plus
``cryptography`` and PyYAML).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, NoReturn

import yaml
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from engine.errors import InputError, LimitExceeded, Problem, ProblemCode, UsageError
from engine.ingest.keyfile import SigningKey
from engine.model.keys import KeyEntry, KeyRegistry

MEDIA_TYPE_PREFIX = "application/vnd.treaty-engine."
FORMAT_SUFFIXES: dict[str, tuple[str, ...]] = {
    "yaml": (".yaml", ".yml"),
    "json": (".json",),
    "jsonl": (".jsonl",),
}
REPORT_YAML = f"{MEDIA_TYPE_PREFIX}report+yaml"
REPORT_JSON = f"{MEDIA_TYPE_PREFIX}report+json"
REPORT_JSONL = f"{MEDIA_TYPE_PREFIX}report+jsonl"
ENVELOPE_SUFFIX = ".dsse.json"

SIGNATURE_BYTES = 64
DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024 * 1024  # the loader's default --max-file-mb
MAX_SIGNATURES = 16
MAX_FIELD_CHARS = 256  # payloadType and keyid
_ENVELOPE_OVERHEAD = 64 * 1024

_STD_B64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_URL_B64 = re.compile(r"[A-Za-z0-9_-]*={0,2}")
_PAYLOAD_TYPE = re.compile(re.escape(MEDIA_TYPE_PREFIX) + r"([a-z][a-z_]*)\+(yaml|jsonl|json)")


def _fail(file: str, message: str, fix: str, code: ProblemCode, pointer: str = "") -> NoReturn:
    raise InputError([Problem(file, message, fix, pointer=pointer, code=code)])


# ----------------------------------------------------------------------------------- envelope


def pae(payload_type: bytes, payload: bytes) -> bytes:
    """DSSE v1 Pre-Authentication Encoding: the exact bytes a signature covers."""
    return b" ".join(
        [
            b"DSSEv1",
            str(len(payload_type)).encode(),
            payload_type,
            str(len(payload)).encode(),
            payload,
        ]
    )


@dataclass(frozen=True)
class Signature:
    """One signature of an envelope."""

    keyid: str
    """The key id hint ("" when absent); never trusted on its own."""
    sig: bytes
    """The raw signature bytes."""


@dataclass(frozen=True)
class Envelope:
    """A DSSE envelope, decoded: payload type, payload bytes, and signatures."""

    payload_type: str
    """What the payload is, e.g. ``application/vnd.treaty-engine.report+yaml``."""
    payload: bytes
    """The exact bytes that were signed."""
    signatures: tuple[Signature, ...]
    """The signatures, at least one."""

    def to_json(self) -> bytes:
        """The envelope as DSSE JSON (two-space indent, newline-terminated, standard base64)."""
        doc = {
            "payload": base64.b64encode(self.payload).decode("ascii"),
            "payloadType": self.payload_type,
            "signatures": [
                {"keyid": s.keyid, "sig": base64.b64encode(s.sig).decode("ascii")}
                for s in self.signatures
            ],
        }
        return (json.dumps(doc, indent=2) + "\n").encode("ascii")


def sign_payload(payload: bytes, payload_type: str, key: SigningKey) -> Envelope:
    """Sign ``payload`` as ``payload_type`` with ``key``: an envelope with one signature."""
    sig = key.sign(pae(payload_type.encode("utf-8"), payload))
    return Envelope(payload_type, payload, (Signature(key.key_id, sig),))


def payload_type_for(document: str, path: Path) -> str:
    """The payload type of ``document`` stored in ``path``, chosen by the file's suffix.

    Raises:
        InputError: the suffix is not one of ``FORMAT_SUFFIXES`` (one line).
    """
    suffix = path.suffix.lower()
    for fmt, suffixes in FORMAT_SUFFIXES.items():
        if suffix in suffixes:
            return f"{MEDIA_TYPE_PREFIX}{document}+{fmt}"
    _fail(
        str(path),
        f"cannot sign a {suffix or 'suffix-less'} file",
        f"sign a {document} file ending in .yaml, .yml, .json or .jsonl",
        "sign-format",
    )


def envelope_limit(max_payload_bytes: int) -> int:
    """The largest envelope file, in bytes, that can carry a payload of ``max_payload_bytes``."""
    return 4 * ((max_payload_bytes + 2) // 3) + _ENVELOPE_OVERHEAD


def parse_envelope(
    data: bytes, file: str, *, max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES
) -> Envelope:
    """Decode a DSSE JSON envelope, strictly; nothing is verified yet.

    Raises:
        InputError: not UTF-8 JSON, a repeated key, a field missing or of the wrong type, bad or
            non-canonical base64, no signature, a signature of the wrong length (one line).
        LimitExceeded: the envelope or its payload is larger than the limit.
    """
    if len(data) > envelope_limit(max_payload_bytes):
        _too_large(file, len(data), "envelope", envelope_limit(max_payload_bytes))
    obj = _envelope_json(data, file)
    payload_type = _field(obj, "payloadType", file, "")
    if not payload_type or len(payload_type) > MAX_FIELD_CHARS:
        _fail(
            file,
            f"payloadType must be 1 to {MAX_FIELD_CHARS} characters",
            "sign the file again with 'treaty sign'",
            "envelope-field",
            "/payloadType",
        )
    payload = _b64(_field(obj, "payload", file, ""), file, "/payload")
    if len(payload) > max_payload_bytes:
        _too_large(file, len(payload), "payload", max_payload_bytes)
    sigs = obj.get("signatures")
    if not isinstance(sigs, list):
        _fail(
            file,
            "'signatures' is missing or not a list",
            "sign the file again with 'treaty sign'",
            "envelope-field",
            "/signatures",
        )
    if not sigs:
        _fail(
            file,
            "the envelope carries no signature",
            "sign it with 'treaty sign'",
            "envelope-unsigned",
            "/signatures",
        )
    if len(sigs) > MAX_SIGNATURES:
        _fail(
            file,
            f"{len(sigs)} signatures; at most {MAX_SIGNATURES}",
            "sign the file again with 'treaty sign'",
            "envelope-field",
            "/signatures",
        )
    return Envelope(
        payload_type, payload, tuple(_signature(s, file, i) for i, s in enumerate(sigs))
    )


def _too_large(file: str, size: int, what: str, limit: int) -> NoReturn:
    raise LimitExceeded(
        [
            Problem(
                file,
                f"the {what} is {size} bytes, larger than {limit}",
                "split the report, or raise the limit with --max-file-mb",
                code="limit-file-size",
            )
        ]
    )


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _DuplicateKey(k)
        out[k] = v
    return out


class _DuplicateKey(ValueError):
    pass


def _envelope_json(data: bytes, file: str) -> dict[str, Any]:
    fix = "give the .dsse.json file written by 'treaty sign', whole and unchanged"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        _fail(file, f"the envelope is not UTF-8 text (byte {exc.start})", fix, "envelope-json")
    try:
        obj = json.loads(text, object_pairs_hook=_no_duplicates)
    except _DuplicateKey as exc:
        _fail(file, f"the envelope repeats the key {exc.args[0]!r}", fix, "envelope-json")
    except json.JSONDecodeError as exc:
        raise InputError(
            [
                Problem(
                    file,
                    f"the envelope is not JSON ({exc.msg}; truncated?)",
                    fix,
                    line=exc.lineno,
                    code="envelope-json",
                )
            ]
        ) from None
    except RecursionError:
        _fail(file, "the envelope is nested too deeply", fix, "envelope-json")
    if not isinstance(obj, dict):
        _fail(file, "the envelope is not a JSON object", fix, "envelope-json")
    return obj


def _field(obj: dict[str, Any], name: str, file: str, prefix: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str):
        state = "missing" if value is None else "not a string"
        _fail(
            file,
            f"'{name}' is {state}",
            "sign the file again with 'treaty sign'",
            "envelope-field",
            f"{prefix}/{name}",
        )
    return value


def _b64(text: str, file: str, pointer: str) -> bytes:
    """Decode standard or URL-safe base64 (as DSSE requires), padded and canonical."""
    fix = "sign the file again with 'treaty sign'; do not edit the envelope"
    if len(text) % 4:
        _fail(
            file,
            "not base64: its length is not a multiple of 4 (truncated?)",
            fix,
            "envelope-base64",
            pointer,
        )
    if _STD_B64.fullmatch(text):
        raw = base64.b64decode(text)
        again = base64.b64encode(raw)
    elif _URL_B64.fullmatch(text):
        raw = base64.urlsafe_b64decode(text)
        again = base64.urlsafe_b64encode(raw)
    else:
        _fail(file, "not base64: it holds other characters", fix, "envelope-base64", pointer)
    if again.decode("ascii") != text:
        _fail(file, "not canonical base64 (altered?)", fix, "envelope-base64", pointer)
    return raw


def _signature(value: Any, file: str, index: int) -> Signature:
    ptr = f"/signatures/{index}"
    fix = "sign the file again with 'treaty sign'"
    if not isinstance(value, dict):
        _fail(file, "a signature is not a JSON object", fix, "envelope-field", ptr)
    keyid = value.get("keyid", "")
    if not isinstance(keyid, str) or len(keyid) > MAX_FIELD_CHARS:
        _fail(
            file,
            f"'keyid' must be a string of at most {MAX_FIELD_CHARS} characters",
            fix,
            "envelope-field",
            f"{ptr}/keyid",
        )
    sig = _b64(_field(value, "sig", file, ptr), file, f"{ptr}/sig")
    if len(sig) != SIGNATURE_BYTES:
        _fail(
            file,
            f"the signature is {len(sig)} bytes; an Ed25519 signature is {SIGNATURE_BYTES} (truncated?)",
            fix,
            "envelope-signature",
            f"{ptr}/sig",
        )
    return Signature(keyid, sig)


# ------------------------------------------------------------------------------- verification


@dataclass(frozen=True)
class Verified:
    """An envelope whose signature verified against a registered key."""

    signer: KeyEntry
    """The registry entry of the key whose signature verified."""
    payload_type: str
    """The payload type (authenticated: it is part of what was signed)."""
    payload: bytes
    """The exact bytes signed."""

    @property
    def sha256(self) -> str:
        """SHA-256 of the payload, lower-case hex: what attestations and receipts name."""
        return hashlib.sha256(self.payload).hexdigest()


def describe_signer(entry: KeyEntry) -> str:
    """``key 0123456789abcdef (ARC, party)``: how errors and outputs name a signer."""
    return f"key {entry.key_id} ({entry.holder}, {entry.role})"


def verify_signature(envelope: Envelope, registry: KeyRegistry, *, file: str) -> Verified:
    """Check that the envelope's one signature was made by a key in ``registry``.

    The ``keyid`` only narrows which key to try; without one, every registered key is tried.
    Whether the key was valid at the document's date is ``check_key_valid``'s question.

    Raises:
        InputError: not exactly one signature, an unknown key id, or a signature that no
            candidate key made over these exact bytes and payload type (one line).
    """
    if len(envelope.signatures) != 1:
        _fail(
            file,
            f"the envelope carries {len(envelope.signatures)} signatures; one signer decides a document's origin",
            "sign with one key",
            "envelope-signers",
            "/signatures",
        )
    sig = envelope.signatures[0]
    if sig.keyid:
        entry = registry.get(sig.keyid)
        if entry is None:
            _fail(
                file,
                f"signed by key {sig.keyid}, which is not in the treaty's key registry",
                "sign with a registered key, or ask the Secretariat to register yours",
                "signature-unknown-key",
                "/signatures/0/keyid",
            )
        candidates = [entry]
    else:
        candidates = list(registry.keys)
    message = pae(envelope.payload_type.encode("utf-8"), envelope.payload)
    for entry in candidates:
        if _verifies(entry, sig.sig, message):
            return Verified(entry, envelope.payload_type, envelope.payload)
    who = f"by {describe_signer(candidates[0])}" if sig.keyid else "by any registered key"
    _fail(
        file,
        f"the signature was not made {who} over this payload (altered, or taken from another document)",
        "sign the unchanged file again with 'treaty sign'",
        "signature-invalid",
        "/signatures/0/sig",
    )


def _verifies(entry: KeyEntry, sig: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(entry.raw_public_key).verify(sig, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def utc_day(at: date | datetime) -> date:
    """The UTC calendar day of ``at`` (a date is taken as a UTC day already).

    Raises:
        UsageError: ``at`` is a datetime without a time zone.
    """
    if isinstance(at, datetime):
        if at.utcoffset() is None:
            raise UsageError("a signing time needs a time zone")
        return at.astimezone(UTC).date()
    return at


def check_key_valid(entry: KeyEntry, at: date | datetime, *, file: str) -> None:
    """Refuse a signature by ``entry`` for a document dated ``at`` (its submission time).

    ``valid_until`` is the last valid day; ``revoked_on`` is the first day the key is no longer
    valid, so a report submitted before the revocation day stays accepted.

    Raises:
        InputError: the key was not yet valid, had expired or was revoked at ``at`` (one line).
    """
    day = utc_day(at)
    status = entry.status_on(day)
    if status == "valid":
        return
    who = describe_signer(entry)
    why, fix = {
        "not_yet_valid": (
            f"valid only from {entry.valid_from}",
            "sign with the key valid that day",
        ),
        "expired": (f"valid only until {entry.valid_until}", "sign with the holder's current key"),
        "revoked": (f"revoked on {entry.revoked_on}", "sign again with a key not revoked"),
    }[status]
    codes: dict[str, ProblemCode] = {
        "not_yet_valid": "signature-key-not-yet-valid",
        "expired": "signature-key-expired",
        "revoked": "signature-key-revoked",
    }
    code = codes[status]
    _fail(file, f"signed by {who}, {why}; the document is dated {day}", fix, code, "/signatures/0")


def verify_envelope(
    envelope: Envelope, registry: KeyRegistry, at: date | datetime, *, file: str
) -> Verified:
    """``verify_signature``, then ``check_key_valid`` at ``at``; for when the date is known first.

    Raises:
        InputError: as ``verify_signature`` and ``check_key_valid``.
    """
    verified = verify_signature(envelope, registry, file=file)
    check_key_valid(verified.signer, at, file=file)
    return verified


# ------------------------------------------------------------------------------------ payload


def parse_payload_type(payload_type: str) -> tuple[str, str] | None:
    """``(document, format)`` of a treaty-engine payload type, e.g. ``("report", "yaml")``."""
    m = _PAYLOAD_TYPE.fullmatch(payload_type)
    return (m.group(1), m.group(2)) if m else None


def check_payload(payload_type: str, payload: bytes, *, document: str, file: str) -> int:
    """Refuse a payload that is not made of treaty-engine ``document`` documents.

    The payload type must be ``application/vnd.treaty-engine.<document>+<format>``; the payload,
    parsed as that format (``yaml``: one or more documents; ``json``: one; ``jsonl``: one per
    non-blank line), must hold only mappings whose ``document:`` field is ``document``. Nothing
    else is read: the full validation is the loader's, on the same bytes.

    Returns:
        The number of documents in the payload.

    Raises:
        InputError: another payload type, unparseable bytes, or another document (one line).
    """
    parsed = parse_payload_type(payload_type)
    if parsed is None or parsed[0] != document:
        _fail(
            file,
            f"the envelope's payload type is {payload_type!r}, not a treaty-engine {document}",
            f"sign the {document} file itself with 'treaty sign'",
            "payload-type",
            "/payloadType",
        )
    try:
        text = payload.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        _payload_fail(file, f"is not UTF-8 text (byte {exc.start})")
    fmt = parsed[1]
    tags = _yaml_tags(text, file) if fmt == "yaml" else _json_tags(text, file, fmt == "jsonl")
    if not tags:
        _payload_fail(file, "holds no document")
    for tag in tags:
        if tag != document:
            what = "has no 'document:' field" if tag is None else f"holds a {tag!r} document"
            _payload_fail(file, f"{what}, not a {document}")
    return len(tags)


def _payload_fail(file: str, what: str) -> NoReturn:
    fix = "sign the file itself with 'treaty sign', unchanged"
    _fail(file, f"the signed payload {what}", fix, "payload-not-document", "/payload")


def _json_tags(text: str, file: str, lines: bool) -> list[str | None]:
    """The ``document:`` value of each JSON document (one per non-blank line if ``lines``)."""
    # Lines end at "\n" only, as the loader splits them: a JSON string may hold U+2028.
    texts = [t for t in text.split("\n") if t.strip()] if lines else [text]
    tags: list[str | None] = []
    for t in texts:
        try:
            data = json.loads(t, object_pairs_hook=_no_duplicates)
        except (ValueError, RecursionError):
            _payload_fail(file, "is not JSON, as its payload type says")
        tag = data.get("document") if isinstance(data, dict) else None
        tags.append(tag if isinstance(tag, str) else None)
    return tags


def _yaml_tags(text: str, file: str) -> list[str | None]:
    """The ``document:`` value of each YAML document, read from its node tree.

    No object is built, so aliases cost nothing.
    """
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError:
        _payload_fail(file, "is not YAML, as its payload type says")
    return [_yaml_tag(node) for node in nodes]


def _yaml_tag(node: yaml.Node | None) -> str | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    tags = [
        v.value
        for k, v in node.value
        if isinstance(k, yaml.ScalarNode)
        and k.value == "document"
        and isinstance(v, yaml.ScalarNode)
    ]
    return tags[0] if len(tags) == 1 else None
