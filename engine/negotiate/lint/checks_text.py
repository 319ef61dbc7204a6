"""Checks of a commitment's text against its definitions and parameters.

TE301 (vague terms without definition), TE302 (definitions never used), TE303 (terms of art
nobody defines), TE401 (``{name}`` placeholders that are not parameters), TE402 (parameters
used nowhere) and TE403 (figures in the text that are not parameters). Each check yields its
findings; the heuristics over the text are in ``clause_text``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from engine.model.commitment import Commitment, TreatyState
from engine.negotiate.lint.catalogue import LintFinding
from engine.negotiate.lint.clause_text import (
    PLACEHOLDER_RX,
    QUOTED_RX,
    TREATY_GLOSSARY,
    Figure,
    capitalised_terms,
    figure_matches,
    norm_term,
    numeric_values,
    term_rx,
    term_variants,
    text_figures,
)
from engine.negotiate.lint.inputs import LintDoc, LintInput
from engine.negotiate.lint.rule_facts import find_param, param_uses, param_values, rule_numbers


def json_pointer_key(key: str) -> str:
    """A mapping key as one JSON-pointer segment (``~`` and ``/`` escaped)."""
    return key.replace("~", "~0").replace("/", "~1")


def _texts(c: Commitment) -> list[tuple[int, str]]:
    return list(enumerate(t.text for t in c.text))


def vague(
    inp: LintInput, doc: LintDoc, c: Commitment, extra: Sequence[str]
) -> Iterator[LintFinding]:
    """TE301: the treaty's vague terms (and ``extra`` ones) used without a definition."""
    t = inp.treaty_model
    terms = list(
        t.vague_terms
        if t
        else TreatyState.model_fields["vague_terms"].get_default(call_default_factory=True)
    )
    terms += extra
    keys = [norm_term(k) for k in c.definitions]
    for i, text in _texts(c):
        if c.text[i].lang != "en":
            continue
        for term in dict.fromkeys(terms):
            m = term_rx(term).search(text)
            if not m:
                continue
            nt = norm_term(term)
            if any(nt in k for k in keys):
                continue
            ptr = f"/text/{i}/text"
            yield doc.finding(
                "TE301",
                ptr,
                f"the text uses the vague term {term!r} without a definition",
                f"define {term!r} under definitions with something checkable, or "
                "replace it with a figure",
                line=inp.text_line(doc, ptr, m.group(0)),
            )


def terms(inp: LintInput, doc: LintDoc, c: Commitment) -> Iterator[LintFinding]:
    """TE302 and TE303: definitions the text never uses, terms it uses that nobody defines."""
    all_text = " ".join(t.text for t in c.text)
    for term in c.definitions:
        # "compute unaccounted for (CUF)": the term or its parenthesised short form counts
        forms = [term, re.sub(r"\s*\([^)]*\)", "", term)] + re.findall(r"\(([^)]+)\)", term)
        if not any(f.strip() and term_rx(f).search(all_text) for f in forms):
            yield doc.finding(
                "TE302",
                f"/definitions/{json_pointer_key(term)}",
                f"the defined term {term!r} is never used in the text",
                "use the term in the text, or remove the definition",
            )
    for i, text in _texts(c):
        if c.text[i].lang != "en":
            continue
        ptr = f"/text/{i}/text"
        for term in _terms_of_art(text):
            if _defined_anywhere(inp, term, c):
                continue
            yield doc.finding(
                "TE303",
                ptr,
                f"the text uses the term {term!r}, which no commitment defines",
                f"add {term!r} under definitions",
                line=inp.text_line(doc, ptr, term),
            )


def _terms_of_art(text: str) -> list[str]:
    """Quoted terms (six words at most) and capitalised multi-word terms, once each."""
    found: dict[str, str] = {}
    for m in QUOTED_RX.finditer(text):
        term = m.group(1).strip()
        if 0 < len(term.split()) <= 6:
            found.setdefault(norm_term(term), term)
    for term in capitalised_terms(text):
        found.setdefault(norm_term(term), term)
    return list(found.values())


def _defined_anywhere(inp: LintInput, term: str, c: Commitment) -> bool:
    variants = term_variants(term)
    for other in [c, *inp.context.values()]:
        for key in other.definitions:
            if term_variants(key) & variants:
                return True
    return bool(variants & TREATY_GLOSSARY)


def parameters(inp: LintInput, doc: LintDoc, c: Commitment) -> Iterator[LintFinding]:
    """TE401, TE402 and TE403: placeholders, unused parameters and stray figures."""
    texts = _texts(c)
    placeholders: set[str] = set()
    yield from _placeholders(inp, doc, c, texts, placeholders)
    figures = [(i, f) for i, text in texts for f in text_figures(text)]
    yield from _unused_parameters(doc, c, texts, figures, placeholders)
    yield from _stray_figures(inp, doc, c, figures)


def _placeholders(
    inp: LintInput,
    doc: LintDoc,
    c: Commitment,
    texts: list[tuple[int, str]],
    seen: set[str],
) -> Iterator[LintFinding]:
    """TE401: ``{name}`` in the text with no such parameter (every name goes into ``seen``)."""
    treaty = inp.treaty_model
    for i, text in texts:
        ptr = f"/text/{i}/text"
        for m in PLACEHOLDER_RX.finditer(text):
            name = m.group(1)
            seen.add(name)
            if find_param(c, treaty, name) is None:
                yield doc.finding(
                    "TE401",
                    ptr,
                    f"the text names the parameter {{{name}}}, which is not defined",
                    f"define {name} under parameters, or fix the name",
                    line=inp.text_line(doc, ptr, m.group(0)),
                )


def _unused_parameters(
    doc: LintDoc,
    c: Commitment,
    texts: list[tuple[int, str]],
    figures: list[tuple[int, Figure]],
    placeholders: set[str],
) -> Iterator[LintFinding]:
    """TE402: a parameter no rule reads, no placeholder names and no figure or word states."""
    used_by_rules = {name for name, _, _ in param_uses(c)}
    for name, p in c.parameters.items():
        if name in used_by_rules or name in placeholders:
            continue
        vals = param_values(p)
        nums = numeric_values(vals)
        in_text = any(figure_matches(f, nums) for _, f in figures) if nums else False
        if not in_text:
            strs = [v for v in vals if isinstance(v, str) and not isinstance(v, bool)]
            strs += [x for v in vals if isinstance(v, list) for x in v]
            in_text = bool(strs) and all(
                any(re.search(rf"(?<!\w){re.escape(s)}(?!\w)", t) for _, t in texts) for s in strs
            )
        if not in_text:
            yield doc.finding(
                "TE402",
                f"/parameters/{json_pointer_key(name)}",
                f"the parameter {name} is used neither by a rule nor by the text",
                "reference it from a rule ({param: " + name + "}), name it in the "
                "text, or remove it",
            )


def _stray_figures(
    inp: LintInput, doc: LintDoc, c: Commitment, figures: list[tuple[int, Figure]]
) -> Iterator[LintFinding]:
    """TE403: a figure with a unit that matches no parameter and no number of the rules."""
    treaty = inp.treaty_model
    known = [v for p in c.parameters.values() for v in numeric_values(param_values(p))]
    if treaty is not None:
        known += [v for p in treaty.parameters.values() for v in numeric_values(param_values(p))]
    known += sorted(rule_numbers(c))
    reported: set[str] = set()
    for i, fig in figures:
        if fig.unit is None or figure_matches(fig, known):
            continue
        key = norm_term(fig.text)
        if key in reported:
            continue
        reported.add(key)
        ptr = f"/text/{i}/text"
        yield doc.finding(
            "TE403",
            ptr,
            f"the figure {fig.text.strip()!r} in the text is not a parameter and no rule uses it",
            "make it a parameter with a unit so rules and what-if sweeps can use it",
            line=inp.text_line(doc, ptr, fig.text),
        )
