"""`aireg import` through the real CLI: one commit, honest counts, bad CSVs write nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Reg

DATA = Path(__file__).parent / "data"
SHARED = next((p for p in (Path(__file__).resolve().parents[2] / "shared" / "data",
                           Path("/work/shared/data")) if p.is_dir()), Path("/nonexistent"))
COTS_SLICE = DATA / "ombegov_cots_slice.csv"


def untouched(reg: Reg, commits: int) -> None:
    assert reg.commit_count() == commits
    assert reg.git("status", "--porcelain") == ""


def test_import_creates_records_in_one_commit(reg: Reg) -> None:
    # Importing the COTS slice creates one record per agency and product, all in a single
    # `Aireg-Action: import` commit by the admin, and `aireg list` shows them.
    commits = reg.commit_count()
    result = reg.ok("import", str(COTS_SLICE), "--map", "ombegov-cots", "--format", "json")
    report = json.loads(result.stdout)
    created = [r["id"] for r in report["created"]]
    assert created and report["commit"]
    assert reg.commit_count() == commits + 1
    assert "Aireg-Action: import" in reg.head_message()
    files = reg.git("show", "--name-only", "--format=", "HEAD").split()
    assert sorted(f for f in files if f.startswith("tools/")) == sorted(
        f"tools/{i}.yaml" for i in created)
    listed = json.loads(reg.ok("list", "--format", "json").stdout)
    assert sorted(t["id"] for t in listed) == sorted(created)
    c = report["counts"]
    assert c["records"] + c["merged"] + c["skipped"] + c["filtered"] == (
        c["rows_read"] + c["extra_entries"])
    # Nothing is fabricated: no imported record carries a review or a measurement.
    for rel in files:
        if rel.startswith("tools/"):
            rec = reg.load(rel)
            assert "review" not in (rec.get("security") or {})
            assert "impact" not in rec


def test_import_dry_run_writes_nothing(reg: Reg) -> None:
    # --dry-run prints what it would create and leaves the registry as it was.
    commits = reg.commit_count()
    result = reg.ok("import", str(COTS_SLICE), "--map", "ombegov-cots", "--dry-run")
    assert "Would create" in result.output
    untouched(reg, commits)


def test_import_reimport_creates_nothing_new(reg: Reg) -> None:
    # Importing the same file twice never duplicates or overwrites a record.
    reg.ok("import", str(COTS_SLICE), "--map", "ombegov-cots")
    commits = reg.commit_count()
    result = reg.ok("import", str(COTS_SLICE), "--map", "ombegov-cots", "--format", "json")
    assert json.loads(result.stdout)["counts"]["records"] == 0
    untouched(reg, commits)


def test_bad_csvs_give_clear_errors_and_write_nothing(reg: Reg, tmp_path: Path) -> None:
    # A wrong encoding, a missing mapped column and an empty file are each exit 2 with a
    # sentence naming the file and the fix; nothing is written.
    commits = reg.commit_count()
    latin = tmp_path / "latin.csv"
    latin.write_bytes(COTS_SLICE.read_text("utf-8-sig").replace(
        "Department of Treasury", "Département du Trésor").encode("cp1252"))
    result = reg.aireg("import", str(latin), "--map", "ombegov-cots")
    assert result.exit_code == 2, result.output
    assert "--encoding" in result.stderr and "latin.csv" in result.stderr
    result = reg.aireg("import", str(latin), "--map", "ombegov-cots", "--encoding", "cp1252",
                       "--dry-run")
    assert result.exit_code == 0, result.output

    renamed = tmp_path / "renamed.csv"
    renamed.write_text(COTS_SLICE.read_text("utf-8-sig").replace("Agency,", "Agencyy,", 1))
    result = reg.aireg("import", str(renamed), "--map", "ombegov-cots")
    assert result.exit_code == 2, result.output
    assert "Agency" in result.stderr and "Agencyy" in result.stderr

    empty = tmp_path / "empty.csv"
    empty.write_text("")
    result = reg.aireg("import", str(empty), "--map", "ombegov-cots")
    assert result.exit_code == 2, result.output
    assert "empty.csv" in result.stderr
    assert "Traceback" not in result.output
    untouched(reg, commits)


def test_import_past_purpose_needs_an_admin(reg: Reg) -> None:
    # Only an admin may create records past purpose; anyone else is refused (exit 1).
    commits = reg.commit_count()
    result = reg.aireg("import", str(COTS_SLICE), "--map", "ombegov-cots",
                       as_="les@acme.example")
    assert result.exit_code == 1, result.output
    assert "roles.admins" in result.stderr
    untouched(reg, commits)


@pytest.mark.slow  # imports the full federal inventories (3,611 rows)
@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data (the OMB inventories) is absent")
@pytest.mark.parametrize(("csv", "map_name", "records"), [
    ("ombegov_2025_consolidated_COTS_AI_use_cases.csv", "ombegov-cots", 487),
    ("ombegov_2025_individually_reported_AI_use_cases.csv", "ombegov-use-cases", 3270),
])
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_real_inventories(reg: Reg, csv: str, map_name: str, records: int) -> None:
    # The real OMB inventories import with counts that match the source, no date made up,
    # and the imported registry passes CI: validate, and the history rules over the import.
    base = reg.git("rev-parse", "HEAD").strip()
    result = reg.ok("import", str(SHARED / csv), "--map", map_name, "--format", "json")
    out = json.loads(result.stdout)
    counts = out["counts"]
    assert counts["records"] == records
    assert counts["records"] + counts["merged"] + counts["skipped"] + counts["filtered"] == (
        counts["rows_read"] + counts["extra_entries"])
    assert sum(out["skipped_by_reason"].values()) == counts["skipped"]
    assert all(d["defaulted"] == 0 for d in out["dates"])
    listed = json.loads(reg.ok("list", "--format", "json").stdout)
    assert len(listed) == records
    check = reg.aireg("validate", "--base", base, "--format", "json")
    assert check.exit_code == 0, json.loads(check.stdout)["problems"][:3]
