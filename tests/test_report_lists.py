"""The report's long lists stay readable: the review queue and due work are capped."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from aireg import config, records, report
from aireg.render import report_html, report_md

DAY = date(2026, 11, 23)
CFG = config.build({
    "organization": "Acme", "departments": {"marketing": {}, "sales": {}},
    "roles": {"security": ["cto@acme.example"]}, "data_classes": ["public", "internal"]})


def _records(waiting: int, deployed: int) -> list[dict[str, Any]]:
    recs: list[dict[str, Any]] = []
    for n in range(waiting):
        recs.append({"id": f"wait-{n:03}", "name": f"Waiting {n}", "department": "marketing",
                     "owner": "les@acme.example", "stage": "security",
                     "created": f"2026-{1 + n % 9:02}-01"})
    for n in range(deployed):  # approved long ago and never measured: overdue
        rec: dict[str, Any] = {
            "id": f"live-{n:03}", "name": f"Live {n}", "department": "sales",
            "owner": "sam@acme.example", "stage": "impact", "created": "2025-01-01",
            "security": {"review": {"decision": "approved", "date": "2025-02-01"}}}
        rec["security"]["review"]["digest"] = records.digest(rec)  # a current approval
        recs.append(rec)
    return recs


def _data(waiting: int, deployed: int) -> dict[str, Any]:
    return report.compose(_records(waiting, deployed), CFG, {}, DAY).as_dict()


class Tables(HTMLParser):
    """Rows of the tables outside and inside <details>."""

    def __init__(self) -> None:
        super().__init__()
        self.folded = 0
        self.rows: dict[bool, int] = {False: 0, True: 0}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "details":
            self.folded += 1
        elif tag == "tr":
            self.rows[self.folded > 0] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "details":
            self.folded -= 1


def _section(page: str, anchor: str) -> str:
    start = page.index(f'<section aria-labelledby="{anchor}">')
    return page[start:page.index("</section>", start)]


def test_markdown_caps_the_queue_and_due_work_and_names_the_full_list() -> None:
    # 40 tools waiting and 30 overdue: each table shows 25 rows and a line naming the
    # command that lists them all.
    md = report_md.render(_data(40, 30))
    queue = md[md.index("## Security review queue"):md.index("## Overdue and upcoming work")]
    due = md[md.index("## Overdue and upcoming work"):md.index("## Impact")]
    assert queue.count("| wait-") == report_md.MAX_ROWS == 25
    assert "The 25 longest waits of 40 are shown; `aireg review --security`" in queue
    assert due.count("| live-") == 25
    assert "The 25 soonest of 30 are shown; `aireg due`" in due


def test_markdown_short_lists_are_whole() -> None:
    # Lists at or under the cap are shown whole, with no pointer line.
    md = report_md.render(_data(25, 3))
    assert md.count("| wait-") == 25 and "are shown;" not in md


def test_html_folds_the_rest_under_a_summary_naming_the_full_list() -> None:
    # HTML shows 25 rows of each list and folds the rest into <details>, whose summary
    # names the command with the full list; nothing is lost.
    page = report_html.render(_data(40, 30))
    for anchor, total, command in (("queue", 40, "aireg review --security"),
                                   ("due", 30, "aireg due")):
        section = _section(page, anchor)
        t = Tables()
        t.feed(section)
        # header rows: one per table (shown, folded)
        assert t.rows[False] == report_html.MAX_ROWS + 1, anchor
        assert t.rows[True] == total - report_html.MAX_ROWS + 1, anchor
        assert f"Show the other {total - 25}" in section and command in section
    small = _section(report_html.render(_data(3, 0)), "queue")
    assert "<details" not in small


WRAP = "main { overflow-wrap: anywhere; }"


def test_html_wraps_long_text() -> None:
    # Long unbroken text (ids, addresses, urls) breaks where it must, in tables and
    # overlaps alike, so nothing pushes the page wider than the window.
    assert WRAP in report_html.CSS


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Added to a copy of the page (its CSP removed so the script may run): the page's width
# and the right edge of its widest table, as the browser laid them out.
_MEASURE = ('<script>var r = [].map.call(document.querySelectorAll("table"), function (t) {'
            ' return Math.ceil(t.getBoundingClientRect().right); });'
            'document.body.setAttribute("data-width", document.documentElement.scrollWidth);'
            'document.body.setAttribute("data-right", Math.max.apply(null, r.concat([0])));'
            "</script></body>")


def laid_out_width(page: str, tmp: Path, window: int = 1400) -> tuple[int, int]:
    """(page width, widest table's right edge) of `page` in headless Chromium."""
    assert CHROMIUM is not None
    page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)
    path = tmp / "measure.html"
    path.write_text(page.replace("</body>", _MEASURE), encoding="utf-8")
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--hide-scrollbars",
         f"--user-data-dir={tmp / 'profile'}", f"--window-size={window},900", "--dump-dom",
         path.as_uri()], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    found = re.search(r'<body[^>]*data-width="(\d+)"[^>]*data-right="(\d+)"', done.stdout)
    assert found, done.stdout[:500]
    return int(found[1]), int(found[2])


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian: apt-get "
                    "install chromium); the report's width is not checked in a browser")
def test_html_tables_fit_a_1400_pixel_window(tmp_path: Path) -> None:
    # With long unbroken text in every column of the queue (ids, names, vendors, owners),
    # the page and every table stay within a 1,400 px window; without the wrapping rule
    # the same page is wider, so the check can fail.
    recs = _records(30, 30)
    for n, r in enumerate(recs):
        r["name"] = "N" * 120
        r["vendor"] = "V" * 200 + str(n)
        r["owner"] = "o" * 80 + "@acme.example"
    data = report.compose(recs, CFG, {}, DAY).as_dict()
    page = report_html.render(data)
    width, right = laid_out_width(page, tmp_path)
    assert width <= 1400 and right <= 1400, (width, right)
    unwrapped = page.replace(WRAP, "")
    assert max(laid_out_width(unwrapped, tmp_path)) > 1400
