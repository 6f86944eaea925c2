"""Read-only views of the registry: the list, one tool's progress, the review queue."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from aireg import due, records
from aireg.records import Stage
from aireg.repo import RecordFile, Registry, today

LIST_FIELDS = ("id", "name", "vendor", "department", "owner", "stage", "created", "due")


def row(record: Mapping[str, Any], policy: Any, day: date) -> dict[str, Any]:
    item = due.item_for(record, policy, day)
    return {
        "id": record.get("id"),
        "name": record.get("name"),
        "vendor": record.get("vendor"),
        "department": record.get("department"),
        "owner": record.get("owner"),
        "stage": record.get("stage"),
        "created": record.get("created"),
        "due": item.due.isoformat() if item else None,
        "due_kind": item.kind if item else None,
        "overdue": bool(item and item.overdue),
        "risk": _risk(record),
    }


@dataclass(frozen=True)
class ToolList:
    """The rows `aireg list` shows, and the files it could not read (named, never hidden)."""

    rows: list[dict[str, Any]]
    unreadable: tuple[str, ...] = ()


def _risk(record: Mapping[str, Any]) -> str | None:
    from aireg.imported import risk_label

    risk = record.get("risk")
    return (risk_label(risk) or None) if isinstance(risk, Mapping) else None


def list_tools(reg: Registry, *, stage: str | None = None, department: str | None = None,
               owner: str | None = None, due_within: int | None = None) -> list[dict[str, Any]]:
    """One row per tool, filtered; `due_within` keeps tools with work due in that many days."""
    return tool_list(reg, stage=stage, department=department, owner=owner,
                     due_within=due_within).rows


def tool_list(reg: Registry, *, stage: str | None = None, department: str | None = None,
              owner: str | None = None, due_within: int | None = None) -> ToolList:
    """`list_tools`, and the record files skipped because they could not be read."""
    from aireg import loader

    policy = reg.config.policy
    day = today()

    def keep(rf: RecordFile) -> dict[str, Any] | str | None:
        if not rf.rel.endswith(".yaml"):
            return None
        if not isinstance(rf.data, dict):
            return rf.rel  # unreadable: reported, not silently left out
        r = rf.data
        if stage and r.get("stage") != stage:
            return None
        if department and r.get("department") != department:
            return None
        if owner and str(r.get("owner", "")).lower() != owner.lower():
            return None
        if due_within is not None:
            item = due.item_for(r, policy, day)
            if item is None or item.days > due_within:
                return None
        return row(r, policy, day)

    # The rows are made where the files are parsed: workers send back rows, not records.
    found = loader.map_files(reg.root, reg.tool_files(), keep)
    return ToolList([r for r in found if isinstance(r, dict)],
                    tuple(r for r in found if isinstance(r, str)))


@dataclass(frozen=True)
class ToolView:
    """`aireg show`: the record, each step's progress, its history, the stale facts."""

    tool: str
    rel: str
    record: dict[str, Any]
    progress: list[StageProgress]
    events: list[Any]
    stale: tuple[str, ...] = ()


@dataclass(frozen=True)
class LogView:
    """`aireg log`: the commits, the days in each stage, and the record (its latest review)."""

    tool: str
    record: dict[str, Any]
    events: list[Any]
    durations: dict[str, int]


def stale_facts(reg: Registry, record: Mapping[str, Any]) -> tuple[str, ...]:
    """The facts changed since a deployed tool's approval (empty when the approval holds)."""
    from aireg import history, workflow

    if not workflow.needs_re_review(record):
        return ()
    sec = record.get("security")
    review = sec.get("review") if isinstance(sec, Mapping) else None
    digest = review.get("digest") if isinstance(review, Mapping) else None
    before = None
    if isinstance(digest, str):
        before = history.record_with_digest(reg.root, reg.rel(str(record.get("id"))), digest)
    if isinstance(before, Mapping):
        return tuple(records.changed_facts(before, record)) or ("the reviewed facts",)
    return ("the reviewed facts",)


@dataclass(frozen=True)
class StageProgress:
    stage: Stage
    status: str  # done | current | todo | skipped
    requirements: tuple[records.Requirement, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage.value,
            "step": self.stage.step,
            "status": self.status,
            "requirements": [
                {"field": r.field, "what": r.what, "met": r.met} for r in self.requirements
            ],
        }


def progress(record: Mapping[str, Any]) -> list[StageProgress]:
    """The checklist of each step: which fields are there and which are still missing."""
    stage = records.parse_stage(record.get("stage"))
    out = []
    for s in records.WORKFLOW:
        if stage is None:
            status = "todo"
        elif stage.is_exit:
            status = "done" if all(r.met for r in records.requirements(record, s)) else "skipped"
        elif s in stage.left:
            # Left but with items missing (an imported record): never ticked as done.
            status = "done" if all(r.met for r in records.requirements(record, s)) else "incomplete"
        elif s is stage:
            status = "current"
        else:
            status = "todo"
        out.append(StageProgress(s, status, tuple(records.requirements(record, s))))
    return out


def review_queue(reg: Registry) -> list[dict[str, Any]]:
    """Tools waiting for the security review, longest wait first; the wait counts from the
    commit that moved the tool into security, as the report and `aireg log` count it."""
    from aireg import report

    day = today()
    recs = [rf.record for rf in reg.iter_records()]
    history = report.read_history(reg)
    entries = {str(r.get("id")): report.stage_entries(r, history.get(str(r.get("id"))), day)
               for r in recs}
    return report.security_queue(recs, entries, day)
