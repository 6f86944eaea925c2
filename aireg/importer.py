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

The parts: :mod:`aireg.import_table` reads the spreadsheet, :mod:`aireg.import_map` reads the
map and resolves its columns, :mod:`aireg.import_values` splits names and reads dates,
:mod:`aireg.import_planner` plans the records and :mod:`aireg.import_plan` holds the result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aireg.import_map import DEFAULT_SEPARATORS as DEFAULT_SEPARATORS
from aireg.import_map import STAGES, _read_map, _resolve_columns
from aireg.import_plan import DateStats as DateStats
from aireg.import_plan import ImportedRecord, ImportPlan, Merged, Skipped
from aireg.import_planner import SCHEMA as SCHEMA
from aireg.import_planner import _Planner
from aireg.import_table import SPREADSHEET_SUFFIXES as SPREADSHEET_SUFFIXES
from aireg.import_table import _read_table, read_csv

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

_MAPS_DIR = Path(__file__).parent / "importmaps"


def builtin_maps() -> dict[str, Path]:
    """The map files shipped in ``aireg/importmaps``, by name without ``.yaml``."""
    return {p.stem: p for p in sorted(_MAPS_DIR.glob("*.yaml"))}


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
