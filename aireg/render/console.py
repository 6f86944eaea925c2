"""The one owner of rich consoles: stdout for data, stderr for messages and errors."""

from __future__ import annotations

import functools
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


class _State:
    quiet = False


state = _State()


@functools.cache
def _make(stderr: bool) -> Console:
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    # NO_COLOR and a stream that is not a terminal both mean plain text. Rich drops only the
    # colours for NO_COLOR and keeps bold and dim, so no colour system at all: not one escape
    # code. Soft wrapping keeps each message one line, so it can be grepped and copied whole.
    # Piped output is for grep and less: never wrap a table row into several lines.
    width = None if stream.isatty() else 1000
    plain = bool(os.environ.get("NO_COLOR"))
    return Console(
        file=stream,
        width=width,
        highlight=False,
        soft_wrap=True,
        no_color=plain,
        color_system=None if plain else "auto",
        emoji=False,
    )


def out() -> Console:
    # Built per call site from the current sys.stdout, which CliRunner swaps per invocation.
    return _console(stderr=False)


def err() -> Console:
    return _console(stderr=True)


def _console(stderr: bool) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    con = _make(stderr)
    if con.file is not stream:
        _make.cache_clear()
        con = _make(stderr)
    return con


def echo(text: str = "", **kwargs: Any) -> None:
    """Plain data to stdout, no markup interpretation."""
    out().print(text, markup=False, **kwargs)


def info(text: str) -> None:
    """A confirmation for people (stderr stays clean for errors; --quiet silences it)."""
    if not state.quiet:
        out().print(text, markup=False)


def warn(text: str) -> None:
    if not state.quiet:
        err().print(text, markup=False, style="yellow")


def error(text: str) -> None:
    err().print(text, markup=False, style="bold red" if _colour() else None)


def _colour() -> bool:
    return not os.environ.get("NO_COLOR") and sys.stderr.isatty()
