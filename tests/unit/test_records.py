"""aireg.records, pure: ids and paths, field accessors, stages, what a stage needs, digests."""

from __future__ import annotations

import copy

import pytest
from helpers_git import ANA, CTO, fill, proposed

from aireg import records
from aireg.records import Stage


def test_id_and_path_convert_both_ways() -> None:
    # tools/<id>.yaml is the one spelling of a record's file; only valid ids are records.
    assert records.record_path("meeting-notes") == "tools/meeting-notes.yaml"
    assert records.record_id("tools/meeting-notes.yaml") == "meeting-notes"
    assert records.file_id("tools/Bad_Name.yaml") == "Bad_Name"
    for not_a_record in ("tools/Bad_Name.yaml", "tools/a/b.yaml", "aireg.yaml", "tools/x.yml",
                         "tools/" + "a" * 65 + ".yaml", "other/x.yaml"):
        assert records.record_id(not_a_record) is None, not_a_record


@pytest.mark.parametrize(("tool_id", "ok"), [
    ("a", True), ("meeting-notes", True), ("a1-b2", True), ("a" * 64, True), ("a" * 65, False),
    ("-a", False), ("a-", False), ("a--b", False), ("A", False), ("a_b", False), ("", False),
    ("../x", False),
])
def test_valid_ids_are_lowercase_slugs_of_at_most_64(tool_id: str, ok: bool) -> None:
    # The same rule for --id, file names and ids in records.
    assert records.is_valid_id(tool_id) is ok


def test_accessors_give_empty_values_for_missing_or_mistyped_fields() -> None:
    # Rules read damaged records: a field of the wrong type reads as empty, never raises.
    assert records.as_map({"a": 1}) == {"a": 1}
    assert records.as_map(["a"]) == {} and records.as_map(None) == {}
    assert records.as_list([1]) == [1]
    assert records.as_list("abc") == [] and records.as_list({"a": 1}) == []


def test_stages_run_in_the_six_steps_and_exits_lead_nowhere() -> None:
    # purpose -> users -> pilot -> security -> impact -> active; rejected/retired are exits.
    order = [s for s in Stage if not s.is_exit]
    assert [s.step for s in order] == [1, 2, 3, 4, 5, 6]
    assert [s.next for s in order] == [*order[1:], None]
    assert Stage.REJECTED.next is None and Stage.RETIRED.step is None
    assert records.parse_stage("pilot") is Stage.PILOT
    assert records.parse_stage("Pilot") is None and records.parse_stage(3) is None


def test_a_stage_can_be_left_only_when_its_fields_are_written() -> None:
    # The purpose needs problem, goal, a criterion and a colleague other than the owner.
    rec = proposed("notes")
    assert records.missing(rec, Stage.PURPOSE) == []
    rec["purpose"]["defined_with"] = [rec["owner"]]
    assert [r.field for r in records.missing(rec, Stage.PURPOSE)] == ["purpose.defined_with"]
    assert records.missing(fill(proposed("notes"), "users"), Stage.USERS) == []
    assert records.missing(proposed("notes"), Stage.USERS)


def test_the_digest_covers_the_judged_facts_and_nothing_else() -> None:
    # A review binds the facts it saw: changing a judged fact changes the digest and names
    # the fact; notes elsewhere and the review itself do not.
    rec = fill(fill(proposed("notes"), "users"), "pilot")
    before = records.digest(rec)
    other = copy.deepcopy(rec)
    other["purpose"]["goal"] = "Something else."
    other["security"]["review"] = {"decision": "approved", "by": CTO}
    assert records.digest(other) == before
    other["security"]["data"] = ["internal", "confidential"]
    other["vendor"] = "New Vendor"
    assert records.digest(other) != before
    assert records.changed_facts(rec, other) == ["vendor", "security.data"]


def test_ordered_puts_keys_in_spec_order_and_keeps_unknown_ones_last() -> None:
    # New files are written in the SPEC's order, whatever order the code built them in.
    rec = {"zzz": 1, "stage": "purpose", "id": "x", "schema": "aireg/v1", "purpose": {}}
    assert list(records.ordered(rec)) == ["schema", "id", "stage", "purpose", "zzz"]


def test_review_payload_is_the_canonical_signed_text() -> None:
    # The exact bytes a signed review signs: a change of format breaks every signature.
    assert records.review_payload("notes", "approved", "2026-11-02", ANA, "sha256:ab") == (
        b"aireg-review v1\ntool: notes\ndecision: approved\ndate: 2026-11-02\n"
        b"reviewer: ana@acme.example\ndigest: sha256:ab\n")
