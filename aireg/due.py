"""When a tool's next measurement or reassessment is due, from its record and the policy."""

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
    kind: Literal["measure", "reassess"]
    due: date
    since: date  # the date the clock started from
    today: date

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
        return f"aireg reassess {self.tool} --outcome keep|replace|retire"

    def as_dict(self) -> dict[str, Any]:
        return {
            "tool": self.tool, "owner": self.owner, "department": self.department,
            "kind": self.kind, "due": self.due.isoformat(), "since": self.since.isoformat(),
            "overdue": self.overdue, "days": self.days,
        }


def _d(value: object) -> date | None:
    return date.fromisoformat(value) if is_valid_date(value) else None  # type: ignore[arg-type]


_list, _map = as_list, as_map


def approval_date(record: Mapping[str, Any]) -> date | None:
    review = _map(_map(record.get("security")).get("review"))
    return _d(review.get("date")) if review.get("decision") == "approved" else None


def last_measured(record: Mapping[str, Any]) -> date | None:
    dates = [d for m in _list(record.get("impact")) if (d := _d(_map(m).get("measured")))]
    return max(dates) if dates else None


def item_for(record: Mapping[str, Any], policy: Policy, today: date) -> DueItem | None:
    """The periodic work this record owes, if any (None for tools not deployed)."""
    stage = parse_stage(record.get("stage"))
    base = dict(tool=str(record.get("id", "")), owner=str(record.get("owner", "")),
                department=str(record.get("department", "")), today=today)
    created = _d(record.get("created")) or today
    if stage is Stage.IMPACT and not last_measured(record):
        since = approval_date(record) or created
        return DueItem(kind="measure", due=since + timedelta(days=policy.measure_within_days),
                       since=since, **base)  # type: ignore[arg-type]
    if stage is Stage.ACTIVE:
        checks = [d for r in _list(record.get("reassessments")) if (d := _d(_map(r).get("date")))]
        since = max(checks) if checks else (last_measured(record) or approval_date(record)
                                            or created)
        return DueItem(kind="reassess", due=since + timedelta(days=policy.reassess_every_days),
                       since=since, **base)  # type: ignore[arg-type]
    return None


def due_items(
    recs: Iterable[Mapping[str, Any]], policy: Policy, today: date, within: int
) -> list[DueItem]:
    """Work overdue or due within `within` days, by owner, then soonest first."""
    items = [i for r in recs if (i := item_for(r, policy, today)) and i.days <= within]
    return sorted(items, key=lambda i: (i.owner, i.due, i.tool))
