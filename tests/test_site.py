"""`aireg site`: the static catalog, built from the committed registry, safe and self-contained."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import DEMO_DAY, Reg, dedent

TODAY = DEMO_DAY
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync")

HOSTILE = dedent("""\
    schema: aireg/v1
    id: hostile
    name: <script>alert(1)</script>
    vendor: '"><img src=x onerror=alert(2)>'
    url: https://evil.example/"onmouseover="alert(3)
    department: marketing
    owner: les@example.com
    stage: purpose
    created: 2026-11-01
    purpose:
      problem: </td></tr></table><iframe src="https://evil.example"></iframe>
      goal: javascript:alert(4)
    """)


def build(r: Reg, out: Path) -> dict[str, str]:
    r.ok("site", "-o", str(out))
    return {p.relative_to(out).as_posix(): p.read_text(encoding="utf-8")
            for p in out.rglob("*.html")}


class Links(HTMLParser):
    """Every URL a page names, with the tag and attribute naming it."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        for name, value in attrs:
            if name in ("href", "src", "action", "srcset", "poster", "data") and value:
                self.urls.append((tag, name, value))


def parse(text: str) -> Links:
    p = Links()
    p.feed(text)
    return p


# -- what is in it ---------------------------------------------------------------------------


def test_site_has_every_page_and_its_links_resolve(demo: Reg, tmp_path: Path) -> None:
    # An index, "can I use it?", overlaps, a page per tool and per department; every link
    # inside the site is relative and names a file that exists, so the site works from
    # file:// and under any Pages path prefix.
    out = tmp_path / "site"
    pages = build(demo, out)
    ids = sorted(p.stem for p in (demo.root / "tools").glob("*.yaml"))
    assert {"index.html", "can-i-use.html", "overlaps.html", "departments/index.html"} <= set(pages)
    assert sorted(p[len("tools/"):-5] for p in pages if p.startswith("tools/")) == ids
    assert "departments/marketing.html" in pages
    for rel, text in pages.items():
        for tag, _attr, url in parse(text).urls:
            if url.startswith(("https://", "http://")):
                assert tag == "a", (rel, tag, url)  # a tool's website, to click, never loaded
                continue
            assert not url.startswith(("/", "//")) and ":" not in url.split("#")[0], (rel, url)
            target = urlsplit(url).path
            if target:
                assert (out / Path(rel).parent / unquote(target)).resolve().is_file(), (rel, url)


def test_pages_load_nothing_and_say_so_in_a_csp(demo: Reg, tmp_path: Path) -> None:
    # No script, style, font or image comes from anywhere: scripts and styles are inline,
    # and each page's Content Security Policy allows exactly those (by hash) and nothing
    # else, so no browser fetches anything.
    pages = build(demo, tmp_path / "site")
    for rel, text in pages.items():
        tags = parse(text).tags
        assert not [t for t, a in tags if t in ("link", "img", "iframe", "object", "embed")], rel
        assert not [a for t, a in tags if t == "script" and a.get("src")], rel
        csp = [a["content"] for t, a in tags
               if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
        assert len(csp) == 1, rel
        policy = csp[0] or ""
        assert "default-src 'none'" in policy and "connect-src 'none'" in policy
        assert "unsafe-inline" not in policy and "http" not in policy
        assert "@import" not in text and "url(" not in text


def test_tool_page_shows_every_step_and_the_timeline(demo: Reg, tmp_path: Path) -> None:
    # A tool's page has its purpose, users, pilot, review decision and conditions, impact,
    # reassessments, and its aireg commits from git with the review's decision.
    page = build(demo, tmp_path / "site")["tools/interview-summaries.html"]
    for text in ("Writing an interview summary takes three hours.", "content writers",
                 "Speaker labels wrong in 1 of 12 interviews.", "Company workspace only",
                 "hours per summary", "Still the best fit", "You may use it"):
        assert text in page, text
    timeline = page[page.index("<h2>Timeline</h2>"):]
    assert "propose" in timeline and "security → impact" in timeline
    assert re.search(r"<td>review</td><td>security → impact</td><td>approved</td>", timeline)
    log = json.loads(demo.ok("log", "interview-summaries", "--format", "json").stdout)
    shas = [e["commit"][:12] for e in log["events"]]
    assert [s for s in re.findall(r"<code>([0-9a-f]{12})</code>", timeline)] == shas


def test_can_i_use_it_lists_current_approvals_only(demo: Reg, tmp_path: Path) -> None:
    # "Can I use it?" lists the deployed tools with a current approval, each with the data
    # classes it was approved for and its conditions; a tool whose facts changed after its
    # approval moves to the "reviewed again" list.
    page = build(demo, tmp_path / "site")["can-i-use.html"]
    table = page[page.index('<table id="usable">'):page.index("</table>")]
    assert "Otter.ai" in table and "customer-personal" in table
    assert "Company workspace only" in table
    assert "GitHub Copilot" not in table  # waiting for its review
    path = demo.root / "tools" / "interview-summaries.yaml"
    path.write_text(path.read_text().replace("retention: 30 days", "retention: 5 years"))
    demo.commit_all("longer retention", as_="les@example.com")
    page = build(demo, tmp_path / "site2")["can-i-use.html"]
    table = page[page.index('<table id="usable">'):page.index("</table>")]
    assert "Otter.ai" not in table
    assert "Otter.ai</a> (marketing): its facts changed after the approval" in page


def test_overlaps_are_the_reports(demo: Reg, tmp_path: Path) -> None:
    # The overlaps page shows what `aireg report` finds: the same labels and sentences.
    page = build(demo, tmp_path / "site")["overlaps.html"]
    report = json.loads(demo.ok("report", "--format", "json").stdout)
    assert report["overlaps"]
    import html

    for o in report["overlaps"]:
        assert html.escape(o["sentence"]) in page


def test_risk_is_a_filter_when_records_have_it(demo: Reg, tmp_path: Path) -> None:
    # Records with a risk field get a risk column and filter; without one, neither shows.
    # A risk written with spaces is one filter value, the same in the option and the row.
    assert 'data-key="risk"' not in build(demo, tmp_path / "a")["index.html"]
    path = demo.root / "tools" / "support-replies.yaml"
    path.write_text(path.read_text() + "risk: very high\n")
    demo.commit_all("risk", as_="sam@example.com")
    index = build(demo, tmp_path / "b")["index.html"]
    assert 'data-key="risk"' in index
    assert '<option value="very_high">very high</option>' in index
    assert 'data-risk="very_high"' in index and "<td>very high</td>" in index


# -- safety ----------------------------------------------------------------------------------


def test_record_text_is_escaped_everywhere(demo: Reg, tmp_path: Path) -> None:
    # HTML in a record is shown as text on every page: no tag, attribute or link is made of
    # it, and a url that is not a plain http(s) address is not a link.
    demo.write("tools/hostile.yaml", HOSTILE)
    demo.commit_all("hostile", as_="les@example.com")
    pages = build(demo, tmp_path / "site")
    for rel, text in pages.items():
        p = parse(text)
        assert not [t for t, _ in p.tags if t in ("img", "iframe")], rel
        assert [t for t, _ in p.tags].count("script") <= 1, rel
        for _, attrs in p.tags:
            assert not [k for k in attrs if k.startswith("on")], (rel, attrs)
        assert "<script>alert(1)" not in text
        assert not [u for _, _, u in p.urls if u.startswith("javascript:")]
    page = pages["tools/hostile.html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;iframe" in page


# -- committed records, and the folder -------------------------------------------------------


def test_site_shows_committed_records_only(demo: Reg, tmp_path: Path) -> None:
    # Uncommitted edits and files are not published: the site is the registry at HEAD.
    path = demo.root / "tools" / "support-replies.yaml"
    path.write_text(path.read_text().replace("name: Zendesk AI", "name: Uncommitted Name"))
    demo.write("tools/hostile.yaml", HOSTILE)
    pages = build(demo, tmp_path / "site")
    assert "tools/hostile.html" not in pages
    assert "Uncommitted Name" not in "".join(pages.values())
    assert "Zendesk AI" in pages["index.html"]
    help_text = demo.ok("site", "--help").output
    assert "committed" in help_text


def test_folder_is_replaced_whole_and_never_a_users_folder(demo: Reg, tmp_path: Path) -> None:
    # A second build replaces the first whole (nothing stale stays); a folder aireg did not
    # write is refused, untouched, with exit 2.
    out = tmp_path / "site"
    build(demo, out)
    (out / "stale.html").write_text("old")
    build(demo, out)
    assert not (out / "stale.html").exists()
    mine = tmp_path / "docs"
    mine.mkdir()
    (mine / "notes.md").write_text("mine")
    result = demo.aireg("site", "-o", str(mine))
    assert result.exit_code == 2, result.output
    assert "not a site aireg wrote" in result.output
    assert (mine / "notes.md").read_text() == "mine"
    assert not list(tmp_path.glob(".site.*")) and not list(tmp_path.glob(".docs.*"))


# -- in a browser ----------------------------------------------------------------------------


def _dom(url: str, tmp: Path) -> str:
    assert CHROMIUM is not None
    done = subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp / 'profile'}", "--dump-dom", url],
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _shown(dom: str) -> list[str]:
    """The ids of the tool rows the script left visible."""
    rows = re.findall(r"<tr ([^>]*)>\s*<td><a href=\"tools/([^\"]+)\.html\"", dom)
    return sorted(tid for attrs, tid in rows if "hidden" not in attrs)


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian: apt-get "
                    "install chromium); the site is not checked in a browser")
def test_search_and_filters_work_in_chromium(demo: Reg, tmp_path: Path) -> None:
    # In a real browser, from file://: the search in the URL fragment hides the rows that
    # do not match, filters combine with it, and the count says how many are shown.
    out = tmp_path / "site"
    build(demo, out)
    index = (out / "index.html").as_uri()
    dom = _dom(index, tmp_path)
    assert len(_shown(dom)) == 8 and '<span id="count" aria-live="polite">8 tools' in dom
    assert _shown(_dom(index + "#q=otter", tmp_path)) == ["interview-summaries"]
    assert _shown(_dom(index + "#q=copilot", tmp_path)) == ["code-assistant",
                                                            "marketing-assistant", "sales-copilot"]
    both = _dom(index + "#q=copilot&dep=marketing", tmp_path)
    assert _shown(both) == ["marketing-assistant"] and "1 of 8 tools" in both
    data = _dom(index + "#data=customer-personal", tmp_path)
    assert _shown(data) == ["interview-summaries"]
    usable = _dom((out / "can-i-use.html").as_uri() + "#data=confidential", tmp_path)
    assert "1 of 2 tools" in usable
    # Navigation: the index's link to a tool opens its page, which links back.
    tool = _dom((out / "tools" / "interview-summaries.html").as_uri(), tmp_path)
    assert "<h1>Otter.ai</h1>" in tool and 'href="../index.html"' in tool


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian: apt-get "
                    "install chromium); the site's width is not checked in a browser")
def test_pages_fit_a_1400_pixel_window(demo: Reg, tmp_path: Path) -> None:
    # A record with long unbroken text (name, vendor, url, purpose) does not push the
    # index, its own page or the overlaps page wider than a 1,400 px window.
    from test_report_lists import laid_out_width

    long = HOSTILE.replace("<script>alert(1)</script>", "N" * 150).replace(
        "'\"><img src=x onerror=alert(2)>'", "V" * 200)
    long = long.replace("goal: javascript:alert(4)", "goal: " + "G" * 300)
    demo.write("tools/hostile.yaml", long)
    demo.commit_all("long", as_="les@example.com")
    pages = build(demo, tmp_path / "site")
    for rel in ("index.html", "tools/hostile.html", "can-i-use.html", "overlaps.html"):
        width, right = laid_out_width(pages[rel], tmp_path)
        assert width <= 1400 and right <= 1400, (rel, width, right)


def test_site_timelines_agree_with_aireg_log(demo: Reg) -> None:
    # The site reads every tool's aireg commits in one git log pass of their trailers; for
    # each tool of the demo it finds the commits, actions, stage moves and decisions that
    # `aireg log` (history.timeline, which reads the records themselves) finds.
    from aireg import committed, history
    from aireg.repo import Registry

    reg = Registry(demo.root)
    ids = sorted(reg.ids())
    steps = committed.read_steps(reg, ids)
    for tid in ids:
        want = [(e.sha, e.action, e.stage_from, e.stage_to, e.decision)
                for e in history.timeline(demo.root, tid)]
        got = [(s.commit, s.action, s.stage_from, s.stage_to, s.decision)
               for s in steps.get(tid, [])]
        assert got == want, tid
