"""What every command shares: the registry in use, the terminal, asking for what is
missing, and `--format` options derived from the reporter registry."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from aireg.errors import MissingInput, UsageError
from aireg.render import formats

if TYPE_CHECKING:
    from pathlib import Path

    from aireg.cli.prompts import Form
    from aireg.render.console import Terminal
    from aireg.repo import Registry

NoInput = Annotated[
    bool,
    typer.Option("--no-input", help="Never prompt: a missing value is an error naming its flag."),
]


def registry(ctx: typer.Context) -> Registry:
    from aireg.repo import Registry

    state = ctx.find_root().obj
    return Registry.find(getattr(state, "registry", None))


def term(ctx: typer.Context, no_input: bool = False) -> Terminal:
    """The run's terminal; `no_input` (the command's --no-input) turns its prompts off."""
    from aireg.cli.main import terminal

    t = terminal(ctx)
    t.no_input = t.no_input or no_input
    return t


def need(
    t: Terminal,
    value: Any,
    flag: str,
    label: str,
    form: Form | None = None,
    *,
    optional: bool = False,
) -> Any:
    """`value` when given; else asked on a terminal; else an error naming `flag`."""
    from aireg.cli import prompts

    if value is not None and value != "" and value != []:
        return value
    if not t.interactive:
        if optional:
            return None
        raise MissingInput(flag, label[0].upper() + label[1:])
    return prompts.ask(t, label[0].upper() + label[1:], form or prompts.TEXT, optional=optional)


def format_option(kind: str) -> Any:
    """`--format` for one result type: its choices, help and check come from render.formats."""

    def check(value: str | None) -> str | None:
        return None if value is None else formats.check(kind, value)

    return typer.Option(
        "--format", metavar=formats.metavar(kind), help=formats.help_text(kind), callback=check
    )


def tool_ids(ctx: typer.Context, incomplete: str) -> list[str]:
    """Shell completion of tool ids: from --registry (or AIREG_REGISTRY) when the command
    line gives one, else from the registry around the working directory."""
    try:
        from aireg.repo import Registry

        explicit = ctx.find_root().params.get("registry")
        return sorted(i for i in Registry.find(explicit).ids() if i.startswith(incomplete))
    except Exception:  # completion must never fail loudly
        return []


def stage_names(incomplete: str) -> list[str]:
    from aireg.records import STAGE_NAMES

    return [s for s in STAGE_NAMES if s.startswith(incomplete)]


ToolId = Annotated[
    str,
    typer.Argument(
        metavar="ID",
        help="The tool's id (its file name).",
        autocompletion=tool_ids,
        show_default=False,
    ),
]


def did_you_mean(value: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.5)
    return f' Did you mean "{close[0]}"?' if close else ""


def parse_answers(pairs: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, val = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(
                f"--answer {pair}: write ID=yes, ID=no or ID=n/a, such as --answer training=yes."
            )
        out[key.strip()] = val.strip().lower()
    return out


def emit(t: Terminal, kind: str, fmt: str, result: Any, output: Path | None) -> None:
    """Render `result` as `fmt` to stdout, or to the file `output`, written whole (a reader
    never sees half of it), saying so."""
    if output is None:
        formats.reporter(kind, fmt)(t, result)
        return
    import io

    from aireg.render.console import Terminal as FileTerminal
    from aireg.repo import write_text_atomic

    buf = io.StringIO()
    formats.reporter(kind, fmt)(FileTerminal(stdout=buf), result)
    write_text_atomic(output, buf.getvalue())
    t.info(f"Wrote {output} ({fmt}).")
