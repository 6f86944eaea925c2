"""Rich text for people at a terminal (plain text when NO_COLOR or not a terminal)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aireg.render import machine
from aireg.render.console import echo, info, out, warn

STATUS_MARK = {"done": "[x]", "current": "[>]", "todo": "[ ]", "skipped": "[-]",
               "incomplete": "[!]"}


def done(result: Any) -> None:
    """What a changing command did, in one line (warnings after it)."""
    ch = result.change
    moved = (f" {ch.stage_from} -> {ch.stage_to};" if ch.stage_from is not None
             and ch.stage_to not in (None, ch.stage_from) else "")
    decision = f" {ch.decision};" if ch.decision else ""
    info(f"{result.rel}: {ch.action}{moved}{decision} committed {result.commit[:12]}")
    for p in result.warnings:
        warn(f"warning: {p.location}: {p.message}")


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], title: str | None = None,
          empty: str = "Nothing to show.") -> None:
    if not rows:
        info(empty)
        return
    heads = [c.replace("_", " ") for c in columns]
    cells = [["" if r.get(c) is None else str(r.get(c)) for c in columns] for r in rows]
    if title is None and _plain_table(heads, cells):
        return
    from rich.table import Table
    from rich.text import Text

    t = Table(title=title, box=None, header_style="bold", pad_edge=False)
    for h in heads:
        t.add_column(h, overflow="fold")
    for row in cells:
        t.add_row(*(Text(v) for v in row))  # Text: a tool named "[bold]" is not markup
    out().print(t)


def _plain_table(heads: list[str], cells: list[list[str]]) -> bool:
    """Write the table as rich would for a pipe or file (no styles, no wrapping), without
    rich's per-cell layout work, which took 4 s for 10,000 rows; False when it cannot."""
    from rich.cells import cell_len

    con = out()
    if con.is_terminal:
        return False
    widths = [cell_len(h) for h in heads]
    for row in cells:
        for i, v in enumerate(row):
            if not v.isprintable() or v != v.strip():
                return False  # line breaks, tabs, padding: rich's rules, not ours
            n = len(v) if v.isascii() else cell_len(v)
            if n > widths[i]:
                widths[i] = n
    if sum(widths) + 2 * (len(widths) - 1) > con.width:
        return False  # rich would fold cells to fit
    lines = []
    for row in (heads, *cells):
        parts = [v + " " * (w - (len(v) if v.isascii() else cell_len(v)))
                 for v, w in zip(row, widths, strict=True)]
        lines.append("  ".join(parts) + "\n")
    con.file.write("".join(lines))
    return True


def tool_list(rows: Sequence[Mapping[str, Any]], fmt: str) -> None:
    columns: tuple[str, ...] = ("id", "name", "department", "owner", "stage", "due")
    if any(r.get("risk") for r in rows):  # issue 13: risk shown where any tool has one
        columns = (*columns[:5], "risk", "due")
    if fmt == "json":
        machine.json_out(rows)
    elif fmt == "csv":
        machine.csv_out(rows, ("id", "name", "vendor", "department", "owner", "stage",
                               "created", "due", "due_kind", "overdue", "risk"))
    else:
        shown = [{**r, "due": _due_cell(r)} for r in rows]
        table(shown, columns, empty="No tools match.")


def _due_cell(r: Mapping[str, Any]) -> str:
    if not r.get("due"):
        return ""
    return f"{r['due_kind']} {r['due']}" + (" OVERDUE" if r.get("overdue") else "")


def review_queue(rows: Sequence[Mapping[str, Any]], fmt: str) -> None:
    if fmt == "json":
        machine.json_out(rows)
        return
    table(rows, ("id", "name", "vendor", "department", "owner", "days_waiting", "last_decision"),
          title="Waiting for the security review", empty="No tool is waiting for review.")


def security_facts(record: Mapping[str, Any], cfg: Any) -> None:
    """What the reviewer is asked to judge, before the checklist questions."""
    sec = record.get("security") if isinstance(record.get("security"), Mapping) else {}
    assert isinstance(sec, Mapping)
    pilot = record.get("pilot") if isinstance(record.get("pilot"), Mapping) else {}
    assert isinstance(pilot, Mapping)
    lines = [
        f"{record.get('id')}: {record.get('name')} by {record.get('vendor', '?')} "
        f"({record.get('url', 'no url')})",
        f"  department {record.get('department')}, owner {record.get('owner')}",
        f"  data it will see: {', '.join(map(str, sec.get('data') or [])) or '?'}",
        f"  trains on our data: {sec.get('trains_on_our_data')}; retention: "
        f"{sec.get('retention')}; residency: {sec.get('residency', '?')}; SSO: {sec.get('sso')}",
        f"  integrations: {', '.join(map(str, sec.get('integrations') or [])) or 'none'}",
        f"  pilot: {pilot.get('result', '?')} on {', '.join(map(str, pilot.get('data') or []))}"
        f" — {pilot.get('findings', '')}",
    ]
    for ln in lines:
        echo(ln)


def show(record: Mapping[str, Any], progress: Sequence[Any], history: Sequence[Any]) -> None:
    from rich.panel import Panel
    from rich.text import Text

    head = Text()
    head.append(f"{record.get('name')} ", style="bold")
    head.append(f"({record.get('id')})\n")
    for key in ("vendor", "url", "department", "owner", "stage", "created"):
        if record.get(key) is not None:
            head.append(f"{key}: ", style="dim")
            head.append(f"{record.get(key)}\n")
    for key, value in _risk_and_import(record):  # issue 13 (imports)
        head.append(f"{key}: ", style="dim")
        head.append(f"{value}\n")
    out().print(Panel(head, expand=False))
    for sp in progress:
        mark = STATUS_MARK.get(sp.status, "[ ]")
        out().print(f"{mark} {sp.stage.step} {sp.stage.value}", markup=False, style="bold"
                    if sp.status == "current" else None)
        if sp.status in ("current", "done", "skipped", "incomplete"):
            for req in sp.requirements:
                tick = "ok" if req.met else "missing"
                echo(f"      {tick:7} {req.field}: {req.what}")
    if history:
        echo("")
        echo("History:")
        for ev in history:
            echo("  " + _event_line(ev))


def _risk_and_import(record: Mapping[str, Any]) -> list[tuple[str, str]]:
    from aireg import imported as imp

    out = []
    risk = record.get("risk")
    if isinstance(risk, Mapping) and risk:
        out.append(("risk", imp.risk_label(risk)))
    sec = imp.section(record)
    if sec is not None:
        out.append(("imported", f"{sec.get('date')} from {sec.get('file')}, row {sec.get('row')}"))
        lacking = imp.still_lacking(record)
        if lacking:
            out.append(("still lacks", ", ".join(lacking)))
    return out


def _event_line(ev: Any) -> str:
    d = ev.as_dict() if hasattr(ev, "as_dict") else dict(ev)
    parts = [str(d.get("date", ""))[:10], str(d.get("person") or d.get("author", "")),
             str(d.get("action", ""))]
    if d.get("stage_from") or d.get("stage_to"):
        parts.append(f"{d.get('stage_from') or ''} -> {d.get('stage_to')}".strip())
    if d.get("decision"):
        parts.append(str(d["decision"]))
    if d.get("signature") and d.get("signature") != "none":
        parts.append(f"signature {d['signature']}")
    parts.append(str(d.get("commit", ""))[:12])
    return "  ".join(p for p in parts if p)


def problems(result: Any) -> None:
    """`aireg validate` for people: one line per problem, then a summary line."""
    from aireg.render.console import err

    con = out()
    plain = not con.is_terminal or con.no_color
    lines = []
    for p in result.problems:
        is_error = result.is_error(p)
        word = "error" if is_error else "warning"
        commit = f" [{p.commit[:12]} by {p.author}]" if p.commit else ""
        field = f" {p.field}:" if p.field else ""
        line = f"{p.location}: {word}:{field} {p.message} ({p.rule}){commit}"
        if plain:
            lines.append(line + "\n")
        else:
            con.print(line, markup=False, style=("red" if is_error else "yellow"))
    if lines:  # piped: one write, not thousands of rich renders
        con.file.write("".join(lines))
    n_err, n_warn = len(result.errors), len(result.warnings)
    summary = (f"{result.files} file(s)"
               + (f", {result.commits} commit(s)" if result.commits else "")
               + f" checked: {n_err} error(s), {n_warn} warning(s).")
    from aireg.render.console import state

    if not state.quiet:  # --quiet: the problems (data) and the exit code say it all
        err().print(summary if n_err else f"{summary} Valid.", markup=False)


def due(items: Sequence[Any]) -> None:
    rows = [{
        "owner": i.owner, "tool": i.tool,
        "work": (f"add {', '.join(i.lacks[:3])}"
                 + (f" and {len(i.lacks) - 3} more" if len(i.lacks) > 3 else "")
                 if i.kind == "evidence" else i.kind),
        "due": i.due.isoformat(),
        "status": f"OVERDUE {-i.days} days" if i.overdue else f"in {i.days} days",
    } for i in items]
    table(rows, ("owner", "tool", "work", "due", "status"), title="Work due",
          empty="Nothing is due.")


def short_commits(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows for people: 12-character commit ids (JSON and CSV keep the full ones)."""
    return [{**r, "commit": str(r.get("commit") or "")[:12]} for r in rows]


def audit(result: Any) -> None:
    rows = short_commits([d.as_dict() if hasattr(d, "as_dict") else d
                          for d in result.decisions])
    table(rows, [k for k in ("date", "tool", "decision", "by", "author", "signature",
                             "verified", "commit") if not rows or k in rows[0]],
          title="Security decisions", empty="No security decision has been recorded.")
    for p in result.problems:
        out().print(f"{p.location}: error: {p.message} ({p.rule})"
                    + (f" [{p.commit[:12]} by {p.author}]" if p.commit else ""),
                    markup=False, style="red")
    info(f"{len(rows)} decision(s), {len(result.problems)} problem(s).")


def imported(result: Any) -> None:
    """What an import created, merged and skipped, and why."""
    p = result.plan
    c = p.counts()
    verb = "Would create" if result.dry_run else "Created"
    for r in p.records:
        echo(f"created  {r.id}  ({r.data.get('stage')}, {r.data.get('department')}; row {r.source_row})")
    for m in p.merged:
        echo(f"merged   row {m.row} into {m.into}: {m.reason}")
    for s in p.skipped:
        echo(f"skipped  row {s.row}: {s.reason}")
    if p.new_departments:
        info(f"{'Would add' if result.dry_run else 'Added'} {len(p.new_departments)} "
             f"department(s) to aireg.yaml: {', '.join(p.new_departments)}.")
    tail = f" in commit {result.commit[:12]}" if result.commit else ""
    info(f"{verb} {c['records']} record(s){tail} from {c['rows_read']} row(s): "
         f"{c['merged']} merged, {c['skipped']} skipped, {c['filtered']} filtered out"
         + (f", {c['extra_entries']} extra product entries from split cells"
            if c["extra_entries"] else "") + ".")
    by_reason = p.skipped_by_reason()
    if by_reason:
        info("Skipped by reason: " + ", ".join(f"{k} {n}" for k, n in by_reason.items()) + ".")
    for d in p.dates:  # issue 13: never a made-up date
        info(f"{d.name} (from {d.column}): {d.kept} kept; {len(d.missing)} missing, "
             f"{len(d.unparseable)} unparseable, {len(d.implausible)} implausible, all left "
             "out (never replaced by another date)"
             + (f"; e.g. row {d.unparseable[0][0]} {d.unparseable[0][1]!r}" if d.unparseable
                else "")
             + (f"; e.g. row {d.implausible[0][0]} {d.implausible[0][1]} "
                f"({d.implausible[0][2]})" if d.implausible else "") + ".")
    if not result.dry_run and c["records"]:
        info("Imported records keep only what the source knew; each lists in imported.lacks "
             "the evidence it still lacks (no review or measurement is invented), and "
             "`aireg due` chases it.")
