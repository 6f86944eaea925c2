"""The six steps as changes to a record: who may make each, and what it writes; pure, no I/O."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aireg import records, trailers, yamlio
from aireg.config import Config
from aireg.errors import RuleError, UsageError
from aireg.records import Stage
from aireg.yamlio import Update

Path_ = tuple[str | int, ...]


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
        return trailers.tool_trailers(
            self.action, self.tool, None if self.stage_from is None else str(self.stage_from),
            None if self.stage_to is None else str(self.stage_to), self.decision)

    @property
    def message(self) -> str:
        # One line, no control characters: a summary can never forge a trailer or a commit.
        return trailers.tool_message(
            self.action, self.tool, self.summary,
            None if self.stage_from is None else str(self.stage_from),
            None if self.stage_to is None else str(self.stage_to), self.decision)


def applied(record: Mapping[str, Any], updates: Sequence[Update]) -> dict[str, Any]:
    import copy

    data = copy.deepcopy(dict(record))
    yamlio.apply(data, updates, records.KEY_ORDER)
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


def did_you_mean(value: str, choices: Sequence[str]) -> str:
    import difflib

    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.5)
    return f' Did you mean "{close[0]}"?' if close else ""


def check_colleagues(emails: Sequence[str], actor: str, flag: str) -> None:
    """The purpose is defined with others: the owner never counts as their own colleague."""
    for e in emails:
        if not records.EMAIL_RE.match(e.strip()):
            raise UsageError(f"{flag} {e} is not an e-mail address; name the colleague by "
                             "their e-mail, such as ana@acme.example.")
        if e.strip().lower() == actor.lower():
            raise UsageError(f"{flag} {e} names you, the owner; name a colleague who defined "
                             "the purpose with you.")


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


def check_new_id(tool_id: str, ids: set[str]) -> None:
    """A new tool's id is a valid slug that no tool has yet."""
    if not records.is_valid_id(tool_id):
        raise UsageError(
            f'"{tool_id}" is not a valid tool id; pass --id with a lowercase slug of letters, '
            "digits and single hyphens (at most 64 characters), such as meeting-notes."
        )
    if tool_id in ids:
        raise UsageError(
            f"{records.record_path(tool_id)} already exists; pass --id with another id, or "
            f"work on the existing tool (aireg show {tool_id})."
        )


def propose(p: Proposal, actor: str, cfg: Config, ids: set[str], today: str) -> dict[str, Any]:
    """A new record in `purpose`, owned by the person proposing it."""
    check_new_id(p.id, ids)
    if p.department not in cfg.departments:
        raise UsageError(
            f'department "{p.department}" is not in aireg.yaml; pass --department with one of '
            f"{', '.join(cfg.departments)}.{did_you_mean(p.department, list(cfg.departments))}"
        )
    check_colleagues(p.defined_with, actor, "--with")
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


def check_stage_input(inp: StageInput, cfg: Config, record: Mapping[str, Any]) -> None:
    """Each value given by a flag has its form, refused with the flag and the form."""
    if inp.count is not None and inp.count < 1:
        raise UsageError(f"--count {inp.count}: a group has 1 or more people; write how many.")
    for flag, day in (("--start", inp.start), ("--end", inp.end)):
        if day is not None and not (records.DATE_RE.match(day) and records.is_valid_date(day)):
            raise UsageError(f"{flag} {day} is not a date; write it as YYYY-MM-DD, "
                             "e.g. 2026-11-03.")
    pilot = record.get("pilot")
    start = inp.start or (pilot.get("start") if isinstance(pilot, Mapping) else None)
    if inp.end is not None and isinstance(start, str) and inp.end < start:
        raise UsageError(f"--end {inp.end} is before the pilot's start ({start}); the pilot "
                         "ends on or after the day it starts.")
    for e in inp.participants:
        if not records.EMAIL_RE.match(e.strip()):
            raise UsageError(f"--participant {e} is not an e-mail address; name each person "
                             "by e-mail, such as ana@acme.example.")
    if inp.result is not None and inp.result not in ("passed", "failed"):
        raise UsageError(f"--result {inp.result}: write passed (a failed pilot is withdrawn "
                         "with `aireg withdraw`).")
    classes = list(cfg.data_classes)
    for flag, values in (("--data", inp.pilot_data), ("--security-data", inp.security_data)):
        for v in values:
            if classes and v not in classes:
                raise UsageError(f"{flag} {v} is not a data class of aireg.yaml; write one of "
                                 f"{', '.join(classes)}.{did_you_mean(v, classes)}")


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


def check_stage_unmoved(record: Mapping[str, Any], committed: Mapping[str, Any] | None) -> None:
    """A stage moves only by its command: a stage changed by hand in the working tree would
    be committed as a move nobody made (and later judged a skip), so it is refused."""
    if committed is None:
        return
    now, then = record.get("stage"), committed.get("stage")
    if now != then:
        tool = record.get("id")
        raise RuleError(f"tools/{tool}.yaml: stage was changed by hand from {then} to {now}, "
                        f"but a stage moves only by its command; put `stage: {then}` back and "
                        f"run `aireg advance {tool}` again.")


def review_summary(record: Mapping[str, Any]) -> str:
    """The latest review in one sentence, for the owner: decision, who, note, conditions."""
    sec = record.get("security")
    rev = sec.get("review") if isinstance(sec, Mapping) else None
    if not isinstance(rev, Mapping) or not rev.get("decision"):
        return ""
    out = f"{rev.get('by')} {rev.get('decision')} on {rev.get('date')}"
    if rev.get("note"):
        out += f": {str(rev['note']).rstrip('.')}"
    conds = [str(c).rstrip(".") for c in rev.get("conditions") or []]
    if conds:
        out += f" (conditions: {'; '.join(conds)})"
    return out


def advance(record: Mapping[str, Any], inp: StageInput, actor: str, cfg: Config,
            committed: Mapping[str, Any] | None = None) -> Change:
    """Complete the current stage and move one stage on; refuse with all that is missing.

    `committed` is the record as last committed: a stage moved by hand since is refused.
    """
    tool = str(record.get("id"))
    stage = records.parse_stage(record.get("stage"))
    if stage is None:
        raise RuleError(f"{records.record_path(tool)}: stage is {record.get('stage')}, which "
                        "is not a stage; fix it first (aireg validate says how).")
    check_stage_unmoved(record, committed)
    if stage is Stage.SECURITY:
        said = review_summary(record)
        if said and "changes-requested" in said:
            raise RuleError(f"{tool} waits for its security review, and the last one asked for "
                            f"changes ({said}); make them (aireg edit {tool}), then a security "
                            f"reviewer reviews again with `aireg review --security {tool}`.")
        raise RuleError(f"{tool} waits for its security review; `security` is left only by a "
                        f"review (aireg review --security {tool}, by a security reviewer).")
    if stage is Stage.ACTIVE:
        raise RuleError(f"{tool} is active, the last step; record the periodic check with "
                        f"`aireg reassess {tool}`.")
    if stage.is_exit:
        raise RuleError(f"{tool} is {stage}; records in an exit do not move on.")
    check_may_edit(record, actor, cfg, f"advance {tool}")
    if stage is Stage.PURPOSE:
        check_colleagues(inp.defined_with, str(record.get("owner") or actor), "--with")
    check_stage_input(inp, cfg, record)
    ups = stage_updates(stage, inp)
    after = applied(record, ups)
    missing = [r for r in to_leave(after, stage) if not r.met]
    if missing:
        lines = "; ".join(f"{r.field} ({r.what}; {r.flag})" for r in missing)
        raise RuleError(f"{records.record_path(tool)} cannot leave {stage} yet: missing {lines}.")
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

DECISIONS = trailers.DECISIONS
ANSWERS = ("yes", "no", "n/a")


@dataclass(frozen=True)
class ReviewInput:
    decision: str
    answers: Mapping[str, str]
    conditions: tuple[str, ...] = ()
    note: str | None = None
    # The reviewer saw the doubts (a "no" while approving, an answer against the owner's
    # facts) and records the decision anyway.
    confirmed: bool = False


def must_sign(cfg: Config, asked: bool) -> bool:
    """A review is signed when the reviewer asks for it or the policy requires it."""
    return asked or cfg.policy.require_signed_reviews


# checklist id -> (security fact, the value that contradicts a "yes", what the owner wrote)
CONTRADICTIONS: dict[str, tuple[str, object, str]] = {
    "training": ("trains_on_our_data", True, "the vendor trains on our data"),
    "sso": ("sso", False, "the tool has no single sign-on"),
}


def contradictions(record: Mapping[str, Any], answers: Mapping[str, str]) -> list[str]:
    """Answers that contradict the owner's security facts, one sentence each."""
    sec = record.get("security")
    sec = sec if isinstance(sec, Mapping) else {}
    out = []
    for qid, (fact, bad, said) in CONTRADICTIONS.items():
        if answers.get(qid) == "yes" and sec.get(fact) is bad:
            value = "true" if bad else "false"
            out.append(f"{qid}=yes contradicts security.{fact}: {value} ({said})")
    integrations = sec.get("integrations")
    if answers.get("integrations") == "n/a" and isinstance(integrations, list) and integrations:
        out.append("integrations=n/a contradicts security.integrations: "
                   f"{', '.join(map(str, integrations))}")
    return out


def doubts(record: Mapping[str, Any], inp: ReviewInput) -> list[str]:
    """What a reviewer must confirm before the decision is recorded (empty: nothing)."""
    out = contradictions(record, inp.answers)
    noes = [k for k, v in inp.answers.items() if v == "no"]
    if inp.decision == "approved" and noes and not inp.conditions:
        out.append(f"approving while {', '.join(f'{k}=no' for k in noes)} and no condition "
                   "says what makes that acceptable")
    return out


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
        raise UsageError(f"decision {inp.decision} is not one of {', '.join(DECISIONS)}.")
    if inp.decision in ("changes-requested", "rejected") and not (inp.note or "").strip():
        flag = "--request-changes" if inp.decision == "changes-requested" else "--reject"
        raise UsageError(f"{flag} needs --note saying what the owner must change or why, "
                         "so the owner can act on it.")
    facts_missing = security_facts_missing(record)
    if facts_missing and inp.decision == "approved":
        raise RuleError(f"{records.record_path(tool)} lacks security facts a review judges: "
                        + ", ".join(r.field for r in facts_missing)
                        + "; the owner must add them first.")
    ids = [i.id for i in cfg.checklist_for(record)]  # a high-risk use: risk's questions too
    unknown = [k for k in inp.answers if k not in ids]
    if unknown:
        raise UsageError(f"--answer {unknown[0]} names no question of security_checklist in "
                         f"aireg.yaml; the ids are {', '.join(ids)}."
                         f"{did_you_mean(unknown[0], ids)}")
    bad = {k: v for k, v in inp.answers.items() if v not in ANSWERS}
    if bad:
        k, v = next(iter(bad.items()))
        raise UsageError(f"--answer {k}={v}: answer yes, no or n/a.")
    unanswered = [i for i in ids if i not in inp.answers]
    if unanswered:
        raise UsageError(f"the review leaves {len(unanswered)} checklist question(s) "
                         f"unanswered ({', '.join(unanswered)}); pass --answer "
                         f"{unanswered[0]}=yes|no|n/a for each.")
    found = doubts(record, inp)
    if found and not inp.confirmed:
        raise RuleError(f"tools/{tool}.yaml: the review is not recorded because "
                        f"{'; '.join(found)}; add --condition TEXT, change the answer, or pass "
                        "--confirm to record it as it stands.")
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
        rev["signature"] = sign(records.signed_payload(tool, rev))
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

def check_not_future(day: str, today: str | None, flag: str, what: str) -> None:
    if today is not None and records.is_valid_date(day) and day > today:
        raise UsageError(f"{flag} {day} is in the future; {what} is recorded on or after the "
                         f"day it happened (today is {today}).")


def measure(record: Mapping[str, Any], metric: str, baseline: float, current: float,
            unit: str | None, day: str, actor: str, cfg: Config, note: str | None = None,
            today: str | None = None) -> Change:
    tool = str(record.get("id"))
    stage = records.parse_stage(record.get("stage"))
    if stage not in (Stage.IMPACT, Stage.ACTIVE):
        raise RuleError(f"{tool} is in {record.get('stage')}; impact is measured once the tool "
                        "is deployed (impact or active).")
    check_may_edit(record, actor, cfg, f"measure {tool}")
    if not records.is_valid_date(day):
        raise UsageError(f"--date {day} is not a date; write YYYY-MM-DD.")
    check_not_future(day, today, "--date", "a measurement")
    entry: dict[str, Any] = {"metric": metric, "baseline": baseline, "current": current}
    if unit:
        entry["unit"] = unit
    entry["measured"] = day
    # The same measurement twice is a re-run (say, after an interrupted command), not news.
    for i, old in enumerate(record.get("impact") or []):
        if isinstance(old, Mapping) and all(old.get(k) == v for k, v in entry.items()):
            raise RuleError(f"{records.record_path(tool)} already records this measurement "
                            f"(impact[{i}]: {metric} {baseline} -> {current} on {day}); "
                            "nothing was written.")
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
    reason = note or ("replaced by " + str(replaced_by) if replaced_by
                      else "retired after reassessment")
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
                             f"existing tool id.{did_you_mean(replaced_by, sorted(ids))}")
    block: dict[str, Any] = {"date": day, "reason": reason}
    if replaced_by:
        block["replaced_by"] = replaced_by
    return [Update(("retired",), block), Update(("stage",), Stage.RETIRED.value)]


def _exit_check(record: Mapping[str, Any], actor: str, cfg: Config, verb: str,
                past: str) -> Stage:
    tool = str(record.get("id"))
    stage = records.parse_stage(record.get("stage"))
    if stage is None or stage.is_exit:
        raise RuleError(f"{tool} is already {record.get('stage')}; it cannot be {past} again.")
    check_may_edit(record, actor, cfg, f"{verb} {tool}")
    return stage


def withdraw(record: Mapping[str, Any], reason: str, day: str, actor: str, cfg: Config
             ) -> Change:
    tool = str(record.get("id"))
    stage = _exit_check(record, actor, cfg, "withdraw", "withdrawn")
    if stage in (Stage.IMPACT, Stage.ACTIVE):
        raise RuleError(f"{tool} is deployed ({stage}); a deployed tool is not withdrawn but "
                        f"retired: run `aireg retire {tool} --reason TEXT`.")
    block = {"date": day, "reason": reason, "by": actor}
    return Change(tool, "withdraw", reason,
                  (Update(("rejected",), block), Update(("stage",), Stage.REJECTED.value)),
                  stage, Stage.REJECTED)


def retire(record: Mapping[str, Any], reason: str, replaced_by: str | None, day: str,
           actor: str, cfg: Config, ids: set[str]) -> Change:
    tool = str(record.get("id"))
    stage = _exit_check(record, actor, cfg, "retire", "retired")
    return Change(tool, "retire", reason,
                  tuple(_retire_updates(tool, reason, replaced_by, day, ids)), stage,
                  Stage.RETIRED)
