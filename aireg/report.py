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

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from aireg import due as due_mod
from aireg import records, timeline
from aireg.overlaps import COMMON_MIN as COMMON_MIN
from aireg.overlaps import COMMON_SHARE as COMMON_SHARE
from aireg.overlaps import DEPLOYED, EVALUATING
from aireg.overlaps import GENERIC_WORDS as GENERIC_WORDS
from aireg.overlaps import MIN_SHARED as MIN_SHARED
from aireg.overlaps import PURPOSE_THRESHOLD as PURPOSE_THRESHOLD
from aireg.overlaps import Member as Member
from aireg.overlaps import Overlap as Overlap
from aireg.overlaps import overlaps as overlaps
from aireg.records import STAGE_NAMES, WORKFLOW, Stage, is_valid_date

if TYPE_CHECKING:
    from aireg.config import Config
    from aireg.repo import Registry

REPORT_SCHEMA = "aireg/report/v1"
DUE_WITHIN_DAYS = 30



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
            elif stage in EVALUATING | DEPLOYED:
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
        if r.get("stage") not in DEPLOYED or due_mod.approval_date(r) is not None:
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
        if r.get("stage") not in DEPLOYED:
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
