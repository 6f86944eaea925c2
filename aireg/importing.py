"""`aireg import`: write the records an import plans, and commit them all in one commit."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aireg import importer, records, trailers
from aireg.config import CONFIG_FILE
from aireg.errors import RuleError, UsageError
from aireg.repo import Registry, today


@dataclass(frozen=True)
class ImportResult:
    """What an import did (or, with --dry-run, would do)."""

    plan: importer.ImportPlan
    csv: str
    map: str
    dry_run: bool
    commit: str | None = None
    files: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        p = self.plan
        return {
            "csv": self.csv,
            "map": self.map,
            "dry_run": self.dry_run,
            "commit": self.commit,
            "counts": p.counts(),
            "created": [{"id": r.id, "row": r.source_row, "stage": r.data.get("stage"),
                         "department": r.data.get("department")} for r in p.records],
            "merged": [{"row": m.row, "into": m.into, "reason": m.reason} for m in p.merged],
            "skipped": [{"row": s.row, "reason": s.reason} for s in p.skipped],
            "new_departments": list(p.new_departments),
            "skipped_by_reason": p.skipped_by_reason(),
            "dates": [d.as_dict() for d in p.dates],
        }


def resolve_map(map_path: Path) -> Path:
    """A map file's path; a bare name such as `ombegov-cots` means a map shipped with aireg."""
    if map_path.is_file():
        return map_path
    shipped = importer.builtin_maps()
    if str(map_path) in shipped:
        return shipped[str(map_path)]
    names = ", ".join(shipped)
    raise UsageError(f"--map {map_path}: no such file; pass a map file, or one of the maps "
                     f"aireg ships: {names}.")


def run(reg: Registry, csv_path: Path, map_path: Path, *, dry_run: bool = False,
        encoding: str | None = None, sheet: str | None = None) -> ImportResult:
    """Plan the import; unless a dry run, write every record and commit them in one commit."""
    from aireg import yamlio

    map_file = resolve_map(map_path)
    if not csv_path.is_file():
        raise UsageError(f"{csv_path}: no such file; pass the inventory as a CSV or .xlsx file.")
    mapping = yamlio.load_mapping(map_file.read_bytes(), str(map_path))
    cfg = reg.config
    identity = reg.git.identity() if not dry_run else None
    owner = identity.email if identity else (reg.git.config("user.email") or "importer@example.com")
    plan = importer.plan_import(
        csv_path, mapping, str(map_path), existing_ids=reg.ids(),
        departments=set(cfg.departments), owner=owner, today=today().isoformat(),
        encoding=encoding, earliest_year=cfg.policy.earliest_year, sheet=sheet,
    )
    result = ImportResult(plan, str(csv_path), str(map_path), dry_run)
    if dry_run or not plan.records:
        return result
    assert identity is not None
    later = [r for r in plan.records if r.data.get("stage") != "purpose"]
    if (later or plan.new_departments) and not cfg.is_admin(identity.email):
        why = ("creates records past purpose" if later else
               f"adds departments to {CONFIG_FILE}")
        raise RuleError(f"this import {why}, which only roles.admins may do; you are "
                        f"{identity.email}: ask an admin ({', '.join(cfg.admins)}) to run it.")
    reg.git.branch_ref()
    from aireg import transaction

    # Committed first, then written (aireg.transaction): a killed import leaves nothing, or
    # a commit the next aireg command finishes writing out; never files without a commit.
    files: dict[str, str] = {}
    expect: dict[str, str | None] = {}
    if plan.new_departments:
        config_before = (reg.root / CONFIG_FILE).read_text("utf-8")

        files[CONFIG_FILE] = yamlio.add_to_mapping(
            config_before, "departments", {d: {} for d in plan.new_departments},
            file=CONFIG_FILE)
        expect[CONFIG_FILE] = config_before
    for rec in plan.records:
        rel = reg.rel(rec.id)
        files[rel] = yamlio.dump_many(rec.data, records.SCHEMA_MODELINE)
        expect[rel] = None
    n = len(plan.records)
    message = trailers.registry_message(
        "import", f"{n} tools: from {csv_path.name}",
        f"Imported {n} records from {csv_path.name} with {map_path}; "
        f"{len(plan.merged)} rows merged, {len(plan.skipped)} skipped, "
        f"{len(plan.filtered)} filtered out.")
    sha, _ = transaction.commit_files(reg.root, reg.git, files, message, identity,
                                      expect=expect)
    written = list(files)
    return ImportResult(plan, str(csv_path), str(map_path), False, sha, tuple(written))
