"""README's "A day with aireg" runs exactly as written, in a fresh directory."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
AIREG_BIN = Path(sys.executable).parent


def day_block() -> str:
    """The first ```sh block under the heading "A day with aireg"."""
    text = (ROOT / "README.md").read_text("utf-8")
    section = text.split("## A day with aireg", 1)[1]
    found = re.search(r"```sh\n(.*?)```", section, re.S)
    assert found is not None, "README has no sh block under 'A day with aireg'"
    return found.group(1)


def test_the_day_block_is_copy_pasteable() -> None:
    # The block is what a reader pastes: no elided arguments, no prompt characters.
    block = day_block()
    assert "..." not in block and "…" not in block
    assert not any(line.startswith("$ ") for line in block.splitlines())


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_readme_day_runs_as_written(tmp_path: Path) -> None:
    # Every command of the day succeeds in order (bash -e), as the people it names, and
    # leaves what the block says it makes: a tool that is active, an HTML report, the
    # decisions as CSV, and a pull request that validates clean against main.
    env = {**os.environ, "PATH": f"{AIREG_BIN}{os.pathsep}{os.environ['PATH']}",
           "NO_COLOR": "1", "COLUMNS": "120"}
    env.pop("AIREG_REGISTRY", None)
    result = subprocess.run(["bash", "-e", "-c", day_block()], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=280, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    reg = tmp_path / "acme-ai-tools"
    assert "stage: active" in (reg / "tools/otter-ai.yaml").read_text()
    assert (reg / "report.html").read_text().lstrip().lower().startswith("<!doctype html")
    assert "otter-ai" in (reg / "decisions.csv").read_text()
    assert "0 error(s)" in result.stdout
    assert "next: aireg advance otter-ai" in result.stdout
    assert "Traceback" not in result.stderr
