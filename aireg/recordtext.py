"""What a record file's bytes may be before YAML reads them: a size limit, and no ambiguous breaks.

SPEC section 5 caps a record file at 1 MiB (MAX_RECORD_BYTES); every command reads records
through `repo.read_file`, and the history rules through `aireg.gitobjects`, and both ask
`problem` first. Characters that YAML 1.1 readers (PyYAML, which aireg uses) and YAML 1.2
readers (editors, diff viewers, ruamel) treat differently -- U+2028, U+2029, U+0085 as line
breaks or not, and a carriage return not followed by a line feed -- are refused, because they
can hide a fact behind what other tools show as a comment. Pure: no I/O.
"""

from __future__ import annotations

import re

MAX_RECORD_BYTES = 1 << 20  # 1 MiB (SPEC section 5)

_AMBIGUOUS = re.compile("[\u2028\u2029\x85]|\r(?!\n)")
_NAMES = {"\u2028": "U+2028 (LINE SEPARATOR)", "\u2029": "U+2029 (PARAGRAPH SEPARATOR)",
          "\x85": "U+0085 (NEXT LINE)", "\r": "a carriage return without a line feed"}


def too_large(size: int) -> str | None:
    """Why a file of `size` bytes is refused as a record (None: it is not)."""
    if size <= MAX_RECORD_BYTES:
        return None
    return (f"it is {size:,} bytes, over the limit of {MAX_RECORD_BYTES:,} bytes (1 MiB) a "
            "record may have (SPEC section 5); move long texts out of the record")


def ambiguous_break(text: str) -> tuple[int, int, str] | None:
    """(line, column, what) of the first character YAML 1.1 and 1.2 read differently."""
    m = _AMBIGUOUS.search(text)
    if m is None:
        return None
    start = m.start()
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    return line, column, _NAMES[m.group()]


def problem(raw: bytes) -> tuple[str, int | None, int | None] | None:
    """(reason, line, column) why these bytes are refused as a record before parsing, or None."""
    big = too_large(len(raw))
    if big is not None:
        return big, None, None
    if b"\r" not in raw and b"\xc2\x85" not in raw and b"\xe2\x80\xa8" not in raw \
            and b"\xe2\x80\xa9" not in raw:
        return None  # the common case, without decoding
    found = ambiguous_break(raw.decode("utf-8", "replace"))
    if found is None:
        return None
    line, column, what = found
    return (f"it holds {what}, which YAML readers disagree on (a line break to some, text "
            "to others), so what it says depends on who reads it; remove it", line, column)
