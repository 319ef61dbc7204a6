"""Spooling a check: each party's findings rendered to a file of their own as soon as they are made.

``treaty check`` on a large archive never holds every finding: the evaluator hands each party's
findings to a ``PartySpooler``, which renders them with the format's ``PartyStream`` into the
spool folder; ``Spooled.render`` then puts the head and the parts together, byte for byte the
format's rendering of the whole findings document. The streaming formats are those of the
registry (``engine.render.registry``) that have a ``PartyStream``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.model.commitment import Commitment, TreatyState
from engine.model.findings import STATUS_ORDER, Finding, FindingsDocument

PartyRenderer = Callable[
    [Sequence[Finding], TreatyState | None, Mapping[str, Commitment] | None], str
]
"""Renders one party's findings (with the treaty and commitments, for names and titles)."""
Assembler = Callable[[FindingsDocument, Iterable[str]], Iterator[str]]
"""Puts a findings document's head (its summary; its findings are not read) and the rendered
parties together."""


@dataclass(frozen=True)
class PartyStream:
    """How a format is written party by party (the registry's streaming formats).

    ``"".join(assemble(doc, [party(findings, treaty, commitments) for each party]))`` is the
    format's rendering of the whole findings document ``doc``.
    """

    party: PartyRenderer
    assemble: Assembler


def part_path(spool: Path, index: int) -> Path:
    """The file of the party at ``index`` (in party-code order) in the spool folder."""
    return spool / f"{index:06d}.part"


class PartySpooler:
    """``on_party`` for the evaluator: one party's findings filtered, counted, rendered, written.

    The file is the party's in ``spool`` (``part_path``, by the party's place in code order).
    """

    def __init__(
        self,
        spool: Path,
        order: Mapping[str, int],
        stream: PartyStream,
        statuses: Sequence[str],
        treaty: TreatyState,
        commitments: Mapping[str, Commitment],
    ) -> None:
        """Spool into ``spool``; keep the findings of ``statuses`` only (all if empty)."""
        self.spool, self.order, self.stream, self.statuses = spool, order, stream, set(statuses)
        self.treaty, self.commitments = treaty, commitments
        self.counts = dict.fromkeys(STATUS_ORDER, 0)
        """Findings written per status."""

    def __call__(self, code: str, findings: list[Finding]) -> None:
        """Spool the findings of party ``code``."""
        if self.statuses:
            findings = [f for f in findings if f.status in self.statuses]
        for f in findings:
            self.counts[f.status] += 1
        text = self.stream.party(findings, self.treaty, self.commitments)
        part_path(self.spool, self.order[code]).write_text(text, encoding="utf-8")


@dataclass
class Spooled:
    """A check whose findings wait in per-party files, rendered with ``stream``.

    ``head`` is the findings document with its summary and no findings; ``parts`` are the
    parties' files in order.
    """

    head: FindingsDocument
    parts: list[Path]
    stream: PartyStream

    def chunks(self) -> Iterator[str]:
        """The rendered parties, in order (a party with no file had no finding)."""
        for p in self.parts:
            if p.exists():
                yield p.read_text(encoding="utf-8")

    def render(self) -> Iterator[str]:
        """The whole output, in chunks: the head, the parties, the end."""
        return self.stream.assemble(self.head, self.chunks())
