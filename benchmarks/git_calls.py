"""How many git processes reading a history costs: one log, one rev-list, one cat-file.

    python benchmarks/git_calls.py [--edits N]

Builds a small registry in a temporary folder (plain git commits, as tests/helpers_git.py
makes them), counts the git processes `history.check_history` starts by wrapping
aireg.gitrepo's runners, and exits 1 unless the count stays at one of each whatever the
number of commits. Moved here from tests/test_history.py: it pins how aireg calls git,
not what a user sees, by replacing aireg's internals.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))


def count_git_calls(edits: int) -> dict[str, int]:
    """git processes by kind for check_history over a record edited `edits` times."""
    from helpers_git import LES, Registry

    from aireg import gitrepo, history

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        (home / ".gitconfig").write_text("[user]\n\tname = A\n\temail = a@acme.example\n")
        os.environ.update({"HOME": str(home), "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
                           "GIT_CONFIG_NOSYSTEM": "1"})
        reg = Registry.create(Path(tmp) / "acme")
        reg.to_security()
        for _ in range(edits):
            reg.edit("notes", LES, lambda r: r.update(name=r["name"] + "!"))
        calls: list[tuple[str, ...]] = []
        real_run, real_log, real_cat = (gitrepo.Git.run, gitrepo.LogStream.__init__,
                                        gitrepo.CatFile.__init__)

        def run(self: Any, *args: str, **kw: Any) -> bytes:
            calls.append(args)
            return real_run(self, *args, **kw)

        def log(self: Any, git: Any, args: Any) -> None:
            calls.append(tuple(args))
            real_log(self, git, args)

        def cat(self: Any, root: Path) -> None:
            calls.append(("cat-file",))
            real_cat(self, root)

        gitrepo.Git.run, gitrepo.LogStream.__init__, gitrepo.CatFile.__init__ = (  # type: ignore[method-assign]
            run, log, cat)
        try:
            history.check_history(reg.root, None)
        finally:
            gitrepo.Git.run, gitrepo.LogStream.__init__, gitrepo.CatFile.__init__ = (  # type: ignore[method-assign]
                real_run, real_log, real_cat)
    return {name: sum(1 for a in calls if name in a) for name in ("log", "rev-list", "cat-file")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=10, help="commits after the proposal")
    args = parser.parse_args()
    counts = count_git_calls(args.edits)
    print(", ".join(f"{k}: {v}" for k, v in counts.items()))
    ok = counts == {"log": 1, "rev-list": 1, "cat-file": 1}
    print("PASS" if ok else "MISS: history reading should start one of each")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
