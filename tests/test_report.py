"""`aireg report`: the CAIO's view of a real registry, in Markdown, JSON and HTML."""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import DEMO_DAY, Reg

from aireg import report

TODAY = DEMO_DAY
LATER = "2027-03-03"  # 100 days on: the marketing assistant's measurement is overdue
LES, SAM = "les@acme.example", "sam@acme.example"
PROJECT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def report_json(r: Reg, **env: str) -> dict[str, Any]:
    result = r.aireg("report", "--format", "json", env=env or None)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def propose(r: Reg, tool: str, name: str, dept: str, problem: str, goal: str,
            as_: str, vendor: str = "Acme Vendor") -> None:
    r.ok("propose", "--no-input", "--id", tool, "--name", name, "--vendor", vendor,
         "--department", dept, "--problem", problem, "--goal", goal,
         "--criterion", "it works", "--with", "ana@acme.example", as_=as_)


# -- the funnel ------------------------------------------------------------------------------


def test_funnel_counts_match_the_list(demo: Reg) -> None:
    # Every tool is counted once, in its stage and department: the funnel's totals are what
    # `aireg list` shows, in JSON and in the Markdown table.
    listed = json.loads(demo.ok("list", "--format", "json").stdout)
    per_stage = Counter(t["stage"] for t in listed)
    per_cell = Counter((t["department"], t["stage"]) for t in listed)
    data = report_json(demo)
    f = data["funnel"]
    assert data["tools"] == len(listed) == 8
    assert f["by_stage"] == {s: per_stage.get(s, 0) for s in f["stages"]}
    assert {(d, s): n for d in f["departments"] for s, n in f["counts"][d].items() if n} \
        == dict(per_cell)
    assert f["stages"][:6] == ["purpose", "users", "pilot", "security", "impact", "active"]
    assert "legal" in f["departments"] and f["by_department"]["legal"] == 0  # configured, empty

    md = demo.ok("report").stdout
    assert "## Funnel: tools per stage and department" in md
    row = next(ln for ln in md.splitlines() if ln.startswith("| marketing |"))
    assert [c.strip() for c in row.strip("|").split("|")] == \
        ["marketing", "", "", "", "", "1", "1", "", "1", "3"]
    total = next(ln for ln in md.splitlines() if ln.startswith("| **total** |"))
    assert total.replace(" ", "").endswith("|1|1|1|1|1|1|1|1|8|")


def test_json_shape_is_the_documented_one(demo: Reg) -> None:
    # Other tools read the JSON: its top-level keys and the keys of each part are the ones
    # the module docstring documents.
    data = report_json(demo)
    assert list(data) == ["report", "organization", "generated", "head", "tools",
                          "unreadable", "funnel", "security_queue", "stage_times",
                          "tool_times", "due", "impact", "overlaps", "unreviewed", "backlog",
                          "risk"]
    assert data["report"] == "aireg/report/v1" and data["generated"] == TODAY
    assert data["head"] == demo.git("rev-parse", "HEAD").strip()
    assert set(data["security_queue"][0]) == {
        "id", "name", "vendor", "department", "owner", "waiting_since", "days_waiting", "data",
        "last_decision"}
    assert set(data["overlaps"][0]) == {"kind", "label", "departments", "tools", "similarity",
                                        "shared_words", "sentence"}
    assert [s["stage"] for s in data["stage_times"]] == list(report.STAGE_NAMES[:6])
    assert report.REPORT_SCHEMA in (report.__doc__ or "")


# -- the queue, time in stage, due work ------------------------------------------------------


def test_security_queue_lists_the_waiting_tool_with_its_wait(demo: Reg) -> None:
    # The code assistant's pilot passed 30 days ago: it waits for the CTO, counted from the
    # commit that moved it into `security`.
    data = report_json(demo)
    assert [q["id"] for q in data["security_queue"]] == ["code-assistant"]
    q = data["security_queue"][0]
    assert (q["days_waiting"], q["waiting_since"], q["department"]) == (30, "2026-10-24",
                                                                        "engineering")
    assert q["data"] == ["internal", "confidential"]
    md = demo.ok("report").stdout
    assert re.search(r"^\| code-assistant \| GitHub Copilot \|.*\| 2026-10-24 \| 30 \|", md,
                     re.M), md


def test_time_in_each_stage_comes_from_git(demo: Reg) -> None:
    # The code assistant was proposed 60 days ago, agreed 58, users 57, pilot left 30 days
    # ago: the one `git log` pass gives each stage's days.
    data = report_json(demo)
    times = {t["id"]: t for t in data["tool_times"]}
    assert times["code-assistant"]["days_in_stage"] == {"purpose": 2, "users": 1, "pilot": 27,
                                                        "security": 30}
    # The whole-registry pass and `aireg log` (one tool's history) tell the same days.
    for tool in ("code-assistant", "interview-summaries", "copy-drafts"):
        log = json.loads(demo.ok("log", tool, "--format", "json").stdout)
        assert times[tool]["days_in_stage"] == log["days_in_stage"], tool
    assert times["call-transcripts"]["stage"] == "rejected"
    assert times["call-transcripts"]["days_in_stage"]["rejected"] == 65  # rejected 65 days ago
    pilot = next(s for s in data["stage_times"] if s["stage"] == "pilot")
    assert pilot["completed"] == 5 and pilot["current"] == 1  # five left the pilot, one in it
    assert pilot["max_days"] == 27  # the code assistant's pilot was the longest


def test_overdue_work_appears_when_time_moves_on(demo: Reg) -> None:
    # Approved 75 days ago with 90 days to measure: due in 15 days today, overdue 100 days on.
    now = report_json(demo)
    item = next(i for i in now["due"] if i["tool"] == "marketing-assistant")
    assert (item["kind"], item["overdue"], item["days"]) == ("measure", False, 15)
    later = report_json(demo, AIREG_TODAY=LATER)
    item = next(i for i in later["due"] if i["tool"] == "marketing-assistant")
    assert (item["overdue"], item["days"], item["owner"]) == (True, -85, "ana@example.com")
    md = demo.ok("report", env={"AIREG_TODAY": LATER}).stdout
    assert "| marketing-assistant | ana@example.com | marketing | measure | 2026-12-08 | " \
           "OVERDUE by 85 days |" in md
    assert "- **1** overdue measurements or reassessments" in md


# -- impact ----------------------------------------------------------------------------------


def test_impact_baseline_against_current(demo: Reg) -> None:
    # Per tool, the latest measurement of each metric with its change; per department, how
    # many deployed tools have been measured at all.
    data = report_json(demo)
    tools = {t["id"]: t for t in data["impact"]["tools"]}
    m = tools["interview-summaries"]["metrics"][0]
    assert (m["metric"], m["baseline"], m["current"], m["unit"]) == (
        "hours per summary", 3, 0.5, "hours")
    assert (m["change"], m["change_pct"]) == (-2.5, -83.3)
    assert tools["copy-drafts"]["metrics"][0]["change_pct"] == -87.5  # retired, still counted
    assert "marketing-assistant" not in tools  # approved but not measured yet
    assert data["impact"]["departments"] == [{
        "department": "marketing", "deployed": 2, "measured": 1, "metrics": 1,
        "unmeasured": ["marketing-assistant"]}]
    md = demo.ok("report").stdout
    assert "| interview-summaries | marketing | active | hours per summary | 3 | 0.5 | hours " \
           "| -83.3% |" in md


# -- overlaps --------------------------------------------------------------------------------


def test_copilot_and_m365_copilot_are_two_products_of_one_vendor(demo: Reg) -> None:
    # Marketing's "Microsoft 365 Copilot" and sales' "Microsoft Copilot" are different
    # products (different licences and data terms): no product overlap and no "reuse the
    # review"; the report says only that the teams share a vendor and should talk.
    data = report_json(demo)
    assert [o for o in data["overlaps"] if o["kind"] == "product"] == []
    vendor = next(o for o in data["overlaps"] if o["kind"] == "vendor")
    assert vendor["label"] == "Microsoft"
    assert {t["id"] for t in vendor["tools"]} == {"marketing-assistant", "sales-copilot"}
    assert vendor["sentence"].startswith("marketing and sales should talk: ")
    assert "reuse" not in vendor["sentence"]
    # Retired Jasper (replaced by the Copilot) and generic words ("take a day") are no overlap.
    assert {o["kind"] for o in data["overlaps"]} == {"vendor"}
    md = demo.ok("report").stdout
    assert "marketing and sales should talk" in md


def test_similar_purpose_in_two_departments(reg: Reg) -> None:
    # Different products, the same job in two departments: the purposes share enough
    # informative words, so the teams are told to talk; a shared generic word is not enough.
    propose(reg, "contract-review", "Spellbook", "marketing",
            "Reviewing supplier contracts for risky indemnity clauses by hand.",
            "Flag indemnity clauses and liability caps in supplier contracts.", LES)
    propose(reg, "legal-redlines", "Harvey", "sales",
            "Customer contracts wait days for indemnity and liability cap review.",
            "Liability caps and indemnity clauses flagged in every customer contract.", SAM,
            vendor="Counsel AI")
    propose(reg, "slide-maker", "Gamma", "engineering",
            "Making slides takes a day.", "Slides in an hour.", "eve@acme.example",
            vendor="Gamma Tech")
    data = report_json(reg)
    purposes = [o for o in data["overlaps"] if o["kind"] == "purpose"]
    assert len(purposes) == 1, data["overlaps"]
    o = purposes[0]
    assert {t["id"] for t in o["tools"]} == {"contract-review", "legal-redlines"}
    assert {"indemnity", "liability", "caps"} <= set(o["shared_words"])
    assert o["similarity"] >= report.PURPOSE_THRESHOLD
    assert "should talk" in o["sentence"] and "similar purpose" in o["sentence"]


def test_overlaps_in_an_imported_cots_inventory(reg: Reg) -> None:
    # A slice of the real COTS inventory: "CoPilot" (FTC), "MS Copilot" (OPM), "Microsoft
    # Copilot 365" (SEC) and "Copilot for MS 365" (STB) are one product across agencies.
    pytest.importorskip("aireg.importing")
    reg.ok("import", str(DATA / "ombegov_cots_slice.csv"), "--map",
           str(PROJECT / "aireg" / "importmaps" / "ombegov-cots.yaml"))
    data = report_json(reg)
    assert data["tools"] == len(json.loads(reg.ok("list", "--format", "json").stdout))
    products = {o["label"]: o for o in data["overlaps"] if o["kind"] == "product"}
    m365, plain = products["Microsoft 365 Copilot"], products["Microsoft Copilot"]
    assert {"sec", "stb"} <= set(m365["departments"])  # "Microsoft Copilot 365", "...MS 365"
    assert {"ftc", "opm"} <= set(plain["departments"])  # "CoPilot", "MS Copilot"
    assert not {t["id"] for t in m365["tools"]} & {t["id"] for t in plain["tools"]}
    for copilot in (m365, plain):
        assert "should talk" in copilot["sentence"]
        # Imported as deployed, but nobody reviewed them here: the report must not say so.
        assert all(t["review"] is None for t in copilot["tools"])
        assert "review" not in copilot["sentence"], copilot["sentence"]
    # Deployed without a review: the loud list, not the CTO's queue.
    assert {u["id"] for u in data["unreviewed"]} >= {t["id"] for t in m365["tools"]}
    assert data["security_queue"] == []
    html = reg.ok("report", "--format", "html").stdout
    assert "Microsoft 365 Copilot" in html


# -- output safety ---------------------------------------------------------------------------

EVIL = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def test_html_and_markdown_escape_registry_text(reg: Reg) -> None:
    # A tool's name, vendor and purpose are user text: they show as text in the HTML page
    # (overlap label, sentence, chips) and the Markdown, never as markup.
    propose(reg, "evil-one", EVIL, "marketing", "Problem & <b>bold</b>", "Goal | pipe", LES,
            vendor=f'Vendor "{EVIL}"')
    propose(reg, "evil-two", EVIL, "sales", "Another problem", "Another goal", SAM,
            vendor=f'Vendor "{EVIL}"')  # the same name from the same vendor: one product
    html = reg.ok("report", "--format", "html").stdout
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "onerror=&quot;alert(2)&quot;" in html
    md = reg.ok("report").stdout
    assert "<script" not in md and "<img" not in md
    assert "&lt;script&gt;" in md


def test_html_is_self_contained(demo: Reg) -> None:
    # One file, nothing fetched: no external src/href, no @import or url(), a CSP that
    # forbids loading anything, and charts drawn as inline SVG with text alternatives.
    html = demo.ok("report", "--format", "html").stdout
    assert html.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html, re.I)
    assert "@import" not in html and "url(" not in html and "<script" not in html
    assert "default-src 'none'" in html
    assert html.count("<svg ") == 3 and html.count('role="img"') == 3
    assert '<title id="funnel-t">' in html and '<desc id="funnel-d">' in html
    assert "<caption>Tools per department in each stage</caption>" in html  # table fallback
    assert "@media print" in html


def test_output_file_is_written_whole(demo: Reg, tmp_path: Path) -> None:
    # -o writes the file atomically (temporary file, then rename), replacing an old one, and
    # leaves no temporary file behind; a place that cannot be written is exit 3.
    out = tmp_path / "out" / "report.html"
    out.parent.mkdir()
    out.write_text("old report")
    result = demo.ok("report", "--format", "html", "-o", str(out))
    assert "Wrote" in result.stdout
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in out.parent.iterdir()) == ["report.html"]
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = demo.aireg("report", "-o", str(blocker / "report.md"))
    assert result.exit_code == 3, result.output
    assert "cannot be written" in result.output and "Traceback" not in result.output


def test_bad_format_is_a_usage_error(demo: Reg) -> None:
    # A format the report does not have is exit 2 with the choices, not a traceback.
    result = demo.aireg("report", "--format", "pdf")
    assert result.exit_code == 2, result.output
    assert "md, html or json" in result.output


def test_an_unreadable_record_is_reported_not_fatal(demo: Reg) -> None:
    # One broken file never hides the others: the report names it and counts the rest.
    (demo.root / "tools" / "broken.yaml").write_text("name: [unclosed\n")
    data = report_json(demo)
    assert data["unreadable"] == ["tools/broken.yaml"] and data["tools"] == 8
    assert "could not be read" in demo.ok("report").stdout


# -- the HTML in a real browser --------------------------------------------------------------


def _chromium(*args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp / 'profile'}", *args],
        capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian: apt-get "
                    "install chromium); the HTML report is not checked in a browser")
def test_html_renders_in_headless_chromium(demo: Reg, tmp_path: Path) -> None:
    # A real browser parses the page: the DOM it builds has the funnel heading, the charts
    # and the tables, and the screenshot script produces a PNG of it.
    page = tmp_path / "report.html"
    demo.ok("report", "--format", "html", "-o", str(page))
    done = _chromium("--dump-dom", page.as_uri(), tmp=tmp_path)
    assert done.returncode == 0, done.stderr
    dom = done.stdout
    assert "Funnel: tools per stage and department" in dom
    assert "Teams that should talk" in dom and "Microsoft 365 Copilot" in dom
    assert dom.count("<svg") == 3 and "<table>" in dom
    png = tmp_path / "shot.png"
    shot = subprocess.run(
        ["sh", str(PROJECT / "scripts" / "screenshot.sh"), "report", str(demo.root), str(png),
         "1280x1600"],
        capture_output=True, text=True, timeout=180, check=False,
        env={**_env(), "AIREG": str(Path(shutil.which("aireg") or PROJECT / ".venv" / "bin"
                                              / "aireg"))})
    assert shot.returncode == 0, shot.stderr
    head = png.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", head[16:24]) == (1280, 1600)


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)
