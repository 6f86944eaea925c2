"""The record model: stages, what each stage needs to be left, and the facts a review judges."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

SCHEMA = "aireg/v1"
ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
ID_MAX = 64
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TOOLS_DIR = "tools"
SCHEMA_MODELINE = "# yaml-language-server: $schema=../schema/tool.schema.json\n"

# The order of keys in a record, as SPEC section 2 shows it; new sections are placed in it.
KEY_ORDER = (
    "schema", "id", "name", "vendor", "url", "department", "owner", "stage", "created",
    "imported", "risk", "tags", "notes", "source", "purpose", "users", "pilot", "security",
    "impact", "reassessments", "rejected", "retired",
)


class Stage(StrEnum):
    """The six steps, then the two exits."""

    PURPOSE = "purpose"
    USERS = "users"
    PILOT = "pilot"
    SECURITY = "security"
    IMPACT = "impact"
    ACTIVE = "active"
    REJECTED = "rejected"
    RETIRED = "retired"

    def __str__(self) -> str:
        return self.value

    @property
    def is_exit(self) -> bool:
        return self in (Stage.REJECTED, Stage.RETIRED)

    @property
    def step(self) -> int | None:
        """1..6 for the workflow steps, None for the exits."""
        return None if self.is_exit else WORKFLOW.index(self) + 1

    @property
    def next(self) -> Stage | None:
        if self.is_exit or self is Stage.ACTIVE:
            return None
        return WORKFLOW[WORKFLOW.index(self) + 1]

    @property
    def left(self) -> tuple[Stage, ...]:
        """The workflow stages a record in this stage has already completed."""
        if self.is_exit:
            return ()
        return WORKFLOW[: WORKFLOW.index(self)]


WORKFLOW: tuple[Stage, ...] = (
    Stage.PURPOSE, Stage.USERS, Stage.PILOT, Stage.SECURITY, Stage.IMPACT, Stage.ACTIVE,
)
STAGE_NAMES: tuple[str, ...] = tuple(s.value for s in Stage)
STAGE_STEPS = {
    Stage.PURPOSE: "define the tool's goal together with the team",
    Stage.USERS: "identify who will use it daily, and their needs",
    Stage.PILOT: "test that it works as intended",
    Stage.SECURITY: "the CTO checks security and integration",
    Stage.IMPACT: "deployed; measure whether it makes things better",
    Stage.ACTIVE: "in use; periodically check whether a better solution exists",
    Stage.REJECTED: "rejected or withdrawn",
    Stage.RETIRED: "discontinued or replaced",
}


def parse_stage(value: object) -> Stage | None:
    try:
        return Stage(value) if isinstance(value, str) else None
    except ValueError:
        return None


def is_valid_date(value: object) -> bool:
    if not isinstance(value, str) or not DATE_RE.match(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Requirement:
    """One thing a stage needs before it can be left: the field, what it is, the flag."""

    field: str
    what: str
    flag: str
    met: bool


def _text(v: object) -> bool:
    return isinstance(v, str) and bool(v.strip())


def as_list(v: object) -> list[Any]:
    """A record's list field as a list; anything else (missing, wrong type) as []."""
    return v if isinstance(v, list) else []


def as_map(v: object) -> Mapping[str, Any]:
    """A record's mapping field as a mapping; anything else (missing, wrong type) as {}."""
    return v if isinstance(v, Mapping) else {}


def as_text(v: object) -> str:
    """A record's scalar field as text; missing as ""."""
    return "" if v is None else str(v)


def as_texts(v: object) -> tuple[str, ...]:
    """A record's list field as a tuple of texts; anything else as ()."""
    return tuple(as_text(x) for x in v) if isinstance(v, list) else ()


def record_path(tool_id: str) -> str:
    """The registry-relative file of a tool: tools/<id>.yaml."""
    return f"{TOOLS_DIR}/{tool_id}.yaml"


def file_id(rel: str) -> str:
    """The id a record file's name gives (tools/<id>.yaml -> <id>), whether valid or not."""
    return rel.rsplit("/", 1)[-1].removesuffix(".yaml")


def record_id(rel: str) -> str | None:
    """The tool id of a registry-relative path when it is a record's file
    (tools/<valid id>.yaml), else None."""
    prefix = f"{TOOLS_DIR}/"
    if not rel.startswith(prefix) or not rel.endswith(".yaml") or "/" in rel[len(prefix):]:
        return None
    tool_id = rel[len(prefix):-len(".yaml")]
    return tool_id if is_valid_id(tool_id) else None


def is_valid_id(tool_id: str) -> bool:
    """Whether `tool_id` is a tool id: a lowercase slug, at most ID_MAX characters."""
    return len(tool_id) <= ID_MAX and bool(ID_RE.match(tool_id))


def requirements(record: Mapping[str, Any], stage: Stage) -> list[Requirement]:
    """Everything `stage` needs before a record may leave it, each marked met or not."""
    owner = record.get("owner")
    if stage is Stage.PURPOSE:
        p = as_map(record.get("purpose"))
        others = [e for e in as_list(p.get("defined_with")) if isinstance(e, str) and e != owner]
        return [
            Requirement("purpose.problem", "the problem the tool solves", "--problem",
                        _text(p.get("problem"))),
            Requirement("purpose.goal", "the goal", "--goal", _text(p.get("goal"))),
            Requirement("purpose.success_criteria", "at least one success criterion",
                        "--criterion", any(_text(c) for c in as_list(p.get("success_criteria")))),
            Requirement("purpose.defined_with",
                        "at least one colleague besides the owner who defined the purpose",
                        "--with", bool(others)),
        ]
    if stage is Stage.USERS:
        groups = [as_map(g) for g in as_list(record.get("users"))]
        complete = bool(groups) and all(
            _text(g.get("group"))
            and isinstance(g.get("count"), int) and not isinstance(g.get("count"), bool)
            and g.get("count", 0) >= 1
            and any(_text(n) for n in as_list(g.get("needs")))
            for g in groups
        )
        return [
            Requirement("users", "at least one user group with its group, count and needs",
                        "--group/--count/--need", complete),
        ]
    if stage is Stage.PILOT:
        p = as_map(record.get("pilot"))
        sec = as_map(record.get("security"))
        data = as_list(p.get("data"))
        start, end = p.get("start"), p.get("end")
        return [
            Requirement("pilot.start", "the pilot's start date", "--start", is_valid_date(start)),
            Requirement("pilot.end", "the pilot's end date", "--end", is_valid_date(end)),
            Requirement("pilot.participants", "at least one participant", "--participant",
                        any(_text(x) for x in as_list(p.get("participants")))),
            Requirement("pilot.data", "the data classes the pilot touched", "--data",
                        bool(data)),
            Requirement("pilot.result", "the result: passed (a failed pilot is withdrawn)",
                        "--result", p.get("result") == "passed"),
            Requirement("pilot.findings", "what the pilot found", "--findings",
                        _text(p.get("findings"))),
            # Leaving the pilot means waiting for the CTO, who can judge only facts that the
            # owner has written down: the security facts are part of the pilot step.
            Requirement("security.data", "the data classes the tool will see",
                        "--security-data", bool(as_list(sec.get("data")))),
            Requirement("security.trains_on_our_data", "whether the vendor trains on our data",
                        "--trains-on-our-data/--no-trains-on-our-data",
                        isinstance(sec.get("trains_on_our_data"), bool)),
            Requirement("security.retention", "how long the vendor keeps our data",
                        "--retention", _text(sec.get("retention"))),
            Requirement("security.sso", "whether it supports single sign-on", "--sso/--no-sso",
                        isinstance(sec.get("sso"), bool)),
            Requirement("security.integrations", "the systems it connects to ([] for none)",
                        "--integration/--no-integrations",
                        isinstance(sec.get("integrations"), list)),
        ]
    if stage is Stage.SECURITY:
        review = as_map(as_map(record.get("security")).get("review"))
        return [
            Requirement("security.review", "an approved security review", "aireg review",
                        review.get("decision") == "approved"),
        ]
    if stage is Stage.IMPACT:
        return [
            Requirement("impact", "at least one measured metric", "aireg measure",
                        any(_text(as_map(m).get("metric")) for m in as_list(record.get("impact")))),
        ]
    return []


def missing(record: Mapping[str, Any], stage: Stage) -> list[Requirement]:
    return [r for r in requirements(record, stage) if not r.met]


# -- what a security review judges ------------------------------------------------------

FACT_KEYS = ("id", "name", "vendor", "url", "department")
SECURITY_FACT_KEYS = (
    "data", "trains_on_our_data", "retention", "residency", "sso", "integrations", "notes",
)


def facts(record: Mapping[str, Any]) -> dict[str, Any]:
    """The facts a security reviewer saw: identity, vendor, the security facts, pilot data."""
    sec = as_map(record.get("security"))
    out: dict[str, Any] = {k: record.get(k) for k in FACT_KEYS}
    out["security"] = {k: sec[k] for k in sorted(sec) if k != "review"}
    out["pilot.data"] = as_map(record.get("pilot")).get("data")
    if "risk" in record:  # only when present, so reviews recorded before risk existed hold
        out["risk"] = record["risk"]
    return out


def digest(record: Mapping[str, Any]) -> str:
    canonical = json.dumps(facts(record), sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False, default=str)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def changed_facts(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Names of the facts that differ, e.g. ['security.data', 'vendor']."""
    a, b = facts(before), facts(after)
    names = [k for k in FACT_KEYS if a.get(k) != b.get(k)]
    sa, sb = a["security"], b["security"]
    names += [f"security.{k}" for k in sorted(set(sa) | set(sb)) if sa.get(k) != sb.get(k)]
    if a["pilot.data"] != b["pilot.data"]:
        names.append("pilot.data")
    if a.get("risk") != b.get("risk"):
        names.append("risk")
    return names


def review_payload(tool_id: str, decision: str, day: str, reviewer: str, dig: str) -> bytes:
    """The version-1 payload (tool, decision, date, reviewer, digest): it still proves a
    review that holds no other field; every new signature signs `signed_payload`."""
    return (
        "aireg-review v1\n"
        f"tool: {tool_id}\ndecision: {decision}\ndate: {day}\n"
        f"reviewer: {reviewer}\ndigest: {dig}\n"
    ).encode()


V1_REVIEW_FIELDS = frozenset({"decision", "date", "by", "digest", "signature"})


def signed_payload(tool_id: str, review: Mapping[str, Any]) -> bytes:
    """The canonical text a signed review signs (namespace aireg-review): the tool id and
    every field of the review except `signature`, so no field can change after signing."""
    fields = {str(k): v for k, v in review.items() if k != "signature"}
    body = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)
    return f"aireg-review v2\ntool: {tool_id}\nreview: {body}\n".encode()


def ordered(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record with its keys in SPEC order (unknown keys last, as they came)."""
    out = {k: record[k] for k in KEY_ORDER if k in record}
    out.update({k: v for k, v in record.items() if k not in out})
    return out
