"""The result of planning an import: records to create, rows merged or skipped, date counts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ImportedRecord:
    """A record to create: its id, its fields in SPEC key order, and the first CSV row behind it."""

    id: str
    data: dict[str, Any]
    source_row: int


@dataclass(frozen=True)
class Skipped:
    """A data row (or one product of it) not imported; `reason` is one sentence with the fix,
    `kind` the reason in one word (blank, width, repeat, name, department, stage, exists)."""

    row: int
    reason: str
    kind: str = "other"


@dataclass(frozen=True)
class Merged:
    """A data row (or one product of it) folded into the record `into`."""

    row: int
    into: str
    reason: str


@dataclass
class DateStats:
    """One mapped date field over the imported rows: how many values were kept, and which were
    missing, unparseable or implausible. Those are left out of the record, never replaced by
    another date (the verbatim text stays in `source`)."""

    name: str  # created, retired.date, pilot.start, pilot.end
    column: str
    kept: int = 0
    missing: list[int] = field(default_factory=list)  # rows
    unparseable: list[tuple[int, str]] = field(default_factory=list)  # (row, text)
    implausible: list[tuple[int, str, str]] = field(default_factory=list)  # (row, text, why)

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.name, "column": self.column, "kept": self.kept,
            "missing": len(self.missing), "unparseable": len(self.unparseable),
            "implausible": len(self.implausible), "defaulted": 0, "action": "left out",
            "unparseable_examples": [{"row": r, "value": v} for r, v in self.unparseable[:5]],
            "implausible_examples": [{"row": r, "value": v, "why": w}
                                     for r, v, w in self.implausible[:5]],
        }


@dataclass(frozen=True)
class ImportPlan:
    """What an import would do, row by row; the caller writes and commits it.

    `rows_read` counts every data row, blank ones included; `filtered` lists the rows the
    map's filter left out; `extra_entries` counts the entries beyond one per row that split
    cells produced. Then ``len(records) + len(merged) + len(skipped) + len(filtered) ==
    rows_read + extra_entries``. `new_departments` are departments the records use that
    aireg.yaml lacks (only with ``departments: create``).
    """

    records: tuple[ImportedRecord, ...]
    merged: tuple[Merged, ...]
    skipped: tuple[Skipped, ...]
    rows_read: int
    filtered: tuple[int, ...] = ()
    extra_entries: int = 0
    new_departments: tuple[str, ...] = ()
    dates: tuple[DateStats, ...] = ()

    def skipped_by_reason(self) -> dict[str, int]:
        """How many entries were skipped for each kind of reason."""
        return dict(Counter(s.kind for s in self.skipped).most_common())

    def counts(self) -> dict[str, int]:
        """The closing numbers, in the order a summary line reads them."""
        return {
            "rows_read": self.rows_read,
            "filtered": len(self.filtered),
            "extra_entries": self.extra_entries,
            "records": len(self.records),
            "merged": len(self.merged),
            "skipped": len(self.skipped),
        }
