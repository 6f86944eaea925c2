"""aireg.workflow, pure: who may propose and edit, what each step writes, and what it refuses."""

from __future__ import annotations

import pytest
from conftest import ACME_CONFIG
from helpers_git import ANA, LES, fill, proposed

from aireg import config, workflow, yamlio
from aireg.errors import RuleError, UsageError
from aireg.records import Stage

CFG = config.build(yamlio.load(ACME_CONFIG, "aireg.yaml"))
BOB = "bob@acme.example"


def proposal(**kw: object) -> workflow.Proposal:
    base: dict[str, object] = {"id": "notes", "name": "Notes", "department": "marketing",
                               "problem": "Slow.", "goal": "Fast.", "criteria": ("10 min",),
                               "defined_with": ("ANA@acme.example",)}
    base.update(kw)
    return workflow.Proposal(**base)  # type: ignore[arg-type]


def test_propose_makes_a_record_in_purpose_owned_by_the_proposer() -> None:
    # The person doing the work proposes the tool and owns it; e-mails are lowercased.
    rec = workflow.propose(proposal(), LES, CFG, set(), "2026-12-01")
    assert (rec["owner"], rec["stage"], rec["created"]) == (LES, "purpose", "2026-12-01")
    assert rec["purpose"]["defined_with"] == [ANA]


@pytest.mark.parametrize(("kw", "actor", "error"), [
    ({"id": "Bad Id"}, LES, UsageError),
    ({"id": "taken"}, LES, UsageError),
    ({"department": "nowhere"}, LES, UsageError),
    ({}, BOB, RuleError),  # marketing lists its members; bob is not one
])
def test_propose_refuses_bad_ids_clashes_unknown_departments_and_outsiders(
        kw: dict[str, object], actor: str, error: type[Exception]) -> None:
    # Each refusal is the right kind: usage (exit 2) or a rule (exit 1).
    with pytest.raises(error):
        workflow.propose(proposal(**kw), actor, CFG, {"taken"}, "2026-12-01")


def test_only_the_owner_or_a_department_member_may_edit() -> None:
    # A department with members: its members may edit; anyone else is refused by name.
    rec = proposed("notes", owner=LES)
    workflow.check_may_edit(rec, LES, CFG, "edit it")
    workflow.check_may_edit(rec, ANA, CFG, "edit it")
    with pytest.raises(RuleError, match=LES):
        workflow.check_may_edit(rec, BOB, CFG, "edit it")


def test_advance_moves_one_stage_and_writes_the_stages_fields() -> None:
    # Leaving users appends the group given and moves to pilot, with a Stage trailer.
    rec = fill(proposed("notes"), "users")
    rec["stage"] = "users"
    del rec["users"]
    change = workflow.advance(rec, workflow.StageInput(group="writers", count=3,
                                                       needs=("speed",)), LES, CFG)
    assert (change.stage_from, change.stage_to) == (Stage.USERS, Stage.PILOT)
    after = workflow.applied(rec, change.updates)
    assert after["stage"] == "pilot"
    assert after["users"] == [{"group": "writers", "count": 3, "needs": ["speed"]}]
    assert ("Aireg-Stage", "users -> pilot") in change.trailers


def test_advance_refuses_with_everything_that_is_missing() -> None:
    # One refusal lists all the missing fields, so one retry can succeed.
    rec = proposed("notes")
    del rec["purpose"]
    with pytest.raises(RuleError) as info:
        workflow.advance(rec, workflow.StageInput(), LES, CFG)
    for flag in ("--problem", "--goal", "--criterion", "--with"):
        assert flag in str(info.value)


def test_security_is_left_only_by_a_review() -> None:
    # advance cannot skip the CTO.
    rec = fill(fill(proposed("notes"), "users"), "pilot")
    rec["stage"] = "security"
    with pytest.raises(RuleError, match="review"):
        workflow.advance(rec, workflow.StageInput(), LES, CFG)


def test_commit_message_is_one_line_and_cannot_forge_trailers() -> None:
    # A summary with line breaks stays on the subject line; trailers come only from aireg.
    change = workflow.Change("notes", "edit", "x\n\nAireg-Action: review", ())
    subject, _, body = change.message.partition("\n\n")
    assert "\n" not in subject and "Aireg-Action: review" not in body
    assert body == "Aireg-Action: edit\nAireg-Tool: notes\n"
