"""Imported records: what an `aireg import` wrote, which evidence they still lack, and the rules.

An imported record carries ``imported:``, its provenance::

    imported:
      date: 2026-12-01        # the day of the import (a fact of the registry, not of the tool)
      file: inventory.csv     # the file and data row it came from
      row: 87
      rows: [87, 93]          # only when rows merged
      stage: impact           # the stage the source reported, the stage it was imported in
      lacks: [purpose.success_criteria, purpose.defined_with, users, pilot, security.review]

``lacks`` is the evidence the source did not give for the steps it reported as done: the
fields of the stages left before ``stage``, the security review of a deployed tool, a date the
source did not give (``created``, ``retired.date``). The record rules accept exactly those
gaps, and no other: every step taken in aireg after the import is checked in full, and the
history rules let ``imported`` be written only by an admin's `aireg import` commit and
afterwards only shrink (an entry removed once the evidence is there, or the whole section).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aireg import records
from aireg.records import Stage

__all__ = ["backlog", "covers", "history_problem", "lacks_for", "still_lacking"]

# Fields the import may leave out, beyond the requirements of the stages left.
DATE_GAPS = ("created", "retired.date", "rejected.date")
REVIEW = "security.review"


_map = records.as_map


def section(record: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The record's ``imported`` section, or None for a record made in aireg."""
    got = record.get("imported")
    return got if isinstance(got, Mapping) else None


def covers(lacks: Sequence[object], field: str) -> bool:
    """Whether ``lacks`` names `field` or a section holding it (``pilot`` covers pilot.end)."""
    return any(isinstance(x, str) and (field == x or field.startswith(x + ".")) for x in lacks)


def allowed_gaps(stage: Stage) -> list[str]:
    """Every field an import in `stage` may list in ``lacks``."""
    out: list[str] = []
    for left in stage.left:
        if left is Stage.SECURITY:
            continue
        out += [r.field for r in records.requirements({}, left)]
    if stage in (Stage.IMPACT, Stage.ACTIVE):
        out.append(REVIEW)
    return [*out, *DATE_GAPS]


def _allowed(stage: Stage, entry: str) -> bool:
    gaps = allowed_gaps(stage)
    return entry in gaps or any(g.startswith(entry + ".") for g in gaps)


def lacks_for(record: Mapping[str, Any], stage: Stage) -> list[str]:
    """What an imported record in `stage` lacks, as it stands: a whole section when none of it
    is there (``users``, ``pilot``), else its missing fields."""
    missing: list[str] = []
    for left in stage.left:
        if left is Stage.SECURITY:
            continue
        missing += [r.field for r in records.missing(record, left)]
    by_section: dict[str, list[str]] = {}
    for f in missing:
        by_section.setdefault(f.split(".")[0], []).append(f)
    out: list[str] = []
    for sec, fields in by_section.items():
        if sec not in record and sec != "security":
            out.append(sec)
        else:
            out += fields
    if stage in (Stage.IMPACT, Stage.ACTIVE):
        review = _map(_map(record.get("security")).get("review"))
        if review.get("decision") != "approved":
            out.append(REVIEW)
    if "created" not in record:
        out.append("created")
    if stage is Stage.RETIRED and "date" not in _map(record.get("retired")):
        out.append("retired.date")
    if stage is Stage.REJECTED and "date" not in _map(record.get("rejected")):
        out.append("rejected.date")
    return out


def still_lacking(record: Mapping[str, Any]) -> list[str]:
    """The entries of ``imported.lacks`` whose evidence is still missing (the backlog)."""
    imp = section(record)
    if imp is None:
        return []
    stage = records.parse_stage(imp.get("stage"))
    listed = [x for x in imp.get("lacks") or [] if isinstance(x, str)]
    if stage is None:
        return listed
    now = lacks_for(record, stage)
    return [x for x in listed if any(covers([x], n) or covers([n], x) for n in now)]


def risk_label(risk: Mapping[str, Any]) -> str:
    """A record's risk in a few words: "high; rights-impacting; deployer"."""
    flags = risk.get("flags") if isinstance(risk.get("flags"), list) else []
    parts = [str(risk["tier"])] if risk.get("tier") else []
    parts += [str(f) for f in flags or []]
    if risk.get("role"):
        parts.append(f"as {risk['role']}")
    return "; ".join(parts)


def backlog(record: Mapping[str, Any]) -> list[str]:
    """What the owner should still fill in (the report's backlog, `aireg due`): `still_lacking`
    without ``created``, a date nobody can now supply."""
    return [x for x in still_lacking(record) if x != "created"]


def check(record: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Problems with an ``imported`` section itself: (field, message)."""
    imp = section(record)
    if imp is None:
        return []
    out: list[tuple[str, str]] = []
    stage = records.parse_stage(imp.get("stage"))
    current = records.parse_stage(record.get("stage"))
    if stage is None:
        return out  # the schema names the bad value
    if current is not None and not current.is_exit and not stage.is_exit and (
            (current.step or 0) < (stage.step or 0)):
        out.append(("imported.stage", f"imported.stage is {stage}, later than the record's "
                    f"stage {current}; the import wrote the stage the source reported: "
                    f"restore imported.stage or remove the imported section."))
    for i, entry in enumerate(imp.get("lacks") or []):
        if isinstance(entry, str) and not _allowed(stage, entry):
            out.append((f"imported.lacks[{i}]", f"imported.lacks names {entry!r}, which is not "
                        f"evidence of a step done before the import (in {stage}); only the "
                        "steps the source reported as done may lack evidence: remove it."))
    return out


def history_problem(before: Mapping[str, Any] | None, after: Mapping[str, Any],
                    importing: bool) -> str | None:
    """Why a commit may not write this ``imported`` section, or None.

    Only an admin's `aireg import` commit creates a record with ``imported``; later commits
    may remove entries from ``lacks`` or the whole section, and change nothing else in it."""
    new = section(after)
    if new is None:
        return None
    if before is None:
        if importing:
            return None
        return ("an imported section, which only an `aireg import` commit by an admin may "
                "write; remove it and create the tool with `aireg propose`.")
    old = section(before)
    if old is None:
        return ("the imported section was added to an existing record, which would excuse "
                "missing evidence; only `aireg import` writes it: remove it.")
    rest_old = {k: v for k, v in old.items() if k != "lacks"}
    rest_new = {k: v for k, v in new.items() if k != "lacks"}
    if rest_old != rest_new:
        return ("the imported section was changed; it records where the tool came from and "
                "only its lacks list may shrink: restore it.")
    old_lacks = [x for x in old.get("lacks") or []]
    added = [x for x in new.get("lacks") or [] if x not in old_lacks]
    if added:
        return (f"imported.lacks gained {', '.join(map(str, added))}; the list only shrinks as "
                "evidence is filled in: remove the added entries.")
    return None
