"""aireg.yamlio: the SPEC's strict reading rules, positions, dumping and comment-keeping edits."""

# ruff: noqa: E501  (the SPEC's example record below is copied verbatim, long comments and all)

from __future__ import annotations

import difflib
import math
import pickle
import textwrap
import time
from typing import Any

import pytest
from conftest import Reg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aireg.errors import RuleError
from aireg.yamlio import Update, YamlError, dump, edit, load, load_mapping, locate

# The example record of SPEC section 2, verbatim, comments included.
SPEC_RECORD = """\
# yaml-language-server: $schema=../schema/tool.schema.json
schema: aireg/v1
id: interview-summaries
name: Otter.ai
vendor: Otter.ai, Inc.
url: https://otter.ai
department: marketing
owner: les@acme.example          # the person doing the work, who chose the tool
stage: impact
created: 2026-11-01

purpose:                         # 1 — required to leave `purpose`
  problem: Writing an interview summary takes three hours.
  goal: A draft summary the writer edits, not writes.
  success_criteria: [A draft within ten minutes of the interview]
  defined_with: [ana@acme.example]      # at least one person besides the owner

users:                           # 2 — required to leave `users`
  - group: content writers
    count: 6
    needs: [speaker labels, export to Google Docs]

pilot:                           # 3 — required to leave `pilot`
  start: 2026-11-03
  end: 2026-11-14
  participants: [ana@acme.example]
  data: [public]                 # must be within policy.pilot_data
  result: passed                 # passed | failed
  findings: Speaker labels wrong in 1 of 12 interviews.

security:                        # 4 — facts by the owner; `review` by a security reviewer only
  data: [internal, customer-personal]
  trains_on_our_data: false
  retention: 30 days
  sso: true
  integrations: [google-drive]   # empty list: nothing to integrate
  review:
    decision: approved           # approved | changes-requested | rejected
    by: cto@acme.example
    date: 2026-11-20
    answers: {data-classes: "yes"} # one per security_checklist id: "yes" | "no" | "n/a"
    conditions: [Company workspace only]
    digest: sha256:9f2c...       # of the facts judged: id, name, vendor, url, department, security facts, pilot data
    signature: |                 # optional: ssh signature over the review payload (namespace aireg-review)
      -----BEGIN SSH SIGNATURE-----
      ...

impact:                          # 5 — at least one measured metric to leave `impact`
  - metric: hours per summary
    baseline: 3
    current: 0.5
    unit: hours
    measured: 2026-12-20

reassessments:                   # 6 — one entry per periodic check
  - date: 2027-06-01
    by: les@acme.example
    alternatives: [Fireflies.ai]
    outcome: keep                # keep | replace | retire
    note: Still the best fit; Fireflies lacks Docs export.

retired: {date: 2027-06-01, reason: ..., replaced_by: other-id}   # only in `retired`
"""


def y(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def error(text: str | bytes, file: str = "tools/x.yaml") -> YamlError:
    with pytest.raises(YamlError) as info:
        load(text, file)
    return info.value


def diff(a: str, b: str) -> list[str]:
    """The changed lines of a unified diff, without its headers."""
    lines = difflib.unified_diff(a.splitlines(True), b.splitlines(True), n=0)
    return [ln for ln in lines if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]


# --- plain loading ----------------------------------------------------------------------------


def test_spec_record_loads_as_plain_values() -> None:
    # The SPEC example reads as plain Python values; dates stay the text that was written.
    record = load(SPEC_RECORD, "tools/interview-summaries.yaml")
    assert type(record) is dict
    assert record["created"] == "2026-11-01"
    assert record["security"]["review"]["date"] == "2026-11-20"
    assert record["users"][0]["count"] == 6
    assert record["impact"][0]["current"] == 0.5
    assert record["security"]["sso"] is True
    assert record["security"]["trains_on_our_data"] is False
    assert record["security"]["review"]["answers"] == {"data-classes": "yes"}
    assert record["security"]["review"]["signature"].startswith("-----BEGIN SSH SIGNATURE-----\n")
    assert record["retired"]["reason"] == "..."


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("2026-11-01", "2026-11-01"),
        ("2026-11-01T10:00:00Z", "2026-11-01T10:00:00Z"),
        ("1:20", "1:20"),
        ("1_000", "1_000"),
        ("0x1F", "0x1F"),
        ("0o17", "0o17"),
        ("0b101", "0b101"),
        (".inf", ".inf"),
        ("-.inf", "-.inf"),
        (".nan", ".nan"),
        ("=", "="),
        ("<<", "<<"),
        ("12", 12),
        ("+12", 12),
        ("-7", -7),
        ("017", 17),
        ("1.10", 1.1),
        ("1.", 1.0),
        (".5", 0.5),
        ("-2.5e3", -2500.0),
        ("1e5", 100000.0),
        ("true", True),
        ("True", True),
        ("TRUE", True),
        ("false", False),
        ("False", False),
        ("FALSE", False),
        ("~", None),
        ("null", None),
        ("Null", None),
        ("NULL", None),
        ("", None),
        ("'no'", "no"),
        ('"off"', "off"),
        ("'12'", "12"),
        ("nope", "nope"),
        ("yesterday", "yesterday"),
    ],
)
def test_scalars_follow_the_core_schema_and_keep_dates_and_versions_as_text(
    written: str, value: Any
) -> None:
    # Only YAML 1.2 core ints, floats, bools and nulls are resolved; the rest is the text written.
    loaded = load(f"v: {written}\n", "f.yaml")["v"]
    assert loaded == value
    assert type(loaded) is type(value)


@pytest.mark.parametrize(
    "word", ["y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
             "on", "On", "ON", "off", "Off", "OFF"],
)
def test_yaml11_booleans_are_errors_that_say_what_to_write(word: str) -> None:
    # A bare yes/no/on/off is never silently a boolean: an error with the fix, at its position.
    e = error(y(f"""
        security:
          sso: {word}
        """))
    assert (e.line, e.column) == (2, 8)
    either = "true (or false)" if word.lower() in ("y", "yes", "on") else "false (or true)"
    assert e.reason == (
        f'"{word}" is ambiguous: write {either}, or quote it ("{word}") if you mean the text'
    )
    assert load(f'sso: "{word}"\n', "f") == {"sso": word}


def test_ambiguous_booleans_inside_lists_and_flow_are_errors_too() -> None:
    # The rule holds in every context, not only for mapping values.
    assert error("data: [public, no]\n").column == 16
    assert error("- yes\n").line == 1


def test_duplicate_keys_name_the_key_and_its_first_line() -> None:
    # A key set twice is an error at the second one, pointing back at the first.
    e = error(y("""
        id: a
        pilot:
          start: 2026-11-03
          end: 2026-11-14
          start: 2026-11-04
        """))
    assert (e.line, e.column) == (5, 3)
    assert e.reason == '"start" appears twice in this mapping (first on line 3); keep one'


def test_same_key_in_different_mappings_is_fine() -> None:
    # Duplicates are per mapping.
    assert load("a: {x: 1}\nb: {x: 2}\n", "f") == {"a": {"x": 1}, "b": {"x": 2}}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1: x\n", 'keys must be text; quote the key ("1") if you mean the text'),
        ("true: x\n", 'keys must be text; quote the key ("true") if you mean the text'),
        ("null: x\n", 'keys must be text; quote the key ("null") if you mean the text'),
        ("~: x\n", 'keys must be text; quote the key ("~") if you mean the text'),
        ("1.5: x\n", 'keys must be text; quote the key ("1.5") if you mean the text'),
        ("on: push\n", 'keys must be text; quote the key ("on") if you mean the text'),
        ("? [a, b]\n: x\n", "keys must be text, not a list or a mapping; use a plain key"),
        ("{a: 1}: x\n", "keys must be text, not a list or a mapping; use a plain key"),
    ],
)
def test_keys_must_be_text(text: str, reason: str) -> None:
    # Only text keys: a number, boolean, null or collection as a key is an error at the key.
    e = error(text)
    assert e.reason == reason
    assert e.line == 1


def test_quoted_keys_that_look_like_other_things_are_text() -> None:
    # Quoting makes any key text.
    assert load('"1": a\n"on": b\n"null": c\n', "f") == {"1": "a", "on": "b", "null": "c"}


# --- anchors, aliases, merge keys and tags ------------------------------------------------------


def test_anchors_and_aliases_are_refused_where_written() -> None:
    # An anchor alone is refused (nothing may refer to it), and so is an alias.
    e = error("a: &base 1\nb: 2\n")
    assert (e.line, e.column) == (1, 4)
    assert e.reason.startswith('"&base" is an anchor, and anchors are not allowed')
    e = error("a: 1\nb: *base\n")
    assert (e.line, e.column) == (2, 4)
    assert e.reason == (
        '"*base" is an alias, and aliases are not allowed; write the value out in full'
    )


def test_merge_keys_are_refused() -> None:
    # "<<" as a key is a merge key: refused even without an anchor; as a value it is just text.
    e = error(y("""
        a: 1
        b:
          <<: {x: 1}
        """))
    assert (e.line, e.column) == (3, 3)
    assert e.reason == 'merge keys ("<<") are not allowed; write the fields out in full'
    assert load("a: <<\n", "f") == {"a": "<<"}


@pytest.mark.parametrize(
    ("text", "shown", "column"),
    [
        ("a: !!python/object/apply:os.system [ls]\n", "!!python/object/apply:os.system", 4),
        ("a: !!str 12\n", "!!str", 4),
        ("a: !!binary aGVsbG8=\n", "!!binary", 4),
        ("a: !custom x\n", "!custom", 4),
        ("a: ! x\n", "!", 4),
        ("a: !<tag:yaml.org,2002:str> x\n", "!<tag:yaml.org,2002:str>", 4),
        ("--- !!map\na: 1\n", "!!map", 5),
        ("a: [x, !!int 3]\n", "!!int", 8),
        ("%TAG !e! tag:example.com,2026:\n---\na: !e!thing x\n", "!e!thing", 4),
    ],
)
def test_tags_are_refused_naming_what_was_written(text: str, shown: str, column: int) -> None:
    # Every explicit tag is refused, quoted as the user wrote it, at its position.
    e = error(text)
    assert e.reason == f'tags are not allowed; remove "{shown}"'
    assert e.column == column


def test_text_with_ampersands_stars_and_bangs_is_just_text() -> None:
    # The characters themselves are fine where they cannot start a node property.
    text = 'url: https://x.example/?a=1&b=2\nnote: R&D said 5 * 3 is great!\nq: "&a *b !c"\n'
    assert load(text, "f") == {
        "url": "https://x.example/?a=1&b=2",
        "note": "R&D said 5 * 3 is great!",
        "q": "&a *b !c",
    }


def test_alias_bomb_is_refused_in_milliseconds() -> None:
    # "Billion laughs": nine levels of nine aliases each would be 387 million items.
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 10):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    text = "\n".join(lines) + "\n"
    start = time.perf_counter()
    e = error(text)
    assert time.perf_counter() - start < 0.5
    assert "anchor" in e.reason


def test_merge_key_bomb_is_refused_in_milliseconds() -> None:
    # The same explosion through merge keys.
    lines = ["m0: &m0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8}"]
    for i in range(1, 20):
        lines.append(f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}, *m{i - 1}, *m{i - 1}], k{i}: {i}}}")
    text = "\n".join(lines) + "\n"
    start = time.perf_counter()
    with pytest.raises(YamlError):
        load(text, "f")
    assert time.perf_counter() - start < 0.5


# --- layout, documents, encodings -------------------------------------------------------------


def test_tab_indentation_says_to_indent_with_spaces() -> None:
    # libyaml's "found character that cannot start any token" becomes the actual fix.
    e = error("purpose:\n\tgoal: x\n")
    assert (e.line, e.column) == (2, 1)
    assert e.reason == "tabs are not allowed for indentation; indent with spaces"
    e = error("purpose:\n  goal: x\n\tproblem: y\n")
    assert e.reason == "tabs are not allowed for indentation; indent with spaces"
    assert e.line == 3
    # A tab after "key:" is only a separator.
    assert load("a:\t1\n", "f") == {"a": 1}


@pytest.mark.parametrize(
    ("text", "line", "column", "start"),
    [
        ("a: b: c\n", 1, 5, "could not parse YAML: mapping values are not allowed"),
        ("a: [1, 2\nb: 3\n", 2, 2, "could not parse YAML: did not find expected ',' or ']'"),
        ("a: 'open\n", 2, 1, "could not parse YAML: found unexpected end of stream"),
        ("a:\n  - x\n  y: 2\n", 3, 3, "could not parse YAML: did not find expected '-' indicator"),
        ('a: "\\q"\n', 1, 5, "could not parse YAML: found unknown escape character"),
        ("a: `x`\n", 1, 4, "could not parse YAML: found character that cannot start any token"),
    ],
)
def test_parse_errors_carry_position_and_advice(
    text: str, line: int, column: int, start: str
) -> None:
    # libyaml's scanner and parser errors keep libyaml's position, as 1-based line:column.
    e = error(text)
    assert (e.line, e.column) == (line, column)
    assert e.reason.startswith(start)
    assert "; " in e.reason  # the advice after the problem


def test_one_document_exactly() -> None:
    # Empty files and a second document are errors; a leading "---" is fine.
    assert error("").reason.startswith("is empty")
    assert error("# only a comment\n\n").reason.startswith("is empty")
    assert error("---\n").reason.startswith("is empty")
    e = error("a: 1\n---\nb: 2\n")
    assert (e.line, e.column) == (2, 1)
    assert e.reason == (
        'holds more than one YAML document; keep one document per file (remove the extra "---")'
    )
    assert load("---\na: 1\n", "f") == {"a": 1}
    assert load("a: 1\n...\n", "f") == {"a": 1}


def test_top_level_is_returned_as_is_and_load_mapping_requires_a_mapping() -> None:
    # load() returns any top level; load_mapping() says what it got instead of fields.
    assert load("- a\n- b\n", "f") == ["a", "b"]
    assert load("just text\n", "f") == "just text"
    assert load_mapping("a: 1\n", "f") == {"a": 1}
    for text, kind in [("- a\n", "a list"), ("just text\n", "text"), ("12\n", "a number"),
                       ("~\n", "null"), ("true\n", "a boolean")]:
        with pytest.raises(YamlError) as info:
            load_mapping(text, "aireg.yaml")
        assert info.value.reason == f"must be a mapping of fields (key: value), not {kind}"
        assert (info.value.line, info.value.column) == (1, 1)


def test_bytes_are_utf8_with_an_optional_bom() -> None:
    # Files are read as bytes: UTF-8, with or without a byte order mark.
    assert load("name: Zoë\n".encode(), "f") == {"name": "Zoë"}
    assert load(b"\xef\xbb\xbfa: 1\n", "f") == {"a": 1}
    assert load("\ufeffa: 1\n", "f") == {"a": 1}


def test_non_utf8_names_the_byte_and_says_save_as_utf8() -> None:
    # A Latin-1 file: where the bad byte is, and the fix.
    e = error("a: 1\nname: Zoë\n".encode("latin-1"))
    assert (e.line, e.column) == (2, 9)
    assert e.reason == "is not UTF-8 text (byte 0xeb at offset 13); save the file as UTF-8"
    assert error("a: 1\n".encode("utf-16")).reason == "is saved as UTF-16; save the file as UTF-8"


def test_binary_files_are_not_yaml() -> None:
    # NUL bytes mean a binary file.
    assert error(b"\x89PNG\r\n\x1a\n\x00\x00").reason.startswith("is a binary file, not YAML")
    assert error("a: \x00\n").reason.startswith("is a binary file, not YAML")


def test_control_characters_and_lone_surrogates_are_reported_with_positions() -> None:
    # Characters YAML forbids, and str input that is not valid Unicode.
    e = error("a: 1\nb: 'x\x07'\n")
    assert (e.line, e.column) == (2, 6)
    assert e.reason == "contains a character YAML does not allow (#x0007); remove it"
    e = error("a: 1\nb: \ud800\n")
    assert (e.line, e.column) == (2, 4)
    assert "not valid Unicode" in e.reason


@pytest.mark.parametrize(
    "text", ["[" * 10_000, "[" * 10_000 + "]" * 10_000, "- " * 10_000 + "x\n",
             "a:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 300)) + "  " * 300 + "x\n",
             "[" * 1_000_000],
)
def test_deep_nesting_is_an_error_not_a_crash(text: str) -> None:
    # Beyond 100 levels: a clean YamlError with a position, never a RecursionError or a
    # crash of libyaml's composer. Which layer notices first (aireg's depth count or the
    # parser's own limit, which PyYAML 6.0.4 added) is not part of the contract.
    e = error(text)
    assert e.line is not None and e.line >= 1
    assert e.reason and e.reason[0].islower() and "Traceback" not in e.reason


def test_deep_nesting_through_the_cli_names_file_and_line(reg: Reg) -> None:
    # What a user sees: validate exits 1 and names the file with its line; no traceback.
    reg.write("tools/deep.yaml", "schema: aireg/v1\nid: deep\nname: " + "[" * 5000 + "\n")
    result = reg.aireg("validate")
    assert result.exit_code == 1, result.output
    assert "tools/deep.yaml:" in result.output, result.output
    assert "Traceback" not in result.output


def test_nesting_within_the_limit_loads() -> None:
    # 90 levels are fine.
    value: Any = "x"
    for _ in range(90):
        value = [value]
    assert load("[" * 90 + "x" + "]" * 90, "f") == value


def test_huge_integers_are_errors() -> None:
    # More digits than Python converts is a YamlError, not a ValueError.
    e = error("num: " + "9" * 5000 + "\n")
    assert e.reason == "is a number too long to read; quote it if it is text"


def test_yaml_error_formats_its_location_and_is_a_rule_error() -> None:
    # str(e) is file:line:column: reason, leaving out what is unknown; exit code 1.
    assert str(YamlError("tools/a.yaml", "is empty", 3, 7)) == "tools/a.yaml:3:7: is empty"
    assert str(YamlError("tools/a.yaml", "is empty", 3)) == "tools/a.yaml:3: is empty"
    assert str(YamlError("tools/a.yaml", "is empty")) == "tools/a.yaml: is empty"
    e = error("a: no\n", "tools/a.yaml")
    assert str(e).startswith('tools/a.yaml:1:4: "no" is ambiguous')
    assert isinstance(e, RuleError)
    assert e.exit_code == 1
    again = pickle.loads(pickle.dumps(e))
    assert (again.file, again.line, again.column) == (e.file, e.line, e.column)
    assert again.reason == e.reason


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.one_of(
        st.text(max_size=80),
        st.binary(max_size=80),
        st.lists(
            st.sampled_from([*"&*!-?:[]{},#'\"|>~%<\n\t ab1.", "\r", "\ufeff", "\x85", "--- ",
                             "...", "!!str ", "&a ", "*a", "<<: ", "- ", ": ", "? "]),
            max_size=40,
        ).map("".join),
    )
)
def test_nothing_but_yaml_error_escapes(text: str | bytes) -> None:
    # Whatever the input, load() returns a value or raises YamlError; locate() never raises.
    try:
        load(text, "f")
    except YamlError as e:
        assert e.reason
    if isinstance(text, str):
        position = locate(text, ["a", 0, "b"])
        assert position is None or (position[0] >= 1 and position[1] >= 1)


# --- locate -----------------------------------------------------------------------------------


def test_locate_points_at_keys_and_items() -> None:
    # Mapping keys at the key, list items at the item, 1-based, through nesting and flow style.
    assert locate(SPEC_RECORD, ["stage"]) == (9, 1)
    assert locate(SPEC_RECORD, ["purpose", "goal"]) == (14, 3)
    assert locate(SPEC_RECORD, ["users", 0]) == (19, 5)
    assert locate(SPEC_RECORD, ["users", 0, "needs", 1]) == (21, 29)
    assert locate(SPEC_RECORD, ["security", "review", "answers", "data-classes"]) == (41, 15)
    assert locate(SPEC_RECORD, ["impact", -1, "measured"]) == (53, 5)
    assert locate(SPEC_RECORD, []) == (2, 1)


def test_locate_falls_back_to_the_deepest_existing_prefix() -> None:
    # A missing field is reported where its parent is.
    assert locate(SPEC_RECORD, ["security", "review", "missing"]) == (37, 3)
    assert locate(SPEC_RECORD, ["users", 5, "group"]) == (18, 1)
    assert locate(SPEC_RECORD, ["stage", "deeper"]) == (9, 1)
    assert locate(SPEC_RECORD, ["nothing"]) == (2, 1)


def test_locate_returns_none_when_the_text_does_not_parse() -> None:
    # No position is better than a wrong one.
    assert locate("a: [1\n", ["a"]) is None
    assert locate("", ["a"]) is None
    assert locate("a: 1\n---\nb: 2\n", ["a"]) is None
    assert locate("[" * 100_000, [0]) is None


def test_locate_works_on_files_load_refuses() -> None:
    # Positions are for reporting problems, so they work on records that break the rules.
    text = "a: no\na: 2\nb: &x 1\n"
    assert locate(text, ["a"]) == (1, 1)
    assert locate(text, ["b"]) == (3, 1)


# --- dump -------------------------------------------------------------------------------------


def test_dump_writes_the_spec_layout() -> None:
    # Block style, key order kept, short lists inline, a blank line before each section.
    record = {
        "schema": "aireg/v1",
        "id": "otter",
        "stage": "purpose",
        "created": "2026-11-01",
        "purpose": {"problem": "Slow summaries.", "defined_with": ["ana@acme.example"]},
        "users": [{"group": "writers", "count": 6, "needs": ["speaker labels", "export"]}],
    }
    text = dump(record, header="# yaml-language-server: $schema=../schema/tool.schema.json")
    assert text == y("""
        # yaml-language-server: $schema=../schema/tool.schema.json
        schema: aireg/v1
        id: otter
        stage: purpose
        created: 2026-11-01

        purpose:
          problem: Slow summaries.
          defined_with: [ana@acme.example]

        users:
          - group: writers
            count: 6
            needs: [speaker labels, export]
        """)
    assert load(text, "f") == record


TRICKY = {
    "no": "no", "yes": "yes", "on": "on", "off": "off", "y": "y", "n": "n", "true": "true",
    "null": "null", "tilde": "~", "empty": "", "version": "1.10", "int": "12", "exp": "1e5",
    "date": "2026-11-01", "time": "1:20", "hex": "0x1F", "octal": "0o17", "under": "1_000",
    "inf": ".inf", "merge": "<<", "equals": "=", "colon": "a: b", "dash": "- x", "hash": "#x",
    "comment": "a #b", "lead": " lead", "trail": "trail ", "quote": "it's", "dq": 'say "hi"',
    "star": "*x", "amp": "&x", "bang": "!x", "percent": "%x", "at": "@x", "tick": "`x",
    "brackets": "[x]", "braces": "{x}", "dots": "...", "dashes": "---", "unicode": "Zoë → ✓",
    "tab": "a\tb", "cr": "a\rb", "nel": "a\x85b", "no_final_newline": "a\nb",
    "signature": "-----BEGIN-----\nabc\n-----END-----\n", "blank_lines": "a\n\n\n",
    "list": ["no", "a, b", "1.10", "[x]", ""],
    "nested": {"on": {"1": [None, True, 0.5, -3]}}, "empty_map": {}, "empty_list": [],
}


def test_dump_quotes_whatever_would_read_back_as_something_else() -> None:
    # load(dump(x)) == x for strings that look like booleans, numbers, nulls, indicators...
    text = dump(TRICKY)
    assert load(text, "f") == TRICKY
    assert 'no: "no"' not in text  # the key is quoted too: "no": "no"
    assert '"no": "no"' in text
    assert 'version: "1.10"' in text
    assert "date: 2026-11-01" in text  # dates are text to aireg: no quotes needed
    assert "signature: |\n" in text


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.dictionaries(
        st.text(max_size=8),
        st.recursive(
            st.none() | st.booleans() | st.integers()
            | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12),
            lambda inner: st.lists(inner, max_size=4)
            | st.dictionaries(st.text(max_size=6), inner, max_size=4),
            max_leaves=10,
        ),
        min_size=1,
        max_size=5,
    )
)
def test_dump_round_trips_anything_plain(data: dict[str, Any]) -> None:
    # Any plain data (text keys, finite numbers) reads back equal from dump() and from edit().
    data = {k: v for k, v in data.items() if "\x00" not in repr(k) + repr(v)}
    if not data or any("\ud800" <= c <= "\udfff" for c in repr(data)):
        return
    assert load(dump(data), "f") == data
    edited = edit("z: 1\n", [Update((k,), v) for k, v in data.items()])
    assert load(edited, "f") == {"z": 1, **data}


def test_dump_refuses_numbers_yaml_cannot_carry() -> None:
    # inf and nan would come back as text: a programming error, not silent damage.
    for bad in (math.inf, -math.inf, math.nan):
        with pytest.raises(ValueError):
            dump({"current": bad})
    with pytest.raises(ValueError):
        dump({"a": 1}, header="not a comment")


# --- edit -------------------------------------------------------------------------------------


def test_edit_without_changes_returns_the_text_unchanged() -> None:
    # No updates, or updates that set what is there, give back the very same bytes.
    assert edit(SPEC_RECORD, []) == SPEC_RECORD
    assert edit(SPEC_RECORD, [Update(("stage",), "impact")]) == SPEC_RECORD


def test_edit_adding_a_review_only_adds_its_lines_and_keeps_every_comment() -> None:
    # (a) The SPEC record waiting in `security`, without its review: recording the review
    # adds the review's lines right below the security facts, and nothing else changes.
    lines = SPEC_RECORD.splitlines(True)
    start = next(i for i, ln in enumerate(lines) if ln.startswith("  review:"))
    end = next(i for i, ln in enumerate(lines) if ln.startswith("impact:")) - 1
    waiting = "".join(lines[:start] + lines[end:]).replace("stage: impact", "stage: security")
    review = {
        "decision": "approved",
        "by": "cto@acme.example",
        "date": "2026-11-20",
        "answers": {"data-classes": "yes", "training": "no", "retention": "n/a"},
        "conditions": ["Company workspace only"],
        "digest": "sha256:9f2c",
        "signature": "-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n",
    }

    after = edit(waiting, [Update(("security", "review"), review)])
    changes = diff(waiting, after)
    assert changes and all(line.startswith("+") for line in changes), changes
    assert changes[0] == "+  review:\n"
    assert all(line.startswith("+    ") for line in changes[1:])
    facts_end = "  integrations: [google-drive]   # empty list: nothing to integrate\n"
    assert facts_end + "  review:\n" in after
    assert "      -----END SSH SIGNATURE-----\n\nimpact:" in after  # the blank line stays below
    comments = [ln for ln in waiting.splitlines() if "#" in ln]
    assert all(ln in after.splitlines() for ln in comments)
    loaded = load(after, "f")
    assert loaded["security"]["review"] == review
    assert loaded["security"]["review"]["answers"]["training"] == "no"  # quoted, not a boolean


def test_edit_appending_a_measurement_keeps_everything_else_byte_identical() -> None:
    # (b) A new item at the end of `impact`: the old text is untouched, the item is inserted
    # after the last one and before the blank line that sets off the next section.
    measurement = {
        "metric": "minutes to first draft",
        "baseline": 180,
        "current": 10,
        "unit": "minutes",
        "measured": "2027-01-10",
    }
    after = edit(SPEC_RECORD, [Update(("impact",), measurement, append=True)])
    changes = diff(SPEC_RECORD, after)
    assert changes == [
        "+  - metric: minutes to first draft\n",
        "+    baseline: 180\n",
        "+    current: 10\n",
        "+    unit: minutes\n",
        "+    measured: 2027-01-10\n",
    ]
    assert "    measured: 2026-12-20\n  - metric: minutes" in after
    assert "    measured: 2027-01-10\n\nreassessments:" in after
    assert load(after, "f")["impact"][1] == measurement


def test_edit_changing_the_stage_changes_exactly_one_line() -> None:
    # (c) Every other byte stays, the aligned comments, the flow mapping and "..." included.
    after = edit(SPEC_RECORD, [Update(("stage",), "active")])
    assert diff(SPEC_RECORD, after) == ["-stage: impact\n", "+stage: active\n"]
    assert len(after.splitlines()) == len(SPEC_RECORD.splitlines())


def test_edit_quotes_new_strings_that_would_read_back_differently() -> None:
    # A value that is text to the caller stays text in the file.
    values = {"a": "no", "b": "on", "c": "1.10", "d": "", "e": "null", "f": "~", "g": "2026-11-01",
              "h": ":0", "i": "a, b", "j": "#x", "k": "line\nbreak"}

    puts = [Update((k,), v) for k, v in values.items()]
    after = edit("z: 1\n", [*puts, Update(("lst",), ["no", ":0", "a, b", "[x]", "y"])])
    assert load(after, "f") == {"z": 1, **values, "lst": ["no", ":0", "a, b", "[x]", "y"]}
    assert "g: 2026-11-01\n" in after
    assert 'a: "no"\n' in after


def test_edit_keeps_the_files_own_indentation_and_spacing() -> None:
    # Four-space mappings, lists flush with their key, aligned values: all kept, new lines match.
    text = y("""
        name:    Otter      # aligned by hand
        stage:   pilot
        list:
        - a
        - b
        map:
            deep:
                k: v
        """)

    after = edit(text, [Update(("list",), "c", append=True), Update(("map", "added"), {"x": 1})])
    assert diff(text, after) == ["+- c\n", "+    added:\n", "+        x: 1\n"]


def test_edit_puts_a_section_inserted_in_order_between_blank_lines() -> None:
    # A section inserted in the middle keeps the blank line above it and gets one below it.
    text = y("""
        stage: purpose

        purpose:
          problem: p   # why

        # the facts
        security:
          data: [public]
        """)
    order = ("stage", "purpose", "pilot", "security")
    after = edit(text, [Update(("pilot",), {"start": "2026-11-03"})], key_order=order)
    assert "  problem: p   # why\n\npilot:\n  start: 2026-11-03\n\n# the facts\nsecurity:" in after


def test_edit_keeps_crlf_line_endings() -> None:
    # Windows line endings stay Windows line endings, on new lines too.
    text = "a: 1\r\nlist:\r\n  - x\r\n"
    after = edit(text, [Update(("list",), "z", append=True)])
    assert after == "a: 1\r\nlist:\r\n  - x\r\n  - z\r\n"


def test_edit_refuses_text_that_is_not_a_mapping_and_reports_parse_errors() -> None:
    # edit() raises YamlError like load(), never a ruamel exception.
    with pytest.raises(YamlError):
        edit("- a\n", [])
    with pytest.raises(YamlError) as info:
        edit("a: [1\n", [], file="tools/a.yaml")
    assert info.value.file == "tools/a.yaml"
    assert info.value.line is not None
