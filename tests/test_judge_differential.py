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

HISTORIES = int(os.environ.get("AIREG_DIFF_HISTORIES", "240"))
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
    verdicts: set[bool] = set()
    batch = [(f"h{s}", histgen.Gen(s, keys).build()) for s in range(SEED, SEED + 60)]
    root = tmp_path / "r"
    histgen.new_repo(root)
    for o in histgen.judge_all(root, batch):
        verdicts.add(not o.ref)
        for nid in o.history.range_ids():
            n = o.history.nodes[nid]
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
    assert {"merge", "octopus", "foreign-root", "gitlink", "symlink", "folder",
            "signed"} <= seen, seen
    assert verdicts == {True, False}
