"""The ``treaty`` command line. Only this package imports typer."""

from __future__ import annotations

import sys
from typing import Any

import typer

from engine import __version__
from engine.cli.exitcodes import ExitCode

app = typer.Typer(
    name="treaty",
    help="Check what states do against what they promised: validate documents, evaluate conduct "
    "reports against treaty commitments, and explain every finding.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"treaty-engine {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """treaty-engine."""


from engine.cli import basic as _basic  # noqa: E402,F401  (registers commands)

for _optional in ("reports", "negotiate"):
    try:
        __import__(f"engine.cli.{_optional}")
    except ModuleNotFoundError as _exc:  # a command module not written yet
        if _exc.name != f"engine.cli.{_optional}":
            raise


def _click_module() -> Any:
    """click, or the copy recent typer releases vendor."""
    try:
        import click  # type: ignore[import-not-found,unused-ignore]

        return click
    except ModuleNotFoundError:
        from typer import _click  # type: ignore[attr-defined,unused-ignore]

        return _click


def main() -> None:
    """Entry point: no traceback ever reaches the user."""
    try:
        rv = app(standalone_mode=False)
        sys.exit(rv if isinstance(rv, int) else 0)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.stderr.write("treaty: interrupted\n")
        sys.exit(130)
    except Exception as exc:  # click usage errors and anything unexpected
        click = _click_module()

        exceptions = getattr(click, "exceptions", click)
        usage_error = getattr(exceptions, "UsageError", ())
        abort = getattr(exceptions, "Abort", getattr(click, "Abort", ()))
        click_exception = getattr(exceptions, "ClickException", ())
        if isinstance(exc, usage_error):
            msg = exc.format_message()
            cmd = exc.ctx.command_path if exc.ctx else "treaty"
            sys.stderr.write(f"{cmd}: {msg} (see '{cmd} --help')\n")
            sys.exit(ExitCode.USAGE)
        if isinstance(exc, abort):
            sys.exit(130)
        if isinstance(exc, click_exception):
            sys.stderr.write(f"treaty: {exc.format_message()}\n")
            sys.exit(ExitCode.USAGE)
        from engine.errors import EngineFault

        code = ExitCode.ENGINE_FAULT
        kind = "rules engine fault" if isinstance(exc, EngineFault) else "internal error"
        text = " ".join(str(exc).split()) or type(exc).__name__
        sys.stderr.write(
            f"treaty: {kind}: {text} (please report this with the inputs that caused it)\n"
        )
        sys.exit(code)
