"""Forgeries an attacker builds with git plumbing, issue 11 classes 1 and 2: tree entries that
are not plain files (gitlinks, symlinks, folders, mode bits) and merges whose other parent is
old or foreign; plus the legitimate merges that must still pass."""

from __future__ import annotations

from pathlib import Path

import pytest
from forge import EXEC, GITLINK, LINK, Forge, cli, validate
from helpers_git import ACME, ADMIN, ANA, CTO, LES, MAL, Registry, aireg_trailers, message

pytestmark = pytest.mark.timeout(120)

NOTES = "tools/notes.yaml"


@pytest.fixture
def approved(tmp_path: Path) -> tuple[Registry, Forge, str]:
    """A registry whose tool `notes` was approved (stage impact); the base is its tip."""
    reg = Registry.create(tmp_path / "acme")
    reg.to_security("notes")
    reg.review("notes")
    reg.git("tag", "base")
    return reg, Forge(reg), reg.head()


# -- class 1: every mode change on a judged path is a change ------------------------------------

@pytest.mark.parametrize("kind", ["gitlink", "symlink", "tree"])
def test_record_replaced_by_non_file_then_restored_is_a_deletion(
        approved: tuple[Registry, Forge, str], kind: str) -> None:
    # A record turned into a gitlink, a symlink or a folder for one commit is deleted there,
    # even when the next commit makes it a file again: both commits are judged.
    reg, f, base = approved
    good = f.entry(base, NOTES)
    assert good is not None
    if kind == "gitlink":
        changes = {NOTES: (GITLINK, base)}
    elif kind == "symlink":
        changes = {NOTES: (LINK, f.blob("../aireg.yaml"))}
    else:
        changes = {NOTES: None, f"{NOTES}/inner": f.file("x: 1\n")}
    gone = f.change(base, changes, LES, "tidy\n")
    undo = {NOTES: good} if kind != "tree" else {f"{NOTES}/inner": None, NOTES: good}
    back = f.change(gone, undo, LES, "restore\n")
    f.move(back)
    v = validate(reg.root, "base")
    assert v.code == 1, v.show()
    assert v.names(NOTES, gone), v.show()


def test_record_through_gitlink_returns_with_forged_stage(
        approved: tuple[Registry, Forge, str]) -> None:
    # The attack: a gitlink hides the record for a commit, and it comes back as a new
    # file in `active` with the department changed; the way back is a creation in a later
    # stage, by someone who may not create it.
    reg, f, base = approved
    rec = reg.read("notes")
    rec.update(stage="active", department="engineering", owner=MAL)
    gone = f.change(base, {NOTES: (GITLINK, base)}, MAL, "bump\n")
    back = f.change(gone, {NOTES: f.file(rec)}, MAL, "restore\n")
    f.move(back)
    v = validate(reg.root, "base")
    assert v.code == 1, v.show()
    assert v.names(NOTES, gone) and v.names(NOTES, back), v.show()


def test_new_record_born_as_gitlink_then_file_in_late_stage(
        approved: tuple[Registry, Forge, str]) -> None:
    # A record path first added as a gitlink, then turned into a file already approved: the
    # file's appearance is a creation, and a creation starts in purpose.
    reg, f, base = approved
    rec = reg.read("notes")
    rec.update(id="evil", name="Evil")
    link = f.change(base, {"tools/evil.yaml": (GITLINK, base)}, LES, "add submodule\n")
    born = f.change(link, {"tools/evil.yaml": f.file(rec)}, LES, "vendor it\n")
    f.move(born)
    v = validate(reg.root, "base")
    assert v.code == 1, v.show()
    assert v.names("tools/evil.yaml", born), v.show()


@pytest.mark.parametrize("kind", ["gitlink", "exec-bit"])
def test_config_mode_change_by_non_admin_is_refused(
        approved: tuple[Registry, Forge, str], kind: str) -> None:
    # aireg.yaml turned into a gitlink and back (with MAL made admin), or only its mode bit
    # flipped, by a non-admin: every change of a protected path counts, whatever its mode.
    reg, f, base = approved
    cfg = f.entry(base, "aireg.yaml")
    assert cfg is not None
    if kind == "gitlink":
        gone = f.change(base, {"aireg.yaml": (GITLINK, base)}, MAL, "x\n")
        forged = ACME.replace("admins: [admin@acme.example]",
                              "admins: [admin@acme.example, mal@acme.example]") % {
            "signed": "false"}
        last = f.change(gone, {"aireg.yaml": f.file(forged)}, MAL, "y\n")
        culprit = gone
    else:
        last = culprit = f.change(base, {"aireg.yaml": (EXEC, cfg[1])}, MAL, "chmod\n")
    f.move(last)
    v = validate(reg.root, "base")
    assert v.code == 1, v.show()
    assert v.names("aireg.yaml", culprit), v.show()


# -- class 2: merges whose other parent is old or foreign ----------------------------------------

def _retired(reg: Registry) -> None:
    def retire(rec: dict[str, object]) -> None:
        rec["stage"] = "retired"
        rec["retired"] = {"date": reg.today, "reason": "replaced"}

    reg.edit("notes", LES, retire, "aireg: retire notes: retired",
             aireg_trailers("retire", "notes", "impact -> retired"))


def test_merge_with_ancestor_of_base_revives_a_retired_record(tmp_path: Path) -> None:
    # The tool was retired on the base; a merge with the commit before the retirement that
    # takes its version of the record brings the tool back to life: a stage going back.
    reg = Registry.create(tmp_path / "acme")
    reg.to_security("notes")
    old = reg.review("notes")
    _retired(reg)
    reg.git("tag", "base")
    base = reg.head()
    f = Forge(reg)
    tree = f.tree(base, {NOTES: f.entry(old, NOTES)})
    merge = f.commit(tree, [base, old], LES, "Merge branch 'old'\n")
    f.move(merge)
    v = validate(reg.root, "base")
    assert v.code == 1, v.show()
    assert v.names(NOTES, merge), v.show()


def test_merge_with_the_root_commit_brings_back_old_config(tmp_path: Path) -> None:
    # The root commit listed MAL as admin; the base removed him. A merge with the root that
    # keeps the root's aireg.yaml is a change of aireg.yaml by MAL, a non-admin.
    reg = Registry.create(tmp_path / "acme")
    f = Forge(reg)
    root = reg.head()
    old_cfg = ACME.replace("admins: [admin@acme.example]",
                           "admins: [admin@acme.example, mal@acme.example]") % {"signed": "false"}
    first = f.change(root, {"aireg.yaml": f.file(old_cfg)}, ADMIN, "aireg: init\n")
    base = f.change(first, {"aireg.yaml": f.file(ACME % {"signed": "false"})}, ADMIN,
                    "drop mal\n")
    f.move(base)
    reg.git("tag", "base")
    merge = f.commit(f.tree(base, {"aireg.yaml": f.entry(first, "aireg.yaml")}), [base, first],
                     MAL, "Merge\n")
    f.move(merge)
    v = validate(reg.root, "base")
    assert v.code == 1, v.show()
    assert v.names("aireg.yaml", merge), v.show()


def test_merge_with_true_root_commit_deleting_a_record(approved: tuple[Registry, Forge, str]
                                                       ) -> None:
    # A merge with the repository's very first commit (which had no tools) whose tree is the
    # root's: every record vanishes in the merge.
    reg, f, base = approved
    root = reg.git("rev-list", "--max-parents=0", "HEAD").split()[0]
    merge = f.commit(f.tree(base, {NOTES: None}), [base, root], LES, "Merge root\n")
    f.move(merge)
    reg.commit(LES, {NOTES: reg_record(f, base)}, "restore notes")  # HEAD looks fine again
    v = validate(reg.root, "base")
    assert v.code == 1, v.show()
    assert v.names(NOTES, merge), v.show()


def reg_record(f: Forge, rev: str) -> str:
    return f.git("show", f"{rev}:{NOTES}")


def test_merge_with_side_branch_forked_before_the_record_existed(
        approved: tuple[Registry, Forge, str]) -> None:
    # A side branch forked from the first commit, before notes existed, with a commit of its
    # own in the range; the merge takes its version (no record): a deletion by the merger.
    reg, f, base = approved
    root = reg.git("rev-list", "--max-parents=0", "HEAD").split()[0]
    side = f.change(root, {"README.md": f.file("hello\n")}, MAL, "readme\n")
    merge = f.commit(f.tree(base, {NOTES: None, "README.md": f.entry(side, "README.md")}),
                     [base, side], MAL, "Merge branch 'side'\n")
    f.move(merge)
    v = validate(reg.root, "base")
    assert v.code == 1, v.show()
    assert v.names(NOTES, merge), v.show()


def test_merge_with_side_branch_taking_an_older_stage(tmp_path: Path) -> None:
    # A side branch forked while notes was in pilot; after the base approved it, the merge
    # takes the side's pilot version: a stage going back, by the merge's author.
    reg = Registry.create(tmp_path / "acme")
    reg.propose("notes")
    reg.advance("notes")
    fork = reg.advance("notes")  # pilot
    reg.advance("notes")
    reg.review("notes")
    reg.git("tag", "base")
    base = reg.head()
    f = Forge(reg)
    side = f.change(fork, {"README.md": f.file("x\n")}, LES, "docs\n")
    merge = f.commit(f.tree(base, {NOTES: f.entry(side, NOTES),
                                   "README.md": f.entry(side, "README.md")}),
                     [base, side], LES, "Merge branch 'docs'\n")
    f.move(merge)
    v = validate(reg.root, "base")
    assert v.code == 1, v.show()
    assert v.names(NOTES, merge), v.show()


def test_octopus_merge_with_an_old_parent(tmp_path: Path) -> None:
    # An octopus merge of a harmless new branch and an ancestor of the base, taking the
    # ancestor's (pre-approval) version of notes: judged as the merger's change.
    reg = Registry.create(tmp_path / "acme")
    reg.to_security("notes")
    old = reg.head()
    reg.review("notes")
    reg.git("tag", "base")
    base = reg.head()
    f = Forge(reg)
    side = f.change(base, {"README.md": f.file("x\n")}, LES, "docs\n")
    merge = f.commit(f.tree(base, {NOTES: f.entry(old, NOTES),
                                   "README.md": f.entry(side, "README.md")}),
                     [base, side, old], LES, "Merge branches 'docs' and 'old'\n")
    f.move(merge)
    v = validate(reg.root, "base")
    assert v.code == 1, v.show()
    assert v.names(NOTES, merge), v.show()


def test_merge_with_foreign_history_bringing_an_approved_record(
        approved: tuple[Registry, Forge, str]) -> None:
    # A parent from an unrelated history (its own root) carrying an approved record of a new
    # tool: no merge base, so nothing is a clean take; the record appears in impact.
    reg, f, base = approved
    rec = reg.read("notes")
    rec.update(id="alien", name="Alien")
    foreign = f.commit(f.tree(None, {"tools/alien.yaml": f.file(rec)}), [], LES, "alien\n")
    merge = f.commit(f.tree(base, {"tools/alien.yaml": f.entry(foreign, "tools/alien.yaml")}),
                     [base, foreign], LES, "Merge\n")
    f.move(merge)
    v = validate(reg.root, "base")
    assert v.code == 1, v.show()
    assert v.names("tools/alien.yaml"), v.show()


def test_merge_resolving_a_conflict_with_the_reviewers_version_is_judged(
        tmp_path: Path) -> None:
    # Main changed the facts after the fork; the side branch holds the reviewer's approval of
    # the old facts. The merge takes the side's record wholesale: not a clean take (main's
    # version is not the merge base's), so it is the owner re-writing the record, review
    # included, and that is not his to write.
    reg = Registry.create(tmp_path / "acme")
    reg.to_security("notes")
    fork = reg.head()
    reg.git("tag", "base")
    f = Forge(reg)
    rec = reg.read("notes")
    rec["security"]["retention"] = "forever"
    main2 = f.change(fork, {NOTES: f.file(rec)}, LES, "retention\n")
    reg.git("checkout", "-q", "-b", "side", fork)
    side = reg.review("notes")
    merge = f.commit(f.tree(main2, {NOTES: f.entry(side, NOTES)}), [main2, side], LES,
                     "Merge branch 'side'\n")
    reg.git("checkout", "-q", "main")
    f.move(merge)
    v = validate(reg.root, "base")
    assert v.code == 1, v.show()
    assert v.names(NOTES, merge), v.show()


# -- legitimate merges pass ----------------------------------------------------------------------

def test_update_branch_merge_passes(tmp_path: Path) -> None:
    # GitHub's "update branch": the pull request's branch (first parent) merges the base
    # branch, which moved on meanwhile (a review recorded there). Nothing is forged.
    reg = Registry.create(tmp_path / "acme")
    reg.to_security("notes")
    fork = reg.head()
    reg.review("notes")  # on main, after the fork
    reg.git("tag", "base")
    main = reg.head()
    reg.git("checkout", "-q", "-b", "pr", fork)
    reg.propose("draft", who=ANA)
    reg.git("merge", "-q", "--no-edit", "main",
            env={"GIT_AUTHOR_EMAIL": ANA, "GIT_COMMITTER_EMAIL": ANA,
                 "GIT_AUTHOR_NAME": "Ana", "GIT_COMMITTER_NAME": "Ana"})
    assert reg.git("rev-parse", "HEAD^2").strip() == main
    v = validate(reg.root, "base")
    assert v.code == 0, v.show()


def test_no_ff_merge_of_a_reviewed_pull_request_passes(tmp_path: Path) -> None:
    # The README's recommended merge: a --no-ff merge by a maintainer (not the reviewer, not
    # the owner) of a branch holding the owner's step and the CTO's review.
    reg = Registry.create(tmp_path / "acme")
    reg.to_security("notes")
    reg.git("tag", "base")
    reg.git("checkout", "-q", "-b", "pr")
    reg.review("notes")
    reg.measure("notes")
    reg.git("checkout", "-q", "main")
    reg.git("merge", "-q", "--no-ff", "-m", "Merge pull request #7 from acme/pr", "pr",
            env={"GIT_AUTHOR_EMAIL": BOB_MAINTAINER, "GIT_COMMITTER_EMAIL": BOB_MAINTAINER,
                 "GIT_AUTHOR_NAME": "Bob", "GIT_COMMITTER_NAME": "Bob"})
    v = validate(reg.root, "base")
    assert v.code == 0, v.show()
    # show and log read the tool's history through the merge without a false alarm.
    shown = cli(reg.root, "log", "notes")
    assert shown.code == 0, shown.show()
    assert "crafted" not in shown.text.lower(), shown.show()
    one = cli(reg.root, "show", "notes")
    assert one.code == 0, one.show()
    assert "crafted" not in one.text.lower(), one.show()


BOB_MAINTAINER = "bob@acme.example"


def test_merge_of_pr_that_forged_a_review_still_fails(tmp_path: Path) -> None:
    # The clean take is exempt only because the side's own commits are judged: the side
    # branch's forged review is still found.
    reg = Registry.create(tmp_path / "acme")
    reg.to_security("notes")
    reg.git("tag", "base")
    reg.git("checkout", "-q", "-b", "pr")
    forged = reg.review("notes", who=LES, by=CTO)
    reg.git("checkout", "-q", "main")
    reg.git("merge", "-q", "--no-ff", "-m", "Merge pull request #8", "pr")
    v = validate(reg.root, "base")
    assert v.code == 1, v.show()
    assert v.names(NOTES, forged), v.show()


def test_audit_judges_a_merge_with_an_old_parent(tmp_path: Path) -> None:
    # `aireg audit` (the whole history) judges the same merge the same way.
    reg = Registry.create(tmp_path / "acme")
    reg.to_security("notes")
    old = reg.review("notes")
    _retired(reg)
    base = reg.head()
    f = Forge(reg)
    merge = f.commit(f.tree(base, {NOTES: f.entry(old, NOTES)}), [base, old], LES,
                     message("Merge branch 'old'"))
    f.move(merge)
    v = cli(reg.root, "audit", "--format", "json")
    assert v.code == 1, v.show()
    assert any(p.get("file") == NOTES and merge.startswith(str(p.get("commit")))
               for p in v.problems), v.show()


def test_department_take_over_through_a_conflicting_merge(tmp_path: Path) -> None:
    # Bob (engineering) makes a side branch from before notes existed, creates his own
    # tools/notes.yaml there in engineering, and merges it, resolving the add/add conflict
    # with his version: that is Bob rewriting Les's marketing record, not a clean take.
    reg = Registry.create(tmp_path / "acme")
    fork = reg.head()
    reg.to_security("notes")
    reg.review("notes")
    reg.git("tag", "base")
    base = reg.head()
    f = Forge(reg)
    mine = reg.read("notes")
    mine.update(owner=BOB_MAINTAINER, department="engineering", stage="purpose")
    side = f.change(fork, {NOTES: f.file(mine)}, BOB_MAINTAINER, "aireg: propose notes\n")
    merge = f.commit(f.tree(base, {NOTES: f.entry(side, NOTES)}), [base, side],
                     BOB_MAINTAINER, "Merge branch 'bob'\n")
    f.move(merge)
    v = validate(reg.root, "base")
    assert v.code == 1, v.show()
    assert v.names(NOTES, merge), v.show()
