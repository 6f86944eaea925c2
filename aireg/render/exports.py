"""The exports as text: CycloneDX as JSON, Backstage entities as one multi-document YAML file.

`EXPORTERS` maps each `aireg export --format` name to its renderer; render.formats names the
`*_out` reporters, from which the CLI derives its choices.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aireg.committed import Committed
    from aireg.render.console import Terminal


def cyclonedx(snap: Committed) -> str:
    from aireg import exports
    from aireg.render import machine

    return machine.json_text(exports.cyclonedx(snap))


def backstage(snap: Committed) -> str:
    """Entities separated by `---`, as Backstage reads a catalog-info.yaml.

    Each entity is written in JSON, the subset of YAML every YAML reader agrees on: a review
    date or a "yes" written as plain YAML would be a date or a boolean to a YAML 1.1 reader,
    and Backstage wants strings there.
    """
    from aireg import exports
    from aireg.render import machine

    head = snap.head[:12] if snap.head else "no commit"
    org = " ".join(snap.config.organization.split())
    header = (f"# Backstage catalog entities: the AI tools at {org},"
              f"\n# written by `aireg export --format backstage` from commit {head}.\n")
    docs = [machine.json_text(entity) for entity in exports.backstage(snap)]
    return header + "".join(f"---\n{d}" for d in docs)


EXPORTERS: dict[str, Callable[[Committed], str]] = {
    "cyclonedx": cyclonedx,
    "backstage": backstage,
}


def cyclonedx_out(term: Terminal, snap: Committed) -> None:
    term.write(cyclonedx(snap))


def backstage_out(term: Terminal, snap: Committed) -> None:
    term.write(backstage(snap))
