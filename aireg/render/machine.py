"""Output for programs: JSON (stable shapes), CSV, GitHub workflow annotations, and the
report's files (Markdown, HTML, JSON); each writes through the run's Terminal."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aireg.render.console import Terminal


def json_text(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"


def json_rows(term: Terminal, rows: Any) -> None:
    term.write(json_text(rows))


def as_json(term: Terminal, result: Any) -> None:
    """Any result with an `as_dict()` shape."""
    term.write(json_text(result.as_dict()))


def csv_text(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({c: _cell(r.get(c)) for c in columns})
    return buf.getvalue()


def tools_csv(term: Terminal, rows: Sequence[Mapping[str, Any]]) -> None:
    term.write(csv_text(rows, ("id", "name", "vendor", "department", "owner", "stage",
                               "created", "due", "due_kind", "overdue", "risk")))


def audit_csv(term: Terminal, result: Any) -> None:
    rows = result.as_rows()
    term.write(csv_text(rows, list(rows[0].keys()) if rows else ["tool"]))


def show_json(term: Terminal, view: Any) -> None:
    term.write(json_text({
        "id": view.tool, "file": view.rel, "record": view.record,
        "progress": [p.as_dict() for p in view.progress],
        "history": [e.as_dict() for e in view.events],
    }))


def log_json(term: Terminal, view: Any) -> None:
    term.write(json_text({
        "id": view.tool, "events": [e.as_dict() for e in view.events],
        "days_in_stage": view.durations,
    }))


def due_json(term: Terminal, items: Sequence[Any]) -> None:
    term.write(json_text([i.as_dict() for i in items]))


def report_md(term: Terminal, data: Any) -> None:
    from aireg.render import report_md as md

    term.write(md.render(data.as_dict()))


def report_html(term: Terminal, data: Any) -> None:
    from aireg.render import report_html as html

    term.write(html.render(data.as_dict()))


def report_json(term: Terminal, data: Any) -> None:
    term.write(json_text(data.as_dict()))


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


def github(term: Terminal, result: Any) -> None:
    """One `::error file=...,line=...::message` line per problem (GitHub annotations)."""
    lines = []
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
        lines.append(f"::{level} {','.join(props)}::{_escape_data(p.message + commit)}\n")
    n = len(result.errors)
    lines.append(f"aireg: {result.files} file(s) checked, {n} error(s), "
                 f"{len(result.warnings)} warning(s).\n")
    term.write("".join(lines))
