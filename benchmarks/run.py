"""The scale benchmarks: aireg's time and peak memory beside baselines measured in the same run.

    python benchmarks/run.py            # 100, 1,000 and 10,000 tools; 100,000 commits
    python benchmarks/run.py --quick    # 100 and 1,000 tools, in under two minutes
    python benchmarks/run.py --cases import   # only `aireg import` of the OMB inventory
    python benchmarks/run.py --sizes 10000:50000 --cases publish   # site and report only

Each case runs aireg as a subprocess and, interleaved with it (A B A B, so a busy machine
slows both alike), its baselines on the same files: PyYAML's CSafeLoader alone parsing them
(the floor for reading), a raw `git log --name-only` of the same history (the floor for
history), and `check-jsonschema` with the registry's published schema (what a user would run
instead). It prints medians, ratios and PASS/MISS for each target of issue 6. Wall time is
the target; CPU time (user + system, workers included) is printed beside it because it
moves less when other programs share the machine. Peak memory is the sum over aireg's
processes (a parallel run has a worker), sampled from /proc in one extra run per case.

Registries are generated once (benchmarks/generate.py) into --work and reused while the
generator and the record format are unchanged; aireg runs with AIREG_TODAY set to the day
each registry's history ends, so a registry made last week gives the same answers today.
Benchmarks are not part of the test suite: tests/test_benchmarks.py only checks that a small
generated registry is valid.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402  (benchmarks/ is not a package)

FULL_SIZES = ((100, 1_000), (1_000, 10_000), (10_000, 100_000))
QUICK_SIZES = ((100, 1_000), (1_000, 10_000))

# The floor for reading: the same files, parsed by libyaml through PyYAML, nothing else.
FLOOR_YAML = """\
import os, yaml
load, loader = yaml.load, yaml.CSafeLoader
names = ["aireg.yaml"] + ["tools/" + n for n in sorted(os.listdir("tools")) if n.endswith(".yaml")]
for name in names:
    with open(name, "rb") as fh:
        load(fh.read(), Loader=loader)
"""


# The floor for writing (the import case): the same records, already planned, written one
# file each by libyaml through PyYAML, nothing else: no CSV, no checks, no git.
FLOOR_WRITE = """\
import json, os, sys, yaml
recs = json.load(open(sys.argv[1], encoding="utf-8"))
os.makedirs("tools", exist_ok=True)
dump, dumper = yaml.dump, yaml.CSafeDumper
for r in recs:
    with open("tools/" + r["id"] + ".yaml", "w", encoding="utf-8") as fh:
        fh.write(dump(r, Dumper=dumper, sort_keys=False, allow_unicode=True))
"""
INVENTORY = "ombegov_2025_individually_reported_AI_use_cases.csv"
INVENTORY_DIRS = (PROJECT.parent / "shared" / "data", PROJECT.parent.parent / "shared" / "data",
                  Path("/work/shared/data"))


# --- running one command -------------------------------------------------------------------


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mb: float  # the largest single process (wait4's ru_maxrss)
    code: int


@dataclass
class Measure:
    """Repeated runs of one command."""

    label: str
    argv: list[str]
    runs: list[Run] = field(default_factory=list)
    memory: Memory | None = None  # peaks over the process and its children
    note: str = ""
    cwd: Path | None = None  # where to run it, when not where its case runs
    env: dict[str, str] | None = None

    @property
    def wall(self) -> float:
        return statistics.median(r.wall for r in self.runs)

    @property
    def cpu(self) -> float:
        return statistics.median(r.cpu for r in self.runs)

    @property
    def rss(self) -> float:
        return max(r.rss_mb for r in self.runs)

    @property
    def codes(self) -> set[int]:
        return {r.code for r in self.runs}

    def as_dict(self) -> dict[str, Any]:
        mem = self.memory
        return {"label": self.label, "argv": self.argv, "wall_median": self.wall,
                "cpu_median": self.cpu, "rss_max_mb": self.rss,
                "tree_rss_mb": mem.rss_mb if mem else None,
                "tree_anon_mb": mem.anon_mb if mem else None,
                "rss_by_program_mb": mem.by_name if mem else None,
                "walls": [r.wall for r in self.runs], "codes": sorted(self.codes),
                "note": self.note}


def spawn(argv: Sequence[str], cwd: Path, env: dict[str, str]) -> int:
    """Start `argv` in `cwd`, output discarded. posix_spawn (vfork) and `env -C`: a forked
    copy of this process never counts towards the command's peak memory."""
    null = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_WRONLY, 0) for fd in (1, 2)]
    return os.posix_spawnp("env", ["env", "-C", str(cwd), *argv], env, file_actions=null)


def run_once(argv: Sequence[str], cwd: Path, env: dict[str, str]) -> Run:
    started = time.perf_counter()
    pid = spawn(argv, cwd, env)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, code)


@dataclass
class Memory:
    """Peaks over one run of a command and every process it starts, sampled from /proc."""

    rss_mb: float = 0.0  # summed resident memory, file-backed pages included
    anon_mb: float = 0.0  # summed anonymous memory: what the run itself allocates
    by_name: dict[str, float] = field(default_factory=dict)  # largest RSS per program


def tree_peak(argv: Sequence[str], cwd: Path, env: dict[str, str]) -> Memory:
    """Peak memory of the command and its descendants, sampled every 5 ms."""
    pid = spawn(argv, cwd, env)
    mem = Memory()
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            procs = _tree(pid)
            mem.rss_mb = max(mem.rss_mb, sum(p[1] for p in procs) / 1024)
            mem.anon_mb = max(mem.anon_mb, sum(p[2] for p in procs) / 1024)
            for name, rss, _ in procs:
                mem.by_name[name] = max(mem.by_name.get(name, 0), rss / 1024)
            stop.wait(0.005)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    os.waitpid(pid, 0)
    stop.set()
    t.join()
    return mem


def _tree(pid: int) -> list[tuple[str, int, int]]:
    """(name, VmRSS KB, RssAnon KB) of `pid` and every process below it, from /proc."""
    children: dict[int, list[int]] = {}
    info: dict[int, tuple[str, int, int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", encoding="ascii", errors="replace") as fh:
                text = fh.read()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)

        def kb(key: str, fields: dict[str, str] = fields) -> int:
            return int(fields.get(key, "0 kB").split()[0])

        children.setdefault(kb("PPid"), []).append(int(entry))
        info[int(entry)] = (fields.get("Name", "?").strip(), kb("VmRSS"), kb("RssAnon"))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        if p in info:
            out.append(info[p])
        todo.extend(children.get(p, ()))
    return out


def interleaved(measures: Sequence[Measure], reps: int, cwd: Path, env: dict[str, str],
                reps_for: Callable[[Measure], int] | None = None) -> None:
    """A B C, B C A, C A B...: each rep runs every command once, in a rotating order."""
    for rep in range(reps):
        order = list(measures[rep % len(measures):]) + list(measures[:rep % len(measures)])
        for m in order:
            if reps_for is not None and rep >= reps_for(m):
                continue
            m.runs.append(run_once(m.argv, m.cwd or cwd, m.env or env))
            _progress(".")


def _progress(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()


# --- the environment -----------------------------------------------------------------------


def tool(name: str) -> list[str] | None:
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return [str(beside)]
    found = shutil.which(name)
    return [found] if found else None


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    git = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    return {"date": date.today().isoformat(), "nproc": os.cpu_count(), "cpu": cpu,
            "python": platform.python_version(), "git": git, "os": platform.platform(),
            "load_before": os.getloadavg()[0]}


def _key(tools: int, commits: int) -> str:
    """Registries are reused while what shapes them is unchanged."""
    h = hashlib.sha256()
    for path in (HERE / "generate.py", PROJECT / "aireg" / "records.py",
                 PROJECT / "aireg" / "workflow.py", PROJECT / "registry-template" / "aireg.yaml"):
        h.update(path.read_bytes())
    return f"r{tools}-c{commits}-{h.hexdigest()[:10]}"


def registry(work: Path, tools: int, commits: int) -> tuple[Path, dict[str, Any]]:
    root = work / _key(tools, commits)
    meta = root.with_suffix(".json")
    if root.exists() and meta.exists():
        return root, json.loads(meta.read_text())
    if root.exists():
        shutil.rmtree(root)
    _progress(f"generating {tools:,} tools, {commits:,} commits in {root} ... ")
    result = generate.generate(root, tools, commits)
    info = {**result.as_dict(), "today": date.today().isoformat()}
    meta.write_text(json.dumps(info, indent=2))
    _progress(f"{result.seconds:.0f} s\n")
    return root, info


# --- the cases -----------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    size: int
    commits: int
    measures: list[Measure]

    def get(self, label: str) -> Measure | None:
        return next((m for m in self.measures if m.label == label), None)


def bench_registry(root: Path, info: dict[str, Any], reps: int, env: dict[str, str],
                   aireg: list[str], cjs: list[str] | None, do_audit: bool) -> list[Case]:
    tools, commits = int(info["tools"]), int(info["commits"])
    env = {**env, "AIREG_TODAY": info["today"]}
    py = [sys.executable]
    names = sorted(n for n in os.listdir(root / "tools") if n.endswith(".yaml"))
    cases: list[Case] = []

    # Whole-registry validation, beside the floor for reading and check-jsonschema.
    ms = [Measure("aireg validate", [*aireg, "validate"]),
          Measure("CSafeLoader floor", [*py, "-c", FLOOR_YAML])]
    if cjs is not None:
        schema = root / "schema" / "tool.schema.json"
        ms.append(Measure("check-jsonschema", [*cjs, "--schemafile", str(schema),
                                               *(f"tools/{n}" for n in names)]))
    # check-jsonschema is slow at 10,000 files: three runs give its median well enough.
    interleaved(ms, reps, root, env, lambda m: 3 if m.label == "check-jsonschema" else reps)
    ms[0].memory = tree_peak(ms[0].argv, root, env)
    cases.append(Case("validate", tools, commits, ms))

    # The list, as a table to a pipe, and as JSON.
    ms = [Measure("aireg list", [*aireg, "list"]),
          Measure("aireg list --format json", [*aireg, "list", "--format", "json"]),
          Measure("CSafeLoader floor", [*py, "-c", FLOOR_YAML])]
    interleaved(ms, reps, root, env)
    for m in ms[:2]:
        m.memory = tree_peak(m.argv, root, env)
    cases.append(Case("list", tools, commits, ms))

    # All of history: aireg audit beside one raw `git log --name-only`.
    if do_audit:
        ms = [Measure("aireg audit", [*aireg, "audit", "--format", "json"]),
              Measure("git log --name-only floor", ["git", "log", "--name-only", "HEAD"])]
        interleaved(ms, max(1, min(reps, 3)), root, env)
        ms[0].memory = tree_peak(ms[0].argv, root, env)
        ms[0].note = _git_processes(aireg, root, env)
        cases.append(Case("audit", tools, commits, ms))
    return cases


def bench_pull_requests(regs: list[tuple[Path, dict[str, Any]]], reps: int,
                        env: dict[str, str], aireg: list[str]) -> list[Case]:
    """`validate --base main` on each registry's one-tool pull request, the sizes interleaved
    with each other: the cross-size ratio is the target, so both must share the machine."""
    regs = [(root, info) for root, info in regs if info.get("pr_tool")]
    ms = [Measure("aireg validate --base main", [*aireg, "validate", "--base", "main"],
                  cwd=root, env={**env, "AIREG_TODAY": info["today"]}) for root, info in regs]
    for root, _ in regs:
        subprocess.run(["git", "checkout", "-q", "pr"], cwd=root, check=True)
    try:
        interleaved(ms, max(reps, 7), PROJECT, env)
        for m in ms:
            assert m.cwd is not None and m.env is not None
            m.memory = tree_peak(m.argv, m.cwd, m.env)
    finally:
        for root, _ in regs:
            subprocess.run(["git", "checkout", "-q", "main"], cwd=root, check=True)
    return [Case("validate --base (one tool changed)", int(info["tools"]), int(info["commits"]),
                 [m]) for m, (_, info) in zip(ms, regs, strict=True)]


def bench_import(work: Path, reps: int, env: dict[str, str], aireg: list[str]) -> Case | None:
    """`aireg import` of the 3,611-row OMB use-case inventory into a fresh registry (a copy
    of one made by `aireg init`, so each run creates every record and commits them), beside
    the floor: the same records written with libyaml's CSafeDumper. A B, B A, ..."""
    csv_path = next((d / INVENTORY for d in INVENTORY_DIRS if (d / INVENTORY).is_file()), None)
    if csv_path is None:
        _progress(f"(no {INVENTORY}: import case skipped) ")
        return None
    env = {**env, "GIT_CONFIG_COUNT": "2", "GIT_CONFIG_KEY_0": "user.email",
           "GIT_CONFIG_VALUE_0": "admin@bench.example", "GIT_CONFIG_KEY_1": "user.name",
           "GIT_CONFIG_VALUE_1": "Bench Admin"}
    base = work / "import-base"
    if not (base / "aireg.yaml").is_file():
        shutil.rmtree(base, ignore_errors=True)
        subprocess.run([*aireg, "init", str(base), "--org", "Bench"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
    records_json = work / "import-records.json"
    from aireg import importer, yamlio

    plan = importer.plan_import(
        csv_path, yamlio.load_mapping(importer.builtin_maps()["ombegov-use-cases"].read_bytes(),
                                      "ombegov-use-cases"), "ombegov-use-cases",
        existing_ids=set(), departments=set(), owner="admin@bench.example",
        today=date.today().isoformat())
    records_json.write_text(json.dumps([r.data for r in plan.records]), encoding="utf-8")
    run_dir, floor_dir = work / "import-run", work / "import-floor"
    ms = [Measure("aireg import", [*aireg, "import", str(csv_path), "--map",
                                   "ombegov-use-cases"], cwd=run_dir, env=env),
          Measure("CSafeDumper floor", [sys.executable, "-c", FLOOR_WRITE, str(records_json)],
                  cwd=floor_dir, env=env)]
    for rep in range(reps):
        for m in (ms if rep % 2 == 0 else ms[::-1]):
            assert m.cwd is not None and m.env is not None
            shutil.rmtree(m.cwd, ignore_errors=True)
            if m is ms[0]:
                shutil.copytree(base, m.cwd, symlinks=True)
            else:
                m.cwd.mkdir(parents=True)
            run = run_once(m.argv, m.cwd, m.env)
            if m is ms[0] and run.code == 0:
                made = sum(1 for n in os.listdir(m.cwd / "tools") if n.endswith(".yaml"))
                m.note = f"{made:,} records written and committed"
            m.runs.append(run)
            _progress(".")
    return Case("import (3,611 rows)", len(plan.records), 1, ms)
def bench_publish(root: Path, info: dict[str, Any], reps: int, env: dict[str, str],
                  aireg: list[str]) -> list[Case]:
    """`aireg site` (the static catalog, every page) and `aireg report` (HTML, the CAIO's
    page), each writing its output to a scratch folder, beside the floor for reading."""
    tools, commits = int(info["tools"]), int(info["commits"])
    env = {**env, "AIREG_TODAY": info["today"]}
    out = Path(tempfile.mkdtemp(prefix="aireg-bench-out-"))
    try:
        ms = [Measure("aireg site", [*aireg, "site", "-o", str(out / "site")]),
              Measure("aireg report --format html",
                      [*aireg, "report", "--format", "html", "-o", str(out / "report.html")]),
              Measure("CSafeLoader floor", [sys.executable, "-c", FLOOR_YAML])]
        interleaved(ms, reps, root, env)
        for m in ms[:2]:
            m.memory = tree_peak(m.argv, root, env)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return [Case("publish", tools, commits, ms)]


def _git_processes(aireg: list[str], root: Path, env: dict[str, str]) -> str:
    """How many git processes `aireg audit` starts, and how many of them read history."""
    with tempfile.NamedTemporaryFile(prefix="aireg-trace-", suffix=".txt") as fh:
        subprocess.run([*aireg, "audit", "--format", "json"], cwd=root, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, env={**env, "GIT_TRACE": fh.name})
        lines = Path(fh.name).read_text(errors="replace").splitlines()
    started = [ln for ln in lines if "trace: built-in: git " in ln]
    logs = [ln for ln in started if " git log " in ln or "git 'log'" in ln]
    return f"{len(started)} git processes, {len(logs)} git log"


def bench_startup(reps: int, env: dict[str, str], aireg: list[str]) -> Case:
    ms = [Measure("python -c 'import typer'", [sys.executable, "-c", "import typer"]),
          Measure("aireg --help", [*aireg, "--help"]),
          Measure("aireg --version", [*aireg, "--version"])]
    for m in ms:  # warm the page cache and .pyc files first
        run_once(m.argv, PROJECT, env)
    interleaved(ms, reps, PROJECT, env)
    return Case("startup", 0, 0, ms)


# --- the report ----------------------------------------------------------------------------


@dataclass
class Target:
    what: str
    limit: str
    value: float | None
    ok: bool | None
    detail: str = ""

    @property
    def verdict(self) -> str:
        return "n/a" if self.ok is None else ("PASS" if self.ok else "MISS")


def targets(cases: list[Case], quick: bool) -> list[Target]:
    out: list[Target] = []

    def find(name: str, size: int | None = None) -> Case | None:
        found = [c for c in cases if c.name == name and (size is None or c.size == size)]
        return max(found, key=lambda c: c.size) if found else None

    def ratio(a: Measure | None, b: Measure | None) -> float | None:
        return a.wall / b.wall if a and b and a.runs and b.runs else None

    v = find("validate")
    tag = f" ({v.size:,} tools)" if v else ""
    r = ratio(v.get("aireg validate"), v.get("CSafeLoader floor")) if v else None
    out.append(Target("validate / CSafeLoader floor" + tag, "<= 1.5", r,
                      None if r is None else r <= 1.5))
    r = ratio(v.get("check-jsonschema"), v.get("aireg validate")) if v else None
    out.append(Target("check-jsonschema / validate" + tag, ">= 5", r,
                      None if r is None else r >= 5))
    prs = sorted((c for c in cases if c.name.startswith("validate --base")), key=lambda c: c.size)
    if len(prs) >= 2:
        small, big = prs[0].measures[0], prs[-1].measures[0]
        r = big.wall / small.wall
        out.append(Target(f"validate --base: {prs[-1].size:,} / {prs[0].size:,} tools", "<= 1.3",
                          r, r <= 1.3, f"cpu ratio {big.cpu / small.cpu:.2f}"))
    a = find("audit")
    r = ratio(a.get("aireg audit"), a.get("git log --name-only floor")) if a else None
    note = a.get("aireg audit").note if a and a.get("aireg audit") else ""  # type: ignore[union-attr]
    out.append(Target(f"audit / git log floor ({a.commits:,} commits)" if a else "audit",
                      "<= 3", r, None if r is None else r <= 3, note))
    li = find("list")
    r = ratio(li.get("aireg list"), li.get("CSafeLoader floor")) if li else None
    out.append(Target(f"list / CSafeLoader floor ({li.size:,} tools)" if li else "list", "< 2",
                      r, None if r is None else r < 2))
    pub = find("publish")
    for label, limit in (("aireg site", 10.0), ("aireg report --format html", 3.0)):
        m = pub.get(label) if pub else None
        value = m.wall if m and m.runs else None
        out.append(Target(f"{label} ({pub.size:,} tools), seconds" if pub else label,
                          f"<= {limit:g}", value, None if value is None else value <= limit))
    mems = [(f"{c.name} {c.size:,}", m.memory) for c in cases for m in c.measures
            if m.label.startswith("aireg") and m.memory is not None]
    if mems:
        # aireg's own processes (the parent and its forked parsers: the program name is
        # aireg), then everything it runs, git included, counting only anonymous memory:
        # git maps pack files, and those pages are the page cache, shared with every reader.
        own = max(mems, key=lambda x: _own(x[1]))
        out.append(Target("peak memory: aireg's processes, largest RSS (MB)", "< 300",
                          _own(own[1]), _own(own[1]) < 300, f"largest: {own[0]}"))
        tree = max(mems, key=lambda x: x[1].anon_mb)
        out.append(Target("peak memory: aireg + its git processes, anon (MB)", "< 300",
                          tree[1].anon_mb, tree[1].anon_mb < 300,
                          f"largest: {tree[0]}; RSS incl. mapped packs {tree[1].rss_mb:.0f}"))
    imp = find("import (3,611 rows)")
    if imp:
        a, b = imp.get("aireg import"), imp.get("CSafeDumper floor")
        r = ratio(a, b)
        out.append(Target(f"import / CSafeDumper floor ({imp.size:,} records)", "<= 2", r,
                          None if r is None else r <= 2,
                          f"cpu ratio {a.cpu / b.cpu:.2f}" if a and b and b.cpu else ""))
    s = find("startup")
    if s:
        base = s.get("python -c 'import typer'")
        for label in ("aireg --help", "aireg --version"):
            r = ratio(s.get(label), base)
            out.append(Target(f"{label} / import typer", "<= 1.3", r,
                              None if r is None else r <= 1.3))
    if quick:
        for t in out:
            t.detail = (t.detail + "; " if t.detail else "") + "quick mode: smaller sizes"
    return out


def _own(mem: Memory) -> float:
    return max((v for k, v in mem.by_name.items() if k != "git"), default=0.0)


def _peaks(m: Measure) -> tuple[str, str]:
    """(aireg's own peak RSS, the run's peak anonymous memory with git) for the tables."""
    if m.memory is None:
        return f"{m.rss:.0f}", ""
    return f"{_own(m.memory):.0f}", f"{m.memory.anon_mb:.0f}"


def render(cases: list[Case], tgts: list[Target], env_info: dict[str, Any]) -> str:
    lines = [
        f"aireg benchmarks, {env_info['date']}: {env_info['nproc']} CPUs ({env_info['cpu']}), "
        f"Python {env_info['python']}, {env_info['git']}; load average "
        f"{env_info['load_before']:.1f} before, {env_info.get('load_after', 0):.1f} after",
        "",
        f"{'case':<36} {'tools':>7} {'commits':>8}  {'command':<30} {'wall s':>8} {'cpu s':>7} "
        f"{'RSS MB':>7} {'anon MB':>8}  {'ratio':>6}",
    ]
    for c in cases:
        base = next((m for m in c.measures if "floor" in m.label), None)
        for m in c.measures:
            if not m.runs:
                continue
            ratio = ""
            if base is not None and m is not base and base.runs and m.label.startswith("aireg"):
                ratio = f"{m.wall / base.wall:.2f}"
            elif base is not None and m.label == "check-jsonschema":
                aireg_m = c.measures[0]
                ratio = f"{m.wall / aireg_m.wall:.1f}x"
            rss, anon = _peaks(m)
            failed = "" if m.codes <= {0} else f"  exit {sorted(m.codes)}"
            lines.append(
                f"{c.name:<36} {c.size or '':>7} {c.commits or '':>8}  {m.label:<30} "
                f"{m.wall:>8.3f} {m.cpu:>7.2f} {rss:>7} {anon:>8}  {ratio:>6}{failed}"
                + (f"  [{m.note}]" if m.note else ""))
    lines += ["", f"{'target':<52} {'limit':>7} {'measured':>9}  verdict"]
    for t in tgts:
        value = "n/a" if t.value is None else f"{t.value:.2f}"
        lines.append(f"{t.what:<52} {t.limit:>7} {value:>9}  {t.verdict}"
                     + (f"  ({t.detail})" if t.detail else ""))
    return "\n".join(lines)


def markdown(cases: list[Case], tgts: list[Target], env_info: dict[str, Any]) -> str:
    """The figures as README tables."""
    lines = [
        f"Measured {env_info['date']} on {env_info['nproc']} CPUs ({env_info['cpu']}), "
        f"Python {env_info['python']}, {env_info['git']}; load average "
        f"{env_info['load_before']:.1f} before the run, {env_info.get('load_after', 0):.1f} "
        "after. Medians of interleaved runs. RSS: the largest process of the command "
        "itself (aireg or its forked parsers); anon: the peak of the anonymous memory "
        "summed over every process of the run, git included.",
        "",
        "| target | limit | measured | |",
        "|---|---|---|---|",
    ]
    for t in tgts:
        value = "n/a" if t.value is None else f"{t.value:.2f}"
        detail = f" ({t.detail})" if t.detail else ""
        lines.append(f"| {t.what} | {t.limit} | {value} | {t.verdict}{detail} |")
    lines += ["", "| case | tools | commits | command | wall s | cpu s | RSS MB | anon MB |",
              "|---|---:|---:|---|---:|---:|---:|---:|"]
    for c in cases:
        for m in c.measures:
            if m.runs:
                rss, anon = _peaks(m)
                lines.append(f"| {c.name} | {c.size or ''} | {c.commits or ''} | {m.label} | "
                             f"{m.wall:.3f} | {m.cpu:.2f} | {rss} | {anon} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="100 and 1,000 tools only, fewer repetitions (under two minutes)")
    parser.add_argument("--work", type=Path,
                        default=Path(tempfile.gettempdir()) / "aireg-bench",
                        help="where generated registries are kept between runs")
    parser.add_argument("--reps", type=int, default=None,
                        help="repetitions of each command (default 5, quick 3)")
    parser.add_argument("--startup-reps", type=int, default=30)
    parser.add_argument("--sizes", default=None,
                        help="TOOLS:COMMITS,... instead of the default sizes")
    parser.add_argument("--no-audit", action="store_true", help="skip aireg audit")
    parser.add_argument("--cases", default="registry,pr,publish,startup,import",
                        help="which cases to run, comma-separated: registry (validate, list, "
                        "audit), pr, publish (site, report), startup, import; default all")
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    parser.add_argument("--markdown", action="store_true",
                        help="also print the figures as README tables")
    args = parser.parse_args(argv)

    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    if args.sizes:
        sizes = tuple(tuple(int(x) for x in s.split(":")) for s in args.sizes.split(","))  # type: ignore[assignment]
    reps = args.reps or (3 if args.quick else 5)
    aireg = tool("aireg") or [sys.executable, "-m", "aireg"]
    cjs = tool("check-jsonschema")
    args.work.mkdir(parents=True, exist_ok=True)
    gitconfig = args.work / "gitconfig"
    gitconfig.write_text("")
    env = {**os.environ, "NO_COLOR": "1", "GIT_CONFIG_GLOBAL": str(gitconfig),
           "GIT_CONFIG_NOSYSTEM": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    for var in ("AIREG_REGISTRY", "AIREG_JOBS", "GIT_DIR", "GIT_WORK_TREE"):
        env.pop(var, None)
    env_info = machine()
    started = time.perf_counter()

    cases: list[Case] = []
    audit_ok = _has_audit()
    which = set(args.cases.split(","))
    regs = ([registry(args.work, tools, commits) for tools, commits in sizes]
            if which & {"registry", "pr", "publish"} else [])
    for root, info in regs:
        _progress(f"{int(info['tools']):,} tools ")
        if "registry" in which:
            cases += bench_registry(root, info, reps, env, aireg, cjs,
                                    do_audit=audit_ok and not args.no_audit)
        if "publish" in which:
            cases += bench_publish(root, info, reps, env, aireg)
        _progress("\n")
    if "pr" in which:
        _progress("pull requests ")
        cases += bench_pull_requests(regs, reps, env, aireg)
        _progress("\n")
    if "import" in which:
        _progress("import ")
        found = bench_import(args.work, reps, env, aireg)
        cases += [found] if found else []
        _progress("\n")
    if "startup" in which:
        _progress("startup ")
        cases.append(bench_startup(args.startup_reps if not args.quick else 15, env, aireg))
    _progress(f"\n{time.perf_counter() - started:.0f} s\n")
    env_info["load_after"] = os.getloadavg()[0]
    tgts = targets(cases, args.quick)
    print(render(cases, tgts, env_info))
    if args.markdown:
        print()
        print(markdown(cases, tgts, env_info))
    if args.json:
        args.json.write_text(json.dumps({
            "machine": env_info,
            "cases": [{"case": c.name, "tools": c.size, "commits": c.commits,
                       "measures": [m.as_dict() for m in c.measures]} for c in cases],
            "targets": [{"what": t.what, "limit": t.limit, "value": t.value,
                         "verdict": t.verdict, "detail": t.detail} for t in tgts],
        }, indent=2))
    return 0


def _has_audit() -> bool:
    try:
        import aireg.audit  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    raise SystemExit(main())
