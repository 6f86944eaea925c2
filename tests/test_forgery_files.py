"""Forgeries through files that change how git presents the registry, and the checker's own
robustness, issue 11 classes 6-7: .gitattributes and .gitmodules, nested records, characters
YAML readers disagree on, unrelated history, a deleted aireg.yaml, oversized records."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from forge import Forge, validate
from helpers_git import ADMIN, LES, MAL, Registry, aireg_trailers, dump, proposed

pytestmark = pytest.mark.timeout(180)

NOTES = "tools/notes.yaml"


@pytest.fixture
def reg(tmp_path: Path) -> Registry:
    r = Registry.create(tmp_path / "acme")
    r.to_security("notes")
    r.git("tag", "base")
    return r


# -- class 6: files that change how git presents the registry -----------------------------------

@pytest.mark.parametrize("path,text", [
    (".gitattributes", "tools/*.yaml working-tree-encoding=UTF-16\n"),
    (".gitattributes", "*.yaml filter=hide\n"),
    ("tools/.gitattributes", "*.yaml eol=crlf\n"),
    (".gitmodules", '[submodule "tools/notes.yaml"]\n\tpath = tools/notes.yaml\n'
                    "\turl = https://evil.example/x.git\n"),
])
def test_git_presentation_files_are_admin_only(reg: Registry, path: str, text: str) -> None:
    # A non-admin adding .gitattributes or .gitmodules (which can hide every tool from
    # `list`) is refused like a change of aireg.yaml, even when removed again before HEAD.
    add = reg.commit(MAL, {path: text}, "editor settings")
    reg.commit(MAL, {path: None}, "oops")
    v = validate(reg.root, "base")
    assert v.code == 1, v.show()
    assert v.names(path, add), v.show()


def test_git_presentation_files_by_an_admin_pass(reg: Registry) -> None:
    # Control: the admin may change them.
    reg.commit(ADMIN, {".gitattributes": "*.png binary\n"}, "attributes")
    v = validate(reg.root, "base")
    assert v.code == 0, v.show()


@pytest.mark.parametrize("nested", ["tools/archive/x.yaml", "tools/a/b/notes.yaml"])
def test_nested_record_is_refused_by_base(reg: Registry, nested: str) -> None:
    # A record in a sub-folder of tools/ (which list and validate would not see as a tool)
    # is refused by --base as by whole-registry validate; removed before HEAD or not.
    rec = proposed("x")
    add = reg.commit(LES, {nested: rec}, "aireg: propose x: proposed",
                     aireg_trailers("propose", "x"))
    v = validate(reg.root, "base")
    assert v.code == 1, v.show()
    assert v.names(nested, add), v.show()
    reg.commit(LES, {nested: None}, "gone")
    v = validate(reg.root, "base")
    assert v.code == 1, v.show()
    assert v.names(nested, add), v.show()


@pytest.mark.parametrize("char", ["\u2028", "\u2029", "\u0085", "\r"])
def test_yaml_ambiguous_characters_in_a_record_are_refused(reg: Registry, char: str) -> None:
    # A line break that YAML 1.1 and 1.2 readers (and diff viewers) read differently hides a
    # fact behind a comment. It is refused in the commit that wrote it, even when a later
    # commit takes it out again.
    text = (reg.root / NOTES).read_text()
    sneaky = text.replace("stage: security\n", f"stage: security  # ok{char}stage: impact\n")
    assert sneaky != text
    f = Forge(reg)
    base = reg.head()
    bad = f.change(base, {NOTES: f.file(sneaky.encode("utf-8"))}, LES, "comment\n")
    fixed = f.change(bad, {NOTES: f.file(text)}, LES, "uncomment\n")
    f.move(fixed)
    v = validate(reg.root, "base")
    assert v.code == 1, v.show()
    assert v.names(NOTES, bad), v.show()


# -- class 7: the checker's own robustness ----------------------------------------------------

def test_unrelated_history_is_exit_1_naming_the_rule(reg: Registry) -> None:
    # A pull request whose history shares nothing with the base: a broken rule (exit 1),
    # not "the environment is wrong" (exit 3).
    f = Forge(reg)
    tree = reg.git("rev-parse", "HEAD^{tree}").strip()
    orphan = f.commit(tree, [], MAL, "aireg: init Acme\n")
    f.move(orphan)
    v = validate(reg.root, "base")
    assert v.code == 1, v.show()
    assert "base" in v.text.lower() or v.errors(), v.show()


def test_deleting_aireg_yaml_is_exit_1_naming_the_file(reg: Registry) -> None:
    # A pull request that deletes aireg.yaml (even by an admin) breaks a rule: exit 1, and
    # the output names aireg.yaml; never exit 3 for a forged change.
    reg.commit(ADMIN, {"aireg.yaml": None}, "remove config")
    v = validate(reg.root, "base")
    assert v.code == 1, v.show()
    assert "aireg.yaml" in v.text, v.show()


def test_deleting_aireg_yaml_by_non_admin_is_exit_1(reg: Registry) -> None:
    # The same by a non-admin, with the file back at HEAD: the commit that deleted it is named.
    cfg = (reg.root / "aireg.yaml").read_text()
    gone = reg.commit(MAL, {"aireg.yaml": None}, "remove config")
    reg.commit(MAL, {"aireg.yaml": cfg}, "put it back")
    v = validate(reg.root, "base")
    assert v.code == 1, v.show()
    assert v.names("aireg.yaml", gone), v.show()


def _huge(rec: dict[str, object], size: int) -> str:
    text = dump(rec)
    pad = "# " + "x" * 98 + "\n"
    return text + pad * (size // len(pad) + 1)


def test_record_over_one_mib_in_history_is_refused(reg: Registry) -> None:
    # A record above the SPEC's 1 MiB limit in any commit is refused (exit 1) and named.
    rec = reg.read("notes")
    big = reg.commit(LES, {NOTES: _huge(rec, 1024 * 1024 + 10)}, "pad")
    reg.commit(LES, {NOTES: dump(rec)}, "unpad")
    v = validate(reg.root, "base")
    assert v.code == 1, v.show()
    assert v.names(NOTES, big), v.show()


@pytest.mark.slow
def test_three_mb_record_of_150000_items_is_judged_in_seconds(reg: Registry) -> None:
    # The quadratic case: a 3 MB record with 150,000 list items; judged (refused by size) in
    # well under the 45 s it took, with exit 1 naming it.
    rec = reg.read("notes")
    rec["users"] = [{"group": f"g{i}", "count": 1, "needs": ["x"]} for i in range(150_000)]
    text = dump(rec)
    assert len(text) > 3_000_000
    big = reg.commit(LES, {NOTES: text}, "many groups")
    started = time.monotonic()
    v = validate(reg.root, "base")
    took = time.monotonic() - started
    assert v.code == 1, v.show()
    assert v.names(NOTES, big), v.show()
    assert took < 15, took


def test_record_just_under_the_limit_is_judged_normally(reg: Registry) -> None:
    # Control: 1 MiB minus a little, written by the owner, is an ordinary edit.
    rec = reg.read("notes")
    reg.commit(LES, {NOTES: _huge(rec, 1024 * 1024 - 4096)[: 1024 * 1024 - 200]}, "pad")
    v = validate(reg.root, "base")
    assert not any(p.get("file") == NOTES and p.get("rule") for p in v.errors()), v.show()
