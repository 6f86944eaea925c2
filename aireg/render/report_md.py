"""The CAIO's report as Markdown: headings and tables that read well in a pull request or wiki."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from aireg.records import Stage

STAGE_TITLES = {s.value: f"{s.step} {s.value}" if s.step else s.value for s in Stage}
KIND_TITLES = {"product": "Same product", "vendor": "Same vendor", "purpose": "Similar purpose"}
MAX_ROWS = 25  # rows of the unreviewed, backlog and risk lists; the rest are in the JSON
# Only what is special inside a line: headings and lists start lines, and cells never do.
_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
MAX_ROWS = 25  # review queue and due work: rows shown, then the command with the full list


def cell(value: object) -> str:
    """One table cell: Markdown and HTML in user text shown as text, never interpreted."""
    if value is None:
        return ""
    text = " ".join(str(value).split())  # a newline would end the table row
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", text)


def _num(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return "" if value is None else str(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]],
          right: Sequence[int] = ()) -> list[str]:
    align = ["---:" if n in right else "---" for n in range(len(headers))]
    out = ["| " + " | ".join(cell(h) for h in headers) + " |",
           "| " + " | ".join(align) + " |"]
    out += ["| " + " | ".join(cell(c) for c in r) + " |" for r in rows]
    return out


def _more(total: int, which: str, command: str) -> list[str]:
    """The line under a capped table: how many are left out, and the command listing all."""
    if total <= MAX_ROWS:
        return []
    return ["", f"The {MAX_ROWS} {which} of {total} are shown; `{command}` lists all of them "
            "(and `aireg report --format json` has every row)."]


def render(d: Mapping[str, Any]) -> str:
    f = d["funnel"]
    queue, due, overlaps = d["security_queue"], d["due"], d["overlaps"]
    overdue = [i for i in due if i["overdue"]]
    lines = [
        f"# AI tools at {cell(d['organization']) or 'the organization'}",
        "",
        f"Report of {d['generated']}"
        + (f" (registry at commit {d['head'][:12]})" if d.get("head") else "") + ".",
        "",
        f"- **{d['tools']}** tools in **{sum(1 for v in f['by_department'].values() if v)}** "
        "departments",
        f"- **{len(overlaps)}** overlaps: teams that should talk",
        f"- **{len(queue)}** waiting for the security review"
        + (f", the longest for {queue[0]['days_waiting']} days" if queue else ""),
        f"- **{len(overdue)}** overdue measurements or reassessments, "
        f"{len(due) - len(overdue)} more due within 30 days",
    ]
    unreviewed = d.get("unreviewed") or []
    backlog = d.get("backlog") or {}
    if unreviewed:
        lines.insert(4, f"- **{len(unreviewed)} deployed, never reviewed**: in use without "
                     "any security review on record")
    if backlog.get("imported"):
        lines.append(f"- **{backlog['lacking']}** of {backlog['imported']} imported records "
                     "still lack evidence of steps the source reported as done")
    if d["unreadable"]:
        lines.append(f"- **{len(d['unreadable'])}** records could not be read and are left out "
                     f"({cell(', '.join(d['unreadable']))}); run `aireg validate`.")
    if unreviewed:
        lines += ["", f"## Deployed, never reviewed ({len(unreviewed)})", "",
                  "In use (impact or active) with no security review on record: not a queue "
                  "waiting for the CTO, since nobody asked yet. The owner adds the security "
                  "facts; a security reviewer then reviews the tool where it is "
                  "(`aireg review --security ID`). High-risk uses first.", ""]
        lines += table(
            ["tool", "name", "vendor", "department", "owner", "stage", "risk", "how it came",
             "in the registry since"],
            [[u["id"], u["name"], u["vendor"], u["department"], u["owner"], u["stage"],
              u["risk"] or "", "imported" if u["imported"] else "", u["known_since"] or ""]
             for u in unreviewed[:MAX_ROWS]])
        if len(unreviewed) > MAX_ROWS:
            lines += ["", f"And {len(unreviewed) - MAX_ROWS} more (all in `aireg report "
                      "--format json`)."]
    lines += ["", "## Teams that should talk", ""]
    if not overlaps:
        lines.append("No two departments share a product, a vendor or a similar purpose.")
    for kind in ("product", "vendor", "purpose"):
        group = [o for o in overlaps if o["kind"] == kind]
        if not group:
            continue
        lines += [f"### {KIND_TITLES[kind]} ({len(group)})", ""]
        for o in group:
            tools = ", ".join(f"`{cell(t['id'])}`" for t in o["tools"][:12])
            more = f" and {len(o['tools']) - 12} more" if len(o["tools"]) > 12 else ""
            lines.append(f"- **{cell(o['label'])}**: {cell(o['sentence'])} "
                         f"Tools: {tools}{more}.")
        lines.append("")

    lines += ["## Funnel: tools per stage and department", ""]
    stages = f["stages"]
    rows = [[dep, *(f["counts"][dep][s] or "" for s in stages), f["by_department"][dep]]
            for dep in f["departments"]]
    rows.append(["**total**", *(f["by_stage"][s] for s in stages), d["tools"]])
    lines += table(["department", *(STAGE_TITLES.get(s, s) for s in stages), "total"], rows,
                   right=range(1, len(stages) + 2))
    lines[-1] = lines[-1].replace("\\*\\*total\\*\\*", "**total**")

    lines += ["", "## Security review queue", ""]
    if queue:
        lines += table(
            ["tool", "name", "vendor", "department", "owner", "waiting since", "days",
             "last decision"],
            [[q["id"], q["name"], q["vendor"], q["department"], q["owner"], q["waiting_since"],
              q["days_waiting"], q["last_decision"] or ""] for q in queue[:MAX_ROWS]],
            right=(6,))
        lines += _more(len(queue), "longest waits", "aireg review --security")
    else:
        lines.append("No tool is waiting for the security review.")

    if backlog.get("imported"):
        lines += ["", "## Import backlog: evidence still missing", "",
                  f"{backlog['imported']} records came from an inventory import; "
                  f"{backlog['lacking']} still lack evidence the source did not give (each "
                  "lists it in `imported.lacks`; `aireg due` chases its owner)"
                  + (f"; {backlog['no_created_date']} have no creation date (none is made up)"
                     if backlog.get("no_created_date") else "") + ".", ""]
        lines += table(["evidence", "records lacking it"],
                       list(backlog["by_evidence"].items()), right=(1,))
        lines += [""]
        deps = list(backlog["by_department"].items())
        lines += table(["department", "records with a backlog"], deps[:MAX_ROWS], right=(1,))
        if len(deps) > MAX_ROWS:
            lines += ["", f"And {len(deps) - MAX_ROWS} more departments."]
    risk = d.get("risk") or {}
    if risk.get("flags") or set(risk.get("tiers", {})) - {"(unclassified)"}:
        lines += ["", "## Risk", "",
                  "Tiers: " + ", ".join(f"{k} {n}" for k, n in risk["tiers"].items())
                  + ". Flags: " + (", ".join(f"{k} {n}" for k, n in risk["flags"].items())
                                   or "none") + ".", ""]
        if risk.get("tools"):
            lines += table(["tool", "name", "department", "stage", "risk", "reviewed"],
                           [[t["id"], t["name"], t["department"], t["stage"], t["risk"],
                             "yes" if t["reviewed"] else "NO"]
                            for t in risk["tools"][:MAX_ROWS]])
            if len(risk["tools"]) > MAX_ROWS:
                lines += ["", f"And {len(risk['tools']) - MAX_ROWS} more high-risk uses."]
    lines += ["", "## Overdue and upcoming work", ""]
    if due:
        lines += table(
            ["tool", "owner", "department", "work", "due", "status"],
            [[i["tool"], i["owner"], i["department"], i["kind"], i["due"],
              f"OVERDUE by {-i['days']} days" if i["overdue"] else f"in {i['days']} days"]
             for i in due[:MAX_ROWS]])
        lines += _more(len(due), "soonest", "aireg due")
    else:
        lines.append("Nothing is overdue or due within 30 days.")

    lines += ["", "## Impact: baseline against current", ""]
    itools = d["impact"]["tools"]
    if itools:
        lines += table(
            ["tool", "department", "stage", "metric", "baseline", "current", "unit", "change",
             "measured"],
            [[t["id"], t["department"], t["stage"], m["metric"], _num(m["baseline"]),
              _num(m["current"]), m["unit"],
              "" if m["change_pct"] is None else f"{m['change_pct']:+g}%", m["measured"]]
             for t in itools for m in t["metrics"]], right=(4, 5, 7))
    else:
        lines.append("No tool has an impact measurement yet.")
    ideps = d["impact"]["departments"]
    if ideps:
        lines += ["", "Deployed tools (stage impact or active) with at least one measurement:",
                  ""]
        lines += table(
            ["department", "deployed", "measured", "metrics", "not measured yet"],
            [[x["department"], x["deployed"], x["measured"], x["metrics"],
              ", ".join(x["unmeasured"][:10])
              + (f" and {len(x['unmeasured']) - 10} more" if len(x["unmeasured"]) > 10 else "")]
             for x in ideps], right=(1, 2, 3))

    lines += ["", "## Time spent in each stage", "",
              "Days, from the stage changes recorded in git. *Left* counts tools that moved "
              "on; *still in it* counts tools there now.", ""]
    lines += table(
        ["stage", "left", "median days", "mean days", "longest", "still in it",
         "longest so far"],
        [[STAGE_TITLES.get(s["stage"], s["stage"]), s["completed"], _num(s["median_days"]),
          _num(s["mean_days"]), _num(s["max_days"]), s["current"],
          _num(s["current_max_days"])] for s in d["stage_times"]],
        right=(1, 2, 3, 4, 5, 6))
    lines.append("")
    return "\n".join(lines)
