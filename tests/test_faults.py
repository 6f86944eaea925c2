"""Faults: SIGKILL at random moments, Ctrl-C at prompts, and file-system trouble.

The kill test runs aireg as a real process and kills it (SIGKILL, no hooks in aireg) at a
random moment, then checks that the registry is whole and that running the command again
finishes the job. AIREG_FAULT_KILLS sets how many kills each command gets (default 12, so
the five commands take about a minute); AIREG_FAULT_SEED replays a run.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import git
from faultkit import (
    ADMIN,
    ANSWERS,
    CTO,
    LES,
    PURPOSE,
    Snapshot,
    aireg_cmd,
    build_base,
    copy_base,
    env_as,
    lock_files,
    run,
    snapshot,
    wait_group,
)

KILLS = int(os.environ.get("AIREG_FAULT_KILLS", "12"))
SEED = int(os.environ.get("AIREG_FAULT_SEED", str(random.randrange(1 << 30))))
WORKERS = int(os.environ.get("AIREG_FAULT_WORKERS", str(min(4, 2 * (os.cpu_count() or 1)))))


@dataclass(frozen=True)
class Case:
    """One command the kill test interrupts, and what a second run says once it is done."""

    name: str
    args: tuple[str, ...]
    as_: str
    # A run after the change landed refuses (this exit code and text) instead of repeating it.
    again_code: int
    again_text: str


CASES = {
    "propose": Case("propose", ("propose", "--id", "newtool", "--name", "New Tool",
                                "--department", "marketing", *PURPOSE, "--no-input"), LES,
                    2, "already exists"),
    "advance": Case("advance", ("advance", "adv", "--no-input"), LES,
                    1, "cannot leave users yet"),
    "review": Case("review", ("review", "--security", "rev", "--approve", *ANSWERS,
                              "--no-input"), CTO, 1, "only a tool waiting in security"),
    "measure": Case("measure", ("measure", "mea", "--metric", "minutes per summary",
                                "--baseline", "180", "--current", "20", "--unit", "minutes",
                                "--date", "2026-11-30", "--no-input"), LES,
                    1, "already records this measurement"),
    "import": Case("import", ("import", "inv.csv", "--map", "map.yaml"), ADMIN, 0, "skipped"),
}


@dataclass
class Expected:
    """An uninterrupted run: how long it took, the commit subject and the files it wrote."""

    seconds: float
    subject: str
    files: dict[str, bytes]


_BASE: dict[str, Path] = {}
_LOCK = threading.Lock()


def base_registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with _LOCK:
        if "root" not in _BASE:
            _BASE["root"] = build_base(tmp_path_factory.mktemp("faultbase"))
        return _BASE["root"]


def calibrate(base: Path, case: Case, where: Path) -> Expected:
    """Run the command once, uninterrupted, to learn its duration and what it writes."""
    times = []
    for i in range(2):
        root = copy_base(base, where / f"calibrate-{i}")
        start = time.monotonic()
        res = run(root, *case.args, as_=case.as_)
        times.append(time.monotonic() - start)
        assert res.returncode == 0, res.stdout + res.stderr
    subject = git(root, "log", "-1", "--format=%s").strip()
    names = git(root, "diff-tree", "--no-commit-id", "--name-only", "-r", "HEAD").split()
    return Expected(max(times), subject, {n: (root / n).read_bytes() for n in names})


def _parses(rel: str, data: bytes) -> None:
    from aireg import yamlio

    yamlio.load(data, rel)  # raises on a torn or garbled file


def _changed_files(root: Path, commit: str) -> list[str]:
    return git(root, "diff-tree", "--no-commit-id", "--name-only", "-r", commit).split()


def check_whole(root: Path, before: Snapshot, exp: Expected) -> bool:
    """The checks after a kill; returns whether the killed command's commit landed."""
    fsck = subprocess.run(["git", "-C", str(root), "fsck", "--no-dangling", "--no-progress"],
                          capture_output=True, text=True)
    assert fsck.returncode == 0, f"git fsck: {fsck.stdout}{fsck.stderr}"
    head = git(root, "rev-parse", "--verify", "refs/heads/main^{commit}").strip()
    landed = head != before.head
    if landed:
        # One whole commit on top of the old one, holding exactly the new records.
        assert git(root, "rev-parse", "HEAD^").strip() == before.head
        assert git(root, "log", "-1", "--format=%s", head).strip() == exp.subject
        assert sorted(_changed_files(root, head)) == sorted(exp.files)
        for rel, data in exp.files.items():
            blob = subprocess.run(["git", "-C", str(root), "cat-file", "blob", f"{head}:{rel}"],
                                  capture_output=True, check=True).stdout
            assert blob == data, f"{rel} in the new commit is not the new record"
    for rel, new in exp.files.items():
        path = root / rel
        old = before.files.get(rel)
        now = path.read_bytes() if path.exists() else None
        assert now in (old, new), f"{rel} is neither its old nor its new version:\n{now!r}"
        if now is not None:
            _parses(rel, now)
    status = subprocess.run(["git", "-C", str(root), "status", "--porcelain"],
                            capture_output=True, text=True)
    assert status.returncode == 0, f"git status fails after the kill: {status.stderr}"
    return landed


def rerun(root: Path, case: Case, landed: bool) -> list[str]:
    """Run the command again until it is done, doing only what its messages say to do."""
    notes = []
    for _ in range(4):
        res = run(root, *case.args, as_=case.as_)
        out = res.stdout + res.stderr
        assert "Traceback" not in out, out
        if res.returncode == 0 and not (landed and case.again_code != 0):
            return notes
        if landed and res.returncode == case.again_code and case.again_text in out:
            # The change is in: the second run says so instead of making it twice.
            notes.append("already-done")
            return notes
        assert res.returncode == 3, f"exit {res.returncode}: {out}"
        locks = lock_files(root)
        if locks:
            # The message must name the leftover lock and say to remove it.
            for lock in locks:
                assert Path(lock).name in out and "remove" in out, out
                (root / lock).unlink()
            notes.append("lock-explained")
            continue
        assert "interrupted" in out, out
        notes.append("finished-by-next")
        landed = True
    raise AssertionError(f"aireg {case.name} still fails after 4 runs: {out}")


def check_done(root: Path, before: Snapshot, exp: Expected) -> None:
    """After the re-run: exactly one commit, holding the new records; clean and valid."""
    from aireg import validate
    from aireg.repo import Registry

    assert git(root, "rev-list", "--count", f"{before.head}..HEAD").strip() == "1"
    head = git(root, "rev-parse", "HEAD").strip()
    assert git(root, "log", "-1", "--format=%s").strip() == exp.subject
    for rel, data in exp.files.items():
        assert (root / rel).read_bytes() == data, f"{rel} is not the new record"
        blob = subprocess.run(["git", "-C", str(root), "cat-file", "blob", f"{head}:{rel}"],
                              capture_output=True, check=True).stdout
        assert blob == data
    status = git(root, "status", "--porcelain", "--untracked-files=all")
    assert status == "", f"left behind:\n{status}"
    assert not lock_files(root)
    result = validate.check_working_tree(Registry(root), facts_lookup=False)
    assert result.ok, [p.message for p in result.errors]


def kill_once(base: Path, case: Case, exp: Expected, where: Path, rng: random.Random
              ) -> tuple[str, ...]:
    """One experiment: start the command, kill it at a random moment, check, re-run, check."""
    root = copy_base(base, where)
    before = snapshot(root)
    watch = [root / ".git", root / "tools"]
    listing = {p: set(os.listdir(p)) for p in watch}
    group = rng.random() < 0.5  # kill git's children too, or leave them orphaned
    # Where to kill: anywhere (a uniform delay mostly lands in Python's start-up), moments
    # after aireg starts writing (a new entry in tools/ or .git), or moments after git
    # starts making the commit (a new entry in .git): that is where a commit is half-made.
    # Or just after the branch moved: the commit is made, the working tree not yet updated.
    how = rng.choice(("uniform", "first-write", "git-write", "ref-moved", "ref-moved"))
    if how == "git-write":
        watch = [root / ".git"]
    ref = root / ".git/refs/heads/main"
    ref_before = ref.read_bytes()
    proc = subprocess.Popen(aireg_cmd(root, *case.args), cwd=root.parent,
                            env=env_as(case.as_), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    if how != "uniform":
        deadline = time.monotonic() + exp.seconds * 3
        while proc.poll() is None and time.monotonic() < deadline:
            if how == "ref-moved":
                with contextlib.suppress(OSError):
                    if ref.read_bytes() != ref_before:
                        break
            elif any(set(os.listdir(p)) != listing[p] for p in watch):
                break
            time.sleep(0.0005)
        time.sleep(rng.uniform(0, {"first-write": 0.08, "git-write": 0.03}.get(how, 0.015)))
    else:
        time.sleep(rng.uniform(0.2, 1.1) * exp.seconds)
    if proc.poll() is not None:
        wait_group(proc.pid)
        check_done(root, before, exp)
        return ("finished-before-kill",)
    try:
        if group:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            os.kill(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    code = proc.wait()
    wait_group(proc.pid)
    if code != -signal.SIGKILL:
        check_done(root, before, exp)
        return ("finished-before-kill",)
    landed = check_whole(root, before, exp)
    locks = bool(lock_files(root))
    notes = rerun(root, case, landed)
    check_done(root, before, exp)
    return ("killed", "landed" if landed else "not-landed", *(["locks-left"] if locks else []),
            *notes)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_sigkill_at_random_moments_leaves_old_or_new(
    name: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # Killed at any moment, a command leaves every record as its old or its new version, git
    # whole, no lock nobody explains, and a second run finishes the job exactly once.
    case = CASES[name]
    base = base_registry(tmp_path_factory)
    exp = calibrate(base, case, tmp_path)
    rng = random.Random(f"{SEED}-{name}")
    seeds = [rng.randrange(1 << 30) for _ in range(KILLS)]

    def one(i: int) -> tuple[str, ...]:
        try:
            return kill_once(base, case, exp, tmp_path / f"kill-{i}", random.Random(seeds[i]))
        except AssertionError as exc:
            shown = " | ".join(str(exc).strip().splitlines()[:4])
            return ("FAILED", f"kill {i}: {shown}")

    with ThreadPoolExecutor(WORKERS) as pool:
        outcomes = list(pool.map(one, range(KILLS)))
    failures = [tags[1] for tags in outcomes if tags[0] == "FAILED"]
    tally = Counter(tag for tags in outcomes if tags[0] != "FAILED" for tag in tags)
    print(f"\n{name}: {KILLS} runs, {tally['killed']} killed and survived, "
          f"{len(failures)} failed; {dict(sorted(tally.items()))}")
    assert not failures, f"AIREG_FAULT_SEED={SEED}: " + "\n".join(failures)
    assert tally["killed"] > 0


# -- Ctrl-C at a prompt ---------------------------------------------------------------------

PROMPTED = {
    # command, who, the answers to its prompts in order (Ctrl-C replaces one of them)
    "propose": (("propose", "--id", "typed"), LES,
                ["Typed Tool", "marketing", "A problem", "A goal"]),
    "advance": (("advance", "adv"), LES, ["content writers", "6", "speaker labels", ""]),
    "review": (("review", "--security", "rev"), CTO, ["yes", "yes", "approved"]),
    "measure": (("measure", "mea"), LES, ["minutes per summary", "180", "20", "minutes"]),
}


def drive_pty(root: Path, args: tuple[str, ...], as_: str, answers: list[str],
              interrupt_at: int) -> tuple[int, str]:
    """Run aireg on a terminal (a pty), answer its prompts and press Ctrl-C at one."""
    import pty
    import select

    env = env_as(as_)
    pid, fd = pty.fork()
    if pid == 0:  # the child: aireg with the pty as its controlling terminal
        os.chdir(root.parent)
        os.execve(aireg_cmd(root, *args)[0], aireg_cmd(root, *args), env)
    out = b""
    answered = 0
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
        if out.rstrip(b" ").endswith((b":", b"]", b")")) and out.endswith(b" "):
            # A person answers after the prompt is shown: a key pressed before the prompt's
            # read() starts would be a race of this test, not of aireg.
            time.sleep(0.15)
            if answered == interrupt_at:
                os.write(fd, b"\x03")  # Ctrl-C: the terminal sends SIGINT to aireg
                answered += 1
            elif answered < len(answers):
                os.write(fd, answers[answered].encode() + b"\r")
                answered += 1
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return status, out.decode("utf-8", "replace")


@pytest.mark.parametrize("name", list(PROMPTED))
def test_ctrl_c_at_any_prompt_writes_nothing(
    name: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # Ctrl-C at each prompt of a command stops it: no file, no commit, a clean git status.
    args, as_, answers = PROMPTED[name]
    base = base_registry(tmp_path_factory)
    for at in range(len(answers)):
        root = copy_base(base, tmp_path / f"at-{at}")
        if name == "advance":
            assert run(root, "advance", "adv", "--no-input", as_=LES).returncode == 0
        before = snapshot(root)
        status, out = drive_pty(root, args, as_, answers, at)
        assert "Traceback" not in out, out
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 130, (status, out)
        assert "interrupted; nothing was written" in out, out
        assert snapshot(root) == before, f"Ctrl-C at prompt {at} of {name} changed the registry"
        status_out = git(root, "status", "--porcelain", "--untracked-files=all")
        assert status_out == "", status_out
