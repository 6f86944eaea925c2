"""Import: plan tool records from an inventory spreadsheet (CSV) and a map file; pure, no writes.

The map file (YAML, loaded by the caller and passed in as a dict) says which CSV column feeds
which record field. Every field spec is either a column name (``name: use_case_name``) or a
mapping with these keys:

``column``
    the CSV column (header text, surrounding whitespace ignored).
``value``
    a constant used instead of a column (``stage: {value: impact}``).
``values``
    a value map from source text (matched case-insensitively) to the aireg value.
``ignore``
    source values that mean "not known" (``[N/A, TBD]``), treated as blank.

Top-level keys (``name``, ``department`` and ``stage`` are required):

``id: {column, prefix, ignore, hash_columns}``
    the source's own id, slugified; ``prefix`` (``department`` or a column) is put in front
    unless the id already starts with it. A blank, ignored or duplicated source id, or no
    id column at all, gives ``<prefix>-<name slug>-<6 hex>``: the hash is of the row's
    ``hash_columns`` (default: every column), so ids are stable across re-runs of the same
    file and do not move when other rows are added. With ``merge_by`` the merge key is the
    identity and the id is ``<prefix>-<name slug>``.
``name: {column, split, ignore}``
    the tool's name; ``split`` (``true`` or a list of separators, default ``, ; & /``)
    turns a cell naming several products into one entry per product (separators inside
    brackets do not split; newlines are spaces).
``vendor: {column, ignore, from_name}``
    ``from_name: true`` takes the vendor only where the product name says it
    (:func:`aireg.names.product_vendor`); never a guess.
``url: {column}``
    kept only when it is an http(s) URL.
``department: {column | value, values}`` and ``departments: existing | create``
    a source value not in ``values`` is skipped with the value and the key to add, unless
    ``departments: create``, which slugifies it; departments missing from aireg.yaml are
    skipped, or with ``create`` listed in :attr:`ImportPlan.new_departments`.
``owner: {column}``
    the first e-mail address in the cell; the importing person when there is none.
``stage: {column | value, values}`` and ``unmapped_stage: purpose``
    source stage text to an aireg stage; a blank or unmapped stage is skipped and reported,
    never guessed, unless ``unmapped_stage: purpose`` imports such rows in ``purpose``.
``created: {column}``, ``retired_date: {column}``
    ISO ``YYYY-MM-DD`` or ``M/D/YYYY`` (time ignored); anything else, or nothing, is today.
``purpose: {problem, goal}``
    field specs; merged rows join their distinct texts with newlines.
``security: {data: {column, values}}``
    source text to a list of data classes, only where the map says so (``"Yes":
    [customer-personal]``); an unmapped value states nothing.
``filter``
    a mapping or list of ``{column, equals | not_equals}`` (string or list, case-insensitive);
    rows that fail are counted as filtered, not skipped.
``merge_by``
    a list of ``department``, ``name`` (compared by :func:`aireg.names.normalize_product`)
    and ``vendor``: entries with the same key become one record; later ones are reported as
    merged into it.
``source``
    ``"*"`` (every column), a list of columns, or ``{key: column}``: copied verbatim into the
    record's flat ``source`` mapping (``file``, ``row``, then ``key: value``) so nothing the
    source knew is lost; blank values are left out. A merged record lists its rows in
    ``rows`` and joins each column's distinct values with newlines.

A created record holds, in SPEC key order, ``schema``, ``id``, ``name``, ``vendor``, ``url``,
``department``, ``owner``, ``stage``, ``created``, ``source``, then only the sections the
source knew and ``retired`` for retired rows. Evidence is never invented: no review, pilot
result, impact measurement or reassessment. Accounting, for the caller to print: every data
row is filtered, skipped or turned into entries (one, or one per product when ``split``), and
every entry is a record, merged or skipped, so ``records + merged + skipped + filtered ==
rows_read + extra_entries``. A row whose id already exists in the registry is skipped, so
re-running an import never duplicates or overwrites a record.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import hashlib
import io
import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from aireg import imported
from aireg.errors import UsageError
from aireg.names import (
    normalize_product,
    product_display_name,
    product_vendor,
    slugify,
)
from aireg.records import Stage, ordered

__all__ = [
    "STAGES",
    "ImportPlan",
    "ImportedRecord",
    "Merged",
    "Skipped",
    "builtin_maps",
    "plan_import",
    "read_csv",
]

STAGES = tuple(s.value for s in Stage)
SCHEMA = "aireg/v1"
DEFAULT_SEPARATORS = (",", ";", " & ", " / ")
_MAPS_DIR = Path(__file__).parent / "importmaps"

_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_URL = re.compile(r"^https?://\S+$")
_ISO_DATE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T].*)?$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s.*)?$")
_WS = re.compile(r"\s+")
_HASH_LEN = 6


# ---------------------------------------------------------------- results


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


def builtin_maps() -> dict[str, Path]:
    """The map files shipped in ``aireg/importmaps``, by name without ``.yaml``."""
    return {p.stem: p for p in sorted(_MAPS_DIR.glob("*.yaml"))}


# ---------------------------------------------------------------- reading the CSV


@dataclass(frozen=True)
class _Row:
    number: int  # 1-based data row: the spreadsheet's row number minus the header
    values: dict[str, str]
    cells: tuple[str, ...]  # in header order: the row's content, for hashes and duplicates
    extra: int  # non-blank cells beyond the header's columns


@dataclass(frozen=True)
class _Table:
    header: tuple[str, ...]  # one key per column: its name, "NAME (2)" for a repeated name
    rows: tuple[_Row, ...]
    blank: tuple[int, ...]
    names: tuple[str, ...] = ()  # the header as written (blank names as "column N")


def _clean(value: str) -> str:
    if "\r" not in value:
        return value.strip()
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def _likely_encoding(data: bytes) -> str | None:
    """The encoding a file that is not UTF-8 was most likely saved in, or None."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    for enc in ("cp1252", "mac_roman"):
        try:
            data.decode(enc)
        except UnicodeDecodeError:
            continue
        return enc
    return "latin-1"


def _decode(path: Path, data: bytes, encoding: str | None) -> str:
    enc = encoding or "utf-8-sig"
    try:
        codecs.lookup(enc)
    except LookupError:
        raise UsageError(
            f"--encoding {enc!r} is not an encoding Python knows, so {path} cannot be read; "
            "pass one such as --encoding cp1252 or --encoding utf-8."
        ) from None
    try:
        text = data.decode(enc)
    except UnicodeDecodeError as exc:
        prefix = data[: exc.start].decode(enc, errors="replace")
        records = sum(1 for _ in csv.reader(io.StringIO(prefix, newline="")))
        at_row_start = not prefix or prefix.endswith("\n")
        row = records if at_row_start else records - 1
        where = "the header" if row < 1 else f"data row {row}"
        line = prefix.count("\n") + 1
        bad = data[exc.start : exc.start + 1]
        likely = _likely_encoding(data) if encoding is None else None
        if likely:
            shown = bad.decode(likely, errors="replace")
            raise UsageError(
                f"{path} is not {enc} text: byte {exc.start} (line {line}, {where}) is "
                f"0x{bad.hex()}, which is {shown!r} in {likely}, the encoding the file was most "
                f"likely saved in; pass --encoding {likely} (or the encoding you know it has)."
            ) from None
        raise UsageError(
            f"{path} is not {enc} text: byte {exc.start} (line {line}, {where}) cannot be "
            "decoded; pass --encoding with the encoding the file was saved in."
        ) from None
    # A BOM survives when the caller names plain utf-8 (or utf-16 variants keep one): drop it.
    return text.removeprefix("\ufeff")


SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm")


def _xlsx_text(value: Any) -> str:
    """A spreadsheet cell as the text a CSV export would hold (dates as ISO dates)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_records(path: Path, sheet: str | None) -> list[list[str]]:
    """The cells of one worksheet (the first, or `sheet`), each as text."""
    try:
        import openpyxl  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - a dependency of aireg
        raise UsageError(
            f"{path} is a spreadsheet, and reading one needs openpyxl; install it "
            "(pip install openpyxl) or export the sheet as CSV."
        ) from None
    import zipfile

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise UsageError(
            f"{path} cannot be read as an .xlsx workbook ({exc}); save it again from the "
            "spreadsheet program as .xlsx, or export the sheet as CSV."
        ) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise UsageError(
                f"{path} has no sheet named {sheet!r}; pass --sheet with one of: "
                f"{', '.join(repr(n) for n in book.sheetnames)}."
            )
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        return [[_clean(_xlsx_text(v)) for v in row] for row in ws.iter_rows(values_only=True)]
    finally:
        book.close()


def _read_table(path: Path, encoding: str | None, sheet: str | None = None) -> _Table:
    if path.suffix.lower() in SPREADSHEET_SUFFIXES:
        if not path.is_file():
            raise UsageError(f"{path} does not exist; pass the path of the inventory.")
        return _table(path, iter(_xlsx_records(path, sheet)))
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{path} does not exist; pass the path of the inventory CSV.") from None
    except OSError as exc:
        raise UsageError(
            f"{path} cannot be read ({exc.strerror}); pass a readable CSV file."
        ) from None
    text = _decode(path, data, encoding)
    reader = csv.reader(io.StringIO(text, newline=""))
    return _table(path, ([_clean(c) for c in record] for record in reader))


def _table(path: Path, records: Iterator[list[str]]) -> _Table:
    header: tuple[str, ...] | None = None
    names: tuple[str, ...] = ()
    rows: list[_Row] = []
    blank: list[int] = []
    number = 0
    try:
        for cells in records:
            if header is None:
                if any(cells):
                    while cells and not cells[-1]:
                        cells = cells[:-1]  # a sheet's empty trailing columns name nothing
                    names, header = _header(cells)
                continue
            number += 1
            if not any(cells):
                blank.append(number)
                continue
            width = len(header)
            extra = sum(1 for c in cells[width:] if c)
            cells = (cells + [""] * width)[:width]
            rows.append(_Row(number, dict(zip(header, cells, strict=True)), tuple(cells), extra))
    except csv.Error as exc:
        raise UsageError(
            f"{path} is not well-formed CSV at data row {number + 1} ({exc}); fix the quoting "
            "there or export the sheet as CSV again."
        ) from None
    if header is None:
        raise UsageError(
            f"{path} has no rows: it is empty; export the inventory with a header row and "
            "at least one data row."
        )
    if not rows:
        raise UsageError(
            f"{path} has no rows: it has a header but no data under it; export the inventory "
            "with its data rows."
        )
    return _Table(header, tuple(rows), tuple(blank), names)


def _header(cells: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The header's names as written, and a unique key per column: a name used more than once
    is keyed "NAME (2)", "NAME (3)" from its second use on. Repeated names are no error: only
    a map that names one of them must say which (by position or occurrence)."""
    # Spreadsheets export trailing unnamed columns; they stay addressable by position.
    names = tuple(cell or f"column {i}" for i, cell in enumerate(cells, 1))
    keys: list[str] = []
    taken = set(names)
    seen: Counter[str] = Counter()
    for name in names:
        seen[name] += 1
        key = name
        if seen[name] > 1:
            n = seen[name]
            key = f"{name} ({n})"
            while key in taken:
                n += 1
                key = f"{name} ({n})"
            taken.add(key)
        keys.append(key)
    return names, tuple(keys)


def read_csv(path: Path, encoding: str | None = None) -> tuple[list[str], list[dict[str, str]]]:
    """The header and the non-blank rows of a CSV file, whitespace stripped everywhere.

    The default encoding is ``utf-8-sig`` (a byte-order mark is dropped); a file that does not
    decode, an empty file and a header without rows raise :class:`UsageError` with the fix.
    """
    table = _read_table(path, encoding)
    return list(table.header), [dict(r.values) for r in table.rows]


# ---------------------------------------------------------------- the map


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


# ---------------------------------------------------------------- planning


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


def _split(text: str, separators: tuple[str, ...]) -> list[str]:
    """A cell naming several products, split at top level (never inside brackets)."""
    text = _WS.sub(" ", text)
    parts: list[str] = []
    depth = start = i = 0
    while i < len(text):
        ch = text[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}" and depth:
            depth -= 1
        elif depth == 0:
            sep = next((s for s in separators if text.startswith(s, i)), None)
            if sep is not None:
                parts.append(text[start:i])
                i += len(sep)
                start = i
                continue
        i += 1
    parts.append(text[start:])
    return [p.strip(" ,;:/&+") for p in parts if p.strip(" ,;:/&+")]


def _product_key(name: str) -> str:
    """The merge key of a name; a name that is all noise to the normalizer is still a name."""
    return normalize_product(name) or name.casefold()


_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")
_WORDY_DATE = re.compile(
    r"^(?:(?P<m1>[A-Za-z]{3,9})\.?\s+(?P<d1>\d{1,2}),?\s+(?P<y1>\d{4})"
    r"|(?P<d2>\d{1,2})\s+(?P<m2>[A-Za-z]{3,9})\.?,?\s+(?P<y2>\d{4}))$"
)


def _iso(text: str) -> str | None:
    """A full date as YYYY-MM-DD: ISO (a time after it ignored), M/D/YYYY, "March 5, 2024" or
    "5 March 2024". Partial or odd dates ("Q4FY25", "01/2024", "Pre-2021") are not guessed."""
    for pattern, order in ((_ISO_DATE, (0, 1, 2)), (_US_DATE, (2, 0, 1))):
        hit = pattern.match(text)
        if hit:
            y, mo, d = (int(hit.group(i + 1)) for i in order)
            try:
                return date(y, mo, d).isoformat()
            except ValueError:
                return None
    hit = _WORDY_DATE.match(text)
    if hit:
        month = (hit.group("m1") or hit.group("m2")).lower()
        month = "sep" if month == "sept" else month
        month_no = next((i for i, n in enumerate(_MONTHS, 1) if n.startswith(month)), None)
        try:
            if month_no:
                return date(int(hit.group("y1") or hit.group("y2")), month_no,
                            int(hit.group("d1") or hit.group("d2"))).isoformat()
        except ValueError:
            return None
    return None


def _digest(parts: tuple[str, ...] | list[str], length: int = _HASH_LEN) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:length]


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


def plan_import(
    path: Path,
    mapping: dict[str, Any],
    map_file: str,
    *,
    existing_ids: set[str],
    departments: set[str],
    owner: str,
    today: str,
    encoding: str | None = None,
    earliest_year: int = 1980,
    sheet: str | None = None,
) -> ImportPlan:
    """Plan the records an inventory CSV yields under a map; nothing is written.

    The map is checked first, then every column it names against the CSV header
    (:class:`UsageError` naming the map key, the column and a did-you-mean), before any row is
    planned. `existing_ids` are the registry's tool ids (a row whose id exists is skipped),
    `departments` those of aireg.yaml, `owner` the importing person (the owner of rows without
    an e-mail address) and `today` the import day, written only as ``imported.on`` (a date the
    source does not give is left out, never replaced by today). Dates before
    `earliest_year` or after today are implausible and left out too; :attr:`ImportPlan.dates`
    counts each kind per field. ``.xlsx`` files are read with openpyxl (`sheet`: which
    worksheet, default the first).
    """
    m = _read_map(mapping, map_file)
    table = _read_table(path, encoding, sheet)
    _resolve_columns(m, table, path.name)
    return _Planner(
        m, table, path.name, existing_ids, departments, owner, today, earliest_year
    ).plan()
