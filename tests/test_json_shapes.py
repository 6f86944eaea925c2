"""Every read command's `--format json` output has exactly the shape docs/json.md documents."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from aireg.cli.main import app
from aireg.records import ID_RE, STAGE_NAMES

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "json.md"
DATA = ROOT / "tests" / "data"
RFC_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}([+-]\d{2}:\d{2}|Z)$")

SCALARS: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "date": lambda v: isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) is not None,
    "datetime": lambda v: isinstance(v, str) and RFC_DATETIME.match(v) is not None,
    "commit": lambda v: isinstance(v, str) and re.fullmatch(r"[0-9a-f]{40}", v) is not None,
    "short-commit": lambda v: isinstance(v, str) and re.fullmatch(r"[0-9a-f]{12}", v) is not None,
    "email": lambda v: isinstance(v, str) and re.fullmatch(r"[^@\sA-Z]+@[^@\sA-Z]+", v) is not None,
    "id": lambda v: isinstance(v, str) and ID_RE.match(v) is not None,
    "stage": lambda v: v in STAGE_NAMES,
    "object": lambda v: isinstance(v, dict),
}


def doc_shapes() -> dict[str, Any]:
    """The ```json NAME blocks of docs/json.md, parsed."""
    blocks = re.findall(r"^```json (\w+)\n(.*?)^```$", DOC.read_text("utf-8"), re.M | re.S)
    return {name: json.loads(body) for name, body in blocks}


class Checker:
    """Compares a value with a documented shape; remembers which lists held items."""

    def __init__(self, shapes: dict[str, Any]) -> None:
        self.shapes = shapes
        self.errors: list[str] = []
        self.filled: set[str] = set()

    def check(self, value: Any, shape: Any, path: str) -> None:
        if isinstance(shape, str) and shape in self.shapes:
            shape = self.shapes[shape]
        if isinstance(shape, dict):
            self._object(value, shape, path)
        elif isinstance(shape, list):
            if not isinstance(value, list):
                self.errors.append(f"{path}: expected a list, got {value!r:.80}")
                return
            if value:
                self.filled.add(path)
            for i, item in enumerate(value):
                self.check(item, shape[0], f"{path}[{i}]")
        else:
            self._scalar(value, shape, path)

    def _object(self, value: Any, shape: dict[str, Any], path: str) -> None:
        if not isinstance(value, dict):
            self.errors.append(f"{path}: expected an object, got {value!r:.80}")
            return
        keys = list(shape)
        if len(keys) == 1 and keys[0].startswith("<"):
            for k, v in value.items():
                self.check(v, shape[keys[0]], f"{path}.{k}")
            return
        if list(value) != keys:
            self.errors.append(f"{path}: keys {list(value)} differ from the documented {keys}")
        for k in keys:
            if k in value:
                self.check(value[k], shape[k], f"{path}.{k}")

    def _scalar(self, value: Any, shape: str, path: str) -> None:
        for alt in (a.strip() for a in shape.split("|")):
            if alt.startswith("[") and alt.endswith("]"):
                if isinstance(value, list) and all(SCALARS[alt[1:-1]](v) for v in value):
                    if value:
                        self.filled.add(path)
                    return
            elif alt in SCALARS:
                if SCALARS[alt](value):
                    return
            elif value == alt:  # a literal word
                return
        self.errors.append(f"{path}: {value!r:.80} is not {shape}")


def list_paths(shape: Any, shapes: dict[str, Any], path: str = "$") -> set[str]:
    """Every list a shape documents, as the paths Checker.filled records (indexes as [])."""
    if isinstance(shape, str) and shape in shapes:
        return list_paths(shapes[shape], shapes, path)
    if isinstance(shape, dict):
        keys = list(shape)
        if len(keys) == 1 and keys[0].startswith("<"):
            return list_paths(shape[keys[0]], shapes, f"{path}.*")
        return set().union(*(list_paths(v, shapes, f"{path}.{k}") for k, v in shape.items()))
    if isinstance(shape, list):
        return {path} | list_paths(shape[0], shapes, f"{path}[]")
    if isinstance(shape, str) and any(a.strip().startswith("[") for a in shape.split("|")):
        return {path}
    return set()


def normalized(path: str) -> str:
    return re.sub(r"\[\d+\]", "[]", path)


def documented(path: str) -> re.Pattern[str]:
    """A documented list path as a pattern: `.*` stands for any one <name> key."""
    return re.compile(re.escape(path).replace(r"\.\*", r"\.[^.\[]+"))


# -- the example registry, with something wrong in it so that every list has items ---------

ADMIN = "admin@acme.example"


class Example:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.runner = CliRunner()

    def run(self, *args: str, as_: str = ADMIN) -> Any:
        env = {"GIT_CONFIG_COUNT": "2", "GIT_CONFIG_KEY_0": "user.email",
               "GIT_CONFIG_VALUE_0": as_, "GIT_CONFIG_KEY_1": "user.name",
               "GIT_CONFIG_VALUE_1": as_.split("@")[0]}
        return self.runner.invoke(app, ["--registry", str(self.root), *args], env=env)

    def git(self, *args: str, as_: str = ADMIN) -> None:
        name = as_.split("@")[0]
        env = {"GIT_AUTHOR_EMAIL": as_, "GIT_COMMITTER_EMAIL": as_, "GIT_AUTHOR_NAME": name,
               "GIT_COMMITTER_NAME": name}
        subprocess.run(["git", "-C", str(self.root), *args], check=True, capture_output=True,
                       env={**os.environ, **env})


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Example]:
    """`aireg init --example`, plus: a tool whose purpose echoes another department's (an
    overlap with shared words), a review forged by the tool's owner in a hand-made commit
    (an audit problem), and a record that does not parse (a validate problem, and a file
    the report cannot read). Built once for the module (the commands only read it), with
    HOME and git config isolated as conftest's autouse fixture does for each test."""
    with pytest.MonkeyPatch.context() as mp:
        home = tmp_path_factory.mktemp("example-home")
        (home / ".gitconfig").write_text(
            "[user]\n\tname = Admin\n\temail = admin@acme.example\n"
            "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n")
        mp.setenv("HOME", str(home))
        mp.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
        mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
        for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_AUTHOR_NAME",
                    "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL",
                    "GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE", "AIREG_REGISTRY", "AIREG_TODAY",
                    "GIT_CONFIG_COUNT"):
            mp.delenv(var, raising=False)
        yield _build_example(tmp_path_factory.mktemp("example") / "example")


def _build_example(root: Path) -> Example:
    runner = CliRunner()
    result = runner.invoke(app, ["init", str(root), "--org", "Example", "--example"])
    assert result.exit_code == 0, result.output
    ex = Example(root)
    result = ex.run(
        "propose", "--id", "call-summaries", "--name", "Gong", "--department", "sales",
        "--problem", "Writing an interview summary takes three hours.",
        "--goal", "A draft summary the writer edits, not writes.",
        "--criterion", "A draft within ten minutes", "--with", "ana@example.com",
        "--no-input", as_="sam@example.com")
    assert result.exit_code == 0, result.output
    rec = root / "tools" / "marketing-assistant.yaml"
    text = rec.read_text()
    assert "    by: cto@example.com\n" in text
    rec.write_text(text.replace("    by: cto@example.com\n", "    by: ana@example.com\n"))
    ex.git("commit", "-q", "-am", "approve my own tool", as_="ana@example.com")
    # An imported inventory (issue 13): deployed tools never reviewed, evidence they lack,
    # a risk flag, dates left out.
    result = ex.run("import", str(DATA / "ombegov_use_cases_slice.csv"), "--map",
                    "ombegov-use-cases")
    assert result.exit_code == 0, result.output
    (root / "tools" / "broken.yaml").write_text("schema: aireg/v1\nid: broken\nname: [oops\n")
    return ex


COMMANDS: dict[str, tuple[str, ...]] = {
    "list": ("list", "--format", "json"),
    "show": ("show", "interview-summaries", "--format", "json"),
    "log": ("log", "code-assistant", "--format", "json"),
    "due": ("due", "--within", "3650", "--format", "json"),
    "review": ("review", "--security", "--format", "json"),
    "validate": ("validate", "--format", "json"),
    "audit": ("audit", "--format", "json"),
    "report": ("report", "--format", "json"),
    "import": ("import", str(DATA / "handmade_inventory.csv"), "--map",
               str(DATA / "handmade_map.yaml"), "--dry-run", "--format", "json"),
}
EXIT_CODES = {"validate": 1, "audit": 1}  # the example was broken on purpose


def test_every_read_command_is_documented() -> None:
    # docs/json.md has a shape for every read command with --format json, and the shared
    # shapes; each shape block is valid JSON.
    assert set(doc_shapes()) == {*COMMANDS, "problem", "event"}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_json_output_has_the_documented_shape(example: Example, command: str) -> None:
    # The command's JSON on stdout has exactly the documented keys, in order, with the
    # documented types; every documented list has items, so the item shapes are checked too.
    result = example.run(*COMMANDS[command])
    assert result.exit_code == EXIT_CODES.get(command, 0), result.output
    data = json.loads(result.stdout)
    shapes = doc_shapes()
    checker = Checker(shapes)
    checker.check(data, shapes[command], "$")
    assert checker.errors == []
    filled = {normalized(p) for p in checker.filled}
    empty = [p for p in sorted(list_paths(shapes[command], shapes))
             if not any(documented(p).fullmatch(f) for f in filled)]
    assert empty == []


def test_the_checker_can_fail() -> None:
    # The checker rejects a missing key, an extra key, a wrong type and a wrong literal.
    shapes = doc_shapes()
    row = {"id": "x", "name": "X", "vendor": None, "department": "d", "owner": "a@b.example",
           "stage": "pilot", "created": "2026-01-01", "due": None, "due_kind": None,
           "overdue": False, "risk": None}
    for broken in ({k: v for k, v in row.items() if k != "vendor"}, {**row, "extra": 1},
                   {**row, "overdue": "no"}, {**row, "due_kind": "someday"},
                   {**row, "stage": "deployed"}):
        checker = Checker(shapes)
        checker.check([broken], shapes["list"], "$")
        assert checker.errors, broken
    checker = Checker(shapes)
    checker.check([row], shapes["list"], "$")
    assert checker.errors == []
