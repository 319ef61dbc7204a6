"""Exit codes of the ``treaty`` command, documented in the README."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """The exit codes of ``treaty`` (README, "Exit codes")."""

    OK = 0
    """No breach (and no gap with ``--fail-on gap``); valid input; lint without errors."""
    FINDINGS = 1
    """At least one breach (or gap with ``--fail-on gap``), lint errors, or verify mismatch."""
    USAGE = 2
    """Bad command line: unknown option, missing path, bad date."""
    INVALID_INPUT = 3
    """An input document is invalid; one line per problem on stderr."""
    ENGINE_FAULT = 4
    """The rules engine misbehaved; please report it."""
