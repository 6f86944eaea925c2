"""The typer app: global options, and the one place where errors become exit codes."""

from __future__ import annotations

import contextlib
import functools
import sys
from typing import TYPE_CHECKING, Annotated, Any, get_type_hints

import typer
from typer.core import TyperGroup

from aireg import __version__
from aireg.errors import UNEXPECTED_EXIT, AiregError


@functools.cache
def _click_exits() -> tuple[type[BaseException], ...]:
    """click's exceptions for --help, usage errors and exits (typer may vendor click)."""
    kinds: list[type[BaseException]] = [typer.Exit, typer.Abort]
    kinds += [k for k in (getattr(typer, "TyperException", None),) if isinstance(k, type)]
    try:
        import click
    except ImportError:  # pragma: no cover - a typer that vendors click only
        return tuple(kinds)
    return (*kinds, click.exceptions.Exit, click.ClickException)

if TYPE_CHECKING:
    from aireg.render.console import Terminal


# Global options a user may type after the command too, as with git and cargo:
# `aireg list --registry ../acme -q` is `aireg --registry ../acme -q list`.
GLOBAL_FLAGS = ("-q", "--quiet")
GLOBAL_VALUED = ("--registry",)


def hoist_globals(args: list[str]) -> list[str]:
    """Move global options that follow the command in front of it (never after `--`)."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            rest += args[i:]
            break
        if a in GLOBAL_FLAGS:
            front.append(a)
        elif a in GLOBAL_VALUED and i + 1 < len(args):
            front += [a, args[i + 1]]
            i += 1
        elif any(a.startswith(f"{g}=") for g in GLOBAL_VALUED):
            front.append(a)
        else:
            rest.append(a)
        i += 1
    return front + rest


COMMAND_ORDER = (
    "propose", "advance", "edit", "review", "measure", "reassess", "withdraw", "retire",
    "list", "show", "log", "due", "report", "audit",
    "init", "validate", "import", "codeowners", "schema",
)


def terminal(ctx: Any) -> Terminal:
    """The run's terminal, made by the root callback (a fresh one before it ran)."""
    from aireg.render.console import Terminal

    obj = ctx.find_root().obj if ctx is not None else None
    term = getattr(obj, "terminal", None)
    return term if isinstance(term, Terminal) else Terminal()


class AiregGroup(TyperGroup):
    """The one place where results and errors become exits: a command's Outcome its exit
    code, every AiregError one sentence on stderr and its exit code, and anything else (a
    bug) one sentence with the version and where to report it (aireg.crash)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_globals(list(args)))

    def list_commands(self, ctx: Any) -> list[str]:
        # The six steps first, in their order; then reading, then the registry; commands
        # not named here follow in the order they were registered.
        rank = {name: i for i, name in enumerate(COMMAND_ORDER)}
        names = list(self.commands)
        return sorted(names, key=lambda n: (rank.get(n, len(rank)), names.index(n)))

    def invoke(self, ctx: Any) -> Any:
        try:
            result = super().invoke(ctx)
        except AiregError as exc:
            terminal(ctx).error(f"aireg: {exc}")
            ctx.exit(exc.exit_code)
        except (KeyboardInterrupt, typer.Abort):
            # Ctrl-C at a prompt reaches us as click's Abort ("Aborted!", exit 1 otherwise).
            terminal(ctx).error("aireg: interrupted; nothing was written.")
            ctx.exit(130)
        except BrokenPipeError:
            ctx.exit(0)
        except _click_exits():
            raise  # click's own: --help, usage errors, the exits below
        except Exception as exc:
            from aireg import crash

            terminal(ctx).error(f"aireg: {crash.report(exc, sys.argv[1:])}")
            ctx.exit(UNEXPECTED_EXIT)
        code = getattr(result, "exit_code", 0)
        if code:
            ctx.exit(code)
        return result


def _plain_arguments() -> None:
    """Arguments in help as people read them: `ID`, `[ID]`, `[PATH]...`, never typer's
    `{ID}`, `ID <str>` or `[[PATH]...]...`."""
    from typer.core import TyperArgument

    def usage(self: TyperArgument) -> str:
        name = self.metavar or str(self.name).upper()
        if not self.required and not name.startswith("["):
            name = f"[{name}]"
        if self.nargs != 1 and not name.endswith("..."):
            name += "..."
        return name

    def display_type(self: TyperArgument, ctx: Any) -> str:
        return ""

    TyperArgument._usage_display_name = usage  # type: ignore[method-assign]
    TyperArgument._rich_display_name = usage  # type: ignore[method-assign]
    TyperArgument.display_type = display_type  # type: ignore[method-assign,assignment]


_plain_arguments()

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
    """Global options and the run's terminal, passed to commands through the click context."""

    def __init__(self, registry: str | None, terminal: Terminal) -> None:
        self.registry = registry
        self.terminal = terminal


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
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only data and errors.")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True,
                           help="Print the version and exit.")
    ] = False,
) -> None:
    from aireg.render.console import Terminal

    ctx.obj = State(registry, Terminal(quiet=quiet))


def _register() -> None:
    # Each module adds its commands to `app`; none imports a heavy library at import time.
    # (--help lists them in COMMAND_ORDER, whatever the order of these imports.)
    from aireg.cli import (  # noqa: F401
        commands_advance,
        commands_publish,
        commands_read,
        commands_registry,
        commands_workflow,
    )


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
        from aireg.render.console import Terminal

        Terminal().error("aireg: interrupted; nothing was written.")
        sys.exit(130)
