"""One reporter registry per result type: every `--format` is a name here, and the CLI's
choices, help and checks are derived from it (as check-jsonschema's REPORTER_BY_NAME).

The vocabulary is one (SPEC 3): `text` for people, the default; `json` and `csv` for
programs; plus a command's own (`github` for validate, `md` and `html` for report).
Importing this module imports no renderer; each is imported when it is used.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aireg.errors import UsageError

if TYPE_CHECKING:
    from aireg.render.console import Terminal

Reporter = Callable[["Terminal", Any], None]


def _lazy(module: str, name: str) -> Reporter:
    def report(term: Terminal, result: Any) -> None:
        fn = getattr(importlib.import_module(f"aireg.render.{module}"), name)
        fn(term, result)

    report.__name__ = f"{module}.{name}"
    return report


# result type -> format name -> reporter(terminal, result)
REPORTER_BY_NAME: dict[str, dict[str, Reporter]] = {
    "tools": {
        "text": _lazy("text", "tool_list"),
        "json": _lazy("machine", "json_rows"),
        "csv": _lazy("machine", "tools_csv"),
    },
    "show": {"text": _lazy("text", "show"), "json": _lazy("machine", "show_json")},
    "log": {"text": _lazy("text", "log"), "json": _lazy("machine", "log_json")},
    "due": {"text": _lazy("text", "due"), "json": _lazy("machine", "due_json")},
    "queue": {"text": _lazy("text", "review_queue"), "json": _lazy("machine", "json_rows")},
    "validation": {
        "text": _lazy("text", "problems"),
        "json": _lazy("machine", "as_json"),
        "github": _lazy("machine", "github"),
    },
    "audit": {
        "text": _lazy("text", "audit"),
        "json": _lazy("machine", "as_json"),
        "csv": _lazy("machine", "audit_csv"),
    },
    "import": {"text": _lazy("text", "imported"), "json": _lazy("machine", "as_json")},
    # `aireg export`: another tool's format of the committed registry (render.exports).
    "export": {
        "cyclonedx": _lazy("exports", "cyclonedx_out"),
        "backstage": _lazy("exports", "backstage_out"),
    },
    "report": {
        "md": _lazy("machine", "report_md"),
        "html": _lazy("machine", "report_html"),
        "json": _lazy("machine", "report_json"),
    },
}

# The report is also written to files: which suffix means which format.
REPORT_SUFFIXES = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".json": "json"}


def choices(kind: str) -> tuple[str, ...]:
    return tuple(REPORTER_BY_NAME[kind])


def default(kind: str) -> str:
    return choices(kind)[0]


def metavar(kind: str) -> str:
    return "|".join(choices(kind))


def help_text(kind: str) -> str:
    names = choices(kind)
    return f"Output format: {', '.join(names[:-1])} or {names[-1]} (default {names[0]})."


# Older spellings still understood (SPEC's table once named list's text "table").
ALIASES = {"table": "text"}


def check(kind: str, name: str, flag: str = "--format") -> str:
    """`name` when it is a format of `kind`, else a usage error with a did-you-mean."""
    names = choices(kind)
    if name in names:
        return name
    if ALIASES.get(name) in names:
        return ALIASES[name]
    close = difflib.get_close_matches(name.lower(), list(names), n=1, cutoff=0.5)
    hint = f' Did you mean "{close[0]}"?' if close else ""
    raise UsageError(
        f"{flag} {name} is not a format of this command; write "
        f"{', '.join(names[:-1])} or {names[-1]}.{hint}"
    )


def reporter(kind: str, name: str) -> Reporter:
    return REPORTER_BY_NAME[kind][check(kind, name)]


def report_format(given: str | None, output: Path | None) -> str:
    """The report's format: --format, else the output file's suffix, else md; a --format
    that contradicts the file's suffix is refused rather than written under a wrong name."""
    if given is not None:
        check("report", given)
    by_suffix = REPORT_SUFFIXES.get(output.suffix.lower()) if output is not None else None
    if given is not None and output is not None and by_suffix is not None and given != by_suffix:
        raise UsageError(
            f"--format {given} does not match -o {output} (a .{output.suffix[1:]}"
            f" file is {by_suffix}); pass --format {by_suffix}, or name the file "
            f"report.{given}."
        )
    if given is not None:
        return given
    if by_suffix is not None:
        return by_suffix
    if output is not None and output.suffix:
        raise UsageError(
            f"-o {output}: aireg cannot tell the format from {output.suffix}; "
            "pass --format md, html or json, or name the file report.md, "
            "report.html or report.json."
        )
    return default("report")
