"""Keys and attestations: who may sign what, and when (issue 13).

The treaty state carries a ``KeyRegistry``: one ``KeyEntry`` per Ed25519 public key, naming its
holder (a party, the Secretariat, the inspectorate, a named monitor or a treaty body), the role
that fixes what the holder may sign, and the days the key is valid. Rotation is a new entry with a
later ``valid_from`` (and the old entry given a ``valid_until``); revocation sets ``revoked_on``.

An ``Attestation`` is a document the Secretariat signs to raise the evidence level of one report,
named by id and by the SHA-256 of its exact bytes.

The key id is defined here, once: the first 16 hexadecimal digits (64 bits, lower case) of the
SHA-256 of the raw 32-byte public key, with no prefix. It is a hint for finding the key, never a
proof: the signature decides (DSSE, ``engine/ingest/signing.py``).

This module imports only the standard library, pydantic and ``engine.model``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from datetime import date
from typing import Literal

from pydantic import Field, PrivateAttr, model_validator

from engine.model.base import Doc
from engine.model.records import PARTY_CODE, RECORD_ID, EvidenceLevel

KeyRole = Literal["party", "secretariat", "inspectorate", "monitor", "body"]
KeyStatus = Literal["valid", "not_yet_valid", "expired", "revoked"]

KEY_ID = r"^[0-9a-f]{16}$"
PUBLIC_KEY_BYTES = 32
SECRETARIAT = "SECRETARIAT"
INSPECTORATE = "INSPECTORATE"
NAMED_HOLDER = r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$"
SHA256_HEX = r"^[0-9a-f]{64}$"

_FIXED_HOLDER: dict[str, str] = {"secretariat": SECRETARIAT, "inspectorate": INSPECTORATE}
_B64 = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")


def key_id_for(raw_public_key: bytes) -> str:
    """The key id of a raw 32-byte Ed25519 public key: 16 lower-case hex digits of its SHA-256."""
    return hashlib.sha256(raw_public_key).hexdigest()[:16]


def decode_public_key(text: str) -> bytes:
    """The raw bytes of a public key written in canonical standard base64.

    Raises:
        ValueError: the text is not canonical base64 of exactly 32 bytes (the message says so).
    """
    if not _B64.match(text) or len(text) % 4:
        raise ValueError("public_key is not base64: copy it whole from 'treaty keys new'")
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ValueError("public_key is not base64: copy it whole from 'treaty keys new'") from None
    if len(raw) != PUBLIC_KEY_BYTES:
        raise ValueError(
            f"public_key is {len(raw)} bytes, an Ed25519 public key is {PUBLIC_KEY_BYTES}: "
            "copy it whole from 'treaty keys new'"
        )
    if base64.b64encode(raw).decode("ascii") != text:
        raise ValueError("public_key is not canonical base64: copy it whole from 'treaty keys new'")
    return raw


class KeyEntry(Doc):
    """One public key in the registry: whose it is, what it may sign, and when."""

    key_id: str = Field(pattern=KEY_ID)
    """The key id: the first 16 hex digits (lower case) of the SHA-256 of the raw public key, as
    printed by ``treaty keys new``. Must match ``public_key``."""
    holder: str
    """Who holds the private key: a party code (``ARC``) for role ``party``; ``SECRETARIAT``;
    ``INSPECTORATE``; or the name of a monitor or treaty body (letters, digits, space, ``._-``)."""
    role: KeyRole
    """What the key may sign: ``party`` (its own ``self`` reports and ``other_party`` reports about
    others), ``secretariat``, ``inspectorate`` (``inspection`` reports), ``monitor``
    (``open_source`` reports) or ``body`` (a treaty body's determinations, not reports)."""
    public_key: str
    """The raw 32-byte Ed25519 public key in standard base64 (44 characters)."""
    valid_from: date
    """First day (UTC) the key may sign."""
    valid_until: date | None = None
    """Last day (UTC) the key may sign, inclusive; absent while the key is in use."""
    revoked_on: date | None = None
    """Day (UTC) the key was revoked: from this day on, nothing it signed is accepted. Reports
    submitted before this day stay accepted."""
    note: str | None = None
    """Free text, e.g. ``demonstration key``; never used by the engine."""

    @model_validator(mode="after")
    def _consistent(self) -> KeyEntry:
        raw = decode_public_key(self.public_key)
        if key_id_for(raw) != self.key_id:
            raise ValueError(
                f"key_id {self.key_id} does not match public_key (its key id is "
                f"{key_id_for(raw)}): copy both from 'treaty keys new'"
            )
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise ValueError("valid_until is before valid_from: the key would never be valid")
        if self.revoked_on is not None and self.revoked_on < self.valid_from:
            raise ValueError(
                "revoked_on is before valid_from: to revoke a key before it is used, "
                "set revoked_on to valid_from"
            )
        _check_holder(self.holder, self.role)
        return self

    @property
    def raw_public_key(self) -> bytes:
        """The 32 raw bytes of the public key."""
        return base64.b64decode(self.public_key)

    def status_on(self, day: date) -> KeyStatus:
        """Whether the key may sign on ``day`` (UTC), and if not, why."""
        if self.revoked_on is not None and day >= self.revoked_on:
            return "revoked"
        if day < self.valid_from:
            return "not_yet_valid"
        if self.valid_until is not None and day > self.valid_until:
            return "expired"
        return "valid"


def _check_holder(holder: str, role: str) -> None:
    """The holder's name must fit its role, so that no name can pass for another's."""
    fixed = _FIXED_HOLDER.get(role)
    if fixed is not None:
        if holder != fixed:
            raise ValueError(f"the holder of a {role} key is written {fixed}, not {holder!r}")
    elif role == "party":
        if not re.match(PARTY_CODE, holder):
            raise ValueError(
                f"the holder of a party key is its party code (three capital letters), "
                f"not {holder!r}"
            )
    elif (
        not re.match(NAMED_HOLDER, holder)
        or re.match(PARTY_CODE, holder)
        or holder
        in {
            SECRETARIAT,
            INSPECTORATE,
        }
    ):
        raise ValueError(
            f"the holder of a {role} key is a name (letters, digits, space, '._-', up to 64) "
            f"that is neither a party code nor SECRETARIAT or INSPECTORATE, not {holder!r}"
        )


class KeyRegistry(Doc):
    """The public keys the treaty recognises; once a treaty state has one, every report is signed."""

    keys: list[KeyEntry] = Field(min_length=1)
    """The keys, current and past (rotated keys stay listed so that old reports still verify)."""

    _by_id: dict[str, KeyEntry] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _unique(self) -> KeyRegistry:
        roles: dict[str, str] = {}
        for entry in self.keys:
            if entry.key_id in self._by_id:
                raise ValueError(f"key {entry.key_id} is listed twice: keep one entry per key")
            self._by_id[entry.key_id] = entry
            role = roles.setdefault(entry.holder, entry.role)
            if role != entry.role:
                raise ValueError(
                    f"{entry.holder} holds keys with roles {role} and {entry.role}: "
                    "a holder has one role"
                )
        return self

    def get(self, key_id: str) -> KeyEntry | None:
        """The entry with this key id, or None."""
        return self._by_id.get(key_id)


class Attestation(Doc):
    """The Secretariat's signed statement that one report is backed by stronger evidence.

    It raises the evidence level of the report it names (by id and by the SHA-256 of the exact
    bytes that were signed), above the rank the report's signer could claim alone.
    """

    document: Literal["attestation"]
    """Document type tag; always ``attestation``."""
    id: str = Field(pattern=RECORD_ID)
    """Stable id of the attestation."""
    report: str = Field(pattern=RECORD_ID)
    """Id of the report attested."""
    report_sha256: str = Field(pattern=SHA256_HEX)
    """SHA-256 (lower-case hex) of the report's exact bytes, as signed: a corrected report with
    the same id is not covered."""
    evidence_level: EvidenceLevel
    """The evidence level the report is raised to."""
    attested_on: date
    """Day (UTC) the Secretariat attested; its key must be valid on that day."""
    reason: str = Field(min_length=1)
    """What the Secretariat checked, e.g. ``customs records obtained from BRN``."""
