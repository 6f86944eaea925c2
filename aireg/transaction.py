"""One change to the registry, all or nothing: commit first, then the files; a crash is finished.

How a change is made (`Session.commit`), and why in this order
    1. Under a lock on the repository (see `Session`), the files the change is computed from
       are checked to be as the command read them: otherwise another command changed them
       meanwhile, and nothing is written (exit 3, run it again).
    2. The new content goes to temporary files beside the records (`.<name>.aireg-*.tmp`),
       written whole and flushed to disk: a full disk or a read-only folder stops the change
       here, before anything the user sees has changed.
    3. The commit is built from those bytes (`git hash-object`, a private index,
       `commit-tree`), never from the records in the working tree. When a plain `git
       commit` lands first and leaves these files alone, it is built again on top of it.
    4. A journal, `.git/aireg-pending.json`, records the branch, its old and new commit and
       each file's old and new blob; then git's own `index.lock` is taken, holding a token
       the journal names, so that no plain `git commit` can start from the old index.
    5. The branch moves with a compare-and-swap (`git update-ref NEW OLD`). This is the one
       moment the change happens: before it, the registry is as it was; after it, the
       change is made, and what follows only brings the working tree up to date.
    6. Each temporary file is renamed over its record, the user's index is written for
       these paths and unlocked, and the journal is removed.

A process killed anywhere (SIGKILL, power loss) leaves either nothing changed but litter
(temporary files, a private index, aireg's index.lock: removed by the next command), or
the commit made and the journal telling the next aireg command how to finish step 6.
Every command finishes it as it finds the registry (`finish_interrupted`), so it reads
the records as committed and a re-run says the change is made ("already exists") rather
than making it twice. Ctrl-C and SIGTERM are held back from step 4 to the end of step 6,
so a polite stop never interrupts it.

The registry's lock is `flock` on the .git directory: the kernel releases it when its
process dies, however it dies, so it never outlives its holder; where flock is
unavailable, the compare-and-swap alone still guarantees that no commit is lost.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aireg.errors import EnvError
from aireg.gitrepo import Git, Identity

JOURNAL = "aireg-pending.json"
_ATTEMPTS = 5  # commits built again when plain git commits land first
TEMP_INFIX = ".aireg-"
# How long a command waits for another aireg command committing in the same registry.
LOCK_WAIT_ENV = "AIREG_LOCK_TIMEOUT"
LOCK_WAIT_DEFAULT = 20.0


@dataclass(frozen=True)
class Finished:
    """An interrupted change that `recover` completed."""

    commit: str
    subject: str
    rewritten: tuple[str, ...]  # records whose working-tree file had to be brought up to date

    def note(self) -> str:
        files = ", ".join(self.rewritten) or "git's index"
        return (f"aireg finished an interrupted earlier command: commit {self.commit[:12]} "
                f'("{self.subject}") was made, and aireg brought {files} up to date with it.')


# -- the lock ---------------------------------------------------------------------------------

@contextlib.contextmanager
def _locked(git_dir: Path, root: Path) -> Iterator[None]:
    """Hold the registry's lock: one aireg command changes a registry at a time."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: the compare-and-swap alone guards
        yield
        return
    try:
        fd = os.open(git_dir, os.O_RDONLY)
    except OSError:  # pragma: no cover - an unreadable .git fails later, with git's words
        yield
        return
    try:
        try:
            wait = float(os.environ.get(LOCK_WAIT_ENV, LOCK_WAIT_DEFAULT))
        except ValueError:
            wait = LOCK_WAIT_DEFAULT
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise EnvError(
                        f"{root}: another aireg command has been changing this registry for "
                        f"{wait:g} s; let it finish, then run the command again. Nothing was "
                        "written."
                    ) from None
                time.sleep(0.02)
            except OSError:  # pragma: no cover - a file system without flock (some NFS)
                break
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


@contextlib.contextmanager
def _signals_held() -> Iterator[list[int]]:
    """Hold back Ctrl-C and SIGTERM while the branch moves and the files follow it."""
    if threading.current_thread() is not threading.main_thread():
        yield []
        return
    got: list[int] = []

    def note(signum: int, _frame: Any) -> None:
        got.append(signum)

    held = (signal.SIGINT, signal.SIGTERM)
    old = {s: signal.signal(s, note) for s in held}
    try:
        yield got
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


# -- files --------------------------------------------------------------------------------

def _blob_id(data: bytes, like: str) -> str:
    """git's id for a blob with these bytes (sha1, or sha256 in a sha256 repository)."""
    algo = hashlib.sha256 if len(like) == 64 else hashlib.sha1
    return algo(b"blob %d\0" % len(data) + data).hexdigest()


def _read(path: Path, rel: str | None = None) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        return b"\0<a directory>"  # matches no blob: treated as changed by the user
    except OSError as exc:
        raise EnvError(f"{rel or path} cannot be read ({exc.strerror}); check its "
                       "permissions. Nothing was written.") from exc


def write_temp(path: Path, data: bytes, rel: str, sync: bool) -> Path:
    """The new content, whole and on disk, in a temporary file beside `path`."""
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)  # a new folder (init's .github/)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}{TEMP_INFIX}", suffix=".tmp",
                                   dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if sync:
                os.fsync(fh.fileno())
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
        os.chmod(tmp, mode)
        return Path(tmp)
    except OSError as exc:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        raise EnvError(f"{rel} cannot be written ({exc.strerror}); check that the folder is "
                       "writable and the disk is not full. Nothing was changed.") from exc


def _remove(paths: Sequence[Path]) -> None:
    for p in paths:
        with contextlib.suppress(OSError):
            p.unlink()


def _stale_temps(root: Path) -> list[Path]:
    out: list[Path] = []
    for folder in (root, root / "tools"):
        with contextlib.suppress(OSError):
            out.extend(p for p in folder.glob(f".*{TEMP_INFIX}*.tmp") if p.is_file())
    return out


def _write_journal(git_dir: Path, entry: Mapping[str, Any]) -> Path:
    path = git_dir / JOURNAL
    tmp = git_dir / (JOURNAL + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(entry, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


class _IndexLock:
    """git's own index lock, held from just before the branch moves until the index names
    the new blobs: a plain `git commit` starting in between would otherwise take the old
    index and commit the records back to their old content."""

    def __init__(self, git: Git, token: str) -> None:
        self.git, self.token = git, token
        self.path = git.git_dir / "index.lock"
        self.held = False

    def __enter__(self) -> _IndexLock:
        return self

    def take(self, wait: float = 1.0) -> None:
        """Create index.lock already holding the token (a hard link of a finished file is
        as exclusive as O_EXCL), so a kill never leaves a lock recovery cannot recognise."""
        if self.held:
            return
        fd, tmp = tempfile.mkstemp(prefix="aireg-index-lock-", dir=self.git.git_dir)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(self.token)
            deadline = time.monotonic() + wait
            while True:
                try:
                    self._create(tmp)
                    break
                except FileExistsError:
                    if time.monotonic() >= deadline:
                        raise self.git._error(("commit",), "index.lock") from None
                    time.sleep(0.01)
            self.held = True
        finally:
            _remove([Path(tmp)])

    def _create(self, tmp: str) -> None:
        try:
            os.link(tmp, self.path)
        except FileExistsError:
            raise
        except OSError:  # no hard links here (some network or FAT file systems)
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(self.token)

    def stage(self, paths: Sequence[str], commit: str) -> None:
        """Write the index with `paths` as they now are in the working tree (under the lock,
        into a copy that then replaces the index, as git itself does)."""
        index = self.git.git_dir / "index"
        with self.git.private_index(copy_of=index) as env:
            if not index.exists():
                self.git.run("read-tree", commit, env=env)
            self.git.run("update-index", "--add", "--remove", "--", *paths, env=env)
            os.replace(env["GIT_INDEX_FILE"], index)

    def release(self) -> None:
        if self.held:
            _remove([self.path])
            self.held = False

    def __exit__(self, *exc: object) -> None:
        self.release()


# -- recovery -----------------------------------------------------------------------------

def recover(root: Path, git: Git) -> Finished | None:
    """Finish or undo whatever an interrupted aireg command left; call it under the lock."""
    git_dir = git.git_dir
    for leftover in git_dir.glob("aireg-index-*"):
        _remove([leftover])
    journal = git_dir / JOURNAL
    _remove([git_dir / (JOURNAL + ".tmp")])
    try:
        entry = json.loads(journal.read_text("utf-8"))
        ref, old, new = entry["ref"], entry["old"], entry["new"]
        files = [(f["path"], f["old"], f["new"], f["tmp"]) for f in entry["files"]]
    except FileNotFoundError:
        _remove(_stale_temps(root))
        return None
    except (OSError, ValueError, KeyError, TypeError):
        # Written whole by a rename, so this is not aireg's doing: drop it, keep going.
        _remove([journal, *_stale_temps(root)])
        return None
    token = entry.get("index_lock")
    index_lock = git_dir / "index.lock"
    with contextlib.suppress(OSError):
        if token and index_lock.read_text("utf-8") == token:
            index_lock.unlink()  # ours: its writer is gone, since we hold the registry lock
    _refuse_stale_git_locks(root, git_dir, ref)
    at = git.rev_parse(ref)
    landed = at == new or (
        at is not None and at != old
        and git.run_full("merge-base", "--is-ancestor", new, at)[0] == 0
    )
    finished = None
    if landed:
        assert at is not None
        rewritten, ready = [], []
        later = git.tree_entries(at, [p for p, *_ in files]) if at != new else {}
        for rel, old_blob, new_blob, tmp in files:
            path = root / rel
            now = _read(path, rel)
            now_id = _blob_id(now, new) if now is not None else None
            if now_id == new_blob:
                ready.append(rel)
                continue
            if now_id != old_blob:
                continue  # edited by hand since: the user's work is left alone
            if at != new and later.get(rel, ("", ""))[1] != new_blob:
                continue  # a later commit changed it again: git status shows the difference
            data = _read(root / tmp) if tmp else None
            if data is None or _blob_id(data, new) != new_blob:
                data = git.run("cat-file", "blob", new_blob)
            os.replace(write_temp(path, data, rel, sync=True), path)
            rewritten.append(rel)
            ready.append(rel)
        if ready and at == new:
            git.stage(ready, new)
        finished = Finished(new, str(entry.get("subject", "")), tuple(rewritten))
    _remove([root / tmp for _, _, _, tmp in files if tmp])
    _remove([journal, *_stale_temps(root)])
    return finished


def _refuse_stale_git_locks(root: Path, git_dir: Path, ref: str, wait: float = 1.0) -> None:
    """After an interrupted command, a lock git was holding for it may be left behind (its
    process killed too): name it rather than fail on it half-way through finishing."""
    from aireg.gitrepo import stale_lock_error

    locks = [git_dir / "index.lock", git_dir / "HEAD.lock", git_dir / f"{ref}.lock"]
    deadline = time.monotonic() + wait
    while held := [p for p in locks if p.exists()]:
        if time.monotonic() >= deadline:
            raise stale_lock_error(root, *map(str, held))
        time.sleep(0.02)


def _journal_nearby(root: Path) -> bool:
    """Whether a journal may be waiting, judged without running git (the usual answer: no)."""
    try:
        for folder in (root, *root.parents):
            dotgit = folder / ".git"
            if dotgit.is_dir():
                return (dotgit / JOURNAL).exists()
            if dotgit.is_file():
                return True  # a linked worktree or submodule: ask git where its directory is
    except OSError:
        return False  # git itself will say what is wrong with the folder
    return False


def finish_interrupted(root: Path, git: Callable[[], Git]) -> Finished | None:
    """Bring the working tree up to date with a commit an interrupted command made, if any.

    Called as every command finds the registry, so the command then reads the records as
    they were committed; costs one stat when nothing was interrupted.
    """
    if not _journal_nearby(root):
        return None
    repo = git()
    if not (repo.git_dir / JOURNAL).exists():
        return None
    with _locked(repo.git_dir, root):
        return recover(root, repo)


# -- a session ------------------------------------------------------------------------------

class Session:
    """A registry held for one change: locked, with any interrupted change finished first.

    `with Session(root, git) as tx:` then `tx.commit(...)`; `tx.finished` tells what an
    interrupted earlier command left that this session completed.
    """

    def __init__(self, root: Path, git: Git) -> None:
        self.root, self.git = root, git
        self.finished: Finished | None = None
        self._lock: contextlib.ExitStack | None = None

    def __enter__(self) -> Session:
        stack = contextlib.ExitStack()
        stack.enter_context(_locked(self.git.git_dir, self.root))
        self._lock = stack
        try:
            self.finished = recover(self.root, self.git)
        except BaseException:
            stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self._lock is not None:
            self._lock.close()

    def refuse_if_finished(self, rels: Sequence[str]) -> None:
        """Stop when the interrupted change just finished rewrote a file this one changes:
        the command read the file before it was brought up to date."""
        f = self.finished
        if f is None or not set(f.rewritten) & set(rels):
            return
        tool = next((r for r in rels if r in f.rewritten), rels[0])
        raise EnvError(
            f"an earlier aireg command was interrupted after it committed {f.commit[:12]} "
            f'("{f.subject}"); aireg has now brought {tool} up to date with that commit and '
            "did nothing else: check it (git show, aireg show), then run the command again "
            "if it is still needed."
        )

    def commit(
        self,
        files: Mapping[str, str],
        message: str,
        author: Identity,
        *,
        expect: Mapping[str, str | None],
        when: str | None = None,
    ) -> str:
        """Commit `files` (path -> new text) and then write them; all or nothing.

        `expect` gives, for each path, the text the change was computed from (None: the file
        must not exist yet); a file that no longer holds it was changed by someone else
        meanwhile, and nothing is written.
        """
        git, root = self.git, self.root
        ref = git.branch_ref()
        parent = git.head()
        paths = list(files)
        self._check_unchanged(expect, parent)
        before = git.tree_entries(parent, paths)
        temps: dict[str, Path] = {}
        journal: Path | None = None
        moved = False
        commit = ""
        try:
            sync = len(paths) <= 8  # many files: one os.sync() instead of one fsync each
            data = {rel: files[rel].encode("utf-8") for rel in paths}
            for rel in paths:
                temps[rel] = write_temp(root / rel, data[rel], rel, sync)
            if not sync:
                os.sync()
            subject = message.splitlines()[0]
            blobs = git.store_files(temps)
            token = f"aireg {os.getpid()} {os.urandom(8).hex()}\n"
            with _signals_held() as held, _IndexLock(git, token) as index:
                for attempt in range(_ATTEMPTS):
                    commit = git.commit_blobs(blobs, message, author, parent, when)
                    journal = _write_journal(git.git_dir, {
                        "ref": ref, "old": parent, "new": commit, "subject": subject,
                        "index_lock": token,
                        "files": [{"path": rel, "old": before.get(rel, (None, None))[1],
                                   "new": blobs[rel],
                                   "tmp": temps[rel].relative_to(root).as_posix()}
                                  for rel in paths],
                    })
                    index.take()  # after the journal, which lets recovery remove it
                    moved = git.move_branch(ref, commit, parent, subject, by=author)
                    if moved:
                        break
                    # A commit of someone else's (plain git: aireg commands wait for the
                    # lock) landed first. If it left these files alone, the change still
                    # applies to them as read: build it again on top of that commit.
                    parent = git.head()
                    if git.tree_entries(parent, paths) != before or attempt == _ATTEMPTS - 1:
                        raise git.moved_error(ref)
                self._install(temps, ref, commit, parent)
                index.stage(paths, commit)
                index.release()  # before the journal goes: while it exists, it names the lock
                _remove([journal] if journal else [])
            if signal.SIGTERM in held:
                os.kill(os.getpid(), signal.SIGTERM)  # done: now stop, as asked
            return commit
        except BaseException as exc:
            if not moved:
                _remove([*temps.values(), *([journal] if journal else [])])
            if isinstance(exc, OSError):  # .git full or read-only half-way: say so, plainly
                raise self._os_error(exc, commit if moved else None) from exc
            raise

    def _os_error(self, exc: OSError, commit: str | None) -> EnvError:
        where = str(exc.filename or self.git.git_dir)
        with contextlib.suppress(ValueError):
            where = Path(where).resolve().relative_to(self.root.resolve()).as_posix()
        if commit is None:
            return EnvError(f"{where} cannot be written ({exc.strerror}); check that the disk "
                            "is not full and the registry is writable. Nothing was changed.")
        return EnvError(f"commit {commit[:12]} was made, but {where} cannot be written "
                        f"({exc.strerror}); free some space or fix the permissions, then run "
                        "any aireg command to finish writing the records.")

    def _install(self, temps: Mapping[str, Path], ref: str, commit: str,
                 parent: str | None) -> None:
        """Rename each new file over its record (the commit is made already)."""
        for done, (rel, tmp) in enumerate(temps.items()):
            try:
                os.replace(tmp, self.root / rel)
            except OSError as exc:
                # Nothing renamed yet: move the branch back, and the change never happened.
                undone = done == 0 and self._undo(ref, commit, parent)
                if undone:
                    _remove(list(temps.values()))
                raise EnvError(
                    f"{rel} cannot be replaced ({exc.strerror}); check that the folder and "
                    "the file are writable. "
                    + ("Nothing was changed." if undone else
                       f"Commit {commit[:12]} was made: run any aireg command that changes "
                       "the registry to finish writing the files.")
                ) from exc

    def _check_unchanged(self, expect: Mapping[str, str | None], parent: str | None) -> None:
        root, git = self.root, self.git
        tracked = git.tree_entries(parent, [r for r, t in expect.items() if t is None])
        for rel, text in expect.items():
            now = _read(root / rel, rel)
            if text is None:
                same = now is None and rel not in tracked
            else:
                same = now is not None and text in (now.decode("utf-8-sig", "replace"),
                                                    now.decode("utf-8", "replace"))
            if same:
                continue
            last = git.text("log", "-1", "--format=%h %s", "--", rel) if parent else ""
            by = f' (its last commit: {last.split(" ", 1)[0]} "{last.split(" ", 1)[-1]}")' \
                if last else ""
            raise EnvError(
                f"{rel} changed while aireg was working on it{by}: another command or an "
                "editor wrote it. Nothing was written; run the command again."
            )

    def _undo(self, ref: str, commit: str, parent: str | None) -> bool:
        """Move the branch back after a failed rename; True when it is back."""
        if parent is None:
            return False
        try:
            self.git.move_branch(ref, parent, commit, "aireg: undo an unfinished commit")
        except EnvError:
            return False
        _remove([self.git.git_dir / JOURNAL])
        return True


def commit_files(
    root: Path, git: Git, files: Mapping[str, str], message: str, author: Identity, *,
    expect: Mapping[str, str | None], when: str | None = None,
) -> tuple[str, Finished | None]:
    """Lock, finish what an interrupted command left, and commit `files` (see Session)."""
    with Session(root, git) as tx:
        tx.refuse_if_finished(list(files))
        return tx.commit(files, message, author, expect=expect, when=when), tx.finished
