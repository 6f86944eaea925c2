"""Shared fixtures: isolated git and HOME (guarded), a fresh registry, and the real CLI;
the registries are built by tests/harness.py."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from harness import ACME_CONFIG, ADMIN, acting_as, author_env, dedent, git, init_acme
from typer.testing import CliRunner

from aireg.cli.main import app

__all__ = ["ACME_CONFIG", "ADMIN", "Reg", "dedent", "git"]


# The developer's own home, as it was before any test ran.
REAL_HOME = os.path.realpath(os.path.expanduser("~"))
_expanduser = os.path.expanduser


class TouchedRealHome(AssertionError):
    """A test reached the developer's real $HOME (their git config, keys, caches)."""


def _guarded_expanduser(path: Any) -> Any:
    out = _expanduser(path)
    text = os.fsdecode(out)
    if text == REAL_HOME or text.startswith(REAL_HOME.rstrip("/") + "/"):
        raise TouchedRealHome(f"this test reached the real $HOME ({text}); give it a HOME "
                              "of its own (the isolated_env fixture does)")
    return out


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # No test may touch the real $HOME or the developer's git config: HOME is a fresh folder,
    # and a path expanded into the real home fails the test loudly (TouchedRealHome), as
    # pre-commit's tests do; so does a test that leaves HOME pointing there.
    home = tmp_path_factory.mktemp("home")
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = Admin\n\temail = admin@acme.example\n"
        "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n"
    )
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_AUTHOR_NAME",
                "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL",
                "GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE", "AIREG_REGISTRY", "AIREG_TODAY",
                "GIT_CONFIG_COUNT", "EDITOR", "VISUAL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    if REAL_HOME != "/":
        monkeypatch.setattr(os.path, "expanduser", _guarded_expanduser)
    yield
    left = os.path.realpath(os.environ.get("HOME", ""))
    if REAL_HOME != "/" and left == REAL_HOME:
        raise TouchedRealHome(f"this test set HOME back to the real one ({left})")


@dataclass
class Reg:
    """A registry in a real temporary git repository, driven through the real CLI."""

    root: Path
    runner: CliRunner

    def aireg(self, *args: str, as_: str = ADMIN, input: str | None = None,
              env: dict[str, str] | None = None) -> Any:
        """Run `aireg ARGS` in the registry as the person `as_` (git's user.email)."""
        run_env = {**acting_as(as_), **(env or {})}
        return self.runner.invoke(app, ["--registry", str(self.root), *args], input=input,
                                  env=run_env)

    def ok(self, *args: str, as_: str = ADMIN, **kw: Any) -> Any:
        result = self.aireg(*args, as_=as_, **kw)
        assert result.exit_code == 0, result.output
        return result

    def git(self, *args: str) -> str:
        return git(self.root, *args)

    def read(self, rel: str) -> str:
        return (self.root / rel).read_text()

    def load(self, rel: str) -> Any:
        from aireg import yamlio

        return yamlio.load(self.read(rel), rel)

    def write(self, rel: str, text: str) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text))

    def commit_all(self, message: str = "hand edit", as_: str = ADMIN) -> None:
        self.git("add", "-A")
        git(self.root, "commit", "-q", "-m", message, env=author_env(as_))

    def head_message(self, rev: str = "HEAD") -> str:
        return self.git("log", "-1", "--format=%B", rev)

    def commit_count(self) -> int:
        return int(self.git("rev-list", "--count", "HEAD").strip())


@pytest.fixture
def reg(tmp_path: Path) -> Reg:
    """A registry made by `aireg init`, with Acme's config committed by the admin."""
    runner = CliRunner()
    return Reg(init_acme(tmp_path / "acme", runner), runner)


DEMO_DAY = "2026-11-23"  # the example's history is laid out backwards from this day
_demo_source: dict[str, Path] = {}


@pytest.fixture
def demo(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path,
         monkeypatch: pytest.MonkeyPatch) -> Reg:
    """A private copy of `aireg init --example`, standing on DEMO_DAY (the example is built
    once per run and copied for each test, which may change its copy freely)."""
    monkeypatch.setenv("AIREG_TODAY", DEMO_DAY)
    if "demo" not in _demo_source:
        root = tmp_path_factory.mktemp("demo-src") / "demo"
        result = CliRunner().invoke(app, ["init", str(root), "--example"])
        assert result.exit_code == 0, result.output
        _demo_source["demo"] = root
    root = tmp_path / "demo"
    shutil.copytree(_demo_source["demo"], root, symlinks=True)
    return Reg(root, CliRunner())
