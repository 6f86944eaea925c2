"""The registry as a whole: init, validate, import, codeowners, schema."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aireg.cli.common import format_option, registry, term
from aireg.cli.main import app
from aireg.errors import Outcome
from aireg.render import formats

REGISTRY = "Registry"


@app.command(rich_help_panel=REGISTRY, epilog="Example: aireg init acme-ai-tools --org Acme")
def init(
    ctx: typer.Context,
    path: Annotated[
        Path,
        typer.Argument(
            metavar="[PATH]",
            help="Where to create the registry (default: here).",
            show_default=False,
        ),
    ] = Path("."),
    org: Annotated[
        str | None, typer.Option("--org", metavar="NAME", help="The organization's name.")
    ] = None,
    example: Annotated[
        bool, typer.Option("--example", help="Add sample tools in every stage, with their history.")
    ] = False,
) -> None:
    """Create a registry from the template, with its first commit."""
    from aireg import init as init_mod

    t = term(ctx)
    result = init_mod.init(path, org, example)
    t.info(
        f"Created the registry in {result.root} ({len(result.files)} files, commit "
        f"{result.commit[:12]})."
    )
    if result.examples:
        t.info(f"Added {len(result.examples)} sample tools: {', '.join(result.examples)}.")
    t.next_step(f"cd {path} && aireg list; edit aireg.yaml for your departments and roles")


@app.command(
    rich_help_panel=REGISTRY, epilog=("Example: aireg validate --base origin/main --format github")
)
def validate(
    ctx: typer.Context,
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[PATH]...",
            help="Only these files (default: the whole registry).",
            show_default=False,
        ),
    ] = None,
    base: Annotated[
        str | None,
        typer.Option(
            "--base",
            metavar="REF",
            help="Also judge the commits in REF..HEAD by the history rules.",
        ),
    ] = None,
    format: Annotated[str, format_option("validation")] = "text",
    strict: Annotated[
        bool, typer.Option("--strict", help="Treat warnings (overdue work) as errors.")
    ] = False,
) -> Outcome:
    """Check the registry against every rule (the CI check)."""
    from aireg import validate as validate_mod

    t = term(ctx)
    reg = validate_mod.find_registry(getattr(ctx.find_root().obj, "registry", None),
                                     history=base is not None)
    result = validate_mod.check(reg, paths or (), base=base, strict=strict)
    if format == "github":
        validate_mod.locate_fields(reg, result)  # history problems annotate their field's line
    formats.reporter("validation", format)(t, result)
    return result  # its exit_code becomes the exit (cli.main): 3 unreadable, 1 broken rule


@app.command(
    "import",
    rich_help_panel=REGISTRY,
    epilog=("Example: aireg import inventory.csv --map map.yaml --dry-run"),
)
def import_(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE.csv|FILE.xlsx",
            help="The inventory spreadsheet, as CSV or .xlsx.",
            show_default=False,
        ),
    ],
    map: Annotated[
        Path, typer.Option("--map", metavar="MAP.yaml", help="Which columns are which fields.")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be created; write nothing.")
    ] = False,
    encoding: Annotated[
        str | None,
        typer.Option("--encoding", metavar="NAME", help="The CSV's encoding (default UTF-8)."),
    ] = None,
    sheet: Annotated[
        str | None,
        typer.Option("--sheet", metavar="NAME",
                     help="The worksheet of an .xlsx file (default: the first)."),
    ] = None,
    format: Annotated[str, format_option("import")] = "text",
) -> None:
    """Create records from an existing inventory, in one commit."""
    from aireg import importing

    t = term(ctx)
    reg = registry(ctx)
    result = importing.run(reg, file, map, dry_run=dry_run, encoding=encoding, sheet=sheet)
    formats.reporter("import", format)(t, result)


@app.command(rich_help_panel=REGISTRY, epilog="Example: aireg codeowners --check")
def codeowners(
    ctx: typer.Context,
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="Only compare: exit 1, with a diff, when CODEOWNERS is stale."
        ),
    ] = False,
) -> None:
    """Write CODEOWNERS from aireg.yaml's roles and commit it."""
    from aireg import codeowners as co

    t = term(ctx)
    reg = registry(ctx)
    if check:
        diff = co.check(reg.root, reg.config)
        if diff is None:
            t.info(f"{co.FILE} matches aireg.yaml.")
            return
        if diff:
            t.echo(diff.rstrip("\n"))
        raise co.out_of_date(missing=not diff)
    result = co.update(reg)
    if result.commit is None:
        t.info(f"{co.FILE} already matches aireg.yaml; nothing to commit.")
    else:
        t.info(f"{co.FILE}: written from aireg.yaml; committed {result.commit[:12]}")


@app.command(rich_help_panel=REGISTRY, epilog="Example: aireg schema > tool.schema.json")
def schema(
    ctx: typer.Context,
    config: Annotated[
        bool, typer.Option("--config", help="The schema of aireg.yaml instead.")
    ] = False,
) -> None:
    """Print the JSON Schema of a record, for editors."""
    from aireg import schema as schema_mod
    from aireg.render import machine

    term(ctx).write(machine.json_text(schema_mod.load_schema("config" if config else "tool")))
