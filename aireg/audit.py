"""`aireg audit`: the history rules over all of history, and every decision ever recorded."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aireg.history import Decision, check_history
from aireg.problems import Problem

# The columns of the CSV export, in order: one row per security decision.
COLUMNS = (
    "tool", "file", "decision", "by", "date", "commit", "author", "committed", "signature",
    "verified", "problems", "subject",
)


@dataclass
class AuditResult:
    """All history problems, the commits judged and every security decision, verified."""

    problems: list[Problem] = field(default_factory=list)
    commits: int = 0
    decisions: list[Decision] = field(default_factory=list)
    head: str | None = None

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    @property
    def exit_code(self) -> int:
        """1 when the history breaks a rule (warnings included), else 0."""
        return 1 if self.problems else 0

    @property
    def squashed(self) -> list[Decision]:
        """Reviews whose authorship was lost to a squash merge (and no signature proves)."""
        return [d for d in self.decisions if "squashed-review" in d.problems]

    def as_rows(self) -> list[dict[str, str]]:
        """One row per decision, keyed by COLUMNS, every value text (for csv.DictWriter)."""
        rows = []
        for d in self.decisions:
            data = d.as_dict()
            data["verified"] = "yes" if d.verified else "no"
            data["problems"] = " ".join(d.problems)
            rows.append({k: str(data.get(k, "")) for k in COLUMNS})
        return rows

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "head": self.head,
            "commits": self.commits,
            "decisions": [d.as_dict() for d in self.decisions],
            "problems": [p.as_dict() for p in self.problems],
        }


def audit(root: Path) -> AuditResult:
    """The history rules over all of HEAD's history, each commit judged with aireg.yaml and
    the allowed-signers file as they stood before it (see aireg.history)."""
    result = check_history(root, None)
    return AuditResult(result.problems, result.commits, result.decisions, result.head)
