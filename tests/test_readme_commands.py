"""The README's fresh-machine commands: CI runs the test one as written; both use the lock."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def fresh_machine_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## Two commands on a fresh machine", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section, re.S)


def test_ci_runs_the_readme_test_command_exactly() -> None:
    # .ci/run calls the README's second command character for character, so a user who
    # copies it gets what CI checked.
    demo, tests = fresh_machine_commands()
    assert "\n" not in demo and "\n" not in tests, "each command is one line to copy"
    ci = (ROOT / ".ci" / "run").read_text("utf-8").splitlines()
    assert tests in ci, f".ci/run does not run the README's test command:\n{tests}"


def test_both_commands_install_from_the_lock_with_hashes() -> None:
    # Nothing resolves afresh on a user's machine: both commands install pinned, hashed
    # dependencies, and aireg itself without pulling anything more.
    demo, tests = fresh_machine_commands()
    assert "--require-hashes -r requirements.lock" in demo
    assert "--require-hashes -r requirements-dev.lock" in tests
    for command in (demo, tests):
        # aireg itself: no dependency and no build backend resolved afresh (setuptools is
        # in the lock, so the build runs without an isolated environment of its own).
        assert "--no-build-isolation --no-deps" in command
        for lock in re.findall(r"-r (\S+)", command):
            text = (ROOT / lock).read_text("utf-8")
            pins = re.findall(r"^([A-Za-z0-9_.-]+)==\S+ \\$", text, re.M)
            assert pins, lock
            assert text.count("--hash=sha256:") >= len(pins), f"{lock}: a pin without a hash"


def test_the_locks_pin_every_dependency_pyproject_names() -> None:
    # A dependency added to pyproject.toml without refreshing the locks (scripts/lock.sh)
    # would be missing on a fresh machine: every direct dependency has its pin.
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]

    def names(reqs: list[str]) -> set[str]:
        out = set()
        for req in reqs:
            name = re.split(r"[<>=!~\[; ]", req, maxsplit=1)[0]
            if name != "aireg":
                out.add(re.sub(r"[-_.]+", "-", name).lower())
        return out

    def pinned(lock: str) -> set[str]:
        text = (ROOT / lock).read_text("utf-8")
        return {re.sub(r"[-_.]+", "-", n).lower()
                for n in re.findall(r"^([A-Za-z0-9_.-]+)==", text, re.M)}

    build = names(tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
                  ["build-system"]["requires"])
    runtime = names(project["dependencies"]) | build
    extras = names(project["optional-dependencies"]["test"] +
                   project["optional-dependencies"]["dev"])
    assert runtime <= pinned("requirements.lock"), runtime - pinned("requirements.lock")
    assert runtime | extras <= pinned("requirements-dev.lock"), \
        (runtime | extras) - pinned("requirements-dev.lock")
