"""The HOME guard: a test that reaches the developer's real $HOME fails, loudly."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import REAL_HOME, TouchedRealHome


def test_home_is_a_fresh_folder_of_the_tests_own() -> None:
    # Every test runs with HOME elsewhere than the developer's home, and git reads a
    # config file of the test's.
    assert os.path.realpath(os.environ["HOME"]) != REAL_HOME
    assert os.environ["GIT_CONFIG_GLOBAL"].startswith(os.environ["HOME"])


@pytest.mark.skipif(REAL_HOME == "/", reason="no real home to guard on this machine")
def test_expanding_a_path_into_the_real_home_fails_the_test(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Code that would read or write ~ of the real user (Path.home(), expanduser) raises.
    monkeypatch.setenv("HOME", REAL_HOME)
    with pytest.raises(TouchedRealHome):
        Path("~/.gitconfig").expanduser()
    with pytest.raises(TouchedRealHome):
        Path.home()
    monkeypatch.setenv("HOME", os.path.join(os.sep, "nonexistent-home"))
    assert Path.home() == Path(os.sep, "nonexistent-home")
