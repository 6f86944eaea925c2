"""The saved disagreements of the two history judges (fuzz/cases/*.fi, each a shrunk
history from the differential run): on each, aireg.history and tests/refjudge.py agree."""

from __future__ import annotations

from pathlib import Path

import histgen
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

CASES = sorted((Path(__file__).resolve().parent.parent / "fuzz" / "cases").glob("*.fi"))


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_both_judges_agree_on_a_saved_case(case: Path, tmp_path: Path) -> None:
    # One history that once made the judges disagree: the same (commit, file, rule class)
    # problems from both now.
    fast, ref, base, head = histgen.replay(case, tmp_path)
    assert fast == ref, (f"{case.name} (base {base[:12]}, head {head[:12]}): reference only "
                         f"{sorted(ref - fast, key=str)}, fast judge only "
                         f"{sorted(fast - ref, key=str)}; see {case.with_suffix('.txt')}")
