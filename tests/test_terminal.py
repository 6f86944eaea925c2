"""Terminal habits: shell completion, NO_COLOR and non-TTY output, --quiet."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Reg

AIREG = Path(sys.executable).parent / "aireg"  # the console script pip installed
LES = "les@acme.example"
CTO = "cto@acme.example"


def populate(reg: Reg) -> None:
    """Two tools, one waiting for review; enough for every read command to print rows."""
    reg.ok("propose", "--id", "otter", "--name", "Otter.ai", "--department", "marketing",
           "--problem", "Summaries take three hours.", "--goal", "A draft to edit.",
           "--criterion", "A draft in ten minutes", "--with", "ana@acme.example",
           "--no-input", as_=LES)
    reg.ok("propose", "--id", "slack-gpt", "--name", "Slack GPT", "--department", "sales",
           "--no-input", as_="sam@acme.example")
    reg.ok("advance", "otter", "--no-input", as_=LES)
    reg.ok("advance", "otter", "--group", "writers", "--count", "6", "--need", "labels",
           "--no-input", as_=LES)
    reg.ok("advance", "otter", "--start", "2026-11-03", "--end", "2026-11-14",
           "--participant", "ana@acme.example", "--data", "public", "--result", "passed",
           "--findings", "Fine.", "--security-data", "internal", "--no-trains-on-our-data",
           "--retention", "30 days", "--sso", "--no-integrations", "--no-input", as_=LES)


# -- completion -----------------------------------------------------------------------------


def complete(cwd: Path, words: str, *, shell: str = "bash", env: dict[str, str] | None = None
             ) -> subprocess.CompletedProcess[str]:
    """Ask the real `aireg` script for completions through typer's completion protocol."""
    full = {**os.environ, "_AIREG_COMPLETE": f"complete_{shell}", **(env or {})}
    if shell == "bash":
        full["COMP_WORDS"] = words
        full["COMP_CWORD"] = str(len(words.split(" ")) - 1)
    else:
        full["_TYPER_COMPLETE_ARGS"] = words
    return subprocess.run([str(AIREG)], cwd=cwd, env=full, capture_output=True, text=True,
                          timeout=60, check=False)


def test_completion_of_tool_ids_and_stages(reg: Reg) -> None:
    # Inside a registry, an ID argument completes to the tool ids with that prefix, for
    # every command that takes one, and --stage completes to the stage names.
    populate(reg)
    assert complete(reg.root, "aireg show s").stdout.split() == ["slack-gpt"]
    assert complete(reg.root, "aireg edit ").stdout.split() == ["otter", "slack-gpt"]
    assert complete(reg.root, "aireg review --security o").stdout.split() == ["otter"]
    assert complete(reg.root, "aireg list --stage p").stdout.split() == ["purpose", "pilot"]
    assert complete(reg.root, "aireg list --stage r").stdout.split() == ["rejected", "retired"]
    assert "ot" in complete(reg.root, "aireg advance o", shell="zsh").stdout


def test_completion_uses_the_registry_option_and_never_fails(reg: Reg, tmp_path: Path) -> None:
    # Outside the registry, --registry (or AIREG_REGISTRY) names where ids come from; with
    # no registry at all, completion offers nothing and prints no error.
    populate(reg)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    words = f"aireg --registry {reg.root} log o"
    assert complete(elsewhere, words).stdout.split() == ["otter"]
    env = {"AIREG_REGISTRY": str(reg.root)}
    assert complete(elsewhere, "aireg show ", env=env).stdout.split() == ["otter", "slack-gpt"]
    result = complete(elsewhere, "aireg show ")
    assert result.returncode == 0
    assert result.stdout.strip() == ""
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completion_script_completes_in_a_real_bash(reg: Reg) -> None:
    # The script `aireg --show-completion bash` prints (what --install-completion installs)
    # makes a real bash complete tool ids.
    populate(reg)
    script = (
        'source <(aireg --show-completion bash)\n'
        'COMP_WORDS=(aireg show o); COMP_CWORD=2\n'
        '_aireg_completion aireg\n'
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    env = {**os.environ, "PATH": f"{AIREG.parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(["bash", "-c", script], cwd=reg.root, env=env, text=True,
                            capture_output=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["otter"]


# -- no escape codes off a terminal, nor with NO_COLOR ----------------------------------------

READ_COMMANDS: list[tuple[str, ...]] = [
    ("--help",), ("list",), ("list", "--format", "csv"), ("list", "--format", "json"),
    ("show", "otter"), ("log", "otter"), ("due", "--within", "3650"),
    ("review", "--security"), ("validate",), ("validate", "--format", "github"),
    ("audit",), ("report",), ("report", "--format", "html"), ("schema",),
    ("codeowners", "--check"), ("show", "nope"), ("list", "--stage", "deployed"),
    ("list", "--bogus"),
]


def broken(reg: Reg) -> None:
    """A record with errors, so validate prints problems in its error style."""
    reg.write("tools/broken.yaml", """\
        schema: aireg/v1
        id: broken
        name: Broken
        department: marketting
        owner: les@acme.example
        stage: purpose
        created: 2026-11-01
        colour: blue
        """)


def test_no_escape_codes_when_output_is_not_a_terminal(reg: Reg,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # With NO_COLOR unset and a colour terminal type, output to a pipe (CliRunner's streams
    # are not terminals) carries no escape code, from any command, data or error.
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    for var in ("FORCE_COLOR", "CLICOLOR_FORCE", "PY_COLORS", "TTY_COMPATIBLE"):
        monkeypatch.delenv(var, raising=False)
    populate(reg)
    broken(reg)
    seen = 0
    for args in READ_COMMANDS:
        result = reg.aireg(*args)
        text = result.stdout + result.stderr
        assert "\x1b" not in text, (args, text[:300])
        seen += bool(text.strip())
    assert seen == len(READ_COMMANDS)  # every command said something


def run_in_pty(args: list[str], cwd: Path, env: dict[str, str],
               timeout: float = 60) -> tuple[int, bytes]:
    """Run a command with a real pseudo-terminal as stdin, stdout and stderr; a command
    still running after `timeout` seconds is killed and fails the test, naming itself."""
    import pty
    import select
    import time

    main, sub = pty.openpty()
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdin=sub, stdout=sub, stderr=sub,
                            close_fds=True, start_new_session=True)
    os.close(sub)
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 0.2)
        if not ready:
            if proc.poll() is not None and not select.select([main], [], [], 0)[0]:
                break
            continue
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the terminal closed: the process is done writing
            break
        if not chunk:
            break
        out += chunk
    os.close(main)
    if proc.poll() is None and time.monotonic() >= deadline:
        proc.kill()
        proc.wait()
        raise AssertionError(f"{' '.join(args)} still ran after {timeout} s:\n{out!r}")
    return proc.wait(timeout=10), out


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
@pytest.mark.parametrize(("args", "code"), [
    (["list"], 0), (["show", "otter"], 0), (["review", "--security"], 0),
    (["validate"], 1), (["show", "nope"], 2),
], ids=lambda v: " ".join(v) if isinstance(v, list) else str(v))
def test_no_color_in_a_real_terminal(reg: Reg, args: list[str], code: int) -> None:
    # On a real terminal aireg styles its output (bold headers, red errors), and with
    # NO_COLOR set the very same output carries not one escape code (not even bold).
    populate(reg)
    broken(reg)
    base = {k: v for k, v in os.environ.items()
            if k not in ("NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE", "PY_COLORS")}
    base.update(TERM="xterm-256color", COLUMNS="160", AIREG_REGISTRY=str(reg.root))
    rc, styled = run_in_pty([str(AIREG), *args], reg.root, base)
    assert rc == code, styled
    assert b"\x1b[" in styled
    rc, plain = run_in_pty([str(AIREG), *args], reg.root, {**base, "NO_COLOR": "1"})
    assert rc == code, plain
    assert b"\x1b" not in plain
    assert plain.strip()


# -- --quiet ----------------------------------------------------------------------------------


def test_quiet_prints_only_data_and_errors(reg: Reg) -> None:
    # --quiet silences confirmations and summaries, never data or errors.
    result = reg.ok("-q", "propose", "--id", "otter", "--name", "Otter.ai", "--department",
                    "marketing", "--no-input", as_=LES)
    assert result.output == ""
    assert "aireg: propose otter" in reg.head_message()
    result = reg.ok("-q", "validate", "--strict", "tools/otter.yaml")
    assert result.output == ""
    rows = json.loads(reg.ok("-q", "list", "--format", "json").stdout)
    assert [r["id"] for r in rows] == ["otter"]
    assert "otter" in reg.ok("--quiet", "list").stdout
    broken(reg)
    result = reg.aireg("-q", "validate")
    assert result.exit_code == 1
    assert "tools/broken.yaml" in result.stdout
    assert "checked" not in result.output  # no summary line
    result = reg.aireg("-q", "show", "nope")
    assert result.exit_code == 2
    assert "no tool 'nope'" in result.stderr


def test_quiet_init_is_silent(tmp_path: Path) -> None:
    # `aireg -q init` creates the registry and prints nothing.
    from typer.testing import CliRunner

    from aireg.cli.main import app

    result = CliRunner().invoke(app, ["-q", "init", str(tmp_path / "r"), "--org", "R"])
    assert result.exit_code == 0, result.output
    assert result.output == ""
    assert (tmp_path / "r" / "aireg.yaml").is_file()
