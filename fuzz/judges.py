"""A long differential run, on demand: the fast history judge (aireg.history) against the
reference judge (tests/refjudge.py) on generated histories (tests/histgen.py).

    .venv/bin/python fuzz/judges.py --histories 100000
    .venv/bin/python fuzz/judges.py --seconds 3600 --seed 500000
    PYTHONPATH=/path/to/other/checkout .venv/bin/python fuzz/judges.py ...  # judge that code

Histories are written in batches, one `git fast-import` per batch (each history its own
branch with its own base), and each range is judged by both. Each disagreement is shrunk
to its fewest commits and saved under fuzz/cases/ (a fast-import stream and an account of
it, with the replay commands). Progress goes to stdout (and --log); the last line is
"N histories, K disagreements". Exit 1 when any disagreed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))


def _isolate(scratch: Path) -> None:
    # Like tests/conftest.py: never the developer's HOME or git config.
    home = scratch / "home"
    home.mkdir()
    (home / ".gitconfig").write_text("[user]\n\tname = Fuzz\n\temail = fuzz@acme.example\n"
                                     "[init]\n\tdefaultBranch = main\n[gc]\n\tauto = 0\n")
    os.environ.update(HOME=str(home), GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
                      GIT_CONFIG_NOSYSTEM="1", NO_COLOR="1")
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "AIREG_REGISTRY", "AIREG_TODAY"):
        os.environ.pop(var, None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--histories", type=int, default=10_000, help="how many to judge")
    parser.add_argument("--seconds", type=float, default=None, help="stop after this long")
    parser.add_argument("--seed", type=int, default=0, help="first seed")
    parser.add_argument("--batch", type=int, default=100, help="histories per fast-import")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument("--shrink", type=int, default=25,
                        help="shrink and save at most this many disagreements (one per kind "
                             "and batch)")
    parser.add_argument("--cases", type=Path, default=HERE / "cases")
    parser.add_argument("--log", type=Path, default=None, help="also append progress here")
    parser.add_argument("--replay", type=Path, default=None,
                        help="judge one saved case (a .fi file) with both judges and stop")
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="aireg-judges-"))
    try:
        _isolate(scratch)
        if args.replay is not None:
            return _replay(args.replay, scratch)
        return _run(args, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _replay(stream: Path, scratch: Path) -> int:
    import histgen

    fast, ref, base, head = histgen.replay(stream, scratch)
    print(f"base {base[:12]}, head {head[:12]}")
    print(f"both judges:      {sorted(fast & ref, key=str)}")
    print(f"reference only:   {sorted(ref - fast, key=str)}")
    print(f"fast judge only:  {sorted(fast - ref, key=str)}")
    return 0 if fast == ref else 1


def _batch(start: int, count: int, scratch: str, cases: str, save: bool
           ) -> tuple[int, list[tuple[int, list[str], str | None]]]:
    """One worker's batch: (histories judged, [(seed, kinds, saved case or None)])."""
    import histgen

    work = Path(scratch) / f"w{os.getpid()}"
    work.mkdir(parents=True, exist_ok=True)
    found: list[tuple[int, list[str], str | None]] = []
    seen: set[frozenset[str]] = set()
    done = 0

    def on_batch(outcomes: list[histgen.Outcome]) -> bool:
        nonlocal done
        done += len(outcomes)
        for o in outcomes:
            if o.agree:
                continue
            path = None
            if save and o.kinds not in seen:
                seen.add(o.kinds)
                path = str(histgen.save_case(histgen.minimal(work, o), Path(cases))) + ".txt"
            found.append((o.history.seed, sorted(o.kinds), path))
        return True

    histgen.run(work, start, count, size=count, shrink=0, on_batch=on_batch)
    return done, found


def _run(args: argparse.Namespace, scratch: Path) -> int:
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

    import aireg

    started = time.monotonic()
    done = bad = saved = 0
    kinds: Counter[str] = Counter()
    log = args.log.open("a") if args.log else None

    def say(text: str) -> None:
        print(text, flush=True)
        if log:
            log.write(text + "\n")
            log.flush()

    where = Path(aireg.__file__).parent
    import subprocess

    rev = subprocess.run(["git", "-C", str(where), "describe", "--always", "--dirty"],
                         capture_output=True, text=True, check=False).stdout.strip()
    say(f"judging with aireg from {where} ({rev or 'no git'}); seeds {args.seed}.."
        f"{args.seed + args.histories - 1}, {args.jobs} job(s)")
    chunks = [(s, min(args.batch, args.seed + args.histories - s))
              for s in range(args.seed, args.seed + args.histories, args.batch)]
    pending: set[Future[Any]] = set()
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        while chunks or pending:
            out_of_time = args.seconds is not None and time.monotonic() - started > args.seconds
            while chunks and len(pending) < 2 * max(1, args.jobs) and not out_of_time:
                start, count = chunks.pop(0)
                pending.add(pool.submit(_batch, start, count, str(scratch), str(args.cases),
                                        saved < args.shrink))
            if not pending:
                break
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                n, found = fut.result()
                done += n
                for seed, ks, path in found:
                    bad += 1
                    kinds.update(ks)
                    if path:
                        saved += 1
                        say(f"disagreement, seed {seed}: {ks} -> {path}")
                    else:  # every one is named, so it can be built again from its seed
                        say(f"disagreement, seed {seed}: {ks} (not saved)")
            took = time.monotonic() - started
            say(f"{done} histories, {bad} disagreements ({done / took:.2f}/s; "
                f"{dict(kinds.most_common(8))})")
            if out_of_time:
                chunks.clear()
    took = time.monotonic() - started
    say(f"{done} histories, {bad} disagreements in {took:.0f} s "
        f"({done / max(took, 1e-9):.2f} histories/s)")
    if log:
        log.close()
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
