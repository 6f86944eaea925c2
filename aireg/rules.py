"""The record rules of SPEC section 4: one record in, every problem out; pure, no I/O."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from aireg import due, identity, imported, records
from aireg.config import Config
from aireg.problems import Problem
from aireg.records import Stage

# (tool id, review) -> None when the signature verifies, else the reason it does not.
SignatureCheck = Callable[[str, Mapping[str, Any]], "str | None"]
# (file, digest) -> the record as it stood when a review with that digest was recorded.
FactsAtReview = Callable[[str, str], "Mapping[str, Any] | None"]


@dataclass(frozen=True)
class Context:
    """What the record rules need beyond the record itself."""

    config: Config
    ids: frozenset[str]
    today: date
    verify_signature: SignatureCheck | None = None
    facts_at_review: FactsAtReview | None = None


_map, _list = records.as_map, records.as_list


class _Collector:
    """Gathers a record's problems, placing each at its field in the file."""

    def __init__(self, file: str, text: str) -> None:
        self.file, self.text, self.problems = file, text, list[Problem]()

    def add(self, field: str, message: str, rule: str, severity: str = "error") -> None:
        from aireg import yamlio

        path: list[str | int] = []
        for part in field.replace("]", "").replace("[", ".").split("."):
            if part:
                path.append(int(part) if part.isdigit() else part)
        pos = yamlio.locate(self.text, path) if self.text and path else None
        line, col = pos if pos else (1, 1) if not path else (None, None)
        self.problems.append(
            Problem(self.file, field, message, rule, line, col, severity)  # type: ignore[arg-type]
        )


DATE_FIELDS = (
    ("created",), ("pilot", "start"), ("pilot", "end"), ("security", "review", "date"),
    ("retired", "date"), ("rejected", "date"),
)


def check_record(file: str, text: str, data: Any, ctx: Context) -> list[Problem]:
    """Every record rule over one parsed record (its shape first, then its meaning)."""
    from aireg import schema

    out = _Collector(file, text)
    if not isinstance(data, Mapping):
        out.add("", f"{file} must be a mapping of fields (id: ..., name: ...), not "
                f"{schema._describe(data)}; start from `aireg propose`.", "not-a-mapping")
        return out.problems
    out.problems.extend(schema.shape_problems(data, "tool", file, text))
    cfg = ctx.config
    stem = records.file_id(file)
    tool_id = data.get("id")
    if isinstance(tool_id, str) and tool_id != stem:
        out.add("id", f'id is "{tool_id}" but the file is named {stem}.yaml; the id is the '
                f"file name: rename neither, write id: {stem}.", "id-mismatch")

    review_by = _map(_map(data.get("security")).get("review")).get("by")
    for where, person in (("owner", data.get("owner")), ("security.review.by", review_by)):
        why = identity.problem(person)
        if why is not None:
            out.add(where, f"{where} cannot name a person: {why}; write the address as plain "
                    "text.", "bad-identity")

    dept = data.get("department")
    if isinstance(dept, str) and dept not in cfg.departments:
        import difflib

        close = difflib.get_close_matches(dept, list(cfg.departments), n=1)
        hint = f' Did you mean "{close[0]}"?' if close else ""
        out.add("department", f'department "{dept}" is not in aireg.yaml; use one of '
                f"{', '.join(cfg.departments)} or ask an admin to add it.{hint}",
                "unknown-department")

    for path in DATE_FIELDS:
        value: Any = data
        for part in path:
            value = _map(value).get(part)
        if (isinstance(value, str) and records.DATE_RE.match(value)
                and not records.is_valid_date(value)):
            out.add(".".join(path), f"{'.'.join(path)} is {value}, which is not a real date; "
                    "write a calendar date as YYYY-MM-DD.", "bad-date")
    for key, datefield in (("impact", "measured"), ("reassessments", "date")):
        for i, item in enumerate(_list(data.get(key))):
            value = _map(item).get(datefield)
            if (isinstance(value, str) and records.DATE_RE.match(value)
                    and not records.is_valid_date(value)):
                out.add(f"{key}[{i}].{datefield}", f"{key}[{i}].{datefield} is {value}, which "
                        "is not a real date; write a calendar date as YYYY-MM-DD.", "bad-date")

    _implausible_dates(data, ctx, out)

    pilot = _map(data.get("pilot"))
    start, end = pilot.get("start"), pilot.get("end")
    if records.is_valid_date(start) and records.is_valid_date(end) and str(end) < str(start):
        out.add("pilot.end", f"pilot.end ({end}) is before pilot.start ({start}); swap them.",
                "bad-date")

    for section, label in (("pilot", "pilot.data"), ("security", "security.data")):
        for i, dc in enumerate(_list(_map(data.get(section)).get("data"))):
            if isinstance(dc, str) and dc not in cfg.data_classes:
                out.add(f"{label}[{i}]", f'{label} names "{dc}", which is not a data class in '
                        f"aireg.yaml; use one of {', '.join(cfg.data_classes)}.",
                        "unknown-data-class")
    for i, dc in enumerate(_list(pilot.get("data"))):
        if isinstance(dc, str) and dc in cfg.data_classes and dc not in cfg.policy.pilot_data:
            out.add(f"pilot.data[{i}]", f'pilot.data includes "{dc}", but a pilot may touch '
                    f"only {', '.join(cfg.policy.pilot_data)} before the security review "
                    "(policy.pilot_data); pilot with that data instead.", "pilot-data")

    for fieldname, message in imported.check(data):
        out.add(fieldname, message, "bad-imported")
    stage = records.parse_stage(data.get("stage"))
    if stage is not None:
        _stage_rules(data, stage, ctx, out)
        _risk_rules(data, stage, ctx, out)

    retired = _map(data.get("retired"))
    replaced_by = retired.get("replaced_by")
    if isinstance(replaced_by, str):
        if replaced_by == tool_id:
            out.add("retired.replaced_by", "retired.replaced_by names the tool itself; name "
                    "the tool that replaced it.", "bad-replacement")
        elif replaced_by not in ctx.ids:
            out.add("retired.replaced_by", f'retired.replaced_by names "{replaced_by}", which '
                    f"is not a tool in tools/; name an existing tool id.", "unknown-tool")
    return out.problems


def _stage_rules(data: Mapping[str, Any], stage: Stage, ctx: Context, out: _Collector) -> None:
    cfg = ctx.config
    # An imported record lacks, by design, the evidence its `imported.lacks` lists (the steps
    # the source reported as done before aireg knew the tool); nothing else is excused.
    imp = imported.section(data)
    lacks: list[Any] = list(_list(imp.get("lacks"))) if imp is not None else []
    for left in stage.left:
        if left is Stage.SECURITY:
            continue  # judged with the review below
        # One problem per section, so a record missing a whole step reads as one sentence.
        by_section: dict[str, list[records.Requirement]] = {}
        for req in records.missing(data, left):
            if imported.covers(lacks, req.field):
                continue
            by_section.setdefault(req.field.split(".")[0], []).append(req)
        for section, reqs in by_section.items():
            if len(reqs) == 1:
                req = reqs[0]
                out.add(req.field, f"the tool is in {stage}, so its {left} step is done, but "
                        f"{req.what} is missing or incomplete; fill it in.",
                        "incomplete-stage")
            else:
                fields = ", ".join(r.field.split(".", 1)[-1] for r in reqs)
                out.add(section, f"the tool is in {stage}, so its {left} step is done, but "
                        f"{section} lacks {fields}; fill them in.", "incomplete-stage")
    if stage is Stage.RETIRED and not data.get("retired"):
        out.add("stage", "the tool is retired but has no retired section (date, reason); "
                "retire it with `aireg retire`.", "incomplete-stage")
    if stage is Stage.REJECTED and not data.get("rejected") and not _rejected_by_review(data):
        out.add("stage", "the tool is rejected but has no rejected section (date, reason) "
                "and no rejecting review; withdraw it with `aireg withdraw`.",
                "incomplete-stage")
    for sec in ("retired", "rejected"):
        got = data.get(sec)
        if isinstance(got, Mapping) and "date" not in got and not imported.covers(
                lacks, f"{sec}.date"):
            out.add(sec, f"{sec} has no date; write {sec}.date (YYYY-MM-DD), the day the tool "
                    f"was {sec}.", "incomplete-stage")

    review = _map(_map(data.get("security")).get("review"))
    past_security = stage in (Stage.IMPACT, Stage.ACTIVE)
    if review and stage in (Stage.PURPOSE, Stage.USERS, Stage.PILOT):
        out.add("security.review", f"the tool is in {stage}, so it has not been reviewed; a "
                "review is recorded only by `aireg review --security` while the tool is in "
                "security: remove security.review.", "premature-review")
    if not past_security:
        return
    decision = review.get("decision")
    if decision != "approved" and not review and imported.covers(lacks, imported.REVIEW):
        return  # deployed before aireg knew it, never reviewed: the report's loudest backlog
    if decision != "approved":
        out.add("security.review" if review else "security",
                f"the tool is in {stage}, past the security step, but has no approved "
                "security review; it must be reviewed with `aireg review --security`.",
                "unreviewed")
        return
    by = identity.normal(review.get("by", ""))
    owner = identity.normal(data.get("owner", ""))
    if by and not cfg.is_reviewer(by):
        out.add("security.review.by", f"the review was recorded by {by}, who is not in "
                "roles.security of aireg.yaml; a security reviewer must review it again.",
                "not-a-reviewer")
    if by and by == owner:
        out.add("security.review.by", f"the review was recorded by the tool's owner ({by}); "
                "no one approves their own tool: another security reviewer must review it.",
                "self-review")
    current = records.digest(data)
    recorded = review.get("digest")
    if isinstance(recorded, str) and recorded != current:
        changed = ""
        if ctx.facts_at_review is not None:
            before = ctx.facts_at_review(out.file, recorded)
            if before is not None:
                names = records.changed_facts(before, data)
                changed = f" ({', '.join(names)} changed)" if names else ""
        out.add("security.review.digest", f"the facts the reviewer approved have changed since "
                f"the review{changed}; the approval no longer covers them: ask for a new "
                f"review with `aireg review --security {data.get('id')}`.", "stale-review")
    answers = _map(review.get("answers"))
    high = [i for i in cfg.checklist_for(data) if i not in cfg.checklist]
    unanswered = [i.id for i in high if i.id not in answers]
    if unanswered:
        out.add("security.review.answers", f"the tool is a high-risk use (risk), so its review "
                f"must answer risk.high_risk_checklist, but it leaves {', '.join(unanswered)} "
                f"unanswered; a security reviewer must review it again with `aireg review "
                f"--security {data.get('id')}`.", "high-risk-unanswered")
    for item in cfg.checklist:
        if item.id not in answers:
            out.add("security.review.answers", f'the review does not answer the checklist '
                    f'question "{item.id}"; record the review with `aireg review --security`.',
                    "incomplete-review", "warning")
            break
    if cfg.policy.require_signed_reviews:
        if not review.get("signature"):
            out.add("security.review", "policy.require_signed_reviews is true but the review "
                    "carries no signature; the reviewer must review again with --sign.",
                    "unsigned-review")
        elif ctx.verify_signature is not None:
            reason = ctx.verify_signature(str(data.get("id")), review)
            if reason:
                out.add("security.review.signature", reason, "bad-signature")
    work = due.item_for(data, cfg.policy, ctx.today)
    if work is not None and work.overdue:
        what = "impact measurement" if work.kind == "measure" else "reassessment"
        out.add("impact" if work.kind == "measure" else "reassessments",
                f"the {what} was due on {work.due.isoformat()} ({-work.days} days ago); run "
                f"`{work.command}`.", f"{work.kind}-overdue", "warning")


def _risk_rules(data: Mapping[str, Any], stage: Stage, ctx: Context, out: _Collector) -> None:
    """A risk section names the config's tiers, flags and roles; a prohibited use never leaves
    purpose (except to an exit)."""
    risk = data.get("risk")
    if not isinstance(risk, Mapping):
        return
    r = ctx.config.risk
    for key, allowed in (("tier", r.tiers), ("role", r.roles)):
        value = risk.get(key)
        if isinstance(value, str) and value not in allowed:
            out.add(f"risk.{key}", f'risk.{key} is "{value}", which aireg.yaml\'s risk.'
                    f"{key}s does not define; use one of {', '.join(allowed)}.", "unknown-risk")
    for i, flag in enumerate(_list(risk.get("flags"))):
        if isinstance(flag, str) and flag not in r.flags:
            out.add(f"risk.flags[{i}]", f'risk.flags names "{flag}", which aireg.yaml\'s '
                    f"risk.flags does not define; use one of {', '.join(r.flags)}.",
                    "unknown-risk")
    if r.is_prohibited(risk) and stage is not Stage.PURPOSE and not stage.is_exit:
        out.add("risk.tier", f"the tool is in {stage}, but its risk tier "
                f"{risk.get('tier')} is prohibited (risk.prohibited): a prohibited use never "
                "leaves purpose; withdraw or retire it.", "prohibited-use")


# Dates that may lie ahead: a pilot is planned before it runs.
_FUTURE_OK = frozenset({"pilot.start", "pilot.end"})


def _implausible_dates(data: Mapping[str, Any], ctx: Context, out: _Collector) -> None:
    """Real dates that cannot be true: before policy.earliest_year (a spreadsheet error such as
    1905), in the future (a warning: clocks and time zones differ), retired before created."""
    earliest = ctx.config.policy.earliest_year
    found: list[tuple[str, Any]] = []
    for path in DATE_FIELDS:
        value: Any = data
        for part in path:
            value = _map(value).get(part)
        found.append((".".join(path), value))
    for key, datefield in (("impact", "measured"), ("reassessments", "date")):
        for i, item in enumerate(_list(data.get(key))):
            found.append((f"{key}[{i}].{datefield}", _map(item).get(datefield)))
    today = ctx.today.isoformat()
    for name, value in found:
        if not records.is_valid_date(value):
            continue
        if int(value[:4]) < earliest:
            out.add(name, f"{name} is {value}, before {earliest} (policy.earliest_year), which "
                    "is implausible (a spreadsheet error?); write the real date, or remove it.",
                    "implausible-date")
        elif value > today and name not in _FUTURE_OK:
            out.add(name, f"{name} is {value}, in the future; write the day it happened.",
                    "implausible-date", "warning")
    created = data.get("created")
    for sec in ("retired", "rejected"):
        when = _map(data.get(sec)).get("date")
        if records.is_valid_date(created) and records.is_valid_date(when) and (
                str(when) < str(created)):
            out.add(f"{sec}.date", f"{sec}.date ({when}) is before created ({created}): the "
                    f"tool cannot be {sec} before it was created; correct one of them.",
                    "implausible-date")


def _rejected_by_review(data: Mapping[str, Any]) -> bool:
    review = _map(_map(data.get("security")).get("review"))
    return review.get("decision") == "rejected"
