"""When a tool's next measurement or reassessment is due, from its record and the policy; and
the evidence an imported record still lacks, due `measure_within_days` after its import.

A clock never starts from an implausible date (before policy.earliest_year, or in the
future): such a date is ignored as if absent. An imported record's clocks start, failing a
plausible approval or measurement, from the day it was imported (when the registry learned
of it), never from a date the source gave."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from aireg.config import Policy
from aireg.records import Stage, as_list, as_map, is_valid_date, parse_stage


@dataclass(frozen=True)
class DueItem:
    """One piece of periodic work: measure a tool's impact, or reassess it."""

    tool: str
    owner: str
    department: str
    kind: Literal["measure", "reassess", "evidence"]
    due: date
    since: date  # the date the clock started from
    today: date
    lacks: tuple[str, ...] = ()  # kind "evidence": what the imported record still lacks

    @property
    def overdue(self) -> bool:
        return self.due < self.today

    @property
    def days(self) -> int:
        """Days until due (negative: days overdue)."""
        return (self.due - self.today).days

    @property
    def command(self) -> str:
        if self.kind == "measure":
            return f"aireg measure {self.tool} --metric ... --baseline ... --current ..."
        if self.kind == "evidence":
            return f"aireg edit {self.tool} (add: {', '.join(self.lacks)})"
        return f"aireg reassess {self.tool} --outcome keep|replace|retire"

    def as_dict(self) -> dict[str, Any]:
        return {
            "tool": self.tool, "owner": self.owner, "department": self.department,
            "kind": self.kind, "due": self.due.isoformat(), "since": self.since.isoformat(),
            "overdue": self.overdue, "days": self.days, "lacks": list(self.lacks),
        }


def _d(value: object) -> date | None:
    return date.fromisoformat(value) if is_valid_date(value) else None  # type: ignore[arg-type]


_list, _map = as_list, as_map


def _plausible(d: date | None, policy: Policy, today: date) -> date | None:
    return d if d is not None and d.year >= policy.earliest_year and d <= today else None


def approval_date(record: Mapping[str, Any]) -> date | None:
    review = _map(_map(record.get("security")).get("review"))
    return _d(review.get("date")) if review.get("decision") == "approved" else None


def last_measured(record: Mapping[str, Any]) -> date | None:
    dates = [d for m in _list(record.get("impact")) if (d := _d(_map(m).get("measured")))]
    return max(dates) if dates else None


def imported_on(record: Mapping[str, Any]) -> date | None:
    """The day an imported record was imported (its `imported.date`), else None."""
    return _d(_map(record.get("imported")).get("date")) if "imported" in record else None


def item_for(record: Mapping[str, Any], policy: Policy, today: date) -> DueItem | None:
    """The periodic work this record owes, if any (None for tools not deployed)."""
    stage = parse_stage(record.get("stage"))
    base = dict(tool=str(record.get("id", "")), owner=str(record.get("owner", "")),
                department=str(record.get("department", "")), today=today)

    def ok(d: date | None) -> date | None:
        return _plausible(d, policy, today)

    known = ok(imported_on(record))
    created = known or ok(_d(record.get("created"))) or today
    if stage is Stage.IMPACT and not ok(last_measured(record)):
        since = ok(approval_date(record)) or created
        return DueItem(kind="measure", due=since + timedelta(days=policy.measure_within_days),
                       since=since, **base)  # type: ignore[arg-type]
    if stage is Stage.ACTIVE:
        checks = [d for r in _list(record.get("reassessments"))
                  if (d := ok(_d(_map(r).get("date"))))]
        since = max(checks) if checks else (ok(last_measured(record))
                                            or ok(approval_date(record)) or created)
        return DueItem(kind="reassess", due=since + timedelta(days=policy.reassess_every_days),
                       since=since, **base)  # type: ignore[arg-type]
    return None


def evidence_for(record: Mapping[str, Any], policy: Policy, today: date) -> DueItem | None:
    """The evidence an imported record still lacks, due `measure_within_days` after the day
    it was imported; None for a record made in aireg or one that lacks nothing now."""
    from aireg import imported

    lacking = imported.backlog(record)
    if not lacking:
        return None
    since = _plausible(imported_on(record), policy, today) or today
    return DueItem(tool=str(record.get("id", "")), owner=str(record.get("owner", "")),
                   department=str(record.get("department", "")), kind="evidence",
                   due=since + timedelta(days=policy.measure_within_days), since=since,
                   today=today, lacks=tuple(lacking))


def due_items(
    recs: Iterable[Mapping[str, Any]], policy: Policy, today: date, within: int,
    *, evidence: bool = True,
) -> list[DueItem]:
    """Work overdue or due within `within` days, by owner, then soonest first: measurements,
    reassessments and (unless `evidence` is false) the evidence imported records lack."""
    items: list[DueItem] = []
    for r in recs:
        for item in (item_for(r, policy, today),
                     evidence_for(r, policy, today) if evidence else None):
            if item is not None and item.days <= within:
                items.append(item)
    return sorted(items, key=lambda i: (i.owner, i.due, i.tool))
