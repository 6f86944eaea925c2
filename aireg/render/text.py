"""Rich text for people at a terminal (plain text when NO_COLOR or not a terminal)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aireg.render.console import Terminal

STATUS_MARK = {"done": "[x]", "current": "[>]", "todo": "[ ]", "skipped": "[-]",
               "incomplete": "[!]"}


def word(value: Any) -> str:
    """A value as a person reads it: yes/no for booleans, lists joined, nothing as "-"."""
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(word(v) for v in value) if value else "none"
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {word(v)}" for k, v in value.items())
    return str(value)


# -- changes --------------------------------------------------------------------------------


def done(term: Terminal, result: Any, hint: str | None = None) -> None:
    """What a changing command did, in one line; warnings after it; then the next step."""
    ch = result.change
    moved = (f" {ch.stage_from} -> {ch.stage_to};" if ch.stage_from is not None
             and ch.stage_to not in (None, ch.stage_from) else "")
    decision = f" {ch.decision};" if ch.decision else ""
    term.info(f"{result.rel}: {ch.action}{moved}{decision} committed {result.commit[:12]}")
    for p in result.warnings:
        term.warn(f"warning: {p.location}: {p.message}")
    term.next_step(hint if hint is not None else next_step(result.tool, result.data,
                                                         ch.action, ch.decision))


def next_step(tool: str, data: Mapping[str, Any], action: str = "",
              decision: str | None = None) -> str | None:
    """The command that comes next for a record, as a person would type it."""
    stage = data.get("stage")
    review = _review(data)
    if stage == "purpose":
        from aireg import records

        gaps = [r.field.split(".")[-1].replace("_", " ")
                for r in records.requirements(data, records.Stage.PURPOSE) if not r.met]
        if gaps:
            return f"aireg advance {tool}   (it asks for the {', '.join(gaps)})"
        return f"aireg advance {tool}   (the purpose is agreed: on to the daily users)"
    if stage == "users":
        return f"aireg advance {tool} --group TEXT --count N --need TEXT"
    if stage == "pilot":
        return (f"aireg advance {tool} --start YYYY-MM-DD --end YYYY-MM-DD --participant EMAIL"
                f" …  (on a terminal, `aireg advance {tool}` asks for each)")
    if stage == "security":
        if review.get("decision") == "changes-requested":
            return (f"the owner makes the changes the review asks for (aireg edit {tool}), "
                    f"then a security reviewer runs `aireg review --security {tool}` again")
        return f"a security reviewer runs `aireg review --security {tool}`"
    if stage in ("impact", "active") and (
            review.get("decision") != "approved" or review.get("stale")):
        return f"a security reviewer runs `aireg review --security {tool}` (a re-review)"
    if stage == "impact":
        if data.get("impact"):
            return f"aireg advance {tool}   (the measurement is in: the tool becomes active)"
        return (f"aireg measure {tool} --metric TEXT --baseline N --current N --unit TEXT")
    if stage == "active":
        return (f"aireg reassess {tool} --outcome keep|replace|retire when it is due "
                "(aireg due lists when)")
    return None


def _review(data: Mapping[str, Any]) -> dict[str, Any]:
    sec = data.get("security")
    review = sec.get("review") if isinstance(sec, Mapping) else None
    return dict(review) if isinstance(review, Mapping) else {}


# -- tables ---------------------------------------------------------------------------------


def table(term: Terminal, rows: Sequence[Mapping[str, Any]], columns: Sequence[str],
          title: str | None = None, empty: str = "Nothing to show.") -> None:
    if not rows:
        term.info(empty)
        return
    heads = [c.replace("_", " ") for c in columns]
    cells = [["" if r.get(c) is None else word(r.get(c)) if isinstance(r.get(c), bool)
              else str(r.get(c)) for c in columns] for r in rows]
    if title is None and _plain_table(term, heads, cells):
        return
    from rich.table import Table
    from rich.text import Text

    t = Table(title=title, box=None, header_style="bold", pad_edge=False)
    for h in heads:
        t.add_column(h, overflow="fold")
    for row in cells:
        t.add_row(*(Text(v) for v in row))  # Text: a tool named "[bold]" is not markup
    term.out.print(t)


def _plain_table(term: Terminal, heads: list[str], cells: list[list[str]]) -> bool:
    """Write the table as rich would for a pipe or file (no styles, no wrapping), without
    rich's per-cell layout work, which took 4 s for 10,000 rows; False when it cannot."""
    from rich.cells import cell_len

    con = term.out
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


def tool_list(term: Terminal, view: Any) -> None:
    rows = view.rows if hasattr(view, "rows") else view
    columns: tuple[str, ...] = ("id", "name", "department", "owner", "stage", "due")
    if any(r.get("risk") for r in rows):  # risk shown where any tool has one
        columns = (*columns[:5], "risk", "due")
    shown = [{**r, "due": _due_cell(r)} for r in rows]
    table(term, shown, columns, empty="No tools match.")


def _due_cell(r: Mapping[str, Any]) -> str:
    if not r.get("due"):
        return ""
    return f"{r['due_kind']} {r['due']}" + (" OVERDUE" if r.get("overdue") else "")


def review_queue(term: Terminal, rows: Sequence[Mapping[str, Any]]) -> None:
    table(term, rows, ("id", "name", "vendor", "department", "owner", "days_waiting",
                       "last_decision"),
          title="Waiting for the security review", empty="No tool is waiting for review.")


# -- one tool -------------------------------------------------------------------------------


def security_facts(term: Terminal, record: Mapping[str, Any]) -> None:
    """What the reviewer is asked to judge, before the checklist questions."""
    sec = _map(record.get("security"))
    pilot = _map(record.get("pilot"))
    lines = [
        f"{record.get('id')}: {record.get('name')} by {word(record.get('vendor'))} "
        f"({record.get('url') or 'no url'})",
        f"  department {record.get('department')}, owner {record.get('owner')}",
        f"  data it will see: {word(sec.get('data'))}",
        f"  trains on our data: {word(sec.get('trains_on_our_data'))}; retention: "
        f"{word(sec.get('retention'))}; residency: {word(sec.get('residency'))}; "
        f"SSO: {word(sec.get('sso'))}",
        f"  integrations: {word(sec.get('integrations'))}",
        f"  pilot: {word(pilot.get('result'))} on {word(pilot.get('data'))}: "
        f"{word(pilot.get('findings'))}",
    ]
    for ln in lines:
        term.echo(ln)


def _map(v: Any) -> Mapping[str, Any]:
    return v if isinstance(v, Mapping) else {}


def _list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else []


def stage_values(record: Mapping[str, Any], stage: str) -> list[tuple[str, str]]:
    """The values a step recorded, as (label, text) pairs, in the order SPEC lists them."""
    out: list[tuple[str, str]] = []
    if stage == "purpose":
        p = _map(record.get("purpose"))
        for key, label in (("problem", "problem"), ("goal", "goal"),
                           ("success_criteria", "success criteria"),
                           ("defined_with", "defined with")):
            if p.get(key) not in (None, "", []):
                out.append((label, word(p.get(key))))
    elif stage == "users":
        for g in _list(record.get("users")):
            g = _map(g)
            out.append(("users", f"{word(g.get('group'))} ({word(g.get('count'))} people)"
                        + (f"; needs: {word(g.get('needs'))}" if g.get("needs") else "")))
    elif stage == "pilot":
        p = _map(record.get("pilot"))
        if p.get("start") or p.get("end"):
            out.append(("pilot", f"{word(p.get('start'))} to {word(p.get('end'))}"))
        for key in ("participants", "data", "result", "findings"):
            if p.get(key) not in (None, "", []):
                out.append((key, word(p.get(key))))
        sec = _map(record.get("security"))
        for key, label in (("data", "data it will see"),
                           ("trains_on_our_data", "trains on our data"),
                           ("retention", "retention"), ("residency", "residency"),
                           ("sso", "SSO"), ("integrations", "integrations"),
                           ("notes", "notes")):
            if key in sec:
                out.append((label, word(sec.get(key))))
    elif stage == "security":
        out += review_lines(_review(record))
    elif stage == "impact":
        for m in _list(record.get("impact")):
            m = _map(m)
            unit = f" {m['unit']}" if m.get("unit") else ""
            out.append(("measured", f"{word(m.get('metric'))}: {word(m.get('baseline'))} -> "
                        f"{word(m.get('current'))}{unit} on {word(m.get('measured'))}"
                        + (f" ({m['note']})" if m.get("note") else "")))
    elif stage == "active":
        for r in _list(record.get("reassessments")):
            r = _map(r)
            alts = f"; alternatives: {word(r.get('alternatives'))}" if r.get("alternatives") \
                else ""
            out.append(("reassessed", f"{word(r.get('date'))} by {word(r.get('by'))}: "
                        f"{word(r.get('outcome'))}{alts}"
                        + (f"; {r['note']}" if r.get("note") else "")))
    return out


def review_lines(review: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A review as its owner needs to read it: decision, who, when, note, conditions, and
    the answers that were not "yes"."""
    if not review:
        return []
    out = [("review", f"{word(review.get('decision'))} by {word(review.get('by'))} on "
            f"{word(review.get('date'))}" + (", signed" if review.get("signature") else ""))]
    if review.get("note"):
        out.append(("note", str(review["note"])))
    for c in _list(review.get("conditions")):
        out.append(("condition", str(c)))
    answers = _map(review.get("answers"))
    if answers:
        not_yes = [f"{k}={v}" for k, v in answers.items() if v != "yes"]
        yes = sum(1 for v in answers.values() if v == "yes")
        out.append(("answers", f"{yes} of {len(answers)} yes"
                    + (f"; {', '.join(not_yes)}" if not_yes else "")))
    return out


def show(term: Terminal, view: Any) -> None:
    """One tool: its facts, then each step with its values and what it still misses."""
    from rich.panel import Panel
    from rich.text import Text

    record, progress, history = view.record, view.progress, view.events
    head = Text()
    head.append(f"{record.get('name')} ", style="bold")
    head.append(f"({record.get('id')})\n")
    for key in ("vendor", "url", "department", "owner", "stage", "created"):
        if record.get(key) is not None:
            head.append(f"{key}: ", style="dim")
            head.append(f"{word(record.get(key))}\n")
    for key, value in _risk_and_import(record):
        head.append(f"{key}: ", style="dim")
        head.append(f"{value}\n")
    term.out.print(Panel(head, expand=False))
    for sp in progress:
        unmet = [r for r in sp.requirements if not r.met]
        status = sp.status
        if status == "done" and unmet:
            status = "incomplete"  # never tick a step whose items are missing
        mark = STATUS_MARK.get(status, "[ ]")
        label = " (incomplete)" if status in ("incomplete", "skipped") else ""
        term.out.print(f"{mark} {sp.stage.step} {sp.stage.value}{label}", markup=False,
                       style="bold" if status == "current" and term.colour else None)
        if status == "todo":
            continue
        for name, text in stage_values(record, sp.stage.value):
            term.echo(f"      {name}: {text}")
        for req in unmet:
            term.echo(f"      missing {req.field}: {req.what} ({req.flag})")
    for key in ("rejected", "retired"):
        block = _map(record.get(key))
        if block:
            term.echo(f"{key}: " + "; ".join(f"{k} {word(v)}" for k, v in block.items()))
    if view.stale:
        term.echo(f"The facts the review approved have changed since ({', '.join(view.stale)})"
                  f"; the approval no longer covers them: a security reviewer runs "
                  f"`aireg review --security {record.get('id')}`.")
    if history:
        term.echo("")
        term.echo("History:")
        for ev in history:
            term.echo("  " + _event_line(ev))


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


def log(term: Terminal, view: Any) -> None:
    """The audit trail: one row per commit, the days in each stage, the latest review."""
    table(term, short_commits([e.as_dict() for e in view.events]),
          ("date", "person", "action", "stage_from", "stage_to", "decision", "signature",
           "commit"), title=f"{view.tool}: history", empty="No commits touch this tool.")
    if view.durations:
        term.echo("Days in each stage: " + ", ".join(f"{k} {v}"
                                                    for k, v in view.durations.items()))
    lines = review_lines(_review(view.record))
    if lines:
        term.echo("Latest security review:")
        for name, text in lines:
            term.echo(f"  {name}: {text}")


# -- the registry ---------------------------------------------------------------------------


def problems(term: Terminal, result: Any) -> None:
    """`aireg validate` for people: one line per problem, then a summary line."""
    con = term.out
    plain = not con.is_terminal or con.no_color
    lines = []
    for p in result.problems:
        is_error = result.is_error(p)
        kind = "error" if is_error else "warning"
        commit = f" [{p.commit[:12]} by {p.author}]" if p.commit else ""
        field = f" {p.field}:" if p.field and not p.message.startswith(p.field) else ""
        line = f"{p.location}: {kind}:{field} {p.message} ({p.rule}){commit}"
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
    if not term.quiet:  # --quiet: the problems (data) and the exit code say it all
        term.err.print(summary if n_err else f"{summary} Valid.", markup=False)


def due(term: Terminal, items: Sequence[Any]) -> None:
    rows = [{
        "owner": i.owner, "tool": i.tool,
        "work": (f"add {', '.join(i.lacks[:3])}"
                 + (f" and {len(i.lacks) - 3} more" if len(i.lacks) > 3 else "")
                 if i.kind == "evidence" else i.kind),
        "due": i.due.isoformat(),
        "status": f"OVERDUE {-i.days} days" if i.overdue else f"in {i.days} days",
    } for i in items]
    table(term, rows, ("owner", "tool", "work", "due", "status"), title="Work due",
          empty="Nothing is due.")


def short_commits(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows for people: 12-character commit ids (JSON and CSV keep the full ones)."""
    return [{**r, "commit": str(r.get("commit") or "")[:12]} for r in rows]


def audit(term: Terminal, result: Any) -> None:
    rows = short_commits([d.as_dict() if hasattr(d, "as_dict") else d
                          for d in result.decisions])
    table(term, rows, [k for k in ("date", "tool", "decision", "by", "author", "signature",
                                   "verified", "commit") if not rows or k in rows[0]],
          title="Security decisions", empty="No security decision has been recorded.")
    for p in result.problems:
        term.out.print(f"{p.location}: error: {p.message} ({p.rule})"
                       + (f" [{p.commit[:12]} by {p.author}]" if p.commit else ""),
                       markup=False, style="red" if term.colour else None)
    term.info(f"{len(rows)} decision(s), {len(result.problems)} problem(s).")


def imported(term: Terminal, result: Any) -> None:
    """What an import created, merged and skipped, and why."""
    p = result.plan
    c = p.counts()
    verb = "Would create" if result.dry_run else "Created"
    for r in p.records:
        term.echo(f"created  {r.id}  ({r.data.get('stage')}, {r.data.get('department')}; "
                  f"row {r.source_row})")
    for m in p.merged:
        term.echo(f"merged   row {m.row} into {m.into}: {m.reason}")
    for s in p.skipped:
        term.echo(f"skipped  row {s.row}: {s.reason}")
    if p.new_departments:
        term.info(f"{'Would add' if result.dry_run else 'Added'} {len(p.new_departments)} "
                  f"department(s) to aireg.yaml: {', '.join(p.new_departments)}.")
    tail = f" in commit {result.commit[:12]}" if result.commit else ""
    term.info(f"{verb} {c['records']} record(s){tail} from {c['rows_read']} row(s): "
              f"{c['merged']} merged, {c['skipped']} skipped, {c['filtered']} filtered out"
              + (f", {c['extra_entries']} extra product entries from split cells"
                 if c["extra_entries"] else "") + ".")
    by_reason = p.skipped_by_reason()
    if by_reason:
        term.info("Skipped by reason: "
                  + ", ".join(f"{k} {n}" for k, n in by_reason.items()) + ".")
    for d in p.dates:  # never a made-up date
        term.info(f"{d.name} (from {d.column}): {d.kept} kept; {len(d.missing)} missing, "
                  f"{len(d.unparseable)} unparseable, {len(d.implausible)} implausible, all "
                  "left out (never replaced by another date)"
                  + (f"; e.g. row {d.unparseable[0][0]} {d.unparseable[0][1]!r}"
                     if d.unparseable else "")
                  + (f"; e.g. row {d.implausible[0][0]} {d.implausible[0][1]} "
                     f"({d.implausible[0][2]})" if d.implausible else "") + ".")
    if not result.dry_run and c["records"]:
        term.info("Imported records keep only what the source knew; each lists in "
                  "imported.lacks the evidence it still lacks (no review or measurement is "
                  "invented), and `aireg due` chases it.")
