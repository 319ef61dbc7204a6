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

for _optional in ("reports", "negotiate", "keys"):
    try:
        __import__(f"engine.cli.{_optional}")
    except ModuleNotFoundError as _exc:  # a command module not written yet
        if _exc.name != f"engine.cli.{_optional}":
            raise


def _click_modules() -> list[Any]:
    """The click modules whose exceptions typer may raise: recent typer releases vendor their
    own copy (``typer._click``); older ones use click. Both may be installed at once (another
    package may bring click), so the CLI recognises the exceptions of either.
    """
    mods: list[Any] = []
    try:
        from typer import _click  # type: ignore[attr-defined,unused-ignore]

        mods.append(_click)
    except ImportError:
        pass
    try:
        import click  # type: ignore[import-not-found,unused-ignore]

        mods.append(click)
    except ModuleNotFoundError:
        pass
    return mods


def _exception_classes(name: str) -> tuple[type[BaseException], ...]:
    out = []
    for mod in _click_modules():
        exceptions = getattr(mod, "exceptions", mod)
        cls = getattr(exceptions, name, None) or getattr(mod, name, None)
        if isinstance(cls, type):
            out.append(cls)
    return tuple(out)


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
        usage_error = _exception_classes("UsageError")
        abort = _exception_classes("Abort")
        click_exception = _exception_classes("ClickException")
        if isinstance(exc, usage_error):
            err: Any = exc
            msg = err.format_message()
            cmd = err.ctx.command_path if err.ctx else "treaty"
            sys.stderr.write(f"{cmd}: {msg} (see '{cmd} --help')\n")
            sys.exit(ExitCode.USAGE)
        if isinstance(exc, abort):
            sys.exit(130)
        if isinstance(exc, click_exception):
            sys.stderr.write(f"treaty: {getattr(exc, 'format_message', exc.__str__)()}\n")
            sys.exit(ExitCode.USAGE)
        from engine.errors import EngineFault

        code = ExitCode.ENGINE_FAULT
        kind = "rules engine fault" if isinstance(exc, EngineFault) else "internal error"
        text = " ".join(str(exc).split()) or type(exc).__name__
        sys.stderr.write(
            f"treaty: {kind}: {text} (please report this with the inputs that caused it)\n"
        )
        sys.exit(code)
