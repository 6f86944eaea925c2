"""Forgeries of who did what, issue 11 classes 3-5: separation of duties, look-alike
identities (NFKC, zero-width), signed reviews edited or replayed (real ssh-keygen keys), and
rules an author's own text must never relax."""

from __future__ import annotations

import copy
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from forge import Forge, validate
from helpers_git import (
    ACME,
    ADMIN,
    BOB,
    CTO,
    LES,
    START,
    Registry,
    aireg_trailers,
    make_key,
    person_env,
    proposed,
    run_git,
    signer_line,
)

from aireg import records, signing

pytestmark = pytest.mark.timeout(120)

NOTES = "tools/notes.yaml"


def review_block(rec: dict[str, Any], by: str, decision: str, day: str,
                 key: Path | None = None, root: Path | None = None,
                 **extra: Any) -> dict[str, Any]:
    """A review of `rec` as aireg writes it, signed over the whole review when `key` is
    given (signing.review_payload is the payload the verifier checks)."""
    review: dict[str, Any] = {"decision": decision, "by": by, "date": day,
                              "answers": {"data-classes": "yes", "training": "yes"},
                              "conditions": ["Company workspace only"],
                              "digest": records.digest(rec), **extra}
    if key is not None:
        review["signature"] = signing.sign(signing.review_payload(str(rec["id"]), review),
                                           str(key), root or Path.cwd())
    return review


def record_review(reg: Registry, rec: dict[str, Any], review: dict[str, Any], who: str,
                  stage: str | None = None, subject: str | None = None,
                  trailers: dict[str, str] | None = None, when: Any = None) -> str:
    rec = copy.deepcopy(rec)
    rec.setdefault("security", {})["review"] = review
    old = rec["stage"]
    if stage:
        rec["stage"] = stage
    decision = review["decision"]
    tool = rec["id"]
    if trailers is None:
        trailers = aireg_trailers("review", tool, f"{old} -> {stage}" if stage else None,
                                  decision)
    return reg.commit(who, {f"tools/{tool}.yaml": rec},
                      subject or f"aireg: review {tool}: {decision}", trailers, when=when)


# -- class 3: separation of duties ---------------------------------------------------------------

def test_reviewer_who_proposed_then_handed_over_cannot_approve(tmp_path: Path) -> None:
    # The CTO proposes a tool in engineering (no member list), walks it to security, names
    # Bob its owner, and approves it: he created the record and named its owner.
    reg = Registry.create(tmp_path / "acme")
    reg.git("tag", "base")
    reg.to_security("notes", who=CTO, department="engineering")
    reg.edit("notes", CTO, lambda r: r.update(owner=BOB), "hand over to bob")
    review = reg.review("notes")
    v = validate(reg.root, "base")
    assert v.code == 1, v.show()
    assert v.names(NOTES, review), v.show()


def test_reviewer_who_named_the_owner_before_the_base_cannot_approve(tmp_path: Path) -> None:
    # The same, with the hand-over already merged: the approval in the pull request is still
    # the CTO reviewing a tool whose record he created and whose owner he named.
    reg = Registry.create(tmp_path / "acme")
    reg.to_security("notes", who=CTO, department="engineering")
    reg.edit("notes", CTO, lambda r: r.update(owner=BOB), "hand over to bob")
    reg.git("tag", "base")
    review = reg.review("notes")
    v = validate(reg.root, "base")
    assert v.code == 1, v.show()
    assert v.names(NOTES, review), v.show()


def test_department_member_reviewer_who_wrote_the_facts_cannot_approve(tmp_path: Path) -> None:
    # The CTO is also a marketing member: he may edit Les's tool, and writes its security
    # facts; his approval of the facts he wrote breaks separation of duties.
    reg = Registry.create(tmp_path / "acme")
    cfg = (ACME % {"signed": "false"}).replace(
        "marketing: {members: [les@acme.example, ana@acme.example]}",
        "marketing: {members: [les@acme.example, ana@acme.example, cto@acme.example]}")
    reg.commit(ADMIN, {"aireg.yaml": cfg}, "cto joins marketing")
    reg.to_security("notes")
    reg.git("tag", "base")

    def facts(rec: dict[str, Any]) -> None:
        rec["security"]["retention"] = "7 days"
        rec["security"]["data"] = ["public"]

    reg.edit("notes", CTO, facts, "fix security facts")
    review = reg.review("notes")
    v = validate(reg.root, "base")
    assert v.code == 1, v.show()
    assert v.names(NOTES, review), v.show()


def test_facts_written_before_an_earlier_review_do_not_block_a_new_one(tmp_path: Path) -> None:
    # Separation of duties counts since the last review: the CTO (a marketing member) fixed a
    # fact, another reviewer approved; after the owner's next fact change, the CTO may review.
    reg = Registry.create(tmp_path / "acme")
    cfg = (ACME % {"signed": "false"}).replace(
        "marketing: {members: [les@acme.example, ana@acme.example]}",
        "marketing: {members: [les@acme.example, ana@acme.example, cto@acme.example]}").replace(
        "security: [cto@acme.example]", "security: [cto@acme.example, sec@acme.example]")
    reg.commit(ADMIN, {"aireg.yaml": cfg}, "cto joins marketing")
    reg.to_security("notes")
    reg.edit("notes", CTO, lambda r: r["security"].update(retention="7 days"), "fact")
    reg.review("notes", who="sec@acme.example")
    reg.git("tag", "base")
    reg.edit("notes", LES, lambda r: r["security"].update(retention="8 days"), "fact")
    rec = reg.read("notes")
    record_review(reg, rec, review_block(rec, CTO, "approved", reg.today), CTO)
    v = validate(reg.root, "base")
    assert not any(p.get("file") == NOTES for p in v.errors()), v.show()


# -- identities ------------------------------------------------------------------------------

def test_owner_with_zero_width_space_is_refused(tmp_path: Path) -> None:
    # Les (a marketing member) files a marketing tool whose owner is the CTO's address plus a
    # zero-width space; the CTO approves it as himself. Today that counts as someone else;
    # the address with an invisible character is refused.
    reg = Registry.create(tmp_path / "acme")
    reg.git("tag", "base")
    ghost = "cto\u200b@acme.example"
    reg.commit(LES, {NOTES: proposed("notes", owner=ghost)}, "aireg: propose notes: proposed",
               aireg_trailers("propose", "notes"))
    while reg.read("notes")["stage"] != "security":
        reg.advance("notes", LES)
    reg.review("notes")
    v = validate(reg.root, "base")
    assert v.code == 1, v.show()
    assert v.names(NOTES), v.show()


def test_fullwidth_owner_is_the_same_person_after_nfkc(tmp_path: Path) -> None:
    # The fullwidth "cto" (U+FF43 U+FF54 U+FF4F) is cto@acme.example after NFKC: his review
    # of it is a self-review (or the non-NFKC owner is refused); exit 1 naming the record.
    reg = Registry.create(tmp_path / "acme")
    reg.git("tag", "base")
    reg.to_security("notes", who=CTO, department="engineering")
    reg.edit("notes", CTO, lambda r: r.update(owner="\uff43\uff54\uff4f@acme.example"),
             "rename owner")
    review = reg.review("notes")
    v = validate(reg.root, "base")
    assert v.code == 1, v.show()
    assert v.names(NOTES, review) or v.names(NOTES), v.show()


def test_reviewer_name_with_zero_width_joiner_is_refused(tmp_path: Path) -> None:
    # A review whose `by` carries an invisible character names nobody the config knows.
    reg = Registry.create(tmp_path / "acme")
    reg.to_security("notes")
    reg.git("tag", "base")
    rec = reg.read("notes")
    review = record_review(reg, rec, review_block(rec, "cto@acme.example\u200d", "approved",
                                                  reg.today), CTO, stage="impact")
    v = validate(reg.root, "base")
    assert v.code == 1, v.show()
    assert v.names(NOTES, review), v.show()


def test_config_with_invisible_address_is_refused(tmp_path: Path) -> None:
    # Even an admin may not list an address with a zero-width space in roles.
    reg = Registry.create(tmp_path / "acme")
    reg.git("tag", "base")
    cfg = (ACME % {"signed": "false"}).replace(
        "security: [cto@acme.example]", "security: [cto@acme.example, \"mal\u200b@acme.example\"]")
    reg.commit(ADMIN, {"aireg.yaml": cfg}, "more reviewers")
    v = validate(reg.root, "base")
    assert v.code == 1, v.show()
    assert any(p.get("file") == "aireg.yaml" for p in v.errors()), v.show()


def test_author_with_uppercase_and_fullwidth_is_still_the_owner(tmp_path: Path) -> None:
    # Identity is compared after NFKC and case folding: Les committing as "LES@ACME.EXAMPLE"
    # edits his own tool (no false alarm).
    reg = Registry.create(tmp_path / "acme")
    reg.to_security("notes")
    reg.git("tag", "base")
    reg.edit("notes", "LES@ACME.EXAMPLE", lambda r: r.update(name="Notes 2"), "rename")
    v = validate(reg.root, "base")
    assert not any(p.get("file") == NOTES for p in v.errors()), v.show()


# -- class 4: signed reviews cover the whole review ---------------------------------------------

@pytest.fixture
def signed(tmp_path: Path) -> tuple[Registry, Path]:
    keys = tmp_path / "keys"
    cto = make_key(keys, "cto")
    reg = Registry.create(tmp_path / "acme", signed=True, signers=signer_line(CTO, cto))
    reg.to_security("notes")
    return reg, cto


@pytest.mark.parametrize("field,value", [
    ("conditions", ["Any workspace"]),
    ("answers", {"data-classes": "no", "training": "yes"}),
    ("note", "Approved without reservations."),
])
def test_edit_of_a_signed_review_after_signing_is_refused(signed: tuple[Registry, Path],
                                                          field: str, value: Any) -> None:
    # The CTO signs his approval; the owner later rewrites its conditions, answers or note.
    # The signature covers every field, so the edited review no longer verifies.
    reg, key = signed
    rec = reg.read("notes")
    record_review(reg, rec, review_block(rec, CTO, "approved", reg.today, key, reg.root), CTO,
                  stage="impact")
    reg.git("tag", "base")
    edit = reg.edit("notes", LES, lambda r: r["security"]["review"].update({field: value}),
                    "clarify review")
    v = validate(reg.root, "base")
    assert v.code == 1, v.show()
    assert v.names(NOTES, edit), v.show()


def test_replayed_superseded_signed_approval_with_agreeing_dates_is_refused(
        signed: tuple[Registry, Path]) -> None:
    # The CTO approved (signed, day 1); the owner changed a fact; the CTO requested changes
    # (signed, day 5). The owner puts back the old facts and the day-1 signed approval, in a
    # commit dated day 1 with review trailers: a review never replaces a later-dated one.
    reg, key = signed
    rec = reg.read("notes")
    day1 = reg.clock
    approval = review_block(rec, CTO, "approved", day1.date().isoformat(), key, reg.root)
    record_review(reg, rec, approval, CTO, stage="impact", when=day1)
    approved = reg.read("notes")
    reg.clock = START + timedelta(days=4)
    reg.edit("notes", LES, lambda r: r["security"].update(retention="forever"), "retention")
    rec2 = reg.read("notes")
    day5 = reg.tick()
    record_review(reg, rec2, review_block(rec2, CTO, "changes-requested",
                                          day5.date().isoformat(), key, reg.root), CTO,
                  when=day5)
    reg.git("tag", "base")
    replay = copy.deepcopy(approved)
    replay_sha = reg.commit(LES, {NOTES: replay}, "aireg: review notes: approved",
                            aireg_trailers("review", "notes", None, "approved"),
                            when=day1 + timedelta(hours=2))
    v = validate(reg.root, "base")
    assert v.code == 1, v.show()
    assert v.names(NOTES, replay_sha), v.show()


def test_signed_review_carried_by_a_merge_passes(signed: tuple[Registry, Path]) -> None:
    # Control: the CTO's signed review on a branch, merged --no-ff by a maintainer: good.
    reg, key = signed
    reg.git("tag", "base")
    reg.git("checkout", "-q", "-b", "pr")
    rec = reg.read("notes")
    record_review(reg, rec, review_block(rec, CTO, "approved", reg.today, key, reg.root), CTO,
                  stage="impact")
    reg.git("checkout", "-q", "main")
    run_git(reg.root, "merge", "-q", "--no-ff", "-m", "Merge pull request #3", "pr",
            env=person_env(BOB, reg.tick()))
    v = validate(reg.root, "base")
    assert v.code == 0, v.show()


# -- class 5: no rule relaxes on text the author writes ---------------------------------------

@pytest.mark.parametrize("subject", ["notes (#12)", "Merge pull request #12 from acme/notes",
                                     "Squashed commit of the following:"])
def test_backdated_review_with_a_non_review_subject_is_refused(tmp_path: Path,
                                                               subject: str) -> None:
    # A review dated a month before the commit that records it, under a subject that does
    # not start with "aireg: review": the backdating is judged all the same.
    reg = Registry.create(tmp_path / "acme")
    reg.to_security("notes")
    reg.git("tag", "base")
    when = reg.tick(24 * 40)
    rec = reg.read("notes")
    old_day = (when - timedelta(days=30)).date().isoformat()
    sha = record_review(reg, rec, review_block(rec, CTO, "approved", old_day), CTO,
                        stage="impact", subject=subject, when=when)
    v = validate(reg.root, "base")
    assert v.code == 1, v.show()
    assert v.names(NOTES, sha), v.show()


def test_duplicate_action_trailers_do_not_turn_a_stage_skip_into_a_warning(
        tmp_path: Path) -> None:
    # Two Aireg-Action lines make a commit look like a squash of several steps; the skip
    # from purpose to pilot is still an error.
    reg = Registry.create(tmp_path / "acme")
    reg.propose("notes")
    reg.git("tag", "base")
    from helpers_git import fill

    rec = fill(fill(reg.read("notes"), "users"), "pilot")
    rec["stage"] = "pilot"
    msg = ("aireg: advance notes: done\n\nAireg-Action: advance\nAireg-Action: advance\n"
           "Aireg-Tool: notes\nAireg-Stage: purpose -> pilot\n")
    sha = reg.commit(LES, {NOTES: rec}, "", raw_message=msg)
    v = validate(reg.root, "base")
    assert v.code == 1, v.show()
    assert v.names(NOTES, sha), v.show()


def test_trailer_claiming_import_does_not_let_an_owner_create_a_late_record(
        tmp_path: Path) -> None:
    # An `Aireg-Action: import` trailer written by a non-admin creates nothing in a late stage.
    reg = Registry.create(tmp_path / "acme")
    reg.git("tag", "base")
    from helpers_git import fill, proposed

    rec = fill(fill(proposed("notes"), "users"), "pilot")
    rec["stage"] = "security"
    sha = reg.commit(LES, {NOTES: rec}, "aireg: import notes: imported",
                     aireg_trailers("import", "notes"))
    v = validate(reg.root, "base")
    assert v.code == 1, v.show()
    assert v.names(NOTES, sha), v.show()


def test_committer_identity_does_not_stand_in_for_the_author(tmp_path: Path) -> None:
    # Les authors the approval; the committer field says CTO. Identity is the author.
    reg = Registry.create(tmp_path / "acme")
    reg.to_security("notes")
    reg.git("tag", "base")
    f = Forge(reg)
    rec = reg.read("notes")
    rec["security"]["review"] = review_block(rec, CTO, "approved", reg.today)
    rec["stage"] = "impact"
    msg = "aireg: review notes: approved\n\nAireg-Action: review\nAireg-Tool: notes\n" \
          "Aireg-Stage: security -> impact\nAireg-Decision: approved\n"
    base = reg.head()
    sha = f.commit(f.tree(base, {NOTES: f.file(rec)}), [base], LES, msg, committer=CTO)
    f.move(sha)
    v = validate(reg.root, "base")
    assert v.code == 1, v.show()
    assert v.names(NOTES, sha), v.show()


def test_squash_shaped_messages_never_change_the_verdict(tmp_path: Path) -> None:
    # The owner records the CTO's approval himself, unsigned, under a plain review subject,
    # a squash-merge subject, and a squash body listing several actions: exit 1 each time,
    # naming the same record and review field; only the wording may differ.
    seen = []
    for i, (subject, body) in enumerate([
            ("aireg: review notes: approved", ""),
            ("notes: security (#9)", ""),
            ("notes (#9)", "* aireg: advance notes\n\nAireg-Action: advance\n\n"
                           "* aireg: review notes\n\nAireg-Action: review")]):
        reg = Registry.create(tmp_path / f"r{i}")
        reg.to_security("notes")
        reg.git("tag", "base")
        rec = reg.read("notes")
        rec["security"]["review"] = review_block(rec, CTO, "approved", reg.today)
        rec["stage"] = "impact"
        sha = reg.commit(LES, {NOTES: rec}, subject,
                         aireg_trailers("review", "notes", "security -> impact", "approved"),
                         body=body)
        v = validate(reg.root, "base")
        assert v.code == 1, v.show()
        assert v.names(NOTES, sha), v.show()
        seen.append({(p["file"], p["field"].split(".")[0]) for p in v.errors()})
    assert seen[0] == seen[1] == seen[2], seen
