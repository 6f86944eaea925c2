"""Output for programs: JSON (stable shapes), CSV, and GitHub workflow annotations."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def json_text(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"


def json_out(data: Any) -> None:
    sys.stdout.write(json_text(data))


def csv_out(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({c: _cell(r.get(c)) for c in columns})
    sys.stdout.write(buf.getvalue())


def _cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list | tuple):
        return "; ".join(map(str, v))
    return v


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_prop(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github(result: Any) -> None:
    """One `::error file=...,line=...::message` line per problem (GitHub annotations)."""
    for p in result.problems:
        level = "error" if result.is_error(p) else "warning"
        props = [f"file={_escape_prop(p.file)}"]
        if p.line is not None:
            props.append(f"line={p.line}")
        if p.column is not None:
            props.append(f"col={p.column}")
        title = f"aireg {p.rule}" + (f" ({p.field})" if p.field else "")
        props.append(f"title={_escape_prop(title)}")
        commit = f" [commit {p.commit[:12]} by {p.author}]" if p.commit else ""
        sys.stdout.write(f"::{level} {','.join(props)}::{_escape_data(p.message + commit)}\n")
    n = len(result.errors)
    sys.stdout.write(f"aireg: {result.files} file(s) checked, {n} error(s), "
                     f"{len(result.warnings)} warning(s).\n")
