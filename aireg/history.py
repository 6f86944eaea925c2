"""The history rules of SPEC section 4: every commit judged from git, one log pass, blobs by id.

How history is read
    One ``git log -z --raw --no-renames`` pass gives, for each commit, its id, parents,
    author, dates, message and the blob ids of every file it changed (a merge: its diff
    against its first parent). Fields are NUL-separated and parsed by position; the commit
    ids found are then compared with one ``git rev-list`` of the same range, set and order,
    so no text inside a commit message (git forbids NUL there; every other byte is allowed)
    can pose as another commit. File contents are read by blob id through one
    ``git cat-file --batch`` process. Replacement objects (``git replace``) are ignored.

What each commit is judged with
    ``check_history(root, base)`` judges every commit in ``base..HEAD`` with ``aireg.yaml``
    and the allowed-signers file *as they stand on the base*, so a pull request cannot
    grant itself rights or add its own signing key. ``check_history(root, None)`` (``aireg
    audit``) judges every commit of HEAD's history with the config and allowed-signers file
    as they stood in the commit's first parent, i.e. before the commit; the last valid
    config is kept when a commit breaks aireg.yaml. The root commit, which has no config
    before it, is judged with the config it creates (someone has to found the registry).

Merge commits
    Every non-merge commit in the range is judged on its own, so the commits a merge brings
    in are judged where they were made. A merge (including the synthetic merge commit a
    forge creates for a pull request, refs/pull/N/merge) is judged only for what it adds
    itself: for each file its result differs from every parent's version of (an "evil
    merge" or a conflict resolution), and within a record only the fields whose merged value
    is in no parent. Those are judged as changes made by the merge's author.

Identity
    The person is the commit author as git records it (name and e-mail, not the mailmap);
    for a review with a good signature it is the verified signer, so a signed review stays
    valid after a squash or rebase merge. A squash merge erases the authorship of an
    unsigned review: such a review is reported as ``squashed-review`` (a commit whose
    message carries an ``Aireg-Action: review`` line but is not itself a single review
    commit: several Aireg-Action lines, or a subject not starting ``aireg: review``).
"""

from __future__ import annotations

import copy
import datetime
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aireg import records
from aireg.config import CONFIG_FILE, Config
from aireg.errors import EnvError, RuleError, UsageError
from aireg.problems import Problem, Severity
from aireg.records import Stage

if TYPE_CHECKING:
    from aireg.gitrepo import CatFile, Git

# -- what a commit is ---------------------------------------------------------------------------

TRAILER_KEYS = ("Aireg-Action", "Aireg-Tool", "Aireg-Stage", "Aireg-Decision")
ACTIONS = ("propose", "advance", "review", "measure", "reassess", "withdraw", "retire",
           "import", "edit")
DECISIONS = ("approved", "changes-requested", "rejected")
CODEOWNERS_FILES = ("CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS")
DEFAULT_PATHS: tuple[str, ...] = ()  # the whole tree: see read_history

# Control characters (C0, DEL, C1), zero-width and bidirectional controls: never in a trailer
# value, and escaped wherever commit text is shown.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e"
                      "\u2066-\u2069\ufeff]")
_CONTROL_OR_TAB = re.compile("[\t" + _CONTROL.pattern[1:])
_TRAILER_LINE = re.compile(r"([A-Za-z0-9][A-Za-z0-9-]*): ?(.*)")
_ACTION_LINE = re.compile(r"^[ \t]*(?:[*-][ \t]+)?Aireg-Action:[ \t]*(\S*)", re.M)
_HEX = re.compile(rb"[0-9a-f]{40}(?:[0-9a-f]{24})?")
_PARENTS = re.compile(rb"(?:[0-9a-f]{40}(?:[0-9a-f]{24})?(?: [0-9a-f]{40}(?:[0-9a-f]{24})?)*)?")
_ISO = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[+-]\d\d:\d\d|Z)")
_RAW = re.compile(rb"\n?:(\d{6}) (\d{6}) ([0-9a-f]{40}(?:[0-9a-f]{24})?) "
                  rb"([0-9a-f]{40}(?:[0-9a-f]{24})?) ([A-Z])\d*")
_FORMAT = "%x00%H%x00%P%x00%an%x00%ae%x00%aI%x00%cI%x00%B"
_ORDER = ("--topo-order", "--reverse")
_RECORD = re.compile(r"tools/([a-z0-9]+(?:-[a-z0-9]+)*)\.yaml")


def shown(text: str) -> str:
    """Commit text made safe to print: control and bidi characters escaped."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


@dataclass(frozen=True)
class FileChange:
    """One file a commit changed, against its first parent: A(dded), M(odified), D(eleted)."""

    status: str
    path: str
    old: str | None = None  # blob id before (None when added)
    new: str | None = None  # blob id after (None when deleted)


@dataclass(frozen=True)
class Commit:
    """A commit as history rules see it; text fields are as git recorded them.

    `trailers` holds the Aireg-* trailers of the final trailer block, read strictly: only
    when every line of the message's last paragraph is a ``Key: value`` trailer, only the
    known keys, each once, with values free of control characters. Anything else leaves
    `trailers` empty and says why in `trailer_error`. `actions` counts the
    ``Aireg-Action:`` lines anywhere in the message (a squash message repeats them).
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
        """A message that carries a review commit's trailer without being one."""
        return "review" in self.actions and (
            len(self.actions) > 1 or not self.subject.startswith("aireg: review")
        )


def parse_trailers(message: str) -> tuple[dict[str, str], str | None]:
    """The Aireg-* trailers of `message`'s final trailer block, and why none were taken."""
    body = message.replace("\r\n", "\n\r")  # a CR makes any line it ends invalid below
    paragraphs = [p for p in re.split(r"\n[ \t]*\n", body.strip("\n")) if p.strip()]
    if len(paragraphs) < 2:
        return {}, None
    block = paragraphs[-1].split("\n")
    matches = [_TRAILER_LINE.fullmatch(line) for line in block]
    if not all(matches):
        if "Aireg-" in paragraphs[-1]:
            bad = next(line for line, m in zip(block, matches, strict=True) if m is None)
            return {}, (f"the final paragraph mixes Aireg trailers with other text "
                        f"({shown(bad)!r}), so it is not a trailer block")
        return {}, None  # not a trailer block: the message has no trailers
    found: dict[str, str] = {}
    for m in matches:
        assert m is not None
        key, value = m.group(1), m.group(2)
        if not key.lower().startswith("aireg-"):
            continue  # Signed-off-by, Co-authored-by...: not ours
        if key not in TRAILER_KEYS:
            return {}, f"{shown(key)} is not an aireg trailer (known: {', '.join(TRAILER_KEYS)})"
        if _CONTROL_OR_TAB.search(value) or value != value.strip():
            return {}, f"the {key} trailer's value contains control characters or stray spaces"
        if key in found:
            return {}, f"the {key} trailer appears twice"
        found[key] = value
    action = found.get("Aireg-Action")
    if action is not None and action not in ACTIONS:
        return {}, f"Aireg-Action {action!r} is not one of {', '.join(ACTIONS)}"
    tool = found.get("Aireg-Tool")
    if tool is not None and not records.ID_RE.match(tool):
        return {}, f"Aireg-Tool {tool!r} is not a tool id"
    decision = found.get("Aireg-Decision")
    if decision is not None and decision not in DECISIONS:
        return {}, f"Aireg-Decision {decision!r} is not one of {', '.join(DECISIONS)}"
    return found, None


class HistoryTooShallow(EnvError):
    """The history to judge reaches past what was fetched (exit 3); `rule` names it."""

    rule = "history-too-shallow"


def _framing_error(root: Path, detail: str) -> RuleError:
    return RuleError(
        f"{root}: the history could not be read unambiguously ({detail}); a commit's message "
        "may be crafted to imitate git's output: inspect `git log --format=raw` of the range, "
        "and do not merge it."
    )


def _tokens(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The NUL-separated fields of git's output, as chunks of it arrive."""
    rest = b""
    for chunk in chunks:
        parts = (rest + chunk).split(b"\0")
        rest = parts.pop()
        yield from parts
    yield rest


def _iter_commits(root: Path, tokens: Iterable[bytes]) -> Iterator[Commit]:
    """Commits parsed by position from `git log -z --raw --format=_FORMAT` output.

    Each commit is an empty field, then seven header fields (the last, the message, cannot
    hold a NUL), then pairs of (raw diff entry, path) until the next empty field.
    """
    it = iter(tokens)
    count = 0
    tok = next(it, None)
    while tok is not None:
        if tok != b"":
            raise _framing_error(root, f"unexpected text after commit {count}")
        sha = next(it, None)
        if sha is None:
            return  # the NUL that ends the output
        header = [next(it, None) for _ in range(6)]
        if any(h is None for h in header):
            raise _framing_error(root, "the output ends inside a commit")
        parents, an, ae, ad, cd, body = (h or b"" for h in header)
        if not (_HEX.fullmatch(sha) and _PARENTS.fullmatch(parents)
                and _ISO.fullmatch(ad) and _ISO.fullmatch(cd)):
            raise _framing_error(root, f"a commit header near {sha[:40]!r} is malformed")
        changes: list[FileChange] = []
        tok = next(it, None)
        while tok is not None and tok != b"":
            m = _RAW.fullmatch(tok)
            path_bytes = next(it, None)
            if m is None or not path_bytes:
                raise _framing_error(root, f"a changed-file entry of {sha.decode()} is malformed")
            tok = next(it, None)
            old_mode, new_mode, old, new, status = m.groups()
            if b"160000" in (old_mode, new_mode):
                continue  # a submodule: not a file of the registry
            st = "M" if status == b"T" else status.decode()
            if st not in ("A", "M", "D"):
                continue
            changes.append(FileChange(
                st, path_bytes.decode("utf-8", "surrogateescape"),
                None if st == "A" else old.decode(),
                None if st == "D" else new.decode(),
            ))
        count += 1
        yield _commit(sha, parents, an, ae, ad, cd, body, changes)


def _commit(sha: bytes, parents: bytes, an: bytes, ae: bytes, ad: bytes, cd: bytes,
            body: bytes, changes: list[FileChange]) -> Commit:
    message = body.decode("utf-8", "replace")
    trailers, trailer_error = parse_trailers(message)
    return Commit(
        sha=sha.decode(),
        parents=tuple(parents.decode().split()),
        author_name=shown(an.decode("utf-8", "replace")),
        author_email=shown(ae.decode("utf-8", "replace")).strip().lower(),
        author_date=ad.decode(),
        committer_date=cd.decode(),
        subject=shown(message.split("\n", 1)[0]),
        message=message,
        trailers=trailers,
        changes=tuple(changes),
        trailer_error=trailer_error,
        actions=tuple(m.group(1) for m in _ACTION_LINE.finditer(message)),
    )


def _parse_log(root: Path, data: bytes) -> list[Commit]:
    return list(_iter_commits(root, _tokens([data])))


def _too_shallow(root: Path, c: Commit) -> HistoryTooShallow:
    return HistoryTooShallow(
        f"{root} is a shallow clone and the history to judge reaches commit {c.short}, whose "
        "parents were not fetched, so it cannot be judged; fetch the whole history (`git "
        "fetch --unshallow`, or `fetch-depth: 0` in the CI checkout step) and run it again."
    )


def _revs(rev_range: str | None) -> list[str]:
    revs = [rev_range] if rev_range else ["HEAD"]
    if revs[0].startswith("-"):
        raise UsageError(f"{revs[0]!r} is not a revision range; write BASE..HEAD.")
    return revs


def _stream(root: Path, git: Git, rev_range: str | None, paths: Sequence[str],
            chunk: int = 512) -> Iterator[list[Commit]]:
    """The commits of the range in batches, as git produces them, each batch checked for the
    edge of a shallow clone; after the last batch, the framing is checked against rev-list."""
    revs = _revs(rev_range)
    shallow = git.shallow_commits()
    seen: list[str] = []
    with git.log_z_stream(_FORMAT, revs, paths, extra=_ORDER) as log:
        batch: list[Commit] = []
        for c in _iter_commits(root, _tokens(log.chunks())):
            if c.sha in shallow:
                raise _too_shallow(root, c)
            seen.append(c.sha)
            batch.append(c)
            if len(batch) >= chunk:
                yield batch
                batch = []
        ids = git.rev_list(revs, paths, extra=_ORDER)
        if seen != ids:
            raise _framing_error(
                root, f"git log gave {len(seen)} commits where git rev-list gives {len(ids)}, "
                "or in another order")
        if batch:
            yield batch


def read_history(root: Path, rev_range: str | None, paths: Sequence[str] = DEFAULT_PATHS,
                 *, git: Git | None = None) -> list[Commit]:
    """The commits of `rev_range` ("BASE..HEAD"; None: all of HEAD's history), oldest first,
    parents before children (``--topo-order --reverse``), with the files each changed.

    `paths` limits the log to commits that change those paths (git's default history
    simplification then hides merges whose result equals one parent's); the default, the
    whole tree, judges every commit. Raises HistoryTooShallow when the range reaches the
    edge of a shallow clone, and RuleError when the parsed commits differ from
    ``git rev-list`` of the same range.
    """
    from aireg.gitrepo import Git

    git = git or Git(root)
    _revs(rev_range)
    if rev_range is None and git.head() is None:
        return []
    return [c for batch in _stream(root, git, rev_range, paths) for c in batch]


# -- results ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Decision:
    """A security decision as history recorded it, and whether it stands up."""

    tool: str
    file: str
    decision: str
    by: str
    date: str
    commit: str
    author: str
    signature: str  # good | bad | unknown-key | wrong-signer | unsigned
    verified: bool
    problems: tuple[str, ...] = ()
    subject: str = ""
    committed: str = ""  # the commit's author date, ISO 8601

    @property
    def short(self) -> str:
        return self.commit[:12]

    def as_dict(self) -> dict[str, Any]:
        return {
            "tool": self.tool, "file": self.file, "decision": self.decision, "by": self.by,
            "date": self.date, "commit": self.commit, "author": self.author,
            "committed": self.committed, "signature": self.signature,
            "verified": self.verified, "problems": list(self.problems),
            "subject": self.subject,
        }


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


# -- reading records and configs from blobs -----------------------------------------------------

class _Broken:
    """A blob that is not a readable record: why, for the message."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


_MISSING = object()


class _Blobs:
    """Blob contents and parsed records/configs, read through one cat-file process."""

    def __init__(self, cat: CatFile) -> None:
        self.cat = cat
        self.raw: dict[str, bytes | None] = {}
        self.records: dict[str, dict[str, Any] | _Broken] = {}
        self.configs: dict[str, Config | None] = {}
        self.specs: dict[str, tuple[str, bytes] | None] = {}
        self.texts: dict[str, str] = {}

    def prefetch(self, oids: Iterable[str], specs: Iterable[str] = ()) -> None:
        want = [o for o in dict.fromkeys(oids) if o not in self.raw and o not in self.records]
        spec_list = [s for s in dict.fromkeys(specs) if s not in self.specs]
        got = self.cat.read_many([*want, *spec_list])
        for oid, item in zip(want, got[: len(want)], strict=True):
            self.raw[oid] = item[2] if item is not None and item[1] == "blob" else None
        for spec, item in zip(spec_list, got[len(want):], strict=True):
            if item is not None and item[1] == "blob":
                self.specs[spec] = (item[0], item[2])
                if item[0] not in self.records:
                    self.raw.setdefault(item[0], item[2])
            else:
                self.specs[spec] = None

    def blob(self, oid: str) -> bytes | None:
        if oid not in self.raw:
            self.prefetch([oid])
        return self.raw[oid]

    def at(self, rev: str, path: str) -> tuple[str, bytes] | None:
        """(blob id, content) of `path` in commit `rev`, or None."""
        spec = f"{rev}:{path}"
        if spec not in self.specs:
            self.prefetch((), [spec])
        return self.specs[spec]

    def record(self, oid: str | None, path: str) -> dict[str, Any] | _Broken | None:
        if oid is None:
            return None
        hit = self.records.get(oid)
        if hit is not None:
            return hit
        raw = self.blob(oid)
        self.raw.pop(oid, None)
        result: dict[str, Any] | _Broken
        if raw is None:
            result = _Broken("its content could not be read")
        else:
            result = _parse_record(raw, path)
        self.records[oid] = result
        return result

    def config(self, oid: str | None) -> Config | None:
        if oid is None:
            return None
        if oid not in self.configs:
            raw = self.blob(oid)
            self.configs[oid] = _parse_config(raw) if raw is not None else None
        return self.configs[oid]

    def text(self, oid: str | None) -> str:
        if oid is None:
            return ""
        hit = self.texts.get(oid)
        if hit is None:
            raw = self.blob(oid)
            hit = self.texts[oid] = raw.decode("utf-8", "replace") if raw is not None else ""
        return hit

    def forget(self, keep: set[str]) -> None:
        """Drop parsed records other than `keep`, so memory stays bounded on long histories."""
        self.records = {k: v for k, v in self.records.items() if k in keep}
        self.raw = {k: v for k, v in self.raw.items() if k in keep}
        self.specs.clear()


def _parse_record(raw: bytes, path: str) -> dict[str, Any] | _Broken:
    from aireg import yamlio

    try:
        data = yamlio.load(raw, path)
    except yamlio.YamlError as exc:
        return _Broken(exc.reason if exc.line is None else f"line {exc.line}: {exc.reason}")
    if not isinstance(data, dict):
        return _Broken("it is not a mapping of fields")
    return data


def _parse_config(raw: bytes) -> Config | None:
    from aireg import config as config_mod
    from aireg import yamlio

    try:
        data = yamlio.load(raw, CONFIG_FILE)
    except yamlio.YamlError:
        return None
    try:
        cfg, _ = config_mod.check(data, CONFIG_FILE, raw.decode("utf-8", "replace"))
    except Exception:  # a config too broken to check grants nothing
        return None
    return cfg


def _empty_config() -> Config:
    from aireg import config as config_mod

    return config_mod.build({})


# -- the judge --------------------------------------------------------------------------------

def _map(v: object) -> Mapping[str, Any]:
    return v if isinstance(v, Mapping) else {}


def _review(record: Mapping[str, Any] | None) -> Any:
    if record is None:
        return None
    return _map(record.get("security")).get("review")


def _lower(v: object) -> str:
    return str(v).strip().lower() if isinstance(v, str) else ""


def _changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The fields that differ, apart from `stage` and `security.review`."""
    out: list[str] = []
    for key in sorted(set(before) | set(after), key=str):
        if key == "stage":
            continue
        b, a = before.get(key, _MISSING), after.get(key, _MISSING)
        if key == "security" and all(isinstance(v, Mapping) or v is _MISSING for v in (b, a)):
            bm, am = _map(b), _map(a)
            for sub in sorted(set(bm) | set(am), key=str):
                if sub != "review" and bm.get(sub, _MISSING) != am.get(sub, _MISSING):
                    out.append(f"security.{sub}")
            continue
        if b != a:
            out.append(str(key))
    return out


def _leaves(value: Any, prefix: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], Any]:
    if isinstance(value, Mapping) and value:
        out: dict[tuple[Any, ...], Any] = {}
        for k, v in value.items():
            out.update(_leaves(v, (*prefix, k)))
        return out
    return {prefix: value}


def _set_path(target: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    node: Any = target
    for part in path[:-1]:
        nxt = node.get(part) if isinstance(node, dict) else None
        if not isinstance(nxt, dict):
            nxt = {}
            node[part] = nxt
        node = nxt
    if value is _MISSING:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = copy.deepcopy(value)


def _merge_before(result: dict[str, Any], first: Mapping[str, Any] | None,
                  others: Sequence[Mapping[str, Any] | None]) -> dict[str, Any] | None:
    """The merge result with every field that came from some parent as it is, and every
    field the merge itself introduced as the first parent had it; None when the merge
    introduced nothing."""
    mine = _leaves(result) if result else {}
    parents = [_leaves(p) if p else {} for p in (first, *others)]
    paths = set(mine).union(*parents)
    evil = [p for p in paths
            if all(mine.get(p, _MISSING) != par.get(p, _MISSING) for par in parents)]
    if not evil:
        return None
    before = copy.deepcopy(result)
    first_leaves = parents[0]
    first_prefixes = {p[:k] for p in first_leaves for k in range(1, len(p) + 1)}
    for p in sorted(evil, key=len):
        if not p:
            continue
        _set_path(before, p, first_leaves.get(p, _MISSING))
        for k in range(len(p) - 1, 0, -1):  # drop sections the first parent did not have
            node: Any = before
            for part in p[:k - 1]:
                node = node.get(part) if isinstance(node, dict) else None
            if (isinstance(node, dict) and node.get(p[k - 1]) == {}
                    and p[:k] not in first_prefixes):
                del node[p[k - 1]]
    return before


@dataclass(frozen=True)
class _Ref:
    """What a problem needs of a commit, kept instead of the commit on long walks."""

    short: str
    author_email: str


def _ref(c: Commit) -> _Ref:
    return _Ref(c.short, c.author_email)


def _facts_only(record: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a record that records.facts() reads: enough for changed_facts()."""
    out = {k: record.get(k) for k in records.FACT_KEYS}
    out["security"] = {k: v for k, v in _map(record.get("security")).items() if k != "review"}
    out["pilot"] = {"data": _map(record.get("pilot")).get("data")}
    return out


@dataclass(frozen=True)
class _State:
    """For `aireg audit`: the config and allowed-signers file a commit leaves behind (one
    object shared by every commit that leaves the same, so long histories stay small)."""

    config_oid: str | None
    signers_path: str
    signers_oid: str | None


class _Judge:
    def __init__(self, root: Path, git: Git, blobs: _Blobs, base: str | None,
                 head: str) -> None:
        self.root = root
        self.git = git
        self.blobs = blobs
        self.base = base
        self.head = head
        self.problems: list[Problem] = []
        self.decisions: list[Decision] = []
        self.states: dict[str, _State] = {}
        # (path, blob id) -> the author date of the commit that wrote it, for backdating.
        self.written: dict[tuple[str, str], str] = {}
        # For staleness at the end: the latest record whose facts matched its review.
        self.reviewed: dict[str, tuple[str, dict[str, Any]]] = {}
        self.staled_by: dict[tuple[str, str], _Ref] = {}
        self.review_intro: dict[tuple[str, str], _Ref] = {}
        self.touched: dict[str, None] = {}
        self.last_good: dict[str, dict[str, Any]] = {}
        self.last_commit: dict[str, _Ref] = {}
        # path -> the blob id of its latest version seen: parsed records kept between chunks.
        self.current: dict[str, str] = {}
        self.digests: dict[str, str] = {}
        self.base_config: Config | None = None
        self.base_signers = ""
        self.base_signers_path = ""
        if base is not None:
            self._load_base(base)

    # -- configs ------------------------------------------------------------------------

    def _load_base(self, base: str) -> None:
        found = self.blobs.at(base, CONFIG_FILE)
        if found is None:
            raise RuleError(
                f"{CONFIG_FILE} does not exist on the base ({base[:12]}), so there are no "
                "roles to judge the history with; merge the registry's first commit to the "
                "base branch first."
            )
        cfg = _parse_config(found[1])
        if cfg is None:
            raise RuleError(
                f"{CONFIG_FILE} on the base ({base[:12]}) is not valid, so the history cannot "
                "be judged with it; fix it on the base branch first (aireg validate there "
                "says how)."
            )
        self.base_config = cfg
        self.base_signers_path = cfg.policy.allowed_signers
        signers = self.blobs.at(base, cfg.policy.allowed_signers)
        self.base_signers = signers[1].decode("utf-8", "replace") if signers else ""

    def _state_at(self, sha: str) -> _State | None:
        """The config state in commit `sha` (computed when `sha` is outside the range)."""
        if sha in self.states:
            return self.states[sha]
        found = self.blobs.at(sha, CONFIG_FILE)
        oid = found[0] if found else None
        cfg = self.blobs.config(oid)
        path = cfg.policy.allowed_signers if cfg else ".aireg/allowed_signers"
        signers = self.blobs.at(sha, path)
        state = _State(oid if cfg else None, path, signers[0] if signers else None)
        self.states[sha] = state
        return state

    def _advance_state(self, c: Commit, before: _State | None) -> _State:
        changed = {ch.path: ch for ch in c.changes}
        cfg_oid = before.config_oid if before else None
        ch = changed.get(CONFIG_FILE)
        if ch is not None and ch.new is not None and self.blobs.config(ch.new) is not None:
            cfg_oid = ch.new  # a commit that breaks aireg.yaml leaves the last valid one
        cfg = self.blobs.config(cfg_oid)
        path = cfg.policy.allowed_signers if cfg else ".aireg/allowed_signers"
        sch = changed.get(path)
        if sch is not None:
            signers_oid = sch.new
        elif before is not None and before.signers_path == path:
            signers_oid = before.signers_oid
        else:
            found = self.blobs.at(c.sha, path)
            signers_oid = found[0] if found else None
        state = _State(cfg_oid, path, signers_oid)
        if state == before:
            state = before  # shared: most commits leave config and keys as they were
        self.states[c.sha] = state
        return state

    def _rules_for(self, c: Commit) -> tuple[Config, str, str]:
        """The config, allowed-signers text and its path that judge commit `c`."""
        if self.base_config is not None:
            return self.base_config, self.base_signers, self.base_signers_path
        parent = self._state_at(c.parents[0]) if c.parents else None
        mine = self._advance_state(c, parent)
        used = parent if parent is not None and parent.config_oid is not None else mine
        cfg = self.blobs.config(used.config_oid) or _empty_config()
        return cfg, self.blobs.text(used.signers_oid), used.signers_path

    # -- problems -----------------------------------------------------------------------

    def add(self, c: Commit | _Ref, file: str, fieldname: str, message: str, rule: str,
            severity: Severity = "error") -> None:
        self.problems.append(Problem(file, fieldname, message, rule, severity=severity,
                                     commit=c.short, author=c.author_email))

    # -- the walk -----------------------------------------------------------------------

    def process(self, part: Sequence[Commit]) -> None:
        """Judge a batch of commits (parents before children), blobs read in one go."""
        self._prefetch(part)
        for c in part:
            self._judge_commit(c)
        keep = set(self.current.values())
        self.blobs.forget(keep)
        if len(self.digests) > 2 * len(keep) + 1024:
            self.digests = {k: v for k, v in self.digests.items() if k in keep}
        if len(self.written) > 2 * len(keep) + 1024:
            self.written = {k: v for k, v in self.written.items() if k[1] in keep}

    def finish(self) -> None:
        self._stale_at_end()

    def _prefetch(self, part: Sequence[Commit]) -> None:
        oids: list[str] = []
        specs: list[str] = []
        for c in part:
            for ch in c.changes:
                if _RECORD.fullmatch(ch.path) or ch.path == CONFIG_FILE:
                    oids += [o for o in (ch.old, ch.new) if o]
                    if c.is_merge:
                        specs += [f"{p}:{ch.path}" for p in c.parents[1:]]
        self.blobs.prefetch(oids, specs)

    def _judge_commit(self, c: Commit) -> None:
        cfg, signers, signers_path = self._rules_for(c)
        protected = {CONFIG_FILE, signers_path, *CODEOWNERS_FILES}
        added = {ch.new: ch.path for ch in c.changes if ch.status == "A" and ch.new}
        for ch in c.changes:
            is_record = _RECORD.fullmatch(ch.path) is not None
            if not is_record and ch.path not in protected:
                continue
            if c.is_merge:
                others = [self.blobs.at(p, ch.path) for p in c.parents[1:]]
                if any((o[0] if o else None) == ch.new for o in others):
                    self._note_written(c, ch)
                    continue  # the merge took this file from another parent, as it was there
            if ch.path in protected:
                self._judge_protected(c, ch, cfg)
                if not is_record:
                    continue
            self._judge_record_change(c, ch, cfg, signers, signers_path, added)

    def _note_written(self, c: Commit, ch: FileChange) -> None:
        if ch.new is not None and _RECORD.fullmatch(ch.path):
            self.written.setdefault((ch.path, ch.new), c.author_date)
            self.current[ch.path] = ch.new
            self.last_commit[ch.path] = _ref(c)

    def _judge_protected(self, c: Commit, ch: FileChange, cfg: Config) -> None:
        if cfg.is_admin(c.author_email):
            return
        where = " as it stands on the base" if self.base is not None else " before this commit"
        admins = ", ".join(cfg.admins) or "nobody"
        verb = {"A": "added", "M": "changed", "D": "deleted"}[ch.status]
        self.add(c, ch.path, "", f"{c.author_email} {verb} {ch.path}, which only roles.admins "
                 f"of aireg.yaml{where} ({admins}) may change; an admin must make this change "
                 "(a change cannot grant itself rights).", "config-not-admin")

    def _judge_record_change(self, c: Commit, ch: FileChange, cfg: Config, signers: str,
                             signers_path: str, added: Mapping[str, str]) -> None:
        path = ch.path
        tool = path[len("tools/"):-len(".yaml")]
        self.touched[path] = None
        after = self.blobs.record(ch.new, path)
        before_raw = self.blobs.record(ch.old, path)
        before = self.last_good.get(path) if isinstance(before_raw, _Broken) else before_raw
        if c.is_merge and ch.new is not None and not isinstance(after, _Broken):
            assert after is not None
            others: list[Mapping[str, Any] | None] = []
            for p in c.parents[1:]:
                found = self.blobs.at(p, path)
                rec = _parse_record(found[1], path) if found else None
                others.append(rec if isinstance(rec, dict) else None)
            synthetic = _merge_before(after, before, others)
            if synthetic is None:
                self._note_written(c, ch)
                return
            before = synthetic if before is not None or any(o is not None for o in others) \
                else None
        if ch.new is None:
            if before is not None or ch.old is not None:
                renamed = added.get(ch.old or "")
                if renamed is not None:
                    msg = (f"{path} was renamed to {renamed}; a tool's id is its file name and "
                           f"never changes: restore {path} (to replace the tool, retire it "
                           f"with `aireg retire {tool} --replaced-by NEW-ID`).")
                else:
                    msg = (f"{path} was deleted; records are never deleted, so their history "
                           f"stays: restore it and retire the tool with `aireg retire {tool}`.")
                self.add(c, path, "", msg, "record-deleted")
            return
        if isinstance(after, _Broken):
            self.add(c, path, "", f"{path} cannot be read as a record at this commit "
                     f"({after.reason}), so the change cannot be judged; make every commit "
                     "leave a readable record (rewrite the branch's history).",
                     "unreadable-record")
            return
        assert after is not None
        self.last_good[path] = after
        self._note_written(c, ch)
        if before is None:
            self._judge_new(c, path, tool, after, cfg, signers, signers_path)
        else:
            self._judge_edit(c, path, tool, before, after, cfg, signers, signers_path,
                             ch.old)
        self._track_review(c, path, before, after, ch.new,
                           ch.old if before is before_raw else None)

    # -- the rules ------------------------------------------------------------------------

    def _may_edit(self, actor: str, record: Mapping[str, Any], cfg: Config) -> bool:
        return actor == _lower(record.get("owner")) or cfg.may_edit(
            actor, str(record.get("department", "")))

    def _who(self, record: Mapping[str, Any], cfg: Config) -> str:
        owner = _lower(record.get("owner")) or "nobody"
        dept = str(record.get("department", ""))
        who = f"its owner ({owner})"
        if cfg.departments.get(dept):
            who += f" or a member of {dept} ({', '.join(cfg.departments[dept])})"
        return who

    def _judge_new(self, c: Commit, path: str, tool: str, after: dict[str, Any], cfg: Config,
                   signers: str, signers_path: str) -> None:
        actor = c.author_email
        importing = c.trailers.get("Aireg-Action") == "import" and cfg.is_admin(actor)
        stage = records.parse_stage(after.get("stage"))
        if stage is not Stage.PURPOSE and not importing:
            if stage is not None and self._squashed_steps(c, after, Stage.PURPOSE, stage, True):
                self.add(c, path, "stage", f"{path} was created in {stage} by one squashed "
                         "commit; each step's fields are complete, but history no longer shows "
                         "who completed each step: merge pull requests with merge or rebase "
                         "merges, not squash.", "squashed-stages", "warning")
            else:
                self.add(c, path, "stage", f"{path} was created in stage "
                         f"{shown(str(after.get('stage')))!r}; a new record starts in purpose "
                         "(only an `aireg import` commit by an admin creates records in later "
                         "stages): create it with `aireg propose`.", "stage-skip")
        dept = str(after.get("department", ""))
        members = cfg.departments.get(dept, ())
        owner = _lower(after.get("owner"))
        allowed = importing or actor in members or (actor == owner and not members)
        if not allowed:
            why = (f"{dept} lists its members ({', '.join(members)}) and {actor} is not one"
                   if members else f"it names {owner or 'nobody'} as owner, not {actor}")
            self.add(c, path, "owner", f"{actor} created {path}, but {why}; the person doing "
                     "the work proposes their own tool in their own department "
                     "(`aireg propose`).", "not-owner")
        from aireg import imported  # issue 13: only an admin's import writes `imported`

        why_new = imported.history_problem(None, after, importing)
        if why_new is not None:
            self.add(c, path, "imported", f"{actor} created {path} with {why_new}",
                     "forged-import")
        review = _review(after)
        if review is not None:
            if importing:
                self.add(c, path, "security.review", "an imported record never carries a "
                         "security review; remove it and have a security reviewer review the "
                         "tool with `aireg review --security`.", "forged-review")
            else:
                self._judge_review(c, path, tool, None, review, owner, cfg, signers,
                                   signers_path, None)

    def _judge_edit(self, c: Commit, path: str, tool: str, before: dict[str, Any],
                    after: dict[str, Any], cfg: Config, signers: str, signers_path: str,
                    old_oid: str | None) -> None:
        actor = c.author_email
        r0, r1 = _review(before), _review(after)
        review_changed = r0 != r1
        raw0, raw1 = before.get("stage"), after.get("stage")
        s0, s1 = records.parse_stage(raw0), records.parse_stage(raw1)
        stage_changed = raw0 != raw1
        decision = _map(r1).get("decision")
        # The review's own move: past security when approved, to rejected when rejected. (More
        # than one step only in a squashed commit, judged by _judge_stage.)
        review_move = (
            stage_changed and review_changed and s0 is not None and s1 is not None
            and not s0.is_exit
            and ((decision == "approved" and not s1.is_exit
                  and (s0.step or 0) <= (Stage.SECURITY.step or 0) < (s1.step or 0))
                 or (decision == "rejected" and s1 is Stage.REJECTED))
        )
        if stage_changed:
            self._judge_stage(c, path, tool, after, raw1, s0, s1, review_move)
        if review_changed:
            owner = _lower(before.get("owner"))
            self._judge_review(c, path, tool, r0, r1, owner, cfg, signers, signers_path,
                               old_oid)
        from aireg import imported  # issue 13: `imported` never grows after the import

        why_edit = imported.history_problem(before, after, False)
        if why_edit is not None:
            self.add(c, path, "imported", f"{actor} changed {path}: {why_edit}", "forged-import")
        fields = _changed_fields(before, after)
        if stage_changed and not review_move:
            fields.insert(0, "stage")
        if not fields:
            return
        by = _lower(_map(r1).get("by"))
        if review_changed and actor == by:
            self.add(c, path, fields[0], f"{actor} recorded the security review and in the "
                     f"same commit changed {', '.join(fields)}; a security reviewer changes "
                     "only the review, so the owner must make that change in a commit of "
                     "their own.", "reviewer-changed-facts")
        elif not self._may_edit(actor, before, cfg):
            self.add(c, path, fields[0], f"{actor} changed {', '.join(fields)} of {tool}, but "
                     f"only {self._who(before, cfg)} may change it (judged with aireg.yaml"
                     f"{' on the base' if self.base else ' before this commit'}); ask them to "
                     "make the change.", "not-owner")

    def _judge_stage(self, c: Commit, path: str, tool: str, after: Mapping[str, Any],
                     raw1: Any, s0: Stage | None, s1: Stage | None, review_move: bool) -> None:
        if s1 is None:
            self.add(c, path, "stage", f"stage was set to {shown(str(raw1))!r}, which is not a "
                     f"stage; use one of {', '.join(records.STAGE_NAMES)}.", "bad-stage")
            return
        if s0 is None:
            return  # the commit that wrote the bad stage was reported
        if s0.is_exit:
            self.add(c, path, "stage", f"the stage moved from {s0} back to {s1}; a record in an "
                     "exit stays there: revert the change (propose a new tool to start again).",
                     "stage-back")
            return
        if s1.is_exit:
            return  # withdrawing or retiring is always one step (and judged as the owner's)
        step0, step1 = s0.step or 0, s1.step or 0
        if step1 < step0:
            self.add(c, path, "stage", f"the stage moved back from {s0} to {s1}; stages never "
                     "go back: revert the change.", "stage-back")
        elif step1 > step0 + 1:
            skipped = ", ".join(s.value for s in records.WORKFLOW[step0:step1 - 1])
            if self._squashed_steps(c, after, s0, s1, review_move):
                # A squash merge of several aireg commits: every step's fields are there (and
                # the security step's review is judged on its own), but not who did each.
                self.add(c, path, "stage", f"the stage moved from {s0} to {s1} in one squashed "
                         "commit; each step's fields are complete, but history no longer shows "
                         "who completed each step: merge pull requests with merge or rebase "
                         "merges, not squash.", "squashed-stages", "warning")
            else:
                self.add(c, path, "stage", f"the stage moved from {s0} to {s1}, skipping "
                         f"{skipped}; a stage moves one step at a time: complete each with "
                         f"`aireg advance {tool}`.", "stage-skip")
        elif s0 is Stage.SECURITY and not review_move:
            self.add(c, path, "stage", f"the tool left security for {s1} without an approved "
                     "security review in the same commit; only a security reviewer moves it "
                     f"on, with `aireg review --security {tool}`.", "left-security-unreviewed")

    @staticmethod
    def _squashed_steps(c: Commit, after: Mapping[str, Any], s0: Stage, s1: Stage,
                        reviewed: bool) -> bool:
        """Whether a move of several steps is a squash merge of several aireg commits with
        every step's fields complete (the security step: approved by a review in the same
        commit, whose own validity is judged separately)."""
        if len(c.actions) < 2 or s0.step is None or s1.step is None or s1.step <= s0.step:
            return False
        done = records.WORKFLOW[s0.step - 1:s1.step - 1]  # the steps this move completes
        if Stage.SECURITY in done:
            review = _map(_review(after))
            if not (reviewed and review.get("decision") == "approved"):
                return False
        return all(not records.missing(after, s) for s in done if s is not Stage.SECURITY)

    def _judge_review(self, c: Commit, path: str, tool: str, r0: Any, r1: Any, owner: str,
                      cfg: Config, signers: str, signers_path: str,
                      old_oid: str | None) -> None:
        from aireg import signing

        actor = c.author_email
        base_note = "on the base" if self.base else "before this commit"
        if not isinstance(r1, Mapping):
            self.add(c, path, "security.review", f"{actor} removed or replaced the security "
                     f"review of {tool} in a commit that is not a review; a review is never "
                     "edited after the fact: revert the change.", "review-edited")
            return
        rules: list[str] = []

        def problem(fieldname: str, message: str, rule: str) -> None:
            rules.append(rule)
            self.add(c, path, fieldname, message, rule)

        decision = str(r1.get("decision", ""))
        by = _lower(r1.get("by"))
        day = r1.get("date")
        signed = bool(r1.get("signature"))
        status: signing.Status = (signing.review_status(tool, r1, signers) if signed
                                  else "unsigned")
        if status in ("bad", "unknown-key", "wrong-signer"):
            rule = {"bad": "bad-signature", "unknown-key": "unknown-signer",
                    "wrong-signer": "signer-mismatch"}[status]
            why = signing.reason(status, tool, by or "the reviewer", signers_path) or ""
            problem("security.review.signature", f"{why[0].upper()}{why[1:-1]} (judged with "
                    f"{signers_path} {base_note}).", rule)
        elif status == "unsigned" and cfg.policy.require_signed_reviews:
            problem("security.review.signature", f"policy.require_signed_reviews is true but "
                    f"the review of {tool} carries no signature; {by or 'the reviewer'} must "
                    "review it again with `aireg review --security --sign`.", "unsigned-review")
        if status != "good":
            t = c.trailers
            trailers_ok = (t.get("Aireg-Action") == "review" and t.get("Aireg-Tool") == tool
                           and t.get("Aireg-Decision") == decision)
            need = (f"Aireg-Action: review, Aireg-Tool: {tool}, Aireg-Decision: "
                    f"{decision or '...'}")
            if actor != by:
                if c.looks_squashed():
                    problem("security.review.by", f"the review by {by or 'nobody'} arrived in a "
                            f"squashed commit by {actor}, which erased who recorded it, and no "
                            "valid signature proves it; have it reviewed again (with --sign), "
                            "and merge pull requests with merge or rebase merges, not squash.",
                            "squashed-review")
                elif r0 is not None and not trailers_ok:
                    problem("security.review", f"{actor} changed the security review of {tool} "
                            "in a commit that is not a review; an approval is never edited "
                            "after the fact: revert it, and ask a security reviewer for a new "
                            "review.", "review-edited")
                else:
                    problem("security.review.by", f"the review names {by or 'nobody'} as the "
                            f"reviewer but was committed by {actor}, and no valid signature "
                            "proves it; a review is recorded by the reviewer themselves with "
                            f"`aireg review --security {tool}`.", "forged-review")
            elif not trailers_ok:
                extra = f" ({c.trailer_error})" if c.trailer_error else ""
                if r0 is not None:
                    problem("security.review", f"{actor} changed the security review of {tool} "
                            f"in a commit without the review trailers ({need}){extra}; an "
                            "approval is never edited after the fact: record a new review with "
                            f"`aireg review --security {tool}`.", "review-edited")
                else:
                    problem("security.review", f"the review of {tool} was written into the "
                            f"record in a commit without the review trailers ({need}){extra}; "
                            f"record reviews with `aireg review --security {tool}`.",
                            "forged-review")
        if by and not cfg.is_reviewer(by):
            problem("security.review.by", f"the review was recorded by {by}, who is not in "
                    f"roles.security of aireg.yaml {base_note}; a security reviewer "
                    f"({', '.join(cfg.security) or 'none listed'}) must review it.",
                    "not-a-reviewer")
        elif not by:
            problem("security.review.by", f"the review of {tool} names no reviewer (by); "
                    f"record it with `aireg review --security {tool}`.", "forged-review")
        if by and by == owner:
            problem("security.review.by", f"{by} owns {tool} and recorded its security review; "
                    "no one reviews their own tool: another security reviewer must review it.",
                    "self-review")
        if isinstance(day, str) and records.is_valid_date(day):
            self._judge_date(c, path, tool, date.fromisoformat(day), old_oid, problem)
        self.decisions.append(Decision(
            tool=tool, file=path, decision=decision, by=by, date=str(day or ""),
            commit=c.sha, author=actor, signature=status, verified=not rules,
            problems=tuple(rules), subject=c.subject, committed=c.author_date,
        ))

    def _judge_date(self, c: Commit, path: str, tool: str, day: date, old_oid: str | None,
                    problem: Any) -> None:
        authored = c.author_day
        slack = timedelta(days=1)
        facts_written = self.written.get((path, old_oid)) if old_oid else None
        if day > authored + slack:
            why = f"after the commit that recorded it ({authored})"
        elif not c.looks_squashed() and day < authored - slack:
            why = f"more than a day before the commit that recorded it ({authored})"
        elif facts_written is not None and day < date.fromisoformat(facts_written[:10]) - slack:
            why = f"before the facts it judged were written ({facts_written[:10]})"
        else:
            return
        problem("security.review.date", f"the review of {tool} is dated {day}, {why}; a review "
                "carries the day it was made: review again with `aireg review --security "
                f"{tool}`.", "backdated-review")

    # -- staleness ----------------------------------------------------------------------

    def _digest(self, record: Mapping[str, Any], oid: str | None) -> str:
        if oid is None:
            return records.digest(record)
        hit = self.digests.get(oid)
        if hit is None:
            hit = self.digests[oid] = records.digest(record)
        return hit

    def _track_review(self, c: Commit, path: str, before: Mapping[str, Any] | None,
                      after: dict[str, Any], after_oid: str | None,
                      before_oid: str | None) -> None:
        """Remember what staleness at the end needs: which facts each approval covered, the
        commit that recorded it, and the last commit that moved the facts away from it."""
        r1 = _map(_review(after))
        rd = r1.get("digest")
        if r1.get("decision") != "approved" or not isinstance(rd, str):
            return
        r0 = _map(_review(before))
        same_review = r0.get("digest") == rd and r0.get("decision") == "approved"
        if not same_review:
            self.review_intro[(path, rd)] = _ref(c)
        before_ok = (before is not None and same_review
                     and self._digest(before, before_oid) == rd)
        if self._digest(after, after_oid) == rd:
            self.reviewed[path] = (rd, _facts_only(after))
        elif before_ok:
            assert before is not None
            self.reviewed[path] = (rd, _facts_only(before))
            self.staled_by[(path, rd)] = _ref(c)

    def _stale_at_end(self) -> None:
        # Only records that carried an approval somewhere in the range can have gone stale in
        # it (an approval older than the range, with facts changed in it, is tracked too).
        approved = set(self.reviewed) | {path for path, _ in self.review_intro}
        paths = [p for p in self.touched if p in approved]
        self.blobs.prefetch((), [f"{self.head}:{p}" for p in paths])
        for path in paths:
            found = self.blobs.at(self.head, path)
            if found is None:
                continue
            head = self.blobs.record(found[0], path) if found[0] in self.blobs.records \
                else _parse_record(found[1], path)
            if not isinstance(head, dict):
                continue
            stage = records.parse_stage(head.get("stage"))
            review = _map(_review(head))
            rd = review.get("digest")
            if (stage not in (Stage.IMPACT, Stage.ACTIVE) or review.get("decision") != "approved"
                    or not isinstance(rd, str) or records.digest(head) == rd):
                continue
            tool = path[len("tools/"):-len(".yaml")]
            ref = self.reviewed.get(path)
            culprit = self.staled_by.get((path, rd))
            culprit = culprit or self.last_commit.get(path)
            if ref is not None and ref[0] == rd and culprit is not None:
                names = records.changed_facts(ref[1], head)
                what = f" ({', '.join(names)} changed)" if names else ""
                self.add(culprit, path, "security.review.digest", f"the facts the security "
                         f"review of {tool} approved were changed after the approval{what} and "
                         "no new review followed; the approval no longer covers them: ask for "
                         f"a new review with `aireg review --security {tool}`.", "stale-review")
            elif (path, rd) in self.review_intro and (ref is None or ref[0] != rd):
                intro = self.review_intro[(path, rd)]
                self.add(intro, path, "security.review.digest", f"the security review of "
                         f"{tool} carries a digest that matches none of the facts the record "
                         "had, so it does not cover what the tool is; ask for a new review with "
                         f"`aireg review --security {tool}`.", "stale-review")


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
        judge = _Judge(root, git, _Blobs(cat), base_sha, head)
        # Judging overlaps git's diffing of later commits; nothing is returned unless the
        # framing check at the end of the stream passes.
        for batch in _stream(root, git, rev_range, DEFAULT_PATHS):
            for c in batch:
                inside.add(c.sha)
                parents.update(c.parents)
            count += len(batch)
            judge.process(batch)
        _check_boundary(root, cat, sorted(parents - inside))
        judge.finish()
    return HistoryResult(judge.problems, count, judge.decisions, base_sha, head)


def record_with_digest(root: Path, rel: str, digest: str) -> dict[str, Any] | None:
    """The record as it stood in the most recent commit whose facts have `digest`.

    That is the version a review with this digest judged, so ``changed_facts(it, now)``
    names what changed since. (Matching the facts, not the review's digest field: every
    later commit keeps the review's digest while the facts move on.) None when no commit
    matches. Walks the file's history newest first and stops at the first match.
    """
    from aireg.gitrepo import Git

    git = Git(root)
    if git.head() is None or not _RECORD.fullmatch(rel):
        return None
    with git.log_z_stream(_FORMAT, ["HEAD"], [rel]) as log, git.cat_file() as cat:
        blobs = _Blobs(cat)
        for c in _iter_commits(root, _tokens(log.chunks())):  # newest first; stop early
            for ch in c.changes:
                if ch.path != rel or ch.new is None:
                    continue
                rec = blobs.record(ch.new, rel)
                if isinstance(rec, dict) and records.digest(rec) == digest:
                    return rec
    return None


# -- the timeline of one tool -------------------------------------------------------------------

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


def timeline(root: Path, tool_id: str) -> list[Event]:
    """Each commit that changed tools/<tool_id>.yaml, oldest first (one git log pass).

    A review's signature is checked against the allowed-signers file as it stood before
    the commit that recorded it, as `aireg audit` does.
    """
    from aireg import signing
    from aireg.gitrepo import Git
    from aireg.repo import check_tool_id

    check_tool_id(tool_id)
    rel = f"{records.TOOLS_DIR}/{tool_id}.yaml"
    git = Git(root)
    if git.head() is None:
        return []
    commits = read_history(root, None, [rel], git=git)
    events: list[Event] = []
    with git.cat_file() as cat:
        blobs = _Blobs(cat)
        for c in commits:
            ch = next((x for x in c.changes if x.path == rel), None)
            if ch is None:
                continue
            before = blobs.record(ch.old, rel)
            after = blobs.record(ch.new, rel)
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
                        cfg_blob = blobs.at(c.parents[0], CONFIG_FILE)
                        cfg = _parse_config(cfg_blob[1]) if cfg_blob else None
                        path = cfg.policy.allowed_signers if cfg else ".aireg/allowed_signers"
                        found = blobs.at(c.parents[0], path)
                        signers = found[1].decode("utf-8", "replace") if found else ""
                    signature = signing.review_status(tool_id, r1, signers)
                else:
                    signature = "unsigned"
            action = c.trailers.get("Aireg-Action") or (
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
