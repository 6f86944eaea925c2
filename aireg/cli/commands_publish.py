"""Publishing the registry: the static catalog site and the standard exports."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from aireg.cli.common import emit, format_option, registry, term
from aireg.cli.main import app

if TYPE_CHECKING:
    from aireg.render.console import Terminal


@app.command(
    rich_help_panel="Reading",
    epilog="Example: aireg site -o public  (then open public/index.html, or publish public/)",
)
def site(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("-o", "--output", metavar="DIR",
                                         help="The folder to write the site to (replaced whole).")],
) -> None:
    """A static catalog: approved tools, their data and conditions.

    Built from the registry as committed at HEAD (uncommitted edits are left out): an index
    with search and filters, a page per tool and per department, the teams that should
    talk, and "can I use it?". No server needed; nothing is fetched from anywhere.
    """
    from aireg import site as site_mod
    from aireg.render import site_html

    t = term(ctx)
    reg = registry(ctx)
    cat = site_mod.gather(reg)
    _left_out(t, cat.unreadable)
    site_mod.write(site_html.render_pages(cat), output, cat.tools,
                   lambda tool: site_html.render_tool(cat, tool))
    t.info(f"Wrote the catalog of {len(cat.tools)} tools to {output}/ "
           f"(open {output}/index.html).")


@app.command(
    rich_help_panel="Reading",
    epilog="Example: aireg export --format backstage -o catalog-info.yaml",
)
def export(
    ctx: typer.Context,
    format: Annotated[str, format_option("export")],
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", metavar="FILE", help="Write to FILE instead of stdout.")] = None,
) -> None:
    """The registry as CycloneDX 1.6 services or Backstage entities.

    Reads the registry as committed at HEAD. CycloneDX JSON lists each tool as a service;
    Backstage gets one Component entity per tool.
    """
    from aireg import committed

    t = term(ctx)
    snap = committed.read(registry(ctx))
    _left_out(t, snap.unreadable)
    emit(t, "export", format, snap, output)


def _left_out(t: Terminal, unreadable: tuple[str, ...]) -> None:
    """Committed records that cannot be read are left out, and said so on stderr."""
    if unreadable:
        n = len(unreadable)
        shown = "; ".join(unreadable[:5]) + (f"; and {n - 5} more" if n > 5 else "")
        t.warn(f"aireg: {n} committed record{'s' if n > 1 else ''} could not be read and "
               f"{'are' if n > 1 else 'is'} left out ({shown}); fix and commit "
               f"{'them' if n > 1 else 'it'} (`aireg validate` shows where).")
