"""Carrying out one change: check it, commit it, then write the record (aireg.transaction)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aireg import records, rules, workflow
from aireg.errors import RuleError
from aireg.gitrepo import Identity
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


def _checked(reg: Registry, rel: str, text: str, allow: frozenset[str] = frozenset()
             ) -> tuple[dict[str, Any], list[Problem]]:
    """The record a change would write, refused when it breaks a record rule (the rules in
    `allow` are reported as warnings instead: a change that is meant to make them)."""
    import dataclasses

    from aireg import yamlio

    data = yamlio.load(text, rel)
    ctx = rules.Context(reg.config, frozenset(reg.ids() | {rel[6:-5]}), today())
    problems = [dataclasses.replace(p, severity="warning") if p.rule in allow else p
                for p in rules.check_record(rel, text, data, ctx)]
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        # A message that opens with its field is not prefixed with it again.
        shown = " ".join(p.message if p.field and p.message.startswith(p.field)
                         else f"{p.field or rel}: {p.message}" for p in errors[:5])
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
    allow: frozenset[str] = frozenset(),
) -> Done:
    """Commit one record change, then write it; a crash leaves it undone or finishable.

    aireg.transaction holds the registry's lock from the checks to the end, finishes what
    an interrupted earlier command left, and refuses when the record changed since the
    command read it, so two commands at once never lose an update.
    """
    from aireg import transaction, yamlio

    rel = reg.rel(change.tool)
    identity = actor or reg.git.identity()
    reg.git.branch_ref()  # a detached HEAD is refused before anything is written
    with transaction.Session(reg.root, reg.git) as tx:
        tx.refuse_if_finished([rel])
        if before is not None and not take_hand_edits:
            reg.ensure_unchanged(rel)
        if new_record is not None:
            text = records.SCHEMA_MODELINE + yamlio.dump(records.ordered(new_record))
        else:
            assert before is not None
            text = yamlio.edit(before.text, change.updates, file=rel,
                               key_order=records.KEY_ORDER)
        data, warnings = _checked(reg, rel, text, allow)
        sha = tx.commit({rel: text}, change.message, identity,
                        expect={rel: before.text if before is not None else None}, when=when)
    if tx.finished is not None:
        warnings.insert(0, Problem(rel, "", tx.finished.note(), "finished-interrupted",
                                   severity="warning"))
    return Done(change.tool, rel, sha, change, data, tuple(warnings))



# -- answers typed at prompts, kept when a command stops -----------------------------------

def _answers_file(reg: Registry, tool: str) -> Path:
    # Inside the git directory: never part of the registry, its status or its commits.
    git_dir: Path = reg.git.git_dir
    return git_dir / "aireg" / "answers" / f"{tool}.json"


def save_answers(reg: Registry, tool: str, answers: Mapping[str, Any]) -> None:
    """Keep what a person answered, for the next run of the command (best effort)."""
    import json

    path = _answers_file(reg, tool)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(dict(answers), ensure_ascii=False, default=list), "utf-8")
    except OSError:
        pass  # a read-only git directory: the answers are lost, never the registry


def load_answers(reg: Registry, tool: str) -> dict[str, Any]:
    import json

    try:
        data = json.loads(_answers_file(reg, tool).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def drop_answers(reg: Registry, tool: str) -> None:
    import contextlib

    with contextlib.suppress(OSError):
        _answers_file(reg, tool).unlink(missing_ok=True)
