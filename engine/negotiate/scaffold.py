"""Scaffolds for new documents (``treaty new commitment ID``).

The scaffold is a *valid* commitment document as written: every value the negotiator must
choose carries a ``TODO`` marker (in the value, or in a comment on its line when the value must
be one of a fixed set), and ``treaty lint`` reports each marker as TE900 until it is gone. Every
section carries a comment saying what belongs there. Once the markers are replaced the document
still validates and its example rule compiles, so the negotiator can change it step by step with
``treaty lint`` and ``treaty validate`` as a guide.
"""

from __future__ import annotations

import re

from engine.model.commitment import COMMITMENT_ID

CATEGORIES = (
    "non_exclusivity",
    "shared_standards",
    "confidence_building",
    "transparency",
    "export",
    "incident_response",
    "general",
)

TODO = "TODO"

_TEMPLATE = """\
# Commitment {id}: a scaffold written by 'treaty new commitment'.
# Replace every to-do marker (in values and in the comments beside them), then run
#   treaty lint {id}.yaml
# until it reports no error. The rule language is in docs/rules.md, the lint codes in
# docs/lint.md. Delete these comments when you no longer need them.
document: commitment

# Stable id: never reuse or renumber it; diffs and findings refer to it. Rules are numbered
# {id}.R1, {id}.R2, ...
id: {id}

# A short title, as in the catalogue.
title: "{title}"

# The pillar of the treaty it serves, one of:
# {categories}.
category: {category}{category_todo}

# obligation (shall), prohibition (shall not) or permission (may).
modality: obligation  # TODO: choose the modality

# Severity of a breach: low, medium, high or critical.
severity: medium  # TODO: choose the severity

# The authentic text, one entry per language. Write each figure as its parameter states it
# (e.g. "within 14 days", "10^26 operations") so lint can match text and parameters, and avoid
# vague words (appropriate, promptly, significant...) unless they are defined below.
text:
  - lang: en
    text: >-
      TODO: the clause text, e.g. Each Party shall notify all Parties within 14 days of
      becoming aware of a serious AI incident.

# Named values the text and the rules use: thresholds (unit and comparison: strict or
# inclusive), deadlines (unit and time_zone: UTC), lists of States. Use versions: [...] with
# valid_from/valid_to when a value changes over time.
parameters:
  notice_days:
    description: "TODO: what the figure means, quoting the text"
    unit: days
    time_zone: UTC
    value: 14  # TODO: the figure from the text

# Terms of art used in the text, each with a definition a rule or an inspector can apply.
definitions:
  "TODO: a term used in the text": "TODO: its definition"

# Who is bound. parties: all, or a list of alpha-3 codes; transition: months for situations
# that existed before a Party's entry into force (absent = the treaty default).
applicability:
  parties: all

# How compliance is verified: which record kinds each Party (or others) must report, when and
# how often. Every kind a rule reads must be listed here, or lint reports TE110.
# evidence_from names periodic commitments whose reports show the absence of relevant conduct.
verification:
  reports:
    - what: "TODO: the data to be reported"
      kinds: [incident, notification]  # TODO: the record kinds the rules read
      deadline: "TODO: when it is due, in words"
      frequency: event  # TODO: once, event, annual, biennial or on_request
      min_evidence: self
  evidence_from: []  # TODO: e.g. [TR-1], or leave empty

# What happens on breach: the mechanism, its response deadline and whether a sanction exists.
enforcement:
  mechanism: "TODO: e.g. consultation, then referral to the Conference of the Parties"
  response_deadline_days: 30  # TODO: days within which the mechanism responds
  sanction_available: false  # TODO: true if a sanction can be imposed

# Machine-checkable rules (docs/rules.md): classify (each record gets a status), deadline (a
# triggering record needs a correlated fulfilling record in time) or periodic (a submission is
# due on a schedule). The example below is a deadline rule: replace it with your own.
rules:
  - id: {id}.R1
    type: deadline
    clause: "TODO: the words of the text this rule checks"
    description: "TODO: what the rule checks, in plain words"
    scope: {{event: aware_at}}  # TODO: the date field that dates the act
    trigger:
      kind: incident  # TODO: the record kind that starts the obligation
    fulfil:
      kind: notification  # TODO: the record kind that discharges it
      where: {{field: channel, op: eq, value: {id}}}
      match: {{about: id}}
      at: sent_at
    deadlines:
      - anchor: aware_at  # TODO: the field the deadline counts from
        offset: {{amount: {{param: notice_days}}, unit: days}}
        label: "TODO: the deadline in words, e.g. 14 days"
    on_late:
      status: breach
      flags: [late]
      explain: "TODO: why a late notification is a breach; {{id}} and other fields are filled in"
    on_missing:
      status: breach
      flags: [missing]
      explain: "TODO: why a missing notification is a breach"

# full: the rules decide every case; partial: some cases need a human determination (the rules
# give gap with flag pending_determination); none: no rule can check it.
machine_checkable: full  # TODO: full, partial or none

# Open figures and design choices: mark D (design choice) or † (not yet confirmed against the
# primary text), e.g. - {{on: notice_days, mark: D, text: "..."}}
notes: []
"""


def valid_id(cid: str) -> bool:
    """Whether ``cid`` is a valid commitment id (e.g. ``CB-6``)."""
    return re.fullmatch(COMMITMENT_ID.strip("^$"), cid) is not None


def scaffold_commitment(cid: str, *, title: str | None = None, category: str | None = None) -> str:
    """The YAML text of a new commitment ``cid`` with a comment in every section.

    Raises:
        ValueError: the id does not have the form of a commitment id, or the category is unknown.
    """
    if not valid_id(cid):
        raise ValueError(
            f"{cid!r} is not a commitment id: write letters, a hyphen and a number, "
            "e.g. CB-6 or TR-12a"
        )
    if category is not None and category not in CATEGORIES:
        raise ValueError(f"category {category!r} is not one of: {', '.join(CATEGORIES)}")
    safe_title = (title or f"{TODO}: a short title").replace("\\", "\\\\").replace('"', '\\"')
    return _TEMPLATE.format(
        id=cid,
        title=safe_title,
        category=category or "general",
        category_todo="" if category else f"  # {TODO}: choose the pillar",
        categories=", ".join(CATEGORIES),
    )


def todo_lines(text: str) -> list[int]:
    """1-based numbers of the lines that still carry a TODO marker."""
    return [n for n, line in enumerate(text.splitlines(), start=1) if TODO in line]


__all__ = ["CATEGORIES", "scaffold_commitment", "todo_lines", "valid_id"]
