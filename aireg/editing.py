"""`aireg edit ID`: judge and commit a record its owner edited by hand in their editor.

The CLI opens the editor (aireg.cli.editor); this module decides. Who may edit is judged
by the record as committed (so nobody makes themselves its owner in the working tree
first), the edited text is committed as it stands (comments and formatting are the
user's), and the two fields that move only by their own commands, `stage` and
`security.review`, are refused here with the command that moves them. An edit that
breaks a rule is kept in the file, explained, and reopened by the next `aireg edit`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aireg import records, rules, workflow
from aireg.errors import RuleError, UsageError
from aireg.problems import Problem
from aireg.repo import Registry, check_tool_id, today


@dataclass(frozen=True)
class Opened:
    """A record ready for the editor: its file and the committed record it is judged against."""

    tool: str
    rel: str
    committed: dict[str, Any]
    text_before: str


def open_record(reg: Registry, tool: str, actor: str) -> Opened:
    """Check that `actor` may edit `tool`, before the editor opens (the file may be broken)."""
    from aireg import yamlio

    check_tool_id(tool)
    rel = reg.rel(tool)
    path = reg.root / rel
    if not path.is_file():
        reg.read_tool(tool)  # the unknown-id error, with its did-you-mean
        raise UsageError(f"{rel} is not a file; tools/ holds one <id>.yaml file per tool.")
    blob = reg.git.show_file("HEAD", rel)
    if blob is None:
        raise RuleError(
            f"{rel} has never been committed, so it has no owner yet; a tool starts with "
            f"`aireg propose`, or commit the file yourself first."
        )
    try:
        committed = yamlio.load(blob, rel)
    except yamlio.YamlError as exc:
        raise RuleError(
            f"{rel} as last committed cannot be read ({exc.reason}), so aireg cannot tell who "
            "may edit it; fix it with a commit of your own, then run `aireg edit` again."
        ) from exc
    if not isinstance(committed, dict):
        raise RuleError(f"{rel} as last committed is not a mapping of fields; fix it with a "
                        "commit of your own, then run `aireg edit` again.")
    workflow.check_may_edit(committed, actor, reg.config, f"edit {tool}")
    return Opened(tool, rel, committed, path.read_bytes().decode("utf-8", "replace"))


def _get(record: Mapping[str, Any], *path: str) -> Any:
    value: Any = record
    for part in path:
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def guarded_changes(committed: Mapping[str, Any], edited: Mapping[str, Any],
                    rel: str, text: str = "") -> list[Problem]:
    """`stage` and `security.review` move only by their commands; an edit may not touch them."""
    from aireg import yamlio

    out: list[Problem] = []
    before, after = committed.get("stage"), edited.get("stage")
    if before != after:
        exits = "`aireg withdraw` or `aireg retire`"
        out.append(Problem(
            rel, "stage",
            f"stage changed from {before} to {after}, but a stage moves only by its command "
            f"(`aireg advance` to complete a step, {exits} to leave, `aireg review --security`"
            f" for the review): put stage back to {before} and use the command.",
            "edit-stage", *(yamlio.locate(text, ["stage"]) or (None, None))))
    if _get(committed, "security", "review") != _get(edited, "security", "review"):
        out.append(Problem(
            rel, "security.review",
            "security.review changed, but a review is recorded only by a security reviewer "
            f"with `aireg review --security {committed.get('id')}`: put security.review back "
            "as it was committed.", "edit-review",
            *(yamlio.locate(text, ["security", "review"]) or (None, None))))
    return out


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The top-level fields (and the subfields of mappings) an edit changed, in record order."""
    out: list[str] = []
    for key in records.ordered({**before, **after}):
        a, b = before.get(key), after.get(key)
        if a == b:
            continue
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            out += [f"{key}.{k}" for k in records.ordered({**a, **b}) if a.get(k) != b.get(k)]
        else:
            out.append(key)
    return out


@dataclass(frozen=True)
class Judged:
    """The edited record and every problem that stops it from being committed."""

    data: Any
    problems: tuple[Problem, ...]
    changed: tuple[str, ...]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def judge(reg: Registry, opened: Opened) -> Judged:
    """The edited file against the record rules and the two guarded fields."""
    from aireg.repo import read_file

    rf = read_file(reg.root, opened.rel)
    if rf.problem is not None:
        return Judged(None, (rf.problem,), ())
    ctx = rules.Context(reg.config, frozenset(reg.ids()), today())
    found = [_re_review(p, opened.tool) if p.rule == "stale-review" else p
             for p in rules.check_record(opened.rel, rf.text, rf.data, ctx)]
    if isinstance(rf.data, Mapping):
        guarded = guarded_changes(opened.committed, rf.data, opened.rel, rf.text)
        found = [*guarded, *found]
        changed = tuple(changed_fields(opened.committed, rf.data))
    else:
        changed = ()
    return Judged(rf.data, tuple(found), changed)


def _re_review(p: Problem, tool: str) -> Problem:
    """Changing a deployed tool's facts is how they change: the edit is committed, and the
    tool waits for a re-review (validate fails until then), rather than a dead end."""
    return dataclasses.replace(p, severity="warning", message=(
        "the facts the security review approved changed; the edit is committed and the tool "
        f"now waits for a re-review: a security reviewer runs `aireg review --security {tool}`"
        " (until then `aireg validate` fails)."))


def needs_re_review(done: Any) -> bool:
    return any(p.rule == "stale-review" for p in done.warnings)


def refusal(opened: Opened, judged: Judged) -> RuleError:
    """One error naming every problem, saying the edit is kept and how to go back to it."""
    errs = judged.errors
    shown = " ".join(f"{p.location}: {p.message}" for p in errs[:5])
    more = f" (and {len(errs) - 5} more: `aireg validate {opened.rel}`)" if len(errs) > 5 else ""
    return RuleError(
        f"{opened.rel} was not committed because the edit breaks the registry's rules; your "
        f"edit is kept in the file: run `aireg edit {opened.tool}` to fix it, or `git checkout "
        f"-- {opened.rel}` to drop it. {shown}{more}"
    )


def commit(reg: Registry, opened: Opened, judged: Judged) -> Any:
    """Commit the edited record as it stands, alone, with `Aireg-Action: edit`."""
    from aireg import actions
    from aireg.repo import read_file

    if judged.errors:
        raise refusal(opened, judged)
    summary = "edited " + ", ".join(judged.changed) if judged.changed else "edited"
    change = workflow.Change(opened.tool, "edit", summary, ())
    before = read_file(reg.root, opened.rel)
    return actions.commit_change(reg, change, before=before, take_hand_edits=True,
                                 allow=frozenset({"stale-review"}))


def unchanged(reg: Registry, opened: Opened) -> bool:
    """Whether the file is exactly as committed (the editor was closed without a change)."""
    return opened.rel not in reg.git.changed_paths([opened.rel])
