"""An attacker's toolkit for the forgery tests: commits built with git plumbing (temporary
index, update-index --cacheinfo, commit-tree, update-ref) with any mode, parents, author,
dates and message, and the real CLI's verdict on the result."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from helpers_git import Registry, dump, person_env, run_git
from typer.testing import CliRunner

from aireg.cli.main import app

FILE = "100644"
EXEC = "100755"
LINK = "120000"
GITLINK = "160000"

Entry = tuple[str, str] | None  # (mode, object id), or None to remove the path


@dataclass
class Verdict:
    """What `aireg validate --base` (or audit) said: exit code, problems, all the text."""

    code: int
    problems: list[dict[str, Any]]
    text: str

    def errors(self) -> list[dict[str, Any]]:
        return [p for p in self.problems if p.get("severity") == "error"]

    def names(self, file: str, commit: str | None = None) -> bool:
        """Whether an error names `file` (and, if given, the commit, by its short sha)."""
        for p in self.errors():
            if p.get("file") != file or not p.get("rule"):
                continue
            if commit is None or (p.get("commit") and commit.startswith(str(p["commit"]))):
                return True
        return False

    def show(self) -> str:
        return f"exit {self.code}\n{self.text}"


class Forge:
    """Plumbing on a helpers_git.Registry: objects, trees and commits as an attacker makes
    them, never through aireg or porcelain that would refuse."""

    def __init__(self, reg: Registry) -> None:
        self.reg = reg
        self.root = reg.root

    def git(self, *args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> str:
        return run_git(self.root, *args, env=env, stdin=stdin)

    def blob(self, data: str | bytes | dict[str, Any]) -> str:
        if isinstance(data, dict):
            data = dump(data)
        raw = data.encode("utf-8") if isinstance(data, str) else data
        with tempfile.NamedTemporaryFile(delete=False) as fh:
            fh.write(raw)
            name = fh.name
        try:
            return self.git("hash-object", "-w", name).strip()
        finally:
            os.unlink(name)

    def file(self, data: str | bytes | dict[str, Any], mode: str = FILE) -> tuple[str, str]:
        return (mode, self.blob(data))

    def tree(self, parent: str | None, changes: dict[str, Entry]) -> str:
        """The tree of commit `parent` (None: empty) with `changes` applied."""
        with tempfile.TemporaryDirectory() as tmp:
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            if parent:
                self.git("read-tree", parent, env=env)
            else:
                self.git("read-tree", "--empty", env=env)
            for path, entry in changes.items():
                if entry is None:
                    self.git("update-index", "--force-remove", "--", path, env=env)
            for path, entry in changes.items():
                if entry is not None:
                    self.git("update-index", "--add", "--replace", "--cacheinfo",
                             f"{entry[0]},{entry[1]},{path}", env=env)
            return self.git("write-tree", env=env).strip()

    def commit(self, tree: str, parents: list[str], who: str, message: str,
               when: datetime | None = None, committer: str | None = None) -> str:
        when = when or self.reg.tick()
        args = ["commit-tree", tree]
        for p in parents:
            args += ["-p", p]
        return self.git(*args, env=person_env(who, when, committer), stdin=message).strip()

    def change(self, parent: str, changes: dict[str, Entry], who: str, message: str,
               when: datetime | None = None) -> str:
        """One commit on `parent` with `changes`."""
        return self.commit(self.tree(parent, changes), [parent], who, message, when)

    def move(self, sha: str, ref: str = "refs/heads/main") -> str:
        """Point the branch (and the working tree, which validate reads too) at `sha`."""
        self.git("update-ref", ref, sha)
        self.git("reset", "-q", "--hard", sha)
        return sha

    def entry(self, rev: str, path: str) -> tuple[str, str] | None:
        out = self.git("ls-tree", rev, "--", path).strip()
        if not out:
            return None
        meta, _ = out.split("\t", 1)
        mode, _kind, oid = meta.split()
        return (mode, oid)


def cli(root: Path, *args: str, as_: str = "admin@acme.example") -> Verdict:
    """Run the real CLI in the registry; JSON problems when it printed them."""
    env = {"GIT_CONFIG_COUNT": "2", "GIT_CONFIG_KEY_0": "user.email", "GIT_CONFIG_VALUE_0": as_,
           "GIT_CONFIG_KEY_1": "user.name", "GIT_CONFIG_VALUE_1": "X"}
    result = CliRunner().invoke(app, ["--registry", str(root), *args], env=env)
    out = result.stdout or ""
    problems: list[dict[str, Any]] = []
    try:
        data = json.loads(out) if out.strip().startswith("{") else None
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("problems"), list):
        problems = data["problems"]
    return Verdict(result.exit_code, problems, result.output)  # stdout and stderr


def validate(root: Path, base: str) -> Verdict:
    v = cli(root, "validate", "--base", base, "--format", "json")
    log = os.environ.get("AIREG_FORGE_REFLOG")
    if log:  # a side check: what the reference judge says of the same range
        import refjudge

        b = run_git(root, "rev-parse", base).strip()
        h = run_git(root, "rev-parse", "HEAD").strip()
        ref = refjudge.judge(root, b, h).problems
        with open(log, "a") as fh:
            test = os.environ.get("PYTEST_CURRENT_TEST", "?").split(" ")[0]
            fh.write(json.dumps({"test": test, "exit": v.code, "ref": sorted(
                [c[:12] if c else None, p, k] for c, p, k in ref)}) + "\n")
    return v


def audit(root: Path) -> Verdict:
    return cli(root, "audit", "--format", "json")
