"""Help a newcomer can act on: every option explained, metavars as words, an example at
the end of each command's help, and the top level in the order of the six steps."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import typer.main
from typer.testing import CliRunner

from aireg.cli.main import app

COMMANDS = list(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def help_of(*args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("name", COMMANDS)
def test_every_option_has_help_and_a_word_for_metavar(name: str) -> None:
    # Each option and argument says what it is; metavars read as words (DATE, EMAIL, ID),
    # never typer's <list[str]>, {ID} or [[PATH]...]...; the help ends with an example.
    command = typer.main.get_command(app).commands[name]  # type: ignore[attr-defined]
    for param in command.params:
        if param.name in ("help",):
            continue
        assert (getattr(param, "help", None) or "").strip(), f"{name} {param.name} has no help"
    text = help_of(name)
    for bad in ("<", "{", "[[", "list["):
        assert bad not in text.split("Options:")[0] + text.split("Options:")[-1].split(
            "Example:")[0].replace("ID=yes|no|n/a", ""), (name, bad, text)
    last = " ".join(text.strip().split("\n\n")[-1].split())  # the last paragraph
    assert re.search(r"Example: (EDITOR=\S+ )?aireg " + re.escape(name), last), (name, text)


def test_top_level_lists_the_six_steps_first_and_cuts_nothing() -> None:
    # `aireg --help` at 80 columns lists propose..reassess in the order of the steps, and
    # each description whole (no "..." where click would cut it).
    out = subprocess.run([sys.executable, "-m", "aireg", "--help"], capture_output=True,
                         text=True, timeout=60, check=True, env={"COLUMNS": "80",
                                                                  "PATH": "/usr/bin:/bin"})
    listed = re.findall(r"^  ([a-z]+) {2,}(.*)$", out.stdout, re.M)
    names = [n for n, _ in listed]
    steps = ["propose", "advance", "edit", "review", "measure", "reassess"]
    assert names[:len(steps)] == steps, names
    for name, description in listed:
        assert not description.endswith("..."), (name, description)
        assert description.endswith("."), (name, description)
