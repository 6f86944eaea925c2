"""`aireg init` anywhere: the demo without a git identity, all or nothing, resolvable pins,
and git calls that an inherited GIT_DIR cannot aim at another repository."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Reg, git

CLI_TIMEOUT = 120


def no_identity_env(home: Path) -> dict[str, str]:
    """An environment in which git knows nobody: an empty HOME, no global or system config,
    no identity variables, and user.useConfigOnly so git never makes one up from the host
    name (the behaviour is then the same on every machine)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("GIT_") and k not in ("EMAIL", "HOME")}
    home.mkdir(parents=True, exist_ok=True)
    env.update({"HOME": str(home), "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "user.useConfigOnly",
                "GIT_CONFIG_VALUE_0": "true", "NO_COLOR": "1"})
    return env


def run_cli(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "aireg", *args], cwd=cwd, env=env, text=True,
                          capture_output=True, timeout=CLI_TIMEOUT, check=False)


def test_example_needs_no_identity_of_the_users_own(tmp_path: Path) -> None:
    # README command 1 on a fresh machine: init --example and list both exit 0; the demo's
    # commits are made by its example people, init's own by the example CTO.
    env = no_identity_env(tmp_path / "home")
    made = run_cli("init", "demo", "--example", cwd=tmp_path, env=env)
    assert made.returncode == 0, made.stdout + made.stderr
    listed = run_cli("list", cwd=tmp_path / "demo", env=env)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert "interview-summaries" in listed.stdout
    authors = git(tmp_path / "demo", "log", "--format=%ae %ce").split("\n")
    assert all(re.fullmatch(r"(\S+@example\.com) \1", a) for a in authors if a), authors
    assert authors[-2].split()[0] == "cto@example.com"  # the oldest (last line is empty)
    reflog = git(tmp_path / "demo", "reflog", "--format=%gE", "main")
    assert set(reflog.split()) <= {a.split()[0] for a in authors if a}, reflog


def test_real_init_without_identity_says_so_and_leaves_nothing(tmp_path: Path) -> None:
    # A real registry still needs the user: exit 3, one sentence with the fix, no traceback,
    # and no half-made folder (no stray .git); with the identity set, the same command works.
    env = no_identity_env(tmp_path / "home")
    failed = run_cli("init", "reg", cwd=tmp_path, env=env)
    assert failed.returncode == 3, failed.stdout + failed.stderr
    assert "git config --global user.email you@example.com" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert len(re.findall(r"[.!?](\s|$)", failed.stderr.strip())) == 1, failed.stderr
    assert not (tmp_path / "reg").exists()
    (tmp_path / "empty").mkdir()
    failed = run_cli("init", "empty", cwd=tmp_path, env=env)
    assert failed.returncode == 3
    assert list((tmp_path / "empty").iterdir()) == []
    env["GIT_CONFIG_COUNT"] = "2"
    env["GIT_CONFIG_KEY_1"], env["GIT_CONFIG_VALUE_1"] = "user.email", "me@acme.example"
    again = run_cli("init", "empty", cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "me@acme.example" in (tmp_path / "empty" / "aireg.yaml").read_text()


def test_a_failed_example_init_leaves_nothing_and_can_be_run_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The demo failing half-way (here: its sample history) removes the folder it made, so
    # running the command again simply works.
    from typer.testing import CliRunner

    from aireg import example
    from aireg.cli.main import app
    from aireg.errors import EnvError

    def broken(root: Path, admin: object) -> list[str]:
        raise EnvError("the disk is full")

    monkeypatch.chdir(tmp_path)
    with monkeypatch.context() as m:
        m.setattr(example, "populate", broken)
        result = CliRunner().invoke(app, ["init", "demo", "--example"])
    assert result.exit_code == 3, result.output
    assert not (tmp_path / "demo").exists()
    result = CliRunner().invoke(app, ["init", "demo", "--example"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "demo" / "tools" / "interview-summaries.yaml").is_file()


def test_init_pins_the_installed_aireg_with_a_note_on_pinning_a_commit(reg: Reg) -> None:
    # The pre-commit rev, the GitHub actions and GitLab name the aireg that made the
    # registry (resolvable), and each says how to pin a commit instead.
    from aireg import init

    ref = init.installed_ref()
    assert re.fullmatch(r"v\d+\.\d+\.\d+.*|[0-9a-f]{40}", ref)
    precommit = reg.read(".pre-commit-config.yaml")
    assert f"rev: {ref}\n" in precommit
    for rel in (".github/workflows/aireg.yml", ".github/workflows/aireg-due.yml"):
        text = reg.read(rel)
        uses = re.findall(r"uses: aireg-dev/aireg@(\S+)", text)
        assert uses and set(uses) == {ref}, rel
    assert f'AIREG_REF: "{ref}"' in reg.read(".gitlab-ci.yml")
    for rel in (".pre-commit-config.yaml", ".github/workflows/aireg.yml", ".gitlab-ci.yml"):
        assert "pin a commit instead" in reg.read(rel), rel


def test_installed_from_a_clone_pins_the_clone_s_commit(tmp_path: Path) -> None:
    # `pip install ./aireg` records only the folder: init then pins the commit checked out
    # there, which the user can resolve, instead of a release tag that may not exist.
    import subprocess

    clone = tmp_path / "aireg-clone"
    clone.mkdir()
    for args in (["init", "-q"], ["commit", "-q", "--allow-empty", "-m", "x"]):
        subprocess.run(["git", "-C", str(clone), *args], check=True, capture_output=True,
                       timeout=30)
    head = subprocess.run(["git", "-C", str(clone), "rev-parse", "HEAD"], check=True,
                          capture_output=True, text=True, timeout=30).stdout.strip()
    site = tmp_path / "site" / "aireg-0.1.0.dist-info"
    site.mkdir(parents=True)
    (site / "METADATA").write_text("Metadata-Version: 2.1\nName: aireg\nVersion: 0.1.0\n")
    (site / "direct_url.json").write_text(
        '{"dir_info": {"editable": true}, "url": "' + clone.as_uri() + '"}')
    script = ("import sys; sys.path.insert(0, sys.argv[1]); from aireg import init; "
              "print(init.installed_ref())")
    done = subprocess.run([sys.executable, "-c", script, str(site.parent)], check=True,
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.stdout.strip() == head


def test_pin_versions_writes_a_commit_where_the_template_names_a_release() -> None:
    # Installed from a commit (pip install git+URL@COMMIT): that commit is written.
    from aireg import init

    sha = "0123456789abcdef0123456789abcdef01234567"
    text = "repos:\n  - repo: x\n    rev: v0.1.0\n"
    assert init.pin_versions(".pre-commit-config.yaml", text, sha).endswith(f"rev: {sha}\n")
    assert init.pin_versions("README.md", "rev: v0.1.0\n", sha) == "rev: v0.1.0\n"


def test_an_inherited_git_dir_never_aims_aireg_at_another_repository(
        reg: Reg, tmp_path: Path) -> None:
    # GIT_DIR, GIT_WORK_TREE and GIT_INDEX_FILE set by a hook or a script for some other
    # repository: aireg reads and commits the registry it found, and the other repository
    # is untouched.
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q")
    (other / "f.txt").write_text("x\n")
    git(other, "add", "f.txt")
    git(other, "commit", "-q", "-m", "other's own")
    other_head = git(other, "rev-parse", "HEAD")
    count = reg.commit_count()
    env = {"GIT_DIR": str(other / ".git"), "GIT_WORK_TREE": str(other),
           "GIT_INDEX_FILE": str(other / ".git" / "index"),
           "GIT_AUTHOR_EMAIL": "someone@else.example", "GIT_COMMITTER_EMAIL": "x@else.example"}
    reg.ok("propose", "--name", "Otter.ai", "--id", "otter", "--department", "marketing",
           "--no-input", as_="les@acme.example", env=env)
    reg.ok("list", env=env)
    assert reg.commit_count() == count + 1
    les = "les@acme.example"
    assert git(reg.root, "log", "-1", "--format=%ae %ce").split() == [les, les]
    assert git(other, "rev-parse", "HEAD") == other_head
    assert git(other, "status", "--porcelain") == ""
    assert reg.git("status", "--porcelain") == ""


def test_init_with_an_inherited_git_dir_makes_the_registrys_own_repository(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `aireg init` run from inside another repository's hook: the new registry gets its
    # own .git, and the other repository gains no commit.
    from typer.testing import CliRunner

    from aireg.cli.main import app

    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q")
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    result = CliRunner().invoke(app, ["init", str(tmp_path / "fresh")])
    monkeypatch.delenv("GIT_DIR")
    monkeypatch.delenv("GIT_WORK_TREE")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "fresh" / ".git").is_dir()
    assert git(tmp_path / "fresh", "rev-list", "--count", "HEAD").strip() == "1"
    done = subprocess.run(["git", "-C", str(other), "rev-parse", "-q", "--verify", "HEAD"],
                          capture_output=True, timeout=30, check=False)
    assert done.returncode != 0  # still no commit there


def test_clean_env_keeps_what_git_needs_and_drops_what_would_redirect_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Remote access, config files and config-by-environment stay; repository, index and
    # identity variables go; git runs in the C locale so its messages read the same.
    from aireg.gitrepo import clean_env

    for var, value in {"GIT_DIR": "/x", "GIT_WORK_TREE": "/x", "GIT_INDEX_FILE": "/x/i",
                       "GIT_OBJECT_DIRECTORY": "/x/o", "GIT_AUTHOR_NAME": "X",
                       "GIT_SSH_COMMAND": "ssh -v", "GIT_CONFIG_COUNT": "1",
                       "GIT_CONFIG_KEY_0": "a.b", "GIT_CONFIG_VALUE_0": "c",
                       "LC_ALL": "de_DE.UTF-8"}.items():
        monkeypatch.setenv(var, value)
    env = clean_env({"GIT_INDEX_FILE": "/mine"})
    for gone in ("GIT_DIR", "GIT_WORK_TREE", "GIT_OBJECT_DIRECTORY", "GIT_AUTHOR_NAME"):
        assert gone not in env
    assert env["GIT_INDEX_FILE"] == "/mine"
    assert env["GIT_SSH_COMMAND"] == "ssh -v"
    assert (env["GIT_CONFIG_COUNT"], env["GIT_CONFIG_KEY_0"]) == ("1", "a.b")
    assert env["LC_ALL"] == "C"
    assert env["GIT_CONFIG_GLOBAL"] == os.environ["GIT_CONFIG_GLOBAL"]
