"""The typer app: global options, and the one place where errors become exit codes."""

from __future__ import annotations

import contextlib
import sys
from typing import Annotated, Any, get_type_hints

import typer
from typer.core import TyperGroup

from aireg import __version__
from aireg.errors import AiregError


class AiregGroup(TyperGroup):
    """Turns every AiregError into one sentence on stderr and its exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except AiregError as exc:
            from aireg.render.console import error

            error(f"aireg: {exc}")
            ctx.exit(exc.exit_code)
        except (KeyboardInterrupt, typer.Abort):
            # Ctrl-C at a prompt reaches us as click's Abort ("Aborted!", exit 1 otherwise).
            from aireg.render.console import error

            error("aireg: interrupted; nothing was written.")
            ctx.exit(130)
        except BrokenPipeError:
            ctx.exit(0)


app = typer.Typer(
    cls=AiregGroup,
    name="aireg",
    help=(
        "A git-backed registry of the AI tools a company uses. The person doing the work "
        "chooses the tool; the CTO checks security; every approval is a commit."
    ),
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class State:
    """Global options, passed to commands through the click context."""

    def __init__(self, registry: str | None) -> None:
        self.registry = registry


def _version(value: bool) -> None:
    if value:
        print(f"aireg {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    registry: Annotated[
        str | None,
        typer.Option("--registry", envvar="AIREG_REGISTRY", metavar="PATH",
                     help="The registry's top folder (default: walk up to aireg.yaml)."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only data and errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True,
                           help="Print the version and exit.")
    ] = False,
) -> None:
    from aireg.render.console import state

    state.quiet = quiet
    ctx.obj = State(registry)


def _register() -> None:
    # Each module adds its commands to `app`; none imports a heavy library at import time.
    from aireg.cli import commands_workflow  # noqa: F401  (the six steps first in --help)
    from aireg.cli import commands_read, commands_registry  # noqa: F401
    from aireg.cli import commands_publish  # noqa: F401


_register()


def _evaluate_annotations() -> None:
    """`from __future__ import annotations` leaves every annotation a string, and typer
    evaluates each one three times while it builds the commands, on every run: evaluate
    them once, which halves the cost of building the command tree."""
    for info in (*app.registered_commands, app.registered_callback):
        fn = info.callback if info is not None else None
        if fn is not None:
            # On any failure typer evaluates (and reports) them itself, as before.
            with contextlib.suppress(Exception):
                fn.__annotations__ = get_type_hints(fn, include_extras=True)


def _top_help() -> None:
    """`aireg --help` as typer writes it, from each command's name and docstring, without
    typer first building the options of all twenty commands (a third of what `--help` costs
    beyond importing typer). tests/test_scale.py checks it is typer's text, word for word."""
    import inspect

    import typer.main
    from typer.core import TyperCommand

    commands = app.registered_commands
    app.registered_commands = []
    try:
        group = typer.main.get_command(app)  # the root options, and no command yet
    finally:
        app.registered_commands = commands
    for info in commands:
        fn = info.callback
        if fn is None:  # pragma: no cover - typer requires one
            continue
        group.add_command(TyperCommand(  # type: ignore[attr-defined]
            name=info.name or typer.main.get_command_name(fn.__name__),
            help=inspect.getdoc(fn) if info.help is None else inspect.cleandoc(info.help),
            short_help=info.short_help, hidden=info.hidden, deprecated=info.deprecated,
            rich_markup_mode=app.rich_markup_mode, rich_help_panel=info.rich_help_panel))
    group()


def main() -> None:
    """Console-script entry point."""
    args = sys.argv[1:]
    if args == ["--version"]:
        # Answered before typer builds every command, which is most of the start-up time.
        print(f"aireg {__version__}")
        return
    if args in (["--help"], ["-h"]):
        _top_help()
        return
    _evaluate_annotations()
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - outside a command
        sys.stderr.write("aireg: interrupted; nothing was written.\n")
        sys.exit(130)
