"""The import map file: reading and checking it, and resolving the columns it names."""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aireg.errors import UsageError
from aireg.import_table import _Row, _Table
from aireg.names import slugify
from aireg.records import Stage

STAGES = tuple(s.value for s in Stage)
DEFAULT_SEPARATORS = (",", ";", " & ", " / ")


@dataclass(frozen=True)
class _Field:
    key: str  # where it sits in the map, for messages: "stage", "purpose.problem"
    column: str | None = None
    value: Any = None
    values: Mapping[str, Any] | None = None  # keys casefolded
    ignore: frozenset[str] = frozenset()  # casefolded

    def raw(self, row: _Row) -> str:
        """The cell's text, or "" when it is blank or one of the ignored values."""
        if self.column is None:
            return ""
        text = row.values[self.column]
        return "" if text.casefold() in self.ignore else text


@dataclass(frozen=True)
class _Filter:
    key: str
    column: str
    allowed: frozenset[str]
    negate: bool

    def passes(self, row: _Row) -> bool:
        return (row.values[self.column].casefold() in self.allowed) != self.negate


@dataclass(frozen=True)
class _Map:
    file: str
    name: _Field
    split: tuple[str, ...]
    department: _Field
    stage: _Field
    create_departments: bool = False
    unmapped_stage: str | None = None
    id_column: _Field | None = None
    id_prefix: str | None = None  # "department" or a column
    hash_columns: tuple[str, ...] = ()
    vendor: _Field | None = None
    vendor_from_name: bool = False
    url: _Field | None = None
    owner: _Field | None = None
    created: _Field | None = None
    retired_date: _Field | None = None
    pilot_start: _Field | None = None
    pilot_end: _Field | None = None
    risk_tier: _Field | None = None
    risk_flags: tuple[_Field, ...] = ()
    risk_role: _Field | None = None
    problem: _Field | None = None
    goal: _Field | None = None
    data: _Field | None = None
    filters: tuple[_Filter, ...] = ()
    merge_by: tuple[str, ...] = ()
    source: tuple[tuple[str, str], ...] | None = None  # None: every column
    columns: tuple[tuple[str, str], ...] = field(default=())  # (map key, column) to check


_TOP_KEYS = (
    "id", "name", "vendor", "url", "department", "departments", "owner", "stage",
    "unmapped_stage", "created", "retired_date", "purpose", "pilot", "security", "risk",
    "filter", "merge_by", "source",
)  # fmt: skip
_MERGE_FIELDS = ("department", "name", "vendor")


class _MapReader:
    """Turns the loaded map into a `_Map`, or raises one sentence that names key and fix."""

    def __init__(self, map_file: str) -> None:
        self.file = map_file
        self.columns: list[tuple[str, str]] = []

    def fail(self, key: str, problem: str, fix: str) -> UsageError:
        return UsageError(f"{self.file}: {key} {problem}; {fix}.")

    def keys(self, where: str, got: Mapping[Any, Any], allowed: tuple[str, ...]) -> None:
        for k in got:
            if k not in allowed:
                near = difflib.get_close_matches(str(k), allowed, n=1)
                hint = f" (did you mean {near[0]!r})" if near else ""
                raise UsageError(
                    f"{self.file}: {k!r} is not a key of {where}{hint}; use one of: "
                    f"{', '.join(allowed)}."
                )

    def text(self, key: str, value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int | float) or value == "":
            raise self.fail(
                key,
                f"must be a non-empty text, not {value!r}",
                "quote it if YAML read it as something else",
            )
        return str(value)

    def texts(self, key: str, value: Any) -> list[str]:
        items = value if isinstance(value, list) else [value]
        return [
            self.text(f"{key}[{i}]" if isinstance(value, list) else key, v)
            for i, v in enumerate(items)
        ]

    def column(self, key: str, value: Any) -> str:
        """A column reference: a header name, ``{position: N}`` (1 = the first column) or
        ``{name: TEXT, occurrence: N}`` (the Nth column with that name); returned as the key
        rows are looked up by once the header is read (see :func:`_ref_label`)."""
        if isinstance(value, Mapping):
            self.keys(key, value, ("name", "position", "occurrence"))
            if "position" in value:
                if "name" in value or "occurrence" in value:
                    raise self.fail(key, "has position beside name or occurrence",
                                    "keep either position, or name and occurrence")
                pos = value["position"]
                if isinstance(pos, bool) or not isinstance(pos, int) or pos < 1:
                    raise self.fail(f"{key}.position", f"is {pos!r}",
                                    "write the column's number, 1 for the first column")
                col = f"{_REF}#{pos}"
            else:
                if "name" not in value:
                    raise self.fail(key, "names no column",
                                    "write `name:` (with `occurrence:`) or `position:`")
                name = self.text(f"{key}.name", value["name"]).strip()
                occ = value.get("occurrence", 1)
                if isinstance(occ, bool) or not isinstance(occ, int) or occ < 1:
                    raise self.fail(f"{key}.occurrence", f"is {occ!r}",
                                    "write 1 for the first column of that name, 2 for the second")
                col = f"{_REF}{occ}{_REF}{name}"
        else:
            col = self.text(key, value).strip()
        self.columns.append((key, col))
        return col

    def spec(
        self,
        key: str,
        spec: Any,
        *,
        extra: tuple[str, ...] = (),
        values: bool = False,
        constant: bool = False,
        need_column: bool = True,
    ) -> tuple[_Field, dict[str, Any]]:
        """A field spec: a column name, or a mapping; returns the field and its extra keys."""
        if isinstance(spec, str):
            return _Field(key, column=self.column(key, spec)), {}
        if not isinstance(spec, Mapping):
            raise self.fail(
                key,
                f"must be a column name or a mapping, not {spec!r}",
                "write `column: <CSV column>` under it",
            )
        allowed = (
            "column",
            "ignore",
            *(("values",) if values else ()),
            *(("value",) if constant else ()),
            *extra,
        )
        self.keys(key, spec, allowed)
        column = self.column(f"{key}.column", spec["column"]) if "column" in spec else None
        if column is None and "value" not in spec and need_column:
            raise self.fail(key, "names no column", "add `column: <CSV column>` under it")
        if column is not None and "value" in spec:
            raise self.fail(key, "has both column and value", "keep one of them")
        value_map: dict[str, Any] | None = None
        if values and "values" in spec:
            got = spec["values"]
            if not isinstance(got, Mapping):
                raise self.fail(
                    f"{key}.values",
                    "must map source text to a value",
                    "write `<source text>: <value>` lines under it",
                )
            value_map = {}
            for src, dst in got.items():
                if isinstance(src, bool) or src is None:
                    raise self.fail(
                        f"{key}.values",
                        f"has the key {src!r}, which YAML read from a bare word",
                        'quote it, e.g. "Yes": ...',
                    )
                value_map[str(src).strip().casefold()] = dst
        ignore = frozenset(
            t.strip().casefold() for t in self.texts(f"{key}.ignore", spec.get("ignore", []))
        )
        return _Field(key, column, spec.get("value"), value_map, ignore), dict(spec)

    def optional(self, m: Mapping[str, Any], key: str, **kw: Any) -> _Field | None:
        return self.spec(key, m[key], **kw)[0] if key in m else None


def _read_map(mapping: Any, map_file: str) -> _Map:
    r = _MapReader(map_file)
    if not isinstance(mapping, Mapping):
        raise UsageError(
            f"{map_file} is not a mapping of record fields to CSV columns; see "
            "aireg/importmaps/README.md for the format."
        )
    r.keys("the map", mapping, _TOP_KEYS)
    for required in ("name", "department", "stage"):
        if required not in mapping:
            raise r.fail(required, "is missing", f"add `{required}:` naming its CSV column")

    name, name_spec = r.spec("name", mapping["name"], extra=("split",))
    split: tuple[str, ...] = ()
    if name_spec.get("split"):
        got = name_spec["split"]
        split = DEFAULT_SEPARATORS if got is True else tuple(r.texts("name.split", got))

    department, _ = r.spec("department", mapping["department"], values=True, constant=True)
    for src, dst in (department.values or {}).items():
        if not isinstance(dst, str) or slugify(dst) != dst:
            raise r.fail(
                f"department.values[{src!r}]",
                f"is {dst!r}, not a department id",
                f"write a lowercase slug such as {slugify(str(dst))!r}",
            )
    if department.column is None and not isinstance(department.value, str):
        raise r.fail("department.value", "must be a department id", "write one from aireg.yaml")
    create = mapping.get("departments", "existing")
    if create not in ("existing", "create"):
        raise r.fail("departments", f"is {create!r}", "write `create` or `existing`")

    stage, _ = r.spec("stage", mapping["stage"], values=True, constant=True)
    targets = list((stage.values or {}).values())
    if stage.column is None:
        targets.append(stage.value)
    for dst in targets:
        if dst not in STAGES:
            raise r.fail(
                "stage",
                f"maps to {dst!r}, which is not a stage",
                f"use one of: {', '.join(STAGES)}",
            )
    unmapped = mapping.get("unmapped_stage")
    if unmapped not in (None, "purpose"):
        raise r.fail(
            "unmapped_stage",
            f"is {unmapped!r}",
            "only `purpose` is allowed: a stage the source does not state is never "
            "guessed beyond the first step",
        )

    id_field: _Field | None = None
    prefix: str | None = None
    hash_columns: tuple[str, ...] = ()
    if "id" in mapping:
        id_field, id_spec = r.spec(
            "id", mapping["id"], extra=("prefix", "hash_columns"), need_column=False
        )
        if id_field.column is None:
            id_field = None
        if "prefix" in id_spec:
            got = id_spec["prefix"]
            prefix = "department" if got == "department" else r.column("id.prefix", got)
        hash_columns = tuple(
            r.column(f"id.hash_columns[{i}]", c)
            for i, c in enumerate(id_spec.get("hash_columns", []) or [])
        )

    vendor: _Field | None = None
    from_name = False
    if "vendor" in mapping:
        vendor, vendor_spec = r.spec(
            "vendor", mapping["vendor"], extra=("from_name",), need_column=False
        )
        from_name = vendor_spec.get("from_name") is True
        if vendor.column is None:
            vendor = None

    purpose = mapping.get("purpose", {})
    if not isinstance(purpose, Mapping):
        raise r.fail("purpose", "must be a mapping", "write `problem:` and `goal:` under it")
    r.keys("purpose", purpose, ("problem", "goal"))
    security = mapping.get("security", {})
    if not isinstance(security, Mapping):
        raise r.fail("security", "must be a mapping", "write `data:` under it")
    r.keys("security", security, ("data",))
    data = r.spec("security.data", security["data"], values=True)[0] if "data" in security else None
    for src, classes in ((data.values or {}) if data else {}).items():
        for c in classes if isinstance(classes, list) else [classes]:
            if not isinstance(c, str) or slugify(c) != c:
                raise r.fail(
                    f"security.data.values[{src!r}]",
                    f"holds {c!r}",
                    "write data classes from aireg.yaml, such as customer-personal",
                )

    pilot = mapping.get("pilot", {})
    if not isinstance(pilot, Mapping):
        raise r.fail("pilot", "must be a mapping", "write `start:` and `end:` under it")
    r.keys("pilot", pilot, ("start", "end"))
    risk_tier, risk_flags, risk_role = _read_risk(r, mapping.get("risk", {}))

    filters = _read_filters(r, mapping.get("filter", []))
    merge_by = tuple(r.texts("merge_by", mapping.get("merge_by", [])))
    for item in merge_by:
        if item not in _MERGE_FIELDS:
            raise r.fail("merge_by", f"lists {item!r}", f"use {', '.join(_MERGE_FIELDS)}")
    source = _read_source(r, mapping.get("source", "*"))

    return _Map(
        file=map_file,
        name=name,
        split=split,
        department=department,
        stage=stage,
        create_departments=create == "create",
        unmapped_stage=unmapped,
        id_column=id_field,
        id_prefix=prefix,
        hash_columns=hash_columns,
        vendor=vendor,
        vendor_from_name=from_name,
        url=r.optional(mapping, "url"),
        owner=r.optional(mapping, "owner"),
        created=r.optional(mapping, "created"),
        retired_date=r.optional(mapping, "retired_date"),
        pilot_start=r.spec("pilot.start", pilot["start"])[0] if "start" in pilot else None,
        pilot_end=r.spec("pilot.end", pilot["end"])[0] if "end" in pilot else None,
        risk_tier=risk_tier,
        risk_flags=risk_flags,
        risk_role=risk_role,
        problem=r.spec("purpose.problem", purpose["problem"])[0] if "problem" in purpose else None,
        goal=r.spec("purpose.goal", purpose["goal"])[0] if "goal" in purpose else None,
        data=data,
        filters=filters,
        merge_by=merge_by,
        source=source,
        columns=tuple(r.columns),
    )


def _read_risk(
    r: _MapReader, spec: Any
) -> tuple[_Field | None, tuple[_Field, ...], _Field | None]:
    """``risk: {tier, flags, role}``: each a field spec with ``values`` (source text to a
    tier, or for ``flags`` to a flag or a list of flags; a flag column may be a list of
    specs), or a constant ``value``. An unmapped value states nothing."""
    if not isinstance(spec, Mapping):
        raise r.fail("risk", "must be a mapping", "write `tier:`, `flags:` or `role:` under it")
    r.keys("risk", spec, ("tier", "flags", "role"))
    tier = role = None
    if "tier" in spec:
        tier = r.spec("risk.tier", spec["tier"], values=True, constant=True)[0]
    if "role" in spec:
        role = r.spec("risk.role", spec["role"], values=True, constant=True)[0]
    flags: list[_Field] = []
    got = spec.get("flags", [])
    for i, item in enumerate(got if isinstance(got, list) else [got]):
        key = f"risk.flags[{i}]" if isinstance(got, list) else "risk.flags"
        flags.append(r.spec(key, item, values=True, constant=True)[0])
    for f in (tier, role, *flags):
        if f is None:
            continue
        targets = list((f.values or {}).values()) + ([f.value] if f.column is None else [])
        for dst in targets:
            for one in dst if isinstance(dst, list) else [dst]:
                if one is not None and (not isinstance(one, str) or slugify(one) != one):
                    raise r.fail(f.key, f"maps to {one!r}",
                                 "write a risk tier, flag or role id from aireg.yaml's risk, "
                                 "such as high or rights-impacting")
    return tier, tuple(flags), role


def _read_filters(r: _MapReader, spec: Any) -> tuple[_Filter, ...]:
    items = spec if isinstance(spec, list) else [spec]
    out: list[_Filter] = []
    for i, item in enumerate(items):
        key = f"filter[{i}]" if isinstance(spec, list) else "filter"
        if not isinstance(item, Mapping):
            raise r.fail(key, "must be a mapping", "write `column:` and `equals:` under it")
        r.keys(key, item, ("column", "equals", "not_equals"))
        if "column" not in item or ("equals" in item) == ("not_equals" in item):
            raise r.fail(
                key,
                "needs a column and one of equals or not_equals",
                "write e.g. `{column: used, equals: Y}`",
            )
        negate = "not_equals" in item
        wanted = item["not_equals" if negate else "equals"]
        words = [
            "" if w is None else str(w) for w in (wanted if isinstance(wanted, list) else [wanted])
        ]
        if any(isinstance(w, bool) for w in (wanted if isinstance(wanted, list) else [wanted])):
            raise r.fail(key, "compares with a bare yes/no word YAML read as a boolean", "quote it")
        out.append(
            _Filter(
                key,
                r.column(f"{key}.column", item["column"]),
                frozenset(w.strip().casefold() for w in words),
                negate,
            )
        )
    return tuple(out)


def _read_source(r: _MapReader, spec: Any) -> tuple[tuple[str, str], ...] | None:
    if spec == "*":
        return None
    if isinstance(spec, list):
        pairs = []
        for i, v in enumerate(spec):
            col = r.column(f"source[{i}]", v)
            pairs.append((_ref_label(col, short=True), col))
    elif isinstance(spec, Mapping):
        pairs = [(r.text("source", k), r.column(f"source.{k}", v)) for k, v in spec.items()]
    else:
        raise r.fail("source", f"is {spec!r}", 'write "*", a list of columns or {key: column}')
    for key, _col in pairs:
        if key in ("row", "rows", "file"):
            raise r.fail(
                f"source.{key}", "uses a key the import writes itself", "name it differently"
            )
    return tuple(pairs)


_REF = "\x1f"  # starts a reference by position or occurrence, never in a header


def _ref_label(col: str, short: bool = False) -> str:
    """A column reference as a person reads it."""
    if not col.startswith(_REF):
        return col if short else f"column {col!r}"
    if col.startswith(f"{_REF}#"):
        return f"column {col[2:]}"
    occ, _, name = col[1:].partition(_REF)
    return f"{name} ({occ})" if short else f"column {name!r} (occurrence {occ})"


def _resolve_columns(m: _Map, table: _Table, csv_name: str) -> None:
    """Check every column the map names against the header, and make each reference by
    position or occurrence a key of every row. A repeated header name is an error only when
    the map names it plainly."""
    names, header = table.names, table.header
    positions: dict[str, list[int]] = defaultdict(list)
    for i, name in enumerate(names):
        positions[name].append(i)
    available = ", ".join(repr(h) for h in dict.fromkeys(names))
    missing: list[tuple[str, str]] = []
    bound: dict[str, int] = {}
    for key, col in m.columns:
        if col.startswith(f"{_REF}#"):
            pos = int(col[2:])
            if pos > len(names):
                raise UsageError(
                    f"{m.file}: {key} names column {pos} by position, but {csv_name} has "
                    f"{len(names)} columns; write a position from 1 to {len(names)}."
                )
            bound[col] = pos - 1
        elif col.startswith(_REF):
            occ_text, _, name = col[1:].partition(_REF)
            occ, found = int(occ_text), positions.get(name, [])
            if not found:
                missing.append((key, name))
            elif occ > len(found):
                raise UsageError(
                    f"{m.file}: {key} asks for occurrence {occ} of column {name!r}, but "
                    f"{csv_name} has {len(found)} columns of that name (positions "
                    f"{', '.join(str(p + 1) for p in found)}); write an occurrence from 1 to "
                    f"{len(found)}."
                )
            else:
                bound[col] = found[occ - 1]
        elif len(positions.get(col, ())) > 1:
            where = ", ".join(str(p + 1) for p in positions[col])
            raise UsageError(
                f"{m.file}: {key} names column {col!r}, which {csv_name} has "
                f"{len(positions[col])} times (positions {where}); say which one with "
                f"`{{name: {col!r}, occurrence: N}}` or `{{position: N}}`."
            )
        elif col not in header:
            missing.append((key, col))
    if missing:

        def near(col: str) -> str:
            folded = {h.casefold(): h for h in names}
            match = folded.get(col.casefold()) or next(
                iter(difflib.get_close_matches(col, names, n=1, cutoff=0.5)), None
            )
            return f" (did you mean {match!r})" if match else ""

        if len(missing) == 1:
            key, col = missing[0]
            raise UsageError(
                f"{m.file}: {key} names column {col!r}, which {csv_name} does not have"
                f"{near(col)}; write one of its columns there: {available}."
            )
        listed = "; ".join(f"{k} names {c!r}{near(c)}" for k, c in missing)
        raise UsageError(
            f"{m.file} names columns {csv_name} does not have ({listed}); write columns it "
            f"has: {available}."
        )
    if bound:
        for row in table.rows:
            for col, i in bound.items():
                row.values[col] = row.cells[i]
