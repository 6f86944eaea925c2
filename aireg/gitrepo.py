"""The only module that runs git: every call in a clean git environment, failures as advice."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aireg.errors import EnvError

# git's cache of inflated delta bases while reading history (see Git._HISTORY_OPTS).
_DELTA_CACHE = "16m"


# What aireg keeps of the git variables it inherits (as pre-commit's no_git_env does): how
# to reach remotes, which config files to read, and tracing. The rest would aim git at
# another repository, index, object store or identity (GIT_DIR, GIT_WORK_TREE,
# GIT_INDEX_FILE, GIT_AUTHOR_* ... as set in a hook or by a script): aireg always works on
# the registry it found, and names the index and the people itself.
_KEPT_GIT_VARS = frozenset({
    "GIT_EXEC_PATH", "GIT_SSH", "GIT_SSH_COMMAND", "GIT_SSH_VARIANT", "GIT_SSL_CAINFO",
    "GIT_SSL_NO_VERIFY", "GIT_ASKPASS", "GIT_TERMINAL_PROMPT", "GIT_HTTP_PROXY_AUTHMETHOD",
    "GIT_ALLOW_PROTOCOL", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CONFIG_NOSYSTEM",
    "GIT_CONFIG_COUNT", "GIT_CONFIG_PARAMETERS", "GIT_TRACE", "GIT_TRACE2", "GIT_TRACE2_EVENT",
    "GIT_TRACE2_PERF", "GIT_TRACE_PERFORMANCE",
})


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for one git process: inherited, minus the GIT_* variables git would
    take from a caller (see _KEPT_GIT_VARS), in the C locale so git's messages, which
    aireg turns into advice, read the same everywhere; then `extra` on top."""
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith("GIT_") or k in _KEPT_GIT_VARS
        or k.startswith(("GIT_CONFIG_KEY_", "GIT_CONFIG_VALUE_"))
    }
    env["LC_ALL"] = env["LANGUAGE"] = "C"
    if extra:
        env.update(extra)
    return env


def _not_installed() -> EnvError:
    return EnvError(
        "git is not installed or not on PATH; install git (e.g. apt install git) "
        "and run the command again."
    )


# git's "Unable to create '<path>.lock': File exists." names a lock another git process
# holds, or one a killed git process left behind.
_LOCK_RE = re.compile(r"Unable to create '([^']+\.lock)': File exists")


def stale_lock_error(root: Path, *locks: str) -> EnvError:
    """Git lock files are in the way: say which, and how to remove them when stale."""
    shown = []
    for lock in locks:
        try:
            shown.append(Path(lock).resolve().relative_to(root.resolve()).as_posix())
        except ValueError:
            shown.append(lock)
    files = " and ".join(shown)
    one = len(shown) == 1
    return EnvError(
        f"{root}: git's lock file{'' if one else 's'} {files} exist{'s' if one else ''}, so "
        "another git command is running or one was stopped before it finished; if no git "
        f"command is running, remove {'it' if one else 'them'} (rm {' '.join(shown)}) and run "
        "the command again. Nothing was written."
    )


_PACK_FROM = 200  # files stored at once from which one pack beats loose objects


@dataclass(frozen=True)
class Identity:
    """A person as git records them."""

    name: str
    email: str

    def env(self, when: str | None = None) -> dict[str, str]:
        """The variables that make git record this person (and `when`, if given) as author
        and committer of a commit or a reflog entry."""
        out = {"GIT_AUTHOR_NAME": self.name, "GIT_AUTHOR_EMAIL": self.email,
               "GIT_COMMITTER_NAME": self.name, "GIT_COMMITTER_EMAIL": self.email}
        if when:
            out["GIT_AUTHOR_DATE"] = out["GIT_COMMITTER_DATE"] = when
        return out


class Git:
    """Runs git in one repository; every failure becomes an AiregError with advice."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._git_dir: Path | None = None

    def run(
        self,
        *args: str,
        stdin: bytes | None = None,
        env: Mapping[str, str] | None = None,
        ok_codes: Sequence[int] = (0,),
    ) -> bytes:
        """Run `git ARGS` in the repository and return its raw stdout."""
        code, out, err = self.run_full(*args, stdin=stdin, env=env)
        if code not in ok_codes:
            raise self._error(args, err)
        return out

    def run_full(
        self,
        *args: str,
        stdin: bytes | None = None,
        env: Mapping[str, str] | None = None,
    ) -> tuple[int, bytes, str]:
        """Run `git ARGS`; return (exit code, stdout, stderr) without judging the code.

        `env` adds to (or overrides) the clean environment (clean_env), never replaces it.
        """
        import subprocess

        try:
            proc = subprocess.run(
                ["git", *args], cwd=str(self.root), env=clean_env(env), input=stdin,
                stdin=subprocess.DEVNULL if stdin is None else None, capture_output=True,
                check=False,
            )
        except FileNotFoundError as exc:
            if not self.root.is_dir():
                raise EnvError(f"{self.root} does not exist or is not a folder; pass the "
                               "registry's folder.") from exc
            raise _not_installed() from exc
        except PermissionError as exc:
            raise EnvError(f"{self.root}: permission denied running git ({exc}).") from exc
        return proc.returncode, proc.stdout, proc.stderr.decode("utf-8", "replace")

    def _error(self, args: Sequence[str], err: str) -> EnvError:
        text = err.strip().splitlines()
        first = next((ln for ln in text if ln.startswith(("fatal:", "error:"))),
                     text[0] if text else "")
        stale = _LOCK_RE.search(err)
        if stale and not stale.group(1).endswith("/index.lock"):
            return stale_lock_error(self.root, stale.group(1))
        if "index.lock" in err:
            return EnvError(
                f"{self.root}: the git index is locked by another git process "
                "(.git/index.lock exists); wait for it to finish, or remove .git/index.lock "
                "if no git process is running, then run the command again."
            )
        if "not a git repository" in err:
            return EnvError(
                f"{self.root} is not a git repository; run `aireg init` or `git init` there."
            )
        if any(t in err for t in ("No space left", "Out of diskspace", "Disk quota exceeded",
                                  "File too large")):
            return EnvError(
                f"{self.root}: git cannot write because the disk is full ({first.strip()}); "
                "free some space and run the command again."
            )
        if any(t in err for t in ("couldn't write", "unable to write", "write error")):
            return EnvError(
                f"{self.root}: git could not write ({first.strip()}); the disk may be full or "
                ".git read-only: free some space or check its permissions, and run the "
                "command again."
            )
        if ("Read-only file system" in err or "Permission denied" in err
                or "insufficient permission" in err):
            return EnvError(
                f"{self.root}: git cannot write ({first.strip()}); check the permissions of "
                "the registry and its .git directory."
            )
        return EnvError(f"git {' '.join(args[:2])} failed in {self.root}: {first.strip()}")

    # -- reading -------------------------------------------------------------------------

    def text(self, *args: str, ok_codes: Sequence[int] = (0,)) -> str:
        return self.run(*args, ok_codes=ok_codes).decode("utf-8", "replace").strip()

    def config(self, key: str) -> str | None:
        code, out, _ = self.run_full("config", "--get", key)
        value = out.decode("utf-8", "replace").strip()
        return value if code == 0 and value else None

    def identity_or_none(self) -> Identity | None:
        """The acting person, or None when git's user.email is not set."""
        email = self.config("user.email")
        if not email:
            return None
        name = self.config("user.name") or email.split("@")[0]
        return Identity(name=name, email=email.strip().lower())

    def identity(self) -> Identity:
        """The acting person: git's user.email (and user.name) in this repository."""
        found = self.identity_or_none()
        if found is None:
            raise EnvError(
                "git's user.email is not set, so aireg cannot tell who is acting: set it "
                "with `git config --global user.email you@example.com` and run the command "
                "again."
            )
        return found

    def head(self) -> str | None:
        """The commit HEAD points at, or None in a repository with no commits yet."""
        code, out, _ = self.run_full("rev-parse", "-q", "--verify", "HEAD^{commit}")
        return out.decode().strip() if code == 0 else None

    def branch_ref(self) -> str:
        """The full ref of the checked-out branch; a detached HEAD is an environment error."""
        code, out, _ = self.run_full("symbolic-ref", "-q", "HEAD")
        if code != 0:
            raise EnvError(
                f"{self.root}: HEAD is detached, so a commit would be lost; check out a "
                "branch first (git switch main, or git switch -c my-branch)."
            )
        return out.decode().strip()

    def rev_parse(self, ref: str) -> str | None:
        code, out, _ = self.run_full("rev-parse", "-q", "--verify", f"{ref}^{{commit}}")
        return out.decode().strip() if code == 0 else None

    def show_file(self, ref: str, path: str) -> bytes | None:
        """A file's content at a commit, or None when it does not exist there."""
        code, out, _ = self.run_full("cat-file", "blob", f"{ref}:{path}")
        return out if code == 0 else None

    def changed_paths(self, paths: Iterable[str]) -> set[str]:
        """Those of `paths` whose working tree or index differs from HEAD (or are untracked)."""
        paths = list(paths)
        if not paths:
            return set()
        # --no-optional-locks: a read must not take index.lock from a committing git process.
        out = self.run("--no-optional-locks", "status", "--porcelain=v1", "-z",
                       "--untracked-files=all", "--", *paths)
        changed = set()
        for entry in out.split(b"\0"):
            if len(entry) > 3:
                changed.add(entry[3:].decode("utf-8", "surrogateescape"))
        return changed

    def is_tracked(self, path: str) -> bool:
        out = self.run("ls-files", "-z", "--", path)
        return bool(out.strip(b"\0"))

    # -- committing content, not the working tree (aireg.transaction) --------------------

    @property
    def git_dir(self) -> Path:
        """The repository's .git directory (absolute; a linked worktree's own one)."""
        if self._git_dir is None:
            self._git_dir = Path(self.text("rev-parse", "--absolute-git-dir"))
        return self._git_dir

    def tree_entries(self, commit: str | None, paths: Sequence[str]) -> dict[str, tuple[str, str]]:
        """path -> (mode, blob id) for those of `paths` that exist in `commit`."""
        if not commit or not paths:
            return {}
        out = self.run("ls-tree", "-z", "--full-tree", commit, "--", *paths)
        entries = {}
        for item in out.split(b"\0"):
            if b"\t" in item:
                meta, _, path = item.partition(b"\t")
                mode, _kind, blob = meta.decode("ascii").split()
                entries[path.decode("utf-8", "surrogateescape")] = (mode, blob)
        return entries

    def store_files(self, files: Mapping[str, Path]) -> dict[str, str]:
        """Store each file's bytes, as they are (no filters), as a blob: path -> blob id.

        Many files (an import) go into one pack by `git fast-import`, instead of one loose
        object file each: the same blobs, the same ids, a fraction of the file writes."""
        paths = list(files)
        if len(paths) > _PACK_FROM:
            return self._store_packed(files)
        listing = "".join(f"{files[p]}\n" for p in paths).encode("utf-8", "surrogateescape")
        blobs = self.run("hash-object", "-w", "--no-filters", "--stdin-paths",
                         stdin=listing).decode("ascii").split()
        return dict(zip(paths, blobs, strict=True))

    def _store_packed(self, files: Mapping[str, Path]) -> dict[str, str]:
        paths = list(files)
        stream = bytearray()
        for n, rel in enumerate(paths, 1):
            data = files[rel].read_bytes()
            stream += b"blob\nmark :%d\ndata %d\n" % (n, len(data))
            stream += data
            stream += b"\n"
        stream += b"done\n"
        fd, marks = tempfile.mkstemp(prefix="aireg-marks-", dir=self.git_dir)
        os.close(fd)
        try:
            self.run("fast-import", "--quiet", "--done", f"--export-marks={marks}",
                     stdin=bytes(stream))
            ids: dict[int, str] = {}
            for line in Path(marks).read_text("ascii").splitlines():
                mark, _, oid = line.partition(" ")
                ids[int(mark[1:])] = oid.strip()
        finally:
            os.unlink(marks)
        return {rel: ids[n] for n, rel in enumerate(paths, 1)}

    def commit_blobs(
        self, blobs: Mapping[str, str], message: str, author: Identity, parent: str | None,
        when: str | None = None,
    ) -> str:
        """A commit on `parent` in which each path holds its blob (see store_files).

        The blobs come from temporary files beside the records, not from the records: the
        commit is built (a private index, commit-tree) before anything the user sees
        changes, and neither the working tree nor the user's index is read or touched.
        """
        paths = list(blobs)
        modes = {p: m for p, (m, _) in self.tree_entries(parent, paths).items()}
        info = "".join(f"{modes.get(p, '100644')} {blobs[p]}\t{p}\0" for p in paths)
        with self.private_index() as env:
            self.run("read-tree", *([parent] if parent else ["--empty"]), env=env)
            self.run("update-index", "-z", "--index-info",
                     stdin=info.encode("utf-8", "surrogateescape"), env=env)
            tree = self.run("write-tree", env=env).decode().strip()
        args = ["commit-tree", tree, *(["-p", parent] if parent else []), "-F", "-"]
        return self.run(*args, stdin=message.encode("utf-8"),
                        env=author.env(when)).decode().strip()

    @contextlib.contextmanager
    def private_index(self, copy_of: Path | None = None) -> Iterator[dict[str, str]]:
        """A temporary index in the .git directory, as the `env` for git calls using it;
        removed afterwards, with any lock git left on it. `copy_of`: start from that
        index file's bytes (when it exists); otherwise git creates the index itself."""
        fd, tmp = tempfile.mkstemp(prefix="aireg-index-", dir=self.git_dir)
        try:
            with os.fdopen(fd, "wb") as fh:
                if copy_of is not None and copy_of.exists():
                    fh.write(copy_of.read_bytes())
                    copied = True
                else:
                    copied = False
            if not copied:
                os.unlink(tmp)  # git wants to create it itself
            yield {"GIT_INDEX_FILE": tmp}
        finally:
            for leftover in (tmp, tmp + ".lock"):
                if os.path.exists(leftover):
                    os.unlink(leftover)

    def move_branch(self, ref: str, new: str, old: str | None, reason: str,
                    by: Identity | None = None) -> bool:
        """Point `ref` at `new` only if it still points at `old` (a compare-and-swap);
        False when another commit moved it first. `by` is named in the reflog (otherwise
        git's configured user, or one git makes up from the host name)."""
        code, _, err = self.run_full("update-ref", "-m", reason, ref, new, old or "",
                                     env=by.env() if by else None)
        if code == 0 or self.rev_parse(ref) == new:
            return True
        stale = _LOCK_RE.search(err)
        if stale:
            raise stale_lock_error(self.root, stale.group(1))
        if "but expected" in err or "is at" in err or "already exists" in err:
            return False
        raise self._error(("update-ref",), err)

    def moved_error(self, ref: str) -> EnvError:
        return EnvError(
            f"{self.root}: other commits kept landing on {ref} while aireg was committing; "
            "nothing was written: run the command again."
        )

    def stage(self, paths: Sequence[str], commit: str, wait: float = 3.0) -> None:
        """Put the working-tree content of `paths` in the user's index, so `git status` is
        clean; another git process holding the index lock is waited for a moment."""
        import time

        deadline = time.monotonic() + wait
        while True:
            code, _, err = self.run_full("update-index", "--add", "--remove", "--", *paths)
            if code == 0:
                return
            if "index.lock" not in err or time.monotonic() >= deadline:
                break
            time.sleep(0.05)
        lock = _LOCK_RE.search(err)
        shown = ", ".join(paths)
        raise EnvError(
            f"Committed {commit[:12]}, but git's index stayed locked"
            + (f" ({lock.group(1)} exists)" if lock else "")
            + f", so `git status` shows {shown} as changed: once no git command is running, "
            + (f"remove {lock.group(1)} and " if lock else "")
            + f"run `git reset -q -- {' '.join(paths)}`."
        )

    def init(self) -> None:
        self.run("init", "-q")
        # A registry's history is its audit trail: refuse fast-forward-breaking surprises later.
        self.run_full("symbolic-ref", "HEAD", "refs/heads/main")

    # -- history (read by aireg.history; every call reads, none writes) --------------------

    # Settings a user's git config could change that would alter what history reading sees:
    # replacement objects (git replace) could swap a commit's content, and log.showSignature
    # would print gpg output into the NUL-separated stream.
    # A smaller delta-base cache (git's default is 96 MB per process) keeps `aireg audit` of
    # 100,000 commits under 300 MB with both git processes, at no measurable cost in time.
    _HISTORY_OPTS = ("--no-replace-objects", "-c", f"core.deltaBaseCacheLimit={_DELTA_CACHE}")

    def log_z_stream(self, fmt: str, revs: Sequence[str], paths: Sequence[str] = (),
                     extra: Sequence[str] = ()) -> LogStream:
        """One `git log -z --raw` pass, read while git writes it (use it in a `with`): for
        each commit `fmt`, then its changed files with their blob ids (merges: the diff
        against their first parent; renames: a delete and an add), oldest first, parents
        before children. The caller's work on the first commits overlaps git's diffing of
        the next ones."""
        args = [
            *self._HISTORY_OPTS, "log", "-z", "--raw", "--no-abbrev", "--no-renames",
            "--diff-merges=first-parent", "--root", "--no-show-signature", "--no-color",
            "--no-ext-diff", "--no-textconv", "--encoding=UTF-8", f"--format={fmt}", *extra,
            "--end-of-options", *revs, "--", *paths,
        ]
        return LogStream(self, args)

    def rev_list(self, revs: Sequence[str], paths: Sequence[str] = (),
                 extra: Sequence[str] = ()) -> list[str]:
        """The commit ids `git rev-list` gives for the same revisions, paths and ordering."""
        out = self.run(*self._HISTORY_OPTS, "rev-list", *extra, "--end-of-options", *revs,
                       "--", *paths)
        return out.decode("ascii", "replace").split()

    def is_shallow(self) -> bool:
        return self.text("rev-parse", "--is-shallow-repository") == "true"

    def shallow_commits(self) -> set[str]:
        """The commits at the edge of a shallow clone: their parents were not fetched."""
        if not self.is_shallow():
            return set()
        path = Path(self.text("rev-parse", "--git-path", "shallow"))
        if not path.is_absolute():
            path = self.root / path
        try:
            return set(path.read_text(encoding="ascii").split())
        except OSError:
            return set()

    def cat_file(self) -> CatFile:
        """One `git cat-file --batch` process for many object reads (use it in a `with`)."""
        return CatFile(self.root)


class LogStream:
    """A running `git log` whose output is read in chunks; stopping early ends the process."""

    def __init__(self, git: Git, args: Sequence[str]) -> None:
        import subprocess

        self.git = git
        self.args = list(args)
        self._err = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process
        try:
            self._proc = subprocess.Popen(
                ["git", *self.args], cwd=str(git.root), stdout=subprocess.PIPE,
                stderr=self._err, stdin=subprocess.DEVNULL, env=clean_env(),
            )
        except FileNotFoundError as exc:
            self._err.close()
            raise _not_installed() from exc

    def __enter__(self) -> LogStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def chunks(self, size: int = 1 << 16) -> Iterator[bytes]:
        """The output, chunk by chunk; raises EnvError when git fails."""
        out: Any = self._proc.stdout  # a BufferedReader: read1 returns what has arrived
        assert out is not None
        while True:
            data = out.read1(size)
            if not data:
                break
            yield data
        code = self._proc.wait()
        if code != 0:
            self._err.seek(0)
            err = self._err.read().decode("utf-8", "replace")
            raise self.git._error(self.args[1:], err)

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        self._err.close()


class CatFile:
    """Reads objects by id or `rev:path` through one persistent `git cat-file --batch`.

    Requests are written by a helper thread while answers are read, so a long list of
    reads costs one process and no round trip per object.
    """

    def __init__(self, root: Path) -> None:
        import subprocess

        env = clean_env({"GIT_NO_REPLACE_OBJECTS": "1"})
        try:
            self._proc = subprocess.Popen(
                ["git", "-c", f"core.deltaBaseCacheLimit={_DELTA_CACHE}", "cat-file",
                 "--batch"], cwd=str(root), env=env,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            )
        except FileNotFoundError as exc:
            raise _not_installed() from exc
        self.root = root

    def __enter__(self) -> CatFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        proc = self._proc
        if proc.poll() is None:
            try:
                assert proc.stdin is not None
                proc.stdin.close()
            except OSError:
                pass
            try:
                proc.wait(timeout=10)
            except Exception:  # a stuck reader must not hang aireg
                proc.kill()
        if proc.stdout is not None:
            proc.stdout.close()

    def read_many(self, specs: Sequence[str]) -> list[tuple[str, str, bytes] | None]:
        """Each spec's (object id, type, content), or None where it does not exist."""
        import threading

        if not specs:
            return []
        proc = self._proc
        assert proc.stdin is not None and proc.stdout is not None
        # A newline would end the request early and shift every later answer: such a spec
        # (only possible in a path) is asked as a name that cannot exist.
        lines = [(s if "\n" not in s and "\r" not in s else "0" * 40) for s in specs]
        payload = "".join(f"{s}\n" for s in lines).encode("utf-8", "surrogateescape")
        failed: list[BaseException] = []

        def write() -> None:
            try:
                assert proc.stdin is not None
                proc.stdin.write(payload)
                proc.stdin.flush()
            except BaseException as exc:  # reported by the reader below
                failed.append(exc)

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        out: list[tuple[str, str, bytes] | None] = []
        read = proc.stdout.read
        readline = proc.stdout.readline
        try:
            for _ in lines:
                header = readline()
                if not header:
                    raise EnvError(
                        f"{self.root}: git cat-file stopped while reading history; check that "
                        "the repository is not corrupt (git fsck)."
                    )
                parts = header.rstrip(b"\n").split(b" ")
                if len(parts) == 3 and parts[2].isdigit():
                    size = int(parts[2])
                    data = read(size)
                    read(1)  # the newline after the content
                    out.append((parts[0].decode("ascii"), parts[1].decode("ascii"), data))
                else:  # "<spec> missing" or "<spec> ambiguous"
                    out.append(None)
        except BaseException:
            proc.kill()  # the writer may be blocked on a full pipe: end it
            raise
        finally:
            writer.join()
        if failed:
            raise EnvError(f"{self.root}: git cat-file could not be fed ({failed[0]}).")
        return out
