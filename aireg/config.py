"""Finding the registry and reading its organization config, aireg.yaml."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aireg import identity
from aireg.errors import EnvError, RuleError
from aireg.problems import Problem

CONFIG_FILE = "aireg.yaml"


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    ask: str


@dataclass(frozen=True)
class Policy:
    pilot_data: tuple[str, ...] = ("public", "synthetic")
    measure_within_days: int = 90
    reassess_every_days: int = 180
    require_signed_reviews: bool = False
    allowed_signers: str = ".aireg/allowed_signers"
    earliest_year: int = 1980  # a date before it is implausible (a spreadsheet error)


DEFAULT_TIERS = (
    ("prohibited", "EU AI Act art. 5: a practice that may not be placed on the market or used"),
    ("high", "EU AI Act art. 6 and annex III: high-risk"),
    ("limited", "EU AI Act art. 50: transparency obligations"),
    ("minimal", "minimal risk: no obligations beyond AI literacy"),
)
DEFAULT_FLAGS = (
    ("rights-impacting", "OMB M-24-10: the output is a basis for decisions about people's rights"),
    ("safety-impacting", "OMB M-24-10: the output can affect human life or safety"),
    ("high-impact", "OMB M-25-21: high-impact AI"),
)
DEFAULT_ROLES = (
    ("deployer", "the organization uses the system under its authority"),
    ("provider", "the organization develops the system or has it developed, under its name"),
)
DEFAULT_HIGH_RISK_CHECKLIST = (
    ("human-oversight", "Is a named person able to understand, override and stop the system's "
     "output before it affects anyone?"),
    ("impact-assessment", "Is a fundamental-rights or algorithmic impact assessment done and "
     "filed?"),
    ("logging", "Are the system's inputs, outputs and decisions logged and kept long enough to "
     "investigate a complaint?"),
    ("ai-literacy", "Are the people who use it trained in what it can and cannot do (AI "
     "literacy)?"),
)


@dataclass(frozen=True)
class Risk:
    """aireg.yaml's risk section: the tiers, flags and roles a record's `risk` may name."""

    tiers: tuple[str, ...] = tuple(t for t, _ in DEFAULT_TIERS)
    flags: tuple[str, ...] = tuple(f for f, _ in DEFAULT_FLAGS)
    roles: tuple[str, ...] = tuple(r for r, _ in DEFAULT_ROLES)
    prohibited: tuple[str, ...] = ("prohibited",)
    high: tuple[str, ...] = ("high", "rights-impacting", "safety-impacting", "high-impact")
    high_risk_checklist: tuple[ChecklistItem, ...] = tuple(
        ChecklistItem(i, a) for i, a in DEFAULT_HIGH_RISK_CHECKLIST)

    def is_prohibited(self, risk: Mapping[str, Any]) -> bool:
        return risk.get("tier") in self.prohibited

    def is_high(self, risk: Mapping[str, Any]) -> bool:
        flags = risk.get("flags") if isinstance(risk.get("flags"), list) else []
        return risk.get("tier") in self.high or any(f in self.high for f in flags or [])


@dataclass(frozen=True)
class Config:
    """aireg.yaml as the code uses it. Built only from a config that passed its schema."""

    organization: str
    departments: Mapping[str, tuple[str, ...]]  # name -> members (empty: anyone may edit)
    security: tuple[str, ...]
    caio: tuple[str, ...]
    admins: tuple[str, ...]
    data_classes: tuple[str, ...]
    policy: Policy
    checklist: tuple[ChecklistItem, ...]
    handles: Mapping[str, str] = field(default_factory=dict)
    risk: Risk = field(default_factory=Risk)

    def checklist_for(self, record: Mapping[str, Any]) -> tuple[ChecklistItem, ...]:
        """The questions a security review of `record` answers: the security checklist, and
        for a high-risk use (risk tier or flag in risk.high) the high-risk checklist too."""
        risk = record.get("risk")
        if isinstance(risk, Mapping) and self.risk.is_high(risk):
            return self.checklist + self.risk.high_risk_checklist
        return self.checklist

    def is_reviewer(self, email: str) -> bool:
        return identity.normal(email) in self.security

    def is_admin(self, email: str) -> bool:
        return identity.normal(email) in self.admins

    def may_edit(self, email: str, department: str) -> bool:
        """Whether `email` may edit a tool of `department` (besides being its owner)."""
        members = self.departments.get(department, ())
        return identity.normal(email) in members


def _emails(v: Any) -> tuple[str, ...]:
    return tuple(identity.normal(str(e)) for e in v) if isinstance(v, list) else ()


def build(data: Mapping[str, Any]) -> Config:
    """A Config from a mapping that passed the config schema (missing parts default)."""
    deps = data.get("departments") or {}
    roles = data.get("roles") or {}
    pol = data.get("policy") or {}
    policy = Policy(
        pilot_data=tuple(pol.get("pilot_data", Policy.pilot_data)),
        measure_within_days=int(pol.get("measure_within_days", Policy.measure_within_days)),
        reassess_every_days=int(pol.get("reassess_every_days", Policy.reassess_every_days)),
        require_signed_reviews=bool(pol.get("require_signed_reviews", False)),
        allowed_signers=str(pol.get("allowed_signers", Policy.allowed_signers)),
        earliest_year=int(pol.get("earliest_year", Policy.earliest_year)),
    )
    rk = data.get("risk") or {}

    def ids(key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        got = rk.get(key)
        if not isinstance(got, list):
            return default
        return tuple(str(i.get("id")) if isinstance(i, Mapping) else str(i) for i in got)

    base = Risk()
    high_list = rk.get("high_risk_checklist")
    risk = Risk(
        tiers=ids("tiers", base.tiers), flags=ids("flags", base.flags),
        roles=ids("roles", base.roles), prohibited=ids("prohibited", base.prohibited),
        high=ids("high", base.high),
        high_risk_checklist=base.high_risk_checklist if not isinstance(high_list, list) else
        tuple(ChecklistItem(str(i.get("id")), str(i.get("ask")))
              for i in high_list if isinstance(i, Mapping)),
    )
    return Config(
        organization=str(data.get("organization", "")),
        departments={
            str(k): _emails((v or {}).get("members") if isinstance(v, Mapping) else None)
            for k, v in deps.items()
        },
        security=_emails(roles.get("security")),
        caio=_emails(roles.get("caio")),
        admins=_emails(roles.get("admins")),
        data_classes=tuple(data.get("data_classes") or ()),
        policy=policy,
        checklist=tuple(
            ChecklistItem(str(i.get("id")), str(i.get("ask")))
            for i in data.get("security_checklist") or ()
            if isinstance(i, Mapping)
        ),
        handles={str(k).lower(): str(v) for k, v in (data.get("handles") or {}).items()},
        risk=risk,
    )


def check(data: Any, file: str, text: str) -> tuple[Config | None, list[Problem]]:
    """Check aireg.yaml's content: its shape (the config schema) and its cross-references."""
    from aireg import schema

    problems = schema.shape_problems(data, "config", file, text)
    if problems:
        return None, problems
    cfg = build(data)
    out: list[Problem] = []

    def add(fieldname: str, message: str, rule: str) -> None:
        from aireg import yamlio

        dotted = fieldname.replace("[", ".").replace("]", "")
        path = [int(p) if p.isdigit() else p for p in dotted.split(".")]
        pos = yamlio.locate(text, path)
        out.append(Problem(file, fieldname, message, rule, *(pos or (None, None))))

    for i, dc in enumerate(cfg.policy.pilot_data):
        if dc not in cfg.data_classes:
            add(f"policy.pilot_data[{i}]",
                f'policy.pilot_data names "{dc}", which is not in data_classes; add it to '
                "data_classes or remove it.", "unknown-data-class")
    seen: set[str] = set()
    for i, item in enumerate(cfg.checklist):
        if item.id in seen:
            add(f"security_checklist[{i}].id",
                f'security_checklist id "{item.id}" appears twice; give each question its own id.',
                "duplicate-id")
        seen.add(item.id)
    for where, people in _people(data):
        for i, person in enumerate(people):
            why = identity.problem(person)
            if why is not None:
                add(f"{where}[{i}]", f"{where}[{i}] cannot name a person: {why}; write the "
                    "address as plain text.", "bad-identity")
    named = set(cfg.risk.tiers) | set(cfg.risk.flags)
    for key in ("prohibited", "high"):
        for i, rid in enumerate(getattr(cfg.risk, key)):
            if rid not in named and isinstance((data.get("risk") or {}).get(key), list):
                add(f"risk.{key}[{i}]", f'risk.{key} names "{rid}", which is neither a tier nor '
                    "a flag of risk; add it to risk.tiers or risk.flags, or remove it.",
                    "unknown-risk")
    if not cfg.security:
        add("roles.security", "roles.security is empty, so no tool could ever be reviewed; "
            "add the CTO's e-mail.", "no-reviewer")
    return cfg, out


def _people(data: Mapping[str, Any]) -> list[tuple[str, list[Any]]]:
    """Every list of people in the config, with its field path."""
    out: list[tuple[str, list[Any]]] = []
    for name, dept in (data.get("departments") or {}).items():
        members = dept.get("members") if isinstance(dept, Mapping) else None
        if isinstance(members, list):
            out.append((f"departments.{name}.members", members))
    for role, people in (data.get("roles") or {}).items():
        if isinstance(people, list):
            out.append((f"roles.{role}", people))
    return out


def _is_file(path: Path, explicit: bool) -> bool:
    """Whether `path` is a file; a folder aireg may not enter is an error when the user named
    it, and a folder without a registry when walking up."""
    try:
        return path.is_file()
    except OSError as exc:
        if not explicit:
            return False
        raise EnvError(f"{path} cannot be read ({exc.strerror}); check the permissions of "
                       f"{path.parent} and the folders above it.") from exc


def find_root(start: Path | None = None, explicit: str | None = None) -> Path:
    """The registry root: --registry, else AIREG_REGISTRY, else walk up to aireg.yaml."""
    given = explicit or os.environ.get("AIREG_REGISTRY")
    if given:
        root = Path(given).expanduser()
        if not _is_file(root / CONFIG_FILE, explicit=True):
            raise EnvError(
                f"{root} is not an aireg registry (it has no {CONFIG_FILE}); pass the "
                "registry's top folder, or create one with `aireg init`."
            )
        return root.resolve()
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if _is_file(candidate / CONFIG_FILE, explicit=False):
            return candidate
    raise EnvError(
        f"{here} is not inside an aireg registry (no {CONFIG_FILE} here or above); cd into "
        "one, pass --registry PATH, or create one with `aireg init`."
    )


def load(root: Path) -> Config:
    """Load and check aireg.yaml for a command that needs a working config."""
    from aireg import yamlio

    path = root / CONFIG_FILE
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise EnvError(f"{CONFIG_FILE} cannot be read ({exc.strerror}); "
                       "check its permissions.") from exc
    text = raw.decode("utf-8", "replace")
    data = yamlio.load(raw, CONFIG_FILE)
    cfg, problems = check(data, CONFIG_FILE, text)
    if problems or cfg is None:
        p = problems[0]
        more = f" ({len(problems) - 1} more: run `aireg validate`)" if len(problems) > 1 else ""
        raise RuleError(f"{p.location}: {p.message}{more}")
    return cfg
