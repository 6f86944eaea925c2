"""The reference history judge (tests/refjudge.py) itself: legitimate histories pass, and each
class of forgery is named with its commit, file and rule class, in real repositories."""

from __future__ import annotations

from pathlib import Path

import pytest
import refjudge
from forge import GITLINK, Forge
from helpers_git import ACME, ADMIN, ANA, BOB, CTO, LES, MAL, Registry, aireg_trailers

pytestmark = pytest.mark.timeout(120)

NOTES = "tools/notes.yaml"


def ref(reg: Registry, base: str = "base") -> set[tuple[str | None, str, str]]:
    sha = reg.git("rev-parse", base).strip()
    return refjudge.judge(reg.root, sha, reg.head()).problems


@pytest.fixture
def reg(tmp_path: Path) -> Registry:
    return Registry.create(tmp_path / "acme")


def test_a_whole_workflow_with_merges_passes(reg: Registry) -> None:
    # propose to active, with a --no-ff merge of the reviewed branch and an update-branch
    # merge of another pull request: no problem at all.
    reg.git("tag", "base")
    reg.to_security("notes")
    reg.git("checkout", "-q", "-b", "pr")
    reg.review("notes")
    reg.git("checkout", "-q", "main")
    reg.git("checkout", "-q", "-b", "other", "main")
    reg.propose("draft", who=ANA)
    reg.git("checkout", "-q", "main")
    reg.git("merge", "-q", "--no-ff", "-m", "Merge pull request #1", "pr")
    reg.git("checkout", "-q", "other")
    reg.git("merge", "-q", "--no-edit", "main")
    assert ref(reg) == set()


def test_each_forgery_is_named_by_class(reg: Registry) -> None:
    # One history, many forgeries, each on its own commit.
    reg.to_security("notes")
    reg.git("tag", "base")
    f = Forge(reg)
    base = reg.head()
    forged = reg.review("notes", who=LES, by=CTO)                       # review by the owner
    rec = reg.read("notes")
    skip = reg.edit("notes", LES, lambda r: r.update(stage="retired"), "x")  # fine: an exit
    back = reg.edit("notes", LES, lambda r: r.update(stage="pilot"), "y")    # out of an exit
    outsider = reg.edit("notes", MAL, lambda r: r.update(name="Mine"), "z")
    cfg = reg.commit(MAL, {"aireg.yaml": ACME % {"signed": "false"} + "\n"}, "cfg")
    link = f.move(f.change(reg.head(), {NOTES: (GITLINK, base)}, LES, "link\n"))
    again = f.move(f.change(link, {NOTES: f.file(rec)}, LES, "again\n"))
    got = ref(reg)
    assert (forged, NOTES, "review") in got
    assert not any(c == skip for c, _, _ in got)
    assert (back, NOTES, "stage") in got
    assert (outsider, NOTES, "not-owner") in got
    assert (cfg, "aireg.yaml", "admin-file") in got
    assert (link, NOTES, "deleted") in got
    assert (again, NOTES, "stage") in got  # the way back is a creation, and not in purpose


def test_merges_exempt_only_clean_takes(reg: Registry) -> None:
    # A merge taking an ancestor's version of a record is the merger's change; the clean
    # take of a reviewed branch is not.
    reg.to_security("notes")
    old = reg.head()
    reg.review("notes")
    reg.git("tag", "base")
    base = reg.head()
    f = Forge(reg)
    bad = f.move(f.commit(f.tree(base, {NOTES: f.entry(old, NOTES)}), [base, old], LES, "m\n"))
    got = ref(reg)
    assert (bad, NOTES, "stage") in got or (bad, NOTES, "review") in got, got


def test_separation_of_duties_and_identities(reg: Registry) -> None:
    # The CTO proposed and handed over; his approval breaks separation of duties. A
    # fullwidth alias of the CTO counts as the CTO.
    reg.git("tag", "base")
    reg.to_security("notes", who=CTO, department="engineering")
    reg.edit("notes", CTO, lambda r: r.update(owner=BOB), "hand over")
    review = reg.review("notes")
    assert (review, NOTES, "duties") in ref(reg)
    reg2 = Registry.create(reg.root.parent / "two")
    reg2.git("tag", "base")
    reg2.to_security("chat", who=BOB, department="engineering")
    alias = "\uff43\uff54\uff4f@acme.example"
    reg2.edit("chat", BOB, lambda r: r.update(owner=alias), "to the cto")
    review2 = reg2.review("chat")
    got = ref(reg2)
    assert (review2, "tools/chat.yaml", "review") in got  # a self-review after NFKC
    assert any(cls == "identity" for _, _, cls in got)


def test_trailers_and_dates_the_author_writes(reg: Registry) -> None:
    # Duplicate Aireg-Action trailers void the trailers; a review dated a month before its
    # commit is backdated whatever its subject.
    reg.to_security("notes")
    reg.git("tag", "base")
    rec = reg.read("notes")
    from helpers_git import with_review

    reviewed = with_review(rec, CTO, "approved", "2026-10-01")
    sha = reg.commit(CTO, {NOTES: reviewed}, "notes (#3)",
                     {**aireg_trailers("review", "notes", "security -> impact", "approved")})
    got = ref(reg)
    assert (sha, NOTES, "backdated") in got
    assert refjudge.trailers("s\n\nAireg-Action: a\nAireg-Action: b\n") == {}
    assert refjudge.trailers("s\n\nAireg-Action: review\nAireg-Tool: x\n") == {
        "aireg-action": "review", "aireg-tool": "x"}
    assert refjudge.trailers("Aireg-Action: review\n") == {}


def test_base_without_config_and_unrelated_history_are_range_problems(reg: Registry) -> None:
    # Nothing to judge with, or nothing shared with the base: the whole range is refused.
    f = Forge(reg)
    tree = reg.git("rev-parse", "HEAD^{tree}").strip()
    reg.git("tag", "base")
    f.move(f.commit(tree, [], ADMIN, "orphan\n"))
    assert ref(reg) == {(None, "", "range")}


def test_records_that_cannot_be_read(reg: Registry) -> None:
    # Over 1 MiB, or with a line break YAML readers disagree on: unreadable in that commit.
    reg.to_security("notes")
    reg.git("tag", "base")
    text = (reg.root / NOTES).read_text()
    big = reg.commit(LES, {NOTES: text + ("# " + "x" * 98 + "\n") * 11000}, "big")
    sep = reg.commit(LES, {NOTES: text + "# a\u2028stage: impact\n"}, "sep")
    reg.commit(LES, {NOTES: text}, "fine")
    got = ref(reg)
    assert (big, NOTES, "unreadable") in got
    assert (sep, NOTES, "unreadable") in got


def test_nested_records_and_git_files(reg: Registry) -> None:
    # tools/archive/x.yaml is a layout problem; .gitattributes by a non-admin an admin-file one.
    reg.git("tag", "base")
    nested = reg.commit(LES, {"tools/archive/x.yaml": "id: x\n"}, "archive")
    attrs = reg.commit(MAL, {".gitattributes": "* text\n"}, "attrs")
    got = ref(reg)
    assert (nested, "tools/archive/x.yaml", "layout") in got
    assert (attrs, ".gitattributes", "admin-file") in got
