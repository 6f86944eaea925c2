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
    parser.add_argument("--shrink", type=int, default=25,
                        help="shrink and save at most this many disagreements")
    parser.add_argument("--cases", type=Path, default=HERE / "cases")
    parser.add_argument("--log", type=Path, default=None, help="also append progress here")
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="aireg-judges-"))
    try:
        _isolate(scratch)
        return _run(args, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _run(args: argparse.Namespace, scratch: Path) -> int:
    import histgen

    import aireg

    started = time.monotonic()
    done = 0
    bad = 0
    kinds: Counter[str] = Counter()
    saved = 0
    log = args.log.open("a") if args.log else None

    def say(text: str) -> None:
        print(text, flush=True)
        if log:
            log.write(text + "\n")
            log.flush()

    say(f"judging with aireg from {Path(aireg.__file__).parent}; seeds from {args.seed}")

    def on_batch(outcomes: list[histgen.Outcome]) -> bool:
        nonlocal done, bad, saved
        done += len(outcomes)
        for o in outcomes:
            if o.agree:
                continue
            bad += 1
            kinds.update(o.kinds)
            if saved < args.shrink:
                case = histgen.minimal(scratch, o)
                path = histgen.save_case(case, args.cases)
                saved += 1
                say(f"disagreement, seed {o.history.seed}: {sorted(case.kinds)} -> {path}.txt")
        took = time.monotonic() - started
        say(f"{done} histories, {bad} disagreements ({done / took:.1f}/s; "
            f"{dict(kinds.most_common(8))})")
        if done >= args.histories:
            return False
        return args.seconds is None or took < args.seconds

    histgen.run(scratch, args.seed, args.histories, size=args.batch, shrink=0,
                on_batch=on_batch)
    took = time.monotonic() - started
    say(f"{done} histories, {bad} disagreements in {took:.0f} s "
        f"({done / max(took, 1e-9):.1f} histories/s)")
    if log:
        log.close()
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
