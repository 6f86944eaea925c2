"""Bad input of every kind: one clear sentence, the right exit code, nothing written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import Reg, dedent
from typer.testing import CliRunner

from aireg.cli.main import app

LES, ANA = "les@acme.example", "ana@acme.example"

GOOD = """\
schema: aireg/v1
id: {id}
name: Otter.ai
department: marketing
owner: les@acme.example
stage: purpose
created: 2026-11-01
"""


def problems(reg: Reg, *paths: str) -> tuple[int, list[dict[str, object]]]:
    result = reg.aireg("validate", *paths, "--format", "json")
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.stdout)["problems"]


def only_problem(reg: Reg, rel: str, content: str | bytes) -> dict[str, object]:
    path = reg.root / rel
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(dedent(content))
    code, found = problems(reg)
    assert code == 1, found
    mine = [p for p in found if p["file"] == rel]
    assert mine, found
    return mine[0]


@pytest.mark.parametrize(
    ("content", "line", "words"),
    [
        ("schema: aireg/v1\nid: x\nname: a: b\n", 3, "parse"),
        ("schema: aireg/v1\nid: x\nowner: !!python/object:os.system ls\n", 3, "tag"),
        ("schema: aireg/v1\nid: x\nid: y\n", 3, "twice"),
        ("schema: aireg/v1\nid: x\nname:\n\t- a\n", 4, "tab"),
        ("- just\n- a list\n", 1, "mapping"),
    ],
    ids=["malformed", "python-tag", "duplicate-key", "tabs", "not-a-mapping"],
)
def test_unreadable_records_are_located(reg: Reg, content: str, line: int, words: str) -> None:
    # Each unreadable file is reported with file:line and a reason, as a problem (exit 1).
    p = only_problem(reg, "tools/x.yaml", content)
    assert p["line"] == line, p
    assert words in str(p["message"]).lower(), p


@pytest.mark.parametrize("word", ["no", "off", "yes"])
def test_yaml11_booleans_are_refused_with_the_fix(reg: Reg, word: str) -> None:
    # A bare no/off/yes is never silently False/True: the message says what to write.
    p = only_problem(reg, "tools/otter.yaml",
                     GOOD.format(id="otter") + f"security:\n  sso: {word}\n")
    assert "false" in str(p["message"]) and "quote" in str(p["message"])
    assert p["line"] == 9


def test_alias_and_merge_key_bombs_refused_fast(reg: Reg) -> None:
    # Billion-laughs aliases and a merge-key bomb are refused at parse time, in milliseconds.
    laughs = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for i in range(1, 10):
        prev = chr(ord("a") + i - 1)
        laughs += f"{chr(ord('a') + i)}: &{chr(ord('a') + i)} [{', '.join(['*' + prev] * 9)}]\n"
    merge = "base: &b {x: 1}\n" + "".join(f"m{i}: {{<<: *b}}\n" for i in range(2000))
    for name, text in (("laughs", laughs), ("merge", merge)):
        (reg.root / f"tools/{name}.yaml").write_text(text)
    started = time.perf_counter()
    code, found = problems(reg)
    assert time.perf_counter() - started < 5
    assert code == 1
    for name in ("laughs", "merge"):
        mine = [p for p in found if p["file"] == f"tools/{name}.yaml"]
        assert mine and ("alias" in str(mine[0]["message"]).lower()
                         or "anchor" in str(mine[0]["message"]).lower()), found


def test_non_utf8_and_binary_files(reg: Reg) -> None:
    # Latin-1 bytes and a binary blob in tools/ are each one problem naming the file.
    p = only_problem(reg, "tools/latin.yaml", "name: caf\xe9\n".encode("latin-1"))
    assert "utf-8" in str(p["message"]).lower()
    p = only_problem(reg, "tools/blob.yaml", b"\x00\x01\x02PNG\x00")
    assert "binary" in str(p["message"]).lower()


def test_bad_file_names_ids_and_values(reg: Reg) -> None:
    # A name that is no id, an id that differs from the file name, an unknown stage,
    # an impossible date and an unknown decision are all reported in one run.
    (reg.root / "tools/Bad Name.yaml").write_text(GOOD.format(id="bad"))
    (reg.root / "tools/other.yaml").write_text(GOOD.format(id="not-other"))
    (reg.root / "tools/stage.yaml").write_text(GOOD.format(id="stage").replace(
        "stage: purpose", "stage: piolt"))
    (reg.root / "tools/when.yaml").write_text(GOOD.format(id="when").replace(
        "2026-11-01", "2026-13-45"))
    (reg.root / "tools/dec.yaml").write_text(GOOD.format(id="dec").replace(
        "stage: purpose", "stage: security") + dedent("""
        security:
          review: {decision: aproved, by: cto@acme.example, date: 2026-11-20,
                   digest: "sha256:ZEROS"}
        """).replace("ZEROS", "0" * 64))
    code, found = problems(reg)
    assert code == 1

    def said(rel: str) -> str:
        return " ".join(str(p["message"]) for p in found if p["file"] == rel)

    assert "not a valid tool id" in said("tools/Bad Name.yaml")
    assert [p["field"] for p in found if p["file"] == "tools/other.yaml"] == ["id"]
    assert 'did you mean "pilot"' in said("tools/stage.yaml").lower()
    assert "not a real date" in said("tools/when.yaml")
    assert "write one of: approved, changes-requested, rejected" in said("tools/dec.yaml")
    assert all(p["line"] for p in found), found


def test_unknown_key_did_you_mean(reg: Reg) -> None:
    # A misspelt key names the key, suggests the right one and gives its line.
    p = only_problem(reg, "tools/otter.yaml", GOOD.format(id="otter") + "vendr: Otter\n")
    assert 'unknown key "vendr"' in str(p["message"]) and '"vendor"' in str(p["message"])
    assert p["line"] == 8


def test_symlink_outside_registry(reg: Reg, tmp_path: Path) -> None:
    # A tools/ entry that links outside the repository is refused, not followed.
    secret = tmp_path / "secret.yaml"
    secret.write_text(GOOD.format(id="link"))
    (reg.root / "tools/link.yaml").symlink_to(secret)
    code, found = problems(reg)
    assert code == 1
    assert any("outside the registry" in str(p["message"]) for p in found)
    result = reg.aireg("show", "link")
    assert result.exit_code == 1 and "outside the registry" in result.stderr


@pytest.mark.parametrize("bad_id", ["../etc/passwd", "Otter", "two words", "a--b"])
def test_bad_ids_on_the_command_line(reg: Reg, bad_id: str) -> None:
    # An id that is not a slug is a usage error (exit 2) and nothing is written.
    count = reg.commit_count()
    for args in (["show", bad_id], ["propose", "--id", bad_id, "--name", "X",
                                    "--department", "sales"]):
        result = reg.aireg(*args, as_=LES)
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        assert "slug" in result.stderr
    assert reg.commit_count() == count
    assert reg.git("status", "--porcelain") == ""


def test_unknown_tool_is_usage_error_with_suggestion(reg: Reg) -> None:
    # A typo in a tool id is exit 2 with a did-you-mean.
    reg.ok("propose", "--name", "Otter.ai", "--department", "marketing", as_=LES)
    result = reg.aireg("show", "otter-ia")
    assert result.exit_code == 2
    assert 'Did you mean "otter-ai"' in result.stderr


def test_broken_and_missing_config(reg: Reg) -> None:
    # A broken aireg.yaml is a rule problem (exit 1) naming the field; none at all is exit 3.
    (reg.root / "aireg.yaml").write_text((reg.root / "aireg.yaml").read_text().replace(
        "measure_within_days: 90", "measure_within_days: ninety"))
    code, found = problems(reg)
    assert code == 1 and found[0]["file"] == "aireg.yaml"
    assert found[0]["field"] == "policy.measure_within_days"
    result = reg.aireg("propose", "--name", "X", "--department", "sales", as_=LES)
    assert result.exit_code == 1 and "aireg.yaml" in result.stderr
    (reg.root / "aireg.yaml").unlink()
    result = reg.aireg("list")
    assert result.exit_code == 3 and "aireg init" in result.stderr


def test_outside_a_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Running where no aireg.yaml is found is exit 3 with the fix.
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["list"])
    assert result.exit_code == 3
    assert "not inside an aireg registry" in result.stderr


def test_git_unconfigured(reg: Reg, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Without user.email git cannot say who acts: exit 3 naming the command that fixes it.
    empty = tmp_path / "empty.gitconfig"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    result = reg.runner.invoke(app, ["--registry", str(reg.root), "propose", "--name", "X",
                                     "--department", "sales"])
    assert result.exit_code == 3, result.output
    assert "git config --global user.email" in result.stderr
    assert not (reg.root / "tools/x.yaml").exists()


def test_git_missing(reg: Reg, tmp_path: Path) -> None:
    # With no git on PATH the command says to install git (exit 3), in a real subprocess.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_PYTHON")}
    bindir = tmp_path / "bin"
    bindir.mkdir()
    env["PATH"] = str(bindir)  # an empty folder: no git anywhere
    proc = subprocess.run(
        [sys.executable, "-m", "aireg", "--registry", str(reg.root), "propose",
         "--name", "X", "--department", "sales"],
        capture_output=True, text=True, env=env)
    assert proc.returncode == 3, proc.stderr
    assert "git is not installed" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_detached_head(reg: Reg) -> None:
    # On a detached HEAD a commit would be lost: refuse with exit 3, write nothing.
    reg.git("checkout", "-q", "--detach")
    result = reg.aireg("propose", "--name", "X", "--department", "sales", as_=LES)
    assert result.exit_code == 3, result.output
    assert "detached" in result.stderr
    assert not (reg.root / "tools/x.yaml").exists()


def test_locked_index(reg: Reg) -> None:
    # Another git process holds the index: exit 3, nothing written or committed.
    count = reg.commit_count()
    (reg.root / ".git/index.lock").write_text("")
    result = reg.aireg("propose", "--name", "X", "--department", "sales", as_=LES)
    assert result.exit_code == 3, result.output
    assert "index.lock" in result.stderr
    assert not (reg.root / "tools/x.yaml").exists()
    assert reg.commit_count() == count


def test_interrupted_prompt_writes_nothing(reg: Reg) -> None:
    # End of input at a prompt (like Ctrl-D / Ctrl-C) leaves no file and no commit.
    count = reg.commit_count()
    result = reg.aireg("propose", "--department", "sales", as_=LES)
    assert result.exit_code == 2
    assert "--name" in result.stderr
    assert reg.commit_count() == count
