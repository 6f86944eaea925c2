"""aireg.config, aireg.due and aireg.schema, pure: building a Config, periodic work, and the
shape problems of records and configs with their positions."""

from __future__ import annotations

from datetime import date

from conftest import ACME_CONFIG, dedent
from helpers_git import CTO, LES, fill, proposed, with_review

from aireg import config, due, schema, yamlio
from aireg.config import Policy

# -- config -------------------------------------------------------------------------------


def test_build_reads_roles_departments_and_policy_lowercased() -> None:
    # Roles and members are compared lowercased, whatever case aireg.yaml uses.
    cfg = config.build(yamlio.load(ACME_CONFIG.replace("cto@acme", "CTO@acme"), "aireg.yaml"))
    assert cfg.security == (CTO,) and cfg.is_reviewer("Cto@Acme.Example")
    assert cfg.may_edit(LES, "marketing") and not cfg.may_edit(LES, "sales")
    assert cfg.policy.measure_within_days == 90
    assert [i.id for i in cfg.checklist] == ["data-classes", "training"]


def test_build_defaults_what_a_minimal_config_leaves_out() -> None:
    # Missing parts default, as the SPEC says: a policy of 90 and 180 days.
    cfg = config.build({"organization": "X"})
    assert cfg.policy == Policy() and cfg.departments == {} and cfg.admins == ()


def test_check_reports_cross_references_at_their_lines() -> None:
    # A pilot data class not in data_classes, a checklist id twice: each a problem with its
    # rule id and line.
    text = ACME_CONFIG.replace("pilot_data: [public, synthetic]", "pilot_data: [public, gold]")
    text = text.replace("  - id: training", "  - id: data-classes")
    cfg, problems = config.check(yamlio.load(text, "aireg.yaml"), "aireg.yaml", text)
    assert cfg is not None
    assert sorted(p.rule for p in problems) == ["duplicate-id", "unknown-data-class"]
    line_of = {p.rule: p.line for p in problems}
    lines = text.splitlines()
    assert "gold" in lines[line_of["unknown-data-class"] - 1]


def test_check_refuses_a_config_of_the_wrong_shape() -> None:
    # Shape first: a config that is not a config gives no Config at all.
    cfg, problems = config.check({"organization": 3}, "aireg.yaml", "organization: 3\n")
    assert cfg is None and problems


# -- due ----------------------------------------------------------------------------------

TODAY = date(2026, 12, 1)


def approved(day: str = "2026-11-20") -> dict[str, object]:
    rec = with_review(fill(fill(proposed("notes"), "users"), "pilot"), by=CTO, day=day)
    rec["stage"] = "impact"
    return rec


def test_measurement_is_due_within_the_policys_days_of_approval() -> None:
    # Approved on 2026-08-01 with 90 days to measure: due 2026-10-30, overdue by 32 days.
    item = due.item_for(approved("2026-08-01"), Policy(), TODAY)
    assert item is not None
    assert (item.kind, item.due, item.overdue, item.days) == ("measure", date(2026, 10, 30),
                                                              True, -32)


def test_reassessment_counts_from_the_last_check() -> None:
    # Active tools are reassessed every 180 days from the latest reassessment.
    rec = approved()
    rec["stage"] = "active"
    rec["impact"] = [{"metric": "m", "baseline": 1, "current": 2, "unit": "u",
                      "measured": "2026-01-01"}]
    rec["reassessments"] = [{"date": "2026-03-01"}, {"date": "2026-06-01"}]
    item = due.item_for(rec, Policy(), TODAY)
    assert item is not None and (item.kind, item.due) == ("reassess", date(2026, 11, 28))


def test_tools_not_deployed_owe_nothing_and_damaged_dates_do_not_crash() -> None:
    # Only impact and active owe periodic work; a bad date is read as missing.
    assert due.item_for(proposed("notes"), Policy(), TODAY) is None
    rec = approved("not a date")
    item = due.item_for(rec, Policy(), TODAY)
    assert item is not None and item.since == date(2026, 11, 2)  # the created date


def test_due_items_are_sorted_by_owner_then_date_and_cut_at_the_window() -> None:
    # Work due beyond `within` days is left out.
    soon, late = approved("2026-09-10"), approved("2026-11-30")
    soon["id"], late["id"] = "soon", "late"
    items = due.due_items([late, soon], Policy(), TODAY, within=30)
    assert [i.tool for i in items] == ["soon"]


# -- schema -------------------------------------------------------------------------------


def test_a_valid_record_has_no_shape_problems() -> None:
    # The fast path: valid data is answered without collecting errors.
    assert schema.is_valid(proposed("notes"), "tool")
    assert schema.shape_problems(proposed("notes"), "tool", "tools/notes.yaml", "") == []


def test_shape_problems_name_the_field_and_its_position() -> None:
    # A count written as words: wrong-type at users[0].count, on its line.
    text = dedent("""
        schema: aireg/v1
        id: notes
        name: Notes
        department: marketing
        owner: les@acme.example
        stage: users
        created: 2026-11-02
        users:
          - group: writers
            count: three
        """)
    problems = schema.shape_problems(yamlio.load(text, "f"), "tool", "tools/notes.yaml", text)
    by_field = {p.field: p for p in problems}
    assert by_field["users[0].count"].rule == "wrong-type"
    assert by_field["users[0].count"].line == 10


def test_field_names_are_dotted_paths_with_indexes() -> None:
    # The spelling every problem and --format json uses.
    assert schema.field_name(["security", "review", "by"]) == "security.review.by"
    assert schema.field_name(["impact", 0, "metric"]) == "impact[0].metric"
    assert schema.field_name([]) == ""
