"""The history rules one record change is judged by (SPEC section 4), given a frozen context.

`aireg.judge` walks the commits and decides, for each change of a record, what it changed
from and to, and who made it; the mixin `RecordRules` here says what is wrong with it: a
record born in a later stage, a stage skipped or moved back, a review forged, edited,
backdated, replayed or made by someone who may not make it (separation of duties), facts
changed by someone other than the owner or the department. Each commit is judged with one
`Rules` object, fixed before the commit is read, so nothing the commit writes (its config,
its keys, its message) changes what it is judged by.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from aireg import identity, imported, records, trailers
from aireg.config import Config
from aireg.gitlog import Commit
from aireg.problems import Problem, Severity
from aireg.records import Stage
from aireg.trailers import shown

_MISSING = object()


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


@dataclass(frozen=True)
class Rules:
    """What judges one commit: the config, the allowed-signers text and its path, and the
    paths only admins change, as they stood on the base (or before the commit)."""

    config: Config
    signers: str
    signers_path: str
    protected: frozenset[str]
    on_base: bool

    @property
    def where(self) -> str:
        return "on the base" if self.on_base else "before this commit"


@dataclass(frozen=True)
class Ref:
    """What a problem needs of a commit, kept instead of the commit on long walks."""

    short: str
    author_email: str


def ref(c: Commit) -> Ref:
    return Ref(c.short, c.author_email)


@dataclass
class PathState:
    """What the walk remembers of one record path between commits."""

    current: str | None = None  # blob id of the latest version seen
    last_commit: Ref | None = None
    # Separation of duties: (author, what they did, commit) for each creation, owner change
    # and facts change, and the review commits (judged by ancestry, so a review on one
    # branch does not clear what was done on another).
    duties: list[tuple[str, str, str]] = field(default_factory=list)
    reviews: list[str] = field(default_factory=list)
    # Every review the record carried: (commit that wrote it, the review); judged by
    # ancestry, like the duties.
    versions: list[tuple[str, Mapping[str, Any]]] = field(default_factory=list)
    seeded: bool = False  # history before the base read (for --base)


def as_map(v: object) -> Mapping[str, Any]:
    return v if isinstance(v, Mapping) else {}


def review_of(record: Mapping[str, Any] | None) -> Any:
    if record is None:
        return None
    return as_map(record.get("security")).get("review")


def signature_key(review: Any) -> str:
    sig = as_map(review).get("signature")
    return "".join(sig.split()) if isinstance(sig, str) else ""


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The fields that differ, apart from `stage` and `security.review`."""
    out: list[str] = []
    for key in sorted(set(before) | set(after), key=str):
        if key == "stage":
            continue
        b, a = before.get(key, _MISSING), after.get(key, _MISSING)
        if key == "security" and all(isinstance(v, Mapping) or v is _MISSING for v in (b, a)):
            bm, am = as_map(b), as_map(a)
            for sub in sorted(set(bm) | set(am), key=str):
                if sub != "review" and bm.get(sub, _MISSING) != am.get(sub, _MISSING):
                    out.append(f"security.{sub}")
            continue
        if b != a:
            out.append(str(key))
    return out


def _facts_changed(fields: list[str], before: Mapping[str, Any],
                   after: Mapping[str, Any]) -> bool:
    """Whether what records.facts() reads differs, from the changed fields (no digests)."""
    for name in fields:
        if name in records.FACT_KEYS or name.startswith("security"):
            return True
        if name == "pilot" and as_map(before.get("pilot")).get("data") != \
                as_map(after.get("pilot")).get("data"):
            return True
    return False


class RecordRules:
    """The rules of one record change; mixed into aireg.judge.Judge, which owns the state."""

    base: str | None
    problems: list[Problem]
    decisions: list[Decision]
    written: dict[tuple[str, str], str]

    def state(self, path: str) -> PathState:  # pragma: no cover - provided by Judge
        raise NotImplementedError

    def seed(self, path: str) -> None:  # pragma: no cover - provided by Judge
        raise NotImplementedError

    def is_ancestor(self, a: str, b: str) -> bool:  # pragma: no cover - provided by Judge
        raise NotImplementedError

    def pending_duty(self, st: PathState, reviewer: str, at: str) -> str | None:
        """What `reviewer` did to the record in an ancestor of commit `at` (or its creation
        in `at`) that no review between then and `at` has covered."""
        for who, what, sha in st.duties:
            if who != reviewer or not self.is_ancestor(sha, at):
                continue
            # Covered by a review after it; what a review commit itself changed besides the
            # review (but its creation of the record) came after that review.
            if any(r != at and self.is_ancestor(r, at) and self.is_ancestor(sha, r)
                   and (sha != r or what.startswith("created")) for r in st.reviews):
                continue
            return what
        return None

    def add(self, c: Commit | Ref, file: str, fieldname: str, message: str, rule: str,
            severity: Severity = "error") -> None:
        self.problems.append(Problem(file, fieldname, message, rule, severity=severity,
                                     commit=c.short, author=c.author_email))

    # -- who may -------------------------------------------------------------------------

    @staticmethod
    def may_edit(actor: str, record: Mapping[str, Any], cfg: Config) -> bool:
        return actor == identity.normal(record.get("owner")) or cfg.may_edit(
            actor, str(record.get("department", "")))

    @staticmethod
    def who(record: Mapping[str, Any], cfg: Config) -> str:
        owner = identity.normal(record.get("owner")) or "nobody"
        dept = str(record.get("department", ""))
        text = f"its owner ({owner})"
        if cfg.departments.get(dept):
            text += f" or a member of {dept} ({', '.join(cfg.departments[dept])})"
        return text

    def check_people(self, c: Commit, path: str, before: Mapping[str, Any] | None,
                     after: Mapping[str, Any]) -> None:
        """An `owner` or a review's `by` a commit writes must be a plain address."""
        checks = []
        if before is None or before.get("owner") != after.get("owner"):
            checks.append(("owner", after.get("owner")))
        if review_of(before) != review_of(after):
            checks.append(("security.review.by", as_map(review_of(after)).get("by")))
        for where, person in checks:
            why = identity.problem(person)
            if why is not None:
                self.add(c, path, where, f"{where} of {path} cannot name a person: {why}; "
                         "write the address as plain text.", "bad-identity")

    # -- a new record --------------------------------------------------------------------

    def judge_new(self, c: Commit, path: str, tool: str, after: dict[str, Any],
                  r: Rules) -> None:
        actor, cfg = c.author_email, r.config
        importing = c.trailers.get(trailers.ACTION) == "import" and cfg.is_admin(actor)
        stage = records.parse_stage(after.get("stage"))
        if stage is not Stage.PURPOSE and not importing:
            squash = (" (this looks like a squash merge of several commits, which history "
                      "cannot judge step by step: merge pull requests with merge or rebase "
                      "merges)" if len(c.actions) > 1 else "")
            self.add(c, path, "stage", f"{path} was created in stage "
                     f"{shown(str(after.get('stage')))!r}; a new record starts in purpose "
                     "(only an `aireg import` commit by an admin creates records in later "
                     f"stages): create it with `aireg propose`{squash}.", "stage-skip")
        dept = str(after.get("department", ""))
        members = cfg.departments.get(dept, ())
        owner = identity.normal(after.get("owner"))
        allowed = importing or actor in members or (actor == owner and not members)
        if not allowed:
            why = (f"{dept} lists its members ({', '.join(members)}) and {actor} is not one"
                   if members else f"it names {owner or 'nobody'} as owner, not {actor}")
            self.add(c, path, "owner", f"{actor} created {path}, but {why}; the person doing "
                     "the work proposes their own tool in their own department "
                     "(`aireg propose`).", "not-owner")
        why_new = imported.history_problem(None, after, importing)
        if why_new is not None:  # only an admin's `aireg import` writes `imported`
            self.add(c, path, "imported", f"{actor} created {path} with {why_new}",
                     "forged-import")
        st = self.state(path)
        st.duties.append((actor, "created its record and named its owner", c.sha))
        review = review_of(after)
        if review is not None:
            if importing:
                self.add(c, path, "security.review", "an imported record never carries a "
                         "security review; remove it and have a security reviewer review the "
                         "tool with `aireg review --security`.", "forged-review")
            else:
                self.judge_review(c, path, tool, None, review, owner, r, None)

    # -- an edit -------------------------------------------------------------------------

    def judge_edit(self, c: Commit, path: str, tool: str, before: dict[str, Any],
                   after: dict[str, Any], r: Rules, old_oid: str | None) -> None:
        actor, cfg = c.author_email, r.config
        r0, r1 = review_of(before), review_of(after)
        review_changed = r0 != r1
        raw0, raw1 = before.get("stage"), after.get("stage")
        s0, s1 = records.parse_stage(raw0), records.parse_stage(raw1)
        stage_changed = raw0 != raw1
        decision = as_map(r1).get("decision")
        # The review's own move: past security when approved, to rejected when rejected.
        review_move = (
            stage_changed and review_changed and s0 is not None and s1 is not None
            and not s0.is_exit
            and ((decision == "approved" and not s1.is_exit
                  and (s0.step or 0) <= (Stage.SECURITY.step or 0) < (s1.step or 0))
                 or (decision == "rejected" and s1 is Stage.REJECTED))
        )
        if stage_changed:
            self.judge_stage(c, path, tool, raw1, s0, s1, review_move)
        if review_changed:
            self.judge_review(c, path, tool, r0, r1, identity.normal(before.get("owner")), r,
                              old_oid)
        why_edit = imported.history_problem(before, after, False)
        if why_edit is not None:  # `imported` never grows after the import
            self.add(c, path, "imported", f"{actor} changed {path}: {why_edit}", "forged-import")
        fields = changed_fields(before, after)
        st = self.state(path)
        if identity.normal(before.get("owner")) != identity.normal(after.get("owner")):
            st.duties.append((actor, "changed its owner", c.sha))
        elif _facts_changed(fields, before, after):
            st.duties.append((actor, "wrote its facts", c.sha))
        if stage_changed and not review_move:
            fields.insert(0, "stage")
        if not fields:
            return
        by = identity.normal(as_map(r1).get("by"))
        if review_changed and actor == by:
            self.add(c, path, fields[0], f"{actor} recorded the security review and in the "
                     f"same commit changed {', '.join(fields)}; a security reviewer changes "
                     "only the review, so the owner must make that change in a commit of "
                     "their own.", "reviewer-changed-facts")
        elif not self.may_edit(actor, before, cfg):
            self.add(c, path, fields[0], f"{actor} changed {', '.join(fields)} of {tool}, but "
                     f"only {self.who(before, cfg)} may change it (judged with aireg.yaml "
                     f"{r.where}); ask them to make the change.", "not-owner")

    def judge_stage(self, c: Commit, path: str, tool: str, raw1: Any, s0: Stage | None,
                    s1: Stage | None, review_move: bool) -> None:
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
            squash = (" (this looks like a squash merge of several commits, which erases who "
                      "completed each step: merge pull requests with merge or rebase merges)"
                      if len(c.actions) > 1 else "")
            self.add(c, path, "stage", f"the stage moved from {s0} to {s1}, skipping "
                     f"{skipped}; a stage moves one step at a time: complete each with "
                     f"`aireg advance {tool}`{squash}.", "stage-skip")
        elif s0 is Stage.SECURITY and not review_move:
            self.add(c, path, "stage", f"the tool left security for {s1} without an approved "
                     "security review in the same commit; only a security reviewer moves it "
                     f"on, with `aireg review --security {tool}`.", "left-security-unreviewed")

    # -- a review ------------------------------------------------------------------------

    def judge_review(self, c: Commit, path: str, tool: str, r0: Any, r1: Any, owner: str,
                     r: Rules, old_oid: str | None) -> None:
        from aireg import signing

        actor, cfg = c.author_email, r.config
        st = self.state(path)
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
        by = identity.normal(r1.get("by"))
        day = r1.get("date")
        signed = bool(r1.get("signature"))
        status: signing.Status = (signing.review_status(tool, r1, r.signers) if signed
                                  else "unsigned")
        if status in ("bad", "unknown-key", "wrong-signer"):
            rule = {"bad": "bad-signature", "unknown-key": "unknown-signer",
                    "wrong-signer": "signer-mismatch"}[status]
            why = signing.reason(status, tool, by or "the reviewer", r.signers_path) or ""
            problem("security.review.signature", f"{why[0].upper()}{why[1:-1]} (judged with "
                    f"{r.signers_path} {r.where}).", rule)
        elif status == "unsigned" and cfg.policy.require_signed_reviews:
            problem("security.review.signature", f"policy.require_signed_reviews is true but "
                    f"the review of {tool} carries no signature; {by or 'the reviewer'} must "
                    "review it again with `aireg review --security --sign`.", "unsigned-review")
        if status != "good":
            self._unproven(c, path, tool, r0, decision, by, problem)
        if by and not cfg.is_reviewer(by):
            problem("security.review.by", f"the review was recorded by {by}, who is not in "
                    f"roles.security of aireg.yaml {r.where}; a security reviewer "
                    f"({', '.join(cfg.security) or 'none listed'}) must review it.",
                    "not-a-reviewer")
        elif not by:
            problem("security.review.by", f"the review of {tool} names no reviewer (by); "
                    f"record it with `aireg review --security {tool}`.", "forged-review")
        if by and by == owner:
            problem("security.review.by", f"{by} owns {tool} and recorded its security review; "
                    "no one reviews their own tool: another security reviewer must review it.",
                    "self-review")
        if self.base is not None and not st.seeded:
            self.seed(path)
        # The reviewer is the verified signer, else the commit's author (who must be `by`).
        reviewer = by if status == "good" else actor
        did = self.pending_duty(st, reviewer, c.sha) if reviewer else None
        if did is not None:
            problem("security.review.by", f"{reviewer} reviewed {tool}, but since its last "
                    f"review {reviewer} {did}; a security reviewer never reviews a tool they "
                    "shaped (separation of duties): another security reviewer must review it.",
                    "separation-of-duties")
        self._replay(c, path, tool, r0, r1, st, problem)
        if isinstance(day, str) and records.is_valid_date(day):
            self._judge_date(c, path, tool, date.fromisoformat(day), old_oid, problem)
        st.reviews.append(c.sha)
        self.decisions.append(Decision(
            tool=tool, file=path, decision=decision, by=by, date=str(day or ""),
            commit=c.sha, author=actor, signature=status, verified=not rules,
            problems=tuple(rules), subject=c.subject, committed=c.author_date,
        ))

    def _unproven(self, c: Commit, path: str, tool: str, r0: Any, decision: str, by: str,
                  problem: Any) -> None:
        """A review no valid signature proves: its commit must be the reviewer's own review
        commit (what the message says only ever asks more, and only changes the wording)."""
        actor, t = c.author_email, c.trailers
        trailers_ok = (t.get(trailers.ACTION) == "review" and t.get(trailers.TOOL) == tool
                       and t.get(trailers.DECISION) == decision)
        need = f"Aireg-Action: review, Aireg-Tool: {tool}, Aireg-Decision: {decision or '...'}"
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

    def _replay(self, c: Commit, path: str, tool: str, r0: Any, r1: Mapping[str, Any],
                st: PathState, problem: Any) -> None:
        """A review never replaces a later-dated one, and no earlier review of the record
        (other than the one it replaces) comes back, signed or not, even on the same day
        with commit dates to match."""
        first = c.parents[0] if c.parents else None
        seen = [(sha, rv) for sha, rv in st.versions
                if first is not None and self.is_ancestor(sha, first)]
        prior = [rv for _, rv in seen]
        dates = [d for d in (rv.get("date") for rv in prior) if isinstance(d, str)
                 and records.is_valid_date(d)]
        latest = max(dates, default="")
        # Replaced: a later review (not a removal) followed it.
        replaced = [rv for sha, rv in seen
                    if any(rv2 != rv and sha2 != sha and self.is_ancestor(sha, sha2)
                           for sha2, rv2 in seen)]
        d1 = r1.get("date")
        key = signature_key(r1)
        if any(rv != r0 and (rv == r1 or (key and signature_key(rv) == key))
               for rv in replaced):
            problem("security.review.signature", f"the review of {tool} is one the record "
                    "already carried and a later review replaced; an old approval cannot be "
                    f"brought back: ask for a new review with `aireg review --security {tool}`.",
                    "review-replay")
        elif isinstance(d1, str) and records.is_valid_date(d1) and latest and d1 < latest:
            problem("security.review.date", f"the review of {tool} is dated {d1}, before a "
                    f"review the record already carried ({latest}); a review never replaces a "
                    f"later one: ask for a new review with `aireg review --security {tool}`.",
                    "review-replay")

    def _judge_date(self, c: Commit, path: str, tool: str, day: date, old_oid: str | None,
                    problem: Any) -> None:
        """The review's date against its commit's: within a day of it, signed or not (a
        subject, a trailer or a signature never lifts this), and never before the facts it
        judged were written."""
        authored = c.author_day
        slack = timedelta(days=1)
        facts_written = self.written.get((path, old_oid)) if old_oid else None
        if day > authored + slack:
            why = f"after the commit that recorded it ({authored})"
        elif day < authored - slack:
            why = f"more than a day before the commit that recorded it ({authored})"
        elif facts_written is not None and day < date.fromisoformat(facts_written[:10]) - slack:
            why = f"before the facts it judged were written ({facts_written[:10]})"
        else:
            return
        problem("security.review.date", f"the review of {tool} is dated {day}, {why}; a review "
                "carries the day it was made: review again with `aireg review --security "
                f"{tool}`.", "backdated-review")
