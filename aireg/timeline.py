"""The timeline of tools: what `aireg log`, `aireg show`, the report and the review queue read.

Two views of one history, both read with aireg.gitlog and aireg.trailers:

- `timeline(root, tool)`: each commit that changed one record, oldest first, with the stage
  it moved from and to as the record's content says, and any review with its signature
  status (one `git log` of that path, merges included);
- `histories(root)`: for every tool at once, the day its record was added and each stage
  move, from the commits' Aireg-* trailers (one `git log` without diffs over all of history,
  plus one `git diff-tree --stdin` for the files import commits added), which is what the
  report and the review queue need for 10,000 tools in about a second.

A tool enters a stage on the author date of the commit that moved it (when the person took
the step, which a later rebase or merge does not move), and its first stage on its
``aireg propose`` commit or the ``aireg import`` commit that added its file. The trailers are
read as written; ``aireg audit`` is what checks that they tell the truth.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from aireg import gitlog, records, trailers
from aireg.config import CONFIG_FILE


@dataclass(frozen=True)
class Event:
    """One commit in a tool's history, as `aireg log` shows it."""

    sha: str
    date: str  # author date, ISO 8601
    person: str  # the author's e-mail as git recorded it
    name: str
    action: str  # the Aireg-Action trailer, else create / edit / delete / merge
    stage_from: str | None
    stage_to: str | None
    decision: str | None
    signature: str  # good | bad | unknown-key | wrong-signer | unsigned | none
    subject: str

    @property
    def short(self) -> str:
        return self.sha[:12]

    @property
    def day(self) -> datetime.date:
        return datetime.date.fromisoformat(self.date[:10])

    def as_dict(self) -> dict[str, Any]:
        return {
            "commit": self.sha, "date": self.date, "person": self.person, "name": self.name,
            "action": self.action, "stage_from": self.stage_from, "stage_to": self.stage_to,
            "decision": self.decision, "signature": self.signature, "subject": self.subject,
        }


def _review(record: Mapping[str, Any] | None) -> Any:
    if record is None:
        return None
    sec = record.get("security")
    return sec.get("review") if isinstance(sec, Mapping) else None


def timeline(root: Path, tool_id: str) -> list[Event]:
    """Each commit that changed tools/<tool_id>.yaml, oldest first (one git log pass).

    A review's signature is checked against the allowed-signers file as it stood before
    the commit that recorded it, as `aireg audit` does.
    """
    from aireg import signing
    from aireg.gitobjects import Objects, parse_config
    from aireg.gitrepo import Git
    from aireg.repo import check_tool_id

    check_tool_id(tool_id)
    rel = f"{records.TOOLS_DIR}/{tool_id}.yaml"
    git = Git(root)
    if git.head() is None:
        return []
    commits = gitlog.read_history(root, None, [rel], git=git)
    events: list[Event] = []
    with git.cat_file() as cat:
        objects = Objects(cat)
        for c in commits:
            ch = next((x for x in c.changes if x.path == rel), None)
            if ch is None:
                continue
            if c.is_merge and any(objects.entry(p, rel) == ch.new_entry for p in c.parents[1:]):
                continue  # the merge took the version of a parent, whose commits are shown
            before = objects.record(ch.old, rel)
            after = objects.record(ch.new, rel)
            b = before if isinstance(before, dict) else None
            a = after if isinstance(after, dict) else None
            s0 = str(b.get("stage")) if b and b.get("stage") is not None else None
            s1 = str(a.get("stage")) if a and a.get("stage") is not None else None
            r0, r1 = _review(b), _review(a)
            decision: str | None = None
            signature = "none"
            if r1 != r0 and isinstance(r1, Mapping):
                decision = str(r1.get("decision", "")) or None
                if r1.get("signature"):
                    signers = ""
                    if c.parents:
                        cfg_blob = objects.file_at(c.parents[0], CONFIG_FILE)
                        cfg = parse_config(cfg_blob[1]) if cfg_blob else None
                        path = cfg.policy.allowed_signers if cfg else ".aireg/allowed_signers"
                        found = objects.file_at(c.parents[0], path)
                        signers = found[1].decode("utf-8", "replace") if found else ""
                    signature = signing.review_status(tool_id, r1, signers)
                else:
                    signature = "unsigned"
            action = c.trailers.get(trailers.ACTION) or (
                "merge" if c.is_merge else "create" if ch.status == "A"
                else "delete" if ch.status == "D" else "edit")
            events.append(Event(
                sha=c.sha, date=c.author_date, person=c.author_email, name=c.author_name,
                action=action, stage_from=s0 if s0 != s1 else None,
                stage_to=s1 if s0 != s1 else None, decision=decision, signature=signature,
                subject=c.subject,
            ))
    return events


def stage_durations(events: Sequence[Event], today: date) -> dict[str, int]:
    """Days spent in each stage, from the stage changes in `events` (the current stage counts
    until `today`), in the order the stages were first entered."""
    out: dict[str, int] = {}
    current: str | None = None
    since: date | None = None
    for ev in events:
        if ev.stage_to is None or ev.stage_to == current:
            continue
        if current is not None and since is not None:
            out[current] = out.get(current, 0) + max(0, (ev.day - since).days)
        current, since = ev.stage_to, ev.day
        out.setdefault(current, 0)
    if current is not None and since is not None:
        out[current] = out.get(current, 0) + max(0, (today - since).days)
    return out


# -- every tool at once -------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """One aireg commit of a tool, as its trailers tell it (what the site shows)."""

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


@dataclass
class ToolHistory:
    """What git says about one tool: when its file was added, each stage change, and each
    of its aireg commits."""

    added: date | None = None
    moves: list[tuple[date, str, str]] = field(default_factory=list)  # (date, from, to)
    steps: list[Step] = field(default_factory=list)


# No diffs: tools/ is one flat tree, and diffing it per commit made this pass 80 s on 100,000
# commits and 10,000 tools instead of one second; the trailers say everything but when an
# import added its files.
_MESSAGES = "%x00%H%x00%P%x00%an%x00%ae%x00%aI%x00%cI%x00%B"


def histories(root: Path, git: Any = None) -> dict[str, ToolHistory]:
    """Every tool's history, oldest first, in two git processes (see the module text)."""
    from aireg.gitrepo import Git

    git = git or Git(root)
    if git.head() is None:
        return {}
    out: dict[str, ToolHistory] = {}
    imports: dict[str, date] = {}
    args = ["--no-replace-objects", "log", "-z", "--reverse", "--no-show-signature",
            "--no-color", "--encoding=UTF-8", f"--format={_MESSAGES}", "--end-of-options",
            "HEAD"]
    raw = bytes(git.run(*args))
    for c in gitlog.iter_commits(root, gitlog.tokens([raw])):
        when = c.author_day
        parsed = trailers.Parsed(c.trailers, c.trailer_error, c.actions)
        if parsed.action == "import":
            imports[c.sha] = when
        tool = parsed.tool
        if not tool:
            continue
        hist = out.setdefault(tool, ToolHistory())
        if parsed.action == "propose" and hist.added is None:
            hist.added = when
        move = parsed.stage_move
        if move is not None:
            hist.moves.append((when, move[0], move[1]))
        if parsed.action:
            frm, to = move if move is not None else (None, None)
            if to is None and parsed.action == "propose":
                to = records.Stage.PURPOSE.value  # `aireg propose` creates it in purpose
            hist.steps.append(Step(c.sha, c.author_date, c.author_email, parsed.action, frm,
                                   to, parsed.decision, c.subject))
    if imports:
        done = git.run(
            "--no-replace-objects", "diff-tree", "--stdin", "-z", "-r", "--root",
            "--no-renames", "--name-status", "--no-ext-diff", "--", f"{records.TOOLS_DIR}/",
            stdin="".join(f"{sha}\n" for sha in imports).encode("ascii"))
        _added_files(bytes(done), imports, out)
    return out


def _added_files(raw: bytes, commits: Mapping[str, date],
                 history: dict[str, ToolHistory]) -> None:
    """Record when each file an import commit added was added (`git diff-tree -z` output)."""
    when: date | None = None
    prefix = f"{records.TOOLS_DIR}/".encode()
    toks = raw.split(b"\0")
    i = 0
    while i < len(toks):
        tok = toks[i].strip(b"\n")
        if len(tok) in (40, 64) and all(ch in b"0123456789abcdef" for ch in tok):
            when = commits.get(tok.decode("ascii"))
            i += 1
        elif tok[:1] in (b"A", b"M", b"D", b"T") and i + 1 < len(toks):
            path = toks[i + 1]
            if tok[:1] == b"A" and when and path.startswith(prefix) and path.endswith(b".yaml"):
                tool = path[len(prefix):-5].decode("utf-8", "replace")
                hist = history.setdefault(tool, ToolHistory())
                hist.added = min(hist.added, when) if hist.added else when
            i += 2
        else:
            i += 1
