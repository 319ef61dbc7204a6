"""Every safety limit on untrusted input, and YAML safety.

For each limit of ``engine.ingest.Limits`` (file size, nesting depth in YAML and JSON, values after
YAML alias expansion and in a big JSON document, string length in YAML and JSON, records per
report) there is a pair of tests through the real command line:

* exceeding it exits 3 with exactly one line on stderr, starting with the file, naming the limit
  and the option that raises it, and no traceback;
* raising the limit with that option makes the same input pass (or get past that limit).

The CLI runs in a subprocess (``python -m engine.cli validate``) with small limits so the tests
are fast. The limits chosen stay above what the bundled commitment library needs (deepest 13,
at most 331 values, longest string 742 characters, largest file 12 KB), because ``validate`` and
``check`` load that library with the same limits (see ``test_lowered_limits_apply_only_to_given_
files``). YAML safety (tags, merge keys, recursive aliases, the Norway problem, YAML 1.2 numbers)
is tested on ``engine.ingest.load_yaml_text`` directly, and once through the CLI.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from engine.errors import InputError, LimitExceeded
from engine.ingest import (
    DEFAULT_LIMITS,
    Limits,
    bundled_commitments_dir,
    load_paths,
    load_yaml_text,
    read_documents,
)

ROOT = Path(__file__).resolve().parents[2]

# Test limits: small, but above what the bundled library needs (guarded by a test below).
DEPTH = 16
NODES = 1000
STRING = 1000
FILE_MB = 0.05  # 52,428 bytes
RECORDS = 10


def cli(*args: str, command: str = "validate") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", command, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def assert_one_limit_line(
    res: subprocess.CompletedProcess[str], path: Path, option: str, *words: str
) -> str:
    """Exit 3, one line on stderr naming the file, the limit and the option; no traceback."""
    out = res.stdout + res.stderr
    assert "Traceback" not in out, out
    assert res.returncode == 3, out
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected one line, got {len(lines)}:\n{res.stderr}"
    line = lines[0]
    assert line.startswith(str(path)), f"the line does not start with the file name: {line}"
    assert option in line, f"{option} not named in: {line}"
    assert line.rstrip().endswith(")"), f"no '(how to fix)' part: {line}"
    for w in words:
        assert w in line, f"{w!r} not in {line!r}"
    return line


def assert_valid(res: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in res.stdout + res.stderr
    assert res.returncode == 0, res.stdout + res.stderr
    assert "1 file(s) valid" in res.stdout, res.stdout


# ------------------------------------------------------------------------------------------------
# Input documents


def record(i: int, note: str | None = None, recipients: list[str] | None = None) -> dict[str, Any]:
    r: dict[str, Any] = {
        "kind": "notification",
        "id": f"n-{i}",
        "channel": "CB-2",
        "about": f"run-{i}",
        "sent_at": "2028-01-10T09:00:00Z",
        "recipients": recipients if recipients is not None else ["all"],
    }
    if note is not None:
        r["note"] = note
    return r


def report(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "document": "report",
        "id": "rep-1",
        "source": "self",
        "subject_party": "ARC",
        "period": {"start": "2028-01-01", "end": "2028-12-31"},
        "submitted_at": "2028-12-31T09:00:00Z",
        "records": records,
    }


def to_yaml(data: Any, indent: int = 0) -> str:
    """Block-style YAML: every string quoted, so the test controls exactly what is parsed."""
    pad = " " * indent
    if isinstance(data, dict):
        out = []
        for k, v in data.items():
            if isinstance(v, dict | list) and v:
                out.append(f"{pad}{k}:\n{to_yaml(v, indent + 2)}")
            else:
                out.append(f"{pad}{k}: {json.dumps(v)}")
        return "\n".join(out)
    if isinstance(data, list):
        out = []
        for v in data:
            if isinstance(v, dict | list) and v:
                body = to_yaml(v, indent + 2)
                out.append(f"{pad}- {body.lstrip()}")
            else:
                out.append(f"{pad}- {json.dumps(v)}")
        return "\n".join(out)
    return pad + json.dumps(data)


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def deep_value(levels: int) -> Any:
    v: Any = "x"
    for _ in range(levels):
        v = [v]
    return v


# ------------------------------------------------------------------------------------------------
# The test limits leave the bundled library loadable


def test_test_limits_are_above_what_the_bundled_library_needs() -> None:
    """Guard: if the library grows past the small limits used here, the CLI tests would fail on
    the library instead of on their own input (the CLI applies the limits to both)."""
    lib = bundled_commitments_dir()
    limits = Limits(
        max_file_bytes=int(FILE_MB * 1048576), max_depth=DEPTH, max_nodes=NODES, max_string=STRING
    )
    b = load_paths([lib], limits)
    assert len(b.commitments) >= 20


# ------------------------------------------------------------------------------------------------
# File size


def test_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    notes = [record(i, note="n" * 900) for i in range(70)]  # ~70 KB > 52 KB
    p = write(tmp_path, "big.json", json.dumps(report(notes)))
    assert p.stat().st_size > FILE_MB * 1048576

    res = cli(str(p), "--max-file-mb", str(FILE_MB), "--max-records", "1000")

    assert_one_limit_line(res, p, "--max-file-mb", "MB")


def test_raising_the_file_size_limit_lets_the_file_pass(tmp_path: Path) -> None:
    notes = [record(i, note="n" * 900) for i in range(70)]
    p = write(tmp_path, "big.json", json.dumps(report(notes)))

    res = cli(str(p), "--max-file-mb", "1", "--max-records", "1000")

    assert_valid(res)


def test_file_size_is_checked_before_reading(tmp_path: Path) -> None:
    """A file over the limit is refused from its size alone: garbage after the limit is never
    parsed (no 'malformed' message), and refusing a 3 MB file takes no time."""
    p = tmp_path / "huge.yaml"
    p.write_bytes(b"document: report\n" + b"\x00garbage" * 400_000)

    t = time.perf_counter()
    with pytest.raises(LimitExceeded) as exc:
        load_paths([p], Limits(max_file_bytes=1024 * 1024))
    assert time.perf_counter() - t < 0.5
    [problem] = exc.value.problems
    assert problem.code == "limit-file-size"
    assert "--max-file-mb" in problem.fix


# ------------------------------------------------------------------------------------------------
# Nesting depth


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_depth_limit_is_exact(tmp_path: Path, suffix: str) -> None:
    """A report 4 levels deep (document -> records -> record -> recipients -> 'all') passes with
    max_depth 4 and fails with 3 (a direct call: through the CLI the bundled library, 13 deep,
    would fail first)."""
    doc = report([record(1)])
    text = to_yaml(doc) if suffix == ".yaml" else json.dumps(doc)
    p = write(tmp_path, "r" + suffix, text)

    docs, _ = read_documents(p, "r" + suffix, Limits(max_depth=4))
    assert docs[0].data == doc
    with pytest.raises(LimitExceeded) as exc:
        load_paths([p], Limits(max_depth=3))
    [problem] = exc.value.problems
    assert problem.code == "limit-depth"
    assert problem.pointer == "/records/0/recipients/0"


def deep_note_report(levels: int) -> dict[str, Any]:
    """A report with a value nested ``levels`` lists deep in a record's recipients."""
    return report([record(1, recipients=deep_value(levels))])


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_too_deep_document_is_refused(tmp_path: Path, suffix: str) -> None:
    doc = deep_note_report(DEPTH + 5)
    p = write(tmp_path, "deep" + suffix, to_yaml(doc) if suffix == ".yaml" else json.dumps(doc))

    res = cli(str(p), "--max-depth", str(DEPTH))

    assert_one_limit_line(res, p, "--max-depth", f"deeper than {DEPTH} levels")


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_raising_the_depth_limit_gets_past_it(tmp_path: Path, suffix: str) -> None:
    """With a higher --max-depth the same document is read; it then fails only the schema (a
    recipient must be a string), not the depth limit."""
    doc = deep_note_report(DEPTH + 5)
    p = write(tmp_path, "deep" + suffix, to_yaml(doc) if suffix == ".yaml" else json.dumps(doc))

    res = cli(str(p), "--max-depth", str(DEPTH + 10))

    assert res.returncode == 3, res.stderr
    assert "Traceback" not in res.stderr
    assert "--max-depth" not in res.stderr
    assert "/records/0/recipients/0" in res.stderr and "not of type string" in res.stderr


@pytest.mark.parametrize(
    ("suffix", "text"),
    [
        (".yaml", "[" * 50_000 + "]" * 50_000),
        (".json", "[" * 50_000 + "]" * 50_000),
        (".yaml", "".join(f"{' ' * i}- \n" for i in range(3000))),
    ],
    ids=["yaml-flow", "json", "yaml-block"],
)
def test_hostile_nesting_beyond_the_parser_stack_is_a_depth_error(
    tmp_path: Path, suffix: str, text: str
) -> None:
    """Nesting deep enough to overflow a recursive parser is the same clean depth error."""
    p = write(tmp_path, "bomb" + suffix, text)

    res = cli(str(p))

    assert_one_limit_line(res, p, "--max-depth", "deeper than")


# ------------------------------------------------------------------------------------------------
# Node count: YAML aliases and big JSON documents


def alias_report(n_records: int, n_recipients: int) -> str:
    """A valid report whose records share one anchored recipient list through aliases."""
    recips = ", ".join(f"r{i}" for i in range(n_recipients))
    lines = [to_yaml({k: v for k, v in report([]).items() if k != "records"}), "records:"]
    for i in range(n_records):
        rec = {k: v for k, v in record(i).items() if k != "recipients"}
        lines.append("  - " + to_yaml(rec, 4).lstrip())
        lines.append(f"    recipients: &r [{recips}]" if i == 0 else "    recipients: *r")
    return "\n".join(lines) + "\n"


def test_alias_report_expands_beyond_the_node_limit(tmp_path: Path) -> None:
    """30 records x 40 aliased recipients: about 1,500 values after expansion, 300 as written."""
    text = alias_report(30, 40)
    p = write(tmp_path, "aliases.yaml", text)
    data = load_yaml_text(text)
    assert len(data["records"]) == 30 and len(data["records"][29]["recipients"]) == 40

    res = cli(str(p), "--max-nodes", str(NODES), "--max-records", "100")

    assert_one_limit_line(res, p, "--max-nodes", f"more than {NODES} values", "alias")


def test_raising_the_node_limit_lets_the_alias_report_pass(tmp_path: Path) -> None:
    p = write(tmp_path, "aliases.yaml", alias_report(30, 40))

    res = cli(str(p), "--max-nodes", "5000", "--max-records", "100")

    assert_valid(res)


BILLION_LAUGHS = (
    "\n".join(
        ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    )
    + "\n"
)


def test_alias_bomb_is_refused_quickly_with_default_limits(tmp_path: Path) -> None:
    """10^10 values after expansion: refused at the default limit, in well under a second."""
    p = write(tmp_path, "bomb.yaml", BILLION_LAUGHS)

    t = time.perf_counter()
    with pytest.raises(LimitExceeded) as exc:
        load_paths([p])
    assert time.perf_counter() - t < 1.0
    assert exc.value.problems[0].code == "limit-nodes"

    res = cli(str(p))
    assert_one_limit_line(res, p, "--max-nodes", f"more than {DEFAULT_LIMITS.max_nodes}")


def test_big_json_document_is_refused_over_the_node_limit(tmp_path: Path) -> None:
    doc = report([record(i) for i in range(200)])  # 200 x 8 values
    p = write(tmp_path, "many.json", json.dumps(doc))

    res = cli(str(p), "--max-nodes", str(NODES), "--max-records", "1000")

    assert_one_limit_line(res, p, "--max-nodes", f"more than {NODES} values")


def test_raising_the_node_limit_lets_the_big_json_document_pass(tmp_path: Path) -> None:
    doc = report([record(i) for i in range(200)])
    p = write(tmp_path, "many.json", json.dumps(doc))

    res = cli(str(p), "--max-nodes", "2000", "--max-records", "1000")

    assert_valid(res)


def test_node_limit_applies_to_each_jsonl_line(tmp_path: Path) -> None:
    """In JSONL the limit is per document (line), and the problem names the line."""
    small = report([record(1)])
    big = dict(report([record(i) for i in range(200)]), id="rep-2")
    p = write(tmp_path, "stream.jsonl", json.dumps(small) + "\n" + json.dumps(big) + "\n")

    with pytest.raises(LimitExceeded) as exc:
        load_paths([p], Limits(max_nodes=NODES, max_records=1000))
    [problem] = exc.value.problems
    assert problem.code == "limit-nodes" and problem.line == 2
    assert len(load_paths([p], Limits(max_nodes=2000, max_records=1000)).reports) == 2


# ------------------------------------------------------------------------------------------------
# String length


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_long_string_is_refused(tmp_path: Path, suffix: str) -> None:
    doc = report([record(1, note="é" * (STRING + 1))])  # characters, not bytes
    p = write(tmp_path, "long" + suffix, to_yaml(doc) if suffix == ".yaml" else json.dumps(doc))

    res = cli(str(p), "--max-string", str(STRING))

    line = assert_one_limit_line(
        res, p, "--max-string", f"{STRING + 1} characters", f"longer than {STRING}"
    )
    assert "/records/0/note" in line


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_raising_the_string_limit_lets_the_long_string_pass(tmp_path: Path, suffix: str) -> None:
    doc = report([record(1, note="é" * (STRING + 1))])
    p = write(tmp_path, "long" + suffix, to_yaml(doc) if suffix == ".yaml" else json.dumps(doc))

    res = cli(str(p), "--max-string", str(STRING + 1))

    assert_valid(res)


def test_string_limit_counts_keys_too(tmp_path: Path) -> None:
    """A long mapping key is as much a string as a long value (a 30,000-character key would
    otherwise pass every limit and end up in the error message)."""
    doc = report([record(1)])
    # YAML needs the explicit-key form for a key over 1024 characters
    yaml_text = "? " + "k" * 30_000 + "\n: 1\n" + to_yaml(doc)
    doc["k" * 30_000] = 1
    for suffix, text in ((".json", json.dumps(doc)), (".yaml", yaml_text)):
        p = write(tmp_path, "key" + suffix, text)
        with pytest.raises(InputError) as exc:
            load_paths([p])
        assert any(pr.code == "limit-string" for pr in exc.value.problems), [
            pr.render()[:200] for pr in exc.value.problems
        ]


# ------------------------------------------------------------------------------------------------
# Records per report


def test_too_many_records_in_a_report_is_refused(tmp_path: Path) -> None:
    p = write(tmp_path, "records.yaml", to_yaml(report([record(i) for i in range(RECORDS + 1)])))

    res = cli(str(p), "--max-records", str(RECORDS))

    assert_one_limit_line(res, p, "--max-records", f"{RECORDS + 1} records", f"limit of {RECORDS}")


def test_raising_the_records_limit_lets_the_report_pass(tmp_path: Path) -> None:
    p = write(tmp_path, "records.yaml", to_yaml(report([record(i) for i in range(RECORDS + 1)])))

    res = cli(str(p), "--max-records", str(RECORDS + 1))

    assert_valid(res)


def test_records_limit_applies_to_check_too(tmp_path: Path) -> None:
    """`treaty check` takes the same options and refuses the same way (exit 3, one line)."""
    (tmp_path / "treaty.yaml").write_text(
        (ROOT / "examples" / "treaty-state.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    p = write(tmp_path, "records.json", json.dumps(report([record(i) for i in range(RECORDS + 1)])))

    res = cli(
        str(tmp_path), "--as-of", "2029-06-30", "--max-records", str(RECORDS), command="check"
    )
    assert_one_limit_line(res, p, "--max-records", f"limit of {RECORDS}")

    res = cli(
        str(tmp_path),
        "--as-of",
        "2029-06-30",
        "--max-records",
        str(RECORDS + 1),
        "--allow-unsigned",  # the demo's treaty state has a key registry; this report is unsigned
        command="check",
    )
    assert res.returncode in (0, 1), res.stderr
    assert "Traceback" not in res.stderr


# ------------------------------------------------------------------------------------------------
# Limits in general


def test_every_limit_has_an_option_on_validate_and_check() -> None:
    names = {f.name for f in dataclasses.fields(Limits)}
    assert names == set(Limits.OPTION), "a limit without a CLI option (or the reverse)"
    for command in ("validate", "check"):
        res = cli("--help", command=command)
        assert res.returncode == 0
        for option in Limits.OPTION.values():
            assert option in res.stdout, f"{option} missing from treaty {command} --help"


def test_limit_problems_raise_limit_exceeded_and_others_input_error(tmp_path: Path) -> None:
    ok = write(tmp_path, "ok.yaml", to_yaml(report([record(1)])))
    bad = write(tmp_path, "bad.yaml", to_yaml(report([record(1) | {"sent_at": "yesterday"}])))
    with pytest.raises(InputError) as exc:
        load_paths([ok, bad])
    assert type(exc.value) is InputError
    with pytest.raises(LimitExceeded):
        load_paths([ok, bad], Limits(max_string=5))


def test_bad_limit_value_is_a_usage_error_without_traceback(tmp_path: Path) -> None:
    """`--max-depth abc` is exit 2 with one line, like every usage error."""
    p = write(tmp_path, "ok.yaml", to_yaml(report([record(1)])))

    res = cli(str(p), "--max-depth", "abc")

    assert "Traceback" not in res.stderr, res.stderr
    assert res.returncode == 2, res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert "--max-depth" in res.stderr


def test_lowered_limits_apply_only_to_given_files(tmp_path: Path) -> None:
    """Lowering a limit to inspect a hostile file must not make the trusted, bundled commitment
    library fail: every problem line must be about the file the user gave."""
    p = write(tmp_path, "ok.yaml", to_yaml(report([record(1)])))

    res = cli(str(p), "--max-string", "100", "--max-depth", "5", "--max-nodes", "300")

    assert "Traceback" not in res.stderr
    bad = [ln for ln in res.stderr.splitlines() if ln.strip() and not ln.startswith(str(p))]
    assert not bad, f"{len(bad)} problem(s) about files the user did not give, e.g. {bad[0]}"
    assert_valid(res)


# ------------------------------------------------------------------------------------------------
# YAML safety


@pytest.mark.parametrize(
    "text",
    [
        "x: !!python/object/apply:os.system ['echo pwned']\n",
        "x: !!python/name:os.system\n",
        "x: !!python/object:collections.OrderedDict {}\n",
        "x: !!binary aGVsbG8=\n",
        "x: !!timestamp 2027-01-01\n",
        "x: !!set {a, b}\n",
        "x: !custom value\n",
        "!!python/tuple [1, 2]\n",
    ],
)
def test_yaml_tags_are_refused(text: str) -> None:
    with pytest.raises(InputError) as exc:
        load_yaml_text(text, "t.yaml")
    [problem] = exc.value.problems
    assert problem.code == "yaml-tag"
    assert "not allowed" in problem.message


def test_python_tag_is_never_executed_through_the_cli(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    p = write(
        tmp_path, "evil.yaml", f"document: !!python/object/apply:os.system ['touch {marker}']\n"
    )

    res = cli(str(p))

    assert res.returncode == 3 and "Traceback" not in res.stderr
    assert not marker.exists()
    assert "tag" in res.stderr and res.stderr.startswith(str(p))


MERGE = "base: &b {kind: notification, channel: CB-2}\nrec:\n  <<: *b\n  id: n-1\n"


@pytest.mark.parametrize(
    "text", [MERGE, MERGE.replace("<<:", "'<<':"), "<<: {a: 1}\n", "a: {<<: [{b: 1}, {c: 2}]}\n"]
)
def test_yaml_merge_keys_are_refused(text: str) -> None:
    with pytest.raises(InputError) as exc:
        load_yaml_text(text)
    [problem] = exc.value.problems
    assert problem.code in ("yaml-merge", "yaml-key")


def test_yaml_merge_key_problem_says_it_is_a_merge_key() -> None:
    """The loader has a dedicated message for '<<' ("YAML merge keys ('<<') are not allowed ...
    write the keys out in full"), but PyYAML tags a plain '<<' key as tag:yaml.org,2002:merge, so
    it is refused earlier as "a mapping key is not a plain string (use plain text keys)": true but
    no help to the author. Only a quoted '<<' reaches the dedicated message."""
    with pytest.raises(InputError) as exc:
        load_yaml_text(MERGE)
    [problem] = exc.value.problems
    assert problem.code == "yaml-merge" and "merge" in problem.message
    assert problem.pointer == "/rec"


@pytest.mark.parametrize(
    "text",
    ["a: &a [1, *a]\n", "a: &a {x: *a}\n", "&a [&b [*a], *b]\n", "a: &a\n  b:\n    c: *a\n"],
)
def test_recursive_aliases_are_refused(text: str) -> None:
    t = time.perf_counter()
    with pytest.raises(InputError) as exc:
        load_yaml_text(text)
    assert time.perf_counter() - t < 1.0
    assert exc.value.problems[0].code == "yaml-recursive"


def test_shared_but_not_recursive_aliases_are_fine() -> None:
    assert load_yaml_text("a: &a [1, 2]\nb: *a\nc: [*a, *a]\n") == {
        "a": [1, 2],
        "b": [1, 2],
        "c": [[1, 2], [1, 2]],
    }


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("NO", "NO"),  # Norway's code, not false
        ("no", "no"),
        ("No", "No"),
        ("yes", "yes"),
        ("Y", "Y"),
        ("n", "n"),
        ("on", "on"),
        ("OFF", "OFF"),
        ("true", True),
        ("False", False),
        ("1e26", 1e26),  # YAML 1.1 reads this as a string
        ("1.0e+26", 1e26),
        ("-2.5E-3", -2.5e-3),
        ("3.5", 3.5),
        ("42", 42),
        ("2027-01-01", "2027-01-01"),  # dates stay strings until the models parse them
        ("2027-01-01T09:00:00Z", "2027-01-01T09:00:00Z"),
        ("'1e26'", "1e26"),
        ("~", None),
        ("null", None),
    ],
)
def test_yaml_scalars_follow_yaml_1_2(text: str, value: Any) -> None:
    got = load_yaml_text(f"x: {text}\n")["x"]
    assert got == value and type(got) is type(value)


def test_norway_stays_a_party_code_through_validation(tmp_path: Path) -> None:
    """`subject_party: NO` reaches the schema as the string 'NO' (refused by the three-letter
    pattern), never as the boolean false ('false is not of type string')."""
    text = to_yaml(report([record(1)])).replace('subject_party: "ARC"', "subject_party: NO")
    p = write(tmp_path, "no.yaml", text)
    with pytest.raises(InputError) as exc:
        load_paths([p])
    [problem] = exc.value.problems
    assert problem.pointer == "/subject_party"
    assert '"NO"' in problem.message and "expected form" in problem.message


@pytest.mark.parametrize("text", [".inf", "-.inf", ".nan", "1e999"])
def test_non_finite_yaml_numbers_are_refused(text: str) -> None:
    with pytest.raises(InputError) as exc:
        load_yaml_text(f"x: {text}\n")
    assert exc.value.problems[0].code == "yaml-number"


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_json_numbers_are_refused(tmp_path: Path, text: str) -> None:
    p = write(tmp_path, "n.json", '{"document": "report", "x": ' + text + "}")
    with pytest.raises(InputError) as exc:
        load_paths([p])
    assert exc.value.problems[0].code in ("json-number",)


def test_duplicate_keys_are_refused_in_yaml_and_json(tmp_path: Path) -> None:
    with pytest.raises(InputError) as exc:
        load_yaml_text("a: 1\nb: 2\na: 3\n")
    assert exc.value.problems[0].code == "duplicate-key"
    p = write(tmp_path, "d.json", '{"a": 1, "a": 2}')
    with pytest.raises(InputError) as exc2:
        load_paths([p])
    assert exc2.value.problems[0].code == "duplicate-key"
