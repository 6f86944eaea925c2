"""Reading the registry: list, show, log, due, report, audit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aireg.cli.common import (
    ToolId,
    did_you_mean,
    emit,
    format_option,
    registry,
    stage_names,
    term,
)
from aireg.cli.main import app
from aireg.errors import Outcome, Status
from aireg.render import formats

READING = "Reading"


@app.command(
    "list",
    rich_help_panel=READING,
    epilog=("Example: aireg list --stage security --department marketing --format csv"),
)
def list_(
    ctx: typer.Context,
    stage: Annotated[
        str | None,
        typer.Option(
            "--stage",
            metavar="STAGE",
            autocompletion=stage_names,
            help="Only tools in this stage (purpose, users, pilot, security, impact, active, "
            "rejected, retired).",
        ),
    ] = None,
    department: Annotated[
        str | None,
        typer.Option("--department", metavar="NAME", help="Only this department's tools."),
    ] = None,
    owner: Annotated[
        str | None, typer.Option("--owner", metavar="EMAIL", help="Only tools this person owns.")
    ] = None,
    due: Annotated[
        int | None,
        typer.Option(
            "--due",
            metavar="DAYS",
            help="Only tools with work due within DAYS (0: overdue or due today).",
        ),
    ] = None,
    format: Annotated[str, format_option("tools")] = "text",
) -> None:
    """The registry at a glance: one row per tool."""
    from aireg import queries
    from aireg.errors import UsageError
    from aireg.records import STAGE_NAMES

    t = term(ctx)
    if stage is not None and stage not in STAGE_NAMES:
        raise UsageError(
            f"--stage {stage}: write one of {', '.join(STAGE_NAMES)}."
            f"{did_you_mean(stage, STAGE_NAMES)}"
        )
    reg = registry(ctx)
    if department is not None and department not in reg.config.departments:
        names = list(reg.config.departments)
        raise UsageError(
            f"--department {department} is not a department of aireg.yaml; "
            f"write one of {', '.join(names)}.{did_you_mean(department, names)}"
        )
    found = queries.tool_list(reg, stage=stage, department=department, owner=owner, due_within=due)
    formats.reporter("tools", format)(t, found.rows)
    for rel in found.unreadable:
        t.warn(
            f"warning: {rel} could not be read, so it is not listed; `aireg validate "
            f"{rel}` says why."
        )


@app.command(rich_help_panel=READING, epilog="Example: aireg show otter-ai")
def show(
    ctx: typer.Context,
    tool: ToolId,
    format: Annotated[str, format_option("show")] = "text",
) -> None:
    """One tool: each step's values, what is missing, its history."""
    from aireg import history, queries

    t = term(ctx)
    reg = registry(ctx)
    rf = reg.read_tool(tool)
    view = queries.ToolView(
        tool,
        rf.rel,
        rf.record,
        queries.progress(rf.record),
        list(history.timeline(reg.root, tool)),
        queries.stale_facts(reg, rf.record),
    )
    formats.reporter("show", format)(t, view)


@app.command(rich_help_panel=READING, epilog="Example: aireg log otter-ai --format json")
def log(
    ctx: typer.Context,
    tool: ToolId,
    format: Annotated[str, format_option("log")] = "text",
) -> None:
    """A tool's audit trail: who did what, when; the last review."""
    from aireg import history, queries
    from aireg.repo import today

    t = term(ctx)
    reg = registry(ctx)
    rf = reg.read_tool(tool)
    events = list(history.timeline(reg.root, tool))
    view = queries.LogView(tool, rf.record, events, history.stage_durations(events, today()))
    formats.reporter("log", format)(t, view)


@app.command(rich_help_panel=READING, epilog="Example: aireg due --within 14 --check")
def due(
    ctx: typer.Context,
    within: Annotated[
        int,
        typer.Option(
            "--within", metavar="DAYS", help="Also list work due within DAYS (default 30)."
        ),
    ] = 30,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 when anything is overdue (for scheduled CI).")
    ] = False,
    format: Annotated[str, format_option("due")] = "text",
) -> Outcome:
    """Measurements and reassessments due or overdue, by owner."""
    from aireg import due as due_mod
    from aireg.repo import today

    t = term(ctx)
    reg = registry(ctx)
    items = due_mod.due_items(
        (rf.record for rf in reg.iter_records()), reg.config.policy, today(), within
    )
    formats.reporter("due", format)(t, items)
    return Status(1 if check and any(i.overdue for i in items) else 0)


@app.command(
    rich_help_panel=READING,
    epilog=("Example: aireg report -o report.html  (the format follows the file's extension)"),
)
def report(
    ctx: typer.Context,
    format: Annotated[
        str | None,
        typer.Option(
            "--format",
            metavar=formats.metavar("report"),
            help="md, html or json (default: from -o's extension, else md).",
            callback=lambda v: v if v is None else formats.check("report", v),
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            metavar="FILE",
            help="Write to FILE (report.md, report.html or report.json) instead of stdout.",
        ),
    ] = None,
) -> None:
    """The CAIO's view: funnel, queue, impact, overlaps.

    The format follows -o's extension (report.md, report.html, report.json); a --format
    that contradicts it is refused.
    """
    from aireg import report as report_mod

    t = term(ctx)
    fmt = formats.report_format(format, output)
    emit(t, "report", fmt, report_mod.build(registry(ctx)), output)


@app.command(rich_help_panel=READING, epilog="Example: aireg audit --format csv > decisions.csv")
def audit(
    ctx: typer.Context,
    format: Annotated[str, format_option("audit")] = "text",
) -> Outcome:
    """Every decision ever recorded, verified by the history rules."""
    from aireg import audit as audit_mod

    t = term(ctx)
    reg = registry(ctx)
    result = audit_mod.audit(reg.root)
    formats.reporter("audit", format)(t, result)
    return result  # its exit_code becomes the exit (cli.main)
