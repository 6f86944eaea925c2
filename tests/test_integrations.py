"""Integrations proven with the real tools: pre-commit, check-jsonschema and editors' modeline."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import Reg
from typer.testing import CliRunner

from aireg.cli.main import app
from aireg.records import SCHEMA_MODELINE

ROOT = Path(__file__).resolve().parents[1]
TOOL_SCHEMA = ROOT / "registry-template" / "schema" / "tool.schema.json"
DATA = ROOT / "tests" / "data"
BIN = Path(sys.executable).parent
LES = "les@acme.example"


def tool(name: str) -> str:
    found = BIN / name
    assert found.exists(), f"{name} is missing; install the test extras: pip install -e '.[test]'"
    return str(found)


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None,
        timeout: int = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env={**os.environ, **(env or {})}, text=True,
                          capture_output=True, timeout=timeout, check=False)


def example(tmp_path: Path) -> Path:
    root = tmp_path / "example"
    result = CliRunner().invoke(app, ["init", str(root), "--org", "Example", "--example"])
    assert result.exit_code == 0, result.output
    return root


# -- pre-commit ---------------------------------------------------------------------------------


def lock_constraints(dest: Path) -> Path:
    """requirements.lock's pins as a pip constraints file (versions and markers, no hashes:
    pip takes hashes only from requirements)."""
    lines = [line.rstrip(" \\") for line in (ROOT / "requirements.lock").read_text().splitlines()
             if line and not line.startswith((" ", "#"))]
    dest.write_text("\n".join(lines) + "\n")
    return dest


def clone_of_this_project(dest: Path) -> str:
    """A git clone of this project with the working tree's current files committed in it,
    so the hook pre-commit installs is the code under test; returns the commit to pin."""
    ident = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
             "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com"}
    assert (ROOT / ".git").exists(), "the pre-commit test needs this project's git checkout"
    done = run(["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(dest)], ROOT)
    assert done.returncode == 0, done.stderr
    listed = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], ROOT)
    wanted = {p for p in listed.stdout.split("\0") if p and (ROOT / p).is_file()}
    tracked = run(["git", "ls-files", "-z"], dest).stdout.split("\0")
    for rel in tracked:
        if rel and rel not in wanted:
            (dest / rel).unlink(missing_ok=True)
    for rel in wanted:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, dest / rel)
    run(["git", "add", "-A"], dest)
    run(["git", "commit", "-q", "-m", "working tree under test"], dest, ident)
    return run(["git", "rev-parse", "HEAD"], dest).stdout.strip()


@pytest.mark.slow
def test_pre_commit_runs_the_hook_from_a_clone(reg: Reg, tmp_path: Path,
                                               request: pytest.FixtureRequest) -> None:
    # The real pre-commit installs the aireg-validate hook from a local clone of this
    # project (pip-installing it into its own environment), passes on a valid registry,
    # fails naming the file and field on a broken record, and, installed as the git hook,
    # stops that commit.
    clone = tmp_path / "aireg-clone"
    rev = clone_of_this_project(clone)
    reg.write(".pre-commit-config.yaml", f"""\
        repos:
          - repo: {clone}
            rev: {rev}
            hooks:
              - id: aireg-validate
        """)
    reg.ok("propose", "--id", "otter", "--name", "Otter.ai", "--department", "marketing",
           "--no-input", as_=LES)
    reg.ok("codeowners")
    reg.commit_all("use the local hook")
    # A pip cache that outlives the test run (pytest's cache folder, when the cache plugin
    # is on), so only the first run downloads packages.
    cache = getattr(request.config, "cache", None)
    env = {
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "PIP_CACHE_DIR": str(cache.mkdir("pip-cache") if cache else tmp_path / "pip-cache"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        # pre-commit pip-installs the hook: with the lock's versions, never today's newest.
        "PIP_CONSTRAINT": str(lock_constraints(tmp_path / "constraints.txt")),
    }
    pre_commit = tool("pre-commit")
    result = run([pre_commit, "run", "--all-files", "--color", "never"], reg.root, env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"aireg validate\.+Passed", result.stdout), result.stdout

    record = reg.read("tools/otter.yaml").replace("stage: purpose", "stage: purpose\ncolour: blue")
    (reg.root / "tools" / "otter.yaml").write_text(record)
    reg.git("add", "tools/otter.yaml")
    result = run([pre_commit, "run", "--all-files", "--color", "never"], reg.root, env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(r"aireg validate\.+Failed", result.stdout), result.stdout
    assert "tools/otter.yaml:" in result.stdout and 'unknown key "colour"' in result.stdout

    installed = run([pre_commit, "install"], reg.root, env)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    head = reg.git("rev-parse", "HEAD")
    committed = run(["git", "commit", "-q", "-m", "sneak a bad record in"], reg.root, env)
    assert committed.returncode != 0, committed.stdout
    assert "tools/otter.yaml" in committed.stdout + committed.stderr
    assert reg.git("rev-parse", "HEAD") == head


# -- check-jsonschema and aireg validate agree --------------------------------------------------

# aireg's problems that judge a record's shape (from the JSON Schema), as opposed to its
# meaning (stages, roles, digests, which the schema cannot express).
SHAPE_RULES = {"unknown-key", "missing-field", "bad-value", "wrong-type", "bad-format", "empty",
               "too-long", "bad-key"}

BASE = "interview-summaries"  # an active tool of the example: every section is filled in

# (name, regex on the record's text, replacement): each makes one or more shape mistakes a
# person might type in an editor.
BROKEN: list[tuple[str, str, str]] = [
    ("unknown-top-key", r"(?m)^stage: active$", "stage: active\ncolour: blue"),
    ("misspelt-nested-key", r"(?m)^  goal:", "  gaol:"),
    ("bad-stage", r"(?m)^stage: active$", "stage: deployed"),
    ("owner-not-email", r"(?m)^owner: .*$", "owner: les"),
    ("date-in-words", r"(?m)^created: .*$", "created: 1 April 2026"),
    ("short-date", r"(?m)^created: (\d{4})-(\d{2})-\d{2}$", r"created: \1-\2-1"),
    ("url-without-scheme", r"(?m)^url: .*$", "url: otter.ai"),
    ("schema-version", r"(?m)^schema: .*$", "schema: aireg/v2"),
    ("id-with-capitals", r"(?m)^id: .*$", "id: Interview-Summaries"),
    ("empty-name", r"(?m)^name: .*$", 'name: ""'),
    ("count-in-words", r"(?m)^    count: 6$", "    count: six"),
    ("count-zero", r"(?m)^    count: 6$", "    count: 0"),
    ("users-as-mapping", r"(?ms)^users:\n.*?(?=^pilot:)", "users: {group: writers}\n"),
    ("pilot-result", r"(?m)^  result: passed$", "  result: ok"),
    ("data-class-caps", r"(?m)^  data: \[public, synthetic\]$", "  data: [Public, synthetic]"),
    ("sso-quoted", r"(?m)^  sso: true$", '  sso: "true"'),
    ("integrations-not-list", r"(?m)^  integrations: \[google-drive\]$",
     "  integrations: google-drive"),
    ("review-decision", r"(?m)^    decision: approved$", "    decision: approve"),
    ("reviewer-not-email", r"(?m)^    by: cto@example.com$", "    by: the CTO"),
    ("answer-maybe", r'(?m)^      data-classes: "yes"$', '      data-classes: "maybe"'),
    ("digest-cut", r"(?m)^    digest: .*$", "    digest: sha256:d679..."),
    ("metric-missing", r"(?m)^  - metric: hours per summary\n    baseline:", "  - baseline:"),
    ("measured-in-words", r"(?m)^    measured: .*$", "    measured: yesterday"),
    ("outcome", r"(?m)^    outcome: keep$", "    outcome: drop"),
    ("tag-with-space", r"(?m)^stage: active$", "stage: active\ntags: [AI Tools]"),
    ("several", r"(?m)^owner: .*\nstage: active$", "owner: les\nstage: deployed"),
]


def cjs_paths(report: dict[str, Any], file: Path) -> set[str]:
    """check-jsonschema's JSON paths for one file, as `$.a.b[0].c`."""
    out = set()
    for err in report["errors"]:
        if Path(err["filename"]).resolve() == file.resolve():
            out.add(re.sub(r"\['([^']*)'\]", r".\1", err["path"]))
    return out


def aireg_paths(problems: list[dict[str, Any]], rel: str) -> set[str]:
    """aireg's shape problems for one file, at the JSON path of the value they judge (an
    unknown key is judged at the mapping that holds it, as JSON Schema does)."""
    out = set()
    for p in problems:
        if p["file"] != rel or p["rule"] not in SHAPE_RULES:
            continue
        field = p["field"]
        if p["rule"] == "unknown-key":
            field = re.sub(r"(^|\.)[^.\[]+$", "", field)
        out.add("$" + ("." + field if field and not field.startswith("[") else field))
    return out


@pytest.mark.slow  # runs check-jsonschema once per broken record
def test_schema_and_validator_agree_on_valid_and_broken_records(tmp_path: Path) -> None:
    # The published schema (registry-template/schema/tool.schema.json, what editors read
    # through the modeline) and `aireg validate` agree: check-jsonschema passes every record
    # of the example registry, and on each broken record both fail, on the same fields.
    root = example(tmp_path)
    records = sorted((root / "tools").glob("*.yaml"))
    assert len(records) >= 8
    cjs = tool("check-jsonschema")
    ok = run([cjs, "--schemafile", str(TOOL_SCHEMA), *map(str, records)], root)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    valid = CliRunner().invoke(app, ["--registry", str(root), "validate", "--format", "json"])
    assert valid.exit_code == 0, valid.output

    base = (root / "tools" / f"{BASE}.yaml").read_text()
    rels = []
    for name, pattern, replacement in BROKEN:
        text, n = re.subn(pattern, replacement, base, count=1)
        assert n == 1, f"{name}: the example record changed; update the pattern"
        rel = f"tools/broken-{name}.yaml"
        (root / rel).write_text(text)
        rels.append(rel)
    files = [root / r for r in rels]
    checked = run([cjs, "--schemafile", str(TOOL_SCHEMA), "--output-format", "json",
                   *map(str, files)], root)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    report = json.loads(checked.stdout)
    assert report["parse_errors"] == []
    validated = CliRunner().invoke(app, ["--registry", str(root), "validate", "--format",
                                         "json", *rels])
    assert validated.exit_code == 1, validated.output
    problems = json.loads(validated.stdout)["problems"]

    disagree = {}
    for (name, _, _), rel, file in zip(BROKEN, rels, files, strict=True):
        theirs, ours = cjs_paths(report, file), aireg_paths(problems, rel)
        if not theirs or theirs != ours:
            disagree[name] = {"check-jsonschema": sorted(theirs), "aireg": sorted(ours)}
    assert disagree == {}


def test_the_agreement_check_can_fail() -> None:
    # The path mapping is not vacuous: different paths, or an unknown key named at the
    # wrong mapping, do not compare equal.
    report = {"errors": [{"filename": "/x/a.yaml", "path": "$.users[0].count"},
                         {"filename": "/x/a.yaml", "path": "$.security.review.answers['dpa']"},
                         {"filename": "/x/a.yaml", "path": "$"}]}
    assert cjs_paths(report, Path("/x/a.yaml")) == {
        "$.users[0].count", "$.security.review.answers.dpa", "$"}
    problems = [
        {"file": "tools/a.yaml", "field": "users[0].count", "rule": "bad-value"},
        {"file": "tools/a.yaml", "field": "purpose.gaol", "rule": "unknown-key"},
        {"file": "tools/a.yaml", "field": "colour", "rule": "unknown-key"},
        {"file": "tools/a.yaml", "field": "stage", "rule": "incomplete-stage"},
    ]
    assert aireg_paths(problems, "tools/a.yaml") == {"$.users[0].count", "$.purpose", "$"}


# -- the editor modeline ------------------------------------------------------------------------


def test_every_record_aireg_writes_carries_the_schema_modeline(reg: Reg, tmp_path: Path) -> None:
    # Records made by propose, moved by advance, measured, imported, and the example's, all
    # start with the yaml-language-server modeline, and the schema it points to (relative to
    # tools/) is in the registry and is the schema aireg validates with.
    reg.ok("propose", "--id", "otter", "--name", "Otter.ai", "--department", "marketing",
           "--problem", "Summaries take hours.", "--goal", "A draft.", "--criterion",
           "Ten minutes", "--with", "ana@acme.example", "--no-input", as_=LES)
    reg.ok("advance", "otter", "--no-input", as_=LES)
    reg.write("aireg.yaml", reg.read("aireg.yaml").replace(
        "  sales: {}", "  sales: {}\n  ftc: {}\n  opm: {}\n  sec: {}\n  stb: {}"))
    reg.commit_all("departments for the import")
    reg.ok("import", str(DATA / "ombegov_cots_slice.csv"), "--map", "ombegov-cots")
    root = example(tmp_path)
    written = [*sorted((reg.root / "tools").glob("*.yaml")),
               *sorted((root / "tools").glob("*.yaml"))]
    assert len(written) > 20
    for path in written:
        assert path.read_text().startswith(SCHEMA_MODELINE), path
    target = SCHEMA_MODELINE.split("$schema=", 1)[1].strip()
    for registry in (reg.root, root):
        published = (registry / "tools" / target).resolve()
        assert published.read_bytes() == TOOL_SCHEMA.read_bytes()
    printed = CliRunner().invoke(app, ["schema"])
    assert json.loads(printed.stdout) == json.loads(TOOL_SCHEMA.read_text())

