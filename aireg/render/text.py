"""Rich text for people at a terminal (plain text when NO_COLOR or not a terminal)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aireg.render import machine
from aireg.render.console import echo, info, out, warn

STATUS_MARK = {"done": "[x]", "current": "[>]", "todo": "[ ]", "skipped": "[-]"}


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
    from rich.table import Table

    if not rows:
        info(empty)
        return
    t = Table(title=title, box=None, header_style="bold", pad_edge=False)
    for c in columns:
        t.add_column(c.replace("_", " "), overflow="fold")
    for r in rows:
        t.add_row(*("" if r.get(c) is None else str(r.get(c)) for c in columns))
    out().print(t)


def tool_list(rows: Sequence[Mapping[str, Any]], fmt: str) -> None:
    columns = ("id", "name", "department", "owner", "stage", "due")
    if fmt == "json":
        machine.json_out(rows)
    elif fmt == "csv":
        machine.csv_out(rows, ("id", "name", "vendor", "department", "owner", "stage",
                               "created", "due", "due_kind", "overdue"))
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
    out().print(Panel(head, expand=False))
    for sp in progress:
        mark = STATUS_MARK.get(sp.status, "[ ]")
        out().print(f"{mark} {sp.stage.step} {sp.stage.value}", markup=False, style="bold"
                    if sp.status == "current" else None)
        if sp.status in ("current", "done") or sp.status == "skipped":
            for req in sp.requirements:
                tick = "ok" if req.met else "missing"
                echo(f"      {tick:7} {req.field}: {req.what}")
    if history:
        echo("")
        echo("History:")
        for ev in history:
            echo("  " + _event_line(ev))


def _event_line(ev: Any) -> str:
    d = ev.as_dict() if hasattr(ev, "as_dict") else dict(ev)
    parts = [str(d.get("date", ""))[:10], str(d.get("person") or d.get("author", "")),
             str(d.get("action", ""))]
    if d.get("stage_from") or d.get("stage_to"):
        parts.append(f"{d.get('stage_from')} -> {d.get('stage_to')}")
    if d.get("decision"):
        parts.append(str(d["decision"]))
    if d.get("signature") and d.get("signature") != "none":
        parts.append(f"signature {d['signature']}")
    parts.append(str(d.get("commit", ""))[:12])
    return "  ".join(p for p in parts if p)


def problems(result: Any) -> None:
    """`aireg validate` for people: one line per problem, then a summary line."""
    from aireg.render.console import err

    for p in result.problems:
        is_error = p in result.errors
        word = "error" if is_error else "warning"
        where = p.location
        commit = f" [{p.commit[:12]} by {p.author}]" if p.commit else ""
        field = f" {p.field}:" if p.field else ""
        out().print(f"{where}: {word}:{field} {p.message} ({p.rule}){commit}", markup=False,
                    style=("red" if is_error else "yellow"))
    n_err, n_warn = len(result.errors), len(result.warnings)
    summary = (f"{result.files} file(s)"
               + (f", {result.commits} commit(s)" if result.commits else "")
               + f" checked: {n_err} error(s), {n_warn} warning(s).")
    from aireg.render.console import state

    if not state.quiet:  # --quiet: the problems (data) and the exit code say it all
        err().print(summary if n_err else f"{summary} Valid.", markup=False)


def due(items: Sequence[Any]) -> None:
    rows = [{
        "owner": i.owner, "tool": i.tool, "work": i.kind, "due": i.due.isoformat(),
        "status": f"OVERDUE {-i.days} days" if i.overdue else f"in {i.days} days",
    } for i in items]
    table(rows, ("owner", "tool", "work", "due", "status"), title="Work due",
          empty="Nothing is due.")


def audit(result: Any) -> None:
    rows = [d.as_dict() if hasattr(d, "as_dict") else d for d in result.decisions]
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
    if not result.dry_run and c["records"]:
        info("Imported records keep only what the source knew; `aireg validate` lists what "
             "each still needs (no review or measurement is invented).")
