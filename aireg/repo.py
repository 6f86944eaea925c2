"""The registry on disk and in git: find, read, write atomically, commit one change alone."""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from aireg import config as config_mod
from aireg import records, recordtext
from aireg.errors import EnvError, RuleError, UsageError
from aireg.problems import Problem


def today() -> date:
    """Today, or AIREG_TODAY (YYYY-MM-DD) so demos and tests can stand on a fixed day."""
    fixed = os.environ.get("AIREG_TODAY")
    if fixed:
        try:
            return date.fromisoformat(fixed)
        except ValueError as exc:
            raise UsageError(f"AIREG_TODAY={fixed} is not a date; write YYYY-MM-DD.") from exc
    return date.today()


@dataclass(frozen=True)
class RecordFile:
    """One file under tools/: its text and parsed data, or why it could not be read."""

    rel: str
    text: str
    data: Any
    problem: Problem | None = None

    @property
    def id(self) -> str:
        return records.file_id(self.rel)

    @property
    def record(self) -> dict[str, Any]:
        return self.data if isinstance(self.data, dict) else {}


# Problems read_file reports that are the environment's doing, not the record's (exit 3).
ENV_PROBLEMS = frozenset({"unreadable", "vanished"})


def check_tool_id(tool_id: str) -> str:
    """A tool id given on the command line, refused when it is not a slug (no ../, no caps)."""
    if not records.is_valid_id(tool_id):
        raise UsageError(
            f'"{tool_id}" is not a tool id: ids are lowercase slugs of letters, digits and '
            "single hyphens, at most 64 characters (see `aireg list`)."
        )
    return tool_id


def read_file(root: Path, rel: str) -> RecordFile:
    """Read and parse one file, turning every way it can fail into a Problem."""
    from aireg import yamlio

    path = root / rel
    try:
        if path.is_symlink():
            target = path.resolve()
            if not target.is_relative_to(root.resolve()):
                return RecordFile(rel, "", None, Problem(
                    rel, "", f"{rel} is a symbolic link to {target}, outside the registry; "
                    "replace it with the record itself.", "symlink-outside", 1, 1))
        big = recordtext.too_large(path.stat().st_size)
        if big is not None:
            return RecordFile(rel, "", None, Problem(
                rel, "", f"{rel} is refused: {big}.", "file-too-large"))
        raw = path.read_bytes()
    except FileNotFoundError:
        return RecordFile(rel, "", None, Problem(
            rel, "", f"{rel} vanished while aireg was reading the registry; run the command "
            "again.", "vanished"))
    except IsADirectoryError:
        return RecordFile(rel, "", None, Problem(
            rel, "", f"{rel} is a directory; tools/ holds only <id>.yaml files.", "not-a-file"))
    except OSError as exc:
        return RecordFile(rel, "", None, Problem(
            rel, "", f"{rel} cannot be read ({exc.strerror}); check its permissions.",
            "unreadable"))
    refused = recordtext.problem(raw)
    if refused is not None:
        why, line, column = refused
        rule = "file-too-large" if line is None else "ambiguous-break"
        return RecordFile(rel, raw.decode("utf-8", "replace"), None, Problem(
            rel, "", f"{rel} is refused: {why}.", rule, line, column))
    try:
        data = yamlio.load(raw, rel)
    except yamlio.YamlError as exc:
        return RecordFile(rel, raw.decode("utf-8", "replace"), None, Problem(
            rel, "", exc.reason, "parse-error", exc.line, exc.column))
    return RecordFile(rel, raw.decode("utf-8-sig"), data)


def write_text_atomic(path: Path, text: str, label: str | None = None) -> None:
    """Write a file aireg does not commit (aireg report --output) whole or not at all: a
    temporary file beside it, on disk, then a rename (as aireg.transaction writes records)."""
    from aireg.transaction import write_temp

    label = label or str(path)
    tmp = write_temp(path, text.encode("utf-8"), label, sync=True)
    try:
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise EnvError(f"{label} cannot be written ({exc.strerror}); check that the folder "
                       "is writable and the disk is not full. Nothing was changed.") from exc


class Registry:
    """A registry: its root folder, its config and its git repository."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def find(cls, explicit: str | None = None) -> Registry:
        reg = cls(config_mod.find_root(explicit=explicit))
        # A command killed after its commit left the working tree behind it: every command
        # first brings it up to date (one stat when nothing was interrupted).
        from aireg import transaction

        transaction.finish_interrupted(reg.root, lambda: reg.git)
        return reg

    @cached_property
    def config(self) -> config_mod.Config:
        return config_mod.load(self.root)

    @cached_property
    def git(self) -> Any:
        from aireg.gitrepo import Git

        return Git(self.root)

    @property
    def tools_dir(self) -> Path:
        return self.root / records.TOOLS_DIR

    @staticmethod
    def rel(tool_id: str) -> str:
        return records.record_path(tool_id)

    # -- reading ---------------------------------------------------------------------------

    def tool_files(self) -> list[str]:
        """Every entry of tools/ (sorted), as registry-relative paths; dot files skipped."""
        try:
            names = sorted(e.name for e in os.scandir(self.tools_dir)
                           if not e.name.startswith("."))
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise EnvError(f"tools/ cannot be read ({exc.strerror}); "
                           "check its permissions.") from exc
        return [f"{records.TOOLS_DIR}/{n}" for n in names]

    def ids(self) -> set[str]:
        return {records.file_id(r) for r in self.tool_files() if r.endswith(".yaml")}

    def read_all(self, rels: Iterable[str] | None = None) -> list[RecordFile]:
        from aireg import loader

        return loader.read_many(self.root, list(rels if rels is not None else self.tool_files()))

    def iter_records(self) -> Iterator[RecordFile]:
        for rf in self.read_all():
            if rf.rel.endswith(".yaml") and isinstance(rf.data, dict):
                yield rf

    def read_tool(self, tool_id: str) -> RecordFile:
        """One tool's record; an unknown id is a usage error with a did-you-mean."""
        check_tool_id(tool_id)
        rel = self.rel(tool_id)
        try:
            present = (self.root / rel).exists() or (self.root / rel).is_symlink()
        except OSError as exc:  # tools/ not searchable: exists() raises, it does not say no
            raise EnvError(f"{rel} cannot be read ({exc.strerror}); check the permissions of "
                           "tools/ and of the file.") from exc
        if not present:
            close = difflib.get_close_matches(tool_id, sorted(self.ids()), n=1)
            hint = f' Did you mean "{close[0]}"?' if close else " See `aireg list`."
            raise UsageError(f"no tool {tool_id!r} in this registry (no {rel}).{hint}")
        rf = read_file(self.root, rel)
        if rf.problem is not None:
            if rf.problem.rule in ENV_PROBLEMS:  # the environment, not the record, is wrong
                raise EnvError(rf.problem.message)
            raise RuleError(f"{rf.problem.location}: {rf.problem.message}")
        if not isinstance(rf.data, dict):
            raise RuleError(f"{rel} must be a mapping of fields, not a list or text; fix it "
                            "(aireg validate shows where).")
        return rf

    # -- before writing-----------------------------------------------------------------------

    def ensure_unchanged(self, rel: str) -> None:
        """Refuse to act on a record that has uncommitted edits of its own."""
        if rel in self.git.changed_paths([rel]):
            raise RuleError(
                f"{rel} has uncommitted edits; commit them, or discard them with `git checkout "
                f"-- {rel}`, then run the command again (`aireg advance` and `aireg edit` take "
                "hand edits)."
            )
