"""The key registry and attestation models: every validator refuses what it should, and only that."""

from __future__ import annotations

import base64
import hashlib
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from engine.model.keys import Attestation, KeyEntry, KeyRegistry, decode_public_key, key_id_for

RAW = bytes(range(32))
PUBLIC = base64.b64encode(RAW).decode()
KEY_ID = key_id_for(RAW)


def entry(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "key_id": KEY_ID,
        "holder": "ARC",
        "role": "party",
        "public_key": PUBLIC,
        "valid_from": "2027-01-01",
    }
    return {**base, **changes}


def other_key(seed: int) -> dict[str, Any]:
    raw = hashlib.sha256(bytes([seed])).digest()
    return {"key_id": key_id_for(raw), "public_key": base64.b64encode(raw).decode()}


def refusal(model: type[Any], data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    return str(info.value.errors()[0]["msg"])


def test_key_id_is_16_hex_digits_of_sha256_of_the_raw_key() -> None:
    zeros = bytes(32)
    assert key_id_for(zeros) == "66687aadf862bd77"  # sha256(32 zero bytes) = 66687aad f862bd77...
    assert key_id_for(zeros) == hashlib.sha256(zeros).hexdigest()[:16]


def test_a_consistent_entry_is_accepted() -> None:
    e = KeyEntry.model_validate(entry(valid_until="2027-12-31", revoked_on="2027-06-01"))
    assert e.raw_public_key == RAW
    assert e.key_id == KEY_ID


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"key_id": "0" * 16}, "does not match public_key"),
        ({"key_id": KEY_ID.upper()}, "should match pattern"),
        ({"public_key": base64.b64encode(RAW[:31]).decode()}, "31 bytes"),
        ({"public_key": base64.b64encode(RAW + b"x").decode()}, "33 bytes"),
        ({"public_key": "not base64!"}, "not base64"),
        ({"public_key": PUBLIC.rstrip("=")}, "not base64"),
        ({"public_key": base64.urlsafe_b64encode(b"\xff" * 32).decode()}, "not base64"),
        ({"valid_until": "2026-12-31"}, "valid_until is before valid_from"),
        ({"revoked_on": "2026-12-31"}, "revoked_on is before valid_from"),
        ({"holder": "Arcadia"}, "party code"),
        ({"role": "secretariat"}, "written SECRETARIAT"),
        ({"role": "inspectorate", "holder": "SECRETARIAT"}, "written INSPECTORATE"),
        ({"role": "monitor"}, "neither a party code"),
        ({"role": "monitor", "holder": "SECRETARIAT"}, "neither a party code"),
        ({"role": "body", "holder": "-council"}, "neither a party code"),
        ({"role": "judge"}, "Input should be"),
        ({"comment": "x"}, "Extra inputs are not permitted"),
    ],
)
def test_an_inconsistent_entry_is_refused(changes: dict[str, Any], needle: str) -> None:
    assert needle in refusal(KeyEntry, entry(**changes))


def test_non_canonical_base64_is_refused() -> None:
    # The last character carries 2 spare bits; setting them gives the same 32 bytes.
    text = PUBLIC[:-2] + chr(ord(PUBLIC[-2]) + 1) + "="
    assert base64.b64decode(text) == RAW
    with pytest.raises(ValueError, match="not canonical"):
        decode_public_key(text)


def test_named_holders_for_monitors_and_bodies() -> None:
    KeyEntry.model_validate(entry(role="monitor", holder="Open Compute Watch"))
    KeyEntry.model_validate(entry(role="body", holder="Executive Council"))
    KeyEntry.model_validate(entry(role="secretariat", holder="SECRETARIAT"))


@pytest.mark.parametrize(
    ("day", "status"),
    [
        (date(2026, 12, 31), "not_yet_valid"),
        (date(2027, 1, 1), "valid"),
        (date(2027, 12, 31), "valid"),  # valid_until is the last valid day
        (date(2028, 1, 1), "expired"),
    ],
)
def test_status_at_the_edges_of_validity(day: date, status: str) -> None:
    e = KeyEntry.model_validate(entry(valid_until="2027-12-31"))
    assert e.status_on(day) == status


def test_revoked_on_is_the_first_day_no_longer_valid() -> None:
    e = KeyEntry.model_validate(entry(revoked_on="2027-06-01"))
    assert e.status_on(date(2027, 5, 31)) == "valid"
    assert e.status_on(date(2027, 6, 1)) == "revoked"
    assert e.status_on(date(2030, 1, 1)) == "revoked"


def test_registry_lookup_and_uniqueness() -> None:
    second = {**entry(holder="BRN"), **other_key(1)}
    reg = KeyRegistry.model_validate({"keys": [entry(), second]})
    assert reg.get(KEY_ID) is not None and reg.get(KEY_ID).holder == "ARC"  # type: ignore[union-attr]
    assert reg.get(second["key_id"]).holder == "BRN"  # type: ignore[union-attr]
    assert reg.get("0" * 16) is None
    assert "listed twice" in refusal(KeyRegistry, {"keys": [entry(), entry()]})
    assert "at least 1 item" in refusal(KeyRegistry, {"keys": []})


def test_rotation_keeps_one_holder_with_several_keys_but_one_role() -> None:
    old = entry(valid_until="2027-12-31")
    new = {**entry(valid_from="2028-01-01"), **other_key(2)}
    assert len(KeyRegistry.model_validate({"keys": [old, new]}).keys) == 2
    monitor = {**entry(role="monitor", holder="Watch"), **other_key(3)}
    body = {**entry(role="body", holder="Watch"), **other_key(4)}
    assert "a holder has one role" in refusal(KeyRegistry, {"keys": [monitor, body]})


def attestation(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "document": "attestation",
        "id": "ATT-1",
        "report": "BRN-2028-q1",
        "report_sha256": "ab" * 32,
        "evidence_level": "secretariat",
        "attested_on": "2028-05-01",
        "reason": "customs records obtained from BRN",
    }
    return {**base, **changes}


def test_attestation_model() -> None:
    a = Attestation.model_validate(attestation())
    assert a.evidence_level == "secretariat"
    assert "should match pattern" in refusal(Attestation, attestation(report_sha256="AB" * 32))
    assert "at least 1 character" in refusal(Attestation, attestation(reason=""))
    assert "Input should be" in refusal(Attestation, attestation(evidence_level="sworn"))
    assert "Input should be 'attestation'" in refusal(Attestation, attestation(document="report"))


@pytest.mark.parametrize("model", [KeyEntry, KeyRegistry, Attestation])
def test_every_field_is_described_in_the_json_schema(model: type[Any]) -> None:
    schema = model.model_json_schema()
    for name, prop in schema["properties"].items():
        assert prop.get("description"), f"{model.__name__}.{name} has no docstring"
