"""The English of verdicts: one sentence template per reason code (docs/rules.md section 13).

A reason is a code with typed values (``engine.evaluate.verdict.Reason``); :func:`words` says
it. Values are formatted here and only here: dates as ISO dates, timestamps in UTC to the minute,
numbers without trailing zeros, lists joined with commas.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from engine.evaluate.verdict import Elapsed, Reason
from engine.rules.time import fmt_duration_hours, fmt_ts

_Args = Mapping[str, Any]


def fmt(v: Any) -> str:
    """A value as an explanation shows it."""
    if isinstance(v, datetime):
        return fmt_ts(v)
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return f"{v:.6g}"
    if isinstance(v, list | tuple):
        return ", ".join(map(str, v)) or "none"
    if isinstance(v, bool):
        return "yes" if v else "no"
    return str(v)


_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def fill(template: str, values: Mapping[str, Any]) -> str:
    """Fill ``{name}`` placeholders with record values; a name that is not reported reads
    "(not reported)"; anything else in braces stays as written.
    """

    def value(m: re.Match[str]) -> str:
        name = m.group(1)
        v = values.get(name)
        if v is not None:
            return fmt(v)
        return "(not reported)" if name.isidentifier() else m.group(0)

    return _PLACEHOLDER.sub(value, template)


def words(r: Reason) -> str:
    """The sentence(s) of a reason, followed by those of its notes."""
    text = _TEMPLATES[r.code](r.args)
    for note in r.notes:
        text += " " + words(note)
    return text


# ------------------------------------------------------------------------------------------
# Pieces


def _kind(name: str) -> str:
    return name.replace("_", " ")


def _field(name: str) -> str:
    """A field name as said in an explanation (virtual fields in words)."""
    return {"party_entry_into_force": "entry into force"}.get(name, name)


def _subject(a: _Args) -> str:
    return f"{_kind(a['kind'])} {a['record']}"


def _rule_text(a: _Args) -> str:
    """The commitment's own explanation before the engine's, when the rule gives one."""
    return fill(a["text"], a["values"]) + " " if a.get("text") else ""


def _elapsed(e: Elapsed | None) -> str:
    if e is None:
        return ""
    if e.unit == "seconds":
        return f": {fmt_duration_hours(e.amount)} {e.word}"
    if e.unit == "working_days":
        return f": {e.amount} working day(s) {e.word}"
    return f": {e.amount} day(s) {e.word}"


def _relation(a: _Args) -> str:
    unit = _kind(a["unit"])
    if a["direction"] == "before":
        return f"{a['amount']} {unit} or more before {_field(a['anchor'])}"
    return f"within {a['amount']} {unit} of {_field(a['anchor'])}"


def _anchored(a: _Args) -> str:
    return f"{_subject(a)} ({_field(a['anchor'])} {fmt(a['anchor_value'])})"


def _fulfilled(a: _Args) -> str:
    """The fulfilment, e.g. "Notification N1 on <at> for training run R (start D): 41 day(s)
    before".
    """
    what = _kind(a["what"]).capitalize()
    return f"{what} {a['fulfilment']} on {fmt(a['at'])} for {_anchored(a)}{_elapsed(a['elapsed'])}"


# ------------------------------------------------------------------------------------------
# Templates, by reason code


def _not_bound(a: _Args) -> str:
    if a["eif"] is None:
        return f"{a['party']} is not bound: the treaty has not entered into force for it."
    return (
        f"{a['party']} is not bound on {a['as_of']}: the treaty enters into force for it on "
        f"{a['eif']}."
    )


def _nothing_owed(a: _Args) -> str:
    why = (
        f"{a['party']}'s withdrawal took effect on {a['withdrawal']}, before the first due date."
        if a["withdrawal"]
        else "no due date falls in the period."
    )
    return f"No report under {a['commitment']} was owed: {why}"


def _readings_disagree(a: _Args) -> str:
    disputed = ", ".join(a["disputed"]) or "the record"
    parts = "; ".join(f"per {sources}: {status}" for sources, status in a["readings"])
    return (
        f"Sources disagree on {disputed} and the readings lead to different verdicts ({parts}); "
        "an inspection or clarification would settle it."
    )


def _classify_case(a: _Args) -> str:
    if a["text"]:
        return fill(a["text"], a["values"])
    return f"{_subject(a)}: {a['status'].replace('_', ' ')}."


_TEMPLATES: dict[str, Callable[[_Args], str]] = {
    "not_bound": _not_bound,
    "not_binding_on_party": lambda a: f"{a['commitment']} binds only {', '.join(a['parties'])}.",
    "nothing_owed": _nothing_owed,
    "absence_unverifiable": lambda a: (
        f"No relevant records about {a['party']}, and the commitment names no periodic report "
        "that would show their absence: compliance cannot be established."
    ),
    "absence_missing_report": lambda a: (
        f"No relevant records about {a['party']}, but the reports that would show it "
        f"({', '.join(a['missing'])}) were not submitted: absence of evidence is not compliance."
    ),
    "absence_not_yet_due": lambda a: (
        f"No relevant records about {a['party']}, and no report under {', '.join(a['refs'])} "
        "was due yet."
    ),
    "absence_compliant": lambda a: (
        f"No relevant conduct reported for {a['party']}, and every report due under "
        f"{', '.join(a['refs'])} was submitted."
    ),
    "undated": lambda a: (
        f"The record does not report {a['field']}, so it cannot be placed in time."
    ),
    "act_before_entry_into_force": lambda a: (
        f"The act is dated {a['day']}, before the treaty entered into force for {a['party']} "
        f"on {a['eif']}."
    ),
    "act_after_withdrawal": lambda a: (
        f"The act is dated {a['day']}, on or after {a['party']}'s withdrawal took effect on "
        f"{a['withdrawal']}."
    ),
    "act_after_as_of": lambda a: f"The act is dated {a['day']}, after the as-of date {a['as_of']}.",
    "situation_ended_before_entry_into_force": lambda a: (
        f"The situation ended on {a['end']}, before entry into force on {a['eif']}."
    ),
    "situation_after_withdrawal": lambda a: (
        f"The situation began on {a['start']}, after withdrawal took effect on {a['withdrawal']}."
    ),
    "situation_after_as_of": lambda a: (
        f"The situation begins on {a['start']}, after the as-of date {a['as_of']}."
    ),
    "situation_outside_window": lambda a: (
        f"The situation ({a['start']} to {a['end']}) falls outside the period the treaty binds "
        f"{a['party']}."
    ),
    "transition": lambda a: (
        f"Pre-existing situation within the transition period (until {a['until']}): "
        f"{words(a['inner'])} This would be a breach after the transition."
    ),
    "outside_rule": lambda a: f"In this reading {_subject(a)} is outside the rule.",
    "parameter_not_in_force": lambda a: (
        f"No value of {', '.join(a['names'])} is in force on the record's date."
    ),
    "missing_required": lambda a: (
        f"{_subject(a)} does not report {', '.join(a['fields'])}, which the rule needs."
    ),
    "readings_disagree": _readings_disagree,
    "uncorroborated_required": lambda a: (
        f"{words(a['inner'])} It rests only on the party's own report, and independent "
        "evidence is required."
    ),
    "settled": lambda a: (
        f"Sources disagreed on {', '.join(a['fields'])} of {a['record']}; the "
        f"{', '.join(a['settlers'])} evidence settles it."
    ),
    "classify_case": _classify_case,
    "indicators_present": lambda a: f"Indicators present: {'; '.join(a['indicators'])}.",
    "deadline_anchor_missing": lambda a: (
        f"{_subject(a)} does not report {', '.join(a['fields'])}, so the deadline cannot be "
        "computed."
    ),
    "deadline_met": lambda a: f"{_fulfilled(a)}; required {_relation(a)}: by {fmt(a['due'])}.",
    "deadline_disputed": lambda a: (
        f"Sources disagree whether {_kind(a['what'])} {a['fulfilment']} for {_subject(a)} met "
        f"the deadline ({fmt(a['due'])})."
    ),
    "deadline_late": lambda a: f"{_rule_text(a)}{_fulfilled(a)}; required {_relation(a)}.",
    "deadline_not_yet_due": lambda a: (
        f"No {_kind(a['what'])} yet for {_subject(a)}; it is due by {fmt(a['due'])}, after the "
        f"as-of date {a['as_of']}."
    ),
    "deadline_missing": lambda a: (
        f"{_rule_text(a)}No {_kind(a['what'])} for {_anchored(a)}; it was due by {fmt(a['due'])}."
    ),
    "excuse_disputed": lambda a: (
        f"Sources disagree whether {_kind(a['excuse_kind'])} {a['excuse']} excuses "
        f"{_subject(a)} from the deadline."
    ),
    "excused": lambda a: (
        f"{_rule_text(a)}{_kind(a['excuse_kind']).capitalize()} {', '.join(a['excuses'])} "
        f"excuses {_subject(a)} from the deadline (due by {fmt(a['due'])})."
    ),
    "would_comply_by": lambda a: (
        f"would comply if the {_kind(a['what'])} had been made by {fmt(a['due'])}"
    ),
    "cycle_disputed": lambda a: (
        f"Sources disagree about the {_kind(a['what'])} for the cycle due {a['due']}; the "
        f"readings lead to different verdicts ({', '.join(a['statuses'])})."
    ),
    "cycle_met": lambda a: (
        f"{_kind(a['what']).capitalize()} {a['record']} submitted {fmt(a['at'])}; due by "
        f"{a['due']} (23:59:59 UTC)."
    ),
    "cycle_late": lambda a: (
        f"{_kind(a['what']).capitalize()} {a['record']} submitted {fmt(a['at'])}, "
        f"{a['late_days']} day(s) after the due date {a['due']}."
    ),
    "cycle_missing": lambda a: f"No {_kind(a['what'])} was submitted for the cycle due {a['due']}.",
    "cycle_not_yet_due": lambda a: (
        f"The next {_kind(a['what'])} is due by {a['due']}, on or after the as-of date "
        f"{a['as_of']}."
    ),
    "cycle_missing_required": lambda a: (
        f"{_kind(a['what']).capitalize()} {a['record']} does not report {', '.join(a['fields'])}."
    ),
    "would_comply_if_submitted_by": lambda a: (
        f"would comply if submitted by {a['due']} 23:59:59 UTC"
    ),
}
