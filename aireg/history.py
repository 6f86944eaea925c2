"""The history rules of SPEC section 4: every commit judged from git, one log pass, blobs by id.

The parts:

- aireg.gitlog reads the commits (one NUL-separated ``git log -z --raw`` pass, its framing
  checked against ``git rev-list``) with every tree entry each changed, modes included;
- aireg.trailers reads each message's Aireg-* trailers, strictly;
- aireg.gitobjects reads blobs and trees by id through one ``git cat-file --batch``;
- aireg.judge walks the commits (configs, modes, protected paths, merges) and
  aireg.judge_rules judges each record change with a frozen `Rules` context;
- aireg.timeline is what `log`, `show`, the report and the review queue read.

This module holds the entry points, `check_history` and `record_with_digest`, and names
the parts' public types for callers.

Identity
    The person is the commit author as git records it (its e-mail in NFKC normal form,
    compared case-insensitively; aireg.identity); for a review with a good signature it is
    the verified signer, so a signed review stays valid after a squash or rebase merge. A
    squash merge erases the authorship of an unsigned review: such a review is reported as
    ``squashed-review``. What a commit's author writes (subject, trailers, message shape,
    dates) can only ask more of a commit; it never relaxes a rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aireg import gitlog, records
from aireg.errors import EnvError, UsageError
from aireg.gitlog import (
    Commit,
    FileChange,
    HistoryTooShallow,
    read_history,
)
from aireg.gitobjects import Objects
from aireg.judge import Judge, record_tool
from aireg.judge_rules import Decision
from aireg.problems import Problem
from aireg.timeline import Event, stage_durations, timeline
from aireg.trailers import ACTIONS, DECISIONS, parse_trailers, shown
from aireg.trailers import KEYS as TRAILER_KEYS

if TYPE_CHECKING:
    from aireg.gitrepo import CatFile, Git

__all__ = [
    "ACTIONS", "DECISIONS", "TRAILER_KEYS", "Commit", "Decision", "Event", "FileChange",
    "HistoryResult", "HistoryTooShallow", "check_history", "parse_trailers", "read_history",
    "record_with_digest", "shown", "stage_durations", "timeline",
]


@dataclass
class HistoryResult:
    """Every history problem found, the number of commits judged, every decision seen."""

    problems: list[Problem] = field(default_factory=list)
    commits: int = 0
    decisions: list[Decision] = field(default_factory=list)
    base: str | None = None  # the base commit (None: all of history)
    head: str | None = None

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)


# -- entry points -----------------------------------------------------------------------------

def _resolve_base(git: Git, root: Path, base: str) -> str:
    if base.startswith("-"):
        raise UsageError(f"--base {base!r} is not a git revision; pass a branch, tag or commit.")
    sha = git.rev_parse(base)
    if sha is not None:
        return sha
    name = base.split("/", 1)[1] if base.startswith("origin/") else base
    shallow = " (this clone is shallow)" if git.is_shallow() else ""
    raise EnvError(
        f"base ref {base} not found in {root}{shallow}; fetch it: `git fetch origin {name}`, "
        "and check out with `fetch-depth: 0` in CI so the whole history is there."
    )


def _check_boundary(root: Path, cat: CatFile, outside: list[str]) -> None:
    """The parents of the range's oldest commits must exist, or the range cannot be judged."""
    for sha, found in zip(outside, cat.read_many(outside), strict=True):
        if found is None or found[1] != "commit":
            raise HistoryTooShallow(
                f"{root}: commit {sha[:12]}, a parent of the history to judge, is missing, so "
                "the history is too shallow to judge; fetch the whole history (`git fetch "
                "--unshallow`, or `fetch-depth: 0` in the CI checkout step) and run it again."
            )


def check_history(root: Path, base: str | None) -> HistoryResult:
    """Every history rule of SPEC section 4 over ``base..HEAD`` (None: all of history).

    Returns every problem (each naming commit, author, file, field and rule), the number of
    commits judged and every security decision recorded in the range. Raises EnvError when
    the base is missing or the history too shallow to judge (exit 3), never a pass.
    """
    from aireg.gitrepo import Git

    git = Git(root)
    head = git.head()
    if head is None:
        raise EnvError(f"{root} has no commits yet, so there is no history to judge; commit "
                       "the registry first.")
    base_sha = _resolve_base(git, root, base) if base is not None else None
    rev_range = f"{base_sha}..{head}" if base_sha else head
    count = 0
    inside: set[str] = set()
    parents: set[str] = set()
    with git.cat_file() as cat:
        judge = Judge(root, git, Objects(cat), base_sha, head)
        # Judging overlaps git's diffing of later commits; nothing is returned unless the
        # framing check at the end of the stream passes.
        for batch in gitlog.stream(root, git, rev_range):
            for c in batch:
                inside.add(c.sha)
                parents.update(c.parents)
            count += len(batch)
            judge.process(batch)
        _check_boundary(root, cat, sorted(parents - inside))
        judge.finish()
    problems = judge.problems
    if base_sha is not None and base_sha != head and not _related(git, base_sha, head):
        problems.insert(0, Problem(
            "", "", f"the history of HEAD ({head[:12]}) shares no commit with the base "
            f"({base_sha[:12]}): it was not made from the registry, so nothing in it can be "
            "trusted as a change to it; make the branch from the base branch and redo the "
            "changes there.", "unrelated-history", commit=head[:12]))
    return HistoryResult(problems, count, judge.decisions, base_sha, head)


def _related(git: Git, base: str, head: str) -> bool:
    code, out, _ = git.run_full("merge-base", "--end-of-options", base, head)
    return code == 0 and bool(out.strip())


def record_with_digest(root: Path, rel: str, digest: str) -> dict[str, Any] | None:
    """The record as it stood in the most recent commit whose facts have `digest`.

    That is the version a review with this digest judged, so ``changed_facts(it, now)``
    names what changed since. (Matching the facts, not the review's digest field: every
    later commit keeps the review's digest while the facts move on.) None when no commit
    matches. Walks the file's history newest first and stops at the first match.
    """
    from aireg.gitrepo import Git

    git = Git(root)
    if git.head() is None or record_tool(rel) is None:
        return None
    with git.log_z_stream(gitlog.FORMAT, ["HEAD"], [rel]) as log, git.cat_file() as cat:
        blobs = Objects(cat)
        for c in gitlog.iter_commits(root, gitlog.tokens(log.chunks())):  # newest first
            for ch in c.changes:
                if ch.path != rel or ch.new is None:
                    continue
                rec = blobs.record(ch.new, rel)
                if isinstance(rec, dict) and records.digest(rec) == digest:
                    return rec
    return None


