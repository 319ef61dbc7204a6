"""docs/submissions.md works as written: every command of its shell blocks runs (issue 13, item 8).

The page's conventions, which this test reads:

* each line of a fenced ``sh`` block is one command, run in order by the shell in a temporary
  folder holding a copy of ``examples/``; it must exit 0, or N when the line ends in ``# exit N``;
* a fenced block right after ``<!-- write: NAME -->`` is written to the file NAME first.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import EXAMPLES, ROOT

DOC = ROOT / "docs" / "submissions.md"
FENCE = re.compile(r"^(\s*)```(\w*)\s*$")
WRITE = re.compile(r"^<!-- write: (\S+) -->$")
EXIT = re.compile(r"#\s*exit (\d+)\s*$")


@dataclass(frozen=True)
class Step:
    """A command to run (with its expected exit code), or a file to write."""

    command: str | None = None
    exit_code: int = 0
    write: tuple[str, str] | None = None


def steps(text: str) -> list[Step]:
    """The commands and files of the page, in order."""
    out: list[Step] = []
    lines = text.splitlines()
    i = 0
    pending_write: str | None = None
    while i < len(lines):
        m = FENCE.match(lines[i])
        w = WRITE.match(lines[i].strip())
        if w:
            pending_write = w.group(1)
        if not m:
            i += 1
            continue
        indent, lang = m.group(1), m.group(2)
        body: list[str] = []
        i += 1
        while not FENCE.match(lines[i]):
            body.append(lines[i][len(indent) :])
            i += 1
        i += 1
        if pending_write is not None:
            out.append(Step(write=(pending_write, "\n".join(body) + "\n")))
            pending_write = None
        elif lang == "sh":
            for line in body:
                if line.strip() and not line.lstrip().startswith("#"):
                    code = EXIT.search(line)
                    out.append(Step(command=line, exit_code=int(code.group(1)) if code else 0))
    return out


def test_the_page_has_commands_for_each_step_of_a_focal_point() -> None:
    commands = " ".join(s.command or "" for s in steps(DOC.read_text(encoding="utf-8")))

    for needed in ("treaty keys new", "treaty sign", "treaty validate", "treaty check"):
        assert needed in commands, needed
    assert "--valid-from 2030-01-01" in commands  # rotation


def test_every_command_of_the_page_runs_as_written(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    ran = 0
    for step in steps(DOC.read_text(encoding="utf-8")):
        if step.write is not None:
            name, content = step.write
            (tmp_path / name).write_text(content, encoding="utf-8")
            continue
        assert step.command is not None
        res = subprocess.run(
            ["bash", "-c", step.command],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert res.returncode == step.exit_code, (
            f"{step.command!r} exited {res.returncode}, not {step.exit_code}:\n"
            f"{res.stdout}{res.stderr}"
        )
        assert "Traceback" not in res.stdout + res.stderr
        ran += 1
    assert ran >= 10


def test_the_attestation_of_the_page_names_the_bytes_of_a_demo_report() -> None:
    """If the demo report changes, the page's attestation must follow (it would raise nothing)."""
    text = DOC.read_text(encoding="utf-8")
    digests = re.findall(r"report_sha256: ([0-9a-f]{64})", text)
    reports = {hashlib.sha256(p.read_bytes()).hexdigest() for p in (EXAMPLES / "reports").iterdir()}

    assert digests and set(digests) <= reports
