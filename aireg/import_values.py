"""Import values: splitting a cell into products, product keys, dates and id digests."""

from __future__ import annotations

import hashlib
import re
from datetime import date

from aireg.names import normalize_product

_ISO_DATE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T].*)?$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s.*)?$")
_WS = re.compile(r"\s+")
_HASH_LEN = 6


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
