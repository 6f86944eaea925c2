"""Realistic registries for the scale benchmarks: N tools in every stage, M commits of history.

The history is what aireg itself would have written: each record is moved by the workflow
functions the commands use (so every commit has the subject and Aireg-* trailers of the real
command), authored by the person who may make it (owners propose, advance, measure and
reassess; a security reviewer who does not own the tool reviews; an admin changes aireg.yaml),
on dates that move forward, with review digests computed by `records.digest`. Padding commits
are the everyday ones: further measurements, periodic reassessments, owners editing notes.
About half of the tools come from the US federal AI inventories in ../shared/data (use case
names, agencies as departments, vendors, problems and benefits), the rest from small pools.

Commits are streamed to one `git fast-import`, so 100,000 commits take seconds, not hours.

    python benchmarks/generate.py OUT --tools 1000 --commits 10000

Besides `main`, the repository has a branch `pr` one commit ahead of `main` (an owner
advancing one tool): `git checkout pr && aireg validate --base main` is the pull-request case.
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import random
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from aireg import config as config_mod
from aireg import records, workflow, yamlio
from aireg.init import INIT_MESSAGE, template_files
from aireg.records import Stage

DOMAIN = "bench.example"
ORG = "Bench Corp"
DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
INDIVIDUAL_CSV = "ombegov_2025_individually_reported_AI_use_cases.csv"
COTS_CSV = "ombegov_2025_consolidated_COTS_AI_use_cases.csv"

REVIEWERS = (f"cto@{DOMAIN}", f"ciso@{DOMAIN}")
ADMINS = (f"admin@{DOMAIN}", f"cto@{DOMAIN}")
CAIO = f"caio@{DOMAIN}"

# Where tools end up, in percent. Every stage is represented whenever the budget allows.
FINAL_STAGES: tuple[tuple[str, int], ...] = (
    ("purpose", 8), ("users", 8), ("pilot", 10), ("security", 9), ("impact", 12),
    ("active", 35), ("rejected", 9), ("retired", 9),
)
# Commits a tool needs to reach each final stage (the cheapest way).
MIN_COST = {"purpose": 1, "users": 2, "pilot": 3, "security": 4, "impact": 5, "active": 7,
            "rejected": 2, "retired": 8}

GENERIC_DEPARTMENTS = ("marketing", "sales", "support", "engineering", "finance", "people",
                       "legal", "operations", "research", "procurement")
FIRST = ("ana", "les", "sam", "eve", "raj", "dana", "mo", "lena", "omar", "yuki", "ines",
         "tom", "priya", "jonas", "maria", "kwame", "sofia", "li", "noah", "amira", "pablo",
         "hana", "ivan", "zoe", "femi", "nils", "chen", "rosa", "aziz", "maya")
LAST = ("garcia", "smith", "nguyen", "muller", "rossi", "kim", "okafor", "silva", "novak",
        "haddad", "tanaka", "larsen", "dubois", "kowalski", "mensah", "ortiz", "berg", "singh",
        "popescu", "moreau", "fischer", "costa", "ahmed", "lund", "sato")
PRODUCTS = (
    ("Otter.ai", "Otter.ai, Inc.", "https://otter.ai"),
    ("Microsoft 365 Copilot", "Microsoft", "https://www.microsoft.com/microsoft-365/copilot"),
    ("GitHub Copilot", "GitHub, Inc.", "https://github.com/features/copilot"),
    ("ChatGPT Enterprise", "OpenAI", "https://openai.com/chatgpt/enterprise"),
    ("Claude for Work", "Anthropic", "https://www.anthropic.com/claude"),
    ("Gemini for Google Workspace", "Google", "https://workspace.google.com/gemini"),
    ("Zendesk AI", "Zendesk", "https://www.zendesk.com"),
    ("Grammarly Business", "Grammarly, Inc.", "https://www.grammarly.com/business"),
    ("Fireflies.ai", "Fireflies.ai Corp.", "https://fireflies.ai"),
    ("Jasper", "Jasper AI, Inc.", "https://www.jasper.ai"),
    ("Perplexity Enterprise", "Perplexity AI", "https://www.perplexity.ai/enterprise"),
    ("DeepL Pro", "DeepL SE", "https://www.deepl.com/pro"),
    ("Notion AI", "Notion Labs, Inc.", "https://www.notion.so/product/ai"),
    ("Gong", "Gong.io Ltd", "https://www.gong.io"),
    ("Harvey", "Counsel AI Corp.", "https://www.harvey.ai"),
    ("Sprout Social", "Sprout Social, Inc.", "https://sproutsocial.com"),
    ("ServiceNow Now Assist", "ServiceNow", "https://www.servicenow.com/now-assist"),
    ("Cursor", "Anysphere, Inc.", "https://www.cursor.com"),
)
TASKS = (
    ("Writing an interview summary takes three hours.", "A draft summary the writer edits."),
    ("Replies to common tickets are typed from scratch.", "Suggested replies agents approve."),
    ("Boilerplate and tests take a third of review time.", "Less boilerplate, same quality."),
    ("Contract first reads take a day each.", "A first read with flagged clauses in an hour."),
    ("Campaign briefs take a day each.", "First drafts of briefs in an hour."),
    ("Translating product pages takes a week.", "Translations the same day."),
    ("Preparing for a customer call takes an hour.", "A one-page account brief per call."),
    ("Month-end reconciliation notes are written by hand.", "Drafted notes for review."),
)
GROUPS = ("content writers", "support agents", "backend engineers", "account executives",
          "finance analysts", "recruiters", "paralegals", "campaign managers", "data analysts")
NEEDS = ("speaker labels", "export to Google Docs", "works in Word", "IDE support",
         "no code retention", "SSO", "mobile app", "our tone of voice", "citations",
         "CRM notes summarised", "EU data residency")
DATA = ("internal", "confidential", "customer-personal", "regulated")
INTEGRATIONS = ("google-drive", "sharepoint", "slack", "github", "salesforce", "jira",
                "zendesk", "okta")
METRICS = (("hours per summary", "hours", 3.0), ("minutes per reply", "minutes", 12.0),
           ("tickets per agent per day", "tickets", 40.0), ("days per contract", "days", 2.0),
           ("review hours per week", "hours", 10.0))
COUNT_BANDS = {"1-100": 40, "101-1000": 300, "1001-5000": 2000, "5001-10,000": 6000,
               "10,000-50,000": 20000, "50,000+": 60000}


# --- YAML text ------------------------------------------------------------------------------
# A small emitter for the plain data of records: fast (the generator writes every version of
# every record) and readable like aireg's own output. Text that YAML could read as anything
# else is double-quoted; tests check that yamlio reads each record back as the same data.

_WORDS = frozenset({"y", "n", "yes", "no", "true", "false", "on", "off", "null", "~"})
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_ESCAPE_RE = re.compile("[\x80-\x9f\u2028\u2029\ufeff\ufffe\uffff]")


def _plain(s: str, flow: bool) -> bool:
    if not s or s != s.strip() or not s.isprintable() or s[0] in _INDICATORS:
        return False
    if ": " in s or " #" in s or s.endswith(":") or s.lower() in _WORDS:
        return False
    if flow and any(c in s for c in ",[]{}"):
        return False
    if s[0] in "0123456789+-.":
        return bool(records.DATE_RE.match(s)) or (" " in s and s[-1].isalpha())
    return True


def scalar(value: Any, flow: bool = False) -> str:
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    s = str(value)
    if _plain(s, flow):
        return s
    quoted = json.dumps(s, ensure_ascii=False)
    return _ESCAPE_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def _flow(items: list[Any]) -> str | None:
    if not items:
        return "[]"
    if any(isinstance(i, dict | list) for i in items):
        return None
    text = "[" + ", ".join(scalar(i, flow=True) for i in items) + "]"
    return text if len(text) <= 90 else None


def _emit_map(data: dict[str, Any], indent: int, out: list[str]) -> None:
    pad = " " * indent
    for key, value in data.items():
        if isinstance(value, dict):
            if value:
                out.append(f"{pad}{key}:\n")
                _emit_map(value, indent + 2, out)
            else:
                out.append(f"{pad}{key}: {{}}\n")
        elif isinstance(value, list):
            flow = _flow(value)
            if flow is not None:
                out.append(f"{pad}{key}: {flow}\n")
            else:
                out.append(f"{pad}{key}:\n")
                _emit_seq(value, indent + 2, out)
        else:
            out.append(f"{pad}{key}: {scalar(value)}\n")


def _emit_seq(items: list[Any], indent: int, out: list[str]) -> None:
    pad = " " * indent
    for item in items:
        if isinstance(item, dict) and item:
            sub: list[str] = []
            _emit_map(item, indent + 2, sub)
            out.append(f"{pad}- {sub[0][indent + 2:]}")
            out.extend(sub[1:])
        elif isinstance(item, list):
            out.append(f"{pad}- {_flow(item) or json.dumps(item)}\n")
        else:
            out.append(f"{pad}- {scalar(item)}\n")


def record_text(record: dict[str, Any]) -> str:
    """A record file's text: the editor modeline, then the fields in SPEC order."""
    out = [records.SCHEMA_MODELINE]
    _emit_map(records.ordered(record), 0, out)
    return "".join(out)


# --- source material ------------------------------------------------------------------------


def slug(text: str, limit: int = 40) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    s = s[:limit].rstrip("-")
    return s or "tool"


def _clean(text: str, limit: int) -> str:
    """Real inventory text, trimmed: the first sentence or two, newlines kept inside."""
    text = text.strip().replace("\r\n", "\n")
    if len(text) > limit:
        cut = text.rfind(". ", 0, limit)
        text = text[: cut + 1] if cut > 40 else text[:limit].rstrip() + "..."
    return text


@dataclass
class Source:
    """Rows of the federal inventories (empty when ../shared/data is absent)."""

    use_cases: list[dict[str, str]] = field(default_factory=list)
    products: list[tuple[str, int]] = field(default_factory=list)  # (product, users)

    @classmethod
    def load(cls, data_dir: Path) -> Source:
        src = cls()
        path = data_dir / INDIVIDUAL_CSV
        if path.is_file():
            with path.open(encoding="utf-8-sig", newline="") as fh:
                for row in csv.DictReader(fh):
                    name = " ".join(row.get("use_case_name", "").split())
                    agency = (row.get("agency") or "").strip()
                    if name and agency and (row.get("problem_solved") or "").strip():
                        src.use_cases.append(row)
        path = data_dir / COTS_CSV
        if path.is_file():
            with path.open(encoding="utf-8-sig", newline="") as fh:
                for row in csv.DictReader(fh):
                    product = " ".join((row.get(
                        "Name of Commercial Product or Service Used") or "").split())
                    if product and product.upper() not in ("N/A", "NA", "VARIOUS", "NONE"):
                        band = (row.get("Estimated # of Licenses/Users") or "").strip()
                        src.products.append((product, COUNT_BANDS.get(band, 25)))
        return src


# --- the plan: who each tool is, where it ends, and the days of its commits -----------------


@dataclass
class Tool:
    index: int
    id: str
    name: str
    vendor: str | None
    url: str | None
    department: str
    owner: str
    colleague: str
    problem: str
    goal: str
    criterion: str
    group: str
    count: int
    final: str
    csv_based: bool
    events: list[tuple[int, int, str]] = field(default_factory=list)  # (day, seq, kind)


@dataclass(frozen=True)
class Result:
    """What was generated."""

    root: Path
    tools: int
    commits: int  # on main; the `pr` branch adds one
    stages: dict[str, int]
    from_data: int
    seconds: float
    pr_tool: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"root": str(self.root), "tools": self.tools, "commits": self.commits,
                "stages": self.stages, "from_data": self.from_data,
                "seconds": round(self.seconds, 2), "pr_tool": self.pr_tool}


def _people(rng: random.Random, departments: Sequence[str], per_dept: dict[str, int]
            ) -> dict[str, list[str]]:
    used: set[str] = set()
    out: dict[str, list[str]] = {}
    for dept in departments:
        people = []
        for _ in range(max(3, per_dept.get(dept, 0) // 4 + 2)):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            email = f"{first}.{last}@{DOMAIN}"
            for initial in "abcdefghijklmnopqrstuvwxyz":
                if email not in used:
                    break
                email = f"{first}.{initial}.{last}@{DOMAIN}"
            while email in used:
                email = f"{first}.{last}{len(used)}@{DOMAIN}"
            used.add(email)
            people.append(email)
        out[dept] = people
    return out


def _plan_stages(rng: random.Random, n: int, budget: int) -> tuple[list[str], list[list[str]]]:
    """Final stages by FINAL_STAGES and the lifecycle commits to reach each, cut down (to
    the cheapest paths, then to fewer tools past `purpose`) until they fit in `budget`."""
    names = [s for s, _ in FINAL_STAGES]
    weights = [w for _, w in FINAL_STAGES]
    finals = names[:n] + rng.choices(names, weights, k=max(0, n - len(names)))
    rng.shuffle(finals)
    steps = [_lifecycle(f, rng) for f in finals]
    if sum(map(len, steps)) > budget:
        steps = [_lifecycle(f, rng, cheapest=True) for f in finals]
    total = sum(map(len, steps))
    if total > budget:
        counts = Counter(finals)
        for i in sorted(range(n), key=lambda i: (-len(steps[i]), rng.random())):
            if total <= budget:
                break
            if finals[i] == "purpose" or counts[finals[i]] <= 1:
                continue
            counts[finals[i]] -= 1
            total -= len(steps[i]) - 1
            finals[i], steps[i] = "purpose", ["propose"]
    if total > budget:
        raise ValueError(f"{budget} commits are too few for {n} tools in every stage; ask "
                         f"for at least {total}.")
    return finals, steps


def _lifecycle(final: str, rng: random.Random, cheapest: bool = False) -> list[str]:
    steps = ["propose"]
    if final == "purpose":
        return steps
    if final == "rejected" and (cheapest or rng.random() < 0.5):
        stop = "purpose" if cheapest else rng.choice(("purpose", "users", "pilot"))
        chain = {"purpose": [], "users": ["adv_purpose"], "pilot": ["adv_purpose", "adv_users"]}
        return steps + chain[stop] + ["withdraw"]
    steps.append("adv_purpose")
    if final == "users":
        return steps
    steps.append("adv_users")
    if final == "pilot":
        return steps
    steps.append("adv_pilot")
    if final != "security" and not cheapest and rng.random() < 0.15:
        steps += ["review_changes", "fix_facts"]
    if final == "security":
        return steps
    if final == "rejected":
        return [*steps, "review_reject"]
    steps.append("review_approve")
    if final == "impact":
        return steps
    steps += ["measure", "adv_impact"]
    if final == "retired":
        steps.append("retire")
    return steps


GAPS = {"propose": (0, 0), "adv_purpose": (1, 7), "adv_users": (1, 10), "adv_pilot": (10, 30),
        "review_changes": (2, 10), "fix_facts": (1, 5), "review_approve": (2, 14),
        "review_reject": (2, 14), "measure": (20, 60), "adv_impact": (1, 3),
        "reassess": (60, 170), "extra_measure": (15, 45), "retire": (20, 100),
        "withdraw": (1, 20)}


def _schedule(tool: Tool, steps: list[str], extra: Counter[str], rng: random.Random,
              today: int, span: int) -> None:
    """Days (relative to `today`) for each of the tool's commits, in order, ending by today."""
    offsets: list[tuple[int, str]] = []
    day = 0
    for step in steps:
        lo, hi = GAPS[step]
        day += rng.randint(lo, hi)
        offsets.append((day, step))
        if step == "adv_impact":
            day = _after_active(offsets, extra, rng, day)
    last_live = max((d for d, s in offsets if s not in ("withdraw", "retire",
                                                        "review_reject")), default=0)
    for _ in range(extra["notes"]):
        offsets.append((rng.randint(0, max(1, last_live)) + 1, "notes"))
    # An exit comes last: notes were written while the tool was still in the process.
    end = max(d for d, _ in offsets)
    exits = [(d, s) for d, s in offsets if s in ("withdraw", "retire", "review_reject")]
    if exits:
        offsets = [(d, s) for d, s in offsets if s not in ("withdraw", "retire",
                                                           "review_reject")]
        offsets.append((end + rng.randint(1, 20), exits[0][1]))
        end = offsets[-1][0]
    # What would be overdue today is kept on time: the clock of the due work starts recently.
    anchor, slack = None, None
    kinds = [s for _, s in offsets]
    if tool.final == "active":
        # The clock restarts at the last reassessment, else at the last measurement.
        clocks = [d for d, s in offsets if s == "reassess"] or [
            d for d, s in offsets if s in ("measure", "extra_measure", "review_approve")]
        anchor = max(clocks)
        slack = 150
    elif tool.final == "impact" and "extra_measure" not in kinds:
        anchor = max(d for d, s in offsets if s == "review_approve")
        slack = 80
    latest = today - end
    earliest = today - span
    if anchor is not None and slack is not None:
        earliest = max(earliest, today - slack - anchor)
    start = rng.randint(min(earliest, latest), latest)
    offsets.sort(key=lambda x: x[0])
    tool.events = [(start + d, seq, kind) for seq, (d, kind) in enumerate(offsets)]


def _after_active(offsets: list[tuple[int, str]], extra: Counter[str], rng: random.Random,
                  day: int) -> int:
    """The periodic work of an active tool: reassessments and further measurements."""
    work = ["reassess"] * extra["reassess"] + ["extra_measure"] * extra["extra_measure"]
    rng.shuffle(work)
    for kind in work:
        lo, hi = GAPS[kind]
        day += rng.randint(lo, hi)
        offsets.append((day, kind))
    extra["reassess"] = extra["extra_measure"] = 0
    return day


# --- the generator --------------------------------------------------------------------------


class _Stream:
    """The `git fast-import` input, written as it is made."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.mark = 0
        self.commits = 0

    def commit(self, ref: str, who: str, ts: int, message: str,
               files: Sequence[tuple[str, bytes]], parent: str | None = None) -> int:
        self.mark += 1
        self.commits += 1
        name = who.split("@")[0].replace(".", " ").title()
        msg = message.encode("utf-8")
        head = (f"commit {ref}\nmark :{self.mark}\n"
                f"author {name} <{who}> {ts} +0000\ncommitter {name} <{who}> {ts} +0000\n"
                f"data {len(msg)}\n").encode() + msg + b"\n"
        if parent:
            head += f"from {parent}\n".encode()
        parts = [head]
        for path, content in files:
            parts.append(f"M 100644 inline {path}\ndata {len(content)}\n".encode())
            parts.append(content)
            parts.append(b"\n")
        self.out.write(b"".join(parts))
        return self.mark


def _config_text(departments: dict[str, list[str]], members_only: set[str]) -> str:
    src = next(s for s, rel in template_files() if rel == config_mod.CONFIG_FILE)

    depts = {d: ({"members": sorted(p)} if d in members_only else {})
             for d, p in departments.items()}
    return yamlio.edit(src.read_text("utf-8"), [
        yamlio.Update(("organization",), ORG),
        yamlio.Update(("departments",), depts),
        yamlio.Update(("roles", "security"), list(REVIEWERS)),
        yamlio.Update(("roles", "caio"), [CAIO]),
        yamlio.Update(("roles", "admins"), list(ADMINS)),
    ])


def generate(root: Path, tools: int, commits: int | None = None, *, seed: int = 6,
             today: date | None = None, data_dir: Path | None = None,
             from_data: float = 0.5) -> Result:
    """Write a new registry with `tools` tools and `commits` commits of history at `root`."""
    started = time.perf_counter()
    rng = random.Random(seed)
    today = today or date.today()
    t0 = today.toordinal()
    src = Source.load(data_dir or DATA_DIR)
    use_cases = list(src.use_cases)
    rng.shuffle(use_cases)

    # Who the tools are.
    n_data = int(tools * from_data) if use_cases else 0
    plan: list[dict[str, Any]] = []
    for i in range(tools):
        if i < n_data:
            row = use_cases[i % len(use_cases)]
            vendor = " ".join((row.get("vendor_name") or "").split())
            product = src.products[i % len(src.products)] if src.products else None
            plan.append({
                "name": " ".join(row["use_case_name"].split())[:120].strip(),
                "vendor": vendor[:120].strip() or (product[0] if product else None),
                "url": None,
                "department": slug(row["agency"], 30),
                "problem": _clean(row["problem_solved"], 400),
                "goal": _clean(row.get("benefits") or "", 300) or "Fewer hours on the task.",
                "count": product[1] if product else rng.randint(3, 80),
                "csv": True,
            })
        else:
            name, vendor, url = rng.choice(PRODUCTS)
            problem, goal = rng.choice(TASKS)
            plan.append({"name": name, "vendor": vendor, "url": url,
                         "department": rng.choice(GENERIC_DEPARTMENTS), "problem": problem,
                         "goal": goal, "count": rng.randint(2, 60), "csv": False})
    per_dept = Counter(p["department"] for p in plan)
    departments = sorted(set(GENERIC_DEPARTMENTS) | set(per_dept))
    people = _people(rng, departments, per_dept)
    members_only = {d for i, d in enumerate(departments) if i % 3 == 0}
    config_text = _config_text(people, members_only)
    cfg_data = yamlio.load(config_text, config_mod.CONFIG_FILE)
    cfg, problems = config_mod.check(cfg_data, config_mod.CONFIG_FILE, config_text)
    assert cfg is not None and not problems, problems

    # Where each tool ends, and how many everyday commits pad the history to `commits`.
    extra_admin = 1 if commits is None or commits > tools + 40 else 0
    budget = (commits if commits is not None else tools * 8) - 1 - extra_admin
    finals, lifecycles = _plan_stages(rng, tools, budget)
    padding = budget - sum(len(s) for s in lifecycles)
    extras = [Counter[str]() for _ in range(tools)]
    active = [i for i, f in enumerate(finals) if f in ("active", "retired")]
    measured = [i for i, f in enumerate(finals) if f in ("impact", "active", "retired")]
    for _ in range(max(0, padding)):
        r = rng.random()
        if r < 0.35 and active:
            extras[rng.choice(active)]["reassess"] += 1
        elif r < 0.6 and active:
            extras[rng.choice(active)]["extra_measure"] += 1
        elif r < 0.65 and measured:
            i = rng.choice(measured)
            extras[i]["extra_measure" if finals[i] != "impact" else "notes"] += 1
        else:
            extras[rng.randrange(tools)]["notes"] += 1

    span = max(400, budget // 40)
    ids: set[str] = set()
    tool_list: list[Tool] = []
    for i, (p, final) in enumerate(zip(plan, finals, strict=True)):
        tid = base = slug(p["name"])
        k = 2
        while tid in ids:
            tid = f"{base}-{k}"
            k += 1
        ids.add(tid)
        dept = p["department"]
        owner, colleague = rng.sample(people[dept], 2)
        t = Tool(i, tid, p["name"], p["vendor"], p["url"], dept, owner, colleague,
                 p["problem"], p["goal"], "Saves an hour per person per week",
                 rng.choice(GROUPS), p["count"], final, p["csv"])
        _schedule(t, lifecycles[i], extras[i], rng, t0, span)
        tool_list.append(t)

    # All commits in time order; a tool's own commits keep their order.
    events = sorted(
        ((day, seq, t.index, kind) for t in tool_list for day, seq, kind in t.events),
        key=lambda e: (e[0], e[1], e[2]),
    )
    first_day = min((e[0] for e in events), default=t0) - 1
    admin_day = (first_day + t0) // 2 if extra_admin else None

    root = root.resolve()
    if root.exists() and any(root.iterdir()):
        raise ValueError(f"{root} is not empty; choose a new folder.")
    root.mkdir(parents=True, exist_ok=True)
    _git(root, "init", "-q", "-b", "main")
    proc = subprocess.Popen(["git", "fast-import", "--quiet", "--done"], cwd=root,
                            stdin=subprocess.PIPE)
    assert proc.stdin is not None
    stream = _Stream(proc.stdin)
    clock = _Clock()
    state: dict[int, dict[str, Any]] = {}
    live: set[str] = set()
    pr_tool: str | None = None
    try:
        files = [(rel, (config_text.encode() if rel == config_mod.CONFIG_FILE
                        else path.read_bytes())) for path, rel in template_files()]
        files = [(rel, _codeowners(cfg) or content if rel == "CODEOWNERS" else content)
                 for rel, content in files]
        main_mark = stream.commit("refs/heads/main", ADMINS[0], clock.at(first_day),
                                  INIT_MESSAGE.format(org=ORG), files)
        for day, _seq, index, kind in events:
            if admin_day is not None and day >= admin_day:
                config_text = config_text.replace(
                    "  # May record security reviews", f"  # Reviewers: {', '.join(REVIEWERS)}."
                    "\n  # May record security reviews", 1)
                main_mark = stream.commit("refs/heads/main", ADMINS[0], clock.at(admin_day),
                              "aireg.yaml: name the reviewers in a comment\n",
                              [(config_mod.CONFIG_FILE, config_text.encode())])
                admin_day = None
            t = tool_list[index]
            actor, message = _apply(t, kind, state, cfg, rng, date.fromordinal(day), live)
            rel = f"{records.TOOLS_DIR}/{t.id}.yaml"
            main_mark = stream.commit("refs/heads/main", actor, clock.at(day), message,
                          [(rel, record_text(state[index]).encode("utf-8"))])
        # The pull request: an owner completes the purpose step of one tool.
        pr = next((t for t in tool_list if t.final == "purpose"), None)
        if pr is not None:
            rec = state[pr.index]
            change = workflow.advance(rec, workflow.StageInput(), pr.owner, cfg)
            state[pr.index] = workflow.applied(rec, change.updates)
            stream.commit("refs/heads/pr", pr.owner, clock.at(t0), change.message,
                          [(f"{records.TOOLS_DIR}/{pr.id}.yaml",
                            record_text(state[pr.index]).encode("utf-8"))],
                          parent=f":{main_mark}")
            pr_tool = pr.id
        proc.stdin.write(b"done\n")
        proc.stdin.close()
    except BaseException:
        proc.kill()
        raise
    if proc.wait() != 0:
        raise RuntimeError("git fast-import failed")
    _git(root, "checkout", "-q", "-f", "main")
    stages = Counter(str(state[t.index]["stage"]) for t in tool_list)
    return Result(root, tools, stream.commits - (pr_tool is not None), dict(sorted(stages.items())),
                  sum(t.csv_based for t in tool_list), time.perf_counter() - started, pr_tool)


class _Clock:
    """Commit times that never go backwards: 08:00 UTC on the day, then a minute apart."""

    def __init__(self) -> None:
        self.last = 0

    def at(self, day: int) -> int:
        start = int(datetime.combine(date.fromordinal(day), datetime.min.time(),
                                     tzinfo=UTC).timestamp()) + 8 * 3600
        self.last = max(start, self.last + 60)
        return self.last


def _apply(t: Tool, kind: str, state: dict[int, dict[str, Any]], cfg: config_mod.Config,
           rng: random.Random, day: date, live: set[str]) -> tuple[str, str]:
    """Make one commit's change to the tool's record: (author, commit message)."""
    today = day.isoformat()
    rec = state.get(t.index)
    owner = t.owner
    change: workflow.Change
    if kind == "propose":
        prop = workflow.Proposal(t.id, t.name, t.department, t.vendor, t.url, t.problem,
                                 t.goal, (t.criterion,), (t.colleague,))
        state[t.index] = workflow.propose(prop, owner, cfg, live, today)
        live.add(t.id)
        return owner, workflow.Change(t.id, "propose", t.name, (), None,
                                      Stage.PURPOSE).message
    assert rec is not None
    actor = owner
    if kind == "adv_purpose":
        change = workflow.advance(rec, workflow.StageInput(), owner, cfg)
    elif kind == "adv_users":
        change = workflow.advance(rec, workflow.StageInput(
            group=t.group, count=t.count, needs=tuple(rng.sample(NEEDS, 2))), owner, cfg)
    elif kind == "adv_pilot":
        entered = date.fromisoformat(str(rec.get("created")))
        start = max(entered, day - timedelta(days=rng.randint(5, 14)))
        classes = tuple(rng.sample(DATA, rng.randint(1, 2)))
        change = workflow.advance(rec, workflow.StageInput(
            start=start.isoformat(), end=(day - timedelta(days=1)).isoformat()
            if day > start else start.isoformat(),
            participants=(t.colleague,), pilot_data=("public", "synthetic"), result="passed",
            findings=rng.choice(("Works as intended for the group.",
                                 "Drafts needed light edits: tone was right after a template.",
                                 "Accurate on 11 of 12 samples.")),
            security_data=classes, trains_on_our_data=False,
            retention=rng.choice(("30 days", "90 days", "none (enterprise plan)")),
            residency=rng.choice(("EU", "US", "EU and US")), sso=rng.random() < 0.8,
            integrations=tuple(rng.sample(INTEGRATIONS, rng.randint(0, 2)))), owner, cfg)
    elif kind in ("review_changes", "review_approve", "review_reject"):
        actor = REVIEWERS[t.index % len(REVIEWERS)]
        decision = {"review_changes": "changes-requested", "review_approve": "approved",
                    "review_reject": "rejected"}[kind]
        answers = {item.id: "yes" for item in cfg.checklist}
        if decision != "approved":
            answers[cfg.checklist[0].id] = "no"
        change = workflow.review(rec, workflow.ReviewInput(
            decision, answers, ("Company workspace only",) if decision == "approved" else (),
            None if decision == "approved" else "SSO is required for customer data.",
            confirmed=True),
            actor, cfg, today)
    elif kind == "fix_facts":
        # The owner answers the review by hand: SSO turned on, a note for the reviewer.
        after = copy.deepcopy(rec)
        after["security"]["sso"] = True
        after["security"]["notes"] = "SSO enforced through Okta since " + today + "."
        state[t.index] = after
        return owner, f"{t.id}: enable SSO as the security review asked\n"
    elif kind in ("measure", "extra_measure"):
        metric, unit, base = METRICS[t.index % len(METRICS)]
        current = round(base * rng.uniform(0.15, 0.8), 1)
        change = workflow.measure(rec, metric, base, current, unit, today, owner, cfg)
    elif kind == "adv_impact":
        change = workflow.advance(rec, workflow.StageInput(), owner, cfg)
    elif kind == "reassess":
        change = workflow.reassess(rec, "keep", [rng.choice(PRODUCTS)[0]],
                                   "Still the best fit for the team.", None, today, owner, cfg,
                                   live)
    elif kind == "retire":
        others = sorted(live - {t.id})
        replaced = rng.choice(others) if others and rng.random() < 0.5 else None
        outcome = "replace" if replaced else "retire"
        change = workflow.reassess(rec, outcome, [rng.choice(PRODUCTS)[0]],
                                   "Replaced by a tool the team prefers." if replaced
                                   else "The team no longer needs it.", replaced, today, owner,
                                   cfg, live)
    elif kind == "withdraw":
        change = workflow.withdraw(rec, rng.choice((
            "The pilot failed: answers were wrong too often.",
            "The team chose to keep the current process.")), today, owner, cfg)
    elif kind == "notes":
        members = [m for m in cfg.departments.get(t.department, ()) if m != owner]
        if members and rng.random() < 0.25:
            actor = rng.choice(members)
        after = copy.deepcopy(rec)
        after["notes"] = rng.choice((
            "Licences renewed for another year.", "Champion: " + actor + ".",
            "Training session held on " + today + ".",
            "Usage dashboard: https://intranet." + DOMAIN + "/ai/" + t.id))
        state[t.index] = after
        return actor, f"Update the notes of {t.id}\n"
    else:  # pragma: no cover - a kind without a change
        raise AssertionError(kind)
    state[t.index] = workflow.applied(rec, change.updates)
    return actor, change.message


def _codeowners(cfg: config_mod.Config) -> bytes | None:
    """CODEOWNERS as `aireg init` writes it for these roles (when aireg can render it)."""
    try:
        from aireg import codeowners
    except ImportError:
        return None
    return codeowners.render(cfg).encode("utf-8")


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                          text=True).stdout


def iter_record_texts(root: Path) -> Iterator[tuple[str, str]]:
    for path in sorted((root / records.TOOLS_DIR).glob("*.yaml")):
        yield f"{records.TOOLS_DIR}/{path.name}", path.read_text("utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="a new, empty folder")
    parser.add_argument("--tools", type=int, default=100)
    parser.add_argument("--commits", type=int, default=None,
                        help="total commits on main (default: 8 per tool)")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--today", type=date.fromisoformat, default=None,
                        help="the day the history ends (default: today)")
    parser.add_argument("--data", type=Path, default=DATA_DIR,
                        help="folder of the federal inventory CSVs")
    args = parser.parse_args(argv)
    result = generate(args.out, args.tools, args.commits, seed=args.seed, today=args.today,
                      data_dir=args.data)
    json.dump(result.as_dict(), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
