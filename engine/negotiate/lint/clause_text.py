"""Heuristics over clause text: figures with units, terms of art, vague words.

The checks of ``docs/lint.md`` sections TE3xx and TE4xx read the English text of a commitment
with these: ``text_figures`` finds numbers with the unit after them (``42 days``, ``10^26
operations``), ``capitalised_terms`` finds capitalised multi-word terms (``Great Power``), and
the term helpers match a term with its plural and hyphenation variants.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# Words of the treaty itself that need no definition in each commitment.
TREATY_GLOSSARY = {
    "party",
    "parties",
    "state",
    "states",
    "treaty",
    "this treaty",
    "secretariat",
    "chair",
    "conference of the parties",
    "the conference of the parties",
    "each party",
    "all parties",
}
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_CONNECTORS = {"of", "the", "for", "on"}
_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "sixty": 60,
    "ninety": 90,
    "twice": 2,
    "once": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
}


_NUM_RX = re.compile(
    r"(?<![\w.^/-])"
    r"(?P<num>10\^-?\d+|\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
    r"(?:\s?[×x]\s?10\^-?\d+)?)"
    r"(?![\w^])",
)
_WORD_NUM_RX = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.I)
_UNIT_RX = re.compile(
    r"\s*(?:(?:calendar|working)\s+)?"
    r"(?P<unit>days?|hours?|months?|years?|weeks?|FLOP|operations|ops/s|Gbit/s|H100e|"
    r"H100-equivalents|%|per\s?cent|percent)(?![\w])",
    re.I,
)
PLACEHOLDER_RX = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
"""A parameter named in the text: ``{name}``."""
QUOTED_RX = re.compile(r"[\"“]([^\"“”]{2,80})[\"”]")
"""A quoted term of art: ``"covered facility"``."""
_WORD_RX = re.compile(r"[A-Za-z][\w'’-]*|[.;:!?,()]")


def parse_number(text: str) -> float | None:
    """The value of a number as the text writes it (``1,700``, ``10^26``, ``2×10^25``), or None."""
    s = text.replace(",", "").replace(" ", "")
    m = re.fullmatch(r"(?:(\d+(?:\.\d+)?)[×x])?10\^(-?\d+)", s)
    if m:
        return float(f"{m.group(1) or '1'}e{int(m.group(2))}")
    try:
        return float(s)
    except ValueError:
        return None


@dataclass(frozen=True)
class Figure:
    """A number in a clause: its text (with the unit), value, unit word and offset."""

    text: str
    value: float
    unit: str | None
    start: int


def text_figures(text: str) -> list[Figure]:
    """Numbers in a clause, with the unit word that follows them (if any).

    Dates (``15 December``) are not figures; percentages also match their fraction (90 % = 0.9).
    """
    out: list[Figure] = []
    for m in _NUM_RX.finditer(text):
        after = text[m.end() :]
        if re.match(r"\s*(?:" + "|".join(_MONTHS) + r")\b", after, re.I):
            continue
        value = parse_number(m.group("num"))
        if value is None:
            continue
        um = _UNIT_RX.match(after)
        out.append(
            Figure(
                m.group(0) + (um.group(0) if um else ""),
                value,
                um.group("unit") if um else None,
                m.start(),
            )
        )
    for m in _WORD_NUM_RX.finditer(text):
        after = text[m.end() :]
        um = _UNIT_RX.match(after)
        out.append(
            Figure(
                m.group(0) + (um.group(0) if um else ""),
                float(_NUMBER_WORDS[m.group(1).lower()]),
                um.group("unit") if um else None,
                m.start(),
            )
        )
    return out


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


_UNIT_FACTORS = {
    "%": [0.01],
    "percent": [0.01],
    "per cent": [0.01],
    "year": [12.0, 365.0],
    "week": [7.0],
    "day": [24.0],
    "hour": [1 / 24],
}


def figure_matches(fig: Figure, values: Iterable[float]) -> bool:
    """Whether the figure equals one of ``values`` (also as a fraction, in months, days...)."""
    cands = [fig.value]
    unit = re.sub(r"\s+", " ", (fig.unit or "").strip().lower())
    unit = unit[:-1] if unit.endswith("s") and unit not in ("ops/s", "gbit/s") else unit
    cands += [fig.value * f for f in _UNIT_FACTORS.get(unit, [])]
    return any(_close(c, v) for c in cands for v in values)


def numeric_values(values: Iterable[Any]) -> list[float]:
    """The numbers among parameter values, as floats (true/false are not numbers)."""
    return [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]


def term_rx(term: str) -> re.Pattern[str]:
    """A pattern matching the term as a whole word, any case, spaces or hyphens, plural too."""
    parts = [re.escape(p) for p in re.split(r"[\s-]+", term.strip()) if p]
    body = r"[\s-]+".join(parts)
    return re.compile(r"(?<![\w])" + body + r"(?:s|es)?(?![\w])", re.I)


def norm_term(term: str) -> str:
    """The term in lower case, with single spaces for spaces and hyphens."""
    t = " ".join(re.split(r"[\s-]+", term.strip().lower()))
    return t


def term_variants(term: str) -> set[str]:
    """The normalised term with its singular and plural forms."""
    t = norm_term(term)
    out = {t}
    for suf in ("es", "s"):
        if t.endswith(suf):
            out.add(t[: -len(suf)])
    out.add(t + "s")
    return out


def capitalised_terms(text: str) -> list[str]:
    """Capitalised multi-word terms in a clause (``Great Power``, ``Conference of the Parties``).

    A run of two or more capitalised words (connectors of/the/for/on allowed inside)
    counts; a sentence's first word counts only if it is not an ordinary sentence opener, which
    is approximated by dropping it. Month names and runs made only of treaty-glossary words are
    left out.
    """
    tokens = _WORD_RX.findall(text)
    out: list[str] = []
    run: list[str] = []
    sentence_start = True

    def flush() -> None:
        while run and run[-1].lower() in _CONNECTORS:
            run.pop()
        caps = [w for w in run if w[0].isupper()]
        if len(caps) >= 2:
            term = " ".join(run)
            if term.lower() not in TREATY_GLOSSARY and not all(
                w.lower() in TREATY_GLOSSARY or w.lower() in _MONTHS or w.lower() in _CONNECTORS
                for w in run
            ):
                out.append(term)
        run.clear()

    for tok in tokens:
        if tok in ".!?":
            flush()
            sentence_start = True
            continue
        if tok in ",();:" or any(ch.isdigit() for ch in tok):
            flush()
            sentence_start = False
            continue
        if tok[0].isupper() and tok.lower() not in _MONTHS:
            if sentence_start:
                sentence_start = False
                continue
            run.append(tok)
        elif run and tok.lower() in _CONNECTORS:
            run.append(tok)
        else:
            flush()
        sentence_start = False
    flush()
    return out
