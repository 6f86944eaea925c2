"""Launching the user's editor for `aireg edit` ($VISUAL, else $EDITOR, else vi)."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

from aireg.errors import AiregError, EnvError


def editor_command(interactive: bool) -> list[str]:
    """$VISUAL, else $EDITOR, else vi (only on a terminal), split as a shell would."""
    for var in ("VISUAL", "EDITOR"):
        value = os.environ.get(var, "").strip()
        if value:
            try:
                words = shlex.split(value)
            except ValueError as exc:
                raise EnvError(
                    f"${var} ({value}) cannot be read as a command ({exc}); set "
                    f"{var} to an editor command such as `nano` or `code --wait`."
                ) from exc
            if words:
                return words
    if not interactive:
        raise EnvError(
            "no editor to open: $VISUAL and $EDITOR are unset and this is not a "
            "terminal for vi; set EDITOR (for example `export EDITOR=nano`)."
        )
    return ["vi"]


def run_editor(path: Path, interactive: bool) -> None:
    """Open `path` in the user's editor and wait for it to close."""
    command = editor_command(interactive)
    try:
        code = subprocess.run([*command, str(path)], check=False).returncode
    except FileNotFoundError as exc:
        raise EnvError(
            f"the editor {command[0]} was not found; set EDITOR (or VISUAL) to an "
            "installed editor, for example `export EDITOR=nano`."
        ) from exc
    except PermissionError as exc:
        raise EnvError(
            f"the editor {command[0]} cannot be run ({exc.strerror}); set EDITOR "
            "to an editor you may run."
        ) from exc
    if code != 0:
        raise AiregError(
            f"the editor ({' '.join(command)}) exited with status {code}, so "
            f"nothing was committed; whatever it saved is kept in "
            f"{path.parent.name}/{path.name}: run `aireg edit {path.stem}` again "
            "to go on."
        )
