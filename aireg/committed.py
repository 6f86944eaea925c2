"""The registry as committed at HEAD: its records, its config and each tool's aireg commits.

What gets published (`aireg site`, `aireg export`) is what the registry's history holds, never
a working tree's uncommitted edits: a catalog built in CI and one built on a laptop with
half-finished edits must say the same thing. Records are read by blob id through one
``git cat-file --batch``; the timelines come from one ``git log`` pass over the Aireg-*
trailers (aireg.timeline.histories, the pass `aireg report` also makes), so 10,000 tools
cost one process, not one per tool. Trailers are read as written; `aireg audit` is what
checks that they tell the truth, and `aireg log ID` lists every commit of one tool with its
signatures verified.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aireg import records, recordtext
from aireg.config import CONFIG_FILE, Config
from aireg.errors import RuleError

if TYPE_CHECKING:
    from aireg.repo import Registry
    from aireg.timeline import Step



@dataclass(frozen=True)
class Committed:
    """The registry at one commit."""

    head: str | None
    config: Config
    records: tuple[dict[str, Any], ...]  # sorted by id
    unreadable: tuple[str, ...]  # files in tools/ that could not be read, each with why


def read(reg: Registry) -> Committed:
    """The records and config committed at HEAD (a registry with no commit has no records)."""
    from aireg import config as config_mod
    from aireg import loader, yamlio

    head = reg.git.head()
    if head is None:
        return Committed(None, reg.config, (), ())
    raw = reg.git.show_file(head, CONFIG_FILE)
    if raw is None:
        raise RuleError(f"{CONFIG_FILE} is not committed at HEAD; commit it, then run the "
                        "command again (only committed records are published).")
    text = raw.decode("utf-8", "replace")
    cfg, problems = config_mod.check(yamlio.load(raw, CONFIG_FILE), CONFIG_FILE, text)
    if cfg is None or problems:
        where = problems[0].location if problems else CONFIG_FILE
        why = problems[0].message if problems else "is not a valid config"
        raise RuleError(f"{where} (as committed at HEAD): {why}; fix it and commit "
                        "(`aireg validate` shows every problem).")
    listing = reg.git.run("ls-tree", "-z", "--full-tree", head, "--", f"{records.TOOLS_DIR}/")
    wanted: list[tuple[str, str]] = []  # (path, blob id)
    unreadable: list[str] = []
    for item in listing.split(b"\0"):
        meta, tab, path_b = item.partition(b"\t")
        if not tab:
            continue
        path = path_b.decode("utf-8", "surrogateescape")
        mode, kind, oid = meta.decode("ascii").split()
        if not path.endswith(".yaml"):
            continue
        if kind != "blob" or mode not in ("100644", "100755"):
            unreadable.append(f"{path}: not a regular file")
            continue
        wanted.append((path, oid))
    with reg.git.cat_file() as cat:
        blobs = cat.read_many([oid for _, oid in wanted])
    items = [(path, b[2] if b else None) for (path, _), b in zip(wanted, blobs, strict=True)]
    parsed = loader.map_items(items, _parse)
    recs: list[dict[str, Any]] = []
    for (path, _), result in zip(items, parsed, strict=True):
        if isinstance(result, str):
            unreadable.append(f"{path}: {result}")
        else:
            recs.append(result)
    recs.sort(key=lambda r: str(r.get("id", "")))
    return Committed(head, cfg, tuple(recs), tuple(unreadable))


def _parse(item: tuple[str, bytes | None]) -> dict[str, Any] | str:
    """A record, or why it cannot be read (a string)."""
    from aireg import yamlio

    path, raw = item
    if raw is None:
        return "missing from the repository"
    refused = recordtext.problem(raw)  # over 1 MiB, or breaks YAML readers disagree on
    if refused is not None:
        return refused[0]
    try:
        data = yamlio.load(raw, path)
    except yamlio.YamlError as exc:
        return exc.reason
    if not isinstance(data, dict):
        return "not a mapping of fields"
    tool = records.file_id(path)
    if data.get("id") != tool:
        return f"its id is not {tool}"
    return data


def read_steps(reg: Registry, ids: Sequence[str]) -> dict[str, list[Step]]:
    """Each of `ids`' aireg commits, oldest first, from the one timeline pass over history
    (aireg.timeline.histories) that the report and the review queue read too."""
    from aireg import timeline

    wanted = set(ids)
    return {tool: h.steps for tool, h in timeline.histories(reg.root, reg.git).items()
            if tool in wanted and h.steps}
