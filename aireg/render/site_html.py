"""The published catalog as static HTML pages: no server, nothing fetched, relative links only.

`render(catalog)` returns {path: text} for the whole site. Every page carries its CSS and
its one small script inline, and a Content Security Policy that allows exactly those (by
their sha256) and nothing else: no fonts, images, scripts or connections from anywhere, so a
page opened from ``file://`` or served by GitHub or GitLab Pages looks and works the same.
Links are relative, so the site works under any path prefix (a Pages project site is
served from /<repo>/).

Every text that comes from the registry goes through `e()` (html.escape, quotes included), in
element content and attributes alike; a tool's url becomes a link only when it is http(s).
The index lists every tool in the HTML itself, so it reads without JavaScript; the script
only hides the rows that do not match the search box and the filters, and keeps them in the
URL's fragment (``index.html#q=otter&stage=active``) so a search can be bookmarked or sent.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from aireg.catalog import Catalog, Department, Tool

STAGE_TITLES = {
    "purpose": "1 Purpose", "users": "2 Users", "pilot": "3 Pilot", "security": "4 Security",
    "impact": "5 Impact", "active": "6 Active", "rejected": "Rejected", "retired": "Retired",
}
KIND_TITLES = {"product": "Same product", "vendor": "Same vendor", "purpose": "Similar purpose"}

CSS = """
:root { --ink:#1f2933; --muted:#52606d; --line:#d9e2ec; --bg:#f5f7fa; --accent:#2f5d8a;
        --warn:#a61b1b; --ok:#1e6b3a; }
* { box-sizing: border-box; }
body { margin:0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Arial,
       sans-serif; color: var(--ink); background: #fff; }
header.top { background: var(--accent); color: #fff; padding: 10px 28px; }
header.top a { color: #fff; }
header.top .org { font-weight: 700; font-size: 18px; margin-right: 24px; text-decoration: none; }
header.top nav { display: inline; }
header.top nav a { margin-right: 16px; }
header.top nav a[aria-current] { font-weight: 700; text-decoration: none; }
main { max-width: 1320px; margin: 0 auto; padding: 18px 28px 40px; overflow-wrap: anywhere; }
footer { color: var(--muted); font-size: 13px; border-top: 1px solid var(--line);
         max-width: 1320px; margin: 0 auto; padding: 10px 28px 30px; }
h1 { font-size: 26px; margin: 6px 0 4px; }
h2 { font-size: 20px; margin: 28px 0 6px; padding-top: 6px; border-top: 1px solid var(--line); }
p.sub { color: var(--muted); margin: 2px 0 12px; }
a { color: var(--accent); }
.wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; font-size: 14px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left;
         vertical-align: top; overflow-wrap: anywhere; }
th { background: var(--bg); font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.filters { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: end;
           background: var(--bg); border: 1px solid var(--line); border-radius: 8px;
           padding: 10px 14px; margin: 10px 0; }
.filters label { display: flex; flex-direction: column; font-size: 13px; color: var(--muted); }
.filters input, .filters select { font: inherit; padding: 4px 6px; min-width: 150px; }
.filters input[type=search] { min-width: 320px; }
#count { font-weight: 600; margin-left: auto; }
.badge { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 13px;
         background: var(--bg); border: 1px solid var(--line); white-space: nowrap; }
.badge.ok { background: #e3f4e8; border-color: #a3d9b1; color: var(--ok); }
.badge.no { background: #fbe9e9; border-color: #eab0b0; color: var(--warn); }
td ul { margin: 0; padding-left: 18px; }
ul.chips { list-style: none; padding: 0; margin: 4px 0 0; display: flex; flex-wrap: wrap;
           gap: 4px; }
ul.chips li { background: var(--bg); border: 1px solid var(--line); border-radius: 10px;
              padding: 0 8px; font-size: 13px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 6px 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.verdict { border: 1px solid var(--line); border-left: 6px solid var(--warn); border-radius: 6px;
           padding: 8px 14px; margin: 12px 0; background: #fff; }
.verdict.ok { border-left-color: var(--ok); }
ul.overlaps { list-style: none; padding: 0; }
ul.overlaps > li { border: 1px solid var(--line); border-left: 5px solid var(--accent);
                 border-radius: 6px; padding: 8px 12px; margin: 8px 0; }
.kind { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted);
        margin-right: 6px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 10px;
         padding: 0; list-style: none; }
.cards li { border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; }
[hidden] { display: none !important; }
"""

# Filters the rows of the one table with data-text rows: every word of the search box must
# occur in the row's text, and each filter must match the row's attribute (a word of it,
# for lists such as data classes). State lives in the URL fragment.
JS = """
(function () {
  "use strict";
  var q = document.getElementById("q");
  if (!q) { return; }
  var selects = Array.prototype.slice.call(document.querySelectorAll("select[data-key]"));
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-text]"));
  var count = document.getElementById("count");
  var total = rows.length;
  function matches(row, words) {
    var text = row.getAttribute("data-text");
    for (var i = 0; i < words.length; i++) {
      if (text.indexOf(words[i]) < 0) { return false; }
    }
    for (var j = 0; j < selects.length; j++) {
      var want = selects[j].value;
      if (!want) { continue; }
      var have = row.getAttribute("data-" + selects[j].getAttribute("data-key")) || "";
      if (have.split(" ").indexOf(want) < 0) { return false; }
    }
    return true;
  }
  function apply() {
    var words = q.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var ok = matches(rows[i], words);
      rows[i].hidden = !ok;
      if (ok) { shown++; }
    }
    count.textContent = shown === total ? total + " tools" : shown + " of " + total + " tools";
  }
  function fromHash() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ""));
    q.value = params.get("q") || "";
    selects.forEach(function (s) {
      var v = params.get(s.getAttribute("data-key")) || "";
      var known = Array.prototype.some.call(s.options, function (o) { return o.value === v; });
      s.value = known ? v : "";
    });
    apply();
  }
  function toHash() {
    var params = new URLSearchParams();
    if (q.value) { params.set("q", q.value); }
    selects.forEach(function (s) {
      if (s.value) { params.set(s.getAttribute("data-key"), s.value); }
    });
    var hash = params.toString();
    try {
      history.replaceState(null, "", hash ? "#" + hash : location.pathname + location.search);
    } catch (err) { /* some browsers refuse it on file://; the filter still works */ }
    apply();
  }
  q.addEventListener("input", toHash);
  selects.forEach(function (s) { s.addEventListener("change", toHash); });
  window.addEventListener("hashchange", fromHash);
  fromHash();
})();
"""


CSS = " ".join(CSS.split())  # every page carries it: 10,000 pages, a kilobyte each saved


def _sha(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


CSP = (f"default-src 'none'; style-src '{_sha(CSS)}'; script-src '{_sha(JS)}'; "
       "img-src 'none'; connect-src 'none'; base-uri 'none'; form-action 'none'")


def e(value: object) -> str:
    """Text from the registry, safe in element content and in quoted attributes."""
    return html.escape("" if value is None else str(value), quote=True)


def _up(path: str) -> str:
    """The relative way back to the site's root from a page at `path`."""
    return "../" * path.count("/")


def _link(frm: str, to: str, text: str) -> str:
    return f'<a href="{e(_up(frm) + to)}">{e(text)}</a>'


def _stage(stage: str) -> str:
    return e(STAGE_TITLES.get(stage, stage))


def _chips(items: Iterable[str]) -> str:
    items = list(items)
    if not items:
        return ""
    return '<ul class="chips">' + "".join(f"<li>{e(i)}</li>" for i in items) + "</ul>"


def _url(url: str) -> str:
    if url.startswith(("https://", "http://")) and not any(c.isspace() for c in url):
        return f'<a href="{e(url)}" rel="noopener noreferrer">{e(url)}</a>'
    return e(url)


def _review_badge(t: Tool) -> str:
    if t.usable:
        return '<span class="badge ok">approved</span>'
    if t.review is None or t.review.decision is None:
        return ""
    if t.stage in ("impact", "active") and t.review.decision == "approved":
        return '<span class="badge no">approval out of date</span>'
    cls = "no" if t.review.decision == "rejected" else ""
    return f'<span class="badge {cls}">{e(t.review.decision)}</span>'


NAV = (("index.html", "Catalog"), ("can-i-use.html", "Can I use it?"),
       ("departments/index.html", "Departments"), ("overlaps.html", "Teams that should talk"))


def page(cat: Catalog, path: str, title: str, body: str, *, script: bool = False) -> str:
    up = _up(path)
    current = ' aria-current="page"'
    nav = "".join(
        f'<a href="{e(up + href)}"{current if href == path else ""}>{e(label)}</a>'
        for href, label in NAV)
    head = cat.head[:12] if cat.head else "no commit yet"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{e(title)} · AI tools at {e(cat.organization)}</title>"
        f"<style>{CSS}</style></head><body>"
        f'<header class="top"><a class="org" href="{e(up)}index.html">AI tools at '
        f"{e(cat.organization)}</a><nav>{nav}</nav></header>"
        f"<main>{body}</main>"
        f"<footer>Built by aireg on {e(cat.generated.isoformat())} from the registry's commit "
        f"{e(head)}: what is committed, not anyone's uncommitted edits. {len(cat.tools)} tools."
        "</footer>"
        + (f"<script>{JS}</script>" if script else "")
        + "</body></html>\n"
    )


def _token(value: str) -> str:
    """A filter value as one word: rows list their values separated by spaces."""
    return "_".join(value.split()) or "_"


def _select(key: str, label: str, choices: Sequence[tuple[str, str]]) -> str:
    opts = "".join(f'<option value="{e(_token(v))}">{e(t)}</option>' for v, t in choices)
    return (f'<label>{e(label)}<select data-key="{e(key)}" id="f-{e(key)}">'
            f'<option value="">all</option>{opts}</select></label>')


def _filters(cat: Catalog, *, stages: bool = True) -> str:
    parts = ['<label>Search<input type="search" id="q" placeholder="name, vendor, purpose, '
             'owner..." autocomplete="off"></label>',
             _select("dep", "Department", [(d.name, d.name) for d in cat.departments
                                           if d.tools])]
    if stages:
        parts.append(_select("stage", "Stage", [(s, STAGE_TITLES.get(s, s))
                                                for s in cat.stages]))
    parts.append(_select("data", "Data class", [(d, d) for d in cat.data_classes]))
    if cat.risks:
        parts.append(_select("risk", "Risk", [(r, r) for r in cat.risks]))
    parts.append('<span id="count" aria-live="polite"></span>')
    return ('<form class="filters" role="search" action="#">' + "".join(parts) + "</form>"
            "<noscript><p class=\"sub\">Search and filters need JavaScript; every tool is "
            "listed below.</p></noscript>")


def _row_attrs(t: Tool) -> str:
    # Each value as one word (ids and data classes are slugs in a valid registry; risk may
    # be free text), the same way the filters' options write them.
    return (f' data-text="{e(t.search_text)}" data-dep="{e(_token(t.department))}" '
            f'data-stage="{e(_token(t.stage))}" '
            f'data-data="{e(" ".join(_token(d) for d in t.data))}" '
            f'data-risk="{e(_token(t.risk) if t.risk else "")}"')


def index_page(cat: Catalog) -> str:
    path = "index.html"
    risk = bool(cat.risks)
    usable = len(cat.usable)
    head = ["tool", "vendor", "department", "stage", "data classes"] + (["risk"] if risk else [])
    head.append("review")
    rows = []
    for t in cat.tools:
        cells = [_link(path, t.page, t.name) + f"<br><small>{e(t.id)}</small>", e(t.vendor),
                 _link(path, t.department_page, t.department), _stage(t.stage),
                 _chips(t.data)] + ([e(t.risk)] if risk else []) + [_review_badge(t)]
        rows.append(f"<tr{_row_attrs(t)}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    unreadable = ""
    if cat.unreadable:
        unreadable = (f'<p class="sub">{len(cat.unreadable)} committed records could not be '
                      f"read and are left out: {e('; '.join(cat.unreadable[:10]))}"
                      f"{' ...' if len(cat.unreadable) > 10 else ''}. Run aireg validate.</p>")
    body = (
        f"<h1>AI tools at {e(cat.organization)}</h1>"
        f'<p class="sub">Every AI tool a team has chosen or is evaluating, and where it stands '
        f"in the six steps. {usable} approved for use: see "
        f'<a href="can-i-use.html">Can I use it?</a> for the data each may see.</p>'
        + unreadable + _filters(cat)
        + '<div class="wrap"><table id="tools"><thead><tr>'
        + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>"
        + "".join(rows) + "</tbody></table></div>"
    )
    return page(cat, path, "Catalog", body, script=True)


def can_i_use_page(cat: Catalog) -> str:
    path = "can-i-use.html"
    rows = []
    for t in cat.usable:
        assert t.review is not None
        conds = ("<ul>" + "".join(f"<li>{e(c)}</li>" for c in t.review.conditions) + "</ul>"
                 if t.review.conditions else "none")
        rows.append(
            f"<tr{_row_attrs(t)}><td>{_link(path, t.page, t.name)}<br><small>{e(t.vendor)}"
            f"</small></td><td>{_link(path, t.department_page, t.department)}</td>"
            f"<td>{_chips(t.review.data) or 'none named'}</td><td>{conds}</td>"
            f"<td>{e(t.review.by)}<br><small>{e(t.review.date)}</small></td></tr>")
    stale = [f"<li>{_link(path, t.page, t.name)} ({e(t.department)}): "
             + ("its facts changed after the approval, so it is back in the security review."
                if t.review and t.review.decision == "approved"
                else "deployed without a recorded approval.") + "</li>"
             for t in cat.stale]
    body = (
        "<h1>Can I use it?</h1>"
        '<p class="sub">The tools the security review approved, and that are deployed: each '
        "may be used for the data classes listed, under the conditions listed. Data of a "
        "class not listed must not go into the tool. A tool you need is not here? Ask its "
        "owner, or propose it with <code>aireg propose</code>.</p>"
        + _filters(cat, stages=False)
        + '<div class="wrap"><table id="usable"><thead><tr><th>tool</th><th>department</th>'
        "<th>approved for data</th><th>conditions</th><th>approved by</th></tr></thead><tbody>"
        + ("".join(rows) or '<tr><td colspan="5">No tool is approved yet.</td></tr>')
        + "</tbody></table></div>"
        + ("<h2>Not usable until reviewed again</h2><ul>" + "".join(stale) + "</ul>"
           if stale else "")
    )
    return page(cat, path, "Can I use it?", body, script=True)


MAX_OVERLAP_TOOLS = 12  # tools named in an overlap on a tool's page; all on the overlaps page


def _overlap_item(path: str, cat: Catalog, o: Mapping[str, Any], limit: int | None = None
                  ) -> str:
    links = []
    members = list(o.get("tools", ()))
    for m in members[:limit]:
        t = cat.tool(str(m.get("id", "")))
        name = f"{m.get('name') or m.get('id')} ({m.get('department')}, {m.get('stage')})"
        links.append(f"<li>{_link(path, t.page, name) if t else e(name)}</li>")
    if limit is not None and len(members) > limit:
        links.append(f"<li>{_link(path, 'overlaps.html', f'and {len(members) - limit} more')}"
                     "</li>")
    return (f'<li><span class="kind">{e(KIND_TITLES.get(str(o.get("kind")), o.get("kind")))}'
            f'</span><strong>{e(o.get("label"))}</strong><br>{e(o.get("sentence"))}'
            f'<ul class="chips">{"".join(links)}</ul></li>')


def overlaps_page(cat: Catalog) -> str:
    path = "overlaps.html"
    parts = ["<h1>Teams that should talk</h1>",
             '<p class="sub">Departments that chose the same product, the same vendor or tools '
             "with a similar purpose, as the Chief AI Officer's report finds them. Nobody "
             "decides for another team; these teams can share reviews, pilots and what they "
             "learned.</p>"]
    if not cat.overlaps:
        parts.append("<p>No two departments share a product, a vendor or a similar purpose."
                     "</p>")
    for kind, title in KIND_TITLES.items():
        group = [o for o in cat.overlaps if o.get("kind") == kind]
        if group:
            parts.append(f"<h2>{e(title)} ({len(group)})</h2><ul class=\"overlaps\">"
                         + "".join(_overlap_item(path, cat, o) for o in group) + "</ul>")
    return page(cat, path, "Teams that should talk", "".join(parts))


def departments_page(cat: Catalog) -> str:
    path = "departments/index.html"
    items = "".join(
        f"<li>{_link(path, d.page, d.name)}<br><small>{_count(d, cat)}</small></li>"
        for d in cat.departments)
    body = (f"<h1>Departments</h1><p class=\"sub\">Each department chooses its own tools.</p>"
            f'<ul class="cards">{items}</ul>')
    return page(cat, path, "Departments", body)


def _count(d: Department, cat: Catalog) -> str:
    usable = sum(1 for i in d.tools if (t := cat.tool(i)) and t.usable)
    return (f"{len(d.tools)} tool{'' if len(d.tools) == 1 else 's'}, {usable} approved "
            "for use")


def department_page(cat: Catalog, d: Department, tools: Mapping[str, Tool]) -> str:
    path = d.page
    rows = []
    for tid in d.tools:
        t = tools[tid]
        rows.append(f"<tr><td>{_link(path, t.page, t.name)}</td><td>{e(t.vendor)}</td>"
                    f"<td>{_stage(t.stage)}</td><td>{e(t.owner)}</td><td>{_chips(t.data)}</td>"
                    f"<td>{_review_badge(t)}</td></tr>")
    members = (f"<p>Members who may change its tools: {e(', '.join(d.members))}.</p>"
               if d.members else "")
    note = "" if d.configured else ('<p class="sub">This department is not in aireg.yaml; '
                                    "its records name it.</p>")
    usable = (f' (<a href="../can-i-use.html#dep={e(_token(d.name))}">which, and for what '
              "data</a>)" if any(tools[i].usable for i in d.tools) else "")
    body = (f"<h1>{e(d.name)}</h1>{note}<p class=\"sub\">{_count(d, cat)}{usable}.</p>"
            f"{members}"
            + ('<div class="wrap"><table><thead><tr><th>tool</th><th>vendor</th><th>stage</th>'
               "<th>owner</th><th>data classes</th><th>review</th></tr></thead><tbody>"
               + "".join(rows) + "</tbody></table></div>" if rows
               else "<p>No tools yet.</p>"))
    return page(cat, path, d.name, body)


def _value(v: Any) -> str:
    """Any value a record holds, shown as text (lists and mappings as nested lists)."""
    if isinstance(v, Mapping):
        return "<dl class=\"facts\">" + "".join(
            f"<dt>{e(k)}</dt><dd>{_value(x)}</dd>" for k, x in v.items()) + "</dl>"
    if isinstance(v, list):
        if all(not isinstance(x, Mapping | list) for x in v):
            return e(", ".join("" if x is None else str(x) for x in v)) or "none"
        return "<ul>" + "".join(f"<li>{_value(x)}</li>" for x in v) + "</ul>"
    if isinstance(v, bool):
        return "yes" if v else "no"
    return e(v)


def _facts(pairs: Iterable[tuple[str, Any]]) -> str:
    rows = "".join(f"<dt>{e(k)}</dt><dd>{_value(v)}</dd>" for k, v in pairs
                   if v is not None and v != "")
    return f'<dl class="facts">{rows}</dl>' if rows else "<p>Not recorded yet.</p>"


def _m(v: object) -> Mapping[str, Any]:
    return v if isinstance(v, Mapping) else {}


def _table(head: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return ('<div class="wrap"><table><thead><tr>' + "".join(f"<th>{h}</th>" for h in head)
            + f"</tr></thead><tbody>{body}</tbody></table></div>")


_SHOWN = {"schema", "id", "name", "vendor", "url", "department", "owner", "stage", "created",
          "risk", "purpose", "users", "pilot", "security", "impact", "reassessments",
          "retired", "rejected"}


def tool_page(cat: Catalog, t: Tool) -> str:
    path = t.page
    r = t.record
    purpose, pilot, sec = _m(r.get("purpose")), _m(r.get("pilot")), _m(r.get("security"))
    review = _m(sec.get("review"))
    if t.usable:
        assert t.review is not None
        data = (", ".join(t.review.data[:-1]) + " and " + t.review.data[-1]
                if len(t.review.data) > 1 else "".join(t.review.data))
        verdict = ('<div class="verdict ok"><strong>You may use it</strong> for '
                   + (e(data) + " data" if data else "the data the review names")
                   + (", under these conditions: " + e("; ".join(t.review.conditions))
                      if t.review.conditions else ", with no conditions")
                   + ".</div>")
    else:
        why = ("its approval is out of date: its facts changed after the review"
               if t.stage in ("impact", "active") and t.review and t.review.decision == "approved"
               else f"it is in {STAGE_TITLES.get(t.stage, t.stage)}, not approved and deployed")
        verdict = f'<div class="verdict"><strong>Not approved for use</strong>: {e(why)}.</div>'
    rows = [("id", e(t.id)), ("vendor", e(t.vendor)), ("website", _url(t.url)),
            ("department", _link(path, t.department_page, t.department)),
            ("owner", e(t.owner)), ("stage", _stage(t.stage)), ("risk", e(t.risk)),
            ("created", e(t.created))]
    head = '<dl class="facts">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows
                                          if v) + "</dl>"
    parts = [f"<h1>{e(t.name)}</h1>", head, verdict]
    parts += ["<h2>1 Purpose</h2>", _facts([
        ("problem", purpose.get("problem")), ("goal", purpose.get("goal")),
        ("success criteria", purpose.get("success_criteria")),
        ("defined with", purpose.get("defined_with"))])]
    users = r.get("users")
    parts.append("<h2>2 Users</h2>")
    if isinstance(users, list) and users:
        parts.append(_table(["group", "count", "needs"], [
            [e(_m(u).get("group")), e(_m(u).get("count")), _value(_m(u).get("needs"))]
            for u in users]))
    else:
        parts.append("<p>Not recorded yet.</p>")
    parts += ["<h2>3 Pilot</h2>", _facts([
        ("dates", f"{pilot.get('start') or '?'} to {pilot.get('end') or '?'}" if pilot else None),
        ("participants", pilot.get("participants")), ("data", pilot.get("data")),
        ("result", pilot.get("result")), ("findings", pilot.get("findings"))])]
    parts += ["<h2>4 Security review</h2>", _facts(
        [(k.replace("_", " "), v) for k, v in sec.items() if k != "review"])]
    if review:
        parts.append("<h3>Decision</h3>" + _facts([
            ("decision", review.get("decision")), ("by", review.get("by")),
            ("date", review.get("date")), ("conditions", review.get("conditions")),
            ("note", review.get("note")),
            ("bound to the facts", "yes" if t.review and t.review.current
             else "no: the facts changed after this review"),
            ("signed", "yes" if review.get("signature") else None)]))
    impact = r.get("impact")
    parts.append("<h2>5 Impact</h2>")
    if isinstance(impact, list) and impact:
        parts.append(_table(["metric", "baseline", "current", "unit", "measured"], [
            [e(_m(m).get("metric")), e(_m(m).get("baseline")), e(_m(m).get("current")),
             e(_m(m).get("unit")), e(_m(m).get("measured"))] for m in impact]))
    else:
        parts.append("<p>No measurement yet.</p>")
    reass = r.get("reassessments")
    parts.append("<h2>6 Reassessments</h2>")
    if isinstance(reass, list) and reass:
        parts.append(_table(["date", "by", "outcome", "alternatives", "note"], [
            [e(_m(x).get("date")), e(_m(x).get("by")), e(_m(x).get("outcome")),
             _value(_m(x).get("alternatives")), e(_m(x).get("note"))] for x in reass]))
    else:
        parts.append("<p>None yet.</p>")
    for exit_ in ("rejected", "retired"):
        if r.get(exit_) is not None:
            parts += [f"<h2>{exit_.title()}</h2>", _value(r.get(exit_))]
    other = [(k, v) for k, v in r.items() if k not in _SHOWN]
    if other:
        parts += ["<h2>Other fields</h2>", _facts(other)]
    if t.overlaps:
        parts += ["<h2>Teams that should talk</h2>", '<ul class="overlaps">'
                  + "".join(_overlap_item(path, cat, cat.overlaps[n], MAX_OVERLAP_TOOLS)
                            for n in t.overlaps)
                  + "</ul>"]
    parts.append("<h2>Timeline</h2>")
    if t.steps:
        parts.append(_table(["date", "person", "action", "stage", "decision", "commit"], [
            [e(str(s.get("date", ""))[:10]), e(s.get("person")), e(s.get("action")),
             (e(f"{s.get('stage_from')} → {s.get('stage_to')}") if s.get("stage_from")
              else e(f"new, in {s.get('stage_to')}")) if s.get("stage_to") else "",
             e(s.get("decision") or ""),
             f"<code>{e(str(s.get('commit', ''))[:12])}</code> {e(s.get('subject'))}"]
            for s in t.steps]))
        parts.append('<p class="sub">From the aireg commits in the registry\'s history. '
                     f"<code>aireg log {e(t.id)}</code> lists every commit, with review "
                     "signatures verified.</p>")
    else:
        parts.append("<p>No aireg commit names this tool.</p>")
    return page(cat, path, t.name, "".join(parts))


def render_pages(cat: Catalog) -> dict[str, str]:
    """Every page but the tools' own: {path relative to the site's root: HTML}."""
    tools = {t.id: t for t in cat.tools}
    out = {"index.html": index_page(cat), "can-i-use.html": can_i_use_page(cat),
           "overlaps.html": overlaps_page(cat), "departments/index.html": departments_page(cat)}
    for d in cat.departments:
        out[d.page] = department_page(cat, d, tools)
    return out


def render_tool(cat: Catalog, t: Tool) -> tuple[str, str]:
    """One tool's page: (its path, its HTML)."""
    return t.page, tool_page(cat, t)


def render(cat: Catalog) -> dict[str, str]:
    """Every page of the site, tools' pages included: {path: HTML}."""
    out = render_pages(cat)
    out.update(render_tool(cat, t) for t in cat.tools)
    return out
