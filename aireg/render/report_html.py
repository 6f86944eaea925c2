"""The CAIO's report as ONE self-contained HTML page: inline CSS, inline SVG charts, no script.

Nothing is fetched: no fonts, images, scripts or styles from anywhere, and a Content Security
Policy says so to the browser too. Every text that comes from the registry goes through
`e()` (html.escape), in element content and attributes alike, and never into a style, URL
or script; each chart has a title and description for screen readers and a table beside it
with the same numbers, so nothing is shown only as a colour or a length.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from aireg.records import Stage

STAGE_TITLES = {s.value: f"{s.step} {s.value.title()}" if s.step else s.value.title()
                for s in Stage}
KIND_TITLES = {"product": "Same product", "vendor": "Same vendor", "purpose": "Similar purpose"}
# Tableau 10: distinguishable for most colour-vision deficiencies; each with a text colour
# that keeps a count readable on it.
PALETTE = (
    ("#4e79a7", "#fff"), ("#f28e2b", "#000"), ("#e15759", "#fff"), ("#76b7b2", "#000"),
    ("#59a14f", "#fff"), ("#edc948", "#000"), ("#b07aa1", "#fff"), ("#ff9da7", "#000"),
    ("#9c755f", "#fff"), ("#bab0ac", "#000"),
)
OTHER = ("#d5d8dc", "#000")
MAX_LEGEND = 9  # departments named in the funnel chart; the rest are "other departments"
MAX_IMPACT_BARS = 30
MAX_CHIPS = 16
MAX_CARDS = 8  # overlaps per kind shown in full; the rest in a compact table
MAX_ROWS = 25  # rows of each long list shown; the rest folded, or in the JSON

CSS = """
:root { --ink:#1f2933; --muted:#52606d; --line:#d9e2ec; --bg:#f5f7fa; --accent:#2f5d8a;
        --warn:#a61b1b; --ok:#1e6b3a; }
* { box-sizing: border-box; }
body { margin:0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue",
       Arial, sans-serif; color: var(--ink); background: #fff; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 28px 48px; }
header.top { border-bottom: 3px solid var(--accent); margin-bottom: 18px; padding-bottom: 10px; }
h1 { font-size: 28px; margin: 0 0 4px; }
h2 { font-size: 21px; margin: 34px 0 6px; padding-top: 6px; border-top: 1px solid var(--line); }
h3 { font-size: 16px; margin: 18px 0 6px; }
p.sub, p.note, figcaption { color: var(--muted); margin: 4px 0 10px; }
nav ul { list-style: none; padding: 0; margin: 8px 0 0; display: flex; flex-wrap: wrap;
         gap: 6px 16px; }
nav a { color: var(--accent); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 12px;
         margin: 16px 0 8px; padding: 0; }
.card { background: var(--bg); border: 1px solid var(--line); border-radius: 8px;
        padding: 10px 14px; margin: 0; }
.card dt { color: var(--muted); font-size: 13px; }
.card dd { margin: 0; font-size: 26px; font-weight: 700; }
.card dd small { display: block; font-size: 12px; font-weight: 400; color: var(--muted); }
.card.alert dd { color: var(--warn); }
figure { margin: 10px 0 14px; }
svg { max-width: 100%; height: auto; display: block; }
svg text { font-family: inherit; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; font-size: 14px; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left;
         vertical-align: top; }
th { background: var(--bg); font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.zero { color: #9aa5b1; }
tr.total td, tr.total th { font-weight: 700; border-top: 2px solid var(--ink); }
.bar { display: inline-block; height: 10px; background: var(--accent); border-radius: 2px;
       vertical-align: middle; margin-right: 6px; }
.overdue { color: var(--warn); font-weight: 600; }
section.loud { border: 2px solid var(--warn); border-radius: 8px; padding: 0 16px 8px;
               margin-top: 24px; background: #fff5f5; }
section.loud h2 { color: var(--warn); border-top: 0; margin-top: 14px; }
section.loud tr > :last-child { white-space: nowrap; }
.tag { display: inline-block; font-size: 12px; padding: 0 6px; border-radius: 8px;
       background: var(--bg); border: 1px solid var(--line); white-space: nowrap; }
.tag.high { background: #fde2e2; border-color: #f5a3a3; color: var(--warn); font-weight: 600; }
ul.overlaps { list-style: none; padding: 0; margin: 0; }
ul.overlaps li { border: 1px solid var(--line); border-left: 5px solid var(--accent);
                 border-radius: 6px; padding: 8px 12px; margin: 8px 0; }
ul.overlaps li.vendor { border-left-color: #f28e2b; }
ul.overlaps li.purpose { border-left-color: #59a14f; }
.kind { display: inline-block; font-size: 12px; text-transform: uppercase; letter-spacing: .04em;
        color: var(--muted); margin-right: 6px; }
.chips { margin: 4px 0 0; padding: 0; list-style: none; display: flex; flex-wrap: wrap; gap: 4px; }
.chips li { border: 0 !important; margin: 0 !important; padding: 1px 8px !important;
            background: var(--bg); border-radius: 10px !important; font-size: 13px; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; margin: 6px 0; padding: 0;
          list-style: none; font-size: 13px; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 5px;
          vertical-align: -1px; border: 1px solid rgba(0,0,0,.2); }
footer { color: var(--muted); font-size: 13px; margin-top: 36px; border-top: 1px solid var(--line);
         padding-top: 8px; }
.scroll { overflow-x: auto; }
main { overflow-wrap: anywhere; }  /* long ids, names and addresses wrap: nothing widens the page */
details.rest summary { cursor: pointer; color: var(--accent); margin: 4px 0 12px; }
@media print {
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  nav { display: none; }
  h2 { break-after: avoid; }
  figure, tr, ul.overlaps li, .card { break-inside: avoid; }
  .scroll { overflow: visible; }
}
"""


def e(value: object) -> str:
    """Any value as HTML text: the one way registry text reaches the page."""
    return html.escape("" if value is None else str(value), quote=True)


def _num(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return "" if value is None else str(value)


def _f(x: float) -> str:
    """A coordinate for SVG: short, and never more digits than a pixel needs."""
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]], caption: str,
           numeric: Iterable[int] = (), row_header: bool = True,
           classes: Sequence[str] | None = None) -> str:
    num = set(numeric)
    head = "".join(f'<th scope="col"{" class=n" if i in num else ""}>{e(h)}</th>'
                   for i, h in enumerate(headers))
    body = []
    for r_i, row in enumerate(rows):
        cells = []
        for i, c in enumerate(row):
            cls = "n" if i in num else ""
            if i in num and c in (0, "0", ""):
                cls += " zero"
            attr = f' class="{cls.strip()}"' if cls.strip() else ""
            if i == 0 and row_header:
                cells.append(f'<th scope="row"{attr}>{c}</th>')
            else:
                cells.append(f"<td{attr}>{c}</td>")
        tr_cls = f' class="{classes[r_i]}"' if classes and classes[r_i] else ""
        body.append(f"<tr{tr_cls}>{''.join(cells)}</tr>")
    return (f'<div class="scroll"><table><caption>{e(caption)}</caption><thead><tr>{head}'
            f"</tr></thead><tbody>{''.join(body)}</tbody></table></div>")


# -- charts ----------------------------------------------------------------------------------


def _colours(departments: Sequence[str], totals: Mapping[str, int]) -> dict[str, tuple[str, str]]:
    ranked = sorted((d for d in departments if totals.get(d)), key=lambda d: (-totals[d], d))
    named = ranked if len(ranked) <= MAX_LEGEND + 1 else ranked[:MAX_LEGEND]
    out = {d: PALETTE[i % len(PALETTE)] for i, d in enumerate(named)}
    for d in ranked[len(named):]:
        out[d] = OTHER
    return out


def funnel_svg(f: Mapping[str, Any]) -> str:
    """Horizontal stacked bars: one per stage, one segment per department."""
    stages, deps = f["stages"], f["departments"]
    totals, by_stage = f["by_department"], f["by_stage"]
    colours = _colours(deps, totals)
    named = [d for d in sorted(colours, key=lambda d: (-totals[d], d)) if colours[d] != OTHER]
    others = [d for d in deps if colours.get(d) == OTHER]
    left, width, row, bar_h = 120, 720, 34, 22
    top = 10
    biggest = max([by_stage[s] for s in stages] + [1])
    parts: list[str] = []
    y = top
    for s in stages:
        if s == "rejected":
            y += 12  # the exits are not steps of the funnel: set them apart
        label = STAGE_TITLES.get(s, s)
        parts.append(f'<text x="{left - 10}" y="{_f(y + bar_h / 2 + 5)}" text-anchor="end" '
                     f'font-size="14" fill="#1f2933">{e(label)}</text>')
        x = float(left)
        segments = [(d, f["counts"][d][s]) for d in named] + [
            ("other departments", sum(f["counts"][d][s] for d in others))]
        for dep, n in segments:
            if not n:
                continue
            w = width * n / biggest
            fill, ink = colours.get(dep, OTHER)
            parts.append(f'<rect x="{_f(x)}" y="{y}" width="{_f(max(w, 1))}" height="{bar_h}" '
                         f'fill="{fill}"><title>{e(dep)}: {n} in {e(s)}</title></rect>')
            if w >= 10 * len(str(n)) + 6:
                parts.append(f'<text x="{_f(x + w / 2)}" y="{_f(y + bar_h / 2 + 5)}" '
                             f'text-anchor="middle" font-size="12" fill="{ink}">{n}</text>')
            x += w
        parts.append(f'<text x="{_f(x + 8)}" y="{_f(y + bar_h / 2 + 5)}" font-size="14" '
                     f'font-weight="700" fill="#1f2933">{by_stage[s]}</text>')
        y += row
    height = y + 4
    desc = "; ".join(f"{STAGE_TITLES.get(s, s)}: {by_stage[s]}" for s in stages)
    svg = (f'<svg viewBox="0 0 {left + width + 60} {height}" '
           f'role="img" aria-labelledby="funnel-t funnel-d" width="{left + width + 60}" '
           f'height="{height}"><title id="funnel-t">Tools per stage, by department</title>'
           f'<desc id="funnel-d">{e(desc)}. The table below gives each department.</desc>'
           f'{"".join(parts)}</svg>')
    legend = [f'<li><span class="swatch" style="background:{colours[d][0]}"></span>{e(d)} '
              f"({totals[d]})</li>" for d in named]
    if others:
        n_other = sum(totals[d] for d in others)
        legend.append(f'<li><span class="swatch" style="background:{OTHER[0]}"></span>'
                      f"{len(others)} other departments ({n_other})</li>")
    return svg + f'<ul class="legend" aria-label="Departments">{"".join(legend)}</ul>'


def impact_svg(tools: Sequence[Mapping[str, Any]]) -> str:
    """Paired bars per metric: the baseline (grey) and the latest measurement (blue), each
    metric on its own scale, since hours and tickets do not share an axis."""
    rows = [(t, m) for t in tools for m in t["metrics"]
            if isinstance(m["baseline"], int | float) and isinstance(m["current"], int | float)
            and not isinstance(m["baseline"], bool) and not isinstance(m["current"], bool)]
    if not rows:
        return ""
    shown = rows[:MAX_IMPACT_BARS]
    left, width, group = 300, 440, 46
    parts: list[str] = []
    y = 8
    for t, m in shown:
        base, cur = float(m["baseline"]), float(m["current"])
        scale = max(abs(base), abs(cur)) or 1.0
        label = f"{t['id']} · {m['metric']}"
        short = label if len(label) <= 42 else label[:41] + "…"
        parts.append(f'<text x="{left - 10}" y="{y + 16}" text-anchor="end" font-size="13" '
                     f'fill="#1f2933"><title>{e(label)}</title>{e(short)}</text>')
        parts.append(f'<text x="{left - 10}" y="{y + 32}" text-anchor="end" font-size="11" '
                     f'fill="#52606d">{e(t["department"])}</text>')
        for k, (val, fill, word) in enumerate(((base, "#9aa5b1", "baseline"),
                                              (cur, "#2f5d8a", "current"))):
            w = width * abs(val) / scale
            by = y + 4 + k * 18
            unit = f" {m['unit']}" if m["unit"] else ""
            parts.append(f'<rect x="{left}" y="{by}" width="{_f(max(w, 1))}" height="15" '
                         f'fill="{fill}"><title>{word}: {e(_num(val))}{e(unit)}</title></rect>')
            parts.append(f'<text x="{_f(left + max(w, 1) + 6)}" y="{by + 12}" font-size="12" '
                         f'fill="#1f2933">{e(_num(val))}{e(unit)}</text>')
        if m["change_pct"] is not None:
            parts.append(f'<text x="{left + width + 190}" y="{y + 24}" text-anchor="end" '
                         f'font-size="14" font-weight="700" fill="#1f2933">'
                         f'{m["change_pct"]:+g}%</text>')
        y += group
    height = y + 4
    desc = "; ".join(f"{t['id']} {m['metric']}: baseline {_num(m['baseline'])}, current "
                     f"{_num(m['current'])} {m['unit']}" for t, m in shown)
    svg = (f'<svg viewBox="0 0 {left + width + 200} '
           f'{height}" width="{left + width + 200}" height="{height}" role="img" '
           f'aria-labelledby="impact-t impact-d"><title id="impact-t">Impact: baseline against '
           f'current, per metric</title><desc id="impact-d">{e(desc)}</desc>{"".join(parts)}'
           "</svg>")
    legend = ('<ul class="legend"><li><span class="swatch" style="background:#9aa5b1"></span>'
              'baseline</li><li><span class="swatch" style="background:#2f5d8a"></span>latest '
              "measurement</li><li>each metric on its own scale; the right column is the "
              "change</li></ul>")
    more = (f'<p class="note">The first {MAX_IMPACT_BARS} of {len(rows)} metrics are drawn; '
            "the table has them all.</p>" if len(rows) > MAX_IMPACT_BARS else "")
    return svg + legend + more


def stage_time_svg(times: Sequence[Mapping[str, Any]]) -> str:
    """Median days in each stage (tools that left it) beside the longest current stay."""
    left, width, group = 120, 640, 44
    biggest = max([t["median_days"] or 0 for t in times]
                  + [t["current_max_days"] or 0 for t in times] + [1])
    parts: list[str] = []
    y = 8
    for t in times:
        parts.append(f'<text x="{left - 10}" y="{y + 22}" text-anchor="end" font-size="14" '
                     f'fill="#1f2933">{e(STAGE_TITLES.get(t["stage"], t["stage"]))}</text>')
        for k, (val, fill, what) in enumerate((
                (t["median_days"], "#2f5d8a", f"median of {t['completed']} that left"),
                (t["current_max_days"], "#f28e2b", f"longest of {t['current']} still in it"))):
            by = y + 4 + k * 18
            if val is None:
                parts.append(f'<text x="{left}" y="{by + 12}" font-size="11" fill="#52606d">'
                             f"no tool {'has left' if k == 0 else 'is in'} this stage</text>")
                continue
            w = width * val / biggest
            parts.append(f'<rect x="{left}" y="{by}" width="{_f(max(w, 1))}" height="15" '
                         f'fill="{fill}"><title>{e(what)}: {_num(val)} days</title></rect>')
            parts.append(f'<text x="{_f(left + max(w, 1) + 6)}" y="{by + 12}" font-size="12" '
                         f'fill="#1f2933">{_num(val)} d · {e(what)}</text>')
        y += group
    desc = "; ".join(f"{t['stage']}: median {_num(t['median_days'])} days, longest current "
                     f"{_num(t['current_max_days'])} days" for t in times)
    svg = (f'<svg viewBox="0 0 {left + width + 260} {y + 4}" '
           f'width="{left + width + 260}" height="{y + 4}" role="img" '
           f'aria-labelledby="times-t times-d"><title id="times-t">Days spent in each '
           f'stage</title><desc id="times-d">{e(desc)}</desc>{"".join(parts)}</svg>')
    legend = ('<ul class="legend"><li><span class="swatch" style="background:#2f5d8a"></span>'
              'median days of the tools that moved on</li><li><span class="swatch" '
              'style="background:#f28e2b"></span>longest stay so far of a tool still in the '
              "stage</li></ul>")
    return svg + legend


# -- sections --------------------------------------------------------------------------------


def _chips(tools: Sequence[Mapping[str, Any]], kind: str) -> str:
    # A product overlap's tools share the name: the department and stage say who is where.
    def chip(t: Mapping[str, Any]) -> str:
        name = "" if kind == "product" else f": {e(t['name'])}"
        return (f'<li title="{e(t["id"])}"><strong>{e(t["department"])}</strong>{name} · '
                f"{e(t['stage'])}</li>")

    items = [chip(t) for t in tools[:MAX_CHIPS]]
    if len(tools) > MAX_CHIPS:
        items.append(f"<li>and {len(tools) - MAX_CHIPS} more (in the JSON report)</li>")
    return f'<ul class="chips" aria-label="Tools">{"".join(items)}</ul>'


def overlaps_section(overlaps: Sequence[Mapping[str, Any]]) -> str:
    out = ['<section aria-labelledby="overlaps"><h2 id="overlaps">Teams that should talk</h2>',
           '<p class="sub">Tools in different departments with the same product, the same '
           "vendor, or a similar purpose. Nobody has to change anything: these teams would "
           "gain from a conversation. Widest first.</p>"]
    if not overlaps:
        out.append("<p>No two departments share a product, a vendor or a similar purpose.</p>")
    for kind in ("product", "vendor", "purpose"):
        group = [o for o in overlaps if o["kind"] == kind]
        if not group:
            continue
        out.append(f"<h3>{e(KIND_TITLES[kind])} ({len(group)})</h3><ul class=\"overlaps\">")
        for o in group[:MAX_CARDS]:
            sim = (f" · similarity {o['similarity']:.2f}" if o.get("similarity") is not None
                   else "")
            out.append(f'<li class="{e(kind)}"><span class="kind">{e(KIND_TITLES[kind])}'
                       f"{e(sim)}</span><strong>{e(o['label'])}</strong><br>{e(o['sentence'])}"
                       f"{_chips(o['tools'], kind)}</li>")
        out.append("</ul>")
        rest = group[MAX_CARDS:]
        if rest:
            rows = [[e(o["label"]), str(len(o["departments"])),
                     e(", ".join(o["departments"][:20])
                       + (f" and {len(o['departments']) - 20} more"
                          if len(o["departments"]) > 20 else ""))]
                    + ([] if kind == "product" else [e(
                        ", ".join(t["id"] for t in o["tools"][:6])
                        + (f" and {len(o['tools']) - 6} more" if len(o["tools"]) > 6 else ""))])
                    for o in rest]
            out.append(_table([KIND_TITLES[kind].lower().replace("same ", ""), "departments",
                               "which"] + ([] if kind == "product" else ["tools"]), rows,
                              f"{len(rest)} more: {KIND_TITLES[kind].lower()}", numeric=(1,)))
    out.append("</section>")
    return "".join(out)


def funnel_section(d: Mapping[str, Any]) -> str:
    f = d["funnel"]
    stages = f["stages"]
    rows = [[e(dep), *(str(f["counts"][dep][s]) for s in stages), str(f["by_department"][dep])]
            for dep in f["departments"]]
    rows.append(["total", *(str(f["by_stage"][s]) for s in stages), str(d["tools"])])
    classes = [""] * (len(rows) - 1) + ["total"]
    table = _table(["department", *(STAGE_TITLES.get(s, s) for s in stages), "total"], rows,
                   "Tools per department in each stage", numeric=range(1, len(stages) + 2),
                   classes=classes)
    return ('<section aria-labelledby="funnel"><h2 id="funnel">Funnel: tools per stage and '
            'department</h2><p class="sub">Each tool is counted once, in the step it is in now. '
            "Rejected and retired tools have left the funnel.</p>"
            f"<figure>{funnel_svg(f)}</figure>{table}</section>")


def _more(total: int, shown: int, what: str) -> str:
    return (f'<p class="note">and {total - shown} more {what} (all of them are in '
            "<code>aireg report --format json</code>).</p>" if total > shown else "")


def unreviewed_section(rows: Sequence[Mapping[str, Any]]) -> str:
    """Deployed, never reviewed: the loudest list, above everything else."""
    if not rows:
        return ""
    imported = sum(1 for u in rows if u["imported"])
    high = sum(1 for u in rows if u["high_risk"])
    came = f"; {imported} came in deployed with an import" if imported else ""
    first = f"; {high} are high-risk uses and come first" if high else ""
    out = ['<section class="loud" aria-labelledby="unreviewed"><h2 id="unreviewed">'
           f"Deployed, never reviewed: {len(rows)}</h2>"
           '<p class="sub">These tools are in use (impact or active) and no security review '
           f"was ever recorded for them{came}{first}. They are not in "
           "the review queue's wait times: nobody asked for their review yet. The owner adds "
           "the security facts; a security reviewer then reviews the tool where it is "
           "(<code>aireg review --security ID</code>).</p>"]
    table = [[f"<code>{e(u['id'])}</code>", e(u["name"]), e(u["vendor"] or ""),
              e(u["department"]), e(u["owner"]), e(u["stage"]),
              (f'<span class="tag{" high" if u["high_risk"] else ""}">{e(u["risk"])}</span>'
               if u["risk"] else ""),
              "imported" if u["imported"] else "", e(u["known_since"] or "")]
             for u in rows[:MAX_ROWS]]
    out.append(_table(["tool", "name", "vendor", "department", "owner", "stage", "risk",
                       "how it came", "in the registry since"], table,
                      "Deployed tools without an approved security review"))
    out.append(_more(len(rows), MAX_ROWS, "deployed tools without a review"))
    return "".join(out) + "</section>"


def backlog_section(b: Mapping[str, Any]) -> str:
    """Imported records: what evidence they still lack, as a backlog per department."""
    if not b or not b.get("imported"):
        return ""
    out = ['<section aria-labelledby="backlog"><h2 id="backlog">Import backlog: evidence '
           "still missing</h2>",
           f'<p class="sub">{b["imported"]} records came from an inventory import. The '
           "source reported steps as done without the evidence aireg asks for; each record "
           "lists what it lacks (<code>imported.lacks</code>), and <code>aireg due</code> "
           f"chases its owner. {b['lacking']} still lack some of it"
           + (f"; {b['no_created_date']} have no creation date (the source gave none, and "
              "none is made up)" if b.get("no_created_date") else "") + ".</p>"]
    ev = list(b["by_evidence"].items())
    if ev:
        top = max(n for _, n in ev) or 1
        out.append(_table(["evidence", "records lacking it"], [
            [f"<code>{e(k)}</code>", f'<span class="bar" style="width:{_f(120 * n / top)}px" '
             f'aria-hidden="true"></span>{n}'] for k, n in ev],
            "Missing evidence, most common first", numeric=(1,)))
    deps = list(b["by_department"].items())
    if deps:
        out.append(_table(["department", "records with a backlog"],
                          [[e(k), str(n)] for k, n in deps[:MAX_ROWS]],
                          "Per department", numeric=(1,)))
        out.append(_more(len(deps), MAX_ROWS, "departments"))
    return "".join(out) + "</section>"


def risk_section(r: Mapping[str, Any]) -> str:
    if not r or (not r.get("flags") and set(r.get("tiers", {})) <= {"(unclassified)"}):
        return ""
    tiers = ", ".join(f"{e(k)} {n}" for k, n in r["tiers"].items())
    flags = ", ".join(f"{e(k)} {n}" for k, n in r["flags"].items()) or "none"
    roles = ", ".join(f"{e(k)} {n}" for k, n in r.get("roles", {}).items()) or "not stated"
    out = ['<section aria-labelledby="risk"><h2 id="risk">Risk</h2>',
           f'<p class="sub">Tiers: {tiers}. Flags: {flags}. Our role: {roles}. A prohibited '
           "use may not leave purpose; a high-risk use answers the high-risk questions of "
           "aireg.yaml in its security review.</p>"]
    tools = r.get("tools") or []
    if tools:
        rows = [[f"<code>{e(t['id'])}</code>", e(t["name"]), e(t["department"]), e(t["stage"]),
                 f'<span class="tag high">{e(t["risk"])}</span>',
                 "yes" if t["reviewed"] else '<span class="overdue">no</span>']
                for t in tools[:MAX_ROWS]]
        out.append(_table(["tool", "name", "department", "stage", "risk", "reviewed"], rows,
                          "Prohibited and high-risk uses, unreviewed first"))
        out.append(_more(len(tools), MAX_ROWS, "high-risk uses"))
    return "".join(out) + "</section>"


def queue_section(queue: Sequence[Mapping[str, Any]]) -> str:
    out = ['<section aria-labelledby="queue"><h2 id="queue">Security review queue</h2>',
           '<p class="sub">Tools in the security step (their pilot passed; they wait for the '
           "CTO), and deployed tools whose approval no longer covers their facts; longest wait "
           "first, counted from the commit by which the registry learned each entered the "
           "step, never from a date in an imported inventory.</p>"]
    if not queue:
        return "".join(out) + "<p>No tool is waiting for the security review.</p></section>"
    longest = max(q["days_waiting"] for q in queue) or 1
    rows = [[f"<code>{e(q['id'])}</code>", e(q["name"]), e(q["vendor"]), e(q["department"]),
             e(q["owner"]), e(q["waiting_since"]),
             f'<span class="bar" style="width:{_f(80 * q["days_waiting"] / longest)}px" '
             f'aria-hidden="true"></span>{q["days_waiting"]}',
             e(", ".join(q["data"] or [])), e(q["last_decision"] or "")] for q in queue]
    head = ["tool", "name", "vendor", "department", "owner", "waiting since", "days waiting",
            "data it will see", "last decision"]
    out.append(_table(head, rows[:MAX_ROWS],
                      f"{len(queue)} tool{'' if len(queue) == 1 else 's'} waiting for the "
                      "security review" + (f", the {MAX_ROWS} longest waits shown"
                                           if len(rows) > MAX_ROWS else ""), numeric=(6,)))
    out.append(_rest(head, rows, "aireg review --security", numeric=(6,)))
    return "".join(out) + "</section>"


def _rest(head: Sequence[str], rows: Sequence[Sequence[object]], command: str,
          numeric: Iterable[int] = ()) -> str:
    """The rows past MAX_ROWS, folded under a summary that names the full list's command."""
    if len(rows) <= MAX_ROWS:
        return ""
    more = len(rows) - MAX_ROWS
    return (f'<details class="rest"><summary>Show the other {more} (the full list: '
            f"<code>{e(command)}</code>)</summary>"
            + _table(head, rows[MAX_ROWS:], f"The other {more}", numeric=numeric)
            + "</details>")


def due_section(due: Sequence[Mapping[str, Any]]) -> str:
    out = ['<section aria-labelledby="due"><h2 id="due">Overdue and upcoming work</h2>',
           '<p class="sub">Impact measurements and periodic reassessments that are overdue or '
           "due within 30 days, as the policy in aireg.yaml sets them.</p>"]
    if not due:
        return "".join(out) + "<p>Nothing is overdue or due within 30 days.</p></section>"
    rows = [[f"<code>{e(i['tool'])}</code>", e(i["owner"]), e(i["department"]),
             "measure impact" if i["kind"] == "measure" else "reassess", e(i["due"]),
             f'<span class="overdue">OVERDUE by {-i["days"]} days</span>' if i["overdue"]
             else f"in {i['days']} days"] for i in due]
    head = ["tool", "owner", "department", "work", "due", "status"]
    out.append(_table(head, rows[:MAX_ROWS], "Work due, soonest first"
                      + (f": the first {MAX_ROWS} of {len(rows)}" if len(rows) > MAX_ROWS
                         else "")))
    out.append(_rest(head, rows, "aireg due"))
    return "".join(out) + "</section>"


def impact_section(imp: Mapping[str, Any]) -> str:
    tools, deps = imp["tools"], imp["departments"]
    out = ['<section aria-labelledby="impact"><h2 id="impact">Impact: baseline against '
           'current</h2><p class="sub">What each measured tool changed, by its owner\'s own '
           "metric (the latest measurement of each).</p>"]
    if tools:
        out.append(f"<figure>{impact_svg(tools)}</figure>")
        rows = [[f"<code>{e(t['id'])}</code>", e(t["department"]), e(t["stage"]),
                 e(m["metric"]), e(_num(m["baseline"])), e(_num(m["current"])), e(m["unit"]),
                 "" if m["change_pct"] is None else f"{m['change_pct']:+g}%", e(m["measured"])]
                for t in tools for m in t["metrics"]]
        out.append(_table(["tool", "department", "stage", "metric", "baseline", "current",
                           "unit", "change", "measured"], rows, "Every metric, per tool",
                          numeric=(4, 5, 7)))
    else:
        out.append("<p>No tool has an impact measurement yet.</p>")
    if deps:
        rows = [[e(x["department"]), str(x["deployed"]), str(x["measured"]), str(x["metrics"]),
                 e(", ".join(x["unmeasured"][:12])
                   + (f" and {len(x['unmeasured']) - 12} more" if len(x["unmeasured"]) > 12
                      else ""))] for x in deps]
        out.append(_table(["department", "deployed", "measured", "metrics",
                           "deployed, not measured yet"], rows,
                          "Per department: deployed tools (impact or active) with a measurement",
                          numeric=(1, 2, 3)))
    return "".join(out) + "</section>"


def times_section(times: Sequence[Mapping[str, Any]]) -> str:
    rows = [[e(STAGE_TITLES.get(t["stage"], t["stage"])), str(t["completed"]),
             _num(t["median_days"]), _num(t["mean_days"]), _num(t["max_days"]),
             str(t["current"]), _num(t["current_max_days"])] for t in times]
    return ('<section aria-labelledby="times"><h2 id="times">Time spent in each stage</h2>'
            '<p class="sub">From the stage changes recorded in git: how long tools took to '
            "leave each step, and the longest any tool has been in it so far.</p>"
            f"<figure>{stage_time_svg(times)}</figure>"
            + _table(["stage", "left it", "median days", "mean days", "longest", "still in it",
                      "longest so far"], rows, "Days in each stage", numeric=range(1, 7))
            + "</section>")


def render(d: Mapping[str, Any]) -> str:
    org = d["organization"] or "the organization"
    queue, due, overlaps = d["security_queue"], d["due"], d["overlaps"]
    overdue = [i for i in due if i["overdue"]]
    active_deps = sum(1 for v in d["funnel"]["by_department"].values() if v)
    head = f" · registry at commit <code>{e(d['head'][:12])}</code>" if d.get("head") else ""
    unreadable = (f'<p class="overdue">{len(d["unreadable"])} records could not be read and '
                  f"are left out ({e(', '.join(d['unreadable']))}); run <code>aireg "
                  "validate</code>.</p>" if d["unreadable"] else "")
    cards = [
        ("tools", d["tools"], f"in {active_deps} departments", False),
        ("overlaps", len(overlaps), "teams that should talk", False),
        ("waiting for review", len(queue),
         f"longest {queue[0]['days_waiting']} days" if queue else "queue empty", False),
        ("overdue work", len(overdue), f"{len(due) - len(overdue)} more due in 30 days",
         bool(overdue)),
        ("deployed, never reviewed", len(d.get("unreviewed", [])),
         "no security review on record", bool(d.get("unreviewed"))),
        *((("import backlog", (d.get("backlog") or {}).get("lacking", 0),
             "imported records lacking evidence", False),)
          if (d.get("backlog") or {}).get("imported") else ()),
        ("deployed", sum(d["funnel"]["by_stage"].get(s, 0) for s in ("impact", "active")),
         "in impact or active", False),
    ]
    card_html = "".join(
        f'<div class="card{" alert" if alert else ""}"><dt>{e(k)}</dt><dd>{e(v)}'
        f"<small>{e(sub)}</small></dd></div>" for k, v, sub, alert in cards)
    nav = ("<nav aria-label=\"Sections\"><ul>"
           + "".join(f'<li><a href="#{i}">{t}</a></li>' for i, t in (
               *((("unreviewed", "Deployed, never reviewed"),) if d.get("unreviewed") else ()),
               *((("backlog", "Import backlog"),) if (d.get("backlog") or {}).get("imported")
                 else ()),
               ("overlaps", "Teams that should talk"), ("funnel", "Funnel"),
               ("queue", "Security queue"), ("due", "Overdue work"), ("impact", "Impact"),
               ("times", "Time in stage")))
           + "</ul></nav>")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; img-src data:\">"
        f"<title>AI tools at {e(org)}: report of {e(d['generated'])}</title>"
        f"<style>{CSS}</style></head><body><main>"
        f'<header class="top"><h1>AI tools at {e(org)}</h1>'
        f'<p class="sub">Report of {e(d["generated"])}{head} · made by <code>aireg report'
        "</code>; the Chief AI Officer's view: who should talk to whom, and where work "
        f"waits.</p>{nav}</header>{unreadable}"
        f'<dl class="cards">{card_html}</dl>'
        + unreviewed_section(d.get("unreviewed", []))
        + overlaps_section(overlaps)
        + funnel_section(d)
        + queue_section(queue)
        + backlog_section(d.get("backlog") or {})
        + risk_section(d.get("risk") or {})
        + due_section(due)
        + impact_section(d["impact"])
        + times_section(d["stage_times"])
        + "<footer>Every number on this page comes from the registry's files and its git "
        "history; <code>aireg report --format json</code> gives the same data for other "
        "tools.</footer></main></body></html>\n"
    )
