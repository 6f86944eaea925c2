"""Helpers shared by the fault and concurrency tests: a prepared registry and real processes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness import ADMIN, ANA, CTO, LES, acting_as, git, init_acme

__all__ = ["ADMIN", "ANA", "CTO", "LES", "git"]
TODAY = "2026-12-01"
ANSWERS = ("--answer", "data-classes=yes", "--answer", "training=yes")
PURPOSE = ("--problem", "Summaries take three hours.", "--goal", "A draft the writer edits.",
           "--criterion", "Draft within ten minutes", "--with", ANA)
USERS = ("--group", "content writers", "--count", "6", "--need", "speaker labels")
PILOT = ("--start", "2026-11-03", "--end", "2026-11-14", "--participant", ANA, "--data",
         "public", "--result", "passed", "--findings", "Labels wrong in 1 of 12.",
         "--security-data", "internal", "--no-trains-on-our-data", "--retention", "30 days",
         "--sso", "--no-integrations")

IMPORT_CSV = "Product,Dept\nAlpha Writer,Marketing\nBeta Sheets,Sales\nGamma Notes,Marketing\n"
IMPORT_MAP = ("name: Product\ndepartment:\n  column: Dept\n"
              "  values: {Marketing: marketing, Sales: sales}\nstage: {value: purpose}\n")


def env_as(email: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a real `aireg` process acting as `email` on the test's fixed day."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_CONFIG_KEY")}
    env.update(acting_as(email))
    env.update({
        "AIREG_TODAY": TODAY, "NO_COLOR": "1", "COLUMNS": "200",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    env.update(extra or {})
    return env


def aireg_cmd(root: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "aireg", "--registry", str(root), *args]


def run(root: Path, *args: str, as_: str = ADMIN, timeout: float = 60,
        extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run aireg as a real process, in the registry's parent folder (where the CSVs live)."""
    return subprocess.run(aireg_cmd(root, *args), cwd=root.parent, env=env_as(as_, extra_env),
                          capture_output=True, text=True, timeout=timeout)


def ok(root: Path, *args: str, as_: str = ADMIN) -> subprocess.CompletedProcess[str]:
    res = run(root, *args, as_=as_)
    assert res.returncode == 0, f"aireg {' '.join(args)}: {res.stdout}{res.stderr}"
    return res


def build_base(where: Path) -> Path:
    """A registry with a tool waiting in each step the fault tests interrupt.

    adv: purpose complete (advance moves it to users); rev: waiting for the CTO in security;
    mea: approved, in impact; other: active, for commands on a different tool; plus an
    inventory CSV and its map beside the registry for `aireg import`.
    """
    root = init_acme(where / "acme")

    def walk(tool: str, name: str, upto: str) -> None:
        ok(root, "propose", "--id", tool, "--name", name, "--department", "marketing",
           *PURPOSE, "--no-input", as_=LES)
        if upto == "purpose":
            return
        ok(root, "advance", tool, "--no-input", as_=LES)
        ok(root, "advance", tool, *USERS, "--no-input", as_=LES)
        ok(root, "advance", tool, *PILOT, "--no-input", as_=LES)
        if upto == "security":
            return
        ok(root, "review", "--security", tool, "--approve", *ANSWERS, "--no-input", as_=CTO)
        if upto == "impact":
            return
        ok(root, "measure", tool, "--metric", "hours", "--baseline", "3", "--current", "1",
           "--unit", "hours", "--no-input", as_=LES)
        ok(root, "advance", tool, "--no-input", as_=LES)

    walk("adv", "Adv Tool", "purpose")
    walk("rev", "Rev Tool", "security")
    walk("mea", "Mea Tool", "impact")
    walk("other", "Other Tool", "active")
    (where / "inv.csv").write_text(IMPORT_CSV)
    (where / "map.yaml").write_text(IMPORT_MAP)
    assert git(root, "status", "--porcelain") == ""
    return root


def copy_base(base: Path, dest: Path) -> Path:
    """A private copy of the base registry (and its CSV) for one experiment."""
    shutil.copytree(base.parent, dest, symlinks=True)
    return dest / base.name


@dataclass
class Snapshot:
    """What a registry holds: the branch's commit and the bytes of every record and config."""

    head: str
    files: dict[str, bytes] = field(default_factory=dict)


def snapshot(root: Path) -> Snapshot:
    head = git(root, "rev-parse", "HEAD").strip()
    files = {}
    for path in [*sorted((root / "tools").glob("*.yaml")), root / "aireg.yaml"]:
        files[path.relative_to(root).as_posix()] = path.read_bytes()
    return Snapshot(head, files)


def group_alive(pgid: int) -> bool:
    """Whether any process of the group is still running (zombies do not count)."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        return True
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 2 and fields[0] != "Z" and int(fields[2]) == pgid:
            return True
    return False


def wait_group(pgid: int, timeout: float = 20) -> None:
    """Wait until every process of the group (aireg's orphaned git children too) has ended."""
    deadline = time.monotonic() + timeout
    while group_alive(pgid):
        if time.monotonic() > deadline:
            raise AssertionError(f"processes of group {pgid} still running after {timeout} s")
        time.sleep(0.005)


def lock_files(root: Path) -> list[str]:
    """Lock files of git's (and aireg's) under .git, as registry-relative paths."""
    gitdir = root / ".git"
    return sorted(p.relative_to(root).as_posix() for p in gitdir.rglob("*.lock"))
