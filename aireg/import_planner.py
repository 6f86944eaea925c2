"""Planning an import row by row: entries, merging, ids and the records they become."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from aireg import imported
from aireg.import_map import _Field, _Map, _ref_label
from aireg.import_plan import DateStats, ImportedRecord, ImportPlan, Merged, Skipped
from aireg.import_table import _Row, _Table
from aireg.import_values import _WS, _digest, _iso, _product_key, _split
from aireg.names import product_display_name, product_vendor, slugify
from aireg.records import Stage, ordered

SCHEMA = "aireg/v1"

_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_URL = re.compile(r"^https?://\S+$")


@dataclass(frozen=True)
class _Entry:
    row: _Row
    name: str  # as the source spelled it (one product of a split cell)
    department: str
    stage: str


class _Skip(Exception):
    """Internal: this row or entry is not imported, for the reason given."""

    def __init__(self, reason: str, kind: str) -> None:
        super().__init__(reason)
        self.kind = kind



class _Planner:
    def __init__(
        self,
        m: _Map,
        table: _Table,
        csv_name: str,
        existing: set[str],
        departments: set[str],
        owner: str,
        today: str,
        earliest_year: int = 1980,
    ) -> None:
        self.m = m
        self.earliest_year = earliest_year
        self.date_stats: dict[str, DateStats] = {}
        self.table = table
        self.csv_name = csv_name
        self.existing = existing
        self.departments = departments
        self.owner = owner
        self.today = today
        self.new_departments: dict[str, None] = {}

    # -- per row

    def department(self, row: _Row) -> str:
        f, m = self.m.department, self.m
        if f.column is None:
            dept = str(f.value)
            raw = dept
        else:
            raw = f.raw(row)
            if not raw:
                raise _Skip(
                    f"its department {_ref_label(f.column or '')} is blank; fill it in the CSV "
                    f"or set department.value in {m.file}.", "department")
            mapped = (f.values or {}).get(raw.casefold())
            if mapped is None and not m.create_departments:
                raise _Skip(
                    f"department value {raw!r} in {_ref_label(f.column or '')} is not in "
                    f"department.values of {m.file}; add it there (e.g. {raw!r}: "
                    f"{slugify(raw)}) or set `departments: create`.", "department")
            dept = str(mapped) if mapped is not None else slugify(raw)
        if dept not in self.departments:
            if not m.create_departments:
                raise _Skip(
                    f"department {dept!r} (from {raw!r}) is not in aireg.yaml; add it under "
                    f"departments there, or set `departments: create` in {m.file}.", "department")
            self.new_departments[dept] = None
        return dept

    def stage(self, row: _Row) -> str:
        f, m = self.m.stage, self.m
        if f.column is None:
            return str(f.value)
        raw = f.raw(row)
        mapped = (f.values or {}).get(raw.casefold()) if raw else None
        if mapped is not None:
            return str(mapped)
        if m.unmapped_stage:
            return m.unmapped_stage
        if not raw:
            raise _Skip(
                f"its stage {_ref_label(f.column or '')} is blank and a stage is never "
                f"guessed; fill it in the CSV, or set `unmapped_stage: purpose` in {m.file} "
                "to import such rows "
                "in purpose.", "stage")
        raise _Skip(
            f"stage {raw!r} in {_ref_label(f.column or '')} is not in stage.values of "
            f"{m.file}; add it there (e.g. {raw!r}: pilot), or set `unmapped_stage: purpose` "
            "to import such rows "
            "in purpose.", "stage")

    def names(self, row: _Row) -> list[str]:
        f = self.m.name
        raw = f.raw(row)
        if self.m.split:
            pieces = [p for p in _split(raw, self.m.split) if p.casefold() not in f.ignore]
        else:
            pieces = [_WS.sub(" ", raw)] if raw else []
        # A cell naming the same product twice names it once.
        seen: dict[str, str] = {}
        for piece in pieces:
            seen.setdefault(_product_key(piece), piece)
        unique = list(seen.values())
        if not unique:
            cell = row.values[f.column or ""]
            if not cell:
                why = f"its name {_ref_label(f.column or '')} is blank, and a record needs a name"
                fix = "fill it in the CSV"
            else:
                why = f"its name {_ref_label(f.column or '')} says {cell!r}, which names no product"
                fix = "name the product in the CSV (the map lists such values under name.ignore)"
            raise _Skip(f"{why}; {fix}.", "name")
        return unique

    def entries(self) -> tuple[list[_Entry], list[Skipped], list[int], int]:
        entries: list[_Entry] = []
        skipped = [Skipped(n, "the row is blank.", "blank") for n in self.table.blank]
        filtered: list[int] = []
        extra = 0
        seen_content: dict[tuple[str, ...], int] = {}
        width = len(self.table.header)
        for row in self.table.rows:
            if row.extra:
                skipped.append(
                    Skipped(
                        row.number,
                        (
                            f"the row has {width + row.extra} or more filled cells but the header "
                            f"names {width} columns; fix its quoting in the CSV."
                        ),
                        "width",
                    )
                )
                continue
            if not all(f.passes(row) for f in self.m.filters):
                filtered.append(row.number)
                continue
            if not self.m.merge_by:
                first = seen_content.setdefault(row.cells, row.number)
                if first != row.number:
                    why = f"the row repeats row {first} exactly, so it is imported once."
                    skipped.append(Skipped(row.number, why, "repeat"))
                    continue
            try:
                names = self.names(row)
                dept = self.department(row)
                stage = self.stage(row)
            except _Skip as skip:
                skipped.append(Skipped(row.number, str(skip), skip.kind))
                continue
            extra += len(names) - 1
            entries.extend(_Entry(row, n, dept, stage) for n in names)
        return entries, skipped, filtered, extra

    # -- grouping and ids

    def group_key(self, e: _Entry, index: int) -> tuple[str, ...]:
        if not self.m.merge_by:
            return ("row", str(e.row.number), str(index))
        parts: list[str] = []
        for item in self.m.merge_by:
            if item == "department":
                parts.append(e.department)
            elif item == "name":
                parts.append(_product_key(e.name))
            else:
                parts.append(self.vendor([e]) or "")
        return tuple(parts)

    def display(self, e: _Entry) -> str:
        if self.m.split or "name" in self.m.merge_by:
            return product_display_name(e.name)
        return e.name

    def prefix(self, e: _Entry) -> str | None:
        p = self.m.id_prefix
        if p is None:
            return None
        if p == "department":
            return e.department
        value = e.row.values[p]
        return slugify(value) if value else None

    def candidates(self, key: tuple[str, ...], e: _Entry) -> list[str]:
        prefix = self.prefix(e)

        def stem(text: str, room: int = 0) -> str:
            slug = slugify(text)
            if prefix and slug != prefix and not slug.startswith(prefix + "-"):
                slug = f"{prefix}-{slug}"
            return slugify(slug, 64 - room)

        def hashed(text: str, h: str) -> str:
            return f"{stem(text, len(h) + 1)}-{h}"

        cells = [*e.row.cells, e.name]
        if self.m.merge_by:  # the merge key, not the head row: ids must not follow row order
            identity = list(key)
        elif self.m.hash_columns:
            identity = [*(e.row.values[c] for c in self.m.hash_columns), e.name]
        else:
            identity = cells
        full = [*cells, *key]
        source_id = self.m.id_column.raw(e.row) if self.m.id_column else ""
        if source_id and slugify(source_id) != "tool":
            return [
                stem(source_id),
                hashed(source_id, _digest(identity)),
                hashed(source_id, _digest(full)),
                hashed(source_id, _digest(full, 10)),
            ]
        name = self.display(e)
        if self.m.merge_by:
            return [stem(name), hashed(name, _digest(identity)), hashed(name, _digest(full, 10))]
        return [
            hashed(name, _digest(identity)),
            hashed(name, _digest(full)),
            hashed(name, _digest(full, 10)),
        ]

    def assign_ids(self, groups: list[list[_Entry]], keys: list[tuple[str, ...]]) -> list[str]:
        cands = [self.candidates(k, g[0]) for k, g in zip(keys, groups, strict=True)]
        at = [0] * len(cands)
        # Every group that clashes moves on to its next candidate, all of them: no group wins
        # by being first in the file, so an id never depends on row order.
        while True:
            by_id: dict[str, list[int]] = defaultdict(list)
            for i, c in enumerate(cands):
                by_id[c[at[i]]].append(i)
            clashes = [ix for ix in by_id.values() if len(ix) > 1]
            moved = False
            for ix in clashes:
                for i in ix:
                    if at[i] + 1 < len(cands[i]):
                        at[i] += 1
                        moved = True
            if not moved:
                break
        return [c[at[i]] for i, c in enumerate(cands)]

    # -- records

    def vendor(self, entries: list[_Entry]) -> str | None:
        if self.m.vendor is not None:
            for e in entries:
                text = _WS.sub(" ", self.m.vendor.raw(e.row))
                if text:
                    return text
        if self.m.vendor_from_name:
            return product_vendor(entries[0].name)
        return None

    def first(self, f: _Field | None, entries: list[_Entry]) -> str:
        if f is None:
            return ""
        return next((v for v in (f.raw(e.row) for e in entries) if v), "")

    def joined(self, f: _Field | None, entries: list[_Entry]) -> str:
        if f is None:
            return ""
        texts = dict.fromkeys(v for v in (f.raw(e.row) for e in entries) if v)
        return "\n".join(texts)

    def record(self, rid: str, entries: list[_Entry]) -> dict[str, Any]:
        m, head = self.m, entries[0]
        data: dict[str, Any] = {"schema": SCHEMA, "id": rid, "name": self.display(head)}
        vendor = self.vendor(entries)
        if vendor:
            data["vendor"] = vendor
        url = next((u for u in (self.first(m.url, [e]) for e in entries) if _URL.match(u)), "")
        if url:
            data["url"] = url
        data["department"] = head.department
        owner = ""
        if m.owner is not None:
            owner = next(
                (
                    h.group(0).lower()
                    for h in (_EMAIL.search(m.owner.raw(e.row)) for e in entries)
                    if h
                ),
                "",
            )
        data["owner"] = owner or self.owner
        data["stage"] = head.stage
        dates = self.dates(head)
        if "created" in dates:
            data["created"] = dates["created"]
        purpose = {
            k: v
            for k, v in (
                ("problem", self.joined(m.problem, entries)),
                ("goal", self.joined(m.goal, entries)),
            )
            if v
        }
        if purpose:
            data["purpose"] = purpose
        if m.data is not None:
            classes: dict[str, None] = {}
            for e in entries:
                got = (m.data.values or {}).get(m.data.raw(e.row).casefold())
                for c in got if isinstance(got, list) else [got] if got else []:
                    classes[str(c)] = None
            if classes:
                data["security"] = {"data": list(classes)}
        pilot = {k: dates[f"pilot.{k}"] for k in ("start", "end") if f"pilot.{k}" in dates}
        if pilot:
            data["pilot"] = pilot
        risk = self.risk(entries)
        if risk:
            data["risk"] = risk
        where = f"{self.csv_name}, row {head.row.number}"
        if head.stage == "retired":
            data["retired"] = {
                **({"date": dates["retired.date"]} if "retired.date" in dates else {}),
                "reason": f"retired in the source inventory ({where})",
            }
        if head.stage == "rejected":
            data["rejected"] = {"reason": f"rejected in the source inventory ({where})"}
        data["source"] = self.source(entries)
        rows = list(dict.fromkeys(e.row.number for e in entries))
        provenance: dict[str, Any] = {"date": self.today, "file": self.csv_name, "row": rows[0]}
        if len(rows) > 1:
            provenance["rows"] = rows
        provenance["stage"] = head.stage
        provenance["lacks"] = imported.lacks_for(data, Stage(head.stage))
        data["imported"] = provenance
        return ordered(data)

    def risk(self, entries: list[_Entry]) -> dict[str, Any]:
        """The risk classification the map states: tier, flags and role; nothing else."""
        m, out = self.m, dict[str, Any]()

        def mapped(f: _Field, e: _Entry) -> Any:
            if f.column is None:
                return f.value
            raw = f.raw(e.row)
            return (f.values or {}).get(raw.casefold()) if raw else None

        for key, f in (("tier", m.risk_tier), ("role", m.risk_role)):
            if f is not None:
                got = next((v for v in (mapped(f, e) for e in entries) if v), None)
                if isinstance(got, str):
                    out[key] = got
        flags: dict[str, None] = {}
        for f in m.risk_flags:
            for e in entries:
                got = mapped(f, e)
                for flag in got if isinstance(got, list) else [got] if got else []:
                    flags[str(flag)] = None
        if flags:
            out["flags"] = list(flags)
        return out

    def dates(self, head: _Entry) -> dict[str, str]:
        """The row's mapped dates that are real and plausible; every other value is counted
        in `self.date_stats` (missing, unparseable, implausible) and left out, never guessed."""
        m, row = self.m, head.row
        got: dict[str, str] = {}
        for name, f in (("created", m.created), ("retired.date", m.retired_date),
                        ("pilot.start", m.pilot_start), ("pilot.end", m.pilot_end)):
            if f is None or (name == "retired.date" and head.stage != "retired"):
                continue
            stats = self.date_stats.setdefault(name, DateStats(name, _ref_label(f.column or "",
                                                                             short=True)))
            raw = f.raw(row)
            if not raw:
                stats.missing.append(row.number)
                continue
            iso = _iso(raw)
            if iso is None:
                stats.unparseable.append((row.number, raw))
                continue
            why = self.implausible(iso, name)
            if why:
                stats.implausible.append((row.number, raw, why))
                continue
            got[name] = iso
            stats.kept += 1
        for late, early, why in (
            ("retired.date", "created", "retired before it was created"),
            ("pilot.end", "pilot.start", "the pilot ends before it starts"),
        ):
            if late in got and early in got and got[late] < got[early]:
                for name in (late, early):
                    self.date_stats[name].kept -= 1
                    self.date_stats[name].implausible.append(
                        (row.number, got.pop(name), why))
        return got

    def implausible(self, iso: str, name: str) -> str | None:
        if int(iso[:4]) < self.earliest_year:
            return f"before {self.earliest_year} (policy.earliest_year)"
        if iso > self.today and not name.startswith("pilot."):
            return "in the future"
        return None

    def source(self, entries: list[_Entry]) -> dict[str, Any]:
        """The source's own values, flat (the schema's `source` is column -> scalar): a merged
        record joins a column's distinct values with newlines (its rows are in `imported`)."""
        pairs = self.m.source or tuple((h, h) for h in self.table.header)
        rows = list(dict.fromkeys(e.row.number for e in entries))
        if len(rows) == 1:  # the common case, without merging
            values = entries[0].row.values
            return {key: v for key, col in pairs if (v := values[col])}
        out: dict[str, Any] = {}
        by_number = {e.row.number: e.row for e in entries}
        for key, col in pairs:
            texts = dict.fromkeys(by_number[n].values[col] for n in rows)
            texts.pop("", None)
            if texts:
                out[key] = "\n".join(texts)
        return out

    def merged_reason(self, e: _Entry, head: _Entry) -> str:
        parts = []
        for item in self.m.merge_by:
            if item == "department":
                parts.append(f"department {e.department!r}")
            elif item == "name":
                parts.append(f"product {self.display(head)!r}")
            else:
                parts.append(f"vendor {self.vendor([head])!r}")
        spelled = f" (spelled {e.name!r} here)" if e.name != head.name else ""
        stage = (
            f"; its stage {e.stage!r} differs from the record's {head.stage!r}, which is kept"
            if e.stage != head.stage
            else ""
        )
        return f"same {' and '.join(parts)} as row {head.row.number}{spelled}{stage}."

    def exists_reason(self, rid: str) -> str:
        col = self.m.id_column.column if self.m.id_column else None
        fix = f" or give it another id in {_ref_label(col)}" if col else ""
        return (
            f"tools/{rid}.yaml already exists, so the row is not imported again (an import "
            f"never overwrites a record); remove the row from the CSV{fix}."
        )

    def plan(self) -> ImportPlan:
        entries, skipped, filtered, extra = self.entries()
        groups: dict[tuple[str, ...], list[_Entry]] = {}
        last_row, index = -1, 0
        for e in entries:
            index = index + 1 if e.row.number == last_row else 0
            last_row = e.row.number
            groups.setdefault(self.group_key(e, index), []).append(e)
        keys, members = list(groups), list(groups.values())
        ids = self.assign_ids(members, keys)

        records: list[ImportedRecord] = []
        merged: list[Merged] = []
        taken: dict[str, int] = {}
        used_departments: set[str] = set()
        for rid, group in zip(ids, members, strict=True):
            head = group[0]
            if rid in self.existing:
                skipped.append(Skipped(head.row.number, self.exists_reason(rid), "exists"))
                why = f"it merges into {rid}, which already exists."
                skipped.extend(Skipped(e.row.number, why, "exists") for e in group[1:])
                continue
            if rid in taken:  # unreachable unless rows are identical in every cell; kept safe
                why = f"its id {rid} is taken by row {taken[rid]}; give the row an id of its own."
                skipped.extend(Skipped(e.row.number, why, "id-taken") for e in group)
                continue
            taken[rid] = head.row.number
            used_departments.add(head.department)
            records.append(ImportedRecord(rid, self.record(rid, group), head.row.number))
            merged.extend(Merged(e.row.number, rid, self.merged_reason(e, head)) for e in group[1:])
        new = tuple(d for d in self.new_departments if d in used_departments)
        return ImportPlan(
            records=tuple(records),
            merged=tuple(sorted(merged, key=lambda x: x.row)),
            skipped=tuple(sorted(skipped, key=lambda x: x.row)),
            rows_read=len(self.table.rows) + len(self.table.blank),
            filtered=tuple(filtered),
            extra_entries=extra,
            new_departments=new,
            dates=tuple(self.date_stats.values()),
        )
