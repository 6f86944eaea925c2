"""Issue 13: real inventories imported, validated and reported without a word the data does not
say: duplicate headers, dates, the imported state in CI, risk, .xlsx, honest report and due."""

from __future__ import annotations

import json
import textwrap
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import ADMIN, Reg

from aireg import due, imported, yamlio
from aireg.config import Policy
from aireg.errors import UsageError
from aireg.importer import plan_import

DATA = Path(__file__).parent / "data"
USE_CASES_SLICE = DATA / "ombegov_use_cases_slice.csv"
LES = "les@acme.example"
SAM = "sam@acme.example"
TODAY = "2026-02-01"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8", newline="")
    return path


def map_file(tmp_path: Path, text: str, name: str = "map.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def plan(path: Path, mapping_text: str, **kw: Any) -> Any:
    mapping = yamlio.load_mapping(textwrap.dedent(mapping_text).encode(), "map.yaml")
    return plan_import(path, mapping, "map.yaml", existing_ids=set(),
                       departments={"eng", "ops"}, owner=ADMIN, today=TODAY, **kw)


def import_json(reg: Reg, *args: str) -> dict[str, Any]:
    result = reg.ok("import", *args, "--format", "json")
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def validate_json(reg: Reg, *args: str) -> tuple[int, dict[str, Any]]:
    result = reg.aireg("validate", *args, "--format", "json")
    return result.exit_code, json.loads(result.stdout)


BASE_MAP = textwrap.dedent("""
    name: Tool
    department: {column: Team, values: {Engineering: eng, Operations: ops}}
    stage: {column: Status, values: {Idea: purpose, Trial: pilot, Live: impact, Gone: retired}}
""")

# ---------------------------------------------------------------- duplicate headers


DUPLICATES = """
    Tool,Team,Status,Kind,"If Other, please explain.",Vendor,"If Other, please explain."
    Writer,Engineering,Live,Other,a kind of writer,Other,Acme Writers Ltd
    Planner,Operations,Idea,Chat,,Other,Plan Co
"""


def test_duplicate_headers_are_fine_unless_the_map_names_them(tmp_path: Path) -> None:
    # A header may repeat a name (nine "If Other, please explain." columns, no id column): a
    # map that names neither imports; one that names it plainly is told which positions it has
    # and how to say which; by occurrence or by position it gets the right column.
    path = write(tmp_path, "dup.csv", DUPLICATES)
    result = plan(path, BASE_MAP)
    assert [r.data["name"] for r in result.records] == ["Writer", "Planner"]
    src = result.records[0].data["source"]
    assert src["If Other, please explain."] == "a kind of writer"
    assert src["If Other, please explain. (2)"] == "Acme Writers Ltd"

    with pytest.raises(UsageError) as err:
        plan(path, BASE_MAP + "vendor: {column: 'If Other, please explain.'}\n")
    msg = str(err.value)
    assert "positions 5, 7" in msg and "occurrence" in msg and "position" in msg

    by_occurrence = plan(path, BASE_MAP + textwrap.dedent("""
        vendor: {column: {name: 'If Other, please explain.', occurrence: 2}}
    """))
    assert by_occurrence.records[0].data["vendor"] == "Acme Writers Ltd"
    by_position = plan(path, BASE_MAP + "vendor: {column: {position: 7}}\n")
    assert by_position.records[1].data["vendor"] == "Plan Co"
    source_list = plan(path, BASE_MAP + "source: [Tool, {position: 5}]\n")
    assert source_list.records[0].data["source"] == {"Tool": "Writer",
                                                      "column 5": "a kind of writer"}


def test_bad_column_references_are_usage_errors(tmp_path: Path) -> None:
    # A position past the last column, an occurrence the header lacks and a malformed
    # reference each name the map key and the fix.
    path = write(tmp_path, "dup.csv", DUPLICATES)
    cases = [
        ("vendor: {column: {position: 99}}", "has 7 columns"),
        ("vendor: {column: {name: 'If Other, please explain.', occurrence: 3}}", "occurrence"),
        ("vendor: {column: {position: 0}}", "vendor.column.position"),
        ("vendor: {column: {place: 2}}", "use one of: name, position, occurrence"),
    ]
    for extra, words in cases:
        with pytest.raises(UsageError, match=words):
            plan(path, BASE_MAP + extra + "\n")


# ---------------------------------------------------------------- dates


DATES = """
    Tool,Team,Status,Started,Ended,Pilot from,Pilot to
    A,Engineering,Gone,2021-03-04,2022-05-06,,
    B,Engineering,Gone,Q4FY25,Pre-2021,,
    C,Engineering,Gone,N/A,,,
    D,Engineering,Live,1905-07-13,,,
    E,Engineering,Live,2031-01-01,,,
    F,Engineering,Gone,2023-06-01,2022-01-01,,
    G,Engineering,Trial,3/15/2024,,2024-05-01,2024-04-01
    H,Engineering,Trial,"March 5, 2024",,2024-04-01,2024-05-01
"""
DATE_MAP = BASE_MAP + textwrap.dedent("""
    created: {column: Started, ignore: [N/A]}
    retired_date: Ended
    pilot: {start: Pilot from, end: Pilot to}
""")


def test_dates_are_never_made_up_and_every_bad_one_is_counted(tmp_path: Path) -> None:
    # Blank, unparseable ("Q4FY25", "Pre-2021") and implausible (1905, the future, retired
    # before created, a pilot ending before it starts) values are left out and counted per
    # field; no record states the import day as a date of its history.
    path = write(tmp_path, "dates.csv", DATES)
    result = plan(path, DATE_MAP)
    recs = {r.data["name"]: r.data for r in result.records}
    stats = {d.name: d for d in result.dates}
    assert recs["A"]["created"] == "2021-03-04" and recs["A"]["retired"]["date"] == "2022-05-06"
    assert recs["G"]["created"] == "2024-03-15" and recs["H"]["created"] == "2024-03-05"
    assert recs["H"]["pilot"] == {"start": "2024-04-01", "end": "2024-05-01"}
    for name in "BCDEF":
        assert "created" not in recs[name], name
        assert "created" in recs[name]["imported"]["lacks"]
    assert "date" not in recs["F"]["retired"] and "date" not in recs["B"]["retired"]
    assert "pilot" not in recs["G"]
    assert TODAY not in json.dumps([r.data for r in result.records]).replace(
        f'"date": "{TODAY}"', "")  # only as imported.date, the day of the import itself
    c = stats["created"]
    assert (c.kept, len(c.missing), len(c.unparseable), len(c.implausible)) == (3, 1, 1, 3)
    whys = {row: why for row, _, why in c.implausible}
    assert "before 1980" in whys[4] and whys[5] == "in the future"
    assert whys[6] == "retired before it was created"
    r = stats["retired.date"]
    assert (r.kept, len(r.missing), len(r.unparseable), len(r.implausible)) == (1, 1, 1, 1)
    assert [v for _, v in r.unparseable] == ["Pre-2021"]
    assert len(stats["pilot.end"].implausible) == len(stats["pilot.start"].implausible) == 1
    assert all(d.as_dict()["defaulted"] == 0 for d in result.dates)
    # The verbatim text is kept in source.
    assert recs["B"]["source"]["Started"] == "Q4FY25"


def test_earliest_year_is_the_policy(tmp_path: Path) -> None:
    # policy.earliest_year decides what is too early: with 1900, 1905 is kept.
    path = write(tmp_path, "dates.csv", DATES)
    result = plan(path, DATE_MAP, earliest_year=1900)
    assert {r.data["name"]: r.data.get("created") for r in result.records}["D"] == "1905-07-13"


def test_import_prints_date_counts_and_skips_by_reason(reg: Reg, tmp_path: Path) -> None:
    # The import's summary says, per date field, how many were kept, missing, unparseable
    # and implausible, and counts the skipped rows by reason.
    path = write(tmp_path, "dates.csv", DATES.replace("Engineering", "engineering")
                 + "I,engineering,,2024-01-01,,,\n")
    mapping = map_file(tmp_path, DATE_MAP.replace("Engineering: eng, Operations: ops",
                                                  "engineering: engineering"))
    out = import_json(reg, str(path), "--map", str(mapping), "--dry-run")
    assert out["skipped_by_reason"] == {"stage": 1}
    created = next(d for d in out["dates"] if d["field"] == "created")
    assert (created["missing"], created["unparseable"], created["implausible"],
            created["defaulted"]) == (1, 1, 3, 0)
    text = reg.ok("import", str(path), "--map", str(mapping), "--dry-run").output
    assert "created (from Started): 3 kept; 1 missing, 1 unparseable, 3 implausible" in text
    assert "Skipped by reason: stage 1." in text


RECORD = textwrap.dedent("""
    schema: aireg/v1
    id: {id}
    name: Notes
    department: marketing
    owner: les@acme.example
    stage: {stage}
    created: "{created}"
    purpose: {{problem: Slow notes., goal: Fast notes.}}
""")


def test_validate_names_implausible_dates(reg: Reg) -> None:
    # validate names a date before policy.earliest_year and a retirement before creation
    # (errors), and a creation in the future (a warning); raising the bar is the policy's.
    reg.write("tools/old.yaml", RECORD.format(id="old", stage="purpose", created="1905-07-13"))
    reg.write("tools/ahead.yaml", RECORD.format(id="ahead", stage="purpose",
                                                created="2999-01-01"))
    reg.write("tools/gone.yaml", RECORD.format(id="gone", stage="retired", created="2024-05-01")
              + "retired: {date: 2023-01-01, reason: replaced}\n")
    code, out = validate_json(reg)
    found = {(p["file"], p["field"], p["severity"]) for p in out["problems"]
             if p["rule"] == "implausible-date"}
    assert ("tools/old.yaml", "created", "error") in found
    assert ("tools/ahead.yaml", "created", "warning") in found
    assert ("tools/gone.yaml", "retired.date", "error") in found
    assert code == 1
    text = reg.aireg("validate").output
    assert "before 1980 (policy.earliest_year)" in text
    cfg = reg.read("aireg.yaml").replace("  allowed_signers:",
                                         "  earliest_year: 1900\n  allowed_signers:")
    reg.write("aireg.yaml", cfg)
    _, out = validate_json(reg)
    assert not any(p["file"] == "tools/old.yaml" for p in out["problems"])


def test_no_clock_starts_from_an_implausible_date() -> None:
    # A deployed tool "created" in 1905 is not 44,249 days overdue: the clock starts at the
    # import (imported.date), or today, never at an implausible date.
    today = date(2026, 2, 1)
    rec = {"id": "t", "owner": "a@b.example", "department": "d", "stage": "impact",
           "created": "1905-07-13"}
    item = due.item_for(rec, Policy(), today)
    assert item is not None and item.since == today and not item.overdue
    rec = {**rec, "imported": {"date": "2026-01-10", "file": "x.csv", "row": 1,
                               "stage": "impact", "lacks": ["created", "security.review"]}}
    item = due.item_for(rec, Policy(), today)
    assert item is not None and item.since == date(2026, 1, 10) and item.days == 68


# ---------------------------------------------------------------- the imported state in CI


def first_commit(reg: Reg) -> str:
    return reg.git("rev-list", "--max-parents=0", "HEAD").strip()


def test_an_imported_inventory_passes_ci_and_proposed_tools_keep_the_rules(reg: Reg) -> None:
    # An admin's import of the use-case slice is valid as what it is: validate and the history
    # rules pass, each record lists what it lacks, the report shows the backlog and `due`
    # chases it. A tool proposed in aireg gets no such pass.
    base = first_commit(reg)
    out = import_json(reg, str(USE_CASES_SLICE), "--map", "ombegov-use-cases")
    assert out["counts"]["records"] > 0
    code, val = validate_json(reg, "--base", base)
    assert code == 0, [p["message"] for p in val["problems"] if p["severity"] == "error"][:3]
    deployed = [c["id"] for c in out["created"] if c["stage"] == "impact"]
    rec = reg.load(f"tools/{deployed[0]}.yaml")
    assert rec["imported"]["stage"] == "impact"
    assert "security.review" in rec["imported"]["lacks"] and "pilot" in rec["imported"]["lacks"]
    report = json.loads(reg.ok("report", "--format", "json").stdout)
    assert set(deployed) <= {u["id"] for u in report["unreviewed"]}
    assert report["security_queue"] == []
    assert report["backlog"]["lacking"] >= len(deployed)
    assert report["backlog"]["by_evidence"]["security.review"] == len(deployed)
    chased = json.loads(reg.ok("due", "--within", "100", "--format", "json").stdout)
    evidence = {i["tool"]: i for i in chased if i["kind"] == "evidence"}
    assert set(deployed) <= set(evidence)
    assert "security.review" in evidence[deployed[0]]["lacks"]
    shown = reg.ok("show", deployed[0]).output
    assert "still lacks" in shown and "[!]" in shown  # left steps with gaps are not ticked

    # The same shape proposed in aireg fails: the rules do not weaken for it.
    proposed = {k: v for k, v in rec.items() if k not in ("imported", "source")}
    proposed.update(id="handmade", owner=LES, created="2026-01-05")
    reg.write("tools/handmade.yaml", yamlio.dump(proposed))
    code, val = validate_json(reg)
    rules = {p["rule"] for p in val["problems"] if p["file"] == "tools/handmade.yaml"}
    assert code == 1 and {"incomplete-stage", "unreviewed"} <= rules


def test_only_an_admins_import_writes_imported_and_it_only_shrinks(reg: Reg) -> None:
    # History rules: a proposed record may not carry `imported`; an existing record may not
    # gain it; `imported.lacks` may lose entries (evidence filled in) but never gain any.
    reg.ok("import", str(USE_CASES_SLICE), "--map", "ombegov-use-cases")
    tools = sorted(p.stem for p in (reg.root / "tools").glob("*.yaml"))
    pilot = next(t for t in tools if reg.load(f"tools/{t}.yaml")["stage"] == "pilot")
    owner = reg.load(f"tools/{pilot}.yaml")["owner"]
    after_import = reg.git("rev-parse", "HEAD").strip()

    rec = reg.load(f"tools/{pilot}.yaml")
    rec["imported"]["lacks"] = [x for x in rec["imported"]["lacks"] if x != "created"]
    rec["created"] = "2025-01-01"
    reg.write(f"tools/{pilot}.yaml", yamlio.dump(rec))
    reg.commit_all("fill in the date", as_=owner)
    code, val = validate_json(reg, "--base", after_import)
    assert code == 0, [p["message"] for p in val["problems"]][:3]

    grown = reg.git("rev-parse", "HEAD").strip()
    gaps = ["users", "purpose.problem", "purpose.goal", "purpose.success_criteria"]
    rec["imported"]["lacks"].append(next(g for g in gaps if g not in rec["imported"]["lacks"]))
    reg.write(f"tools/{pilot}.yaml", yamlio.dump(rec))
    reg.commit_all("excuse more", as_=owner)
    code, val = validate_json(reg, "--base", grown)
    assert code == 1 and any(p["rule"] == "forged-import" for p in val["problems"])
    reg.git("reset", "-q", "--hard", grown)

    forged = {"schema": "aireg/v1", "id": "sneaky", "name": "Sneaky", "department": "marketing",
              "owner": LES, "stage": "impact",
              "imported": {"date": "2026-01-01", "file": "x.csv", "row": 1, "stage": "impact",
                           "lacks": ["purpose", "users", "pilot", "security.review", "created"]}}
    reg.write("tools/sneaky.yaml", yamlio.dump(forged))
    reg.commit_all("aireg: import 1 tools: from x.csv\n\nAireg-Action: import", as_=LES)
    code, val = validate_json(reg, "--base", grown)
    rules = {p["rule"] for p in val["problems"]}
    assert code == 1 and "forged-import" in rules


def test_imported_lacks_names_only_steps_done_before_the_import(reg: Reg) -> None:
    # `imported.lacks` cannot excuse evidence of a step the record reached in aireg: an entry
    # outside the steps left before imported.stage is an error.
    rec = {"schema": "aireg/v1", "id": "early", "name": "Early", "department": "marketing",
           "owner": LES, "stage": "purpose",
           "imported": {"date": "2026-01-01", "file": "x.csv", "row": 1, "stage": "purpose",
                        "lacks": ["created", "security.review"]}}
    reg.write("tools/early.yaml", yamlio.dump(rec))
    code, val = validate_json(reg)
    assert code == 1
    assert any(p["rule"] == "bad-imported" and p["field"] == "imported.lacks[1]"
               for p in val["problems"])


# ---------------------------------------------------------------- risk


RISK_CSV = """
    Tool,Team,Status,Rights-Impacting?,Safety-Impacting?,Tier
    Screener,Engineering,Trial,Yes,No,High
    Mapper,Operations,Live,No,Yes,
    Speller,Engineering,Live,No,No,Minimal
    Scorer,Engineering,Idea,No,No,Unacceptable
"""
RISK_MAP = BASE_MAP + textwrap.dedent("""
    risk:
      tier: {column: Tier, values: {High: high, Minimal: minimal, Unacceptable: prohibited}}
      flags:
        - {column: Rights-Impacting?, values: {"Yes": rights-impacting}}
        - {column: Safety-Impacting?, values: {"Yes": safety-impacting}}
      role: {value: deployer}
""")


def test_import_maps_risk_and_show_list_report_show_it(reg: Reg, tmp_path: Path) -> None:
    # The federal inventories' rights-/safety-impacting columns and a tier column map to
    # risk; list, show and the report show it; an unmapped value states nothing.
    path = write(tmp_path, "risk.csv", RISK_CSV.replace("Engineering", "engineering")
                 .replace("Operations", "sales"))
    mapping = map_file(tmp_path, RISK_MAP.replace(
        "Engineering: eng, Operations: ops", "engineering: engineering, sales: sales"))
    out = import_json(reg, str(path), "--map", str(mapping))
    ids = {c["row"]: c["id"] for c in out["created"]}
    screener = reg.load(f"tools/{ids[1]}.yaml")
    assert screener["risk"] == {"tier": "high", "role": "deployer", "flags": ["rights-impacting"]}
    assert reg.load(f"tools/{ids[2]}.yaml")["risk"] == {"role": "deployer",
                                                       "flags": ["safety-impacting"]}
    listed = {r["id"]: r for r in json.loads(reg.ok("list", "--format", "json").stdout)}
    assert listed[ids[1]]["risk"] == "high; rights-impacting; as deployer"
    assert "risk" in reg.ok("list").output.splitlines()[0]
    assert "high; rights-impacting; as deployer" in reg.ok("show", ids[1]).output
    report = json.loads(reg.ok("report", "--format", "json").stdout)
    assert report["risk"]["flags"] == {"rights-impacting": 1, "safety-impacting": 1}
    assert report["risk"]["tiers"]["high"] == 1 and report["risk"]["tiers"]["prohibited"] == 1
    assert {t["id"] for t in report["risk"]["tools"]} == {ids[1], ids[2], ids[4]}
    mapper = next(u for u in report["unreviewed"] if u["id"] == ids[2])
    assert mapper["high_risk"] and report["unreviewed"][0]["id"] == ids[2]
    html = reg.ok("report", "--format", "html").stdout
    assert "Deployed, never reviewed" in html and "safety-impacting" in html


def test_a_prohibited_use_cannot_leave_purpose(reg: Reg) -> None:
    # Risk tier `prohibited` (risk.prohibited): validate refuses the record past purpose,
    # accepts it in purpose and in an exit.
    base = RECORD.format(id="scorer", stage="{stage}", created="2026-01-05")
    for stage, ok in (("purpose", True), ("users", False), ("rejected", True)):
        text = base.replace("{stage}", stage) + "risk: {tier: prohibited}\n"
        if stage == "rejected":
            text += "rejected: {date: 2026-01-06, reason: prohibited use}\n"
        if stage == "users":
            text = text.replace("goal: Fast notes.", "goal: Fast notes., success_criteria: [x],"
                                " defined_with: [ana@acme.example]")
        reg.write("tools/scorer.yaml", text)
        _, val = validate_json(reg)
        rules = {p["rule"] for p in val["problems"] if p["severity"] == "error"}
        assert ("prohibited-use" not in rules) == ok, (stage, rules)
    reg.write("tools/scorer.yaml", base.replace("{stage}", "purpose") + "risk: {tier: banned}\n")
    _, val = validate_json(reg)
    assert any(p["rule"] == "unknown-risk" for p in val["problems"])


def _walk_to_security(reg: Reg, tool: str, risk: str) -> None:
    reg.ok("propose", "--id", tool, "--name", "Screener", "--vendor", "Acme AI", "--url",
           "https://acme-ai.example", "--department", "sales", "--problem", "Screening is slow.",
           "--goal", "Faster screening.", "--criterion", "a day", "--with", LES, "--no-input",
           as_=SAM)
    rec = reg.load(f"tools/{tool}.yaml")
    rec["risk"] = {"tier": risk}
    reg.write(f"tools/{tool}.yaml", yamlio.dump(rec))
    reg.commit_all("classify", as_=SAM)
    reg.ok("advance", tool, "--no-input", as_=SAM)
    reg.ok("advance", tool, "--group", "recruiters", "--count", "3", "--need", "speed",
           "--no-input", as_=SAM)
    reg.ok("advance", tool, "--start", "2026-01-06", "--end", "2026-01-20", "--participant",
           LES, "--data", "public", "--result", "passed", "--findings", "Works.",
           "--security-data", "internal", "--no-trains-on-our-data", "--retention", "30 days",
           "--sso", "--no-integrations", "--no-input", as_=SAM)


def test_a_high_risk_review_must_answer_the_high_risk_questions(reg: Reg) -> None:
    # A high-risk use's review asks risk.high_risk_checklist too (human oversight, impact
    # assessment, logging, AI literacy); a review without them is refused, and a record
    # whose approved review lacks them fails validate.
    _walk_to_security(reg, "screener", "high")
    base = ["--answer", "data-classes=yes", "--answer", "training=yes"]
    refused = reg.aireg("review", "--security", "screener", "--approve", *base, "--no-input",
                        as_="cto@acme.example")
    assert refused.exit_code == 2 and "human-oversight" in refused.output
    extra = [a for q in ("human-oversight", "impact-assessment", "logging", "ai-literacy")
             for a in ("--answer", f"{q}=yes")]
    reg.ok("review", "--security", "screener", "--approve", *base, *extra, "--no-input",
           as_="cto@acme.example")
    code, _ = validate_json(reg)
    assert code == 0
    rec = reg.load("tools/screener.yaml")
    del rec["security"]["review"]["answers"]["logging"]
    reg.write("tools/screener.yaml", yamlio.dump(rec))
    code, val = validate_json(reg)
    assert code == 1 and any(p["rule"] == "high-risk-unanswered" for p in val["problems"])


# ---------------------------------------------------------------- spreadsheets


def test_xlsx_is_imported_directly(reg: Reg, tmp_path: Path) -> None:
    # An .xlsx workbook imports like its CSV export: date cells become ISO dates, whole
    # numbers stay whole, the first sheet by default or the one --sheet names.
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Cover"
    ws.append(["nothing here"])
    inv = book.create_sheet("Inventory")
    inv.append(["Tool", "Team", "Status", "Started", "Licenses"])
    inv.append(["Writer", "engineering", "Live", datetime(2024, 3, 15), 250])
    inv.append(["Planner", "sales", "Idea", None, None])
    path = tmp_path / "inventory.xlsx"
    book.save(path)
    mapping = map_file(tmp_path, BASE_MAP.replace(
        "Engineering: eng, Operations: ops", "engineering: engineering, sales: sales")
        + "created: Started\n")
    missing = reg.aireg("import", str(path), "--map", str(mapping), "--dry-run")
    assert missing.exit_code == 2 and "inventory.xlsx" in missing.stderr  # the first: Cover
    out = import_json(reg, str(path), "--map", str(mapping), "--sheet", "Inventory")
    assert out["counts"]["records"] == 2
    writer = reg.load(f"tools/{out['created'][0]['id']}.yaml")
    assert writer["created"] == "2024-03-15" and writer["source"]["Licenses"] == "250"
    assert writer["imported"]["file"] == "inventory.xlsx"
    bad = reg.aireg("import", str(path), "--map", str(mapping), "--sheet", "Nope")
    assert bad.exit_code == 2 and "'Inventory'" in bad.stderr
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    result = reg.aireg("import", str(broken), "--map", str(mapping))
    assert result.exit_code == 2 and "broken.xlsx" in result.stderr
    assert "Traceback" not in result.output


def test_encoding_error_names_the_likely_encoding(tmp_path: Path) -> None:
    # A cp1252 file read as UTF-8 fails with the byte, what it is in cp1252 and the flag.
    path = tmp_path / "legacy.csv"
    path.write_bytes("Tool,Team,Status\nCaf\u00e9 \u2019Pro\u2019,Engineering,Idea\n"
                     .encode("cp1252"))
    with pytest.raises(UsageError) as err:
        plan(path, BASE_MAP)
    assert "cp1252" in str(err.value) and "--encoding cp1252" in str(err.value)


# ---------------------------------------------------------------- the writer


def test_dump_many_reads_back_as_written() -> None:
    # The import's fast writer: what the strict loader reads back is what was written, for
    # the texts inventories hold (quotes, colons, hashes, YAML words, line breaks, Unicode
    # separators, long lines), and it lays records out as dump() does.
    texts = ["plain", "yes", "on", "No", "null", "~", "1.0", "0x1F", "1_000", "2024-01-01",
             "12:30", "a: b", "a #b", "#x", "- x", "? x", "x:", "'q'", '"q"', "%p", "@x",
             "`x`", "!x", "&x", "*x", "|x", ">x", "[x]", "{x}", "a, b", " lead", "trail ",
             "line\nbreak", "line\nbreak\n", "a\n\nb", " \nx", "tab\tx", "\u2028sep",
             "x\x85y", "\ufeffbom", "caf\u00e9 \u2013 \u2019", "x" * 5000, "", "<<", "="]
    record = {"schema": "aireg/v1", "id": "t", "name": "T", "source": {
        **{f"k{i}": t for i, t in enumerate(texts)},
        **{(t or "empty")[:200]: "key" for t in texts}},
        "imported": {"date": "2026-01-01", "file": "a.csv", "row": 1, "rows": [1, 2],
                     "stage": "purpose", "lacks": texts[:20]},
        "users": [{"group": "a", "count": 2, "needs": ["x", "y, z"]}], "n": 1.5, "b": True}
    text = yamlio.dump_many(record, "# modeline\n")
    assert yamlio.load(text, "t.yaml") == record
    simple = {"schema": "aireg/v1", "id": "t", "name": "Otter.ai", "stage": "purpose",
              "imported": {"date": "2026-01-01", "file": "a.csv", "row": 1, "stage": "purpose",
                           "lacks": ["created"]},
              "source": {"agency": "DOE", "problem": "It's slow: very.\nTwo lines."}}
    assert yamlio.dump_many(simple) == yamlio.dump(simple)


def test_backlog_helpers_follow_the_record() -> None:
    # still_lacking drops entries whose evidence is now there; backlog leaves out the
    # creation date nobody can supply.
    rec: dict[str, Any] = {"stage": "pilot", "owner": LES, "imported": {
        "date": "2026-01-01", "file": "a.csv", "row": 1, "stage": "pilot",
        "lacks": ["purpose.success_criteria", "purpose.defined_with", "users", "created"]}}
    assert imported.still_lacking(rec) == rec["imported"]["lacks"]
    rec["users"] = [{"group": "a", "count": 1, "needs": ["x"]}]
    rec["purpose"] = {"success_criteria": ["x"]}
    assert imported.still_lacking(rec) == ["purpose.defined_with", "created"]
    assert imported.backlog(rec) == ["purpose.defined_with"]


def test_the_report_computes_nothing_from_an_implausible_date(reg: Reg) -> None:
    # A record "created" in 1905 (a spreadsheet error) committed by hand: the report shows
    # no 44,249-day stay in a stage and no work overdue by decades; validate names the date.
    reg.write("tools/relic.yaml", RECORD.format(id="relic", stage="impact",
                                                created="1905-07-13"))
    reg.commit_all("a hand-made record", as_=LES)
    data = json.loads(reg.ok("report", "--format", "json").stdout)
    times = next(t for t in data["tool_times"] if t["id"] == "relic")
    assert max(times["days_in_stage"].values()) < 30
    assert all(-i["days"] < 1000 for i in data["due"])
    assert "OVERDUE by" not in reg.ok("report").stdout
    assert any(u["id"] == "relic" for u in data["unreviewed"])
    _, val = validate_json(reg)
    assert any(p["rule"] == "implausible-date" and p["file"] == "tools/relic.yaml"
               for p in val["problems"])
