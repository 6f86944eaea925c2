"""Reading history from git: one NUL-separated `git log` pass, its framing checked by rev-list.

One ``git log -z --raw --no-renames`` pass gives, for each commit, its id, parents, author,
dates, message and every tree entry it changed (a merge: its diff against its first parent),
with both modes. Fields are NUL-separated and parsed by position; the commit ids found are
then compared with one ``git rev-list`` of the same range, set and order, so no text inside a
commit message (git forbids NUL there; every other byte is allowed) can pose as another
commit. Replacement objects (``git replace``) are ignored.

A changed entry keeps its blob ids only where the entry is a plain file (mode 100644 or
100755): a file that becomes a gitlink, a symbolic link or a folder is a deletion, the way
back a creation, and nothing git can store is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from aireg import identity, trailers
from aireg.errors import EnvError, RuleError, UsageError
from aireg.trailers import shown

if TYPE_CHECKING:
    from aireg.gitrepo import Git

FILE_MODES = frozenset({"100644", "100755"})
MODE_NAMES = {"100644": "file", "100755": "executable file", "120000": "symbolic link",
              "160000": "gitlink (submodule)", "040000": "folder", "000000": "nothing"}

_HEX = re.compile(rb"[0-9a-f]{40}(?:[0-9a-f]{24})?")
_PARENTS = re.compile(rb"(?:[0-9a-f]{40}(?:[0-9a-f]{24})?(?: [0-9a-f]{40}(?:[0-9a-f]{24})?)*)?")
_ISO = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[+-]\d\d:\d\d|Z)")
_RAW = re.compile(rb"\n?:(\d{6}) (\d{6}) ([0-9a-f]{40}(?:[0-9a-f]{24})?) "
                  rb"([0-9a-f]{40}(?:[0-9a-f]{24})?) ([A-Z])\d*")
FORMAT = "%x00%H%x00%P%x00%an%x00%ae%x00%aI%x00%cI%x00%B"
ORDER = ("--topo-order", "--reverse")


@dataclass(frozen=True)
class FileChange:
    """One tree entry a commit changed, against its first parent.

    `old`/`new` are blob ids of the path as a plain file (None where it was or became
    anything else, or nothing); `status` follows them: A(dded), M(odified), D(eleted), or T
    when the path is no file on either side (e.g. a gitlink changed). The modes say what the
    entry was and became.
    """

    status: str
    path: str
    old: str | None = None
    new: str | None = None
    old_mode: str = "100644"
    new_mode: str = "100644"
    old_id: str = ""  # the entry's object id before, whatever its mode ("" when added)
    new_id: str = ""  # and after ("" when deleted)

    @property
    def old_entry(self) -> tuple[str, str] | None:
        """(mode, object id) before, None when there was nothing."""
        return None if self.old_mode == "000000" else (self.old_mode, self.old_id)

    @property
    def new_entry(self) -> tuple[str, str] | None:
        return None if self.new_mode == "000000" else (self.new_mode, self.new_id)

    @property
    def mode_changed(self) -> bool:
        return self.old_mode != self.new_mode and "000000" not in (self.old_mode, self.new_mode)


@dataclass(frozen=True)
class Commit:
    """A commit as history rules see it; text fields are as git recorded them.

    `trailers` holds the Aireg-* trailers of the final trailer block, read strictly by
    aireg.trailers (empty when the block is not valid; `trailer_error` says why);
    `actions` lists the ``Aireg-Action:`` lines anywhere in the message. `author_email` is
    the normal form (aireg.identity) of the address git recorded.
    """

    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    author_date: str
    committer_date: str
    subject: str
    message: str
    trailers: dict[str, str]
    changes: tuple[FileChange, ...]
    trailer_error: str | None = None
    actions: tuple[str, ...] = ()

    @property
    def short(self) -> str:
        return self.sha[:12]

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    @property
    def author_day(self) -> date:
        """The day the commit was authored, in the author's own time zone."""
        return date.fromisoformat(self.author_date[:10])

    def looks_squashed(self) -> bool:
        """A message that carries a review commit's trailer without being one (it changes
        the wording of a problem, never whether there is one)."""
        return "review" in self.actions and (
            len(self.actions) > 1 or not self.subject.startswith("aireg: review"))


class HistoryTooShallow(EnvError):
    """The history to judge reaches past what was fetched (exit 3); `rule` names it."""

    rule = "history-too-shallow"


def framing_error(root: Path, detail: str) -> RuleError:
    return RuleError(
        f"{root}: the history could not be read unambiguously ({detail}); a commit's message "
        "may be crafted to imitate git's output: inspect `git log --format=raw` of the range, "
        "and do not merge it."
    )


def tokens(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The NUL-separated fields of git's output, as chunks of it arrive."""
    rest = b""
    for chunk in chunks:
        parts = (rest + chunk).split(b"\0")
        rest = parts.pop()
        yield from parts
    yield rest


def _change(old_mode: str, new_mode: str, old: str, new: str, path: str) -> FileChange:
    o = old if old_mode in FILE_MODES else None
    n = new if new_mode in FILE_MODES else None
    status = "T" if o is None and n is None else "A" if o is None else "D" if n is None else "M"
    return FileChange(status, path, o, n, old_mode, new_mode, old, new)


def iter_commits(root: Path, toks: Iterable[bytes]) -> Iterator[Commit]:
    """Commits parsed by position from `git log -z --raw --format=FORMAT` output.

    Each commit is an empty field, then seven header fields (the last, the message, cannot
    hold a NUL), then pairs of (raw diff entry, path) until the next empty field.
    """
    it = iter(toks)
    count = 0
    tok = next(it, None)
    while tok is not None:
        if tok != b"":
            raise framing_error(root, f"unexpected text after commit {count}")
        sha = next(it, None)
        if sha is None:
            return  # the NUL that ends the output
        header = [next(it, None) for _ in range(6)]
        if any(h is None for h in header):
            raise framing_error(root, "the output ends inside a commit")
        parents, an, ae, ad, cd, body = (h or b"" for h in header)
        if not (_HEX.fullmatch(sha) and _PARENTS.fullmatch(parents)
                and _ISO.fullmatch(ad) and _ISO.fullmatch(cd)):
            raise framing_error(root, f"a commit header near {sha[:40]!r} is malformed")
        changes: list[FileChange] = []
        tok = next(it, None)
        while tok is not None and tok != b"":
            m = _RAW.fullmatch(tok)
            path_bytes = next(it, None)
            if m is None or not path_bytes:
                raise framing_error(root, f"a changed-file entry of {sha.decode()} is malformed")
            tok = next(it, None)
            old_mode, new_mode, old, new, _status = (g.decode() for g in m.groups())
            changes.append(_change(old_mode, new_mode, old, new,
                                   path_bytes.decode("utf-8", "surrogateescape")))
        count += 1
        yield make_commit(sha, parents, an, ae, ad, cd, body, changes)


def make_commit(sha: bytes, parents: bytes, an: bytes, ae: bytes, ad: bytes, cd: bytes,
                body: bytes, changes: list[FileChange]) -> Commit:
    message = body.decode("utf-8", "replace")
    parsed = trailers.parse(message)
    email = ae.decode("utf-8", "replace")
    return Commit(
        sha=sha.decode(),
        parents=tuple(parents.decode().split()),
        author_name=shown(an.decode("utf-8", "replace")),
        author_email=identity.normal(email),
        author_date=ad.decode(),
        committer_date=cd.decode(),
        subject=shown(message.split("\n", 1)[0]),
        message=message,
        trailers=dict(parsed.trailers),
        changes=tuple(changes),
        trailer_error=parsed.error,
        actions=parsed.actions,
    )


def too_shallow(root: Path, c: Commit) -> HistoryTooShallow:
    return HistoryTooShallow(
        f"{root} is a shallow clone and the history to judge reaches commit {c.short}, whose "
        "parents were not fetched, so it cannot be judged; fetch the whole history (`git "
        "fetch --unshallow`, or `fetch-depth: 0` in the CI checkout step) and run it again."
    )


def revs_of(rev_range: str | None) -> list[str]:
    revs = [rev_range] if rev_range else ["HEAD"]
    if revs[0].startswith("-"):
        raise UsageError(f"{revs[0]!r} is not a revision range; write BASE..HEAD.")
    return revs


def stream(root: Path, git: Git, rev_range: str | None, paths: Sequence[str] = (),
           chunk: int = 512) -> Iterator[list[Commit]]:
    """The commits of the range in batches, as git produces them, each batch checked for the
    edge of a shallow clone; after the last batch, the framing is checked against rev-list.

    With `paths`, both git log and git rev-list run with ``--full-history`` and no merge
    simplification, so both list the same commits (merges included) for those paths.
    """
    revs = revs_of(rev_range)
    shallow = git.shallow_commits()
    seen: list[str] = []
    order = (*ORDER, "--full-history", "--sparse") if paths else ORDER
    with git.log_z_stream(FORMAT, revs, paths, extra=order) as log:
        batch: list[Commit] = []
        for c in iter_commits(root, tokens(log.chunks())):
            if c.sha in shallow:
                raise too_shallow(root, c)
            seen.append(c.sha)
            batch.append(c)
            if len(batch) >= chunk:
                yield batch
                batch = []
        ids = git.rev_list(revs, paths, extra=order)
        if seen != ids:
            raise framing_error(
                root, f"git log gave {len(seen)} commits where git rev-list gives {len(ids)}, "
                "or in another order")
        if batch:
            yield batch


def read_history(root: Path, rev_range: str | None, paths: Sequence[str] = (),
                 *, git: Git | None = None) -> list[Commit]:
    """The commits of `rev_range` ("BASE..HEAD"; None: all of HEAD's history), oldest first,
    parents before children (``--topo-order --reverse``), with the entries each changed.

    `paths` limits the log to commits that change those paths; the default, the whole tree,
    judges every commit. Raises HistoryTooShallow when the range reaches the edge of a
    shallow clone, and RuleError when the parsed commits differ from ``git rev-list`` of the
    same range.
    """
    from aireg.gitrepo import Git

    git = git or Git(root)
    revs_of(rev_range)
    if rev_range is None and git.head() is None:
        return []
    return [c for batch in stream(root, git, rev_range, paths) for c in batch]
