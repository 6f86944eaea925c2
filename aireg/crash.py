"""The last resort for an error nobody foresaw: the traceback to a log file, one sentence out."""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path

from aireg import __version__

ISSUES = "https://github.com/aireg-dev/aireg/issues"
LOG_NAME = "aireg.log"


def log_path() -> Path:
    """Where the last unexpected error is written: $XDG_CACHE_HOME/aireg/aireg.log, by
    default ~/.cache/aireg/aireg.log."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "aireg" / LOG_NAME


def write_log(exc: BaseException, argv: list[str]) -> Path | None:
    """Write what a bug report needs (version, platform, command, traceback); the path
    written, or None when no file could be (then the report goes without it)."""
    text = (
        f"aireg {__version__} crashed at {datetime.now(UTC).isoformat(timespec='seconds')}\n"
        f"python {sys.version.split()[0]} on {platform.platform()}\n"
        f"command: aireg {' '.join(argv)}\n\n"
        + "".join(traceback.format_exception(exc))
    )
    user = os.getuid() if hasattr(os, "getuid") else 0
    fallback = Path(tempfile.gettempdir()) / f"aireg-{user}.log"
    for path in (log_path(), fallback):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return path
        except OSError:
            continue
    return None


def report(exc: BaseException, argv: list[str]) -> str:
    """The one sentence a user sees: what happened, the version, the log, where to report."""
    log = write_log(exc, argv)
    what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    what = " ".join(what.split())[:200].replace(". ", "; ")
    where = f"the details are in {log}" if log else "no log file could be written"
    return (f"aireg {__version__} hit an unexpected error ({what}), which is a bug in aireg; "
            f"{where}: please report it at {ISSUES} with that file attached.")
