"""Reading an inventory for import: decoding a CSV or an .xlsx sheet into a header and rows."""

from __future__ import annotations

import codecs
import csv
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from aireg.errors import UsageError


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
