"""Carrying out one change: check it, write the record atomically, commit it alone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aireg import records, rules, workflow
from aireg.gitrepo import Identity
from aireg.errors import RuleError
from aireg.problems import Problem
from aireg.repo import RecordFile, Registry, today


@dataclass(frozen=True)
class Done:
    """What a changing command did: the commit it made and what the record now says."""

    tool: str
    rel: str
    commit: str
    change: workflow.Change
    data: dict[str, Any]
    warnings: tuple[Problem, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "tool": self.tool, "file": self.rel, "commit": self.commit,
            "action": self.change.action,
            "stage_from": str(self.change.stage_from) if self.change.stage_from else None,
            "stage": self.data.get("stage"), "decision": self.change.decision,
        }


def _checked(reg: Registry, rel: str, text: str) -> tuple[dict[str, Any], list[Problem]]:
    """The record a change would write, refused when it breaks a record rule."""
    from aireg import yamlio

    data = yamlio.load(text, rel)
    ctx = rules.Context(reg.config, frozenset(reg.ids() | {rel[6:-5]}), today())
    problems = rules.check_record(rel, text, data, ctx)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        shown = " ".join(f"{p.field or rel}: {p.message}" for p in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise RuleError(f"{rel} would break the registry's rules, so nothing was written: "
                        f"{shown}{more}")
    return data, [p for p in problems if p.severity == "warning"]


def commit_change(
    reg: Registry,
    change: workflow.Change,
    *,
    before: RecordFile | None,
    new_record: dict[str, Any] | None = None,
    take_hand_edits: bool = False,
    actor: Identity | None = None,
    when: str | None = None,
) -> Done:
    """Write and commit one record change; on any failure the record is left as it was."""
    from aireg import yamlio

    rel = reg.rel(change.tool)
    identity = actor or reg.git.identity()
    reg.git.branch_ref()  # a detached HEAD is refused before anything is written
    if before is not None and not take_hand_edits:
        reg.ensure_unchanged(rel)
    if new_record is not None:
        text = records.SCHEMA_MODELINE + yamlio.dump(records.ordered(new_record))
    else:
        assert before is not None
        text = yamlio.edit(before.text, lambda root: workflow.apply(root, change.updates))
    data, warnings = _checked(reg, rel, text)
    path = reg.root / rel
    old = path.read_bytes() if path.exists() else None
    reg.write_atomic(rel, text)
    try:
        sha = reg.git.commit_paths([rel], change.message, identity, when=when)
    except BaseException:
        # Never leave a written record without its commit: put the file back as it was.
        if old is None:
            path.unlink(missing_ok=True)
        else:
            reg.write_atomic(rel, old.decode("utf-8"))
        raise
    return Done(change.tool, rel, sha, change, data, tuple(warnings))
