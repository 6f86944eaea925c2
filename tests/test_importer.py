"""Tests of the CSV import core (aireg.importer) and the name helpers (aireg.names)."""

from __future__ import annotations

import re
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from aireg.errors import AiregError, UsageError
from aireg.importer import ImportPlan, builtin_maps, plan_import, read_csv
from aireg.names import normalize_product, product_vendor, similarity, slugify
from aireg.schema import is_valid

DATA = Path(__file__).parent / "data"
REAL = Path("/work/shared/data")
COTS_SLICE = DATA / "ombegov_cots_slice.csv"
USE_CASES_SLICE = DATA / "ombegov_use_cases_slice.csv"
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
TODAY = "2026-02-01"
ME = "importer@example.org"


def load_map(name: str) -> dict[str, Any]:
    data = yaml.safe_load(builtin_maps()[name].read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def plan(
    path: Path,
    mapping: dict[str, Any],
    *,
    existing: set[str] | None = None,
    departments: set[str] | None = None,
    encoding: str | None = None,
) -> ImportPlan:
    return plan_import(
        path,
        mapping,
        "map.yaml",
        existing_ids=existing or set(),
        departments=departments if departments is not None else {"eng", "ops"},
        owner=ME,
        today=TODAY,
        encoding=encoding,
    )


def write_csv(tmp_path: Path, text: str, name: str = "inv.csv") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8", newline="")
    return path


def small_map(extra: str = "") -> dict[str, Any]:
    text = """
        id: {column: id, prefix: department}
        name: tool
        department: {column: team, values: {Engineering: eng, Operations: ops}}
        stage: {column: status, values: {Idea: purpose, Trial: pilot, Live: impact, Gone: retired}}
        owner: contact
        purpose: {problem: why}
    """
    data = yaml.safe_load(textwrap.dedent(text) + textwrap.dedent(extra))
    assert isinstance(data, dict)
    return data


def balanced(p: ImportPlan) -> bool:
    c = p.counts()
    left = c["records"] + c["merged"] + c["skipped"] + c["filtered"]
    return left == c["rows_read"] + c["extra_entries"]


# ---------------------------------------------------------------- names


def test_copilot_spellings_share_one_key_per_product() -> None:
    # Pins: the spellings of Microsoft 365 Copilot meet in one key, those of Microsoft Copilot
    # (the chat assistant, another product with other terms) in another: "365" decides.
    m365 = [
        "M365 Copilot",
        "Microsoft 365 Copilot",
        "Copilot for Microsoft 365",
        "Microsoft M365 Copilot AI",
        "Microsoft 365 Copilot GCC",
        "Copilot for MS 365",
        "Microsoft365 Copilot",
        "Office 365 Copilot®",
    ]
    plain = ["Microsoft Copilot", "Microsoft CoPilot", "MS Copilot", "CoPilot "]
    assert {normalize_product(s) for s in m365} == {"microsoft 365 copilot"}
    assert {normalize_product(s) for s in plain} == {"microsoft copilot"}


def test_github_copilot_does_not_merge_with_microsoft_copilot() -> None:
    # Pins: GitHub Copilot (and other distinct Copilots) keep their own keys.
    github = {
        normalize_product(s)
        for s in ["GitHub Copilot", "Github CoPilot", "GitHub Copilot for Visual Studio"]
    }
    assert github == {"github copilot"}
    others = {
        normalize_product(s)
        for s in [
            "Microsoft Security Copilot",
            "Copilot Chat",
            "Microsoft Copilot Studio",
            "Magnet Copilot",
        ]
    }
    assert not {"microsoft copilot", "microsoft 365 copilot"} & (others | github)
    assert len(others) == 4


def test_normalize_ignores_case_punctuation_suffixes_and_versions() -> None:
    # Pins: case, punctuation, ®/™, corporate suffixes, "the" and version numbers are noise;
    # the alias table merges ChatGPT and Gemini spellings, and vendors come only from names.
    assert normalize_product("The Acme™ Widget, Inc.") == normalize_product("acme widget 2.0")
    assert normalize_product("Otter.ai, LLC") == normalize_product("Otter AI")
    assert normalize_product("ChatGPT Enterprise") == normalize_product("OpenAI ChatGPT")
    assert normalize_product("Gemini for Google Workspace") == normalize_product("Google Gemini")
    assert normalize_product("Microsoft 365 apps") != normalize_product("Microsoft Copilot")
    assert normalize_product("N/A ®") == "n a"
    assert product_vendor("M365 Copilot") == "Microsoft"
    assert product_vendor("Some Homegrown Thing") is None


def test_slugify_pattern_length_and_fallback() -> None:
    # Pins: slugs match the id pattern, fold accents, cut at a hyphen within 64 characters,
    # and fall back to "tool" when nothing is left.
    assert slugify("Café Résumé — Writer®") == "cafe-resume-writer"
    long = slugify("word " * 30)
    assert len(long) <= 64 and SLUG.match(long) and not long.endswith("-")
    assert long.split("-") == ["word"] * len(long.split("-"))
    assert slugify("x" * 80) == "x" * 64
    assert slugify("!!! ???") == "tool"
    assert slugify("Agency Tool", max_len=8) == "agency"


def test_similarity_is_a_deterministic_jaccard_of_stems() -> None:
    # Pins: similarity ignores stop words and inflection, is symmetric, and is 0 for empty text.
    a = "Summarizing the key points of lengthy reports using AI."
    b = "Summarize key points of a lengthy report"
    assert similarity(a, b) == similarity(b, a) == 1.0
    assert 0.0 < similarity(a, "Summarize meeting transcripts") < 0.5
    assert similarity(a, "") == 0.0
    assert similarity("Generating code", "Writing poems") == 0.0


# ---------------------------------------------------------------- reading the CSV


def test_bom_is_dropped_from_the_first_header(tmp_path: Path) -> None:
    # Pins: a UTF-8 byte-order mark never ends up in the first column's name.
    header, _ = read_csv(COTS_SLICE)
    assert COTS_SLICE.read_bytes().startswith(b"\xef\xbb\xbf")
    assert header[0] == "Agency"
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfid,tool\n1,Otter\n")
    assert read_csv(path, encoding="utf-8")[0] == ["id", "tool"]


def test_values_are_stripped_and_embedded_newlines_kept() -> None:
    # Pins: the csv module reads quoted newlines as part of a value; whitespace is stripped.
    _, rows = read_csv(COTS_SLICE)
    products = [r["Name of Commercial Product or Service Used"] for r in rows]
    assert "CoPilot" in products  # "CoPilot " in the file
    assert any("\n" in p for p in products)
    assert len(rows) == 53


def test_cp1252_file_needs_encoding_and_the_error_says_so(tmp_path: Path) -> None:
    # Pins: a cp1252 file fails with a clear error naming the file, byte and row and the
    # --encoding fix; with --encoding cp1252 it imports.
    path = tmp_path / "legacy.csv"
    text = "id,tool,team,status,contact,why\n1,Caf\u00e9 Writer \u2013 Pro,Engineering,Idea,,x\n"
    path.write_bytes(text.encode("cp1252"))
    with pytest.raises(UsageError) as err:
        plan(path, small_map())
    message = str(err.value)
    assert str(path) in message and "--encoding cp1252" in message
    assert "byte 37" in message and "data row 1" in message
    assert err.value.exit_code == 2
    result = plan(path, small_map(), encoding="cp1252")
    assert result.records[0].data["name"] == "Caf\u00e9 Writer \u2013 Pro"


def test_unknown_encoding_is_a_usage_error(tmp_path: Path) -> None:
    # Pins: a misspelt --encoding is reported, not a LookupError traceback.
    path = write_csv(tmp_path, "id,tool\n1,x\n")
    with pytest.raises(UsageError, match="--encoding 'latin-99' is not an encoding"):
        read_csv(path, encoding="latin-99")


def test_empty_and_header_only_files_have_no_rows(tmp_path: Path) -> None:
    # Pins: an empty file and a header without data are usage errors saying "has no rows".
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(UsageError, match=r"empty\.csv has no rows: it is empty"):
        plan(empty, small_map())
    header_only = write_csv(tmp_path, "id,tool,team,status,contact,why\n\n\n", "head.csv")
    with pytest.raises(UsageError, match=r"head\.csv has no rows: it has a header"):
        plan(header_only, small_map())


def test_blank_rows_are_skipped_with_a_reason_and_keep_numbering(tmp_path: Path) -> None:
    # Pins: fully blank rows (empty lines or only commas) are reported as skipped, and row
    # numbers still count them, so they match the spreadsheet.
    text = (
        "id,tool,team,status,contact,why\n"
        "A-1,Otter,Engineering,Live,les@acme.example,notes\n"
        ",,,,,\n"
        "A-2,Fireflies,Operations,Trial,,calls\n"
        "\n"
        "A-3,Grammarly,Engineering,Idea,,   \n"
    )
    path = write_csv(tmp_path, text)
    result = plan(path, small_map())
    assert [s.row for s in result.skipped] == [2, 4]
    assert all(s.reason == "the row is blank." for s in result.skipped)
    assert [r.source_row for r in result.records] == [1, 3, 5]
    assert result.rows_read == 5 and balanced(result)


# ---------------------------------------------------------------- the map


def test_missing_mapped_column_names_key_column_and_did_you_mean(tmp_path: Path) -> None:
    # Pins: a map naming a column the CSV lacks fails before planning, naming the map file,
    # the key, the column, a did-you-mean and the columns the file has.
    mapping = load_map("ombegov-use-cases")
    mapping["stage"]["column"] = "developmentstage"
    with pytest.raises(UsageError) as err:
        plan_import(
            USE_CASES_SLICE,
            mapping,
            "uc.yaml",
            existing_ids=set(),
            departments=set(),
            owner=ME,
            today=TODAY,
        )
    message = str(err.value)
    assert message.startswith("uc.yaml: stage.column names column 'developmentstage'")
    assert "(did you mean 'development_stage')" in message
    assert "'use_case_name'" in message  # the available columns are listed


def test_several_missing_columns_are_reported_together() -> None:
    # Pins: every missing column is named in one error, each with its key.
    mapping = load_map("ombegov-cots")
    mapping["department"]["column"] = "agency"
    mapping["filter"]["column"] = "Agency Use"
    with pytest.raises(UsageError) as err:
        plan(COTS_SLICE, mapping)
    message = str(err.value)
    assert "department.column names 'agency' (did you mean 'Agency')" in message
    assert "filter.column names 'Agency Use'" in message


def test_unknown_map_key_and_bare_yes_are_refused() -> None:
    # Pins: map typos get a did-you-mean; a value-map key YAML read as a boolean must be quoted.
    mapping = small_map("merge_bye: [name]\n")
    with pytest.raises(
        UsageError, match="'merge_bye' is not a key of the map \\(did you mean 'merge_by'\\)"
    ):
        plan(COTS_SLICE, mapping)
    mapping = small_map("security: {data: {column: why, values: {Yes: [internal]}}}\n")
    with pytest.raises(UsageError, match="quote it"):
        plan(COTS_SLICE, mapping)
    mapping = small_map("unmapped_stage: pilot\n")
    with pytest.raises(UsageError, match=r"unmapped_stage .*only `purpose`"):
        plan(COTS_SLICE, mapping)


def test_shipped_maps_are_valid() -> None:
    # Pins: the maps shipped in aireg/importmaps load and plan their test slices.
    assert set(builtin_maps()) >= {"ombegov-cots", "ombegov-use-cases"}
    assert plan(COTS_SLICE, load_map("ombegov-cots")).records
    assert plan(USE_CASES_SLICE, load_map("ombegov-use-cases")).records


# ---------------------------------------------------------------- planning


def test_duplicate_and_blank_ids_get_stable_unique_slugs() -> None:
    # Pins: source ids are kept (prefixed); duplicated ids and placeholder ids get hashed
    # slugs; an exact repeat of a row is skipped; ids are unique and slug-shaped.
    result = plan(USE_CASES_SLICE, load_map("ombegov-use-cases"), departments=set())
    ids = [r.id for r in result.records]
    assert len(ids) == len(set(ids)) and all(SLUG.match(i) and len(i) <= 64 for i in ids)
    assert "cftc-003" in ids and "epa-35" in ids and "nsf-35" in ids and "treas-35" in ids
    doj_0160 = [i for i in ids if i.startswith("doj-0160")]
    assert len(doj_0160) == 2 and all(re.fullmatch(r"doj-0160-[0-9a-f]{6}", i) for i in doj_0160)
    assert "doj-0357" in ids  # its twin is an exact repeat, skipped
    assert any("repeats row" in s.reason for s in result.skipped)
    stb = [r for r in result.records if r.data["department"] == "stb"]
    assert [r.id for r in stb] and all(not r.id.startswith("stb-tbd") for r in stb)
    assert all(re.fullmatch(r"stb-[a-z0-9-]+-[0-9a-f]{6}", r.id) for r in stb)


def test_ids_do_not_depend_on_row_order(tmp_path: Path) -> None:
    # Pins: re-running the same file gives the same ids, and so does a reordered file: the
    # hash is of the row's content, never of its position.
    text = (
        "id,tool,team,status,contact,why\n"
        ",Otter,Engineering,Live,,notes\n"
        ",Otter,Operations,Live,,calls\n"
        "B-1,Zoom,Engineering,Live,,meetings\n"
        "B-1,Zoom,Operations,Live,,meetings\n"
        "C-7,Slack,Engineering,Live,,chat\n"
        "C-7,Teams,Engineering,Live,,chat\n"
    )
    lines = text.splitlines(keepends=True)
    first = write_csv(tmp_path, text, "a.csv")
    second = write_csv(tmp_path, lines[0] + "".join(reversed(lines[1:])), "b.csv")
    ids_a = {r.data["department"] + r.data["name"]: r.id for r in plan(first, small_map()).records}
    ids_again = {
        r.data["department"] + r.data["name"]: r.id for r in plan(first, small_map()).records
    }
    ids_b = {r.data["department"] + r.data["name"]: r.id for r in plan(second, small_map()).records}
    assert ids_a == ids_again == ids_b
    assert len(set(ids_a.values())) == 6
    # B-1 is unique once prefixed with its department; C-7 is not, so both get a hash.
    assert ids_a["engZoom"] == "eng-b-1" and ids_a["opsZoom"] == "ops-b-1"
    assert re.fullmatch(r"eng-c-7-[0-9a-f]{6}", ids_a["engSlack"])
    assert re.fullmatch(r"eng-c-7-[0-9a-f]{6}", ids_a["engTeams"])
    assert re.fullmatch(r"eng-otter-[0-9a-f]{6}", ids_a["engOtter"])


def test_existing_ids_are_skipped_so_reimport_is_idempotent() -> None:
    # Pins: rows whose id is already in the registry are skipped, never duplicated.
    mapping = load_map("ombegov-use-cases")
    first = plan(USE_CASES_SLICE, mapping, departments=set())
    again = plan(
        USE_CASES_SLICE, mapping, departments=set(), existing={r.id for r in first.records}
    )
    assert again.records == ()
    assert len(again.skipped) == len(first.skipped) + len(first.records)
    assert any("tools/cftc-003.yaml already exists" in s.reason for s in again.skipped)


def test_unmapped_or_blank_stage_is_reported_not_guessed(tmp_path: Path) -> None:
    # Pins: a stage the value map does not know, or a blank one, is skipped with the key to
    # add; only `unmapped_stage: purpose` imports such rows, and then only in purpose.
    path = write_csv(
        tmp_path,
        """
        id,tool,team,status,contact,why
        1,Otter,Engineering,Operational,,notes
        2,Zoom,Engineering,,,calls
        3,Jasper,Engineering,Trial,,copy
    """,
    )
    result = plan(path, small_map())
    assert [r.id for r in result.records] == ["eng-3"]
    reasons = {s.row: s.reason for s in result.skipped}
    assert "stage 'Operational' in column 'status' is not in stage.values of map.yaml" in reasons[1]
    assert "unmapped_stage: purpose" in reasons[1]
    assert "stage column 'status' is blank and a stage is never guessed" in reasons[2]
    lenient = plan(path, small_map("unmapped_stage: purpose\n"))
    assert [r.data["stage"] for r in lenient.records] == ["purpose", "purpose", "pilot"]


def test_no_evidence_is_fabricated() -> None:
    # Pins: deployed, piloted and retired imports carry no review, pilot result, impact
    # measurement or reassessment; security holds only data classes the map states.
    result = plan(USE_CASES_SLICE, load_map("ombegov-use-cases"), departments=set())
    stages = {r.data["stage"] for r in result.records}
    assert {"purpose", "pilot", "impact", "retired"} <= stages
    for record in result.records:
        data = record.data
        assert not {"pilot", "impact", "reassessments", "users"} & set(data)
        assert set(data.get("security", {})) <= {"data"}
        assert list(data)[:4] == ["schema", "id", "name", "department"] or data.get("vendor")
    pii = [r for r in result.records if "security" in r.data]
    assert pii and all(r.data["security"] == {"data": ["customer-personal"]} for r in pii)
    assert all(r.data["source"]["has_pii"] == "Yes" for r in pii)
    assert all(is_valid(r.data, "tool") for r in result.records)


def test_record_shape_key_order_owner_and_retired(tmp_path: Path) -> None:
    # Pins: the record's keys follow SPEC order; the owner is the first e-mail in the cell
    # (else the importer); retired rows say where they were retired; source is verbatim.
    path = write_csv(
        tmp_path,
        """
        id,tool,team,status,contact,why
        X-9,Otter.ai,Engineering,Gone,"Les <LES@Acme.example>, ana@acme.example",Summaries
        X-10,Zoom,Engineering,Live,https://example.org/contact,
    """,
    )
    gone, live = plan(path, small_map()).records
    assert list(gone.data) == [
        "schema",
        "id",
        "name",
        "department",
        "owner",
        "stage",
        "imported",
        "source",
        "purpose",
        "retired",
    ]
    assert gone.data["owner"] == "les@acme.example"
    # No date in the source: none is made up (not the import day); the gaps are listed.
    assert gone.data["retired"] == {"reason": "retired in the source inventory (inv.csv, row 1)"}
    assert gone.data["imported"] == {
        "date": TODAY, "file": "inv.csv", "row": 1, "stage": "retired",
        "lacks": ["created", "retired.date"],
    }
    assert gone.data["source"] == {
        "id": "X-9",
        "tool": "Otter.ai",
        "team": "Engineering",
        "status": "Gone",
        "contact": "Les <LES@Acme.example>, ana@acme.example",
        "why": "Summaries",
    }
    assert "why" not in live.data["source"]  # blank values are left out
    assert live.data["owner"] == ME and "purpose" not in live.data
    assert "created" not in live.data


def test_departments_unmapped_are_skipped_or_created(tmp_path: Path) -> None:
    # Pins: an agency missing from the value map is skipped with the key to add, unless the
    # map says `departments: create`, which slugifies it and lists it as a new department.
    path = write_csv(
        tmp_path,
        """
        id,tool,team,status,contact,why
        1,Otter,Legal Affairs,Live,,notes
        2,Zoom,Engineering,Live,,calls
    """,
    )
    strict = plan(path, small_map())
    assert [r.id for r in strict.records] == ["eng-2"]
    assert "department value 'Legal Affairs' in column 'team' is not in department.values" in (
        strict.skipped[0].reason
    )
    created = plan(path, small_map("departments: create\n"))
    assert [r.data["department"] for r in created.records] == ["legal-affairs", "eng"]
    assert created.new_departments == ("legal-affairs",)
    missing = plan(path, small_map(), departments={"ops"})
    assert missing.records == ()
    assert "department 'eng' (from 'Engineering') is not in aireg.yaml" in missing.skipped[1].reason


def test_cots_merges_one_record_per_agency_and_product() -> None:
    # Pins: the COTS map keeps Y rows only, splits product lists, merges one agency's product
    # across tasks into one record listing the tasks, keeps GitHub Copilot apart, and the
    # counts add up.
    result = plan(COTS_SLICE, load_map("ombegov-cots"), departments=set())
    by_id = {r.id: r for r in result.records}
    assert balanced(result) and result.rows_read == 53
    ftc = by_id["ftc-microsoft-copilot"]  # "CoPilot " in the file
    assert ftc.data["vendor"] == "Microsoft" and ftc.data["stage"] == "impact"
    tasks = ftc.data["purpose"]["problem"].splitlines()
    assert len(ftc.data["imported"]["rows"]) == len(tasks) > 1
    assert ftc.data["source"]["task"].splitlines() == tasks
    assert ftc.data["source"]["products"] == "CoPilot"  # verbatim, whitespace stripped
    assert all(is_valid(r.data, "tool") for r in result.records)
    assert "sec-github-copilot" in by_id and "sec-microsoft-365-copilot" in by_id
    # OPM writes "MS Copilot" (Microsoft Copilot, not the 365 licence) and "OpenAI ChatGPT".
    assert "opm-microsoft-copilot" in by_id and "opm-chatgpt" in by_id
    assert "stb-microsoft-365-copilot" in by_id  # Copilot for MS 365
    merged_into = {m.into for m in result.merged}
    assert "stb-microsoft-365-copilot" in merged_into
    assert all(m.reason.startswith("same department") for m in result.merged)
    assert any("says 'N/A', which names no product" in s.reason for s in result.skipped)
    assert any("says 'Various', which names no product" in s.reason for s in result.skipped)
    assert result.filtered and result.extra_entries > 0
    for record in result.records:
        assert "review" not in record.data.get("security", {})


def test_filter_counts_rows_left_out(tmp_path: Path) -> None:
    # Pins: rows failing the filter are counted as filtered (not skipped), case-insensitively.
    path = write_csv(
        tmp_path,
        """
        id,tool,team,status,contact,why,used
        1,Otter,Engineering,Live,,notes,y
        2,Zoom,Engineering,Live,,calls,N
        3,Jasper,Engineering,Live,,copy,
    """,
    )
    result = plan(path, small_map("filter: {column: used, equals: 'Y'}\n"))
    assert [r.id for r in result.records] == ["eng-1"]
    assert result.filtered == (2, 3) and result.skipped == () and balanced(result)


def test_errors_are_airegerrors_with_exit_codes(tmp_path: Path) -> None:
    # Pins: a missing CSV is a usage error (exit 2), never an OSError traceback.
    with pytest.raises(AiregError) as err:
        plan(tmp_path / "nope.csv", small_map())
    assert err.value.exit_code == 2 and "does not exist" in str(err.value)


# ---------------------------------------------------------------- the real inventories


@pytest.mark.slow
@pytest.mark.parametrize(
    ("csv_name", "map_name", "rows"),
    [
        ("ombegov_2025_consolidated_COTS_AI_use_cases.csv", "ombegov-cots", 900),
        ("ombegov_2025_individually_reported_AI_use_cases.csv", "ombegov-use-cases", 3611),
    ],
)
def test_full_real_inventories_add_up(csv_name: str, map_name: str, rows: int) -> None:
    # Pins: over the whole real files, every row is accounted for (records + merged +
    # skipped + filtered == rows read + extra entries from split cells), every id is a unique
    # slug, and planning stays fast.
    path = REAL / csv_name
    if not path.exists():
        pytest.skip(f"{path} is not present")
    start = time.perf_counter()
    result = plan(path, load_map(map_name), departments=set())
    elapsed = time.perf_counter() - start
    assert result.rows_read == rows
    assert balanced(result), result.counts()
    if map_name == "ombegov-use-cases":
        c = result.counts()
        assert c["extra_entries"] == 0
        assert c["records"] + c["merged"] + c["skipped"] + c["filtered"] == rows
    ids = [r.id for r in result.records]
    assert len(ids) == len(set(ids))
    assert all(SLUG.match(i) and len(i) <= 64 for i in ids)
    assert all(is_valid(r.data, "tool") for r in result.records)  # the published schema
    assert elapsed < 5, f"planning {csv_name} took {elapsed:.2f}s"
