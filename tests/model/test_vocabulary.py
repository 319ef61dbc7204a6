"""The reason codes are a closed set, and docs/rules.md section 13 documents exactly that set."""

from __future__ import annotations

import re
from pathlib import Path

from engine.model.vocabulary import REASON_CODES

ROOT = Path(__file__).resolve().parents[2]


def test_docs_list_every_reason_code_and_no_other() -> None:
    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    section = text[text.index("## 13. Reason codes") :]
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", section, re.M))
    inner_only = set(re.findall(r"^\* `([a-z_]+)`:", section, re.M))
    assert documented | inner_only == set(REASON_CODES)
    assert not documented & inner_only


def test_every_reason_code_has_words() -> None:
    from engine.explain.wording import _TEMPLATES

    assert set(_TEMPLATES) == set(REASON_CODES)
