"""Exits in one place: results carry their exit code, and a bug is one sentence, the version,
where to report it, and a log file with the traceback; never a traceback on the terminal."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import Reg

from aireg import __version__

CLI_TIMEOUT = 120


def forced_crash(reg: Reg, home: Path, command: str) -> subprocess.CompletedProcess[str]:
    """The real CLI entry point (aireg.cli.main:main) in a child process, with a core
    function replaced by one that raises as a bug would."""
    script = textwrap.dedent(f"""
        import sys
        from aireg import validate

        def broken(*args, **kwargs):
            raise ZeroDivisionError("division by zero. Really")

        validate.check = broken
        from aireg.cli.main import main
        sys.argv = ["aireg", "--registry", {str(reg.root)!r}, {command!r}]
        main()
    """)
    env = {**os.environ, "HOME": str(home), "NO_COLOR": "1"}
    env.pop("XDG_CACHE_HOME", None)
    return subprocess.run([sys.executable, "-c", script], env=env, text=True,
                          capture_output=True, timeout=CLI_TIMEOUT, check=False)


def test_an_unexpected_error_is_one_sentence_with_version_log_and_where_to_report(
        reg: Reg, tmp_path: Path) -> None:
    # A bug deep in the core: exit 70 (EX_SOFTWARE, never a rule's 1 or the environment's
    # 3), one sentence on stderr naming aireg's version, the log file and the issue tracker;
    # the traceback is in the log, not on the terminal.
    home = tmp_path / "home"
    home.mkdir()
    done = forced_crash(reg, home, "validate")
    assert done.returncode == 70, done.stderr
    err = done.stderr.strip()
    assert "Traceback" not in err and "ZeroDivisionError:" not in done.stdout
    assert len(err.splitlines()) == 1, err
    assert len(re.findall(r"[.!?](\s|$)", err)) == 1, err
    assert f"aireg {__version__}" in err
    assert "https://github.com/aireg-dev/aireg/issues" in err
    log = home / ".cache" / "aireg" / "aireg.log"
    assert str(log) in err
    text = log.read_text()
    assert "Traceback" in text and "ZeroDivisionError: division by zero. Really" in text
    assert f"aireg {__version__}" in text and "command: aireg --registry" in text


def test_results_carry_their_exit_code(reg: Reg) -> None:
    # validate, audit and due --check exit with what their result says: 0 when clean,
    # 1 when a rule is broken or work is overdue.
    assert reg.aireg("validate").exit_code == 0
    assert reg.aireg("audit").exit_code == 0
    assert reg.aireg("due", "--check").exit_code == 0
    reg.write("tools/broken.yaml", """
        schema: aireg/v1
        id: broken
        """)
    assert reg.aireg("validate").exit_code == 1


def test_result_objects_decide_the_exit_code() -> None:
    # The exit is the core's decision, carried by the result: unreadable files are the
    # environment (3), broken rules 1, warnings alone 0.
    from aireg.audit import AuditResult
    from aireg.problems import Problem
    from aireg.validate import Result

    warn = Problem("tools/a.yaml", "", "overdue", "measure-overdue", severity="warning")
    bad = Problem("tools/a.yaml", "stage", "bad", "schema")
    unreadable = Problem("tools/a.yaml", "", "cannot be read", "unreadable")
    assert Result([warn]).exit_code == 0
    assert Result([warn], strict=True).exit_code == 1
    assert Result([bad]).exit_code == 1
    assert Result([bad, unreadable]).exit_code == 3
    assert AuditResult([]).exit_code == 0
    assert AuditResult([bad]).exit_code == 1
