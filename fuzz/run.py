"""A long fuzz run, on demand: tests/test_fuzz.py's properties with a large hypothesis budget.

    .venv/bin/python fuzz/run.py                      # 20,000 inputs per target
    .venv/bin/python fuzz/run.py --examples 200000 --only load
    .venv/bin/python fuzz/run.py --seconds 600        # stop each target after 10 minutes

Every input each property saw is counted (hypothesis's own shrinking included), and the run
is appended to fuzz/RESULTS.md: date, budget, inputs per target, failures. A failure prints
hypothesis's smallest failing input and makes the exit code 1.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROUND = 2_000  # inputs per hypothesis run; a time limit is checked between runs
sys.path.insert(0, str(HERE.parent / "tests"))


def _isolate(scratch: Path) -> None:
    # Like tests/conftest.py: never the developer's HOME or git config.
    home = scratch / "home"
    home.mkdir()
    (home / ".gitconfig").write_text("[user]\n\tname = Fuzz\n\temail = fuzz@acme.example\n"
                                     "[init]\n\tdefaultBranch = main\n")
    os.environ.update(HOME=str(home), GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
                      GIT_CONFIG_NOSYSTEM="1", NO_COLOR="1")
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "AIREG_REGISTRY", "AIREG_TODAY"):
        os.environ.pop(var, None)


def targets() -> dict[str, tuple[Any, Callable[..., None], bool]]:
    """name -> (strategy of argument tuples, property, needs a git repository)."""
    import test_fuzz as t
    from hypothesis import strategies as st

    one = lambda s: s.map(lambda x: (x,))  # noqa: E731
    return {
        "load-text": (one(st.text()), t.prop_load, False),
        "load-bytes": (one(st.binary()), t.prop_load, False),
        "load-yamlish": (one(t.yamlish), t.prop_load, False),
        "load-damaged-records": (one(t.mutated_records), t.prop_load, False),
        "edit-damaged-records": (one(t.mutated_records), t.prop_edit, False),
        "locate": (st.tuples(st.one_of(t.yamlish, t.mutated_records),
                             st.lists(st.one_of(st.sampled_from(t.SCHEMA_KEYS),
                                                st.integers(-2, 5)), max_size=4)),
                   t.prop_locate, False),
        "rules-any-data": (one(t.anything), t.prop_rules, False),
        "rules-nearly-valid": (one(t.near_valid), t.prop_rules, False),
        "trailers": (one(st.one_of(t.messages, st.text())), t.prop_trailers, False),
        "history": (one(t.commit_lists), t.prop_history, True),
    }


def run_target(name: str, strategy: Any, prop: Callable[..., None], repo: Any,
               examples: int, seconds: float | None) -> tuple[int, str | None]:
    """Run `prop` on up to `examples` inputs (or until `seconds` pass), in rounds of fresh
    hypothesis runs with their own seeds; the count includes shrinking."""
    import random

    from hypothesis import HealthCheck, given, seed, settings

    count = 0
    deadline = time.monotonic() + seconds if seconds else None
    while count < examples and (deadline is None or time.monotonic() < deadline):
        size = min(ROUND, examples - count)

        @seed(random.randrange(1 << 63))
        @settings(max_examples=size, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck), print_blob=True)
        @given(strategy)
        def check(args: tuple[Any, ...]) -> None:
            nonlocal count
            count += 1
            prop(repo, *args) if repo is not None else prop(*args)

        try:
            check()
        except Exception:  # a property failed: hypothesis shrank it and printed the input
            return count, traceback.format_exc(limit=3)
    return count, None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=20_000, help="inputs per target")
    parser.add_argument("--seconds", type=float, default=None, help="time limit per target")
    parser.add_argument("--only", action="append", default=[],
                        help="run the targets whose name contains this (repeatable)")
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="aireg-fuzz-") as scratch:
        return _run(args, Path(scratch))


def _run(args: argparse.Namespace, scratch: Path) -> int:
    _isolate(scratch)
    import test_fuzz as t

    t.example_texts()
    chosen = {n: v for n, v in targets().items()
              if not args.only or any(o in n for o in args.only)}
    repo = None
    rows, failed = [], 0
    started = time.monotonic()
    for name, (strategy, prop, needs_repo) in chosen.items():
        if needs_repo and repo is None:
            repo = t.HistoryRepo(scratch / "history")
        t0 = time.monotonic()
        count, failure = run_target(name, strategy, prop, repo if needs_repo else None,
                                    args.examples, args.seconds)
        took = time.monotonic() - t0
        status = "ok" if failure is None else "FAILED"
        failed += failure is not None
        print(f"{name:24} {count:>9,} inputs  {took:7.1f} s  {status}", flush=True)
        if failure:
            print(failure, file=sys.stderr)
        rows.append((name, count, took, status))
    total = sum(r[1] for r in rows)
    print(f"{'total':24} {total:>9,} inputs  {time.monotonic() - started:7.1f} s")
    if not args.no_record:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        budget = (f"{args.examples:,} examples"
                  + (f", {args.seconds:g} s" if args.seconds else ""))
        lines = [f"\n## {stamp} ({budget} per target)\n",
                 "| target | inputs | seconds | result |",
                 "|---|---:|---:|---|"]
        lines += [f"| {n} | {c:,} | {s:.0f} | {st} |" for n, c, s, st in rows]
        lines.append(f"| **total** | **{total:,}** | | {'FAILED' if failed else 'ok'} |\n")
        with open(HERE / "RESULTS.md", "a", encoding="utf-8") as fh:
            fh.write("\n".join(lines))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
