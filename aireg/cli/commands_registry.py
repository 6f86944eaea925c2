"""The registry as a whole: init, validate, import, codeowners, edit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aireg.cli.common import ToolId, registry
from aireg.cli.main import app


@app.command(rich_help_panel="Registry")
def init(
    path: Annotated[Path, typer.Argument(help="Where to create the registry.")] = Path("."),
    org: Annotated[str | None, typer.Option("--org", help="The organization's name.")] = None,
    example: Annotated[bool, typer.Option("--example", help="Add sample tools in every stage, with their history.")] = False,
) -> None:
    """Create a registry from the template: git init and a first commit."""
    from aireg import init as init_mod
    from aireg.render.console import info

    result = init_mod.init(path, org, example)
    info(f"Created the registry in {result.root} ({len(result.files)} files, commit "
         f"{result.commit[:12]}).")
    if result.examples:
        info(f"Added {len(result.examples)} sample tools: {', '.join(result.examples)}.")
    info(f"Next: cd {path} and run `aireg list`; edit aireg.yaml for your departments and roles.")


@app.command(rich_help_panel="Registry")
def validate(
    ctx: typer.Context,
    paths: Annotated[list[str] | None, typer.Argument(metavar="[PATH]...", help="Only these files (default: the whole registry).")] = None,
    base: Annotated[str | None, typer.Option("--base", metavar="REF", help="Also judge the commits in REF..HEAD by the history rules.")] = None,
    format: Annotated[str, typer.Option("--format", help="text, json or github.")] = "text",
    strict: Annotated[bool, typer.Option("--strict", help="Treat warnings (overdue work) as errors.")] = False,
) -> None:
    """Check the registry against every rule (the CI check); exit 1 when a rule is broken."""
    from aireg import validate as validate_mod
    from aireg.errors import UsageError
    from aireg.render import machine, text

    if format not in ("text", "json", "github"):
        raise UsageError(f"--format {format}: write text, json or github.")
    reg = registry(ctx)
    result = validate_mod.check(reg, paths or (), base=base, strict=strict)
    if format == "json":
        machine.json_out(result.as_dict())
    elif format == "github":
        machine.github(result)
    else:
        text.problems(result)
    from aireg.repo import ENV_PROBLEMS

    if any(p.rule in ENV_PROBLEMS for p in result.problems):
        raise typer.Exit(3)  # a file could not be read: the environment, not a rule (SPEC)
    if not result.ok:
        raise typer.Exit(1)


@app.command("import", rich_help_panel="Registry")
def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE.csv|FILE.xlsx", help="The inventory spreadsheet, as CSV or .xlsx.")],
    map: Annotated[Path, typer.Option("--map", metavar="MAP.yaml", help="Which columns are which fields.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be created; write nothing.")] = False,
    encoding: Annotated[str | None, typer.Option("--encoding", help="The CSV's encoding (default UTF-8).")] = None,
    sheet: Annotated[str | None, typer.Option("--sheet", help="The worksheet of an .xlsx file (default the first).")] = None,
    format: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """Create records from an existing inventory, in one commit."""
    from aireg import importing
    from aireg.render import machine, text

    reg = registry(ctx)
    result = importing.run(reg, file, map, dry_run=dry_run, encoding=encoding, sheet=sheet)
    if format == "json":
        machine.json_out(result.as_dict())
    else:
        text.imported(result)


@app.command(rich_help_panel="Registry")
def codeowners(
    ctx: typer.Context,
    check: Annotated[bool, typer.Option(
        "--check", help="Only compare: exit 1, with a diff, when CODEOWNERS is stale.")] = False,
) -> None:
    """Write CODEOWNERS from aireg.yaml's roles and commit it alone (admins only)."""
    from aireg import codeowners as co
    from aireg.render.console import echo, info

    reg = registry(ctx)
    if check:
        diff = co.check(reg.root, reg.config)
        if diff is None:
            info(f"{co.FILE} matches aireg.yaml.")
            return
        if diff:
            echo(diff.rstrip("\n"))
        raise co.out_of_date(missing=not diff)
    result = co.update(reg)
    if result.commit is None:
        info(f"{co.FILE} already matches aireg.yaml; nothing to commit.")
    else:
        info(f"{co.FILE}: written from aireg.yaml; committed {result.commit[:12]}")


@app.command(rich_help_panel="The six steps")
def edit(
    ctx: typer.Context,
    tool: ToolId,
) -> None:
    """Edit a record in $VISUAL or $EDITOR, then validate and commit it, or keep it and explain."""
    from aireg import editing
    from aireg.render import text
    from aireg.render.console import info

    reg = registry(ctx)
    actor = reg.git.identity().email
    opened = editing.open_record(reg, tool, actor)
    editing.run_editor(reg.root / opened.rel)
    if editing.unchanged(reg, opened):
        info(f"{opened.rel}: no change; nothing committed.")
        return
    text.done(editing.commit(reg, opened, editing.judge(reg, opened)))
