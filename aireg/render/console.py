"""The terminal: one object owns the consoles (stdout for data, stderr for messages), the
prompts, --quiet and colour. The CLI makes one per run; nothing here is module-global."""

from __future__ import annotations

import os
import sys
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


class Terminal:
    """Where one run of aireg writes and asks.

    The streams are taken when the terminal is made (typer's CliRunner swaps sys.stdout per
    invocation, and each invocation makes its own terminal). Prompts are written to stderr,
    so stdout carries only data even when someone is asked a question.
    """

    def __init__(self, *, quiet: bool = False, stdout: IO[str] | None = None,
                 stderr: IO[str] | None = None, stdin: IO[str] | None = None,
                 no_input: bool = False) -> None:
        self.quiet = quiet
        self.no_input = no_input
        self.stdout = stdout if stdout is not None else sys.stdout
        self.stderr = stderr if stderr is not None else sys.stderr
        self.stdin = stdin if stdin is not None else sys.stdin
        self._out: Console | None = None
        self._err: Console | None = None

    # -- colour and consoles ---------------------------------------------------------------

    @property
    def colour(self) -> bool:
        """Styles only on a terminal, and never with NO_COLOR."""
        return not os.environ.get("NO_COLOR") and _isatty(self.stderr)

    @property
    def interactive(self) -> bool:
        """Prompts appear only on a terminal, and never with --no-input."""
        return not self.no_input and _isatty(self.stdin)

    def _make(self, stream: IO[str]) -> Console:
        from rich.console import Console

        # NO_COLOR and a stream that is not a terminal both mean plain text. Rich drops only
        # the colours for NO_COLOR and keeps bold and dim, so no colour system at all: not one
        # escape code. Soft wrapping keeps each message one line, so it can be grepped and
        # copied whole. Piped output is for grep and less: never wrap a table row.
        width = None if _isatty(stream) else 1000
        plain = bool(os.environ.get("NO_COLOR"))
        return Console(file=stream, width=width, highlight=False, soft_wrap=True,
                       no_color=plain, color_system=None if plain else "auto", emoji=False)

    @property
    def out(self) -> Console:
        if self._out is None:
            self._out = self._make(self.stdout)
        return self._out

    @property
    def err(self) -> Console:
        if self._err is None:
            self._err = self._make(self.stderr)
        return self._err

    # -- writing ---------------------------------------------------------------------------

    def write(self, text: str) -> None:
        """Data, exactly as given (JSON, CSV, a report), to stdout."""
        self.stdout.write(text)
        self.stdout.flush()

    def echo(self, text: str = "", **kwargs: Any) -> None:
        """A line of data to stdout, no markup interpretation."""
        self.out.print(text, markup=False, **kwargs)

    def info(self, text: str) -> None:
        """A confirmation for people (stderr stays clean for errors; --quiet silences it)."""
        if not self.quiet:
            self.out.print(text, markup=False)

    def next_step(self, text: str | None) -> None:
        """The command that comes next, after a change (`next: aireg ...`)."""
        if text and not self.quiet:
            self.out.print(f"next: {text}", markup=False, style="dim" if self.colour else None)

    def warn(self, text: str) -> None:
        if not self.quiet:
            self.err.print(text, markup=False, style="yellow" if self.colour else None)

    def error(self, text: str) -> None:
        self.err.print(text, markup=False, style="bold red" if self.colour else None)

    def note(self, text: str) -> None:
        """A message for the person at a prompt (stderr, never silenced: they are asked)."""
        self.err.print(text, markup=False)

    # -- asking ----------------------------------------------------------------------------

    def ask_line(self, label: str) -> str:
        """One answer typed at the terminal; Ctrl-D is an interruption, as Ctrl-C is."""
        self.stderr.write(label)
        self.stderr.flush()
        line = self.stdin.readline()
        if not line:
            self.stderr.write("\n")
            raise KeyboardInterrupt
        return line.rstrip("\r\n")


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
