"""What the published catalog shows, as plain data: pure, no I/O (rendering is render/site_html).

`build()` takes the registry as committed (aireg.committed), each tool's aireg commits, and the
CAIO report's data for the same records (its overlaps are shown as the report found them, not
found again), and returns the index rows, the filters' choices, each tool's page, each
department's tools and the "can I use it?" list. Every value is the user's text as written;
escaping is the renderer's job.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from aireg import records
from aireg.records import STAGE_NAMES, Stage

_map, _s, _strs = records.as_map, records.as_text, records.as_texts

DEPLOYED = frozenset({Stage.IMPACT.value, Stage.ACTIVE.value})


@dataclass(frozen=True)
class Approval:
    """A deployed tool's security approval: current, or out of date since its facts changed."""

    decision: str | None
    by: str
    date: str
    conditions: tuple[str, ...]
    note: str
    data: tuple[str, ...]  # the data classes the reviewer approved it for
    current: bool  # the review's digest still matches the record's facts


@dataclass(frozen=True)
class Tool:
    """One tool as the catalog shows it."""

    id: str
    name: str
    vendor: str
    url: str
    department: str
    owner: str
    stage: str
    created: str
    risk: str  # "" when the record has no risk field
    data: tuple[str, ...]  # security.data
    record: Mapping[str, Any]  # the whole committed record, for the tool's page
    review: Approval | None
    steps: tuple[Mapping[str, Any], ...]  # the tool's aireg commits, oldest first
    overlaps: tuple[int, ...]  # indexes into Catalog.overlaps
    page: str  # its page, relative to the site's root
    department_page: str

    @property
    def usable(self) -> bool:
        """Deployed with a current approval: people may use it, for its approved data."""
        return (self.stage in DEPLOYED and self.review is not None
                and self.review.decision == "approved" and self.review.current)

    @property
    def search_text(self) -> str:
        purpose = _map(self.record.get("purpose"))
        parts = [self.id, self.name, self.vendor, self.department, self.owner, self.stage,
                 self.risk, " ".join(self.data), _s(purpose.get("problem")),
                 _s(purpose.get("goal"))]
        return " ".join(" ".join(parts).lower().split())


@dataclass(frozen=True)
class Department:
    name: str
    page: str
    members: tuple[str, ...]
    tools: tuple[str, ...]  # ids
    configured: bool  # named in aireg.yaml (else only records name it)


@dataclass(frozen=True)
class Catalog:
    """Everything the site shows."""

    organization: str
    generated: date
    head: str | None
    tools: tuple[Tool, ...]  # sorted by id
    departments: tuple[Department, ...]
    stages: tuple[str, ...]  # the filters' choices, in workflow order
    data_classes: tuple[str, ...]
    risks: tuple[str, ...]
    overlaps: tuple[Mapping[str, Any], ...]  # the report's overlaps, as its JSON has them
    unreadable: tuple[str, ...]
    by_id: Mapping[str, Tool] = field(default_factory=dict)

    @property
    def usable(self) -> tuple[Tool, ...]:
        return tuple(t for t in self.tools if t.usable)

    @property
    def stale(self) -> tuple[Tool, ...]:
        """Deployed tools whose approval no longer matches their facts: back in review."""
        return tuple(t for t in self.tools if t.stage in DEPLOYED and not t.usable)

    def tool(self, tool_id: str) -> Tool | None:
        return self.by_id.get(tool_id)


def risk_of(record: Mapping[str, Any]) -> str:
    """The record's risk, when it has one: a level as text, or a mapping's level."""
    risk = record.get("risk")
    if isinstance(risk, Mapping):
        risk = risk.get("level", risk.get("tier", risk.get("class")))
    return "" if risk is None or isinstance(risk, Mapping | list) else str(risk)


def file_name(name: str) -> str:
    """A safe file name for an id or department: the slug itself, else a stable hash."""
    if records.ID_RE.match(name) and len(name) <= records.ID_MAX:
        return name
    return "x-" + hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:16]


def _approval(rec: Mapping[str, Any]) -> Approval | None:
    sec = _map(rec.get("security"))
    review = _map(sec.get("review"))
    if not review:
        return None
    decision = review.get("decision")
    return Approval(
        decision=decision if isinstance(decision, str) else None,
        by=_s(review.get("by")), date=_s(review.get("date")),
        conditions=_strs(review.get("conditions")), note=_s(review.get("note")),
        data=_strs(sec.get("data")),
        current=review.get("digest") == records.digest(rec),
    )


def build(recs: Sequence[Mapping[str, Any]], *, organization: str,
          departments: Mapping[str, Sequence[str]], data_classes: Sequence[str],
          generated: date, head: str | None, steps: Mapping[str, Sequence[Mapping[str, Any]]],
          overlaps: Sequence[Mapping[str, Any]], unreadable: Sequence[str] = ()) -> Catalog:
    """The catalog of these records (pure). `overlaps` are the report's (`as_dict()` form);
    `steps` maps a tool id to its commits (`timeline.Step.as_dict()` form)."""
    in_overlap: dict[str, list[int]] = {}
    for n, o in enumerate(overlaps):
        for m in o.get("tools", ()):
            in_overlap.setdefault(_s(m.get("id")), []).append(n)
    tools = []
    for r in sorted(recs, key=lambda r: _s(r.get("id"))):
        tid = _s(r.get("id"))
        dep = _s(r.get("department"))
        sec = _map(r.get("security"))
        tools.append(Tool(
            id=tid, name=_s(r.get("name")) or tid, vendor=_s(r.get("vendor")),
            url=_s(r.get("url")), department=dep, owner=_s(r.get("owner")),
            stage=_s(r.get("stage")), created=_s(r.get("created")), risk=risk_of(r),
            data=_strs(sec.get("data")), record=r, review=_approval(r),
            steps=tuple(steps.get(tid, ())), overlaps=tuple(in_overlap.get(tid, ())),
            page=f"tools/{file_name(tid)}.html",
            department_page=f"departments/{file_name(dep)}.html",
        ))
    by_dep: dict[str, list[str]] = {d: [] for d in departments}
    for t in tools:
        by_dep.setdefault(t.department, []).append(t.id)
    deps = tuple(
        Department(d, f"departments/{file_name(d)}.html", tuple(departments.get(d, ())),
                   tuple(ids), d in departments)
        for d, ids in by_dep.items())
    seen_stages = {t.stage for t in tools}
    stages = tuple(s for s in STAGE_NAMES if s in seen_stages) + tuple(
        sorted(seen_stages - set(STAGE_NAMES)))
    seen_data = {d for t in tools for d in t.data}
    classes = tuple(d for d in data_classes if d in seen_data) + tuple(
        sorted(seen_data - set(data_classes)))
    risks = tuple(sorted({t.risk for t in tools if t.risk}))
    return Catalog(organization, generated, head, tuple(tools), deps, stages, classes, risks,
                   tuple(overlaps), tuple(unreadable), {t.id: t for t in tools})
