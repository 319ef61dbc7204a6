"""The one registry of output formats: name -> renderers, file extensions, streaming.

Every command that writes findings picks its renderer here: ``treaty check`` (the formats that
stream per party), ``treaty report`` (every format), ``treaty lint`` and ``treaty verify`` (the
formats with a lint or verify renderer). A format is one module of ``engine.render`` with a
``render_report(ctx)`` function (and, if it has them, lint, verify and per-party renderers) and
one entry of ``FORMATS`` below.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from engine.model.lint import LintReport
from engine.render import csv, html, json, junit, markdown, sarif, text
from engine.render.context import ReportContext
from engine.render.spool import PartyStream
from engine.render.verify import VerifyResult

ReportRenderer = Callable[[ReportContext], str]
"""Renders a ``treaty report``: the findings of the latest date, trend and baseline delta."""
LintRenderer = Callable[[LintReport], str]
"""Renders the findings of ``treaty lint``."""
VerifyRenderer = Callable[[VerifyResult, str], str]
"""Renders the outcome of ``treaty verify`` (the result, the document's name)."""


@dataclass(frozen=True)
class Format:
    """One output format: its name, the file extensions that imply it, and its renderers."""

    name: str
    """What ``--format`` takes."""
    extensions: tuple[str, ...]
    """Output-file suffixes that imply the format (``--output`` without ``--format``)."""
    report: ReportRenderer
    """Every format renders a ``treaty report``."""
    stream: PartyStream | None = None
    """Set for the formats ``treaty check`` writes party by party."""
    lint: LintRenderer | None = None
    """Set for the formats ``treaty lint`` can write."""
    verify: VerifyRenderer | None = None
    """Set for the formats ``treaty verify`` can write."""


FORMATS: tuple[Format, ...] = (
    Format(
        "text",
        (".txt",),
        text.render_report,
        stream=PartyStream(text.text_party, text.text_stream),
        lint=text.render_lint,
        verify=text.render_verify,
    ),
    Format(
        "json",
        (".json",),
        json.render_report,
        stream=PartyStream(json.json_party, json.json_stream),
        lint=json.render_lint,
        verify=json.render_verify,
    ),
    Format("md", (".md", ".markdown"), markdown.render_report),
    Format("html", (".html", ".htm"), html.render_report),
    Format("csv", (".csv",), csv.render_report),
    Format("sarif", (".sarif", ".sarif.json"), sarif.render_report, lint=sarif.render_lint),
    Format("junit", (".junit.xml", ".xml"), junit.render_report),
)
"""Every format, in the order the docs and the error messages list them."""

Use = Literal["report", "stream", "lint", "verify"]
"""What a format is asked for: a ``treaty report``, a streamed ``treaty check``, lint, verify."""


def names(use: Use = "report") -> tuple[str, ...]:
    """The names of the formats that can render ``use``, in registry order."""
    return tuple(f.name for f in FORMATS if use == "report" or getattr(f, use) is not None)


def get(name: str) -> Format:
    """The format called ``name``.

    Raises:
        ValueError: no format has that name.
    """
    for fmt in FORMATS:
        if fmt.name == name:
            return fmt
    raise ValueError(f"unknown format {name!r}: use one of {', '.join(names())}")


def stream_of(name: str) -> PartyStream:
    """The per-party renderers of a streaming format (``text`` or ``json``).

    Raises:
        ValueError: the format does not exist or does not stream.
    """
    stream = get(name).stream
    if stream is None:
        raise ValueError(
            f"format {name!r} is not streamed: use one of {', '.join(names('stream'))}"
        )
    return stream


def render_report(name: str, ctx: ReportContext) -> str:
    """Render a ``treaty report`` context in the format ``name``.

    Raises:
        ValueError: no format has that name.
    """
    return get(name).report(ctx)


def render_lint(name: str, report: LintReport) -> str:
    """Render lint findings in the format ``name``.

    Raises:
        ValueError: the format does not exist or cannot render lint findings.
    """
    renderer = get(name).lint
    if renderer is None:
        raise ValueError(
            f"format {name!r} cannot show lint findings: use {', '.join(names('lint'))}"
        )
    return renderer(report)


def render_verify(name: str, result: VerifyResult, document: str) -> str:
    """Render the outcome of ``treaty verify`` for ``document`` in the format ``name``.

    Raises:
        ValueError: the format does not exist or cannot render a verify outcome.
    """
    renderer = get(name).verify
    if renderer is None:
        raise ValueError(
            f"format {name!r} cannot show a verification: use {', '.join(names('verify'))}"
        )
    return renderer(result, document)


# --------------------------------------------------------------------------------------------
# Output files


def format_for_path(path: str | Path) -> str | None:
    """The format implied by an output file's name, or None if no format claims its extension.

    The longest matching extension wins: ``r.sarif.json`` is SARIF, ``r.json`` JSON.
    """
    name = Path(path).name.lower()
    matches = [(len(ext), f.name) for f in FORMATS for ext in f.extensions if name.endswith(ext)]
    return max(matches)[1] if matches else None


def plan_outputs(formats: Sequence[str], outputs: Sequence[Path]) -> list[tuple[str, Path | None]]:
    """Pair ``--format`` and ``--output`` values: ``[(format, path or None for stdout)]``.

    * The Nth ``--format`` goes to the Nth ``--output``.
    * An ``--output`` without a ``--format`` at its position takes the format of its extension.
    * ``--format`` values beyond the outputs go to stdout: at most one.
    * Neither given: ``text`` to stdout.

    Raises:
        ValueError: with a message for the user.
    """
    for f in formats:
        if f not in names():
            raise ValueError(f"--format {f!r} is not one of: {', '.join(names())}")
    if not formats and not outputs:
        return [("text", None)]
    plan: list[tuple[str, Path | None]] = []
    seen: set[str] = set()
    for i, out in enumerate(outputs):
        fmt = formats[i] if i < len(formats) else format_for_path(out)
        if fmt is None:
            known = " ".join(ext for f in FORMATS for ext in f.extensions)
            raise ValueError(
                f"--output {out}: cannot tell the format from the name; add --format, "
                f"or end the name with one of {known}"
            )
        key = str(out.resolve()) if out.parent.exists() else str(out)
        if key in seen:
            raise ValueError(f"--output {out} is given twice")
        seen.add(key)
        plan.append((fmt, out))
    extra = list(formats[len(outputs) :])
    if len(extra) > 1:
        raise ValueError(
            f"only one format can go to stdout, but {', '.join(extra)} have no --output: "
            "give an --output for each"
        )
    plan.extend((f, None) for f in extra)
    return plan
