"""Scale: the benchmark generator makes valid registries, parallel reading changes no result,
and `validate --base` reads only what a pull request changed (unless the change reaches all)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import Reg, git
from typer.testing import CliRunner

from aireg import loader, yamlio
from aireg.cli.main import app
from aireg.repo import Registry

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import generate  # (benchmarks/ is not a package)

LES = "les@acme.example"


def cli(root: Path, *args: str) -> Any:
    return CliRunner().invoke(app, ["--registry", str(root), *args])


def test_generated_registry_passes_validate_and_audit(tmp_path: Path) -> None:
    # The benchmark generator (benchmarks/generate.py) makes a legitimate registry: 20 tools
    # in every stage, exactly 50 commits by the right people, valid today and by the
    # history rules, with a `pr` branch one owner's commit ahead.
    root = tmp_path / "gen"
    result = generate.generate(root, 20, 50, seed=3)
    assert result.commits == 50
    assert git(root, "rev-list", "--count", "main").strip() == "50"
    assert set(result.stages) == {"purpose", "users", "pilot", "security", "impact", "active",
                                  "rejected", "retired"}
    assert result.from_data > 0 or not (generate.DATA_DIR / generate.INDIVIDUAL_CSV).exists()

    checked = cli(root, "validate", "--format", "json")
    assert checked.exit_code == 0, checked.output
    report = json.loads(checked.stdout)
    assert report["errors"] == 0 and report["files"] == 21, report

    audited = cli(root, "audit", "--format", "json")
    assert audited.exit_code == 0, audited.output
    assert json.loads(audited.stdout)["commits"] == 50

    git(root, "checkout", "-q", "pr")
    pr = cli(root, "validate", "--base", "main", "--format", "json")
    assert pr.exit_code == 0, pr.output
    assert json.loads(pr.stdout)["files"] == 2  # aireg.yaml and the one tool the PR changed


@pytest.mark.parametrize("text", [
    "yes", "No", "off", "~", "null", "true", "1:20", "0x1F", "1e5", "+1", ".5", "30 days",
    "2026-02-30", "a: b", "ends:", "#hash", "x #y", "- dash", "[list]", "{map}", "a, b",
    "  padded ", "two\nlines", "tab\there", "é漢字 Société", "line\u2028sep", "c1\x85ctl",
    "@at", "'single'", '"double"', "%pct", "*star", "&amp", "!bang", "|pipe", ">gt", "",
])
def test_generator_text_reads_back_as_written(text: str) -> None:
    # The generator's YAML emitter quotes whatever YAML would read as something else, so a
    # generated record means exactly its data to aireg's strict reader.
    data = {"schema": "aireg/v1", "id": "x", "name": text, "tags": [text, "plain"],
            "users": [{"group": text, "count": 3, "needs": [text]}], "notes": text}
    assert yamlio.load(generate.record_text(data), "tools/x.yaml") == data


def _records(reg: Reg, n: int) -> list[str]:
    rels = []
    for i in range(n):
        rel = f"tools/t{i:02d}.yaml"
        reg.write(rel, f"""\
            schema: aireg/v1
            id: t{i:02d}
            name: Tool {i}
            department: engineering
            owner: {LES}
            stage: purpose
            created: 2026-11-0{1 + i % 9}
            """)
        rels.append(rel)
    reg.write("tools/t05.yaml", "id: [unclosed\n")  # one broken file among them
    return rels


def test_parallel_reading_gives_the_serial_result(reg: Reg, monkeypatch: pytest.MonkeyPatch
                                                  ) -> None:
    # Reading in forked workers returns the same files, in the same order, with the same
    # problems, as reading in one process; a worker that fails is made up for by the parent.
    rels = _records(reg, 23)
    monkeypatch.setenv("AIREG_JOBS", "1")
    serial = loader.read_many(reg.root, rels)
    monkeypatch.setattr(loader, "PARALLEL_MIN", 2)
    monkeypatch.setattr(loader, "CHUNK", 3)
    monkeypatch.setenv("AIREG_JOBS", "3")
    assert loader.read_many(reg.root, rels) == serial
    assert serial[5].problem is not None and serial[5].problem.rule == "parse-error"

    parent = os.getpid()

    def fails_in_workers(rf: Any) -> str:
        if os.getpid() != parent:
            raise RuntimeError("a worker fails")
        return rf.rel

    assert loader.map_files(reg.root, rels, fails_in_workers) == rels

    def validate_json() -> dict[str, Any]:
        result = reg.aireg("validate", "--format", "json")
        assert result.exit_code == 1, result.output  # t05 is broken
        return json.loads(result.stdout)  # type: ignore[no-any-return]

    parallel = validate_json()
    monkeypatch.setenv("AIREG_JOBS", "1")
    assert validate_json() == parallel


def _pull_request(reg: Reg) -> None:
    """main: tools a (broken on main: an unknown department) and b; branch pr advances b."""
    reg.ok("propose", "--id", "a", "--name", "A", "--department", "engineering", "--problem",
           "p", "--goal", "g", "--criterion", "c", "--with", "ana@acme.example", as_=LES)
    reg.ok("propose", "--id", "b", "--name", "B", "--department", "engineering", "--problem",
           "p", "--goal", "g", "--criterion", "c", "--with", "ana@acme.example", as_=LES)
    path = reg.root / "tools/a.yaml"
    path.write_text(path.read_text().replace("department: engineering", "department: gone"))
    reg.commit_all("a moves to a department that does not exist", as_=LES)
    reg.git("checkout", "-q", "-b", "pr")
    reg.ok("advance", "b", as_=LES)


def test_validate_base_reads_only_what_the_pull_request_changed(reg: Reg) -> None:
    # With --base and no PATHs, the record rules read aireg.yaml and the files of base...HEAD:
    # a problem the pull request did not make (tool a, broken on main) is not its to fix.
    _pull_request(reg)
    whole = reg.aireg("validate", "--format", "json")
    assert whole.exit_code == 1, whole.output
    assert any(p["file"] == "tools/a.yaml" for p in json.loads(whole.stdout)["problems"])

    pr = reg.aireg("validate", "--base", "main", "--format", "json")
    assert pr.exit_code == 0, pr.output
    report = json.loads(pr.stdout)
    assert report["files"] == 2 and report["commits"] == 1, report


def test_validate_base_checks_everything_when_the_config_changes(reg: Reg) -> None:
    # A change to aireg.yaml can break records it does not touch, so such a pull request is
    # checked against the whole registry.
    _pull_request(reg)
    config = reg.root / "aireg.yaml"
    config.write_text(config.read_text() + "# a comment\n")
    reg.commit_all("aireg.yaml: a comment")  # by the admin
    pr = reg.aireg("validate", "--base", "main", "--format", "json")
    assert pr.exit_code == 1, pr.output
    report = json.loads(pr.stdout)
    assert report["files"] == 3, report
    assert any(p["file"] == "tools/a.yaml" for p in report["problems"])


def test_validate_base_checks_everything_when_a_record_is_deleted(reg: Reg) -> None:
    # A deleted record may still be named by others (replaced_by): the whole registry is
    # checked, and the history rules refuse the deletion itself.
    _pull_request(reg)
    reg.git("rm", "-q", "tools/b.yaml")
    reg.commit_all("remove b", as_=LES)
    pr = reg.aireg("validate", "--base", "main", "--format", "json")
    assert pr.exit_code == 1, pr.output
    report = json.loads(pr.stdout)
    assert report["files"] == 2, report  # aireg.yaml and a: all that is left
    assert any(p["file"] == "tools/a.yaml" for p in report["problems"])


def test_list_reads_in_parallel_like_serial(reg: Reg, monkeypatch: pytest.MonkeyPatch) -> None:
    # `aireg list` builds its rows in the parsing workers; the rows are those of a serial run.
    _records(reg, 12)
    monkeypatch.setattr(loader, "PARALLEL_MIN", 2)
    monkeypatch.setattr(loader, "CHUNK", 2)
    monkeypatch.setenv("AIREG_JOBS", "2")
    parallel = reg.ok("list", "--format", "json").stdout
    monkeypatch.setenv("AIREG_JOBS", "1")
    assert reg.ok("list", "--format", "json").stdout == parallel
    assert len(json.loads(parallel)) == 11  # the broken t05 is not a row
    assert Registry(reg.root).ids() >= {"t00", "t11"}


def test_fast_top_level_help_is_typers_help() -> None:
    # `aireg --help` skips building every command's options; what it prints must still be
    # exactly what typer prints for the full command tree.
    import subprocess

    def run(code: str) -> str:
        out = subprocess.run([sys.executable, "-c", "import sys; sys.argv = ['aireg', '--help']; "
                              + code], capture_output=True, text=True, check=True)
        return out.stdout

    fast = run("from aireg.cli.main import main; main()")
    full = run("from aireg.cli.main import app; app()")
    assert fast == full
    assert "Commands:" in fast and "validate" in fast and "--registry" in fast
