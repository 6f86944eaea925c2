"""`aireg site`: gather the catalog from the registry at HEAD, and write the site's folder whole.

The folder is written beside its destination and swapped into place, so a reader (or a web
server) never sees half a site, and a site that fails to build leaves the old one as it was.
An existing folder is replaced only when aireg wrote it (it holds MARKER): `-o .` or `-o
docs` by mistake must never delete a user's files.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from aireg import catalog as catalog_mod
from aireg import committed
from aireg.errors import EnvError, UsageError

if TYPE_CHECKING:
    from aireg.repo import Registry

MARKER = ".aireg-site"
X = TypeVar("X")


def timelines(reg: Registry, ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Each tool's commits, oldest first: the one place the site asks git for timelines."""
    return {k: [s.as_dict() for s in v] for k, v in committed.read_steps(reg, ids).items()}


def gather(reg: Registry) -> catalog_mod.Catalog:
    """The catalog of the registry as committed at HEAD."""
    from aireg import report
    from aireg.repo import today

    snap = committed.read(reg)
    ids = [str(r.get("id")) for r in snap.records]
    # The report's overlaps of the same records, as `aireg report` finds them.
    overlaps = [o.as_dict() for o in report.overlaps(snap.records)]
    return catalog_mod.build(
        snap.records, organization=snap.config.organization,
        departments=snap.config.departments, data_classes=snap.config.data_classes,
        generated=today(), head=snap.head, steps=timelines(reg, ids), overlaps=overlaps,
        unreadable=snap.unreadable)


def _write_page(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


def write(pages: Mapping[str, str], out: Path, many: Sequence[X] = (),
          render: Callable[[X], tuple[str, str]] | None = None) -> None:
    """Write the site to `out`: built beside it, then swapped in whole.

    `pages` are written as given; each of `many` (a page per tool) is rendered by `render`
    into (path, text) and written where it is rendered, in parallel when it pays
    (aireg.loader), so 10,000 pages never travel between processes.
    """
    from aireg import loader

    out = out.expanduser()
    if out.exists() and not out.is_dir():
        raise UsageError(f"-o {out}: it is a file; name a folder for the site.")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise UsageError(f"-o {out}: the folder is not empty and is not a site aireg wrote "
                         f"(it has no {MARKER}); name a new or empty folder.")
    parent = out.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
    except OSError as exc:
        raise EnvError(f"{out} cannot be written ({exc.strerror}); check that {parent} is "
                       "writable. Nothing was changed.") from exc
    old: Path | None = None
    try:
        for rel, text in pages.items():
            _write_page(staging, rel, text)
        if render is not None:
            loader.map_items(many, lambda item: _write_page(staging, *render(item)))
        (staging / MARKER).write_text("This folder is written by `aireg site`; the next run "
                                      "replaces it whole.\n", encoding="utf-8")
        staging.chmod(0o755)
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=parent))
            os.replace(out, old / "site")
        os.replace(staging, out)
    except OSError as exc:
        if old is not None and not out.exists():
            os.replace(old / "site", out)  # put the old site back
        raise EnvError(f"{out} cannot be written ({exc.strerror}); check that the folder is "
                       "writable and the disk is not full. The old site is unchanged.") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
