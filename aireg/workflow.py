"""The six steps as changes to a record: who may make each, and what it writes; pure, no I/O."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aireg import records
from aireg.config import Config
from aireg.errors import RuleError, UsageError
from aireg.records import Stage

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Update:
    """Set `path` to `value`, or append `value` to the list at `path`."""

    path: Path_
    value: Any
    append: bool = False


@dataclass(frozen=True)
class Change:
    """What one command does to one record: the updates and the commit it makes."""

    tool: str
    action: str
    summary: str
    updates: tuple[Update, ...]
    stage_from: Stage | None = None
    stage_to: Stage | None = None
    decision: str | None = None

    @property
    def trailers(self) -> list[tuple[str, str]]:
        out = [("Aireg-Action", self.action), ("Aireg-Tool", self.tool)]
        if self.stage_from is not None and self.stage_to not in (None, self.stage_from):
            out.append(("Aireg-Stage", f"{self.stage_from} -> {self.stage_to}"))
        if self.decision:
            out.append(("Aireg-Decision", self.decision))
        return out

    @property
    def message(self) -> str:
        # One line, no control characters: a summary can never forge a trailer or a commit.
        summary = "".join(c if c.isprintable() else " " for c in self.summary)
        summary = " ".join(summary.split())[:72] or self.action
        body = "\n".join(f"{k}: {v}" for k, v in self.trailers)
        return f"aireg: {self.action} {self.tool}: {summary}\n\n{body}\n"


def apply(root: Any, updates: Sequence[Update]) -> None:
    """Apply updates in place to a plain dict or a ruamel CommentedMap (new keys in SPEC order)."""
    for up in updates:
        target = root
        for i, part in enumerate(up.path[:-1]):
            nxt = target[part] if isinstance(part, int) else target.get(part)
            if not isinstance(nxt, dict | list):
                nxt = [] if isinstance(up.path[i + 1], int) else {}
                _set(target, part, nxt)
                nxt = target[part]
            target = nxt
        last = up.path[-1]
        if up.append:
            existing = target.get(last) if isinstance(target, dict) else None
            if not isinstance(existing, list):
                _set(target, last, [])
            target[last].append(up.value)
        else:
            _set(target, last, up.value)


def _set(target: Any, key: str | int, value: Any) -> None:
    if isinstance(target, list) or key in target or not hasattr(target, "insert"):
        target[key] = value
        return
    # A ruamel mapping: put a new top-level section where SPEC order says it goes.
    order = records.KEY_ORDER
    if key in order:
        rank = order.index(key)
        pos = len(target)
        for i, existing in enumerate(target):
            if existing in order and order.index(existing) > rank:
                pos = i
                break
        target.insert(pos, key, value)
    else:
        target[key] = value


def applied(record: Mapping[str, Any], updates: Sequence[Update]) -> dict[str, Any]:
    import copy

    data = copy.deepcopy(dict(record))
    apply(data, updates)
    return records.ordered(data)


# -- who may act -------------------------------------------------------------------------

def check_may_edit(record: Mapping[str, Any], actor: str, cfg: Config, what: str) -> None:
    owner = str(record.get("owner", "")).lower()
    dept = str(record.get("department", ""))
    if actor == owner or cfg.may_edit(actor, dept):
        return
    who = f"its owner ({owner})"
    if cfg.departments.get(dept):
        who += f" or a member of {dept}"
    raise RuleError(
        f"{record.get('id')}: only {who} may {what}; you are {actor} (git user.email). "
        "The person doing the work chooses the tool: ask them."
    )


# -- propose ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Proposal:
    id: str
    name: str
    department: str
    vendor: str | None = None
    url: str | None = None
    problem: str | None = None
    goal: str | None = None
    criteria: tuple[str, ...] = ()
    defined_with: tuple[str, ...] = ()


def propose(p: Proposal, actor: str, cfg: Config, ids: set[str], today: str) -> dict[str, Any]:
    """A new record in `purpose`, owned by the person proposing it."""
    if not records.ID_RE.match(p.id) or len(p.id) > records.ID_MAX:
        raise UsageError(
            f'"{p.id}" is not a valid tool id; pass --id with a lowercase slug of letters, '
            "digits and single hyphens (at most 64 characters), such as meeting-notes."
        )
    if p.id in ids:
        raise UsageError(
            f"tools/{p.id}.yaml already exists; pass --id with another id, or work on the "
            f"existing tool (aireg show {p.id})."
        )
    if p.department not in cfg.departments:
        raise UsageError(
            f'department "{p.department}" is not in aireg.yaml; pass --department with one of '
            f"{', '.join(cfg.departments)}."
        )
    members = cfg.departments[p.department]
    if members and actor not in members:
        raise RuleError(
            f"{actor} is not a member of {p.department} in aireg.yaml, and no department "
            "chooses another's tools; propose it in your own department."
        )
    record: dict[str, Any] = {
        "schema": records.SCHEMA, "id": p.id, "name": p.name,
    }
    if p.vendor:
        record["vendor"] = p.vendor
    if p.url:
        record["url"] = p.url
    record.update(department=p.department, owner=actor, stage="purpose", created=today)
    purpose: dict[str, Any] = {}
    if p.problem:
        purpose["problem"] = p.problem
    if p.goal:
        purpose["goal"] = p.goal
    if p.criteria:
        purpose["success_criteria"] = list(p.criteria)
    if p.defined_with:
        purpose["defined_with"] = [e.lower() for e in p.defined_with]
    if purpose:
        record["purpose"] = purpose
    return record


# -- advance ------------------------------------------------------------------------------

@dataclass(frozen=True)
class StageInput:
    """Values given for the current stage's fields (flags or answers at prompts)."""

    problem: str | None = None
    goal: str | None = None
    criteria: tuple[str, ...] = ()
    defined_with: tuple[str, ...] = ()
    group: str | None = None
    count: int | None = None
    needs: tuple[str, ...] = ()
    start: str | None = None
    end: str | None = None
    participants: tuple[str, ...] = ()
    pilot_data: tuple[str, ...] = ()
    result: str | None = None
    findings: str | None = None
    security_data: tuple[str, ...] = ()
    trains_on_our_data: bool | None = None
    retention: str | None = None
    residency: str | None = None
    sso: bool | None = None
    integrations: tuple[str, ...] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


def stage_updates(stage: Stage, inp: StageInput) -> list[Update]:
    ups: list[Update] = []

    def put(path: Path_, value: Any) -> None:
        if value is not None and value != ():
            ups.append(Update(path, list(value) if isinstance(value, tuple) else value))

    if stage is Stage.PURPOSE:
        put(("purpose", "problem"), inp.problem)
        put(("purpose", "goal"), inp.goal)
        put(("purpose", "success_criteria"), inp.criteria)
        put(("purpose", "defined_with"), tuple(e.lower() for e in inp.defined_with))
    elif stage is Stage.USERS and inp.group:
        group: dict[str, Any] = {"group": inp.group}
        if inp.count is not None:
            group["count"] = inp.count
        if inp.needs:
            group["needs"] = list(inp.needs)
        ups.append(Update(("users",), group, append=True))
    elif stage is Stage.PILOT:
        put(("pilot", "start"), inp.start)
        put(("pilot", "end"), inp.end)
        put(("pilot", "participants"), tuple(e.lower() for e in inp.participants))
        put(("pilot", "data"), inp.pilot_data)
        put(("pilot", "result"), inp.result)
        put(("pilot", "findings"), inp.findings)
        put(("security", "data"), inp.security_data)
        put(("security", "trains_on_our_data"), inp.trains_on_our_data)
        put(("security", "retention"), inp.retention)
        put(("security", "residency"), inp.residency)
        put(("security", "sso"), inp.sso)
        if inp.integrations is not None:
            ups.append(Update(("security", "integrations"), list(inp.integrations)))
    return ups


def to_leave(record: Mapping[str, Any], stage: Stage) -> list[records.Requirement]:
    """What leaving `stage` needs, each marked met or not."""
    return records.requirements(record, stage)


def advance(record: Mapping[str, Any], inp: StageInput, actor: str, cfg: Config) -> Change:
    """Complete the current stage and move one stage on; refuse with all that is missing."""
    tool = str(record.get("id"))
    stage = records.parse_stage(record.get("stage"))
    if stage is None:
        raise RuleError(f"tools/{tool}.yaml: stage is {record.get('stage')!r}, which is not a "
                        "stage; fix it first (aireg validate says how).")
    if stage is Stage.SECURITY:
        raise RuleError(f"{tool} waits for its security review; `security` is left only by a "
                        f"review (aireg review --security {tool}, by a security reviewer).")
    if stage is Stage.ACTIVE:
        raise RuleError(f"{tool} is active, the last step; record the periodic check with "
                        f"`aireg reassess {tool}`.")
    if stage.is_exit:
        raise RuleError(f"{tool} is {stage}; records in an exit do not move on.")
    check_may_edit(record, actor, cfg, f"advance {tool}")
    ups = stage_updates(stage, inp)
    after = applied(record, ups)
    missing = [r for r in to_leave(after, stage) if not r.met]
    if missing:
        lines = "; ".join(f"{r.field} ({r.what}; {r.flag})" for r in missing)
        raise RuleError(f"tools/{tool}.yaml cannot leave {stage} yet: missing {lines}.")
    nxt = stage.next
    assert nxt is not None
    ups.append(Update(("stage",), nxt.value))
    summary = {
        Stage.PURPOSE: "purpose defined",
        Stage.USERS: "daily users identified",
        Stage.PILOT: "pilot passed; waiting for the security review",
        Stage.IMPACT: "impact measured; now active",
    }[stage]
    return Change(tool, "advance", summary, tuple(ups), stage, nxt)


# -- review -------------------------------------------------------------------------------

DECISIONS = ("approved", "changes-requested", "rejected")
ANSWERS = ("yes", "no", "n/a")


@dataclass(frozen=True)
class ReviewInput:
    decision: str
    answers: Mapping[str, str]
    conditions: tuple[str, ...] = ()
    note: str | None = None


def check_may_review(record: Mapping[str, Any], actor: str, cfg: Config) -> None:
    tool = record.get("id")
    if not cfg.is_reviewer(actor):
        raise RuleError(f"{actor} is not in roles.security of aireg.yaml, so may not review "
                        f"{tool}; ask one of {', '.join(cfg.security)}.")
    if actor == str(record.get("owner", "")).lower():
        raise RuleError(f"{actor} owns {tool}; no one reviews their own tool: ask another "
                        "member of roles.security.")
    stage = records.parse_stage(record.get("stage"))
    if stage is Stage.SECURITY or needs_re_review(record):
        return
    raise RuleError(f"{tool} is in {record.get('stage')}, not security; only a tool waiting "
                    "in security, or a deployed tool whose facts changed since its approval, "
                    "is reviewed.")


def needs_re_review(record: Mapping[str, Any]) -> bool:
    """A deployed tool whose facts changed after its approval is back in need of review."""
    if records.parse_stage(record.get("stage")) not in (Stage.IMPACT, Stage.ACTIVE):
        return False
    sec = record.get("security")
    review = sec.get("review") if isinstance(sec, Mapping) else None
    if not isinstance(review, Mapping) or review.get("decision") != "approved":
        return True
    return review.get("digest") != records.digest(record)


def security_facts_missing(record: Mapping[str, Any]) -> list[records.Requirement]:
    return [r for r in to_leave(record, Stage.PILOT) if r.field.startswith("security.")
            and not r.met]


def review(
    record: Mapping[str, Any],
    inp: ReviewInput,
    actor: str,
    cfg: Config,
    today: str,
    sign: Callable[[bytes], str] | None = None,
) -> Change:
    """Record a security decision bound, by digest, to the facts it judged."""
    tool = str(record.get("id"))
    check_may_review(record, actor, cfg)
    if inp.decision not in DECISIONS:
        raise UsageError(f"decision {inp.decision!r} is not one of {', '.join(DECISIONS)}.")
    facts_missing = security_facts_missing(record)
    if facts_missing and inp.decision == "approved":
        raise RuleError(f"tools/{tool}.yaml lacks security facts a review judges: "
                        + ", ".join(r.field for r in facts_missing)
                        + "; the owner must add them first.")
    ids = [i.id for i in cfg.checklist_for(record)]  # a high-risk use: risk's questions too
    unknown = [k for k in inp.answers if k not in ids]
    if unknown:
        raise UsageError(f"--answer {unknown[0]}=... names no question of security_checklist; "
                         f"the ids are {', '.join(ids)}.")
    bad = {k: v for k, v in inp.answers.items() if v not in ANSWERS}
    if bad:
        k, v = next(iter(bad.items()))
        raise UsageError(f"--answer {k}={v}: answer yes, no or n/a.")
    unanswered = [i for i in ids if i not in inp.answers]
    if unanswered:
        raise UsageError(f"the review leaves {len(unanswered)} checklist question(s) "
                         f"unanswered ({', '.join(unanswered)}); pass --answer "
                         f"{unanswered[0]}=yes|no|n/a for each.")
    dig = records.digest(record)
    rev: dict[str, Any] = {
        "decision": inp.decision, "by": actor, "date": today,
        "answers": {i: inp.answers[i] for i in ids},
    }
    if inp.conditions:
        rev["conditions"] = list(inp.conditions)
    if inp.note:
        rev["note"] = inp.note
    rev["digest"] = dig
    if sign is not None:
        rev["signature"] = sign(records.review_payload(tool, inp.decision, today, actor, dig))
    stage_from = records.parse_stage(record.get("stage")) or Stage.SECURITY
    if stage_from is Stage.SECURITY:
        stage_to = {"approved": Stage.IMPACT, "changes-requested": Stage.SECURITY,
                    "rejected": Stage.REJECTED}[inp.decision]
    else:
        # A re-review of a deployed tool: approval keeps it where it is; a rejection ends
        # it; changes requested leave it flagged (validate fails) until the owner fixes it.
        stage_to = Stage.REJECTED if inp.decision == "rejected" else stage_from
    ups = [Update(("security", "review"), rev)]
    if stage_to is not stage_from:
        ups.append(Update(("stage",), stage_to.value))
    summary = {"approved": "security review approved",
               "changes-requested": "security review requests changes",
               "rejected": "security review rejected"}[inp.decision]
    return Change(tool, "review", summary, tuple(ups), stage_from, stage_to, inp.decision)


# -- measure, reassess, exits -------------------------------------------------------------

def measure(record: Mapping[str, Any], metric: str, baseline: float, current: float,
            unit: str | None, day: str, actor: str, cfg: Config, note: str | None = None
            ) -> Change:
    tool = str(record.get("id"))
    stage = records.parse_stage(record.get("stage"))
    if stage not in (Stage.IMPACT, Stage.ACTIVE):
        raise RuleError(f"{tool} is in {record.get('stage')}; impact is measured once the tool "
                        "is deployed (impact or active).")
    check_may_edit(record, actor, cfg, f"measure {tool}")
    if not records.is_valid_date(day):
        raise UsageError(f"--date {day} is not a date; write YYYY-MM-DD.")
    entry: dict[str, Any] = {"metric": metric, "baseline": baseline, "current": current}
    if unit:
        entry["unit"] = unit
    entry["measured"] = day
    # The same measurement twice is a re-run (say, after an interrupted command), not news.
    for i, old in enumerate(record.get("impact") or []):
        if isinstance(old, Mapping) and all(old.get(k) == v for k, v in entry.items()):
            raise RuleError(f"tools/{tool}.yaml already records this measurement (impact[{i}]: "
                            f"{metric} {baseline} -> {current} on {day}); nothing was written.")
    if note:
        entry["note"] = note
    return Change(tool, "measure", f"{metric} {baseline} -> {current}{' ' + unit if unit else ''}",
                  (Update(("impact",), entry, append=True),))


def reassess(record: Mapping[str, Any], outcome: str, alternatives: Sequence[str],
             note: str | None, replaced_by: str | None, day: str, actor: str, cfg: Config,
             ids: set[str]) -> Change:
    tool = str(record.get("id"))
    if records.parse_stage(record.get("stage")) is not Stage.ACTIVE:
        raise RuleError(f"{tool} is in {record.get('stage')}; only active tools are "
                        "reassessed.")
    check_may_edit(record, actor, cfg, f"reassess {tool}")
    if outcome not in ("keep", "replace", "retire"):
        raise UsageError(f"--outcome {outcome}: write keep, replace or retire.")
    if outcome == "replace" and not replaced_by:
        raise UsageError("--outcome replace needs --replaced-by ID, the tool that replaces it.")
    entry: dict[str, Any] = {"date": day, "by": actor}
    if alternatives:
        entry["alternatives"] = list(alternatives)
    entry["outcome"] = outcome
    if note:
        entry["note"] = note
    ups = [Update(("reassessments",), entry, append=True)]
    if outcome == "keep":
        return Change(tool, "reassess", "kept after reassessment", tuple(ups))
    reason = note or ("replaced by " + str(replaced_by) if replaced_by else "retired after reassessment")
    ups += _retire_updates(tool, reason, replaced_by, day, ids)
    return Change(tool, "reassess", f"{outcome}: {reason}", tuple(ups), Stage.ACTIVE,
                  Stage.RETIRED)


def _retire_updates(tool: str, reason: str, replaced_by: str | None, day: str,
                    ids: set[str]) -> list[Update]:
    if replaced_by is not None:
        if replaced_by == tool:
            raise UsageError("--replaced-by names the tool itself; name the tool that replaced it.")
        if replaced_by not in ids:
            raise UsageError(f'--replaced-by "{replaced_by}" is not a tool in tools/; name an '
                             "existing tool id.")
    block: dict[str, Any] = {"date": day, "reason": reason}
    if replaced_by:
        block["replaced_by"] = replaced_by
    return [Update(("retired",), block), Update(("stage",), Stage.RETIRED.value)]


def _exit_check(record: Mapping[str, Any], actor: str, cfg: Config, verb: str) -> Stage:
    tool = str(record.get("id"))
    stage = records.parse_stage(record.get("stage"))
    if stage is None or stage.is_exit:
        raise RuleError(f"{tool} is already {record.get('stage')}; it cannot be {verb} again.")
    check_may_edit(record, actor, cfg, f"{verb.rstrip('d')} {tool}")
    return stage


def withdraw(record: Mapping[str, Any], reason: str, day: str, actor: str, cfg: Config
             ) -> Change:
    tool = str(record.get("id"))
    stage = _exit_check(record, actor, cfg, "withdrawn")
    block = {"date": day, "reason": reason, "by": actor}
    return Change(tool, "withdraw", reason,
                  (Update(("rejected",), block), Update(("stage",), Stage.REJECTED.value)),
                  stage, Stage.REJECTED)


def retire(record: Mapping[str, Any], reason: str, replaced_by: str | None, day: str,
           actor: str, cfg: Config, ids: set[str]) -> Change:
    tool = str(record.get("id"))
    stage = _exit_check(record, actor, cfg, "retired")
    return Change(tool, "retire", reason,
                  tuple(_retire_updates(tool, reason, replaced_by, day, ids)), stage,
                  Stage.RETIRED)
