"""The parts of the history judge (issue 11, issue 14.1/14.2): the commit vocabulary, identities,
record text limits, the signed payload, the one timeline, and forgeries written with git
plumbing in real repositories (gitlinks by update-index, octopus merges by commit-tree)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from helpers_git import (
    ADMIN,
    BOB,
    CTO,
    LES,
    MAL,
    Registry,
    dump,
    make_key,
    run_git,
    signer_line,
    with_review,
)

from aireg import history, identity, records, recordtext, signing, timeline, trailers, workflow
from aireg.codeowners import MESSAGE as CODEOWNERS_MESSAGE
from aireg.init import INIT_MESSAGE
from aireg.repo import Registry as Reg
from aireg.repo import read_file

NOTES = "tools/notes.yaml"


@pytest.fixture
def reg(tmp_path: Path) -> Registry:
    return Registry.create(tmp_path / "acme")


def rules_of(result: history.HistoryResult) -> set[tuple[str, str | None]]:
    return {(p.rule, p.commit) for p in result.problems if p.severity == "error"}


# -- the commit vocabulary (14.1) ----------------------------------------------------------------

def test_every_writer_s_message_parses_as_valid_aireg_trailers() -> None:
    # What aireg writes is what aireg reads: init, codeowners, import and every workflow
    # command's message parse without error and say their action.
    change = workflow.Change("notes", "advance", "purpose -> users\nAireg-Action: review", (),
                             records.Stage.PURPOSE, records.Stage.USERS)
    for text, action in ((INIT_MESSAGE.format(org="Acme"), "init"),
                         (CODEOWNERS_MESSAGE, "codeowners"),
                         (trailers.registry_message("import", "3 tools: from x.csv", "Body."),
                          "import"),
                         (change.message, "advance")):
        parsed = trailers.parse(text)
        assert parsed.error is None, (text, parsed.error)
        assert parsed.action == action
    parsed = trailers.parse(change.message)
    # A summary can never add a trailer of its own: it is flattened into the subject.
    assert parsed.actions == ("advance",)
    assert parsed.stage_move == ("purpose", "users")
    assert parsed.tool == "notes"


def test_duplicate_or_unknown_trailers_are_no_trailers() -> None:
    # Read strictly: a repeated key, an unknown Aireg- key or a bad value gives nothing.
    for text in ("s\n\nAireg-Action: review\nAireg-Action: review\n",
                 "s\n\nAireg-Action: review\nAireg-Bypass: yes\n",
                 "s\n\nAireg-Action: approve\n",
                 "s\n\nAireg-Decision: approved\u200b\n"):
        parsed = trailers.parse(text)
        assert parsed.trailers == {} and parsed.error


# -- identities --------------------------------------------------------------------------------

def test_identities_are_nfkc_and_case_folded_and_invisible_text_is_refused() -> None:
    # Full-width and upper-case forms are the same person; a zero-width space or a
    # soft hyphen makes an address refused, never a different person.
    assert identity.normal("\uff23\uff34\uff2f@Acme.Example ") == CTO
    assert identity.problem(CTO) is None
    for bad in (CTO + "\u200b", "c\u00adto@acme.example", "cto@acme.example\u2028"):
        assert identity.problem(bad)
    assert identity.problem("\uff23\uff34\uff2f@acme.example")  # not NFKC: a look-alike


# -- record text ---------------------------------------------------------------------------------

def test_working_tree_refuses_records_over_the_limit_and_ambiguous_breaks(
        reg: Registry) -> None:
    # validate (every command reads through read_file) refuses a record over 1 MiB, naming
    # the limit, and one with U+2028 or a lone CR, naming line and column.
    rec = dump({"id": "notes", "name": "Notes"})
    (reg.root / "tools").mkdir(exist_ok=True)
    (reg.root / NOTES).write_text(rec + "#" * (recordtext.MAX_RECORD_BYTES + 1) + "\n")
    got = read_file(reg.root, NOTES)
    assert got.problem is not None and got.problem.rule == "file-too-large"
    assert "1,048,576" in got.problem.message
    for char in ("\u2028", "\r", "\x85"):
        (reg.root / NOTES).write_bytes((rec + f"# note{char}name: Hidden\n").encode())
        got = read_file(reg.root, NOTES)
        assert got.problem is not None and got.problem.rule == "ambiguous-break", char
        assert got.problem.line is not None
    (reg.root / NOTES).write_bytes((rec + "# crlf is fine\r\n").encode())
    assert read_file(reg.root, NOTES).problem is None


# -- the signed payload ------------------------------------------------------------------------

def test_signed_payload_covers_every_field_but_the_signature(tmp_path: Path) -> None:
    # Each field of a signed review, changed after signing, breaks the signature; the
    # signature itself is not part of what it signs.
    key = make_key(tmp_path / "keys", "cto")
    allowed = signer_line(CTO, key)
    rec = {"id": "notes", "name": "N", "security": {"data": ["public"]}}
    signed = with_review(rec, key=key, root=tmp_path)
    review = signed["security"]["review"]
    review_note = {**review, "note": "fine"}
    review_note["signature"] = signing.sign(records.signed_payload("notes", review_note),
                                            str(key), tmp_path)
    assert signing.review_status("notes", review_note, allowed) == "good"
    edits = {"decision": "rejected", "date": "2026-01-01", "by": MAL, "digest": "sha256:0",
             "answers": {"data-classes": "no", "training": "yes"}, "note": "changed",
             "conditions": ["none"]}
    for fieldname, value in edits.items():
        tampered = {**review_note, fieldname: value}
        assert signing.review_status("notes", tampered, allowed) == "bad", fieldname
    # A version-1 signature still proves a review holding only the version-1 fields, and
    # nothing once another field is added.
    v1 = {k: review[k] for k in ("decision", "date", "by", "digest")}
    v1["signature"] = signing.sign(records.review_payload(
        "notes", v1["decision"], v1["date"], v1["by"], v1["digest"]), str(key), tmp_path)
    assert signing.review_status("notes", v1, allowed) == "good"
    assert signing.review_status("notes", {**v1, "note": "x"}, allowed) == "bad"


# -- one timeline (14.2) -----------------------------------------------------------------------

def test_log_and_report_read_one_timeline_through_a_no_ff_merge(reg: Registry) -> None:
    # A tool whose steps arrive through a --no-ff merge: aireg log's events (no "crafted
    # message" alarm) and the report's stage moves agree, day for day.
    reg.propose()
    reg.git("switch", "-q", "-c", "pr")
    reg.advance()
    reg.advance()
    reg.git("switch", "-q", "main")
    reg.tick()
    reg.git("merge", "-q", "--no-ff", "-m", "Merge pull request #1", "pr",
            env={"GIT_AUTHOR_DATE": reg.clock.isoformat(),
                 "GIT_COMMITTER_DATE": reg.clock.isoformat()})
    events = timeline.timeline(reg.root, "notes")
    moves = [(e.day, e.stage_from, e.stage_to) for e in events if e.stage_to]
    hist = timeline.histories(reg.root)["notes"]
    assert [(d, f, t) for d, f, t in hist.moves] == moves[1:]
    assert hist.added == events[0].day
    assert [e.action for e in events][:3] == ["propose", "advance", "advance"]
    from aireg import report

    assert report.read_history(Reg(reg.root))["notes"] == hist


# -- forgeries with git plumbing -------------------------------------------------------------

def _gitlink_commit(reg: Registry, who: str, path: str) -> str:
    """A commit (by `who`) whose tree has a gitlink at `path`, made with update-index."""
    run_git(reg.root, "rm", "-q", "--cached", "--", path)
    run_git(reg.root, "update-index", "--add", "--cacheinfo",
            f"160000,{reg.head()},{path}")
    from helpers_git import person_env

    run_git(reg.root, "commit", "-q", "-m", "tidy", env=person_env(who, reg.tick()))
    if (reg.root / path).is_dir():  # the empty folder git may leave in its place
        (reg.root / path).rmdir()
    return reg.head()


def test_config_through_a_gitlink_and_back_is_two_admin_only_changes(reg: Registry) -> None:
    # Mal turns aireg.yaml into a gitlink for one commit and back into his own config in
    # the next: both commits change a protected path, whatever its mode.
    base = reg.head()
    cfg = (reg.root / "aireg.yaml").read_text()
    gone = _gitlink_commit(reg, MAL, "aireg.yaml")
    back = reg.commit(MAL, {"aireg.yaml": cfg.replace("admin@acme.example", MAL)}, "restore")
    result = history.check_history(reg.root, base)
    assert {("config-not-admin", gone[:12]), ("config-not-admin", back[:12])} \
        <= rules_of(result)


def test_record_through_a_gitlink_is_deleted_then_created(reg: Registry) -> None:
    # A record replaced by a gitlink (update-index --cacheinfo 160000) is deleted; coming
    # back as a file in a later stage is a creation that skips stages.
    reg.propose()
    base = reg.head()
    rec = reg.read("notes")
    gone = _gitlink_commit(reg, LES, NOTES)
    late = copy.deepcopy(rec)
    late["stage"] = "pilot"
    back = reg.commit(LES, {NOTES: late}, "restore")
    result = history.check_history(reg.root, base)
    assert {("record-deleted", gone[:12]), ("stage-skip", back[:12])} <= rules_of(result)


def test_octopus_merge_with_an_old_parent_is_the_merger_s_change(reg: Registry) -> None:
    # An octopus merge (commit-tree with three parents) whose tree takes the record from
    # its oldest parent: not a clean take (the first parent's version is not the merge
    # base's), so going back to purpose is the merger's stage-back.
    reg.propose()
    old = reg.head()
    reg.advance()
    reg.advance()
    side = reg.commit(BOB, {"tools/other.txt": "x\n"}, "other")
    run_git(reg.root, "reset", "-q", "--hard", "HEAD~1")
    base = reg.head()
    tree = run_git(reg.root, "rev-parse", f"{old}^{{tree}}").strip()
    from helpers_git import person_env

    octo = run_git(reg.root, "commit-tree", tree, "-p", base, "-p", side, "-p", old, "-m",
                   "Merge branches", env=person_env(BOB, reg.tick())).strip()
    run_git(reg.root, "reset", "-q", "--hard", octo)
    result = history.check_history(reg.root, base)
    assert ("stage-back", octo[:12]) in rules_of(result)
    assert ("not-owner", octo[:12]) in rules_of(result)


def test_update_branch_merge_and_admin_config_change_from_base_pass(reg: Registry) -> None:
    # The forge's "update branch": main moved on (an admin changed aireg.yaml, a tool moved)
    # and is merged into the PR by its author; each file is a clean take from main.
    reg.propose()
    reg.git("branch", "pr")
    reg.propose("other", BOB, "engineering")
    cfg = (reg.root / "aireg.yaml").read_text()
    reg.commit(ADMIN, {"aireg.yaml": cfg.replace("organization: Acme", "organization: Acme Inc")},
               "config")
    main = reg.head()
    reg.git("switch", "-q", "pr")
    reg.advance()
    reg.tick()
    reg.git("merge", "-q", "--no-ff", "-m", "Merge branch main into pr", "main",
            env={"GIT_AUTHOR_EMAIL": LES, "GIT_COMMITTER_EMAIL": LES})
    result = history.check_history(reg.root, main)
    assert result.ok, [p.message for p in result.problems]


def test_reviewer_who_named_another_owner_cannot_approve(reg: Registry) -> None:
    # Separation of duties: the CTO, a marketing member here, proposes a tool naming Les as
    # owner (allowed), Les takes it to security, and the CTO approves: refused, though the
    # CTO is not the owner.
    cfg = (reg.root / "aireg.yaml").read_text()
    reg.commit(ADMIN, {"aireg.yaml": cfg.replace(
        "members: [les@acme.example, ana@acme.example]",
        "members: [les@acme.example, ana@acme.example, cto@acme.example]")}, "members")
    base = reg.head()
    reg.propose(who=CTO)
    rec = reg.read("notes")
    rec["owner"] = LES
    reg.commit(CTO, {NOTES: rec}, "owner")
    reg.to_security()
    review = reg.review()
    result = history.check_history(reg.root, base)
    assert ("separation-of-duties", review[:12]) in rules_of(result)
