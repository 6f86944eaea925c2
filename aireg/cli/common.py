"""What every command shares: the registry in use, prompting, and output formats."""

from __future__ import annotations

import sys
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from aireg.errors import MissingInput, UsageError

if TYPE_CHECKING:
    from aireg.repo import Registry

T = TypeVar("T")

NoInput = Annotated[
    bool,
    typer.Option("--no-input", help="Never prompt: a missing value is an error naming its flag."),
]


def registry(ctx: typer.Context) -> Registry:
    from aireg.repo import Registry

    state = ctx.find_root().obj
    return Registry.find(getattr(state, "registry", None))


def interactive(no_input: bool) -> bool:
    """Prompts appear only on a terminal, and never with --no-input."""
    return not no_input and sys.stdin.isatty()


def ask(value: T | None, flag: str, what: str, no_input: bool, *, default: Any = None,
        kind: type = str, choices: tuple[str, ...] = ()) -> T:
    """`value` when given; else a prompt on a terminal; else an error naming `flag`."""
    if value is not None and value != "":
        if choices and value not in choices:
            raise UsageError(f"{flag.split()[0]} {value}: write one of {', '.join(choices)}.")
        return value
    if not interactive(no_input):
        raise MissingInput(flag, what[0].upper() + what[1:])
    label = what[0].upper() + what[1:] + (f" ({'/'.join(choices)})" if choices else "")
    while True:
        answer = typer.prompt(label, default=default, type=kind)
        if not choices or answer in choices:
            return answer  # type: ignore[no-any-return]
        typer.echo(f"Please answer one of {', '.join(choices)}.", err=True)


def ask_list(values: list[str] | None, flag: str, what: str, no_input: bool) -> list[str]:
    """A repeatable option; on a terminal, one item per line, empty line to finish."""
    if values:
        return list(values)
    if not interactive(no_input):
        raise MissingInput(flag, what[0].upper() + what[1:])
    items: list[str] = []
    while True:
        item = typer.prompt(f"{what[0].upper() + what[1:]} (empty to finish)", default="",
                            show_default=False)
        if not item.strip():
            if items:
                return items
            continue
        items.append(item.strip())


class TableFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


class TextFormat(str, Enum):
    text = "text"
    json = "json"


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


ToolId = Annotated[str, typer.Argument(metavar="ID", help="The tool's id (its file name).",
                                       autocompletion=tool_ids)]


def parse_answers(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, val = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--answer {pair!r}: write ID=yes, ID=no or ID=n/a.")
        out[key.strip()] = val.strip().lower()
    return out
