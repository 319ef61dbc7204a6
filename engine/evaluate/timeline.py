"""A party's timeline under the treaty: entry into force, withdrawal, holidays (GEN-1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from engine.model.commitment import Commitment, Party, TreatyState
from engine.rules.time import add_months


@dataclass(frozen=True)
class Timeline:
    """When the treaty binds one party, and the holidays its working days skip."""

    party: Party
    eif: date | None
    withdrawal: date | None
    holidays: frozenset[date]

    def bound(self, as_of: date) -> bool:
        """Whether the treaty is in force for the party on ``as_of``."""
        return self.eif is not None and self.eif <= as_of


def timeline(party: Party, treaty: TreatyState | None) -> Timeline:
    """The party's timeline: withdrawal takes effect on the date given, else the notice date
    plus the treaty's ``withdrawal_notice_months`` (default 6, clamped to the month's end).
    """
    w = party.withdrawal_effective_on
    if w is None and party.withdrawal_notice_on is not None:
        months = treaty_int(treaty, "withdrawal_notice_months", 6, party.withdrawal_notice_on)
        w = add_months(party.withdrawal_notice_on, months)
    return Timeline(party, party.entry_into_force, w, frozenset(party.holidays))


def treaty_int(treaty: TreatyState | None, name: str, default: int, day: date) -> int:
    """A whole-number treaty parameter in force on ``day``, or ``default``."""
    if treaty is None or name not in treaty.parameters:
        return default
    v = treaty.parameters[name].value_on(day)
    return int(v) if isinstance(v, int | float) and not isinstance(v, bool) else default


def transition_end(c: Commitment, treaty: TreatyState | None, eif: date) -> date:
    """The end of the transition for situations that pre-date entry into force: the
    commitment's ``applicability.transition.months``, else the treaty's ``transition_months``
    (default 24) after ``eif``.
    """
    t = c.applicability.transition
    months = (
        t.months
        if t is not None and t.months is not None
        else treaty_int(treaty, "transition_months", 24, eif)
    )
    return add_months(eif, months)
