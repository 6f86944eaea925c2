"""Reading the registry: list, show, log, due, report, audit, schema."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from aireg.cli.common import TableFormat, TextFormat, ToolId, registry, stage_names
from aireg.cli.main import app
from aireg.errors import Outcome, Status


@app.command("list", rich_help_panel="Reading")
def list_(
    ctx: typer.Context,
    stage: Annotated[str | None, typer.Option("--stage", autocompletion=stage_names, help="Only tools in this stage.")] = None,
    department: Annotated[str | None, typer.Option("--department", help="Only this department's tools.")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Only tools this person owns.")] = None,
    due: Annotated[int | None, typer.Option("--due", metavar="DAYS", help="Only tools with work due within DAYS (0: overdue or due today).")] = None,
    format: Annotated[TableFormat, typer.Option("--format", help="table, json or csv.")] = TableFormat.table,
) -> None:
    """The registry at a glance."""
    from aireg import queries
    from aireg.errors import UsageError
    from aireg.records import STAGE_NAMES
    from aireg.render import text

    if stage is not None and stage not in STAGE_NAMES:
        raise UsageError(f"--stage {stage}: write one of {', '.join(STAGE_NAMES)}.")
    reg = registry(ctx)
    rows = queries.list_tools(reg, stage=stage, department=department, owner=owner,
                              due_within=due)
    text.tool_list(rows, format.value)


@app.command(rich_help_panel="Reading")
def show(
    ctx: typer.Context,
    tool: ToolId,
    format: Annotated[TextFormat, typer.Option("--format", help="text or json.")] = TextFormat.text,
) -> None:
    """One tool: its fields, each step's checklist, and its history."""
    from aireg import queries
    from aireg.render import machine, text

    reg = registry(ctx)
    rf = reg.read_tool(tool)
    progress = queries.progress(rf.record)
    events = _timeline(reg, tool)
    if format is TextFormat.json:
        machine.json_out({
            "id": tool,
            "file": rf.rel,
            "record": rf.record,
            "progress": [p.as_dict() for p in progress],
            "history": [e.as_dict() for e in events],
        })
        return
    text.show(rf.record, progress, events)


def _timeline(reg: Any, tool: str) -> list[Any]:
    from aireg import history

    return list(history.timeline(reg.root, tool))


@app.command(rich_help_panel="Reading")
def log(
    ctx: typer.Context,
    tool: ToolId,
    format: Annotated[TextFormat, typer.Option("--format", help="text or json.")] = TextFormat.text,
) -> None:
    """The tool's audit trail from git: who did what, when, and time spent in each stage."""
    from aireg import history
    from aireg.render import machine, text
    from aireg.repo import today

    reg = registry(ctx)
    reg.read_tool(tool)
    events = list(history.timeline(reg.root, tool))
    durations = history.stage_durations(events, today())
    if format is TextFormat.json:
        machine.json_out({
            "id": tool,
            "events": [e.as_dict() for e in events],
            "days_in_stage": durations,
        })
        return
    text.table(text.short_commits([e.as_dict() for e in events]),
               ("date", "person", "action", "stage_from", "stage_to", "decision", "signature",
                "commit"), title=f"{tool}: history", empty="No commits touch this tool.")
    if durations:
        text.echo("Days in each stage: " + ", ".join(f"{k} {v}" for k, v in durations.items()))


@app.command(rich_help_panel="Reading")
def due(
    ctx: typer.Context,
    within: Annotated[int, typer.Option("--within", metavar="DAYS", help="Also list work due within DAYS.")] = 30,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 when anything is overdue (for scheduled CI).")] = False,
    format: Annotated[TextFormat, typer.Option("--format", help="text or json.")] = TextFormat.text,
) -> Outcome:
    """Measurements and reassessments due or overdue, by owner."""
    from aireg import due as due_mod
    from aireg.render import machine, text
    from aireg.repo import today

    reg = registry(ctx)
    items = due_mod.due_items(
        (rf.record for rf in reg.iter_records()), reg.config.policy, today(), within)
    if format is TextFormat.json:
        machine.json_out([i.as_dict() for i in items])
    else:
        text.due(items)
    return Status(1 if check and any(i.overdue for i in items) else 0)


@app.command(rich_help_panel="Reading")
def schema(
    config: Annotated[bool, typer.Option("--config", help="The schema of aireg.yaml instead.")] = False,
) -> None:
    """Print the JSON Schema of a record (what editors and other tools read)."""
    from aireg import schema as schema_mod
    from aireg.render import machine

    machine.json_out(schema_mod.load_schema("config" if config else "tool"))


@app.command(rich_help_panel="Reading")
def audit(
    ctx: typer.Context,
    format: Annotated[TableFormat, typer.Option("--format", help="text (table), json or csv.")] = TableFormat.table,
) -> Outcome:
    """Every decision ever recorded, verified against the history rules."""
    from aireg import audit as audit_mod
    from aireg.render import machine, text

    reg = registry(ctx)
    result = audit_mod.audit(reg.root)
    if format is TableFormat.json:
        machine.json_out(result.as_dict())
    elif format is TableFormat.csv:
        rows = result.as_rows()
        machine.csv_out(rows, list(rows[0].keys()) if rows else ["tool"])
    else:
        text.audit(result)
    return result  # its exit_code becomes the exit (cli.main)


@app.command(rich_help_panel="Reading")
def report(
    ctx: typer.Context,
    format: Annotated[str, typer.Option("--format", help="md, html or json.")] = "md",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to this file.")] = None,
) -> None:
    """The CAIO's view: funnel, security queue, overdue work, impact, and overlaps."""
    from aireg import report as report_mod
    from aireg.errors import UsageError

    if format not in ("md", "html", "json"):
        raise UsageError(f"--format {format}: write md, html or json.")
    reg = registry(ctx)
    data = report_mod.build(reg)
    rendered = report_mod.render(data, format)
    if output is None:
        import sys

        sys.stdout.write(rendered)
    else:
        from aireg.repo import write_text_atomic

        write_text_atomic(output, rendered)
        from aireg.render.console import info

        info(f"Wrote {output}.")
