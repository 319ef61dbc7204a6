"""DSSE envelopes: the spec's test vector, round trips, and every refusal the core decides.

Issue 13, item 7: a replayed envelope of another report, a key expired by one day, a key revoked
before (refused) or after (accepted) the submission, a truncated or altered envelope, a payload
that is not a report. Each refusal is an ``InputError`` with exactly one problem that renders as
one line starting with the file; a property test flips every kind of byte.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import InputError, LimitExceeded, UsageError
from engine.ingest.keyfile import SigningKey, registry_entry
from engine.ingest.signing import (
    REPORT_JSON,
    REPORT_JSONL,
    REPORT_YAML,
    Envelope,
    Signature,
    check_key_valid,
    check_payload,
    envelope_limit,
    pae,
    parse_envelope,
    parse_payload_type,
    payload_type_for,
    sign_payload,
    verify_envelope,
    verify_signature,
)
from engine.model.keys import KeyEntry, KeyRegistry

FILE = "reports/ARC-2028.yaml.dsse.json"
ARC = SigningKey.generate()
BRN = SigningKey.generate()
STRANGER = SigningKey.generate()

REPORT = b"""document: report
id: ARC-2028-q1
source: self
subject_party: ARC
period: {start: 2028-01-01, end: 2028-03-31}
submitted_at: 2028-04-02T09:00:00Z
records: []
"""
OTHER_REPORT = REPORT.replace(b"ARC-2028-q1", b"ARC-2028-q2")


def entry(key: SigningKey, holder: str, **dates: Any) -> KeyEntry:
    e = registry_entry(key, holder=holder, role="party", valid_from=date(2027, 1, 1))
    return e.model_copy(update=dates) if dates else e


def registry(*entries: KeyEntry) -> KeyRegistry:
    return KeyRegistry(keys=list(entries or (entry(ARC, "ARC"), entry(BRN, "BRN"))))


def signed(payload: bytes = REPORT, key: SigningKey = ARC, ptype: str = REPORT_YAML) -> bytes:
    return sign_payload(payload, ptype, key).to_json()


def refused(call: Any, *args: Any, **kwargs: Any) -> tuple[str, str]:
    """Run ``call``, which must raise one problem; return its code and rendered line."""
    with pytest.raises(InputError) as info:
        call(*args, **kwargs)
    problems = info.value.problems
    assert len(problems) == 1
    line = problems[0].render()
    assert "\n" not in line and "Traceback" not in line
    return problems[0].code, line


# ------------------------------------------------------------------------------ the spec


SPEC_ENVELOPE = b"""{"payload": "aGVsbG8gd29ybGQ=",
 "payloadType": "http://example.com/HelloWorld",
 "signatures": [{"sig": "A3JqsQGtVsJ2O2xqrI5IcnXip5GToJ3F+FnZ+O88SjtR6rDAajabZKciJTfUiHqJPcIAriEGAHTVeCUjW2JIZA=="}]}"""
SPEC_X = 46950820868899156662930047687818585632848591499744589407958293238635476079160
SPEC_Y = 5640078356564379163099075877009565129882514886557779369047442380624545832820


def test_pae_is_the_specs_test_vector() -> None:
    # secure-systems-lab/dsse protocol.md, "Test Vectors".
    assert (
        pae(b"http://example.com/HelloWorld", b"hello world")
        == b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )
    assert pae(b"", b"") == b"DSSEv1 0  0 "
    assert pae("é".encode(), b"\x00" * 10) == b"DSSEv1 2 \xc3\xa9 10 " + b"\x00" * 10


def test_the_specs_envelope_parses_and_its_signature_covers_our_pae() -> None:
    """The spec's ECDSA signature verifies over our PAE bytes: we encode byte for byte alike."""
    env = parse_envelope(SPEC_ENVELOPE, "spec.json")
    assert env.payload == b"hello world"
    assert env.signatures == (Signature("", env.signatures[0].sig),)  # absent keyid = ""
    sig = env.signatures[0].sig
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    public = ec.EllipticCurvePublicNumbers(SPEC_X, SPEC_Y, ec.SECP256R1()).public_key()
    public.verify(der, pae(env.payload_type.encode(), env.payload), ec.ECDSA(hashes.SHA256()))


# --------------------------------------------------------------------------- round trips


def test_sign_parse_verify_round_trip() -> None:
    data = signed()
    doc = json.loads(data)
    assert list(doc) == ["payload", "payloadType", "signatures"]
    assert doc["payloadType"] == "application/vnd.treaty-engine.report+yaml"
    assert doc["signatures"] == [{"keyid": ARC.key_id, "sig": doc["signatures"][0]["sig"]}]
    assert base64.b64decode(doc["payload"]) == REPORT  # the exact bytes, not a re-serialisation
    verified = verify_envelope(parse_envelope(data, FILE), registry(), date(2028, 4, 2), file=FILE)
    assert verified.signer.holder == "ARC"
    assert verified.payload == REPORT and verified.payload_type == REPORT_YAML
    assert len(verified.sha256) == 64


def test_signing_is_deterministic() -> None:
    assert signed() == signed()  # a re-signed unchanged example gives the same file


def test_url_safe_base64_unknown_fields_and_no_keyid_are_accepted() -> None:
    payload = b"document: report\n# ???>>>\n"  # its base64 holds '/' and '+'
    doc = json.loads(signed(payload))
    url = {
        k: base64.urlsafe_b64encode(base64.b64decode(v)).decode()
        for k, v in (("payload", doc["payload"]), ("sig", doc["signatures"][0]["sig"]))
    }
    assert url["payload"] != doc["payload"]
    doc["payload"] = url["payload"]
    doc["signatures"][0] = {"sig": url["sig"], "cert": None}  # no keyid; an unknown field
    doc["comment"] = "producers may add fields"
    env = parse_envelope(json.dumps(doc).encode(), FILE)
    assert env.payload == payload
    assert verify_signature(env, registry(), file=FILE).signer.holder == "ARC"


def test_json_and_jsonl_payload_types_by_suffix() -> None:
    assert payload_type_for("report", Path("a.YAML")) == REPORT_YAML
    assert payload_type_for("report", Path("a.yml")) == REPORT_YAML
    assert payload_type_for("report", Path("a.json")) == REPORT_JSON
    assert payload_type_for("report", Path("a.jsonl")) == REPORT_JSONL
    assert payload_type_for("determination", Path("d.yaml")).endswith(".determination+yaml")
    assert parse_payload_type(REPORT_JSONL) == ("report", "jsonl")
    assert parse_payload_type("application/vnd.in-toto+json") is None
    assert refused(payload_type_for, "report", Path("a.txt"))[0] == "sign-format"


# ------------------------------------------------------------------------ parse refusals


def mutate(change: Any) -> bytes:
    doc = json.loads(signed())
    change(doc)
    return json.dumps(doc).encode()


def set_sig(text: str) -> Any:
    return lambda d: d["signatures"][0].update(sig=text)


GOOD_SIG = json.loads(signed())["signatures"][0]["sig"]
LONG_SIG = base64.b64encode(base64.b64decode(GOOD_SIG) + b"\x00").decode()

PARSE_REFUSALS = [
    ("not UTF-8", b"\xff\xfe{}", "envelope-json", "not UTF-8"),
    ("not JSON", b"document: report\n", "envelope-json", "not JSON"),
    ("truncated", signed()[: len(signed()) // 2], "envelope-json", "truncated?"),
    ("a list", b"[]", "envelope-json", "not a JSON object"),
    (
        "repeated key",
        b'{"payload": "", "payload": ""}',
        "envelope-json",
        "repeats the key 'payload'",
    ),
    ("no payload", mutate(lambda d: d.pop("payload")), "envelope-field", "'payload' is missing"),
    ("payload a number", mutate(lambda d: d.update(payload=3)), "envelope-field", "not a string"),
    ("no payloadType", mutate(lambda d: d.pop("payloadType")), "envelope-field", "'payloadType'"),
    ("empty payloadType", mutate(lambda d: d.update(payloadType="")), "envelope-field", "1 to 256"),
    ("no signatures", mutate(lambda d: d.pop("signatures")), "envelope-field", "'signatures'"),
    (
        "empty signatures",
        mutate(lambda d: d.update(signatures=[])),
        "envelope-unsigned",
        "no signature",
    ),
    (
        "signature a string",
        mutate(lambda d: d.update(signatures=["x"])),
        "envelope-field",
        "not a JSON object",
    ),
    (
        "no sig",
        mutate(lambda d: d["signatures"][0].pop("sig")),
        "envelope-field",
        "'sig' is missing",
    ),
    (
        "keyid a number",
        mutate(lambda d: d["signatures"][0].update(keyid=7)),
        "envelope-field",
        "'keyid'",
    ),
    ("base64 alphabet", mutate(set_sig("!" * 88)), "envelope-base64", "other characters"),
    ("base64 truncated", mutate(set_sig(GOOD_SIG[:-1])), "envelope-base64", "multiple of 4"),
    (
        "mixed alphabets",
        mutate(set_sig("+_" + GOOD_SIG[2:])),
        "envelope-base64",
        "other characters",
    ),
    ("non-canonical", mutate(set_sig(GOOD_SIG[:-3] + "B==")), "envelope-base64", "canonical"),
    ("short sig", mutate(set_sig(GOOD_SIG[:-4])), "envelope-signature", "is 63 bytes"),
    ("long sig", mutate(set_sig(LONG_SIG)), "envelope-signature", "is 65 bytes"),
]


@pytest.mark.parametrize(
    ("data", "code", "needle"),
    [p[1:] for p in PARSE_REFUSALS],
    ids=[p[0] for p in PARSE_REFUSALS],
)
def test_a_malformed_envelope_is_one_line(data: bytes, code: str, needle: str) -> None:
    got, line = refused(parse_envelope, data, FILE)
    assert (got, line.startswith(FILE)) == (code, True)
    assert needle in line


def test_sizes_are_limited() -> None:
    big = signed(payload=b"document: report\n#" + b"x" * 3000)
    with pytest.raises(LimitExceeded) as info:
        parse_envelope(big, FILE, max_payload_bytes=1000)
    assert "larger than" in str(info.value) and "--max-file-mb" in str(info.value)
    with pytest.raises(LimitExceeded):
        parse_envelope(b" " * (envelope_limit(10) + 1), FILE, max_payload_bytes=10)
    env = parse_envelope(big, FILE, max_payload_bytes=3020)
    assert len(env.payload) == 3018
    many = mutate(lambda d: d.update(signatures=d["signatures"] * 17))
    assert "at most 16" in refused(parse_envelope, many, FILE)[1]


# ------------------------------------------------------------------- verification refusals


def verify(data: bytes, reg: KeyRegistry | None = None, at: Any = date(2028, 4, 2)) -> Any:
    return verify_envelope(parse_envelope(data, FILE), reg or registry(), at, file=FILE)


def test_a_signature_replayed_onto_other_bytes_is_refused() -> None:
    theirs = json.loads(signed(OTHER_REPORT))
    replay = mutate(lambda d: d["signatures"][0].update(sig=theirs["signatures"][0]["sig"]))
    code, line = refused(verify, replay)
    assert code == "signature-invalid"
    assert f"key {ARC.key_id} (ARC, party)" in line and "taken from another document" in line


def test_the_payload_type_is_signed_too() -> None:
    swapped = mutate(lambda d: d.update(payloadType=REPORT_JSON))
    assert refused(verify, swapped)[0] == "signature-invalid"


def test_an_unknown_key_is_refused() -> None:
    code, line = refused(verify, signed(key=STRANGER))
    assert code == "signature-unknown-key" and STRANGER.key_id in line


def test_a_keyid_pointing_at_another_key_does_not_make_it_the_signer() -> None:
    lying = json.loads(signed(key=STRANGER))
    lying["signatures"][0]["keyid"] = ARC.key_id
    assert refused(verify, json.dumps(lying).encode())[0] == "signature-invalid"
    lying["signatures"][0]["keyid"] = ""
    assert "by any registered key" in refused(verify, json.dumps(lying).encode())[1]


def test_without_keyid_the_key_that_verifies_is_the_signer() -> None:
    anonymous = mutate(lambda d: d["signatures"][0].pop("keyid"))
    assert verify(anonymous).signer.key_id == ARC.key_id


def test_two_signatures_are_refused() -> None:
    env = parse_envelope(signed(), FILE)
    second = sign_payload(REPORT, REPORT_YAML, BRN).signatures
    double = Envelope(env.payload_type, env.payload, env.signatures + second)
    assert refused(verify_signature, double, registry(), file=FILE)[0] == "envelope-signers"


def test_expired_by_one_day() -> None:
    reg = registry(entry(ARC, "ARC", valid_until=date(2028, 4, 1)))
    code, line = refused(verify, signed(), reg, date(2028, 4, 2))
    assert code == "signature-key-expired"
    assert "valid only until 2028-04-01; the document is dated 2028-04-02" in line
    assert verify(signed(), reg, date(2028, 4, 1)).signer.holder == "ARC"


def test_not_yet_valid() -> None:
    reg = registry(entry(ARC, "ARC", valid_from=date(2028, 4, 3)))
    assert refused(verify, signed(), reg)[0] == "signature-key-not-yet-valid"


def test_revoked_before_the_submission_is_refused_after_is_accepted() -> None:
    before = registry(entry(ARC, "ARC", revoked_on=date(2028, 4, 1)))
    code, line = refused(verify, signed(), before, datetime(2028, 4, 2, 9, tzinfo=UTC))
    assert code == "signature-key-revoked" and "revoked on 2028-04-01" in line
    same_day = registry(entry(ARC, "ARC", revoked_on=date(2028, 4, 2)))
    assert refused(verify, signed(), same_day)[0] == "signature-key-revoked"
    after = registry(entry(ARC, "ARC", revoked_on=date(2028, 4, 3)))
    assert verify(signed(), after).signer.holder == "ARC"


def test_the_instant_is_taken_in_utc() -> None:
    reg = registry(entry(ARC, "ARC", valid_until=date(2028, 4, 1)))
    late_evening_west = datetime(2028, 4, 1, 23, 30, tzinfo=timezone(timedelta(hours=-2)))
    assert refused(verify, signed(), reg, late_evening_west)[0] == "signature-key-expired"
    early_morning_east = datetime(2028, 4, 2, 1, 0, tzinfo=timezone(timedelta(hours=3)))
    assert verify(signed(), reg, early_morning_east).signer.holder == "ARC"
    with pytest.raises(UsageError):
        check_key_valid(reg.keys[0], datetime(2028, 4, 1, 12), file=FILE)


# ----------------------------------------------------------------------- payload checks


def test_a_report_payload_passes() -> None:
    assert check_payload(REPORT_YAML, REPORT, document="report", file=FILE) == 1
    two = REPORT + b"---\n" + OTHER_REPORT
    assert check_payload(REPORT_YAML, two, document="report", file=FILE) == 2
    as_json = json.dumps({"document": "report", "id": "x"}).encode()
    assert check_payload(REPORT_JSON, as_json, document="report", file=FILE) == 1
    lines = b'{"document": "report", "note": "a\xe2\x80\xa8b"}\n\n{"document": "report"}\n'
    assert check_payload(REPORT_JSONL, lines, document="report", file=FILE) == 2


PAYLOAD_REFUSALS = [
    (
        "treaty",
        REPORT_YAML,
        b"document: treaty\nid: t\n",
        "payload-not-document",
        "'treaty' document",
    ),
    ("no tag", REPORT_YAML, b"id: x\n", "payload-not-document", "no 'document:' field"),
    ("a list", REPORT_YAML, b"- document: report\n", "payload-not-document", "no 'document:'"),
    (
        "mixed",
        REPORT_YAML,
        REPORT + b"---\ndocument: findings\n",
        "payload-not-document",
        "'findings'",
    ),
    ("empty", REPORT_YAML, b"", "payload-not-document", "holds no document"),
    ("bad YAML", REPORT_YAML, b"document: [report\n", "payload-not-document", "not YAML"),
    ("bad JSON", REPORT_JSON, REPORT, "payload-not-document", "not JSON"),
    (
        "JSONL line",
        REPORT_JSONL,
        b'{"document": "report"}\n[1]\n',
        "payload-not-document",
        "no 'document:'",
    ),
    ("binary", REPORT_YAML, b"\xff\xfe\x00", "payload-not-document", "not UTF-8"),
    (
        "other type",
        "application/vnd.in-toto+json",
        REPORT,
        "payload-type",
        "not a treaty-engine report",
    ),
    (
        "other document type",
        "application/vnd.treaty-engine.treaty+yaml",
        REPORT,
        "payload-type",
        "treaty+yaml",
    ),
]


@pytest.mark.parametrize(
    ("ptype", "payload", "code", "needle"),
    [p[1:] for p in PAYLOAD_REFUSALS],
    ids=[p[0] for p in PAYLOAD_REFUSALS],
)
def test_a_payload_that_is_not_a_report_is_one_line(
    ptype: str, payload: bytes, code: str, needle: str
) -> None:
    # Signed and verified first: a valid signature does not make any payload a report.
    verified = verify(signed(payload, ptype=ptype))
    got, line = refused(
        check_payload, verified.payload_type, verified.payload, document="report", file=FILE
    )
    assert got == code and needle in line and line.startswith(FILE)


# ------------------------------------------------------------------------ property tests


FLIPS = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@FLIPS
@given(
    field=st.sampled_from(["payload", "sig", "payloadType"]),
    index=st.integers(min_value=0),
    mask=st.integers(min_value=1, max_value=255),
)
def test_any_single_byte_flip_fails_verification(field: str, index: int, mask: int) -> None:
    env = parse_envelope(signed(), FILE)
    sig = env.signatures[0]
    data = {"payload": env.payload, "sig": sig.sig, "payloadType": env.payload_type.encode()}[field]
    i = index % len(data)
    flipped = data[:i] + bytes([data[i] ^ mask]) + data[i + 1 :]
    altered = Envelope(
        flipped.decode("latin-1") if field == "payloadType" else env.payload_type,
        flipped if field == "payload" else env.payload,
        (Signature(sig.keyid, flipped if field == "sig" else sig.sig),),
    )
    with pytest.raises(InputError) as info:
        verify_signature(altered, registry(), file=FILE)
    assert info.value.problems[0].code == "signature-invalid"


@FLIPS
@given(index=st.integers(min_value=0), mask=st.integers(min_value=1, max_value=255))
def test_an_altered_envelope_file_verifies_only_if_it_says_the_same(index: int, mask: int) -> None:
    data = signed()
    i = index % len(data)
    altered = data[:i] + bytes([data[i] ^ mask]) + data[i + 1 :]
    try:
        verified = verify(altered)
    except InputError as exc:
        assert len(exc.problems) == 1 and "\n" not in exc.problems[0].render()
        return
    # Only a change the format ignores (e.g. one whitespace for another) may verify.
    original = parse_envelope(data, FILE)
    again = parse_envelope(altered, FILE)
    assert (again.payload_type, again.payload) == (original.payload_type, original.payload)
    assert again.signatures[0].sig == original.signatures[0].sig
    assert verified.signer.key_id == ARC.key_id
