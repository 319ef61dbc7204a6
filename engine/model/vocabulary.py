"""The words findings are made of: statuses, flags and reason codes, each defined once.

``docs/rules.md`` defines what each means; a test checks that the reason codes listed there are
exactly these.
"""

from __future__ import annotations

from typing import Literal, get_args

Status = Literal["breach", "gap", "compliant", "not_applicable"]
STATUSES: tuple[Status, ...] = get_args(Status)
"""Every status, worst first."""
STATUS_ORDER: dict[str, int] = {s: i for i, s in enumerate(STATUSES)}
"""Status -> rank, worst (breach) first: the worst status of a subject wins."""

Flag = Literal[
    "late",
    "missing",
    "missing_report",
    "uncorroborated",
    "contradictory",
    "pending_determination",
    "not_yet_due",
    "transition",
    "unverifiable",
    "insufficient_detail",
    "anomaly",
    "verification_denied",
    "no_sanction_available",
    "pattern_below_threshold",
    "before_entry_into_force",
    "after_withdrawal",
    "quota_exhausted",
]
FLAGS: tuple[Flag, ...] = get_args(Flag)

ReasonCode = Literal[
    # the party or the commitment as a whole
    "not_bound",
    "not_binding_on_party",
    "nothing_owed",
    "absence_unverifiable",
    "absence_missing_report",
    "absence_not_yet_due",
    "absence_compliant",
    # placing the subject in time (GEN-1)
    "undated",
    "act_before_entry_into_force",
    "act_after_withdrawal",
    "act_after_as_of",
    "situation_ended_before_entry_into_force",
    "situation_after_withdrawal",
    "situation_after_as_of",
    "situation_outside_window",
    "transition",
    # any rule
    "outside_rule",
    "parameter_not_in_force",
    "missing_required",
    "readings_disagree",
    "uncorroborated_required",
    "settled",
    # classify
    "classify_case",
    "indicators_present",
    # deadline
    "deadline_anchor_missing",
    "deadline_met",
    "deadline_disputed",
    "deadline_late",
    "deadline_not_yet_due",
    "deadline_missing",
    "excuse_disputed",
    "excused",
    "would_comply_by",
    # periodic
    "cycle_disputed",
    "cycle_met",
    "cycle_late",
    "cycle_missing",
    "cycle_not_yet_due",
    "cycle_missing_required",
    "would_comply_if_submitted_by",
]
"""Why a verdict is what it is: a closed set, documented in docs/rules.md section 13."""
REASON_CODES: tuple[ReasonCode, ...] = get_args(ReasonCode)
