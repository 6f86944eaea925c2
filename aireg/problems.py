"""What a check finds: one Problem per broken rule, collected, never raised."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One broken rule: where it is (file, line, column, field), what is wrong and the fix.

    `file` is relative to the registry root, with forward slashes. `field` is a dotted path
    into the record (``security.review.by``, ``impact[0].metric``), empty for the whole file.
    `message` is one whole sentence that says what is wrong and how to fix it. History
    problems also name the commit and its author.
    """

    file: str
    field: str
    message: str
    rule: str
    line: int | None = None
    column: int | None = None
    severity: Severity = "error"
    commit: str | None = None
    author: str | None = None

    @property
    def location(self) -> str:
        loc = self.file
        if self.line is not None:
            loc += f":{self.line}"
            if self.column is not None:
                loc += f":{self.column}"
        return loc

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "field": self.field,
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "commit": self.commit,
            "author": self.author,
        }
