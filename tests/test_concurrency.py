"""Two commands at once in one registry: both changes survive, or one says to run it again.

Each pair runs two real aireg processes (or aireg and a plain git) on a private copy of a
prepared registry, started together with a random offset, then checks every commit they
made against the record it holds. AIREG_CONCURRENT_PAIRS sets how many pairs of each kind
run (default 4; there are nine kinds).
"""

from __future__ import annotations

import os
import random
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import git
from faultkit import (
    ANSWERS,
    CTO,
    LES,
    PURPOSE,
    aireg_cmd,
    build_base,
    copy_base,
    env_as,
    lock_files,
)

# Real processes racing each other: seconds per case by design.
pytestmark = pytest.mark.slow

PAIRS = int(os.environ.get("AIREG_CONCURRENT_PAIRS", "4"))
SEED = int(os.environ.get("AIREG_CONCURRENT_SEED", str(random.randrange(1 << 30))))
WORKERS = min(3, 2 * (os.cpu_count() or 1))
# The longest pause between a colleague's commits in test_aireg_beside_plain_git.
PAUSE = float(os.environ.get("AIREG_CONCURRENT_GIT_PAUSE", "0.1"))


@dataclass(frozen=True)
class Cmd:
    """One command of a pair, and how to see its change in a record."""

    args: tuple[str, ...]
    as_: str
    tool: str
    # Whether a record holds this command's change.
    shows: Callable[[dict[str, Any]], bool]
    # The top-level keys of the record this command may change.
    keys: frozenset[str]
    # Whether its change stays visible after later commands (a stage does not).
    lasting: bool = True


def measure(tool: str, metric: str) -> Cmd:
    return Cmd(("measure", tool, "--metric", metric, "--baseline", "3", "--current", "1",
                "--unit", "hours", "--date", "2026-11-30", "--no-input"), LES, tool,
               lambda r: any(m.get("metric") == metric for m in r.get("impact") or []),
               frozenset({"impact"}))


def propose(tool: str) -> Cmd:
    return Cmd(("propose", "--id", tool, "--name", tool.title(), "--department", "marketing",
                *PURPOSE, "--no-input"), LES, tool, lambda r: r.get("id") == tool,
               frozenset())


REVIEW = Cmd(("review", "--security", "rev", "--approve", *ANSWERS, "--no-input"), CTO, "rev",
             lambda r: (r.get("security") or {}).get("review", {}).get("decision") == "approved",
             frozenset({"security", "stage"}))
ADVANCE = Cmd(("advance", "adv", "--no-input"), LES, "adv", lambda r: r.get("stage") == "users",
              frozenset({"stage"}), lasting=False)
REASSESS = Cmd(("reassess", "other", "--outcome", "keep", "--alternative", "Fireflies.ai",
                "--no-input"), LES, "other",
               lambda r: any(x.get("outcome") == "keep" for x in r.get("reassessments") or []),
               frozenset({"reassessments"}))
WITHDRAW = Cmd(("withdraw", "adv", "--reason", "Found a better one.", "--no-input"), LES, "adv",
               lambda r: r.get("stage") == "rejected", frozenset({"stage", "rejected"}))

KINDS: dict[str, tuple[Cmd, Cmd]] = {
    # The owner measures while the CTO reviews another tool.
    "measure+review": (measure("mea", "minutes saved"), REVIEW),
    "propose+propose": (propose("alpha"), propose("beta")),
    "advance+reassess": (ADVANCE, REASSESS),
    # Two commands on the same tool.
    "same-tool measures": (measure("other", "hours saved"), measure("other", "tickets closed")),
    "same-tool measure+reassess": (measure("other", "hours saved"), REASSESS),
    "same-tool advance+withdraw": (ADVANCE, WITHDRAW),
    "same-id proposals": (propose("gamma"), propose("gamma")),
}
# And aireg while a plain git works in the same repository (an editor's `git status`, a
# person committing something else): those kinds are built in test_aireg_beside_plain_git.

_BASE: dict[str, Path] = {}
_LOCK = threading.Lock()


def base_registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with _LOCK:
        if "root" not in _BASE:
            _BASE["root"] = build_base(tmp_path_factory.mktemp("concbase"))
        return _BASE["root"]


def start(root: Path, cmd: Cmd) -> subprocess.Popen[str]:
    return subprocess.Popen(aireg_cmd(root, *cmd.args), cwd=root.parent, env=env_as(cmd.as_),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def record_at(root: Path, rev: str, tool: str) -> dict[str, Any] | None:
    from aireg import yamlio

    res = subprocess.run(["git", "-C", str(root), "cat-file", "blob", f"{rev}:tools/{tool}.yaml"],
                         capture_output=True)
    return yamlio.load(res.stdout, tool) if res.returncode == 0 else None


def check_commits(root: Path, base_head: str, done: list[Cmd]) -> None:
    """Each new commit changes one record, named in its trailers, by its command's change."""
    from aireg import yamlio

    commits = git(root, "rev-list", "--reverse", f"{base_head}..HEAD").split()
    aireg_commits = [c for c in commits
                     if git(root, "log", "-1", "--format=%s", c).startswith("aireg: ")]
    assert len(aireg_commits) == len(done), (len(aireg_commits), [c.args for c in done])
    for commit in aireg_commits:
        files = git(root, "diff-tree", "--no-commit-id", "--name-only", "-r", commit).split()
        tool = git(root, "log", "-1", "--format=%(trailers:key=Aireg-Tool,valueonly)",
                   commit).strip()
        assert files == [f"tools/{tool}.yaml"], (commit, files, tool)
        subject = git(root, "log", "-1", "--format=%s", commit)
        mine = [c for c in done if c.tool == tool and c.args[0] in subject]
        assert mine, f"{commit} ({subject.strip()}) was made by none of {done}"
        after = record_at(root, commit, tool)
        before = record_at(root, f"{commit}^", tool)
        assert after is not None
        if before is None:
            continue  # a proposal: a new record
        changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
        assert any(c.shows(after) and changed <= c.keys for c in mine), (
            f"{commit} ({subject.strip()}) changes {sorted(changed)} of {tool}")
    # The working tree holds what HEAD holds, and both hold every change that succeeded.
    for cmd in done:
        head = record_at(root, "HEAD", cmd.tool)
        assert head is not None
        assert cmd.shows(head) or not cmd.lasting, f"{cmd.args} is lost from HEAD"
        tree = yamlio.load((root / f"tools/{cmd.tool}.yaml").read_bytes(), cmd.tool)
        assert tree == head


def run_pair(base: Path, kind: str, where: Path, rng: random.Random) -> tuple[str, ...]:
    """Start both commands, the second after a random moment; check what they did."""
    from aireg import validate
    from aireg.repo import Registry

    first, second = KINDS[kind]
    root = copy_base(base, where)
    head = git(root, "rev-parse", "HEAD").strip()
    a = start(root, first)
    time.sleep(rng.uniform(0, 0.5))
    b = start(root, second)
    results = [(cmd, *p.communicate(timeout=120), p.returncode)
               for cmd, p in ((first, a), (second, b))]
    done, tags = [], []
    for cmd, out, err, code in results:
        text = out + err
        assert "Traceback" not in text, text
        if code == 0:
            done.append(cmd)
            tags.append("ok")
        elif code == 3:
            # The only acceptable failure of a race: exit 3 and the advice to retry.
            assert "run the command again" in err, err
            tags.append("retry")
        else:
            # A same-tool pair may find the first change already made (a proposal exists,
            # a withdrawn tool cannot advance): a refusal by a rule, not a race.
            assert kind.startswith("same"), f"{cmd.args}: exit {code}: {text}"
            tags.append(f"refused-{code}")
    if not kind.startswith("same"):
        assert tags == ["ok", "ok"], (kind, results)
    if kind == "same-id proposals":
        assert tags.count("ok") == 1, results
    check_commits(root, head, done)
    assert git(root, "status", "--porcelain", "--untracked-files=all") == ""
    assert not lock_files(root)
    assert validate.check_working_tree(Registry(root), facts_lookup=False).ok
    return tuple(tags)


@pytest.mark.slow
def test_two_aireg_commands_at_once(tmp_path: Path,
                                    tmp_path_factory: pytest.TempPathFactory) -> None:
    # Pairs of aireg commands at once, on different tools and on the same tool: every
    # change that reports success is in its own commit and in the record; a loser exits 3
    # and says to run it again; nothing is lost or mixed up.
    base = base_registry(tmp_path_factory)
    rng = random.Random(SEED)
    jobs = [(kind, i, rng.randrange(1 << 30)) for kind in KINDS for i in range(PAIRS)]

    def one(job: tuple[str, int, int]) -> tuple[str, tuple[str, ...]]:
        kind, i, seed = job
        try:
            return kind, run_pair(base, kind, tmp_path / f"{kind.replace(' ', '_')}-{i}",
                                  random.Random(seed))
        except AssertionError as exc:
            shown = " | ".join(str(exc).strip().splitlines()[:4])
            return kind, ("FAILED", f"{kind} #{i}: {shown}")

    with ThreadPoolExecutor(WORKERS) as pool:
        outcomes = list(pool.map(one, jobs))
    failures = [tags[1] for _, tags in outcomes if tags[0] == "FAILED"]
    tally = Counter(f"{k}: {'/'.join(t)}" for k, t in outcomes if t[0] != "FAILED")
    print(f"\n{len(jobs)} pairs, {len(failures)} failed; " + "; ".join(
        f"{k} x{n}" for k, n in sorted(tally.items())))
    assert not failures, f"AIREG_CONCURRENT_SEED={SEED}: " + "\n".join(failures)


def hammer(root: Path, what: str, stop: threading.Event, counts: Counter[str]) -> None:
    """Plain git in a loop: `git status` (an editor refreshing, taking index.lock for a
    moment) or commits of other work by a person at the same time."""
    n = 0
    while not stop.is_set():
        if what == "status":
            subprocess.run(["git", "-C", str(root), "status", "--porcelain"],
                           capture_output=True)
        else:
            n += 1
            (root / "notes.txt").write_text(f"note {n}\n")
            subprocess.run(["git", "-C", str(root), "add", "notes.txt"], capture_output=True)
            res = subprocess.run(["git", "-C", str(root), "commit", "-q", "-m", f"note {n}"],
                                 capture_output=True, env=env_as(LES))
            counts["git commits" if res.returncode == 0 else "git commits refused"] += 1
            time.sleep(random.uniform(0, PAUSE))  # a busy colleague, not a commit per 10 ms
        counts[what] += 1


@pytest.mark.slow
@pytest.mark.parametrize("what", ["status", "commit"])
def test_aireg_beside_plain_git(what: str, tmp_path: Path,
                                tmp_path_factory: pytest.TempPathFactory) -> None:
    # aireg commits while plain git works in the same repository: each aireg change is in
    # HEAD and the record (or aireg exits 3 saying to retry), and no git commit is lost.
    from aireg import yamlio

    base = base_registry(tmp_path_factory)
    tags: Counter[str] = Counter()
    for i in range(2 * PAIRS):
        root = copy_base(base, tmp_path / f"{what}-{i}")
        head = git(root, "rev-parse", "HEAD").strip()
        stop, counts = threading.Event(), Counter[str]()
        worker = threading.Thread(target=hammer, args=(root, what, stop, counts))
        worker.start()
        cmd = measure("other", f"metric {i}")
        proc = start(root, cmd)
        out, err = proc.communicate(timeout=120)
        time.sleep(0.05)
        stop.set()
        worker.join()
        assert "Traceback" not in out + err
        if proc.returncode == 3:
            assert "run the command again" in err or "git reset" in err, err
            tags["retry"] += 1
        else:
            assert proc.returncode == 0, out + err
            tags["ok"] += 1
            head_rec = record_at(root, "HEAD", "other")
            assert head_rec is not None and cmd.shows(head_rec), "the measurement is lost"
            tree = yamlio.load((root / "tools/other.yaml").read_bytes(), "other")
            assert tree == head_rec
        made = int(git(root, "rev-list", "--count", f"{head}..HEAD").strip())
        assert made == counts["git commits"] + (proc.returncode == 0), (made, counts)
        tags.update(counts)
    print(f"\naireg beside git {what}: {dict(tags)}")


def test_waits_for_another_aireg_then_says_to_retry(tmp_path: Path,
                                                     tmp_path_factory: pytest.TempPathFactory
                                                     ) -> None:
    # While another aireg command holds the registry (its lock on .git), a command waits
    # AIREG_LOCK_TIMEOUT seconds, then exits 3 saying to run it again; nothing is written.
    import fcntl

    root = copy_base(base_registry(tmp_path_factory), tmp_path / "held")
    head = git(root, "rev-parse", "HEAD").strip()
    fd = os.open(root / ".git", os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        started = time.monotonic()
        proc = subprocess.run(aireg_cmd(root, *measure("mea", "waited").args), cwd=root.parent,
                              env=env_as(LES, {"AIREG_LOCK_TIMEOUT": "1"}),
                              capture_output=True, text=True, timeout=60)
        waited = time.monotonic() - started
    finally:
        os.close(fd)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "another aireg command" in proc.stderr and "run the command again" in proc.stderr
    assert waited >= 1
    assert git(root, "rev-parse", "HEAD").strip() == head
    assert git(root, "status", "--porcelain", "--untracked-files=all") == ""
    # Once the other command is done, the same command goes through.
    again = subprocess.run(aireg_cmd(root, *measure("mea", "waited").args), cwd=root.parent,
                           env=env_as(LES), capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stdout + again.stderr
