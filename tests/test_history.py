"""Tests of aireg.history: the history rules over real git repositories, forgeries and all."""

from __future__ import annotations

import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from helpers_git import (
    ADMIN,
    ANA,
    BOB,
    CTO,
    LES,
    MAL,
    Registry,
    aireg_trailers,
    make_key,
    proposed,
    run_git,
    signer_line,
    with_review,
)

from aireg import history, records
from aireg.errors import EnvError, RuleError


def rules_of(result: history.HistoryResult) -> set[str]:
    return {p.rule for p in result.problems}


def judge(reg: Registry, base: str) -> history.HistoryResult:
    return history.check_history(reg.root, base)


@pytest.fixture
def reg(tmp_path: Path) -> Registry:
    return Registry.create(tmp_path / "acme")


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    d = tmp_path / "keys"
    return {who: make_key(d, who.split("@")[0]) for who in (CTO, MAL, LES)}


@pytest.fixture
def signed_reg(tmp_path: Path, keys: dict[str, Path]) -> Registry:
    # require_signed_reviews with the CTO's and Mal's keys in allowed_signers on the base.
    signers = signer_line(CTO, keys[CTO]) + signer_line(MAL, keys[MAL])
    return Registry.create(tmp_path / "acme", signed=True, signers=signers)


# -- legitimate flows ---------------------------------------------------------------------------

def test_propose_to_active_history_of_50_commits_passes(reg: Registry) -> None:
    # A whole legitimate life, 50 commits by the owner, a colleague and the CTO: no problem.
    base = reg.head()
    reg.to_security()
    reg.edit("notes", ANA, lambda r: r["purpose"].update(goal="Much faster notes."))
    reg.review()
    for i in range(41):
        reg.measure(who=LES if i % 2 else ANA, value=2.0 - i / 100)
    reg.edit("notes", LES, lambda r: r.update(stage="active"), "aireg: advance notes",
             aireg_trailers("advance", "notes", "impact -> active"))
    reg.propose("slides", who=BOB, department="engineering")
    reg.edit("slides", BOB, lambda r: r.update(name="Slides AI"))
    result = judge(reg, base)
    assert result.commits == 50
    assert result.problems == [], [p.message for p in result.problems]
    assert [(d.tool, d.decision, d.by, d.verified) for d in result.decisions] == [
        ("notes", "approved", CTO, True)]
    assert history.check_history(reg.root, None).problems == []


def test_merge_commit_of_a_legitimate_pull_request_passes(reg: Registry) -> None:
    # A PR merged with a merge commit (and a forge's synthetic merge) adds nothing of its own.
    reg.propose("notes")
    reg.git("switch", "-q", "-c", "pr")
    reg.advance()
    reg.edit("notes", ANA, lambda r: r.update(users=[{"group": "editors", "count": 1,
                                                      "needs": ["x"]}]))
    reg.git("switch", "-q", "main")
    reg.propose("slides", who=BOB, department="engineering")
    base = reg.head()
    run_git(reg.root, "merge", "-q", "--no-ff", "--no-edit", "pr",
            env={"GIT_AUTHOR_EMAIL": ADMIN, "GIT_COMMITTER_EMAIL": ADMIN})
    result = judge(reg, base)
    assert result.commits == 3
    assert result.problems == [], [p.message for p in result.problems]
    assert history.check_history(reg.root, None).problems == []


def test_merge_commit_that_adds_changes_of_its_own_is_judged(reg: Registry) -> None:
    # An evil merge: the merger slips a hand-written approval (and a CODEOWNERS change) into
    # the merge result.
    reg.to_security()
    reg.git("switch", "-q", "-c", "pr")
    reg.edit("notes", LES, lambda r: r["purpose"].update(goal="Other goal."))
    reg.git("switch", "-q", "main")
    base = reg.head()
    env = {"GIT_AUTHOR_EMAIL": BOB, "GIT_COMMITTER_EMAIL": BOB}
    run_git(reg.root, "merge", "-q", "--no-ff", "--no-commit", "pr", env=env)
    rec = with_review(reg.read("notes"))
    (reg.root / "tools/notes.yaml").write_text(
        records.SCHEMA_MODELINE + __import__("yaml").safe_dump(rec, sort_keys=False))
    (reg.root / "CODEOWNERS").write_text("* @bob\n")
    reg.git("add", "tools/notes.yaml", "CODEOWNERS")
    run_git(reg.root, "commit", "-q", "--no-edit", env=env)
    result = judge(reg, base)
    merge = reg.head()[:12]
    found = {(p.rule, p.commit, p.author) for p in result.problems}
    assert {("forged-review", merge, BOB), ("config-not-admin", merge, BOB)} <= found
    # The merge's version of the record is no clean take from either parent, so the whole
    # difference from its first parent (the PR's goal change included) is the merger's.
    assert ("not-owner", merge, BOB) in found


# -- forgeries of the review ----------------------------------------------------------------

def test_self_approval_by_the_owner_is_rejected(reg: Registry) -> None:
    # The owner records a review of their own tool: not a reviewer, and a self-review.
    base = reg.head()
    reg.to_security()
    reg.review(who=LES)
    result = judge(reg, base)
    assert {"self-review", "not-a-reviewer"} <= rules_of(result)
    p = next(p for p in result.problems if p.rule == "self-review")
    assert (p.file, p.field, p.author, p.commit) == (
        "tools/notes.yaml", "security.review.by", LES, reg.head()[:12])


def test_a_security_reviewer_never_approves_a_tool_they_own(reg: Registry) -> None:
    # The CTO owns an engineering tool and approves it: self-review even for a reviewer.
    base = reg.head()
    reg.to_security("bots", who=CTO)
    reg.review("bots", who=CTO)
    # (and, having proposed it, separation of duties)
    assert rules_of(judge(reg, base)) == {"self-review", "separation-of-duties"}


def test_approval_by_a_non_reviewer_is_rejected(reg: Registry) -> None:
    # A colleague who is not in roles.security records a proper-looking review commit.
    base = reg.head()
    reg.to_security()
    reg.review(who=ANA)
    result = judge(reg, base)
    assert rules_of(result) == {"not-a-reviewer"}
    assert result.decisions[0].verified is False


def test_approval_written_by_hand_in_a_non_review_commit_is_rejected(reg: Registry) -> None:
    # The owner writes the CTO's approval into the YAML and commits it as an ordinary edit.
    base = reg.head()
    reg.to_security()
    reg.edit("notes", LES, lambda r: r.update(with_review(r)), "notes: small fixes")
    assert "forged-review" in rules_of(judge(reg, base))


def test_review_commit_without_trailers_by_the_reviewer_is_rejected(reg: Registry) -> None:
    # Even the CTO records reviews only in a review commit (Aireg-Action/Tool/Decision).
    base = reg.head()
    reg.to_security()
    reg.review(trailers={})
    assert rules_of(judge(reg, base)) == {"forged-review"}


def test_review_commit_whose_trailer_names_another_decision_is_rejected(reg: Registry) -> None:
    # The trailers must match the review: a commit saying changes-requested cannot approve.
    base = reg.head()
    reg.to_security()
    reg.review(trailers=aireg_trailers("review", "notes", None, "changes-requested"))
    assert rules_of(judge(reg, base)) == {"forged-review"}


def test_pr_adding_its_author_to_security_and_approving_is_rejected(reg: Registry) -> None:
    # A change cannot grant itself rights: roles are read from aireg.yaml on the base.
    reg.to_security()
    base = reg.head()
    cfg = (reg.root / "aireg.yaml").read_text().replace(
        "security: [cto@acme.example]", "security: [cto@acme.example, ana@acme.example]")
    reg.commit(ANA, {"aireg.yaml": cfg}, "add myself")
    reg.review(who=ANA)
    result = judge(reg, base)
    assert {"config-not-admin", "not-a-reviewer"} <= rules_of(result)
    cfg_problem = next(p for p in result.problems if p.rule == "config-not-admin")
    assert (cfg_problem.file, cfg_problem.author) == ("aireg.yaml", ANA)


def test_config_allowed_signers_and_codeowners_change_only_by_admins(reg: Registry) -> None:
    # aireg.yaml, the allowed-signers file and CODEOWNERS: admins only; others are flagged.
    base = reg.head()
    reg.commit(ADMIN, {"aireg.yaml": (reg.root / "aireg.yaml").read_text() + "\n"}, "ok")
    reg.commit(CTO, {".aireg/allowed_signers": "cto@acme.example ssh-ed25519 AAAA\n"}, "keys")
    reg.commit(LES, {"CODEOWNERS": None}, "drop owners")
    result = judge(reg, base)
    assert sorted((p.file, p.author) for p in result.problems if p.rule == "config-not-admin") \
        == [(".aireg/allowed_signers", CTO), ("CODEOWNERS", LES)]


def test_approval_edited_after_the_fact_is_rejected(reg: Registry) -> None:
    # The owner softens the CTO's approved review's conditions later: review-edited.
    reg.to_security()
    reg.review()
    base = reg.head()
    reg.edit("notes", LES, lambda r: r["security"]["review"].update(conditions=["none"]))
    result = judge(reg, base)
    assert rules_of(result) == {"review-edited"}


def test_facts_changed_after_approval_name_the_changed_facts(reg: Registry) -> None:
    # The owner widens the data classes after the approval and no new review follows.
    reg.to_security()
    reg.review()
    base = reg.head()
    culprit = reg.edit("notes", LES, lambda r: r["security"].update(data=["internal",
                                                                          "regulated"]))
    reg.measure()
    result = judge(reg, base)
    assert rules_of(result) == {"stale-review"}
    p = result.problems[0]
    assert "security.data" in p.message and p.commit == culprit[:12] and p.author == LES
    # A new review in the same range makes it whole again.
    reg.review(day=reg.today)
    assert judge(reg, base).problems == []


def test_backdated_review_is_rejected(reg: Registry) -> None:
    # A review dated weeks before the commit that records it (or after it) is flagged.
    base = reg.head()
    reg.to_security()
    reg.review(day=(reg.clock.date() - timedelta(days=30)).isoformat())
    assert rules_of(judge(reg, base)) == {"backdated-review"}
    reg2 = Registry.create(reg.root.parent / "two")
    base2 = reg2.head()
    reg2.to_security()
    reg2.review(day=(reg2.clock.date() + timedelta(days=9)).isoformat())
    assert rules_of(judge(reg2, base2)) == {"backdated-review"}


def test_review_dated_before_the_facts_it_judged_is_rejected(reg: Registry) -> None:
    # Author dates can be set by hand too: a review can never predate the facts it covers.
    base = reg.head()
    reg.to_security()
    old = reg.clock - timedelta(days=20)
    reg.review(day=old.date().isoformat(), when=old)
    result = judge(reg, base)
    assert rules_of(result) == {"backdated-review"}
    assert "before the facts it judged were written" in result.problems[0].message


# -- stages, owners, deletions --------------------------------------------------------------

def test_stage_skipped_is_rejected(reg: Registry) -> None:
    # purpose -> pilot skips users.
    base = reg.head()
    reg.propose()
    reg.edit("notes", LES, lambda r: r.update(stage="pilot"))
    result = judge(reg, base)
    assert rules_of(result) == {"stage-skip"}
    assert result.problems[0].field == "stage"


def test_stage_moved_back_is_rejected(reg: Registry) -> None:
    # pilot -> users goes back; rejected -> purpose leaves an exit.
    base = reg.head()
    reg.propose()
    reg.advance()
    reg.advance()
    reg.edit("notes", LES, lambda r: r.update(stage="users"))
    reg.edit("notes", LES, lambda r: r.update(stage="rejected"))
    reg.edit("notes", LES, lambda r: r.update(stage="purpose"))
    assert [p.rule for p in judge(reg, base).problems] == ["stage-back", "stage-back"]


def test_owner_cannot_move_a_tool_out_of_security_without_a_review(reg: Registry) -> None:
    # security -> impact is the review's move; the owner may only withdraw from security.
    base = reg.head()
    reg.to_security()
    reg.edit("notes", LES, lambda r: r.update(stage="impact"))
    assert rules_of(judge(reg, base)) == {"left-security-unreviewed"}
    reg2 = Registry.create(reg.root.parent / "two")
    base2 = reg2.head()
    reg2.to_security()
    reg2.edit("notes", LES, lambda r: r.update(stage="rejected", rejected={
        "date": "2026-11-03", "reason": "too costly", "by": LES}))
    assert judge(reg2, base2).problems == []


def test_new_record_starts_in_purpose_unless_imported_by_an_admin(reg: Registry) -> None:
    # A record born in pilot is a skip; an admin's import commit may do it, never with a review.
    base = reg.head()
    reg.commit(LES, {"tools/a.yaml": {**proposed("a"), "stage": "pilot"}}, "new",
               aireg_trailers("propose", "a"))
    reg.commit(ADMIN, {"tools/b.yaml": {**proposed("b"), "stage": "pilot"}}, "aireg: import b",
               aireg_trailers("import", "b"))
    reg.commit(ADMIN, {"tools/c.yaml": with_review({**proposed("c"), "stage": "impact"})},
               "aireg: import c", aireg_trailers("import", "c"))
    reg.commit(LES, {"tools/d.yaml": {**proposed("d"), "stage": "pilot"}}, "aireg: import d",
               aireg_trailers("import", "d"))
    found = sorted((p.file, p.rule) for p in judge(reg, base).problems)
    assert found == [("tools/a.yaml", "stage-skip"), ("tools/c.yaml", "forged-review"),
                     ("tools/d.yaml", "stage-skip")]


def test_another_departments_member_cannot_edit_a_tool(reg: Registry) -> None:
    # Marketing lists its members: Bob (engineering) may not edit Les's marketing tool...
    reg.propose()
    base = reg.head()
    reg.edit("notes", BOB, lambda r: r.update(vendor="Cheaper Inc."))
    result = judge(reg, base)
    assert rules_of(result) == {"not-owner"}
    p = result.problems[0]
    assert (p.field, p.author) == ("vendor", BOB) and "les@acme.example" in p.message
    # ...nor create one in marketing; while Ana, a member, may edit it.
    base = reg.head()
    reg.propose("mine", who=BOB)
    reg.edit("notes", ANA, lambda r: r.update(vendor="Cheaper Inc."))
    assert [(p.file, p.rule) for p in judge(reg, base).problems] == [
        ("tools/mine.yaml", "not-owner")]


def test_only_the_owner_edits_a_tool_of_a_department_without_members(reg: Registry) -> None:
    # engineering lists no members: only the owner edits; the CTO editing facts is flagged.
    reg.propose("bots", who=BOB, department="engineering")
    base = reg.head()
    reg.edit("bots", CTO, lambda r: r.update(url="https://elsewhere.example"))
    assert rules_of(judge(reg, base)) == {"not-owner"}


def test_reviewer_changes_only_the_review(reg: Registry) -> None:
    # The CTO's review commit that also rewrites the facts it approves is flagged.
    base = reg.head()
    reg.to_security()
    rec = reg.read("notes")
    rec["security"]["retention"] = "forever"
    rec = with_review(rec, day=reg.today)
    reg.commit(CTO, {"tools/notes.yaml": rec}, "aireg: review notes: approved",
               aireg_trailers("review", "notes", "security -> impact", "approved"))
    result = judge(reg, base)
    assert rules_of(result) == {"reviewer-changed-facts"}
    assert result.problems[0].field == "security.retention"


def test_deleted_or_renamed_record_is_rejected(reg: Registry) -> None:
    # Records are never deleted, not even by an admin; a rename is a deletion too.
    reg.propose("notes")
    reg.propose("slides")
    base = reg.head()
    reg.commit(ADMIN, {"tools/notes.yaml": None}, "cleanup")
    reg.git("mv", "tools/slides.yaml", "tools/decks.yaml")
    reg.commit(LES, {}, "rename")
    result = judge(reg, base)
    assert [(p.file, p.rule) for p in result.problems] == [
        ("tools/notes.yaml", "record-deleted"), ("tools/slides.yaml", "record-deleted")]
    assert "renamed to tools/decks.yaml" in result.problems[1].message


def test_unreadable_record_in_a_commit_is_reported(reg: Registry) -> None:
    # A commit that leaves broken YAML cannot be judged, and says so.
    reg.propose()
    base = reg.head()
    reg.commit(LES, {"tools/notes.yaml": "id: [unclosed\n"}, "oops")
    assert rules_of(judge(reg, base)) == {"unreadable-record"}


# -- signed reviews -------------------------------------------------------------------------

def test_signed_review_by_the_reviewers_key_passes(signed_reg: Registry,
                                                   keys: dict[str, Path]) -> None:
    # With require_signed_reviews, the CTO's own key signing the review is a good decision.
    base = signed_reg.head()
    signed_reg.to_security()
    signed_reg.review(key=keys[CTO])
    result = judge(signed_reg, base)
    assert result.problems == [], [p.message for p in result.problems]
    assert [(d.signature, d.verified) for d in result.decisions] == [("good", True)]


def test_unsigned_review_is_rejected_when_signing_is_required(signed_reg: Registry) -> None:
    # No signature at all.
    base = signed_reg.head()
    signed_reg.to_security()
    signed_reg.review()
    result = judge(signed_reg, base)
    assert rules_of(result) == {"unsigned-review"}
    assert result.decisions[0].signature == "unsigned"


def test_tampered_signed_review_is_rejected(signed_reg: Registry, keys: dict[str, Path]) -> None:
    # The CTO signed "changes-requested"; the recorded review says "approved".
    base = signed_reg.head()
    signed_reg.to_security()
    signed_reg.review(key=keys[CTO], sign_as={"decision": "changes-requested"})
    result = judge(signed_reg, base)
    assert rules_of(result) == {"bad-signature"}
    assert result.decisions[0].signature == "bad"


def test_commit_authored_as_the_cto_but_signed_by_another_key_is_rejected(
        signed_reg: Registry, keys: dict[str, Path]) -> None:
    # The commit claims the CTO, the signature is Mal's (listed for Mal) or Les's (unlisted).
    base = signed_reg.head()
    signed_reg.to_security("a")
    signed_reg.review("a", key=keys[MAL])
    signed_reg.to_security("b")
    signed_reg.review("b", key=keys[LES])
    result = judge(signed_reg, base)
    assert sorted((p.file, p.rule) for p in result.problems) == [
        ("tools/a.yaml", "signer-mismatch"), ("tools/b.yaml", "unknown-signer")]
    assert {d.signature for d in result.decisions} == {"wrong-signer", "unknown-key"}


def test_key_added_to_allowed_signers_in_the_same_pr_does_not_count(
        signed_reg: Registry, keys: dict[str, Path]) -> None:
    # Les lists her own key as the CTO's, then signs an approval "by" the CTO with it.
    base = signed_reg.head()
    signed_reg.to_security()
    signers = (signed_reg.root / ".aireg/allowed_signers").read_text()
    signed_reg.commit(LES, {".aireg/allowed_signers": signers + signer_line(CTO, keys[LES])},
                      "add key")
    signed_reg.review(who=CTO, by=CTO, key=keys[LES])
    result = judge(signed_reg, base)
    assert {"config-not-admin", "unknown-signer"} <= rules_of(result)


def test_signed_review_survives_a_squash_merge(signed_reg: Registry,
                                               keys: dict[str, Path]) -> None:
    # The PR holding the CTO's signed review is squashed into one commit authored by the
    # owner the same day: the signature still proves the reviewer, so audit passes.
    reg = signed_reg
    reg.to_security()
    reg.git("switch", "-q", "-c", "pr")
    reg.review(key=keys[CTO])
    reg.git("switch", "-q", "main")
    base = reg.head()
    run_git(reg.root, "merge", "-q", "--squash", "pr")
    reg.commit(LES, {}, "notes: reviewed (#7)", body="* aireg: review notes\n\n"
               "Aireg-Action: review")
    result = judge(reg, base)
    assert result.ok, [p.message for p in result.problems]
    assert [(d.signature, d.author, d.by, d.verified) for d in result.decisions] == [
        ("good", LES, CTO, True)]
    assert history.check_history(reg.root, None).ok


def test_squash_of_several_steps_is_a_stage_skip_whatever_the_message(
        signed_reg: Registry, keys: dict[str, Path]) -> None:
    # Several Aireg-Action lines in a squash message never turn a skipped stage into a
    # warning: what the author writes cannot relax a rule (SPEC section 4).
    reg = signed_reg
    reg.git("switch", "-q", "-c", "pr")
    reg.to_security()
    reg.review(key=keys[CTO])
    reg.git("switch", "-q", "main")
    base = reg.head()
    run_git(reg.root, "merge", "-q", "--squash", "pr")
    squash = reg.commit(LES, {}, "notes: up to impact (#7)",
                        body="* aireg: propose notes\n\nAireg-Action: propose\n\n"
                             "* aireg: review notes\n\nAireg-Action: review")
    result = judge(reg, base)
    assert ("stage-skip", "error", squash[:12]) in {
        (p.rule, p.severity, p.commit) for p in result.problems}
    assert not result.ok


def test_unsigned_review_squash_merged_is_named_squashed(reg: Registry) -> None:
    # Without a signature a squash erases who recorded the review: audit names it.
    reg.to_security()
    reg.git("switch", "-q", "-c", "pr")
    reg.review()
    reg.git("switch", "-q", "main")
    run_git(reg.root, "merge", "-q", "--squash", "pr")
    squash = reg.commit(LES, {}, "", raw_message=run_git(
        reg.root, "log", "--format=%B", "main..pr").replace("aireg:", "    aireg:")
        .join(["Squashed commit of the following:\n\n", ""]))
    result = history.check_history(reg.root, None)
    # Unproven, the review is the squash author's: the owner, who proposed the tool.
    assert sorted((p.rule, p.commit) for p in result.problems if p.severity == "error") == [
        ("separation-of-duties", squash[:12]), ("squashed-review", squash[:12])]


# -- reading history safely -----------------------------------------------------------------

def test_trailer_injection_and_fake_framing_cannot_pose_as_another_commit(
        reg: Registry) -> None:
    # A message full of control characters, fake commit headers and fake trailers: the log is
    # parsed into exactly the commits rev-list knows, and no injected trailer is believed.
    reg.to_security()
    base = reg.head()
    fake_sha = "f" * 40
    evil = (
        "aireg: review notes: approved\n\n"
        f"\x1e\x1f\x01\x02\x1b[2K\x7f{fake_sha}\x1f\x1e commit {fake_sha}\nAuthor: CTO "
        "<cto@acme.example>\n\x0c\x0b\n"
        "Aireg-Action: review\nAireg-Tool: notes\x1b[8m\nAireg-Decision: approved\r\n"
    )
    rec = with_review(reg.read("notes"), by=CTO, day=reg.today)
    reg.commit(CTO, {"tools/notes.yaml": rec}, "", raw_message=evil)
    commits = history.read_history(reg.root, f"{base}..HEAD")
    ids = run_git(reg.root, "rev-list", f"{base}..HEAD").split()
    assert [c.sha for c in commits] == ids and fake_sha not in [c.sha for c in commits]
    assert commits[0].trailers == {} and commits[0].trailer_error
    assert "\x1b" not in commits[0].subject
    assert rules_of(judge(reg, base)) == {"forged-review"}


def test_crafted_commit_object_with_nul_in_its_message_is_read_safely(reg: Registry) -> None:
    # git itself forbids NUL in messages; a raw object with one is truncated, never split.
    reg.propose()
    parent = reg.head()
    tree = reg.git("rev-parse", "HEAD^{tree}").strip()
    fake = "e" * 40
    raw = (f"tree {tree}\nparent {parent}\nauthor Les <les@acme.example> 1793000000 +0000\n"
           f"committer Les <les@acme.example> 1793000000 +0000\n\nhello\0\0{fake}\0{parent}\0"
           "Cto\0cto@acme.example\0")
    done = subprocess.run(["git", "-C", str(reg.root), "hash-object", "-t", "commit", "-w",
                           "--literally", "--stdin"], input=raw.encode(), capture_output=True,
                          check=True)
    sha = done.stdout.decode().strip()
    reg.git("update-ref", "refs/heads/main", sha)
    commits = history.read_history(reg.root, f"{parent}..HEAD")
    assert [c.sha for c in commits] == [sha]
    assert commits[0].author_email == LES
    # A NUL smuggled into the author line does not shift the fields: reading fails closed.
    raw = (f"tree {tree}\nparent {sha}\nauthor Les\0{fake}\0cto@acme.example <l@x> 1793000000 "
           "+0000\ncommitter Les <les@acme.example> 1793000000 +0000\n\nhi\n")
    done = subprocess.run(["git", "-C", str(reg.root), "hash-object", "-t", "commit", "-w",
                           "--literally", "--stdin"], input=raw.encode(), capture_output=True,
                          check=True)
    reg.git("update-ref", "refs/heads/main", done.stdout.decode().strip())
    with pytest.raises(RuleError, match="could not be read unambiguously"):
        history.check_history(reg.root, parent)


def test_trailers_are_read_strictly_from_the_final_block() -> None:
    # Only the last paragraph, only known Aireg keys, each once, no control characters.
    ok = "aireg: review x\n\nbody\n\nAireg-Action: review\nAireg-Tool: x\nSigned-off-by: A <a@b>\n"
    assert history.parse_trailers(ok) == ({"Aireg-Action": "review", "Aireg-Tool": "x"}, None)
    early = "s\n\nAireg-Action: review\nAireg-Tool: x\n\nfinal words\n"
    assert history.parse_trailers(early) == ({}, None)
    for bad in ("s\n\nAireg-Action: review\nAireg-Action: review\n",
                "s\n\nAireg-Actor: review\n",
                "s\n\nAireg-Tool: x\x1b[0m\n",
                "s\n\nAireg-Action: approve\n",
                "s\n\nAireg-Tool: x\n  continued\nAireg-Action: review\n"):
        trailers, error = history.parse_trailers(bad)
        assert trailers == {} and error, bad
    assert history.parse_trailers("only a subject\n") == ({}, None)


def test_missing_base_is_an_environment_error(reg: Registry) -> None:
    # A base ref that is not there is exit 3 with the fetch to run, never a pass.
    with pytest.raises(EnvError) as info:
        history.check_history(reg.root, "origin/main")
    assert info.value.exit_code == 3
    assert "git fetch origin main" in str(info.value) and "fetch-depth: 0" in str(info.value)


def test_shallow_clone_is_too_shallow_to_judge(reg: Registry, tmp_path: Path) -> None:
    # A `--depth 2` clone: a base beyond it is missing, and a range reaching the edge of the
    # clone is history-too-shallow (exit 3).
    reg.propose()
    old = reg.head()
    for _ in range(3):
        reg.advance()
    reg.git("switch", "-q", "-c", "pr", old)
    reg.edit("notes", ANA, lambda r: r.update(name="X"))
    reg.edit("notes", ANA, lambda r: r.update(name="Y"))
    reg.edit("notes", ANA, lambda r: r.update(name="Z"))
    reg.git("switch", "-q", "main")
    clone = tmp_path / "clone"
    run_git(tmp_path, "clone", "-q", "--depth", "2", "--no-single-branch",
            f"file://{reg.root}", str(clone))
    run_git(clone, "switch", "-q", "pr")
    with pytest.raises(EnvError) as info:
        history.check_history(clone, old)
    assert info.value.exit_code == 3
    with pytest.raises(history.HistoryTooShallow) as shallow:
        history.check_history(clone, "origin/main")
    assert shallow.value.exit_code == 3 and "fetch-depth: 0" in str(shallow.value)
    with pytest.raises(history.HistoryTooShallow):
        history.check_history(clone, None)


def test_base_without_config_cannot_judge(tmp_path: Path) -> None:
    # Rights come from the base: a base with no aireg.yaml is refused, not passed.
    root = tmp_path / "r"
    root.mkdir()
    run_git(root, "init", "-q", "-b", "main")
    reg = Registry(root)
    base = reg.commit(ADMIN, {"README.md": "hi\n"}, "first")
    reg.commit(ADMIN, {"aireg.yaml": "schema: aireg/v1\n"}, "config")
    with pytest.raises(RuleError):
        history.check_history(root, base)


def test_audit_judges_each_commit_with_the_config_before_it(reg: Registry) -> None:
    # Over all history, a reviewer added by an admin may review from then on.
    cfg = (reg.root / "aireg.yaml").read_text().replace(
        "security: [cto@acme.example]", "security: [cto@acme.example, ana@acme.example]")
    reg.commit(ADMIN, {"aireg.yaml": cfg}, "ana reviews too")
    reg.to_security("bots", who=BOB)
    reg.review("bots", who=ANA)
    result = history.check_history(reg.root, None)
    assert result.problems == [], [p.message for p in result.problems]


# -- the timeline and the facts a review saw -----------------------------------------------------

def test_timeline_lists_each_commit_and_stage_durations(signed_reg: Registry,
                                                        keys: dict[str, Path]) -> None:
    # aireg log: who did what, stage changes, decision and signature, and days per stage.
    reg = signed_reg
    reg.propose()
    reg.advance()
    reg.tick(24 * 3)
    reg.advance()
    reg.advance()
    reg.tick(24 * 2)
    reg.review(key=keys[CTO])
    reg.measure()
    events = history.timeline(reg.root, "notes")
    assert [(e.action, e.person, e.stage_from, e.stage_to) for e in events] == [
        ("propose", LES, None, "purpose"), ("advance", LES, "purpose", "users"),
        ("advance", LES, "users", "pilot"), ("advance", LES, "pilot", "security"),
        ("review", CTO, "security", "impact"), ("measure", LES, None, None)]
    assert [(e.decision, e.signature) for e in events][4:] == [("approved", "good"),
                                                               (None, "none")]
    durations = history.stage_durations(events, events[-1].day + timedelta(days=10))
    assert durations == {"purpose": 0, "users": 3, "pilot": 0, "security": 2, "impact": 10}
    assert all(len(e.short) == 12 for e in events)


def test_record_with_digest_finds_the_facts_the_review_saw(reg: Registry) -> None:
    # validate names what changed since the review from the record the review judged.
    reg.to_security()
    reg.review()
    reviewed = reg.read("notes")
    digest = reviewed["security"]["review"]["digest"]
    reg.edit("notes", LES, lambda r: r.update(vendor="Other Inc."))
    reg.edit("notes", LES, lambda r: r["security"].update(integrations=["drive"]))
    then = history.record_with_digest(reg.root, "tools/notes.yaml", digest)
    assert then is not None and records.digest(then) == digest
    assert records.changed_facts(then, reg.read("notes")) == ["vendor", "security.integrations"]
    assert history.record_with_digest(reg.root, "tools/notes.yaml", "sha256:nope") is None


def test_the_day_of_the_review_is_the_authors_local_day() -> None:
    # Commit.author_day reads the author's own time zone, as the review's date was written.
    c = history.Commit("a" * 40, (), "A", "a@b.c", "2026-11-02T23:30:00-05:00",
                       "2026-11-02T23:30:00-05:00", "s", "s", {}, ())
    assert c.author_day == date(2026, 11, 2)
