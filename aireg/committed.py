"""The registry as committed at HEAD: its records, its config and each tool's aireg commits.

What gets published (`aireg site`, `aireg export`) is what the registry's history holds, never
a working tree's uncommitted edits: a catalog built in CI and one built on a laptop with
half-finished edits must say the same thing. Records are read by blob id through one
``git cat-file --batch``; the timelines come from one ``git log`` pass over the Aireg-*
trailers (the pass `aireg report` also makes), so 10,000 tools cost one process, not one per
tool. Trailers are read as written; `aireg audit` is what checks that they tell the truth, and
`aireg log ID` lists every commit of one tool with its signatures verified.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aireg import records
from aireg.config import CONFIG_FILE, Config
from aireg.errors import EnvError, RuleError

if TYPE_CHECKING:
    from aireg.repo import Registry

MAX_RECORD_BYTES = 1 << 20  # SPEC section 5: a record file is at most 1 MiB

# One commit per -z entry; fields NUL-separated and read by position. git refuses NUL in a
# message, so no text a commit's author wrote can pose as another field or another commit.
_TRAILERS = ("%(trailers:key=Aireg-Action,key=Aireg-Tool,key=Aireg-Stage,key=Aireg-Decision,"
             "unfold,separator=%x1f)")
_LOG_FORMAT = f"%H%x00%aI%x00%ae%x00%s%x00{_TRAILERS}"
_FIELDS = 5


@dataclass(frozen=True)
class Step:
    """One aireg commit of a tool, as its trailers tell it."""

    commit: str
    date: str  # author date, ISO 8601: when the person took the step
    person: str  # the author's e-mail as git recorded it
    action: str  # the Aireg-Action trailer
    stage_from: str | None
    stage_to: str | None
    decision: str | None
    subject: str

    def as_dict(self) -> dict[str, Any]:
        return {"commit": self.commit, "date": self.date, "person": self.person,
                "action": self.action, "stage_from": self.stage_from,
                "stage_to": self.stage_to, "decision": self.decision, "subject": self.subject}


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
    if len(raw) > MAX_RECORD_BYTES:
        return "larger than 1 MiB, the most a record may be"
    try:
        data = yamlio.load(raw, path)
    except yamlio.YamlError as exc:
        return exc.reason
    if not isinstance(data, dict):
        return "not a mapping of fields"
    tool = path.rsplit("/", 1)[-1].removesuffix(".yaml")
    if data.get("id") != tool:
        return f"its id is not {tool}"
    return data


def read_steps(reg: Registry, ids: Sequence[str]) -> dict[str, list[Step]]:
    """Each of `ids`' aireg commits, oldest first, from one `git log` pass."""
    if reg.git.head() is None:
        return {}
    raw = reg.git.run("--no-replace-objects", "log", "-z", "--reverse", "--no-show-signature",
                      "--no-color", "--encoding=UTF-8", f"--format={_LOG_FORMAT}",
                      "--end-of-options", "HEAD")
    return parse_steps(bytes(raw), set(ids))


def parse_steps(raw: bytes, ids: set[str]) -> dict[str, list[Step]]:
    """Parse `read_steps`' log output (pure)."""
    tokens = raw.split(b"\0")
    if tokens and tokens[-1] in (b"", b"\n"):
        tokens.pop()
    if len(tokens) % _FIELDS:
        raise EnvError("git log printed commits in an unexpected shape; check the git version "
                       "(aireg needs git 2.22 or later) and run the command again.")
    out: dict[str, list[Step]] = defaultdict(list)
    for n in range(0, len(tokens), _FIELDS):
        sha, when, email, subject, trailers = (t.decode("utf-8", "replace")
                                               for t in tokens[n:n + _FIELDS])
        found = _trailers(trailers)
        tool = found.get("Aireg-Tool", "")
        if tool not in ids or not found.get("Aireg-Action"):
            continue
        frm = to = None
        move = found.get("Aireg-Stage", "")
        if "->" in move:
            frm, _, to = (p.strip() for p in move.partition("->"))
        elif found["Aireg-Action"] == "propose":
            to = records.Stage.PURPOSE.value  # `aireg propose` creates records in purpose
        out[tool].append(Step(sha.strip(), when, email, found["Aireg-Action"], frm or None,
                              to or None, found.get("Aireg-Decision") or None, subject))
    return dict(out)


def _trailers(text: str) -> Mapping[str, str]:
    found: dict[str, str] = {}
    for part in text.split("\x1f"):
        key, sep, value = part.partition(":")
        if sep and key.strip() not in found:
            found[key.strip()] = value.strip()
    return found
