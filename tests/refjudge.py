"""A simple, slow reference judge of SPEC section 4's history rules, written from the SPEC:
it compares whole trees of each commit in base..HEAD with its first parent's, exempts only a
clean three-way take at merges, and gives a normalised verdict that the fast judge
(aireg.history) must agree with. It uses aireg only to parse (yamlio, config.check, records)
and to verify signatures (signing); none of history.py's judging."""

from __future__ import annotations

import re
import subprocess
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from aireg import config as config_mod
from aireg import records, signing, yamlio

CONFIG = "aireg.yaml"
CODEOWNERS = ("CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS")
MAX_RECORD = 1024 * 1024
REGULAR = ("100644", "100755")
RECORD_RE = re.compile(r"^tools/(?=[a-z0-9-]{1,64}\.yaml$)([a-z0-9]+(?:-[a-z0-9]+)*)\.yaml$")
AMBIGUOUS = ("\u2028", "\u2029", "\u0085")
STAGE_STEP = {s.value: s.step for s in records.Stage}
EXITS = ("rejected", "retired")

# The rule classes both judges are compared by.
CLASSES = (
    "admin-file",    # aireg.yaml, allowed signers, CODEOWNERS, .gitattributes, .gitmodules
    "deleted",       # a record deleted, renamed, or turned into a gitlink, symlink or folder
    "layout",        # a record in a sub-folder of tools/, or a non-file at a record path
    "unreadable",    # a record version that cannot be read: YAML, size, ambiguous line breaks
    "stage",         # created past purpose, skipped, went back, bad stage, left security unreviewed
    "not-owner",     # the rest of a record changed by someone not allowed to
    "review",        # security.review changed by someone not allowed to, or without trailers
    "signature",     # a signature that does not verify, or none where policy requires one
    "duties",        # separation of duties
    "replay",        # a review replaced by an earlier-dated one, or a superseded one replayed
    "backdated",     # a review dated away from the commit recording it or before its facts
    "identity",      # an address with invisible or non-NFKC characters
    "stale",         # an approval whose facts changed after it (judged at HEAD)
    "range",         # the range cannot be judged: unrelated history, no valid base config
)


def norm(email: object) -> str:
    """Identity: NFKC, case-insensitive, surrounding blanks ignored."""
    return unicodedata.normalize("NFKC", str(email or "")).strip().lower()


def bad_identity(email: object) -> bool:
    """An address with invisible or format characters, or one that NFKC would change."""
    if not isinstance(email, str):
        return False
    if unicodedata.normalize("NFKC", email) != email:
        return True
    return any(unicodedata.category(ch) in ("Cf", "Cc", "Zl", "Zp", "Zs", "Mn", "Me")
               for ch in email)


# -- reading git objects ---------------------------------------------------------------------

@dataclass(frozen=True)
class Commit:
    sha: str
    tree: str
    parents: tuple[str, ...]
    author: str  # normalised identity
    author_raw: str
    author_day: date  # in the author's own time zone
    message: str


class Objects:
    """Every object through one `git cat-file --batch`; trees flattened like ls-tree -r."""

    def __init__(self, root: Path) -> None:
        self.proc = subprocess.Popen(["git", "-C", str(root), "cat-file", "--batch"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.commits: dict[str, Commit] = {}
        self.trees: dict[str, dict[str, tuple[str, str]]] = {}
        self.blobs: dict[str, bytes] = {}

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)

    def raw(self, oid: str) -> tuple[str, bytes] | None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(oid.encode() + b"\n")
        self.proc.stdin.flush()
        header = self.proc.stdout.readline().split()
        if len(header) != 3:
            return None
        size = int(header[2])
        data = self.proc.stdout.read(size)
        self.proc.stdout.read(1)
        return header[1].decode(), data

    def blob(self, oid: str) -> bytes:
        if oid not in self.blobs:
            got = self.raw(oid)
            self.blobs[oid] = got[1] if got and got[0] == "blob" else b""
        return self.blobs[oid]

    def commit(self, sha: str) -> Commit:
        hit = self.commits.get(sha)
        if hit is not None:
            return hit
        got = self.raw(sha)
        if got is None or got[0] != "commit":
            raise LookupError(f"{sha} is not a commit")
        head, _, body = got[1].partition(b"\n\n")
        tree, parents, author_raw, day = "", [], "", date(1970, 1, 1)
        for line in head.split(b"\n"):
            if line.startswith(b"tree "):
                tree = line[5:].decode()
            elif line.startswith(b"parent "):
                parents.append(line[7:].decode())
            elif line.startswith(b"author "):
                m = re.match(rb"^author (.*) <(.*)> (-?\d+) ([+-])(\d\d)(\d\d)$", line)
                if m:
                    author_raw = m.group(2).decode("utf-8", "replace")
                    sign = 1 if m.group(4) == b"+" else -1
                    tz = timezone(sign * timedelta(hours=int(m.group(5)),
                                                   minutes=int(m.group(6))))
                    day = datetime.fromtimestamp(int(m.group(3)), tz).date()
        c = Commit(sha, tree, tuple(parents), norm(author_raw), author_raw, day,
                   body.decode("utf-8", "replace"))
        self.commits[sha] = c
        return c

    def tree(self, oid: str) -> dict[str, tuple[str, str]]:
        """path -> (mode, oid) of every non-tree entry below the tree, recursively."""
        hit = self.trees.get(oid)
        if hit is not None:
            return hit
        out: dict[str, tuple[str, str]] = {}
        got = self.raw(oid)
        data = got[1] if got else b""
        i = 0
        while i < len(data):
            sp = data.index(b" ", i)
            nul = data.index(b"\0", sp)
            mode = data[i:sp].decode()
            name = data[sp + 1:nul].decode("utf-8", "surrogateescape")
            sub = data[nul + 1:nul + 21].hex()
            i = nul + 21
            if mode in ("40000", "040000"):
                for path, entry in self.tree(sub).items():
                    out[f"{name}/{path}"] = entry
            else:
                out[name] = (mode.rjust(6, "0"), sub)
        self.trees[oid] = out
        return out

    def files(self, sha: str | None) -> dict[str, tuple[str, str]]:
        return self.tree(self.commit(sha).tree) if sha else {}


# -- the verdict ---------------------------------------------------------------------------

@dataclass
class Verdict:
    """Normalised: the problems as (commit, path, class); commit None for range-wide ones
    and for `stale`, which is judged on HEAD."""

    problems: set[tuple[str | None, str, str]] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, commit: str | None, path: str, cls: str) -> None:
        assert cls in CLASSES, cls
        self.problems.add((commit, path, cls))


class Unjudgeable(Exception):
    """The range cannot be judged (a broken rule of its own, exit 1)."""


# -- records -------------------------------------------------------------------------------

class Broken:
    """A record version that cannot be read."""


def read_record(data: bytes, path: str) -> dict[str, Any] | Broken:
    if len(data) > MAX_RECORD:
        return Broken()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return Broken()
    if any(ch in text for ch in AMBIGUOUS) or re.search(r"\r(?!\n)", text):
        return Broken()
    try:
        rec = yamlio.load(text, path)
    except Exception:  # any refusal by the strict reader
        return Broken()
    return rec if isinstance(rec, dict) else Broken()


def review_of(rec: Mapping[str, Any] | None) -> Any:
    sec = rec.get("security") if rec else None
    return sec.get("review") if isinstance(sec, Mapping) else None


def without_review_and_stage(rec: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in rec.items() if k != "stage"}
    sec = out.get("security")
    if isinstance(sec, Mapping):
        out["security"] = {k: v for k, v in sec.items() if k != "review"}
        if not out["security"]:
            del out["security"]  # a review alone: nothing else of the record changed
    return out


def trailers(message: str) -> dict[str, str]:
    """The final paragraph's `Key: value` lines; any Aireg- key given twice voids them all,
    and so does a paragraph that is not all trailers or is the subject itself."""
    paras = [p for p in re.split(r"\n[ \t]*\n", message.strip("\n")) if p.strip()]
    if len(paras) < 2:
        return {}
    out: dict[str, str] = {}
    for line in paras[-1].split("\n"):
        m = re.match(r"^([A-Za-z0-9][A-Za-z0-9-]*): ?(.*)$", line)
        if not m:
            return {}
        key = m.group(1).lower()
        if key.startswith("aireg-") and key in out:
            return {}
        out.setdefault(key, m.group(2).strip())
    return out


def as_map(v: Any) -> Mapping[str, Any]:
    return v if isinstance(v, Mapping) else {}


def signature_key(review: Any) -> str:
    """A review's signature with its white space removed ("" when it has none)."""
    sig = review.get("signature") if isinstance(review, Mapping) else None
    return "".join(sig.split()) if isinstance(sig, str) else ""


def payload(tool: str, review: Mapping[str, Any]) -> bytes:
    return signing.review_payload(tool, review)


# -- config as it stands on the base --------------------------------------------------------

@dataclass(frozen=True)
class Rules:
    admins: frozenset[str]
    security: frozenset[str]
    members: Mapping[str, frozenset[str]]
    signed: bool
    signers_path: str
    signers: str

    def may_edit(self, actor: str, rec: Mapping[str, Any]) -> bool:
        dept = str(rec.get("department", ""))
        return actor == norm(rec.get("owner")) or actor in self.members.get(dept, frozenset())


def base_rules(obj: Objects, base: str) -> Rules:
    files = obj.files(base)
    entry = files.get(CONFIG)
    if entry is None or entry[0] not in REGULAR:
        raise Unjudgeable("no aireg.yaml on the base")
    text = obj.blob(entry[1]).decode("utf-8", "replace")
    try:
        data = yamlio.load(text, CONFIG)
    except Exception as exc:
        raise Unjudgeable("aireg.yaml on the base does not parse") from exc
    cfg, problems = config_mod.check(data, CONFIG, text)
    if cfg is None or any(p.severity == "error" for p in problems):
        raise Unjudgeable("aireg.yaml on the base is not valid")
    roles = data.get("roles") or {}
    deps = data.get("departments") or {}
    pol = data.get("policy") or {}

    def people(v: Any) -> frozenset[str]:
        return frozenset(norm(e) for e in v) if isinstance(v, list) else frozenset()

    path = str(pol.get("allowed_signers", ".aireg/allowed_signers"))
    sentry = files.get(path)
    signers = obj.blob(sentry[1]).decode("utf-8", "replace") if sentry else ""
    return Rules(
        admins=people(roles.get("admins")), security=people(roles.get("security")),
        members={str(k): people((v or {}).get("members") if isinstance(v, Mapping) else None)
                 for k, v in deps.items()},
        signed=pol.get("require_signed_reviews") is True, signers_path=path, signers=signers,
    )


# -- the judge -----------------------------------------------------------------------------

class RefJudge:
    """Judges base..head of one repository; `objects` may be shared between ranges."""

    def __init__(self, obj: Objects, base: str, head: str) -> None:
        self.obj = obj
        self.base = base
        self.head = head
        self.verdict = Verdict()
        self.records_cache: dict[str, dict[str, Any] | Broken] = {}
        self.ancestors_cache: dict[str, frozenset[str]] = {}

    # graph ---------------------------------------------------------------------------

    def ancestors(self, sha: str) -> frozenset[str]:
        """`sha` and every commit reachable from it."""
        hit = self.ancestors_cache.get(sha)
        if hit is not None:
            return hit
        seen: set[str] = set()
        todo = [sha]
        while todo:
            s = todo.pop()
            if s in seen:
                continue
            seen.add(s)
            todo.extend(self.obj.commit(s).parents)
        out = frozenset(seen)
        self.ancestors_cache[sha] = out
        return out

    def merge_bases(self, a: str, b: str) -> list[str]:
        common = self.ancestors(a) & self.ancestors(b)
        return [c for c in common
                if not any(c != o and c in self.ancestors(o) for o in common)]

    def in_range(self) -> list[str]:
        """Commits reachable from head and not from base, parents before children."""
        excluded = self.ancestors(self.base)
        inside = [s for s in self.ancestors(self.head) if s not in excluded]
        order: list[str] = []
        done: set[str] = set()
        members = set(inside)
        for start in sorted(inside):
            stack = [(start, False)]
            while stack:
                s, expanded = stack.pop()
                if s in done:
                    continue
                if expanded:
                    done.add(s)
                    order.append(s)
                    continue
                stack.append((s, True))
                for p in self.obj.commit(s).parents:
                    if p in members and p not in done:
                        stack.append((p, False))
        return order

    # records -------------------------------------------------------------------------

    def record(self, entry: tuple[str, str] | None, path: str) -> dict[str, Any] | Broken | None:
        """The record an entry holds: None when there is no regular file there."""
        if entry is None or entry[0] not in REGULAR:
            return None
        hit = self.records_cache.get(entry[1])
        if hit is None:
            hit = self.records_cache[entry[1]] = read_record(self.obj.blob(entry[1]), path)
        return hit

    def readable_before(self, sha: str | None, path: str) -> dict[str, Any] | None:
        """The record at `sha`, or if broken there, at the nearest first-parent ancestor."""
        while sha is not None:
            rec = self.record(self.obj.files(sha).get(path), path)
            if not isinstance(rec, Broken):
                return rec
            parents = self.obj.commit(sha).parents
            sha = parents[0] if parents else None
        return None

    def judged_change(self, sha: str, path: str) -> tuple[Any, Any] | None:
        """(before, after) entries of `path` that commit `sha` is judged for, None when it is
        not judged for it (unchanged, or a clean three-way take at a merge)."""
        c = self.obj.commit(sha)
        first = c.parents[0] if c.parents else None
        before = self.obj.files(first).get(path)
        after = self.obj.files(sha).get(path)
        if before == after:
            return None
        if first is not None:
            for other in c.parents[1:]:
                if self.obj.files(other).get(path) != after:
                    continue
                # Unrelated histories merge as git does, from the empty tree.
                bases = self.merge_bases(first, other)
                if all(self.obj.files(b).get(path) == before for b in bases or [None]):
                    return None  # a clean take of the other side's version
        return before, after

    # the walk ----------------------------------------------------------------------

    def run(self) -> Verdict:
        try:
            self.rules = base_rules(self.obj, self.base)
        except Unjudgeable:
            self.verdict.add(None, CONFIG, "range")
            return self.verdict
        if not (self.ancestors(self.head) & self.ancestors(self.base)):
            self.verdict.add(None, "", "range")
            return self.verdict
        touched: set[str] = set()
        for sha in self.in_range():
            touched |= self.judge_commit(sha)
        self.judge_stale(touched)
        return self.verdict

    def judge_commit(self, sha: str) -> set[str]:
        c = self.obj.commit(sha)
        first = c.parents[0] if c.parents else None
        t0, t1 = self.obj.files(first), self.obj.files(sha)
        touched: set[str] = set()
        for path in sorted(set(t0) | set(t1)):
            change = self.judged_change(sha, path) if t0.get(path) != t1.get(path) else None
            if change is None:
                continue
            before, after = change
            self.judge_protected(c, path, before, after)
            if RECORD_RE.match(path):
                touched.add(path)
                self.judge_record_path(c, first, path, before, after)
            elif (path.startswith("tools/") and "/" in path[len("tools/"):]
                  and after is not None and not self.protected(path)
                  and (path.endswith((".yaml", ".yml")) or after[0] not in REGULAR)):
                # A record (or anything but a file) in a sub-folder of tools/. Other names
                # directly in tools/ are the record rules' to refuse.
                self.verdict.add(sha, path, "layout")
        return touched

    def protected(self, path: str) -> bool:
        return (path in (CONFIG, self.rules.signers_path, *CODEOWNERS)
                or path.rsplit("/", 1)[-1] in (".gitattributes", ".gitmodules"))

    def judge_protected(self, c: Commit, path: str, before: Any, after: Any) -> None:
        if self.protected(path) and c.author not in self.rules.admins:
            self.verdict.add(c.sha, path, "admin-file")

    def judge_record_path(self, c: Commit, first: str | None, path: str, before: Any,
                          after: Any) -> None:
        was = self.record(before, path)
        now = self.record(after, path)
        if was is not None and now is None:
            self.verdict.add(c.sha, path, "deleted")  # also when it became a gitlink, link...
            return
        if now is None:
            if after is not None:
                self.verdict.add(c.sha, path, "layout")  # a gitlink, symlink... at a record path
            return
        if isinstance(now, Broken):
            self.verdict.add(c.sha, path, "unreadable")
            return
        old = self.readable_before(first, path) if isinstance(was, Broken) else was
        assert not isinstance(old, Broken)
        if (before is not None and before[0] != after[0] and old is not None
                and not self.rules.may_edit(c.author, old)):
            self.verdict.add(c.sha, path, "not-owner")  # a mode change is a change too
        self.judge_record(c, path, old, now)

    # the record rules of the history ----------------------------------------------------

    def judge_record(self, c: Commit, path: str, old: dict[str, Any] | None,
                     new: dict[str, Any]) -> None:
        sha, actor, r = c.sha, c.author, self.rules
        tool = RECORD_RE.match(path).group(1)  # type: ignore[union-attr]
        t = trailers(c.message)
        # An owner or a reviewer's address this commit writes must name a person.
        if bad_identity(new.get("owner")) and (old is None
                                               or old.get("owner") != new.get("owner")):
            self.verdict.add(sha, path, "identity")
        if review_of(old) != review_of(new) and bad_identity(as_map(review_of(new)).get("by")):
            self.verdict.add(sha, path, "identity")
        r0, r1 = review_of(old), review_of(new)
        if old is None:
            importing = t.get("aireg-action") == "import" and actor in r.admins
            if new.get("stage") != "purpose" and not importing:
                self.verdict.add(sha, path, "stage")
            dept = str(new.get("department", ""))
            members = r.members.get(dept, frozenset())
            if not (importing or actor in members
                    or (not members and actor == norm(new.get("owner")))):
                self.verdict.add(sha, path, "not-owner")
            if r1 is not None:
                if importing:
                    self.verdict.add(sha, path, "review")
                else:
                    self.judge_review(c, path, tool, None, new, r1, t)
            return
        s0, s1 = old.get("stage"), new.get("stage")
        review_changed = r0 != r1
        decision = r1.get("decision") if isinstance(r1, Mapping) else None
        # The review's own move: past security when approved (more than one step is a
        # skip, judged as such), to rejected when rejected.
        step0, step1 = STAGE_STEP.get(str(s0)), STAGE_STEP.get(str(s1))
        review_move = (review_changed and s0 != s1 and step0 is not None and s1 in STAGE_STEP
                       and ((decision == "approved" and step1 is not None
                             and step0 <= 4 < step1)
                            or (decision == "rejected" and s1 == "rejected")))
        if s0 != s1:
            self.judge_stage(sha, path, s0, s1, review_move)
        if review_changed:
            self.judge_review(c, path, tool, old, new, r1, t)
        rest_changed = (without_review_and_stage(old) != without_review_and_stage(new)
                        or (s0 != s1 and not review_move))
        if rest_changed:
            by = norm(r1.get("by")) if isinstance(r1, Mapping) else ""
            if review_changed and actor == by:
                self.verdict.add(sha, path, "not-owner")  # a reviewer touches only the review
            elif not r.may_edit(actor, old):
                self.verdict.add(sha, path, "not-owner")

    def judge_stage(self, sha: str, path: str, s0: Any, s1: Any, review_move: bool) -> None:
        if s1 not in STAGE_STEP:
            self.verdict.add(sha, path, "stage")
            return
        if s0 not in STAGE_STEP:
            return
        if s0 in EXITS:
            self.verdict.add(sha, path, "stage")
            return
        if s1 in EXITS:
            return
        step0, step1 = STAGE_STEP[s0] or 0, STAGE_STEP[s1] or 0
        if step1 != step0 + 1 or (s0 == "security" and not review_move):
            self.verdict.add(sha, path, "stage")

    def judge_review(self, c: Commit, path: str, tool: str, old: dict[str, Any] | None,
                     new: dict[str, Any], r1: Any, t: Mapping[str, str]) -> None:
        sha, actor, r = c.sha, c.author, self.rules
        if not isinstance(r1, Mapping):
            self.verdict.add(sha, path, "review")  # removed or replaced by something else
            return
        by = norm(r1.get("by"))
        status = "unsigned"
        if isinstance(r1.get("signature"), str) and r1["signature"].strip():
            status = signing.verify(payload(tool, r1), r1["signature"], by, r.signers)
            if status != "good":
                self.verdict.add(sha, path, "signature")
        elif r.signed:
            self.verdict.add(sha, path, "signature")
        good = status == "good"
        reviewer = by if good else actor
        owner = norm((old or new).get("owner"))
        if not good:
            carries = (t.get("aireg-action") == "review" and t.get("aireg-tool") == tool
                       and t.get("aireg-decision") == str(r1.get("decision", "")))
            if actor != by or not carries:
                self.verdict.add(sha, path, "review")
        if not by or by not in r.security or reviewer not in r.security:
            self.verdict.add(sha, path, "review")
        if reviewer == owner or by == owner:  # the owner before the commit (a self-review)
            self.verdict.add(sha, path, "review")
        # Separation of duties binds the reviewer: the verified signer, else the author.
        if reviewer and self.wrote_since_last_review(c, path, reviewer):
            self.verdict.add(sha, path, "duties")
        day = r1.get("date")
        d1 = date.fromisoformat(day) if records.is_valid_date(day) else None
        latest = self.latest_review_date(c, path)
        if (d1 is not None and latest is not None and d1 < latest) or \
                self.replayed(c, path, r1):
            self.verdict.add(sha, path, "replay")
        if d1 is not None:  # signed or not: no rule relaxes on dates or message shape
            slack = timedelta(days=1)
            written = self.facts_written(c, path, old)
            if (d1 > c.author_day + slack or d1 < c.author_day - slack
                    or (written is not None and d1 < written - slack)):
                self.verdict.add(sha, path, "backdated")

    # history of one record ---------------------------------------------------------------

    def record_at(self, sha: str | None, path: str) -> dict[str, Any] | None:
        rec = self.record(self.obj.files(sha).get(path), path) if sha else None
        return None if isinstance(rec, Broken) else rec

    def review_changes(self, commits: Iterable[str], path: str) -> list[str]:
        out = []
        for s in commits:
            ch = self.judged_change(s, path)
            if ch is None:
                continue
            first = self.obj.commit(s).parents[0] if self.obj.commit(s).parents else None
            r0 = review_of(self.readable_before(first, path))
            r1 = review_of(self.record_at(s, path))
            if isinstance(r1, Mapping) and r1 != r0:
                out.append(s)
        return out

    def latest_review_date(self, c: Commit, path: str) -> date | None:
        """The latest date of any review the record carried before `c`."""
        first = c.parents[0] if c.parents else None
        out: date | None = None
        for s in self.ancestors(first) if first else ():
            day = as_map(review_of(self.record_at(s, path))).get("date")
            if records.is_valid_date(day):
                d = date.fromisoformat(day)
                out = d if out is None or d > out else out
        return out

    def wrote_since_last_review(self, c: Commit, path: str, reviewer: str) -> bool:
        """Whether `reviewer` created the record, named or changed its owner, or changed its
        facts, in `c` or in an ancestor of it not older than the record's last review (the
        last review's own commit included: what else it changed came after the review)."""
        earlier = self.ancestors(c.sha) - {c.sha}
        reviews = self.review_changes(earlier, path)
        before_last = set()
        for s in reviews:
            before_last |= self.ancestors(s) - {s}
        for s in (earlier - before_last) | {c.sha}:
            if self.obj.commit(s).author != reviewer:
                continue
            ch = self.judged_change(s, path)
            if ch is None:
                continue
            parents = self.obj.commit(s).parents
            was = self.readable_before(parents[0] if parents else None, path)
            now = self.record_at(s, path)
            if now is None:
                continue
            if was is None:
                if s in reviews:
                    continue  # created with a review: that review covered the creation
                return True  # created it (in this commit too)
            if s == c.sha:
                continue  # what the review commit itself changes is judged by the other rules
            if was.get("owner") != now.get("owner") or records.facts(was) != records.facts(now):
                return True
        return False

    def replayed(self, c: Commit, path: str, r1: Mapping[str, Any]) -> bool:
        """Whether the review is a signed review that an earlier commit (an ancestor of `c`)
        replaced by another review: a replaced signed review never comes back."""
        key = signature_key(r1)
        if not key:
            return False
        first = c.parents[0] if c.parents else None
        for s in self.ancestors(first) if first else ():
            if self.judged_change(s, path) is None:
                continue
            parents = self.obj.commit(s).parents
            was = review_of(self.readable_before(parents[0] if parents else None, path))
            now = review_of(self.record_at(s, path))
            if (isinstance(now, Mapping) and signature_key(was) == key
                    and signature_key(now) != key):
                return True
        return False

    def facts_written(self, c: Commit, path: str, old: dict[str, Any] | None) -> date | None:
        """The author day of the commit that wrote the facts the review judged."""
        if old is None:
            return None
        facts = records.facts(old)
        sha = c.parents[0] if c.parents else None
        writer: str | None = None
        while sha is not None:
            rec = self.record_at(sha, path)
            if rec is None or records.facts(rec) != facts:
                break
            writer = sha
            parents = self.obj.commit(sha).parents
            sha = parents[0] if parents else None
        return self.obj.commit(writer).author_day if writer else None

    def judge_stale(self, touched: set[str]) -> None:
        head = self.obj.files(self.head)
        for path in sorted(touched):
            rec = self.record(head.get(path), path)
            if not isinstance(rec, dict) or rec.get("stage") not in ("impact", "active"):
                continue
            review = review_of(rec)
            if (isinstance(review, Mapping) and review.get("decision") == "approved"
                    and review.get("digest") != records.digest(rec)
                    and not self.stale_on_base(path, review)):
                self.verdict.add(None, path, "stale")

    def stale_on_base(self, path: str, review: Mapping[str, Any]) -> bool:
        """Whether the base already had this approval over other facts (a stale review the
        range did not make: the record rules name it, not the history rules)."""
        rec = self.record_at(self.base, path)
        old = review_of(rec)
        return (rec is not None and isinstance(old, Mapping)
                and old.get("decision") == "approved" and old.get("digest") == review.get("digest")
                and records.digest(rec) != review.get("digest"))


def judge(root: Path, base: str, head: str, obj: Objects | None = None) -> Verdict:
    """The reference verdict on base..head (commit ids or refs resolvable by cat-file)."""
    own = obj is None
    objects = obj or Objects(root)
    try:
        return RefJudge(objects, base, head).run()
    finally:
        if own:
            objects.close()


# -- the fast judge's verdict in the same terms ------------------------------------------------

RULE_CLASSES: dict[str, str] = {
    "config-not-admin": "admin-file", "admin-only": "admin-file",
    "record-deleted": "deleted",
    "nested-record": "layout", "file-name": "layout", "not-a-file": "layout",
    "config-deleted": "config-deleted",  # validate's (not a history class here)
    "unreadable-record": "unreadable", "record-too-large": "unreadable",
    "ambiguous-line-break": "unreadable",
    "stage-skip": "stage", "stage-back": "stage", "bad-stage": "stage",
    "left-security-unreviewed": "stage",
    "not-owner": "not-owner", "reviewer-changed-facts": "not-owner",
    "forged-review": "review", "review-edited": "review", "not-a-reviewer": "review",
    "self-review": "review", "squashed-review": "review",
    "bad-signature": "signature", "unknown-signer": "signature", "signer-mismatch": "signature",
    "unsigned-review": "signature",
    "separation-of-duties": "duties", "reviewer-wrote-facts": "duties",
    "review-replay": "replay", "replayed-review": "replay", "review-replaced": "replay",
    "backdated-review": "backdated",
    "bad-identity": "identity", "invisible-character": "identity",
    "stale-review": "stale",
    "unrelated-history": "range", "no-base-config": "range",
}


def rule_class(rule: str) -> str:
    """The class of a fast-judge rule id (unknown ids keep their name, so they show)."""
    if rule in RULE_CLASSES:
        return RULE_CLASSES[rule]
    for word, cls in (("duties", "duties"), ("replay", "replay"), ("identit", "identity"),
                      ("nfkc", "identity"), ("invisible", "identity"), ("nested", "layout"),
                      ("size", "unreadable"), ("large", "unreadable"), ("mode", "deleted"),
                      ("unrelated", "range"), ("admin", "admin-file")):
        if word in rule:
            return cls
    return rule


def fast_verdict(root: Path, base: str, heads_sha: str, problems: Iterable[Any] | None,
                 error: str | None = None) -> Verdict:
    """Normalise the fast judge's problems (error severity only) to the reference's terms;
    `error` is the rule class when check_history refused the whole range."""
    v = Verdict()
    if error is not None:
        v.problems.add((None, "", error))
        return v
    for p in problems or ():
        if getattr(p, "severity", "error") != "error":
            continue
        cls = rule_class(str(p.rule))
        commit = None if cls in ("stale", "range") else p.commit
        v.problems.add((commit, "" if cls == "range" else p.file, cls))
    return v


def comparable(v: Verdict, shorten: int = 12) -> set[tuple[str | None, str, str]]:
    """Problems with commit ids cut to the fast judge's short form; range problems by class."""
    if any(cls == "range" for _, _, cls in v.problems):
        return {(None, "", "range")}  # nothing else is comparable in a range refused whole
    return {(commit[:shorten] if commit else None, path, cls) for commit, path, cls in v.problems}
