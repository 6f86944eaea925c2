"""The CAIO's report: funnel, security queue, time in stage, due work, impact and overlaps.

`build(reg)` gathers everything as plain data (reading each record once, and the history in
ONE ``git log`` pass plus one ``git diff-tree`` for import commits); `render(data, fmt)`
turns it into Markdown, one self-contained HTML page, or JSON. The report decides nothing:
a Chief AI Officer connects teams, so every overlap names the teams that should talk and
says why, and no more.

JSON shape (``aireg report --format json``; keys are stable, new keys may be added)::

    {
      "report": "aireg/report/v1",
      "organization": "Acme",
      "generated": "2026-11-23",          # today (AIREG_TODAY honoured)
      "head": "<commit id>" | null,        # the commit the history was read up to
      "tools": 8,                          # records read
      "unreadable": ["tools/x.yaml"],      # files in tools/ that could not be parsed (skipped)
      "funnel": {
        "stages": ["purpose", ... "active", "rejected", "retired"],   # plus any invalid
        "departments": ["marketing", ...],  # configured ones first, then unknown ones
        "counts": {"<department>": {"<stage>": n}},                   # every cell present
        "by_stage": {"<stage>": n}, "by_department": {"<department>": n}
      },
      "security_queue": [                  # tools in `security`, longest wait first
        {"id", "name", "vendor", "department", "owner", "waiting_since": "YYYY-MM-DD",
         "days_waiting": int, "data": [classes] | null, "last_decision": str | null}
      ],
      "stage_times": [                     # one per workflow stage, in order
        {"stage", "completed": n, "median_days": float | null, "mean_days": float | null,
         "max_days": int | null, "current": n, "current_max_days": int | null}
      ],
      "tool_times": [                      # per tool, from git, the days `aireg log` gives
        {"id", "department", "stage", "since": "YYYY-MM-DD", "days_in_stage": {"<stage>": int}}
      ],
      "due": [                             # measurements and reassessments, within 30 days
        {"tool", "owner", "department", "kind": "measure" | "reassess", "due", "since",
         "overdue": bool, "days": int}     # days < 0: that many days overdue
      ],
      "impact": {
        "tools": [{"id", "name", "department", "stage", "metrics": [
            {"metric", "unit", "baseline", "current", "measured", "change": float | null,
             "change_pct": float | null}]}],          # latest entry per metric
        "departments": [{"department", "deployed": n, "measured": n, "metrics": n,
                         "unmeasured": [ids]}]        # deployed: stage impact or active
      },
      "overlaps": [
        {"kind": "product" | "vendor" | "purpose", "label": str,
         "departments": [str],
         "tools": [{"id", "name", "department", "stage", "owner", "review": str | null}],
         "similarity": float | null, "shared_words": [str], "sentence": str}
      ],
      "unreviewed": [                      # deployed (impact, active), no approved review ever
        {"id", "name", "vendor", "department", "owner", "stage", "imported": bool,
         "risk": str | null, "high_risk": bool,
         "known_since": "YYYY-MM-DD" | null}   # when the registry learned of it (git)
      ],
      "backlog": {                         # imported records and the evidence they lack
        "imported": n, "lacking": n, "no_created_date": n,
        "by_evidence": {"<field>": n}, "by_department": {"<department>": n},
        "tools": [{"id", "department", "stage", "imported": "YYYY-MM-DD", "file",
                   "lacks": [str]}]
      },
      "risk": {                            # aireg.yaml's risk classification
        "tiers": {"<tier>" | "(unclassified)" | "(no tier)": n}, "flags": {"<flag>": n},
        "roles": {"<role>": n},
        "tools": [{"id", "name", "department", "stage", "risk": str, "prohibited": bool,
                   "reviewed": bool}]      # prohibited and high-risk uses
      }
    }

Overlaps are claims a CAIO can stand behind: a *product* overlap needs the same product (a
well-known product name, or the same name from the same recorded vendor; "ChatBot" in two
departments is two use cases), and only then may a sentence suggest reusing a review; a
*purpose* overlap is a cluster (each tool in one group at most) of tools whose purposes
share informative words, shown in `shared_words`.

Times come from git: a tool enters a stage on the author date of the commit whose
``Aireg-Stage: <from> -> <to>`` trailer names it (the date `aireg log` uses: when the person
took the step, which a later rebase or merge does not move),
and enters its first stage on its ``aireg propose`` commit, or the ``aireg import`` commit
that added its file; a record written by hand has its ``created`` date, and an imported one
without history its ``imported.date`` (never a date from the source). Every wait and every
duration counts from when the registry learned of a step; no clock starts from an
implausible date (see `aireg.due`). The report reads
the trailers as written; ``aireg audit`` is what checks that they tell the truth.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from aireg import due as due_mod
from aireg import names, records, timeline
from aireg.records import STAGE_NAMES, WORKFLOW, Stage, is_valid_date

if TYPE_CHECKING:
    from aireg.config import Config
    from aireg.repo import Registry

REPORT_SCHEMA = "aireg/report/v1"
DUE_WITHIN_DAYS = 30

# Similar purpose, tuned on the 3,611 purposes of the OMB 2025 use-case inventory. Plain
# Jaccard over every word matched boilerplate ("increased efficiency and productivity")
# across agencies at any threshold that found real pairs, so words used by more than
# COMMON_SHARE of all tools (at least COMMON_MIN tools) say nothing and are left out; then a
# pair needs MIN_SHARED informative words and a Jaccard index of at least
# PURPOSE_THRESHOLD. On that inventory this keeps 67 cross-agency pairs (redaction of
# body-camera video, licence-plate readers, coding survey answers, legal research, ...);
# 0.15 added 189 more, mostly two shared generic words.
PURPOSE_THRESHOLD = 0.2
MIN_SHARED = 3
COMMON_SHARE = 0.03
COMMON_MIN = 3

# Words that say nothing about WHICH problem a tool solves: the effort-and-benefit language
# of the inventory's most common words (used by more than 3% of its 3,611 purposes), hand-
# picked to leave out domain words that were common there (code, search, security, text),
# plus the units of time people measure effort in. Needed because a small registry has too
# few tools for the frequency rule above to learn them.
GENERIC_WORDS = """
    data improve time provide reduce identify information efficiency support manual system
    enhance enabling automated increased processing help need management process based users
    operational required staff high including allow benefits cost service create quality
    intended efficient faster resources making savings quickly assist case potential
    applications across large work effective tasks accuracy capabilities access ensure better
    project accurate effort currently program integrated problem agency related relevant
    mission significant solve understanding streamline accelerate new results workflows
    available consuming designed leveraging team solution product complex productivity focus
    ability purpose informed specific technology expected issues leads activities methods
    utilize outcomes additional organization aims challenges critical existing level various
    driven multiple like limited advanced areas determine make intensive perform consistent
    take takes took day days hour hours minute minutes week weeks month months year years
    first one two three four five ten fifty half each every less fewer same faster quicker
    give gives given giving see seen sees get gets getting go goes going know known want way
    ways thing things lot lots able also well etc including include includes included
    allows allowing allowed provides providing provided helps helping helped making makes
    made done doing does want wants needed needs using current currently often usually
    """

_DEPLOYED = frozenset({Stage.IMPACT.value, Stage.ACTIVE.value})
_EVALUATING = frozenset({Stage.PURPOSE.value, Stage.USERS.value, Stage.PILOT.value,
                         Stage.SECURITY.value})


# -- data ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Funnel:
    """How many tools each department has in each stage."""

    stages: tuple[str, ...]
    departments: tuple[str, ...]
    counts: Mapping[str, Mapping[str, int]]

    @property
    def by_stage(self) -> dict[str, int]:
        return {s: sum(self.counts[d][s] for d in self.departments) for s in self.stages}

    @property
    def by_department(self) -> dict[str, int]:
        return {d: sum(self.counts[d].values()) for d in self.departments}

    def as_dict(self) -> dict[str, Any]:
        return {
            "stages": list(self.stages),
            "departments": list(self.departments),
            "counts": {d: dict(self.counts[d]) for d in self.departments},
            "by_stage": self.by_stage,
            "by_department": self.by_department,
        }


@dataclass(frozen=True)
class StageTime:
    """Days tools spent in one stage: those that left it, and those still in it."""

    stage: str
    completed: tuple[int, ...]
    current: tuple[int, ...]

    def as_dict(self) -> dict[str, Any]:
        done = self.completed
        return {
            "stage": self.stage,
            "completed": len(done),
            "median_days": float(statistics.median(done)) if done else None,
            "mean_days": round(statistics.fmean(done), 1) if done else None,
            "max_days": max(done) if done else None,
            "current": len(self.current),
            "current_max_days": max(self.current) if self.current else None,
        }


@dataclass(frozen=True)
class Member:
    """A tool as an overlap names it."""

    id: str
    name: str
    department: str
    stage: str
    owner: str
    decision: str | None = None  # the security review's decision, if one is recorded

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "department": self.department,
                "stage": self.stage, "owner": self.owner, "review": self.decision}


@dataclass(frozen=True)
class Overlap:
    """Tools in different departments that share a product, a vendor or a purpose."""

    kind: str  # product | vendor | purpose
    label: str
    tools: tuple[Member, ...]
    sentence: str
    similarity: float | None = None
    shared_words: tuple[str, ...] = ()

    @property
    def departments(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m.department for m in self.tools))

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "label": self.label, "departments": list(self.departments),
            "tools": [m.as_dict() for m in self.tools],
            "similarity": None if self.similarity is None else round(self.similarity, 3),
            "shared_words": list(self.shared_words), "sentence": self.sentence,
        }


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows, as plain data; `as_dict()` is the documented JSON."""

    organization: str
    generated: date
    head: str | None
    tools: int
    unreadable: tuple[str, ...]
    funnel: Funnel
    security_queue: tuple[Mapping[str, Any], ...]
    stage_times: tuple[StageTime, ...]
    tool_times: tuple[Mapping[str, Any], ...]
    due: tuple[due_mod.DueItem, ...]
    impact_tools: tuple[Mapping[str, Any], ...]
    impact_departments: tuple[Mapping[str, Any], ...]
    overlaps: tuple[Overlap, ...] = field(default=())
    unreviewed: tuple[Mapping[str, Any], ...] = field(default=())
    backlog: Mapping[str, Any] = field(default_factory=dict)
    risk: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "report": REPORT_SCHEMA,
            "organization": self.organization,
            "generated": self.generated.isoformat(),
            "head": self.head,
            "tools": self.tools,
            "unreadable": list(self.unreadable),
            "funnel": self.funnel.as_dict(),
            "security_queue": [dict(q) for q in self.security_queue],
            "stage_times": [s.as_dict() for s in self.stage_times],
            "tool_times": [dict(t) for t in self.tool_times],
            "due": [{k: v for k, v in i.as_dict().items() if k != "lacks"} for i in self.due],
            "impact": {"tools": [dict(t) for t in self.impact_tools],
                       "departments": [dict(d) for d in self.impact_departments]},
            "overlaps": [o.as_dict() for o in self.overlaps],
            "unreviewed": [dict(u) for u in self.unreviewed],
            "backlog": dict(self.backlog),
            "risk": dict(self.risk),
        }


# -- building --------------------------------------------------------------------------------


def build(reg: Registry) -> ReportData:
    """Read the registry once (records, then one `git log` pass) and gather the report."""
    from aireg.repo import today

    day = today()
    files = reg.read_all()
    recs = [rf.record for rf in files if rf.rel.endswith(".yaml") and isinstance(rf.data, dict)]
    unreadable = tuple(rf.rel for rf in files
                       if rf.rel.endswith(".yaml") and not isinstance(rf.data, dict))
    head = reg.git.head()
    history = read_history(reg) if head else {}
    return compose(recs, reg.config, history, day, head, unreadable)


def compose(recs: Sequence[Mapping[str, Any]], cfg: Config,
            history: Mapping[str, ToolHistory], day: date, head: str | None = None,
            unreadable: Iterable[str] = ()) -> ReportData:
    """The report of these records and their history, on `day` (pure: no I/O)."""
    entries = {str(r.get("id", "")): stage_entries(r, history.get(str(r.get("id", ""))), day,
                                                   cfg.policy.earliest_year)
               for r in recs}
    tool_times = tuple(_tool_time(r, entries[str(r.get("id", ""))], day) for r in recs)
    impact_tools, impact_deps = impact(recs)
    return ReportData(
        organization=cfg.organization,
        generated=day,
        head=head,
        tools=len(recs),
        unreadable=tuple(unreadable),
        funnel=funnel(recs, cfg.departments),
        security_queue=tuple(security_queue(recs, entries, day)),
        unreviewed=tuple(unreviewed(recs, entries, cfg)),
        backlog=backlog(recs),
        risk=risk_summary(recs, cfg),
        stage_times=tuple(stage_times(entries, day)),
        tool_times=tool_times,
        due=tuple(sorted(due_mod.due_items(recs, cfg.policy, day, DUE_WITHIN_DAYS,
                                           evidence=False),
                         key=lambda i: (i.due, i.tool))),
        impact_tools=tuple(impact_tools),
        impact_departments=tuple(impact_deps),
        overlaps=tuple(overlaps(recs)),
    )


_s = records.as_text


def funnel(recs: Sequence[Mapping[str, Any]], departments: Iterable[str]) -> Funnel:
    """Tools per stage per department; every configured department has a row, even empty."""
    seen_deps = [_s(r.get("department")) or "(none)" for r in recs]
    seen_stages = [_s(r.get("stage")) or "(none)" for r in recs]
    deps = list(dict.fromkeys(departments))
    deps += sorted(set(seen_deps) - set(deps))
    # A stage value that is not a stage still counts, so the totals match `aireg list`.
    stages = list(STAGE_NAMES) + sorted(set(seen_stages) - set(STAGE_NAMES))
    counts: dict[str, dict[str, int]] = {d: dict.fromkeys(stages, 0) for d in deps}
    for d, s in zip(seen_deps, seen_stages, strict=True):
        counts[d][s] += 1
    return Funnel(tuple(stages), tuple(deps), counts)


# -- history: the one timeline (aireg.timeline) ---------------------------------------------

ToolHistory = timeline.ToolHistory


def read_history(reg: Registry) -> dict[str, ToolHistory]:
    """Every tool's history, as aireg.timeline reads it for the report and the review queue."""
    return timeline.histories(reg.root, reg.git)


def stage_entries(rec: Mapping[str, Any], hist: ToolHistory | None,
                  day: date, earliest_year: int = 1980) -> list[tuple[str, date]]:
    """The stages a tool went through and the day it entered each, oldest first."""
    current = _s(rec.get("stage"))
    created = _s(rec.get("created"))
    if "imported" in rec:
        # When the registry learned of it: the import commit, else the import's own date;
        # never a date from the source inventory (its `created`, say 1905).
        known = due_mod.imported_on(rec)
        start = (hist.added if hist and hist.added else None) or (
            known if known is not None and known <= day else day)
    else:
        made = date.fromisoformat(created) if is_valid_date(created) else None
        if made is not None and (made.year < earliest_year or made > day):
            made = None  # implausible (1905, or the future): no duration is computed from it
        start = (hist.added if hist and hist.added else None) or made or day
    moves = hist.moves if hist else []
    entries = [(moves[0][1] if moves else current, start)]
    for when, _frm, to in moves:
        entries.append((to, when))
    if entries[-1][0] != current:  # an uncommitted stage change: in it since today
        entries.append((current, day))
    return entries


def _durations(entries: Sequence[tuple[str, date]], day: date) -> dict[str, int]:
    out: dict[str, int] = {}
    for n, (stage, since) in enumerate(entries):
        if n + 1 < len(entries):
            out[stage] = out.get(stage, 0) + max(0, (entries[n + 1][1] - since).days)
        else:  # the current stage, exits included, counts until today, as `aireg log` does
            out[stage] = out.get(stage, 0) + max(0, (day - since).days)
    return out


def _tool_time(rec: Mapping[str, Any], entries: Sequence[tuple[str, date]],
               day: date) -> dict[str, Any]:
    return {"id": _s(rec.get("id")), "department": _s(rec.get("department")),
            "stage": _s(rec.get("stage")), "since": entries[-1][1].isoformat(),
            "days_in_stage": _durations(entries, day)}


def stage_times(entries: Mapping[str, Sequence[tuple[str, date]]],
                day: date) -> list[StageTime]:
    """For each workflow stage, the days of the tools that left it and of those still in it."""
    done: dict[str, list[int]] = defaultdict(list)
    now: dict[str, list[int]] = defaultdict(list)
    for ents in entries.values():
        for n, (stage, since) in enumerate(ents):
            if n + 1 < len(ents):
                done[stage].append(max(0, (ents[n + 1][1] - since).days))
            elif stage in _EVALUATING | _DEPLOYED:
                now[stage].append(max(0, (day - since).days))
    return [StageTime(s.value, tuple(done[s.value]), tuple(now[s.value])) for s in WORKFLOW]


def security_queue(recs: Sequence[Mapping[str, Any]],
                   entries: Mapping[str, Sequence[tuple[str, date]]],
                   day: date) -> list[dict[str, Any]]:
    """Tools waiting for the security review, longest wait first (the keys of
    `queries.review_queue`, with the wait counted from entering `security`)."""
    rows: list[dict[str, Any]] = []
    from aireg.workflow import needs_re_review

    for r in recs:
        if r.get("stage") != Stage.SECURITY.value and not (
                needs_re_review(r) and due_mod.approval_date(r) is not None):
            continue  # a deployed tool whose approval went stale is back in the queue
        since = entries[_s(r.get("id"))][-1][1]
        sec = r.get("security") if isinstance(r.get("security"), Mapping) else {}
        assert isinstance(sec, Mapping)
        review = sec.get("review") if isinstance(sec.get("review"), Mapping) else {}
        assert isinstance(review, Mapping)
        data = sec.get("data")
        rows.append({
            "id": _s(r.get("id")), "name": _s(r.get("name")), "vendor": r.get("vendor"),
            "department": _s(r.get("department")), "owner": _s(r.get("owner")),
            "waiting_since": since.isoformat(), "days_waiting": (day - since).days,
            "data": [str(d) for d in data] if isinstance(data, list) else None,
            "last_decision": review.get("decision"),
        })
    rows.sort(key=lambda w: (-w["days_waiting"], w["id"]))
    return rows


def unreviewed(recs: Sequence[Mapping[str, Any]],
               entries: Mapping[str, Sequence[tuple[str, date]]],
               cfg: Config) -> list[dict[str, Any]]:
    """Deployed tools (impact, active) that have never had an approved security review: the
    report's loudest list. Imported ones came in deployed; `known_since` is when the registry
    learned of the tool (its import or proposal commit), never a date from a source."""
    from aireg import imported as imp

    rows = []
    for r in recs:
        if r.get("stage") not in _DEPLOYED or due_mod.approval_date(r) is not None:
            continue
        risk = r.get("risk") if isinstance(r.get("risk"), Mapping) else None
        ents = entries.get(_s(r.get("id"))) or []
        rows.append({
            "id": _s(r.get("id")), "name": _s(r.get("name")), "vendor": r.get("vendor"),
            "department": _s(r.get("department")), "owner": _s(r.get("owner")),
            "stage": _s(r.get("stage")), "imported": "imported" in r,
            "risk": imp.risk_label(risk) or None if risk else None,
            "high_risk": bool(risk and cfg.risk.is_high(risk)),
            "known_since": ents[0][1].isoformat() if ents else None,
        })
    # The riskiest first, then by department: a CAIO brings these to the CTO.
    rows.sort(key=lambda u: (not u["high_risk"], u["department"], u["id"]))
    return rows


def backlog(recs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Imported records that still lack evidence of steps the source reported as done: how
    many, which evidence is missing most, per department, and each tool's gaps."""
    from aireg import imported as imp

    tools = []
    fields: Counter[str] = Counter()
    per_dep: Counter[str] = Counter()
    no_date = 0
    for r in recs:
        no_date += "created" in imp.still_lacking(r)
        lacking = imp.backlog(r)
        if not lacking:
            continue
        fields.update(lacking)
        per_dep[_s(r.get("department"))] += 1
        sec = imp.section(r) or {}
        tools.append({"id": _s(r.get("id")), "department": _s(r.get("department")),
                      "stage": _s(r.get("stage")), "imported": _s(sec.get("date")),
                      "file": _s(sec.get("file")), "lacks": lacking})
    return {
        "imported": sum(1 for r in recs if imp.section(r) is not None),
        "lacking": len(tools),
        "by_evidence": dict(fields.most_common()),
        "by_department": dict(per_dep.most_common()),
        "no_created_date": no_date,
        "tools": sorted(tools, key=lambda t: (t["department"], t["id"])),
    }


def risk_summary(recs: Sequence[Mapping[str, Any]], cfg: Config) -> dict[str, Any]:
    """How many tools carry each risk tier and flag, and the prohibited and high-risk ones."""
    from aireg import imported as imp

    tiers: Counter[str] = Counter()
    flags: Counter[str] = Counter()
    roles: Counter[str] = Counter()
    tools = []
    for r in recs:
        risk = r.get("risk")
        if not isinstance(risk, Mapping):
            tiers["(unclassified)"] += 1
            continue
        tiers[_s(risk.get("tier")) or "(no tier)"] += 1
        for f in risk.get("flags") or []:
            flags[str(f)] += 1
        if risk.get("role"):
            roles[_s(risk.get("role"))] += 1
        if cfg.risk.is_prohibited(risk) or cfg.risk.is_high(risk):
            tools.append({"id": _s(r.get("id")), "name": _s(r.get("name")),
                          "department": _s(r.get("department")), "stage": _s(r.get("stage")),
                          "risk": imp.risk_label(risk),
                          "prohibited": cfg.risk.is_prohibited(risk),
                          "reviewed": due_mod.approval_date(r) is not None})
    order = {t: n for n, t in enumerate(cfg.risk.tiers)}
    return {
        "tiers": dict(sorted(tiers.items(), key=lambda kv: (order.get(kv[0], 99), kv[0]))),
        "flags": dict(flags.most_common()),
        "roles": dict(roles.most_common()),
        "tools": sorted(tools, key=lambda t: (not t["prohibited"], t["reviewed"],
                                              t["department"], t["id"])),
    }


# -- impact ----------------------------------------------------------------------------------


def _num(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def impact(recs: Sequence[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Baseline against current per tool (latest entry per metric), and per department how
    many deployed tools have been measured at all."""
    tools = []
    for r in recs:
        entries = [m for m in (r.get("impact") or []) if isinstance(m, Mapping)] \
            if isinstance(r.get("impact"), list) else []
        latest: dict[str, Mapping[str, Any]] = {}
        for m in entries:
            key = _s(m.get("metric"))
            if key and (key not in latest
                        or _s(m.get("measured")) >= _s(latest[key].get("measured"))):
                latest[key] = m
        if not latest:
            continue
        metrics = []
        for key, m in latest.items():
            base, cur = _num(m.get("baseline")), _num(m.get("current"))
            change = None if base is None or cur is None else round(cur - base, 4)
            pct = (round(100 * (cur - base) / abs(base), 1)
                   if base not in (None, 0.0) and cur is not None else None)
            metrics.append({"metric": key, "unit": _s(m.get("unit")),
                            "baseline": m.get("baseline"), "current": m.get("current"),
                            "measured": _s(m.get("measured")), "change": change,
                            "change_pct": pct})
        tools.append({"id": _s(r.get("id")), "name": _s(r.get("name")),
                      "department": _s(r.get("department")), "stage": _s(r.get("stage")),
                      "metrics": metrics})
    measured = {t["id"]: len(t["metrics"]) for t in tools}
    deps: dict[str, dict[str, Any]] = {}
    for r in recs:
        if r.get("stage") not in _DEPLOYED:
            continue
        dep = deps.setdefault(_s(r.get("department")), {
            "department": _s(r.get("department")), "deployed": 0, "measured": 0,
            "metrics": 0, "unmeasured": []})
        dep["deployed"] += 1
        tid = _s(r.get("id"))
        if measured.get(tid):
            dep["measured"] += 1
            dep["metrics"] += measured[tid]
        else:
            dep["unmeasured"].append(tid)
    return tools, sorted(deps.values(), key=lambda d: d["department"])


# -- overlaps --------------------------------------------------------------------------------


def _member(r: Mapping[str, Any]) -> Member:
    sec = r.get("security") if isinstance(r.get("security"), Mapping) else {}
    assert isinstance(sec, Mapping)
    review = sec.get("review") if isinstance(sec.get("review"), Mapping) else {}
    assert isinstance(review, Mapping)
    decision = review.get("decision")
    return Member(_s(r.get("id")), _s(r.get("name")), _s(r.get("department")),
                  _s(r.get("stage")), _s(r.get("owner")),
                  decision if isinstance(decision, str) else None)


def _join(items: Sequence[str], limit: int = 6) -> str:
    items = list(items)
    if len(items) > limit:
        items = [*items[:limit - 1], f"{len(items) - limit + 1} more"]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _depts(members: Iterable[Member]) -> list[str]:
    return list(dict.fromkeys(m.department for m in members))


def _with_ids(members: Sequence[Member]) -> str:
    """Each department with its tool, or how many it has: "sales (sales-copilot, pilot)"."""
    per: dict[str, list[Member]] = defaultdict(list)
    for m in members:
        per[m.department].append(m)
    return _join([f"{d} ({ms[0].id}, {ms[0].stage})" if len(ms) == 1 else f"{d} ({len(ms)} tools)"
                  for d, ms in per.items()])


_ORDER = {s: n for n, s in enumerate(("active", "impact", "security", "pilot", "users",
                                      "purpose", "rejected", "retired"))}


def _sorted(members: Iterable[Member]) -> tuple[Member, ...]:
    """The most advanced first: the team further along is the one others learn from."""
    return tuple(sorted(members, key=lambda m: (_ORDER.get(m.stage, 99), m.department, m.id)))


def _product_sentence(label: str, members: Sequence[Member], vendor: str = "") -> str:
    """Why teams with one product should talk. Reusing a review is said only for the same
    product from the same vendor (a security claim the CAIO does not make otherwise)."""
    depts = _depts(members)
    who = _join(depts)
    both = "both" if len(depts) == 2 else "all"
    # Only a recorded approval is called one: imported tools can be deployed with no review.
    approved = [m for m in members if m.stage in _DEPLOYED and m.decision == "approved"]
    deployed = [m for m in members if m.stage in _DEPLOYED]
    behind = [m for m in members if m.stage in _EVALUATING]
    refused = [m for m in members if m.stage == Stage.REJECTED.value]
    live = [m for m in members if m.stage != Stage.REJECTED.value]
    if refused and live:
        by_review = all(m.decision == "rejected" for m in refused)
        how = "its security review rejected it for" if by_review else "it was dropped by"
        return (f"{who} should talk: they {both} chose {label}, and {how} "
                f"{_with_ids(refused)}; the others should hear why before they go further.")
    if approved and behind and vendor:
        return (f"{who} should talk: they {both} chose {label} from {vendor}, and "
                f"{_with_ids(approved)} already passed its security review, so "
                f"{_with_ids(behind)} can ask the security reviewers to reuse that review and "
                "its pilot findings for their use.")
    if approved and behind:
        return (f"{who} should talk: they {both} chose {label}, and {_with_ids(approved)} "
                f"already passed a security review of it; {_with_ids(behind)} can learn from "
                "that experience (the vendor is not recorded, so it may not be the same "
                "product).")
    if not live:
        return (f"{who} should talk: {label} was turned down for each of them "
                f"({_with_ids(refused)}), so whoever considers it next can hear why first.")
    if deployed and behind:
        return (f"{who} should talk: they {both} chose {label}, and {_with_ids(deployed)} "
                f"already {'uses' if len(_depts(deployed)) == 1 else 'use'} it, so "
                f"{_with_ids(behind)} can learn from their experience "
                "before going further.")
    if deployed:
        return (f"{who} should talk: they {both} use {label}, so they can share licences, "
                "measurements and what each has learned.")
    return (f"{who} should talk: they are {both} evaluating {label}, so one pilot and one "
            "security review could serve them all.")


def _vendor_sentence(label: str, members: Sequence[Member]) -> str:
    depts = _depts(members)
    products = _join(list(dict.fromkeys(names.product_display_name(m.name) for m in members)),
                     limit=5)
    both = "both" if len(depts) == 2 else "all"
    return (f"{_join(depts)} should talk: they {both} use products from {label} ({products}), "
            "so the vendor's terms, data-protection agreement and security assessment can be "
            "shared.")


def _purpose_sentence(members: Sequence[Member], words: Sequence[str],
                      fields: Sequence[str] = ()) -> str:
    about = f" (they share the words: {', '.join(words)}" if words else ""
    if fields:
        about += ("; and the same " if about else " (the same ") + " and ".join(fields)
    about += ")" if about else ""
    deployed = [m for m in members if m.stage in _DEPLOYED]
    if len(deployed) == len(members):
        why = "so they can compare results"
    elif deployed:
        why = "so the teams still evaluating can learn from those already using theirs"
    else:
        why = "so they can compare approaches before running separate pilots"
    tools = _join([f"{m.name} ({m.id})" for m in members], limit=4)
    verb = "both" if len(members) == 2 else "all"
    return (f"{_join(_depts(members))} should talk: {tools} {verb} describe a similar "
            f"purpose{about}, {why}.")


def overlaps(recs: Sequence[Mapping[str, Any]]) -> list[Overlap]:
    """Tools in different departments with the same product, the same vendor, or a similar
    purpose. Retired tools are left out: nobody runs them any more."""
    live = [r for r in recs if r.get("stage") != Stage.RETIRED.value and r.get("id")]
    found: list[Overlap] = []
    product_key = {_s(r.get("id")): names.normalize_product(_s(r.get("name"))) for r in live}
    by_product: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    by_vendor: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for r in live:
        # A product only when the name is a known product or the record names its vendor:
        # "ChatBot" or "Language Translation" in two agencies are two use cases, not one
        # product; the same name from two different vendors is two products.
        key = product_key[_s(r.get("id"))]
        vkey = names.normalize_product(_vendor(r))
        if key and (names.is_known_product(_s(r.get("name"))) or vkey):
            by_product[(key, vkey)].append(r)
        if vkey:
            by_vendor[vkey].append(r)
    for (_key, vkey), group in by_product.items():
        members = _sorted(_member(r) for r in group)
        if len(_depts(members)) >= 2:
            label = names.product_display_name(_s(group[0].get("name")))
            vendor = _vendor(group[0]) if vkey else ""
            found.append(Overlap("product", label, members,
                                 _product_sentence(label, members, vendor)))
    for group in by_vendor.values():
        members = _sorted(_member(r) for r in group)
        products = {product_key[m.id] for m in members}
        # One product is already a product overlap; a vendor overlap is about the contract.
        if len(_depts(members)) >= 2 and len(products) >= 2:
            label = _vendor(group[0]).strip()
            found.append(Overlap("vendor", label, members, _vendor_sentence(label, members)))
    found.extend(_purpose_overlaps(live, product_key))
    rank = {"product": 0, "vendor": 1, "purpose": 2}
    found.sort(key=lambda o: (rank[o.kind], -len(o.departments), -(o.similarity or 0),
                              o.label.lower()))
    return found


def _vendor(r: Mapping[str, Any]) -> str:
    """The record's vendor, else the maker its product's name states, else ""."""
    return _s(r.get("vendor")) or names.product_vendor(_s(r.get("name"))) or ""


def _purpose_text(r: Mapping[str, Any]) -> str:
    p = r.get("purpose") if isinstance(r.get("purpose"), Mapping) else {}
    assert isinstance(p, Mapping)
    return f"{_s(p.get('problem'))}\n{_s(p.get('goal'))}"


_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'-]*")


def _surface(stems: Iterable[str], text: str) -> dict[str, str]:
    """The word as written for each stem (the first spelling in `text`)."""
    want, out = set(stems), {}
    for w in _WORD.findall(text):
        for stem in names.purpose_tokens(w.lower()):
            if stem in want and stem not in out:
                out[stem] = w.lower()
    return out


def _purpose_overlaps(live: Sequence[Mapping[str, Any]],
                      product_key: Mapping[str, str]) -> list[Overlap]:
    """Tools in different departments whose purposes share enough informative words, in
    clusters: each tool is in at most one group, and a group shows the words all its members
    share. Pairs are taken most similar first; a pair starts a group, and a tool joins a group
    only when it shares at least MIN_SHARED of the group's common words and is similar
    enough to the group's first tool (so a group never drifts from one topic to another)."""
    texts = [_purpose_text(r) for r in live]
    toks = [names.purpose_tokens(t) for t in texts]
    df = Counter(w for t in toks for w in t)
    cap = max(COMMON_MIN, COMMON_SHARE * len(live))
    generic = names.purpose_tokens(GENERIC_WORDS)
    info = [frozenset(w for w in t if df[w] <= cap and w not in generic) for t in toks]
    index: dict[str, list[int]] = defaultdict(list)
    for n, t in enumerate(info):
        for w in t:
            index[w].append(n)
    deps = [_s(r.get("department")) for r in live]
    keys = [product_key[_s(r.get("id"))] for r in live]
    pairs: list[tuple[float, int, int]] = []
    for i, ti in enumerate(info):
        if len(ti) < MIN_SHARED:
            continue
        shared: Counter[int] = Counter()
        for w in ti:
            for j in index[w]:
                if j > i and deps[j] != deps[i]:
                    shared[j] += 1
        for j, k in shared.items():
            if k < MIN_SHARED or (keys[i] and keys[i] == keys[j]):
                continue  # one product in two departments is already a product overlap
            sim = k / len(ti | info[j])
            if sim >= PURPOSE_THRESHOLD:
                pairs.append((sim, i, j))
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    group_of: dict[int, int] = {}
    groups: list[tuple[list[int], set[str], list[float]]] = []  # members, common words, sims
    for sim, i, j in pairs:
        gi, gj = group_of.get(i), group_of.get(j)
        if gi is None and gj is None:
            group_of[i] = group_of[j] = len(groups)
            groups.append(([i, j], set(info[i] & info[j]), [sim]))
            continue
        if gi is not None and gj is not None:
            continue  # each tool is in one group only
        g, new = (gi, j) if gi is not None else (gj, i)
        assert g is not None
        members, common, sims = groups[g]
        lead = members[0]
        lead_sim = len(info[lead] & info[new]) / len(info[lead] | info[new])
        if len(common & info[new]) >= MIN_SHARED and lead_sim >= PURPOSE_THRESHOLD:
            members.append(new)
            common &= info[new]
            sims.append(lead_sim)
            group_of[new] = g
    found = []
    for idx, words, sims in groups:
        tools = _sorted(_member(live[n]) for n in idx)
        if len(_depts(tools)) < 2:
            continue
        top = sorted(words, key=lambda w: (df[w], w))[:6]
        spelled = _surface(top, "\n".join(texts[n] for n in sorted(idx)[:4]))
        shown = tuple(spelled.get(w, w) for w in top)
        vendors = {names.normalize_product(_vendor(live[n])) for n in idx}
        fields = ("vendor",) if len(vendors) == 1 and "" not in vendors else ()
        label = ", ".join(shown)
        found.append(Overlap("purpose", label, tools,
                             _purpose_sentence(tools, shown, fields), min(sims), shown))
    return found
