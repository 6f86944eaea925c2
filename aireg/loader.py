"""Reading many records at once: each file read once, parsed with libyaml, on every core that pays.

Whole-registry commands (validate, list, due, report) read every file under tools/. Parsing
dominates their cost, and it is CPU-bound Python, so a second core helps only in a second
process. Past PARALLEL_MIN files the work is split into chunks that the parent and forked
workers take from a shared queue (a pipe of chunk numbers, so a worker slowed by another
program on the machine simply takes fewer chunks); each worker pickles its results back once,
at the end. Callers that need only a little of each file (its problems, a row of a table)
pass a function to `map_files`, so the workers send back that little and not whole records.

A fork is cheap (the child already has aireg imported) and needs no pickling of the
function; where fork is unsafe or missing (macOS, Windows) everything runs in one process.
If a worker fails in any way, the parent does its chunks itself: a result is never lost and
an error is raised, as in a serial run, by the parent.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

from aireg.repo import RecordFile, read_file

T = TypeVar("T")
X = TypeVar("X")

# Fewer files than this are read in one process: below it the fork and the pickling of the
# results cost more than the second core saves (see benchmarks/run.py and README
# "Performance").
PARALLEL_MIN = 400
# Files per chunk: small enough to balance two busy cores, large enough that taking a chunk
# (one 4-byte read from a pipe) costs nothing.
CHUNK = 100
_WORD = 4


def jobs() -> int:
    """Processes to use: the CPUs this process may run on, or AIREG_JOBS (1: no workers)."""
    given = os.environ.get("AIREG_JOBS", "").strip()
    if given.isdigit() and int(given) >= 1:
        return int(given)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _can_fork() -> bool:
    # macOS system libraries are not fork-safe; Windows has no fork.
    return hasattr(os, "fork") and sys.platform.startswith("linux")


def read_many(root: Path, rels: Sequence[str]) -> list[RecordFile]:
    """Read and parse `rels` under `root`, in order; a broken file is a RecordFile with a
    problem, never an exception, so one bad file never hides the others."""
    return map_files(root, rels, _same)


def _same(rf: RecordFile) -> RecordFile:
    return rf


def map_files(root: Path, rels: Sequence[str], fn: Callable[[RecordFile], T]) -> list[T]:
    """`fn(read_file(root, rel))` for each of `rels`, in order, in parallel when it pays.

    `fn` runs in a forked worker for some of the files, so it must not depend on state it
    changes, and its results must pickle (plain data, Problems, RecordFiles).
    """
    return map_items(rels, lambda rel: fn(read_file(root, rel)))


def map_items(items: Sequence[X], fn: Callable[[X], T], min_items: int | None = None
              ) -> list[T]:
    """`fn(item)` for each item, in order: in forked workers as well as this process when
    there are at least `min_items` (default PARALLEL_MIN) and more than one CPU.

    For CPU-bound work on independent items (parsing files, or blobs read from git); the
    same rules as for `map_files` apply to `fn`.
    """
    least = PARALLEL_MIN if min_items is None else min_items
    n = min(jobs(), max(1, len(items) // CHUNK))
    if n < 2 or len(items) < least or not _can_fork():
        return [fn(item) for item in items]
    return _parallel(list(items), fn, n)


def _parallel(items: list[X], fn: Callable[[X], T], n: int) -> list[T]:
    import pickle

    chunks = [items[i:i + CHUNK] for i in range(0, len(items), CHUNK)]
    done: dict[int, list[T]] = {}

    def run(index: int) -> list[T]:
        return [fn(item) for item in chunks[index]]

    queue_r, queue_w = os.pipe()
    # All chunk numbers go in before any worker starts: a few hundred bytes, far below the
    # pipe's capacity, and each read of one word takes exactly one number.
    os.write(queue_w, b"".join(i.to_bytes(_WORD, "little") for i in range(len(chunks))))
    os.close(queue_w)
    sys.stdout.flush()  # a child must not write the parent's buffered output a second time
    sys.stderr.flush()
    workers: list[tuple[int, int]] = []
    try:
        for _ in range(n - 1):
            out_r, out_w = os.pipe()
            pid = os.fork()
            if pid == 0:  # the worker
                code = 1
                try:
                    os.close(out_r)
                    mine = [(i, run(i)) for i in _take(queue_r)]
                    payload = pickle.dumps(mine, protocol=pickle.HIGHEST_PROTOCOL)
                    with os.fdopen(out_w, "wb") as fh:
                        fh.write(payload)
                    code = 0
                finally:
                    os._exit(code)
            os.close(out_w)
            workers.append((pid, out_r))
        for i in _take(queue_r):
            done[i] = run(i)
        for pid, out_r in workers:
            with os.fdopen(out_r, "rb") as reader:
                payload = reader.read()
            _, status = os.waitpid(pid, 0)
            if status == 0:
                with contextlib.suppress(Exception):  # the parent redoes what is missing
                    done.update(pickle.loads(payload))
        workers = []
    finally:
        os.close(queue_r)
        for pid, out_r in workers:  # interrupted: end the workers, leave no zombie
            with contextlib.suppress(OSError):
                os.kill(pid, 9)
                os.waitpid(pid, 0)
            with contextlib.suppress(OSError):
                os.close(out_r)
    out: list[T] = []
    for i in range(len(chunks)):
        out.extend(done[i] if i in done else run(i))
    return out


def _take(queue_r: int) -> Iterator[int]:
    """Chunk numbers from the shared queue, one at a time, until it is empty."""
    while True:
        word = os.read(queue_r, _WORD)
        if len(word) < _WORD:
            return
        yield int.from_bytes(word, "little")
