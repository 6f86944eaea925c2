"""Faults: SIGKILL at random moments, Ctrl-C at prompts, and file-system trouble.

The kill test runs aireg as a real process and kills it (SIGKILL, no hooks in aireg) at a
random moment, then checks that the registry is whole and that running the command again
finishes the job. AIREG_FAULT_KILLS sets how many kills each command gets (default 25: 125
kills in about 70 s on two cores; 100 for an on-demand run of 500); AIREG_FAULT_SEED
replays a run.
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
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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

# Every test here runs real aireg processes against copies of a prepared registry.
pytestmark = pytest.mark.slow

KILLS = int(os.environ.get("AIREG_FAULT_KILLS", "25"))
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
        # A test run started in the background (as CI may start it) inherits SIGINT
        # ignored, and exec keeps it ignored: restore the terminal's Ctrl-C for aireg.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
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
    status = wait_or_kill(pid, 15)
    os.close(fd)
    if status is None:
        raise AssertionError(f"aireg {' '.join(args)} did not end within 15 s of the last "
                             f"key (Ctrl-C never reached it?); the terminal showed:\n"
                             f"{out.decode('utf-8', 'replace')}")
    return status, out.decode("utf-8", "replace")


def wait_or_kill(pid: int, seconds: float) -> int | None:
    """The child's wait status, or None after killing it when it has not ended in time:
    a hang fails the test in seconds, naming itself, instead of blocking the run."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None


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


# -- file-system trouble --------------------------------------------------------------------

MEASURE = ("measure", "mea", "--metric", "hours per summary", "--baseline", "3", "--current",
           "1", "--unit", "hours", "--date", "2026-11-30", "--no-input")
WRITERS = {
    "measure": (MEASURE, LES),
    "propose": (CASES["propose"].args, LES),
    "advance": (CASES["advance"].args, LES),
    "review": (CASES["review"].args, CTO),
    "import": (CASES["import"].args, ADMIN),
}
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.fixture
def open_copy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], Path]]:
    """Copies of the base registry another user can read: under a fresh 0755 folder, since
    pytest's own temporary folders are private to us; removed afterwards."""
    import shutil
    import tempfile

    made: list[Path] = []

    def make() -> Path:
        where = Path(tempfile.mkdtemp(prefix="aireg-fs-"))
        made.append(where)
        return _open_copy(base_registry(tmp_path_factory), where)

    yield make
    for where in made:
        chmod_tree(where, write=True)
        shutil.rmtree(where, ignore_errors=True)


def _open_copy(base: Path, where: Path) -> Path:
    where.chmod(0o755)
    root = copy_base(base, where / "copy")
    for path in [where, *where.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | 0o555 if path.is_dir() else
                       path.stat().st_mode | 0o444)
    gitconfig = where / "gitconfig"
    gitconfig.write_text("[safe]\n\tdirectory = *\n")
    gitconfig.chmod(0o644)
    return root


def as_other_user(root: Path, args: tuple[str, ...], as_: str
                  ) -> subprocess.CompletedProcess[str]:
    """aireg run by a user without rights on the registry: ourselves when not root, else
    `nobody` (root ignores file permissions, so a chmod alone would prove nothing)."""
    env = env_as(as_, {"HOME": str(root.parent.parent),
                       "GIT_CONFIG_GLOBAL": str(root.parent.parent / "gitconfig")})
    prefix = NOBODY if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *aireg_cmd(root, *args)], cwd=root.parent, env=env,
                          capture_output=True, text=True, timeout=60)


def need_other_user() -> None:
    import shutil

    if os.geteuid() == 0 and not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: permissions cannot be taken away")


def chmod_tree(path: Path, write: bool) -> None:
    for p in [path, *path.rglob("*")]:
        if not p.is_symlink():
            mode = p.stat().st_mode
            p.chmod(mode | 0o200 if write else mode & ~0o222)


def assert_nothing_written(root: Path, before: Snapshot) -> None:
    assert snapshot(root) == before, "the registry changed"
    status = git(root, "status", "--porcelain", "--untracked-files=all", "--ignored")
    assert status == "", f"left behind:\n{status}"
    fsck = subprocess.run(["git", "-C", str(root), "fsck", "--no-dangling"],
                          capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stderr


def assert_env_error(res: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit 3 and one sentence on stderr naming what is wrong (no traceback)."""
    err = res.stderr.strip()
    assert res.returncode == 3, res.stdout + res.stderr
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert err.startswith("aireg: ") and err.endswith("."), err
    for word in words:
        assert word in err, err


@pytest.mark.parametrize("name", list(WRITERS))
def test_read_only_registry(name: str, open_copy: Callable[[], Path]) -> None:
    # A registry nobody may write (chmod -R a-w): every changing command says which file
    # cannot be written and why, exit 3, nothing written; reading still works.
    need_other_user()
    root = open_copy()
    before = snapshot(root)
    chmod_tree(root.parent, write=False)
    try:
        args, as_ = WRITERS[name]
        res = as_other_user(root, args, as_)
        assert_env_error(res, "cannot be written", "Permission denied", "Nothing was changed")
        for reader in (("list",), ("show", "mea"), ("validate",)):
            assert as_other_user(root, reader, LES).returncode in (0, 1)
    finally:
        chmod_tree(root.parent, write=True)
    assert_nothing_written(root, before)


def test_read_only_file_system(tmp_path_factory: pytest.TempPathFactory) -> None:
    # The registry on a read-only mount (a read-only bind in a private mount namespace):
    # "Read-only file system", exit 3, nothing written.
    import shutil

    root = copy_base(base_registry(tmp_path_factory), tmp_path_factory.mktemp("rofs") / "c")
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True) \
        if shutil.which("unshare") else None
    if os.geteuid() != 0 or probe is None or probe.returncode != 0:
        pytest.skip("mounting needs root and unshare -m; test_read_only_registry covers "
                    "the same refusal through permissions")
    before = snapshot(root)
    script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
    res = subprocess.run(["unshare", "-m", "sh", "-c", script, str(root),
                          *aireg_cmd(root, *MEASURE)], cwd=root.parent, env=env_as(LES),
                         capture_output=True, text=True, timeout=60)
    assert_env_error(res, "tools/mea.yaml cannot be written", "Read-only file system")
    assert_nothing_written(root, before)


def test_read_only_git_directory(open_copy: Callable[[], Path]) -> None:
    # Records writable but .git not: git cannot store the commit; exit 3 naming the
    # permissions to check, the records untouched, no temporary file left.
    need_other_user()
    root = open_copy()
    before = snapshot(root)
    chmod_tree(root.parent, write=False)
    for p in (root.parent.parent, root.parent, root, root / "tools", root / "tools/mea.yaml"):
        p.chmod(p.stat().st_mode | 0o222)
    try:
        res = as_other_user(root, MEASURE, LES)
    finally:
        chmod_tree(root.parent, write=True)
    assert_env_error(res, "git cannot write", "permissions")
    assert_nothing_written(root, before)


@pytest.mark.parametrize("what", ["record", "tools"])
def test_permission_denied_reading(what: str, open_copy: Callable[[], Path]) -> None:
    # A record (or tools/) the user may not read: show, measure and validate say which
    # file cannot be read and why, exit 3; nothing written.
    need_other_user()
    root = open_copy()
    before = snapshot(root)
    target = root / "tools/mea.yaml" if what == "record" else root / "tools"
    mode = target.stat().st_mode
    target.chmod(0)
    try:
        for args in (("show", "mea"), MEASURE, ("validate",)):
            res = as_other_user(root, args, LES)
            assert res.returncode == 3, (args, res.stdout + res.stderr)
            assert "Traceback" not in res.stderr, res.stderr
            assert "cannot be read (Permission denied)" in res.stdout + res.stderr
    finally:
        target.chmod(mode)
    assert_nothing_written(root, before)


def test_registry_folder_aireg_may_not_enter(open_copy: Callable[[], Path]) -> None:
    # --registry naming a folder inside one the user may not enter: one sentence, exit 3.
    need_other_user()
    root = open_copy()
    root.parent.chmod(0o700 if os.geteuid() == 0 else 0)
    try:
        res = as_other_user(root, ("list",), LES)
    finally:
        root.parent.chmod(0o755)
    assert_env_error(res, "cannot be read (Permission denied)")


def test_tools_is_a_file(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    # tools/ replaced by a file: every command says tools/ cannot be read, exit 3.
    root = copy_base(base_registry(tmp_path_factory), tmp_path / "c")
    git(root, "rm", "-rq", "--cached", "tools")
    for p in (root / "tools").iterdir():
        p.unlink()
    (root / "tools").rmdir()
    (root / "tools").write_text("not a folder\n")
    for args, as_ in ((MEASURE, LES), (("list",), LES), (CASES["propose"].args, LES),
                      (("validate",), LES)):
        res = run(root, *args, as_=as_)
        assert_env_error(res, "tools/ cannot be read (Not a directory)")


def test_stale_git_ref_lock(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    # A lock a killed git left on the branch: the command names the file and says to
    # remove it, exit 3, nothing written; once removed, the command goes through.
    root = copy_base(base_registry(tmp_path_factory), tmp_path / "c")
    lock = root / ".git/refs/heads/main.lock"
    lock.write_text("")
    before = snapshot(root)
    res = run(root, *MEASURE, as_=LES)
    assert_env_error(res, ".git/refs/heads/main.lock", "remove")
    lock.unlink()
    assert_nothing_written(root, before)
    assert run(root, *MEASURE, as_=LES).returncode == 0


def test_file_vanishes_while_validate_reads(tmp_path: Path,
                                            tmp_path_factory: pytest.TempPathFactory) -> None:
    # Records deleted while validate reads the registry: it says which file vanished and
    # to run it again, exit 3, never a traceback.
    root = copy_base(base_registry(tmp_path_factory), tmp_path / "c")
    text = (root / "tools/adv.yaml").read_text()
    names = [f"bulk-{i:03d}" for i in range(300)]
    for name in names:
        (root / f"tools/{name}.yaml").write_text(text.replace("id: adv", f"id: {name}"))
    def fill() -> None:
        for name in names:
            (root / f"tools/{name}.yaml").write_text(text.replace("id: adv", f"id: {name}"))

    fill()
    started = time.monotonic()
    assert run(root, "validate", as_=LES).returncode == 0
    whole = time.monotonic() - started
    seen: Counter[int] = Counter()
    for attempt in range(12):
        fill()
        proc = subprocess.Popen(aireg_cmd(root, "validate"), cwd=root.parent,
                                env=env_as(LES), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        # Late in the run, when the files are listed and being read (0.5 to 0.95 of it).
        time.sleep(whole * (0.5 + 0.45 * ((attempt * 7) % 12) / 11))
        for name in reversed(names):  # validate reads in name order: take the last first
            (root / f"tools/{name}.yaml").unlink()
        out, err = proc.communicate(timeout=120)
        assert "Traceback" not in out + err, out + err
        seen[proc.returncode] += 1
        if proc.returncode == 3:
            assert "vanished while aireg was reading the registry; run the command again" \
                in out + err, out + err
            break
        assert proc.returncode == 0, out + err
    assert seen[3] == 1, f"no file vanished mid-read in {attempt + 1} tries: {dict(seen)}"


def full_disk_run(root: Path, free: int, args: tuple[str, ...], as_: str) -> dict[str, Any]:
    """Run aireg on a copy of `root` in a small tmpfs with `free` bytes left (a private mount
    namespace, so the mount is seen by nothing else), and report what happened there."""
    import json
    import sys

    script = r'''
import json, os, shutil, subprocess, sys
src, mnt, free = sys.argv[1], sys.argv[2], int(sys.argv[3])
env, args = json.loads(sys.argv[4]), json.loads(sys.argv[5])
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mnt], check=True)
shutil.copytree(os.path.dirname(src), mnt + "/r", symlinks=True)
root = mnt + "/r/" + os.path.basename(src)
args = [root if a == "ROOT" else a for a in args]
def state():
    g = lambda *a: subprocess.run(["git", "-C", root, *a], capture_output=True, text=True)
    files = {}
    for d in (root + "/tools", root):
        for n in sorted(os.listdir(d)):
            p = os.path.join(d, n)
            if os.path.isfile(p):
                files[os.path.relpath(p, root)] = open(p, "rb").read().hex()
    return {"head": g("rev-parse", "HEAD").stdout.strip(), "files": files,
            "status": g("status", "--porcelain", "--untracked-files=all").stdout,
            "fsck": g("fsck", "--no-dangling").returncode}
before = state()
fd = os.open(mnt + "/filler", os.O_WRONLY | os.O_CREAT)
try:
    while True:
        os.write(fd, b"\0" * 4096)
except OSError:
    os.close(fd)
os.truncate(mnt + "/filler", max(0, os.path.getsize(mnt + "/filler") - free))
res = subprocess.run(args, cwd=os.path.dirname(root), env=env, capture_output=True, text=True)
os.unlink(mnt + "/filler")
print(json.dumps({"code": res.returncode, "out": res.stdout, "err": res.stderr,
                  "before": before, "after": state()}))
'''
    mnt = root.parent.with_name(root.parent.name + "-mnt")
    mnt.mkdir()
    env = env_as(as_)
    cmd = [sys.executable, "-m", "aireg", "--registry", "ROOT", *args]
    res = subprocess.run(["unshare", "-m", sys.executable, "-c", script, str(root), str(mnt),
                          str(free), json.dumps(env), json.dumps(cmd)],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    return dict(json.loads(res.stdout))


def test_full_disk(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    # A disk that fills up at every point of a command (a tmpfs with 0 bytes to 40 KB
    # free): each run either succeeds whole, or says the disk is full, exit 3, and leaves
    # the registry exactly as it was (no commit, no record, no temporary file).
    import shutil

    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True) \
        if shutil.which("unshare") else None
    if os.geteuid() != 0 or probe is None or probe.returncode != 0:
        pytest.skip("a small tmpfs needs root and unshare -m; test_file_size_limit covers "
                    "a write that fails for lack of room")
    base = base_registry(tmp_path_factory)
    outcomes: Counter[str] = Counter()
    for name in ("measure", "import"):
        args, as_ = WRITERS[name]
        for free in range(0, 40 * 1024 + 1, 4096):
            root = copy_base(base, tmp_path / f"{name}-{free}")
            got = full_disk_run(root, free, args, as_)
            err = got["err"].replace(str(root), "ROOT")
            assert "Traceback" not in err, err
            assert got["after"]["fsck"] == 0
            if got["code"] == 0:
                outcomes["ok"] += 1
                assert got["after"]["status"] == "", got["after"]["status"]
                continue
            outcomes["disk full"] += 1
            assert got["code"] == 3, err
            assert any(w in err for w in ("No space left on device", "disk is full",
                                          "disk may be full")), err
            assert len(err.strip().splitlines()) == 1, err
            assert got["after"] == got["before"], f"{name} with {free} bytes free wrote: {err}"
    print(f"\nfull disk: {dict(outcomes)}")
    assert outcomes["disk full"] > 0 and outcomes["ok"] > 0


def test_file_size_limit(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    # A write that fails for lack of room, without privileges: RLIMIT_FSIZE below a
    # record's size (SIGXFSZ ignored, so write() fails with EFBIG): exit 3, nothing written.
    import sys

    root = copy_base(base_registry(tmp_path_factory), tmp_path / "c")
    before = snapshot(root)
    limit = ("import os, resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN);"
             "resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200));"
             "os.execv(sys.executable, [sys.executable, '-m', 'aireg', *sys.argv[1:]])")
    res = subprocess.run([sys.executable, "-c", limit, "--registry", str(root), *MEASURE],
                         cwd=root.parent, env=env_as(LES), capture_output=True, text=True,
                         timeout=60)
    assert_env_error(res, "tools/mea.yaml cannot be written (File too large)",
                     "Nothing was changed")
    assert_nothing_written(root, before)
