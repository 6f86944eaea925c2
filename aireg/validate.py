"""`aireg validate`: every record rule over the working tree (and history rules with --base)."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aireg import config as config_mod
from aireg import records, rules
from aireg.errors import AiregError
from aireg.problems import Problem
from aireg.repo import RecordFile, Registry, read_file, today


@dataclass
class Result:
    """All problems found, in file order; warnings count as errors under --strict."""

    problems: list[Problem] = field(default_factory=list)
    files: int = 0
    commits: int = 0
    strict: bool = False

    def is_error(self, p: Problem) -> bool:
        return p.severity == "error" or self.strict

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if self.is_error(p)]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning" and not self.strict]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def exit_code(self) -> int:
        """3 when a file could not be read (the environment, not a rule: SPEC), 1 when a rule
        is broken, else 0."""
        from aireg.repo import ENV_PROBLEMS

        if any(p.rule in ENV_PROBLEMS for p in self.problems):
            return 3
        return 0 if self.ok else 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "files": self.files,
            "commits": self.commits,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "problems": [
                {**p.as_dict(), "severity": "error" if self.is_error(p) else "warning"}
                for p in self.problems
            ],
        }


def _entry_problems(rel: str) -> Problem | None:
    """tools/ holds only <id>.yaml files whose names are valid ids."""
    name = rel.rsplit("/", 1)[-1]
    if name.endswith(".yml"):
        return Problem(rel, "", f"{rel} ends in .yml; records end in .yaml: rename it to "
                       f"{name[:-4]}.yaml.", "file-name", 1, 1)
    if not name.endswith(".yaml"):
        return Problem(rel, "", f"{rel} is not a record; tools/ holds only <id>.yaml files: "
                       "move it out of tools/.", "file-name")
    stem = records.file_id(rel)
    if not records.is_valid_id(stem):
        return Problem(rel, "", f'"{stem}" is not a valid tool id, so {rel} cannot be a record; '
                       "rename it to a lowercase slug of letters, digits and single hyphens "
                       "(at most 64 characters).", "file-name", 1, 1)
    return None


def normalize_paths(reg: Registry, paths: Sequence[str]) -> list[str]:
    """Registry-relative paths for the PATH arguments (pre-commit passes file names)."""
    out = []
    for p in paths:
        path = Path(p)
        full = path if path.is_absolute() else Path.cwd() / path
        try:
            rel = full.resolve().relative_to(reg.root.resolve()).as_posix()
        except ValueError:
            rel = path.as_posix()
        out.append(rel)
    return out


def find_registry(explicit: str | None, *, history: bool) -> Registry:
    """The registry, as every command finds it; for the history rules (--base) also a git
    checkout whose aireg.yaml was deleted, so that deletion is judged (exit 1), not taken for
    a wrong folder (exit 3)."""
    from aireg.errors import EnvError
    from aireg.gitrepo import Git

    try:
        return Registry.find(explicit)
    except EnvError:
        if not history:
            raise
        start = Path(explicit).expanduser() if explicit else Path.cwd()
        code, out, _ = Git(start).run_full("rev-parse", "--show-toplevel")
        if code != 0 or not out.strip():
            raise
        return Registry(Path(out.decode("utf-8", "surrogateescape").strip()))


def check_working_tree(
    reg: Registry, paths: Sequence[str] = (), *, strict: bool = False, facts_lookup: bool = True
) -> Result:
    """The record rules over the whole registry, or over `paths` (config always included)."""
    result = Result(strict=strict)
    cfg_file = read_file(reg.root, config_mod.CONFIG_FILE)
    result.files += 1
    if cfg_file.problem is not None:
        problem = cfg_file.problem
        if problem.rule == "vanished" and not (reg.root / config_mod.CONFIG_FILE).exists():
            problem = Problem(config_mod.CONFIG_FILE, "", f"{config_mod.CONFIG_FILE} does not "
                              "exist; a registry always has its config: restore it (`git "
                              f"checkout -- {config_mod.CONFIG_FILE}`).", "config-deleted")
        result.problems.append(problem)
        return result
    cfg, cfg_problems = config_mod.check(cfg_file.data, config_mod.CONFIG_FILE, cfg_file.text)
    result.problems.extend(cfg_problems)
    if cfg is None:
        return result
    _check_codeowners(reg, cfg, paths, result)
    all_files = reg.tool_files()
    ids = frozenset(records.file_id(r) for r in all_files if r.endswith(".yaml"))
    if paths:
        wanted = [r for r in normalize_paths(reg, paths) if r.startswith(f"{records.TOOLS_DIR}/")]
    else:
        wanted = all_files
    ctx = rules.Context(
        config=cfg,
        ids=ids,
        today=today(),
        verify_signature=_signature_checker(reg, cfg),
        facts_at_review=_facts_lookup(reg) if facts_lookup else None,
    )
    to_read = []
    for rel in wanted:
        entry = _entry_problems(rel)
        if entry is not None:
            result.problems.append(entry)
            result.files += 1
        else:
            to_read.append(rel)
    from aireg import loader

    # Only each file's problems come back from the parsing workers, never the whole record.
    for found in loader.map_files(reg.root, to_read, functools.partial(_check_file, ctx=ctx)):
        result.files += 1
        result.problems.extend(found)
    return result


def check(reg: Registry, paths: Sequence[str] = (), *, base: str | None = None,
          strict: bool = False) -> Result:
    """`aireg validate`: the record rules over `paths` (default: the whole registry) and, with
    `base`, the history rules over base..HEAD.

    With `base` and no `paths`, the record rules read only what the range changed (plus
    aireg.yaml, and the names in tools/ for the cross-record checks), so a pull request's
    check costs the same in a registry of 100 tools or 10,000; a change that can move every
    record's verdict (aireg.yaml, the allowed signers, a record deleted or renamed) is
    checked against the whole registry.
    """
    hist = None
    if base is not None:
        from aireg import history

        hist = history.check_history(reg.root, base)  # a missing base is exit 3 before all
        if not paths and hist.base is not None and hist.head is not None:
            paths = changed_files(reg, hist.base, hist.head) or ()
    result = check_working_tree(reg, paths, strict=strict)
    if hist is not None:
        # A stale review found by both: keep history's, which names who changed the facts.
        stale = {p.file for p in hist.problems if p.rule == "stale-review"}
        result.problems = [p for p in result.problems
                           if not (p.rule == "stale-review" and p.file in stale)]
        result.problems.extend(hist.problems)
        result.commits = hist.commits
    return result


def changed_files(reg: Registry, base: str, head: str) -> list[str] | None:
    """The files `base...head` changes (registry-relative), or None when the whole registry
    must be checked because the change reaches beyond the files it touches."""
    code, out, _ = reg.git.run_full("diff", "--name-only", "-z", "--no-renames",
                                    "--no-ext-diff", f"{base}...{head}", "--")
    if code != 0:
        return None  # no merge base (unrelated history): check everything
    rels = [r for r in out.decode("utf-8", "surrogateescape").split("\0") if r]
    for rel in rels:
        if rel.startswith(f"{records.TOOLS_DIR}/"):
            if not (reg.root / rel).exists():
                return None  # deleted or renamed: other records may still name it
        elif rel == config_mod.CONFIG_FILE or rel.startswith(".aireg/") or rel == _signers(reg):
            return None  # departments, roles, policy or keys: every verdict can move
    # Never empty, which would mean "everything": aireg.yaml is checked in every case.
    return rels or [config_mod.CONFIG_FILE]


def _check_codeowners(reg: Registry, cfg: config_mod.Config, paths: Sequence[str],
                      result: Result) -> None:
    """A stale CODEOWNERS is a warning: on a whole-registry check, or when a PATH names it
    or aireg.yaml (a pre-commit run on a changed aireg.yaml)."""
    from aireg import codeowners

    if paths and not {config_mod.CONFIG_FILE, codeowners.FILE} & set(normalize_paths(reg, paths)):
        return
    stale = codeowners.stale_problem(reg.root, cfg)
    if stale is not None:
        result.problems.append(stale)


def _signers(reg: Registry) -> str:
    try:
        return reg.config.policy.allowed_signers
    except AiregError:  # a broken aireg.yaml is reported by the check itself
        return config_mod.Policy.allowed_signers


def _check_file(rf: RecordFile, ctx: rules.Context) -> list[Problem]:
    if rf.problem is not None:
        return [rf.problem]
    return rules.check_record(rf.rel, rf.text, rf.data, ctx)


def _signature_checker(reg: Registry, cfg: config_mod.Config) -> rules.SignatureCheck | None:
    if not cfg.policy.require_signed_reviews:
        return None
    try:
        from aireg import signing
    except ImportError:  # pragma: no cover - signing ships with aireg
        return None
    return signing.checker(reg.root, cfg)


def _facts_lookup(reg: Registry) -> rules.FactsAtReview:
    def lookup(rel: str, digest: str) -> Any:
        try:
            from aireg import history
        except ImportError:  # pragma: no cover
            return None
        return history.record_with_digest(reg.root, rel, digest)

    return lookup


def field_path(dotted: str) -> list[str | int]:
    """`impact[0].metric` as ["impact", 0, "metric"]."""
    import re

    out: list[str | int] = []
    for part in dotted.split("."):
        m = re.fullmatch(r"([^\[\]]*)((?:\[\d+\])*)", part)
        if m is None:
            out.append(part)
            continue
        if m.group(1):
            out.append(m.group(1))
        out += [int(i) for i in re.findall(r"\[(\d+)\]", m.group(2))]
    return out


def locate_fields(reg: Registry, result: Result) -> None:
    """Give each problem that names a field but no line (history problems) the line of that
    field in the file as it stands, so CI annotations point at the field."""
    from aireg import yamlio

    texts: dict[str, str | None] = {}
    for i, p in enumerate(result.problems):
        if p.line is not None or not p.field or not p.file:
            continue
        if p.file not in texts:
            try:
                texts[p.file] = (reg.root / p.file).read_text("utf-8")
            except (OSError, UnicodeDecodeError):
                texts[p.file] = None
        text = texts[p.file]
        pos = yamlio.locate(text, field_path(p.field)) if text is not None else None
        if pos is not None:
            result.problems[i] = dataclasses.replace(p, line=pos[0], column=pos[1])
