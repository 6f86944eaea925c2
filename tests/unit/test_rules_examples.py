"""The record rules, data-driven: every file in tests/examples/valid passes them, and every
file in tests/examples/invalid breaks exactly the rules its `# expect:` line names."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from conftest import ACME_CONFIG

from aireg import config, records, rules, yamlio

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TODAY = date(2026, 12, 1)
_EXPECT = re.compile(r"^# expect: *(.*)$", re.MULTILINE)


def context() -> rules.Context:
    cfg = config.build(yamlio.load(ACME_CONFIG, "aireg.yaml"))
    ids = frozenset(records.file_id(p.name) for p in EXAMPLES.glob("*/*.yaml"))
    return rules.Context(cfg, ids, TODAY)


def rule_ids(path: Path) -> list[str]:
    """The rule ids that the record rules report for an example file, sorted, no repeats."""
    text = path.read_text("utf-8")
    rel = records.record_path(records.file_id(path.name))
    problems = rules.check_record(rel, text, yamlio.load(text, rel), context())
    return sorted({p.rule for p in problems})


def expected(path: Path) -> list[str]:
    found = _EXPECT.search(path.read_text("utf-8"))
    assert found, f"{path.name} has no '# expect: rule-id, ...' line"
    return sorted({r.strip() for r in found.group(1).split(",") if r.strip()})


def examples(kind: str) -> list[Path]:
    found = sorted((EXAMPLES / kind).glob("*.yaml"))
    assert found, f"no examples in {EXAMPLES / kind}"
    return found


@pytest.mark.parametrize("path", examples("valid"), ids=lambda p: p.stem)
def test_valid_examples_break_no_rule(path: Path) -> None:
    # A record written as the SPEC shows, at each stage, has no problem at all.
    assert rule_ids(path) == []


@pytest.mark.parametrize("path", examples("invalid"), ids=lambda p: p.stem)
def test_invalid_examples_break_exactly_the_rules_they_name(path: Path) -> None:
    # Each broken record is reported under the rule ids its `# expect:` line names, and no
    # others: one mistake is one problem, not a cascade.
    assert rule_ids(path) == expected(path)


def test_every_problem_of_an_invalid_example_names_its_file_and_a_fix() -> None:
    # A problem is a sentence about the record's file: it names the field or file.
    for path in examples("invalid"):
        text = path.read_text("utf-8")
        rel = records.record_path(records.file_id(path.name))
        for p in rules.check_record(rel, text, yamlio.load(text, rel), context()):
            assert p.file == rel
            assert p.message.endswith((".", "?")), p.message
