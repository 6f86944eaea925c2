"""Publishing the registry: the static catalog site and the standard exports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aireg.cli.common import registry
from aireg.cli.main import app
from aireg.render.exports import EXPORTERS

_EXPORT_CHOICES = ", ".join(EXPORTERS)


@app.command(rich_help_panel="Reading")
def site(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("-o", "--output", metavar="DIR",
                                         help="The folder to write the site to (replaced whole).")],
) -> None:
    """A static catalog of the registry as committed at HEAD (uncommitted edits are left out):
    an index with search and filters, a page per tool and per department, the teams that
    should talk, and "can I use it?". No server needed; nothing is fetched from anywhere."""
    from aireg import site as site_mod
    from aireg.render import site_html
    from aireg.render.console import info

    reg = registry(ctx)
    cat = site_mod.gather(reg)
    _left_out(cat.unreadable)
    site_mod.write(site_html.render_pages(cat), output, cat.tools,
                   lambda tool: site_html.render_tool(cat, tool))
    info(f"Wrote the catalog of {len(cat.tools)} tools to {output}/ (open {output}/index.html).")


@app.command(rich_help_panel="Reading")
def export(
    ctx: typer.Context,
    format: Annotated[str, typer.Option("--format", help=f"One of: {_EXPORT_CHOICES}.")],
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", metavar="FILE", help="Write to this file instead of stdout.")] = None,
) -> None:
    """The registry as committed at HEAD, in another tool's format: CycloneDX 1.6 JSON (each
    tool a service) or Backstage catalog entities (each tool a Component)."""
    from aireg import committed
    from aireg.errors import UsageError

    render = EXPORTERS.get(format)
    if render is None:
        raise UsageError(f"--format {format}: write one of {_EXPORT_CHOICES}.")
    snap = committed.read(registry(ctx))
    _left_out(snap.unreadable)
    text = render(snap)
    if output is None:
        import sys

        sys.stdout.write(text)
        return
    from aireg.render.console import info
    from aireg.repo import write_text_atomic

    write_text_atomic(output, text)
    info(f"Wrote {output}.")


def _left_out(unreadable: tuple[str, ...]) -> None:
    """Committed records that cannot be read are left out, and said so on stderr."""
    if unreadable:
        from aireg.render.console import warn

        shown = "; ".join(unreadable[:5]) + (f"; and {len(unreadable) - 5} more"
                                             if len(unreadable) > 5 else "")
        warn(f"aireg: {len(unreadable)} committed record{'s' if len(unreadable) > 1 else ''} "
             f"could not be read and {'are' if len(unreadable) > 1 else 'is'} left out "
             f"({shown}); fix and commit {'them' if len(unreadable) > 1 else 'it'} "
             "(`aireg validate` shows where).")
