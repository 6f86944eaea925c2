"""The walk of the history judge: every commit in order, every tree entry it changed, merges.

What each commit is judged with
    With a base (``validate --base``), every commit is judged with ``aireg.yaml`` and the
    allowed-signers file *as they stand on the base*, so a pull request cannot grant itself
    rights or add its own signing key. Without one (``aireg audit``), each commit is judged
    with them as they stood in its first parent, i.e. before it; the last valid config is
    kept when a commit breaks aireg.yaml, and the root commit is judged with the config it
    creates (someone has to found the registry). Either way the commit gets one frozen
    `Rules` object (aireg.judge_rules).

What counts as a change
    Every tree entry the commit changed against its first parent, whatever its mode: a
    record or a protected file (aireg.yaml, the allowed signers, CODEOWNERS, .gitattributes,
    .gitmodules) that becomes a gitlink, a symbolic link or a folder is deleted, and the way
    back is a creation. Under ``tools/`` only ``tools/<id>.yaml`` files may exist.

Merges
    A merge is judged as the change from its first parent, path by path, except where it
    makes a clean three-way take: the merge holds another parent's version of the path, and
    the first parent's version equals the merge base's (so that parent's own commits, judged
    where they were made, are the only ones that changed it). Anything else -- a merge with
    the root commit, an ancestor of the base, a branch forked before the record existed, a
    conflict resolution -- is a change made by the merge's author.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aireg import identity, records
from aireg.config import CONFIG_FILE
from aireg.errors import RuleError
from aireg.gitlog import FILE_MODES, MODE_NAMES, Commit, FileChange
from aireg.gitobjects import Broken, Objects, empty_config, parse_config
from aireg.judge_rules import Decision, PathState, RecordRules, Rules, as_map, ref, review_of
from aireg.problems import Problem

if TYPE_CHECKING:
    from aireg.gitrepo import Git

CODEOWNERS_FILES = ("CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS")
GIT_PRESENTATION = (".gitattributes", ".gitmodules")
DEFAULT_SIGNERS = ".aireg/allowed_signers"
TOOLS_PREFIX = f"{records.TOOLS_DIR}/"


@functools.lru_cache(maxsize=16384)
def record_tool(path: str) -> str | None:
    """The tool id of a record path (tools/<id>.yaml), else None."""
    if not path.startswith(TOOLS_PREFIX) or not path.endswith(".yaml"):
        return None
    stem = path[len(TOOLS_PREFIX):-len(".yaml")]
    if "/" in stem or not records.ID_RE.match(stem) or len(stem) > records.ID_MAX:
        return None
    return stem


def is_protected(path: str, protected: frozenset[str]) -> bool:
    """aireg.yaml, the allowed signers, CODEOWNERS, and every .gitattributes/.gitmodules."""
    return path in protected or path.rsplit("/", 1)[-1] in GIT_PRESENTATION


class _ConfigState:
    """For `aireg audit`: the config and allowed-signers file a commit leaves behind (one
    object shared by every commit that leaves the same, so long histories stay small)."""

    __slots__ = ("config_oid", "signers_oid", "signers_path")

    def __init__(self, config_oid: str | None, signers_path: str,
                 signers_oid: str | None) -> None:
        self.config_oid = config_oid
        self.signers_path = signers_path
        self.signers_oid = signers_oid

    def same(self, other: _ConfigState | None) -> bool:
        return other is not None and (self.config_oid, self.signers_path, self.signers_oid) \
            == (other.config_oid, other.signers_path, other.signers_oid)


class Judge(RecordRules):
    """Judges batches of commits (parents before children); problems and decisions collect."""

    def __init__(self, root: Path, git: Git, objects: Objects, base: str | None,
                 head: str) -> None:
        self.root = root
        self.git = git
        self.objects = objects
        self.base = base
        self.head = head
        self.problems: list[Problem] = []
        self.decisions: list[Decision] = []
        self.paths: dict[str, PathState] = {}
        # (path, blob id) -> the author date of the commit that wrote it, for backdating.
        self.written: dict[tuple[str, str], str] = {}
        # For staleness at the end: the latest record whose facts matched its review.
        self.reviewed: dict[str, tuple[str, dict[str, Any]]] = {}
        self.staled_by: dict[tuple[str, str], Any] = {}
        self.review_intro: dict[tuple[str, str], Any] = {}
        self.digests: dict[str, str] = {}
        self.states: dict[str, _ConfigState] = {}
        self.merge_bases: dict[tuple[str, str], tuple[str, ...]] = {}
        self.order: dict[str, int] = {}  # walk position of each commit judged
        self.merges_seen = False  # whether the range holds a merge or several roots
        self.ancestry: dict[tuple[str, str], bool] = {}
        self.last = ""
        self.base_rules: Rules | None = self._load_base(base) if base is not None else None

    def state(self, path: str) -> PathState:
        st = self.paths.get(path)
        if st is None:
            st = self.paths[path] = PathState(seeded=self.base is None)
        return st

    # -- configs ----------------------------------------------------------------------------

    def _load_base(self, base: str) -> Rules:
        found = self.objects.file_at(base, CONFIG_FILE)
        if found is None:
            raise RuleError(
                f"{CONFIG_FILE} does not exist on the base ({base[:12]}), so there are no "
                "roles to judge the history with; merge the registry's first commit to the "
                "base branch first."
            )
        cfg = parse_config(found[1])
        if cfg is None:
            raise RuleError(
                f"{CONFIG_FILE} on the base ({base[:12]}) is not valid, so the history cannot "
                "be judged with it; fix it on the base branch first (aireg validate there "
                "says how)."
            )
        path = cfg.policy.allowed_signers
        signers = self.objects.file_at(base, path)
        text = signers[1].decode("utf-8", "replace") if signers else ""
        return Rules(cfg, text, path, frozenset({CONFIG_FILE, path, *CODEOWNERS_FILES}), True)

    def _state_at(self, sha: str) -> _ConfigState:
        """The config state in commit `sha` (computed when `sha` is outside the range)."""
        hit = self.states.get(sha)
        if hit is not None:
            return hit
        found = self.objects.file_at(sha, CONFIG_FILE)
        oid = found[0] if found else None
        cfg = self.objects.config(oid)
        path = cfg.policy.allowed_signers if cfg else DEFAULT_SIGNERS
        signers = self.objects.file_at(sha, path)
        state = _ConfigState(oid if cfg else None, path, signers[0] if signers else None)
        self.states[sha] = state
        return state

    def _advance_state(self, c: Commit, before: _ConfigState | None) -> _ConfigState:
        changed = {ch.path: ch for ch in c.changes}
        cfg_oid = before.config_oid if before else None
        ch = changed.get(CONFIG_FILE)
        if ch is not None and ch.new is not None and self.objects.config(ch.new) is not None:
            cfg_oid = ch.new  # a commit that breaks aireg.yaml leaves the last valid one
        cfg = self.objects.config(cfg_oid)
        path = cfg.policy.allowed_signers if cfg else DEFAULT_SIGNERS
        sch = changed.get(path)
        if sch is not None:
            signers_oid = sch.new
        elif before is not None and before.signers_path == path:
            signers_oid = before.signers_oid
        else:
            found = self.objects.file_at(c.sha, path)
            signers_oid = found[0] if found else None
        state = _ConfigState(cfg_oid, path, signers_oid)
        if state.same(before):
            assert before is not None
            state = before  # shared: most commits leave config and keys as they were
        self.states[c.sha] = state
        return state

    def _rules_for(self, c: Commit) -> Rules:
        """The frozen rules that judge commit `c`."""
        if self.base_rules is not None:
            return self.base_rules
        parent = self._state_at(c.parents[0]) if c.parents else None
        mine = self._advance_state(c, parent)
        used = parent if parent is not None and parent.config_oid is not None else mine
        cfg = self.objects.config(used.config_oid) or empty_config()
        return Rules(cfg, self.objects.text(used.signers_oid), used.signers_path,
                     frozenset({CONFIG_FILE, used.signers_path, *CODEOWNERS_FILES}), False)

    # -- the walk ---------------------------------------------------------------------------

    def process(self, part: Sequence[Commit]) -> None:
        """Judge a batch of commits (parents before children), blobs read in one go."""
        self.objects.prefetch(o for c in part for ch in c.changes
                              if record_tool(ch.path) or ch.path == CONFIG_FILE
                              for o in (ch.old, ch.new) if o)
        for c in part:
            self._judge_commit(c)
        keep = {st.current for st in self.paths.values() if st.current}
        self.objects.forget(keep)
        if len(self.digests) > 2 * len(keep) + 1024:
            self.digests = {k: v for k, v in self.digests.items() if k in keep}
        if len(self.written) > 2 * len(keep) + 1024:
            self.written = {k: v for k, v in self.written.items() if k[1] in keep}

    def _judge_commit(self, c: Commit) -> None:
        if self.order and (len(c.parents) != 1 or c.parents[0] != self.last):
            self.merges_seen = True  # not one chain any more: ask git about ancestry
        self.order[c.sha] = len(self.order)
        self.last = c.sha
        r = self._rules_for(c)
        added = {ch.new: ch.path for ch in c.changes if ch.status == "A" and ch.new}
        for ch in c.changes:
            tool = record_tool(ch.path)
            protected = is_protected(ch.path, r.protected)
            under_tools = ch.path.startswith(TOOLS_PREFIX) or ch.path == records.TOOLS_DIR
            if tool is None and not protected and not under_tools:
                continue
            if c.is_merge and self._clean_take(c, ch):
                self._note_written(c, ch)
                continue
            if protected:
                self._judge_protected(c, ch, r)
            if tool is not None:
                self._judge_record_change(c, ch, tool, r, added)
            elif not protected:
                self._judge_tools_entry(c, ch)

    def _clean_take(self, c: Commit, ch: FileChange) -> bool:
        """Whether the merge takes another parent's version of the path cleanly: that parent
        has it as the merge does, and the first parent still has the merge base's version."""
        first = ch.old_entry
        for other in c.parents[1:]:
            if self._entry(other, ch.path) != ch.new_entry:
                continue
            # No merge base (a foreign history, whose commits are in the range and judged):
            # the base is the empty tree.
            bases = self._merge_bases(c.parents[0], other)
            if all(self._entry(b, ch.path) == first for b in bases) \
                    if bases else first is None:
                return True
        return False

    def _entry(self, rev: str, path: str) -> tuple[str, str] | None:
        """The entry at `path` in `rev` as the raw diff sees it: a folder is no entry (its
        files are entries of their own)."""
        found = self.objects.entry(rev, path)
        return None if found is not None and found[0] == "040000" else found

    def _merge_bases(self, a: str, b: str) -> tuple[str, ...]:
        key = (a, b)
        hit = self.merge_bases.get(key)
        if hit is None:
            code, out, _ = self.git.run_full("merge-base", "--all", "--end-of-options", a, b)
            hit = tuple(out.decode("ascii", "replace").split()) if code == 0 else ()
            self.merge_bases[key] = hit
        return hit

    def _note_written(self, c: Commit, ch: FileChange) -> None:
        if record_tool(ch.path) is None:
            return
        st = self.state(ch.path)
        if ch.new is not None:
            self.written.setdefault((ch.path, ch.new), c.author_date)
        st.current = ch.new
        st.last_commit = ref(c)

    def _judge_protected(self, c: Commit, ch: FileChange, r: Rules) -> None:
        if r.config.is_admin(c.author_email):
            return
        where = " as it stands on the base" if r.on_base else " before this commit"
        admins = ", ".join(r.config.admins) or "nobody"
        verb = {"A": "added", "M": "changed", "D": "deleted", "T": "changed"}[ch.status]
        if ch.mode_changed:
            verb = (f"turned {MODE_NAMES.get(ch.old_mode, ch.old_mode)} into "
                    f"{MODE_NAMES.get(ch.new_mode, ch.new_mode)} at")
        self.add(c, ch.path, "", f"{c.author_email} {verb} {ch.path}, which only roles.admins "
                 f"of aireg.yaml{where} ({admins}) may change; an admin must make this change "
                 "(a change cannot grant itself rights).", "config-not-admin")

    def _judge_tools_entry(self, c: Commit, ch: FileChange) -> None:
        """Records live directly in tools/: a record file (or anything but a plain file) in a
        sub-folder is refused, since --base reads only tools/<id>.yaml as records. (Other
        names directly in tools/ are the record rules' concern: `validate` refuses them.)"""
        name = ch.path[len(TOOLS_PREFIX):] if ch.path.startswith(TOOLS_PREFIX) else ""
        if ch.new_entry is None or "/" not in name:
            return
        if not name.endswith((".yaml", ".yml")) and ch.new_mode in FILE_MODES:
            return
        what = "a record file" if ch.new_mode in FILE_MODES else \
            f"a {MODE_NAMES.get(ch.new_mode, ch.new_mode)}"
        self.add(c, ch.path, "", f"{ch.path} is {what} in a sub-folder of tools/; records live "
                 "directly in tools/ as <id>.yaml files, never in sub-folders: move it to "
                 "tools/.", "nested-record")

    def _judge_record_change(self, c: Commit, ch: FileChange, tool: str, r: Rules,
                             added: dict[str, str]) -> None:
        path = ch.path
        st = self.state(path)
        after = self.objects.record(ch.new, path)
        before_raw = self.objects.record(ch.old, path)
        before = (self.objects.readable_before(c.parents[0] if c.parents else None, path)
                  if isinstance(before_raw, Broken) else before_raw)
        if ch.new is None:
            if ch.old is None and ch.new_mode != "000000":
                self.add(c, path, "", f"{path} is a {MODE_NAMES.get(ch.new_mode, ch.new_mode)}, "
                         "not a file; a record is a plain file: replace it with the record.",
                         "not-a-file")
            if ch.old is not None:
                renamed = added.get(ch.old)
                if ch.new_mode != "000000":
                    msg = (f"{path} was turned into a "
                           f"{MODE_NAMES.get(ch.new_mode, ch.new_mode)}, which deletes the "
                           "record; records are never deleted: restore the file (and retire "
                           f"the tool with `aireg retire {tool}`).")
                elif renamed is not None:
                    msg = (f"{path} was renamed to {renamed}; a tool's id is its file name and "
                           f"never changes: restore {path} (to replace the tool, retire it "
                           f"with `aireg retire {tool} --replaced-by NEW-ID`).")
                else:
                    msg = (f"{path} was deleted; records are never deleted, so their history "
                           f"stays: restore it and retire the tool with `aireg retire {tool}`.")
                self.add(c, path, "", msg, "record-deleted")
            st.current = None
            st.last_commit = ref(c)
            return
        if (ch.mode_changed and ch.old is not None and ch.old == ch.new
                and not self.may_edit(c.author_email, before or {}, r.config)):
                self.add(c, path, "", f"{c.author_email} changed the file mode of {path}, but "
                         f"only {self.who(before or {}, r.config)} may change it.", "not-owner")
        if isinstance(after, Broken):
            self.add(c, path, "", f"{path} cannot be read as a record at this commit "
                     f"({after.reason}), so the change cannot be judged; make every commit "
                     "leave a readable record (rewrite the branch's history).",
                     "unreadable-record")
            return
        assert after is not None
        if ch.new is not None and before is not None and ch.old is not None \
                and (path, ch.old) in self.written \
                and records.facts(before) == records.facts(after):
            # Same facts: they were written when the earlier version's were.
            self.written.setdefault((path, ch.new), self.written[(path, ch.old)])
        self._note_written(c, ch)
        held = review_of(after)
        self.check_people(c, path, before, after)
        if before is None:
            self.judge_new(c, path, tool, after, r)
        else:
            self.judge_edit(c, path, tool, before, after, r, ch.old)
        if isinstance(held, dict):
            st.versions.append((c.sha, held))
        self._track_review(c, path, before, after, ch.new,
                           ch.old if before is before_raw else None)

    # -- separation of duties before the base -----------------------------------------------

    def seed(self, path: str) -> None:
        """For --base: what the record's history before the base says about who shaped it
        since its last review, and which signed reviews were already replaced."""
        from aireg import gitlog

        st = self.state(path)
        st.seeded = True
        if self.base is None:
            return
        duties: list[tuple[str, str, str]] = []
        reviews: list[tuple[str, dict[str, Any]]] = []
        collecting = True
        with self.git.log_z_stream(gitlog.FORMAT, [self.base], [path],
                                   extra=("--full-history",)) as log:
            for c in gitlog.iter_commits(self.root, gitlog.tokens(log.chunks())):
                ch = next((x for x in c.changes if x.path == path), None)
                if ch is None:
                    continue
                before, after = self.objects.record(ch.old, path), \
                    self.objects.record(ch.new, path)
                b = before if isinstance(before, dict) else None
                a = after if isinstance(after, dict) else None
                r0, r1 = review_of(b), review_of(a)
                if isinstance(r1, dict):
                    reviews.append((c.sha, r1))
                last_review = r0 != r1
                if collecting and a is not None and not (last_review and b is None):
                    who = c.author_email
                    if b is None:
                        duties.append((who, "created its record and named its owner", c.sha))
                    elif identity.normal(b.get("owner")) != identity.normal(a.get("owner")):
                        duties.append((who, "changed its owner", c.sha))
                    elif records.digest(b) != records.digest(a):
                        duties.append((who, "wrote its facts", c.sha))
                if last_review:
                    collecting = False  # what this review commit changed besides still counts
        st.duties[:0] = duties
        st.versions[:0] = reviews[::-1]

    def is_ancestor(self, a: str, b: str) -> bool:
        """Whether commit `a` is `b` or an ancestor of it: by walk order while the range is
        linear (commits before the base come first), else asked of git (and cached)."""
        if a == b:
            return True
        if not self.merges_seen:
            ia, ib = self.order.get(a, -1), self.order.get(b, -1)
            return ia <= ib
        key = (a, b)
        hit = self.ancestry.get(key)
        if hit is None:
            code, _, _ = self.git.run_full("merge-base", "--is-ancestor", a, b)
            hit = self.ancestry[key] = code == 0
        return hit

    # -- staleness --------------------------------------------------------------------------

    def _digest(self, record: dict[str, Any], oid: str | None) -> str:
        if oid is None:
            return records.digest(record)
        hit = self.digests.get(oid)
        if hit is None:
            hit = self.digests[oid] = records.digest(record)
        return hit

    def _track_review(self, c: Commit, path: str, before: dict[str, Any] | None,
                      after: dict[str, Any], after_oid: str | None,
                      before_oid: str | None) -> None:
        """Remember what staleness at the end needs: which facts each approval covered, the
        commit that recorded it, and the last commit that moved the facts away from it."""
        r1 = as_map(review_of(after))
        rd = r1.get("digest")
        if r1.get("decision") != "approved" or not isinstance(rd, str):
            return
        r0 = as_map(review_of(before))
        same_review = r0.get("digest") == rd and r0.get("decision") == "approved"
        if not same_review:
            self.review_intro[(path, rd)] = ref(c)
        before_ok = (before is not None and same_review
                     and self._digest(before, before_oid) == rd)
        if self._digest(after, after_oid) == rd:
            self.reviewed[path] = (rd, _facts_only(after))
        elif before_ok:
            assert before is not None
            self.reviewed[path] = (rd, _facts_only(before))
            self.staled_by[(path, rd)] = ref(c)

    def finish(self) -> None:
        """Staleness at the end: an approval whose facts changed after it, with no new review."""
        approved = set(self.reviewed) | {path for path, _ in self.review_intro}
        paths = [p for p in self.paths if p in approved]
        at_head = self.objects.files_at(self.head, paths)
        for path in paths:
            oid = at_head.get(path)
            if oid is None:
                continue
            head = self.objects.record(oid, path)
            if not isinstance(head, dict):
                continue
            stage = records.parse_stage(head.get("stage"))
            review = as_map(review_of(head))
            rd = review.get("digest")
            if (stage not in (records.Stage.IMPACT, records.Stage.ACTIVE)
                    or review.get("decision") != "approved"
                    or not isinstance(rd, str) or records.digest(head) == rd):
                continue
            tool = path[len(TOOLS_PREFIX):-len(".yaml")]
            reviewed = self.reviewed.get(path)
            culprit = self.staled_by.get((path, rd)) or self.state(path).last_commit
            if reviewed is not None and reviewed[0] == rd and culprit is not None:
                names = records.changed_facts(reviewed[1], head)
                what = f" ({', '.join(names)} changed)" if names else ""
                self.add(culprit, path, "security.review.digest", f"the facts the security "
                         f"review of {tool} approved were changed after the approval{what} and "
                         "no new review followed; the approval no longer covers them: ask for "
                         f"a new review with `aireg review --security {tool}`.", "stale-review")
            elif (path, rd) in self.review_intro and (reviewed is None or reviewed[0] != rd):
                intro = self.review_intro[(path, rd)]
                self.add(intro, path, "security.review.digest", f"the security review of "
                         f"{tool} carries a digest that matches none of the facts the record "
                         "had, so it does not cover what the tool is; ask for a new review with "
                         f"`aireg review --security {tool}`.", "stale-review")


def _facts_only(record: dict[str, Any]) -> dict[str, Any]:
    """The part of a record that records.facts() reads: enough for changed_facts()."""
    out = {k: record.get(k) for k in records.FACT_KEYS}
    out["security"] = {k: v for k, v in as_map(record.get("security")).items() if k != "review"}
    out["pilot"] = {"data": as_map(record.get("pilot")).get("data")}
    return out

