"""Fuzzing: the loader, the record rules and the history reader on arbitrary input.

Each property either passes or reports a problem in aireg's own terms (a YamlError, a list
of Problems, commits as git has them); no input makes them raise anything else. CI runs a
few hundred examples per target (AIREG_FUZZ_EXAMPLES); `python fuzz/run.py` runs the same
properties with a large budget and records how many inputs ran.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("AIREG_FUZZ_EXAMPLES", "300"))
HISTORY_EXAMPLES = int(os.environ.get("AIREG_FUZZ_HISTORY_EXAMPLES", "100"))
ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "registry-template"

CI = settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
CI_HISTORY = settings(max_examples=HISTORY_EXAMPLES, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))

# -- what the inputs are made of ------------------------------------------------------------

SCHEMA_KEYS = (
    "schema", "id", "name", "vendor", "url", "department", "owner", "stage", "created", "tags",
    "notes", "source", "purpose", "users", "pilot", "security", "impact", "reassessments",
    "rejected", "retired", "problem", "goal", "success_criteria", "defined_with", "group",
    "count", "needs", "start", "end", "participants", "data", "result", "findings",
    "trains_on_our_data", "retention", "residency", "sso", "integrations", "review",
    "decision", "by", "date", "answers", "conditions", "digest", "signature", "metric",
    "baseline", "current", "unit", "measured", "outcome", "alternatives", "note", "reason",
    "replaced_by", "data-classes", "training",
)
WORDS = (
    "purpose", "users", "pilot", "security", "impact", "active", "rejected", "retired",
    "approved", "changes-requested", "passed", "failed", "keep", "replace", "retire", "yes",
    "no", "n/a", "public", "synthetic", "internal", "customer-personal", "marketing",
    "engineering", "aireg/v1", "les@acme.example", "cto@acme.example", "2026-11-01",
    "2026-02-30", "2026-1-1", "sha256:00", "mea", "other", "", " ", "\t", "\u202e", "\x7f",
)
# Pieces of YAML syntax: enough of them in a row make text that gets deep into the parser.
YAML_BITS = (
    "key", "stage", "id", ": ", ":", "- ", "-", "\n", "\n  ", "\n    ", "  ", "&a ", "*a",
    "<<: ", "!!str ", "!!binary ", "!tag ", "!<tag:yaml.org,2002:int> ", "'", '"', "{", "}",
    "[", "]", ", ", "# c", "|", ">", "|-", "---", "...", "%YAML 1.1\n", "%TAG ! !x\n", "no",
    "yes", "on", "off", "~", "null", "true", "2026-13-45", "2026-11-01", "12:30:00",
    "1e999", "0x1F", "0o17", "0b101", ".inf", ".nan", "1_000", "-0", "?", "? ", "\t", "\r",
    "\r\n", "\ufeff", "\u2028", "\x85", "é", "\\", "\\x", "\\u12", "@", "`", "%", "!",
    "9" * 30, "a" * 3, "\x00", "\x1b",
)


def _scalars() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(), st.booleans(), st.integers(), st.integers(-10, 10**6),
        st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(WORDS), st.text(),
        st.dates().map(date.isoformat),
    )


def _keys() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(SCHEMA_KEYS), st.sampled_from(SCHEMA_KEYS), st.text())


anything = st.recursive(
    _scalars(),
    lambda inner: st.one_of(st.lists(inner, max_size=5),
                            st.dictionaries(_keys(), inner, max_size=8)),
    max_leaves=40,
)
yamlish = st.lists(st.sampled_from(YAML_BITS), max_size=60).map("".join)


def _mutate(text: str, edits: list[tuple[int, int, str]]) -> str:
    """Apply (position, length to delete, text to insert) edits to `text`."""
    for pos, cut, insert in edits:
        at = pos % (len(text) + 1)
        text = text[:at] + insert + text[at + cut:]
    return text


def example_registry(where: Path) -> Path:
    """`aireg init --example`: tools in every stage, with their history."""
    from typer.testing import CliRunner

    from aireg.cli.main import app

    home = where / "home"
    home.mkdir(parents=True)
    (home / ".gitconfig").write_text("[user]\n\tname = Admin\n\temail = admin@example.com\n")
    env = {"HOME": str(home), "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
           "GIT_CONFIG_NOSYSTEM": "1", "GIT_DIR": None, "GIT_INDEX_FILE": None}
    res = CliRunner().invoke(app, ["init", str(where / "r"), "--example"], env=env)
    assert res.exit_code == 0, res.output
    return where / "r"


_EXAMPLE_TEXTS: list[str] = []


def example_texts() -> list[str]:
    """The records of the example registry, as aireg writes them."""
    if not _EXAMPLE_TEXTS:
        with tempfile.TemporaryDirectory() as where:
            root = example_registry(Path(where))
            for path in sorted((root / "tools").glob("*.yaml")):
                _EXAMPLE_TEXTS.append(path.read_text("utf-8"))
    return _EXAMPLE_TEXTS


@pytest.fixture(autouse=True, scope="module")
def _example_texts_first() -> None:
    # Made before any example is drawn: building them inside a strategy would use `random`.
    example_texts()


mutated_records = st.builds(
    lambda i, edits: _mutate(example_texts()[i % len(example_texts())], edits),
    st.integers(0, 1000),
    st.lists(st.tuples(st.integers(0, 5000), st.integers(0, 12),
                       st.one_of(st.sampled_from(YAML_BITS), st.text(max_size=4))),
             min_size=1, max_size=6),
)

# -- the loader -------------------------------------------------------------------------------

PLAIN = (dict, list, str, int, float, bool, type(None))


def _plain(value: Any, depth: int = 0) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v, depth + 1) for v in value)
    return isinstance(value, PLAIN)


def prop_load(data: str | bytes) -> None:
    """yamlio.load gives plain data or a YamlError with a reason; nothing else, no crash
    papered over (the catch-all's 'could not be read as YAML (SomeError: ...)')."""
    from aireg import yamlio

    try:
        value = yamlio.load(data, "tools/x.yaml")
    except yamlio.YamlError as exc:
        assert exc.reason and isinstance(exc.reason, str)
        assert "could not be read as YAML (" not in str(exc), f"a crash in the loader: {exc}"
        return
    assert _plain(value), f"not plain data: {value!r}"


def prop_edit(text: str) -> None:
    """yamlio.edit on any text either refuses (YamlError) or gives text that loads back with
    the one change made and every other field as it was."""
    from aireg import yamlio

    try:
        before = yamlio.load(text, "tools/x.yaml")
    except yamlio.YamlError:
        return
    if not isinstance(before, dict):
        return

    def change(root: Any) -> None:
        root["stage"] = "users"

    try:
        after_text = yamlio.edit(text, change)
    except yamlio.YamlError as exc:
        assert "could not be read as YAML (" not in str(exc), f"a crash in edit: {exc}"
        return
    after = yamlio.load(after_text, "tools/x.yaml")
    assert after == {**before, "stage": "users"}, (text, after_text)


def prop_locate(text: str, path: list[str | int]) -> None:
    from aireg import yamlio

    pos = yamlio.locate(text, path)
    assert pos is None or (isinstance(pos, tuple) and all(isinstance(n, int) for n in pos))


@CI
@given(st.text())
def test_load_any_text(text: str) -> None:
    # Arbitrary text: plain data or a YamlError, never another exception.
    prop_load(text)


@CI
@given(st.binary())
def test_load_any_bytes(data: bytes) -> None:
    # Arbitrary bytes (bad UTF-8, UTF-16, NULs): plain data or a YamlError.
    prop_load(data)


@CI
@given(yamlish)
def test_load_yaml_like_text(text: str) -> None:
    # Text made of YAML syntax (anchors, tags, merge keys, flow, block scalars, directives).
    prop_load(text)


@CI
@given(mutated_records)
def test_load_and_edit_damaged_records(text: str) -> None:
    # Real records with random damage: the loader reports, and a round-trip edit of what
    # still loads changes only the field it sets.
    prop_load(text)
    prop_edit(text)


@CI
@given(st.one_of(yamlish, mutated_records),
       st.lists(st.one_of(st.sampled_from(SCHEMA_KEYS), st.integers(-2, 5)), max_size=4))
def test_locate_never_fails(text: str, path: list[str | int]) -> None:
    # Finding a field's line in any text: a position or None.
    prop_locate(text, path)


# -- the record rules -------------------------------------------------------------------------

_CTX: list[Any] = []


def rules_context() -> Any:
    """The template's aireg.yaml, loaded through yamlio and built into a real Config."""
    if not _CTX:
        from aireg import config, rules, yamlio

        cfg = config.build(yamlio.load((TEMPLATE / "aireg.yaml").read_bytes(), "aireg.yaml"))
        _CTX.append(rules.Context(cfg, frozenset({"x", "other", "mea"}), date(2026, 12, 1)))
    return _CTX[0]


def prop_rules(data: Any, text: str | None = None) -> None:
    """check_record on any data: a list of Problems (each a sentence), never an exception."""
    from aireg import rules, yamlio
    from aireg.problems import Problem

    if text is None:
        try:
            text = yamlio.dump(data) if isinstance(data, dict) else ""
        except Exception:  # data yamlio cannot write (NaN, odd keys): checked as data alone
            text = ""
    problems = rules.check_record("tools/x.yaml", text, data, rules_context())
    assert isinstance(problems, list)
    for p in problems:
        assert isinstance(p, Problem) and p.severity in ("error", "warning")
        assert isinstance(p.message, str) and p.message.strip(), p


def _near_valid(i: int, path: list[str], value: Any) -> Any:
    """A real record with one field (at a path of schema keys) replaced by `value`."""
    from aireg import yamlio

    record = yamlio.load(example_texts()[i % len(example_texts())], "tools/x.yaml")
    target = record
    for key in path[:-1]:
        nxt = target.get(key) if isinstance(target, dict) else None
        if not isinstance(nxt, dict):
            break
        target = nxt
    if isinstance(target, dict) and path:
        target[path[-1]] = value
    return record


near_valid = st.builds(_near_valid, st.integers(0, 1000),
                       st.lists(st.sampled_from(SCHEMA_KEYS), min_size=1, max_size=3),
                       anything)


@CI
@given(anything)
def test_rules_on_any_data(data: Any) -> None:
    # Any YAML-shaped data as a record: Problems, never an exception.
    prop_rules(data)


@CI
@given(near_valid)
def test_rules_on_nearly_valid_records(data: Any) -> None:
    # Real records with one field replaced: deep enough to reach every stage's rules.
    prop_rules(data)


@CI
@given(mutated_records)
def test_rules_on_damaged_record_text(text: str) -> None:
    # Damaged record text that still loads: the rules place their problems in that text.
    from aireg import yamlio

    try:
        data = yamlio.load(text, "tools/x.yaml")
    except yamlio.YamlError:
        return
    prop_rules(data, text)


# -- the history reader -----------------------------------------------------------------------

# Commit messages: free text, lines that look like trailers (real keys, fake values, other
# keys), and the bytes git's log format uses to separate fields (except NUL, which git
# refuses in a message).
TRAILERS = (
    "Aireg-Action: review", "Aireg-Action: propose", "Aireg-Action: import",
    "Aireg-Action: hack", "Aireg-Tool: mea", "Aireg-Tool: ../x", "Aireg-Tool: MEA",
    "Aireg-Stage: security -> impact", "Aireg-Decision: approved", "Aireg-Decision: maybe",
    "Aireg-Evil: 1", "Signed-off-by: A <a@b.c>", "aireg-action: review", "Aireg-Action:review",
    "Aireg-Action: review ", "Aireg-Action: re\u202eview", "Aireg-Tool: mea\r",
)
message_lines = st.one_of(
    st.sampled_from(TRAILERS), st.sampled_from(TRAILERS), st.text(max_size=30),
    st.sampled_from(("", "", " ", "aireg: review mea: approved", "\x01\x02", "\x1e\x1f",
                     "commit 0123456789abcdef0123456789abcdef01234567", ":100644 100644",
                     "2026-11-01T00:00:00+00:00", "\t", "\r", "\ufeff", "\u2029")),
)
messages = st.lists(message_lines, max_size=12).map("\n".join).map(
    lambda m: m.replace("\x00", ""))


class HistoryRepo:
    """A registry in a real git repository, whose branch is rebuilt for each example from
    commits with the given messages on a few prepared trees (a record in several states)."""

    def __init__(self, where: Path) -> None:
        self.root = example_registry(where)
        self.base = self._git("rev-parse", "HEAD").strip()
        # Trees to commit: the registry as it stands and as it stood a few commits back, so
        # commits on the base add, change, take back and delete records.
        count = int(self._git("rev-list", "--count", "HEAD"))
        self.trees = [self._git("rev-parse", f"HEAD~{n}^{{tree}}").strip()
                      for n in sorted({0, 1, 3, count // 2, count - 1})]

    def _git(self, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
             ) -> str:
        res = subprocess.run(["git", "-C", str(self.root), *args], input=stdin,
                             capture_output=True, text=True, env={**os.environ, **(env or {})},
                             check=True)
        return res.stdout

    def build(self, commits: list[tuple[str, int, str]]) -> list[str]:
        """Point the branch at new commits (message, tree index, author) on the base."""
        parent, made = self.base, []
        for message, tree, author in commits:
            name = "".join(c for c in author if c not in "<>\n\r\x00") or "x"
            env = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": f"{name[:20]}@acme.example",
                   "GIT_COMMITTER_NAME": "c", "GIT_COMMITTER_EMAIL": "c@acme.example"}
            res = subprocess.run(
                ["git", "-C", str(self.root), "commit-tree",
                 self.trees[tree % len(self.trees)], "-p", parent, "-F", "-"],
                input=message.encode("utf-8", "surrogatepass"), capture_output=True,
                env={**os.environ, **env})
            if res.returncode != 0:  # git refused this message or name: not a commit
                continue
            parent = res.stdout.decode().strip()
            made.append(parent)
        self._git("update-ref", "refs/heads/main", parent)
        return made


def prop_history(repo: HistoryRepo, commits: list[tuple[str, int, str]]) -> None:
    """The reader finds exactly the commits made, with the messages written, and the
    history rules judge them with Problems, never an exception."""
    from aireg import history

    made = repo.build(commits)
    read = history.read_history(repo.root, f"{repo.base}..HEAD")
    assert [c.sha for c in read] == made, "a phantom or missing commit"
    for c in read:
        trailers, _ = history.parse_trailers(c.message)
        assert trailers == c.trailers
        assert set(c.trailers) <= set(history.TRAILER_KEYS)
        assert "\n" not in c.subject
    result = history.check_history(repo.root, repo.base)
    assert result.commits == len(made)
    for p in result.problems:
        assert isinstance(p.message, str) and p.message.strip()


def prop_trailers(message: str) -> None:
    from aireg import history

    trailers, why = history.parse_trailers(message)
    assert set(trailers) <= set(history.TRAILER_KEYS)
    assert not (trailers and why)
    for value in trailers.values():
        assert value == value.strip() and "\n" not in value and "\r" not in value


commit_lists = st.lists(st.tuples(messages, st.integers(0, 3), st.text(max_size=12)),
                        min_size=1, max_size=4)


@pytest.fixture(scope="module")
def history_repo(tmp_path_factory: pytest.TempPathFactory) -> HistoryRepo:
    return HistoryRepo(tmp_path_factory.mktemp("fuzz-history"))


@CI
@given(st.one_of(messages, st.text()))
def test_trailers_of_any_message(message: str) -> None:
    # Any commit message: only known Aireg trailers, with clean values, or none.
    prop_trailers(message)


@pytest.mark.slow  # builds a repository per example
@CI_HISTORY
@given(commits=commit_lists)
def test_history_of_any_messages(history_repo: HistoryRepo,
                                 commits: list[tuple[str, int, str]]) -> None:
    # Commits with arbitrary messages (fake trailers, control characters, text that imitates
    # git's output): the reader sees exactly those commits, and judging them never crashes.
    prop_history(history_repo, commits)


# -- what fuzzing found ------------------------------------------------------------------------

def test_edit_of_a_record_holding_inf_is_an_error_not_a_crash() -> None:
    # Found by fuzz/run.py: a record with `.inf` anywhere made every command that edits it
    # crash with a ValueError from yamlio.edit; now a YamlError naming the file and the fix.
    from aireg import yamlio

    for text in ("notes: .inf\nstage: impact\n", "impact:\n- baseline: .nan\n"):
        try:
            yamlio.edit(text, lambda root: root.__setitem__("stage", "active"),
                        file="tools/x.yaml")
        except yamlio.YamlError as exc:
            assert str(exc).startswith("tools/x.yaml: holds .inf or .nan"), exc
        else:
            raise AssertionError("edit wrote back a .inf or .nan")


def test_measure_inf_is_refused_in_a_sentence(reg: Any) -> None:
    # Found with the same: `aireg measure --baseline inf` crashed; now exit 1, one sentence,
    # nothing written.
    from conftest import ADMIN

    reg.ok("propose", "--name", "Tool", "--department", "engineering", "--no-input", as_=ADMIN)
    path = reg.root / "tools/tool.yaml"
    path.write_text(path.read_text().replace("stage: purpose", "stage: impact"))
    reg.commit_all("deployed")
    before = path.read_text()
    for value in ("inf", "nan"):
        result = reg.aireg("measure", "tool", "--metric", "m", "--baseline", value,
                           "--current", "1", "--unit", "h", "--no-input")
        assert result.exit_code == 1, result.output
        assert "tools/tool.yaml: cannot be changed as asked" in result.stderr
        assert "Traceback" not in result.output
    assert path.read_text() == before
    assert reg.git("status", "--porcelain") == ""


def test_edit_refuses_a_line_separator_it_would_restructure() -> None:
    # Found by fuzz/run.py (edit-damaged-records, input 15,262): U+2028 after `count:` is a
    # line break to load() but text to ruamel, so an edit of `stage` rewrote users[0] into
    # another shape. Now a YamlError at the character, and the text is never rewritten.
    from aireg import yamlio

    text = "stage: users\nusers:\n  - group: writers\n    count:\u2028    needs: [labels]\n"
    try:
        yamlio.edit(text, lambda root: root.__setitem__("stage", "pilot"), file="tools/x.yaml")
    except yamlio.YamlError as exc:
        assert str(exc).startswith("tools/x.yaml:4:11: cannot be edited"), exc
        assert "U+2028" in str(exc)
    else:
        raise AssertionError("edit rewrote a record it reads two ways")
    # A separator inside a quoted value means the same to both: editing goes ahead.
    quoted = 'stage: users\nnotes: "a\u2028b"\n'
    assert yamlio.load(yamlio.edit(quoted, lambda r: r.__setitem__("stage", "pilot")),
                       "x") == {"stage": "pilot", "notes": "a\u2028b"}


def test_edit_never_rewrites_a_value_aireg_reads_otherwise() -> None:
    # Found by fuzz/run.py (edit-damaged-records, input 62,269): `sso: 1e999` (inf to load())
    # came back from an edit of `stage` as `.inf`, which load() reads as the text ".inf":
    # an untouched field silently changed type. edit() now checks that aireg reads back
    # exactly the change asked for, and refuses otherwise, naming the field.
    from aireg import yamlio

    text = "stage: rejected\nsecurity:\n  sso: 1e999\n  retention: 30 days\n"
    try:
        yamlio.edit(text, lambda root: root.__setitem__("stage", "users"), file="tools/x.yaml")
    except yamlio.YamlError as exc:
        assert str(exc).startswith("tools/x.yaml:3:3: cannot be edited without also changing "
                                   "security.sso"), exc
    else:
        raise AssertionError("edit changed security.sso behind the user's back")
