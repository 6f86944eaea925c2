"""The two history judges agree: aireg.history (fast, streaming) and tests/refjudge.py (slow,
whole trees) give the same problems, as (commit, file, rule class), on a few hundred random
histories with merges of every kind, mode changes, forged reviews and attacker-chosen text.
A longer run on demand: `python fuzz/judges.py --histories 100000`."""

from __future__ import annotations

import os
from pathlib import Path

import histgen
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

HISTORIES = int(os.environ.get("AIREG_DIFF_HISTORIES", "100"))
SEED = int(os.environ.get("AIREG_DIFF_SEED", "0"))


def test_fast_and_reference_judges_agree_on_random_histories(tmp_path: Path) -> None:
    # Every generated history: the same verdict and the same (commit, file, class) problems
    # from both judges; a disagreement is shrunk to its fewest commits and shown.
    bad = histgen.run(tmp_path, SEED, HISTORIES, size=60, shrink=1)
    assert not bad, f"{len(bad)} of {HISTORIES} histories disagree; the first:\n" + \
        histgen.describe(bad[0])


def test_generated_histories_exercise_every_kind_of_step(tmp_path: Path) -> None:
    # The generator is not vacuous: the histories hold merges (octopus and with a foreign
    # root among them), gitlinks, symlinks, folders at record paths, signed reviews, and
    # both passing and failing verdicts by the reference.
    keys = histgen.Keys(tmp_path / "keys")
    seen: set[str] = set()
    batch = [(f"h{s}", histgen.Gen(s, keys).build()) for s in range(SEED, SEED + 200)]
    for _, h in batch:
        for nid in h.range_ids():
            n = h.nodes[nid]
            if len(n.parents) > 2:
                seen.add("octopus")
            if len(n.parents) == 2:
                seen.add("merge")
            if not n.parents:
                seen.add("foreign-root")
            modes = {m for m, _ in n.tree.values()}
            seen |= {"gitlink" for m in modes if m == "160000"}
            seen |= {"symlink" for m in modes if m == "120000"}
            if any(p.endswith(".yaml/inner") for p in n.tree):
                seen.add("folder")
            if any(b"BEGIN SSH SIGNATURE" in c for _, c in n.tree.values()):
                seen.add("signed")
    root = tmp_path / "r"
    histgen.new_repo(root)
    verdicts = {not o.ref for o in histgen.judge_all(root, batch[:30])}
    assert {"merge", "octopus", "foreign-root", "gitlink", "symlink", "folder",
            "signed"} <= seen, seen
    assert verdicts == {True, False}


def test_a_seed_always_builds_the_same_history(tmp_path: Path) -> None:
    # Reproducible cases: the same seed gives the same commits, trees and messages.
    keys = histgen.Keys(tmp_path / "keys")
    a, b = histgen.Gen(7, keys).build(), histgen.Gen(7, keys).build()
    assert a.nodes == b.nodes and (a.base, a.head) == (b.base, b.head)
    assert histgen.Gen(8, keys).build().nodes != a.nodes
