"""The six steps and the exits: propose, advance, review, measure, reassess, withdraw, retire."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from aireg.cli.common import (
    NoInput,
    ToolId,
    ask,
    ask_list,
    interactive,
    parse_answers,
    registry,
    tool_ids,
)
from aireg.cli.main import app
from aireg.errors import UsageError


def _report(done: Any) -> None:
    from aireg.render import text

    text.done(done)


def _change(ctx: typer.Context, tool: str, build: Callable[[Any, Any, str], Any]) -> None:
    """Read the tool, let `build(record, registry, actor)` make the Change, commit it."""
    from aireg import actions

    reg = registry(ctx)
    actor = reg.git.identity().email
    rf = reg.read_tool(tool)
    _report(actions.commit_change(reg, build(rf.record, reg, actor), before=rf))


@app.command(rich_help_panel="The six steps")
def propose(
    ctx: typer.Context,
    id: Annotated[str | None, typer.Option("--id", help="The tool id (default: from the name).")] = None,
    name: Annotated[str | None, typer.Option("--name", help="The tool's name, e.g. Otter.ai.")] = None,
    vendor: Annotated[str | None, typer.Option("--vendor", help="Who sells it.")] = None,
    url: Annotated[str | None, typer.Option("--url", help="Its web address.")] = None,
    department: Annotated[str | None, typer.Option("--department", help="Your department.")] = None,
    problem: Annotated[str | None, typer.Option("--problem", help="The problem it solves.")] = None,
    goal: Annotated[str | None, typer.Option("--goal", help="What good looks like.")] = None,
    criterion: Annotated[list[str] | None, typer.Option("--criterion", help="A success criterion (repeatable).")] = None,
    with_: Annotated[list[str] | None, typer.Option("--with", help="A colleague who defined the purpose with you (repeatable).")] = None,
    no_input: NoInput = False,
) -> None:
    """Step 1: propose a tool you want to use; you become its owner."""
    from aireg import actions, workflow
    from aireg.names import slugify
    from aireg.records import Stage
    from aireg.repo import today

    reg = registry(ctx)
    actor = reg.git.identity().email
    cfg = reg.config
    name = ask(name, "--name", "the tool's name", no_input)
    department = ask(department, "--department",
                     f"your department ({', '.join(cfg.departments)})", no_input)
    if interactive(no_input):
        problem = problem or typer.prompt("The problem it solves (optional)", default="",
                                          show_default=False) or None
        goal = goal or typer.prompt("The goal (optional)", default="", show_default=False) or None
    tool_id = id or slugify(name)
    record = workflow.propose(
        workflow.Proposal(
            id=tool_id, name=name.strip(), department=department.strip(), vendor=vendor,
            url=url, problem=problem, goal=goal, criteria=tuple(criterion or ()),
            defined_with=tuple(with_ or ()),
        ),
        actor, cfg, reg.ids(), today().isoformat(),
    )
    change = workflow.Change(tool_id, "propose", name, (), None, Stage.PURPOSE)
    _report(actions.commit_change(reg, change, before=None, new_record=record))


# Which StageInput attribute answers each requirement, and how to ask for it.
_PROMPTS: dict[str, tuple[str, str]] = {
    "purpose.problem": ("problem", "text"),
    "purpose.goal": ("goal", "text"),
    "purpose.success_criteria": ("criteria", "list"),
    "purpose.defined_with": ("defined_with", "list"),
    "pilot.start": ("start", "text"),
    "pilot.end": ("end", "text"),
    "pilot.participants": ("participants", "list"),
    "pilot.data": ("pilot_data", "list"),
    "pilot.result": ("result", "text"),
    "pilot.findings": ("findings", "text"),
    "security.data": ("security_data", "list"),
    "security.trains_on_our_data": ("trains_on_our_data", "bool"),
    "security.retention": ("retention", "text"),
    "security.sso": ("sso", "bool"),
    "security.integrations": ("integrations", "csv"),
}


@app.command(rich_help_panel="The six steps")
def advance(
    ctx: typer.Context,
    tool: ToolId,
    problem: Annotated[str | None, typer.Option("--problem", rich_help_panel="purpose")] = None,
    goal: Annotated[str | None, typer.Option("--goal", rich_help_panel="purpose")] = None,
    criterion: Annotated[list[str] | None, typer.Option("--criterion", rich_help_panel="purpose")] = None,
    with_: Annotated[list[str] | None, typer.Option("--with", rich_help_panel="purpose")] = None,
    group: Annotated[str | None, typer.Option("--group", help="A user group, e.g. content writers.", rich_help_panel="users")] = None,
    count: Annotated[int | None, typer.Option("--count", min=1, help="How many people in the group.", rich_help_panel="users")] = None,
    need: Annotated[list[str] | None, typer.Option("--need", help="A need of the group (repeatable).", rich_help_panel="users")] = None,
    start: Annotated[str | None, typer.Option("--start", help="Pilot start, YYYY-MM-DD.", rich_help_panel="pilot")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Pilot end, YYYY-MM-DD.", rich_help_panel="pilot")] = None,
    participant: Annotated[list[str] | None, typer.Option("--participant", rich_help_panel="pilot")] = None,
    data: Annotated[list[str] | None, typer.Option("--data", help="A data class the pilot touched.", rich_help_panel="pilot")] = None,
    result: Annotated[str | None, typer.Option("--result", help="passed or failed.", rich_help_panel="pilot")] = None,
    findings: Annotated[str | None, typer.Option("--findings", rich_help_panel="pilot")] = None,
    security_data: Annotated[list[str] | None, typer.Option("--security-data", help="A data class the tool will see in use.", rich_help_panel="pilot")] = None,
    trains_on_our_data: Annotated[bool | None, typer.Option("--trains-on-our-data/--no-trains-on-our-data", rich_help_panel="pilot")] = None,
    retention: Annotated[str | None, typer.Option("--retention", help="e.g. 30 days.", rich_help_panel="pilot")] = None,
    residency: Annotated[str | None, typer.Option("--residency", help="e.g. EU.", rich_help_panel="pilot")] = None,
    sso: Annotated[bool | None, typer.Option("--sso/--no-sso", rich_help_panel="pilot")] = None,
    integration: Annotated[list[str] | None, typer.Option("--integration", help="A system it connects to.", rich_help_panel="pilot")] = None,
    no_integrations: Annotated[bool, typer.Option("--no-integrations", help="It connects to nothing.", rich_help_panel="pilot")] = False,
    no_input: NoInput = False,
) -> None:
    """Complete the current step and move the tool one step on (takes your hand edits)."""
    from aireg import actions, records, workflow

    reg = registry(ctx)
    actor = reg.git.identity().email
    rf = reg.read_tool(tool)
    integrations: tuple[str, ...] | None = tuple(integration) if integration else None
    if no_integrations:
        integrations = ()
    values: dict[str, Any] = dict(
        problem=problem, goal=goal, criteria=tuple(criterion or ()),
        defined_with=tuple(with_ or ()), group=group, count=count, needs=tuple(need or ()),
        start=start, end=end, participants=tuple(participant or ()),
        pilot_data=tuple(data or ()), result=result, findings=findings,
        security_data=tuple(security_data or ()), trains_on_our_data=trains_on_our_data,
        retention=retention, residency=residency, sso=sso, integrations=integrations,
    )
    stage = records.parse_stage(rf.record.get("stage"))
    if interactive(no_input) and stage is not None and not stage.is_exit:
        after = workflow.applied(rf.record, workflow.stage_updates(stage, workflow.StageInput(**values)))
        for req in workflow.to_leave(after, stage):
            if req.met:
                continue
            if req.field == "users":
                values["group"] = typer.prompt("A group of daily users (e.g. content writers)")
                values["count"] = typer.prompt("How many people are in it", type=int)
                values["needs"] = tuple(ask_list(None, "--need", "one of their needs", no_input))
                continue
            attr, kind = _PROMPTS.get(req.field, (None, "text"))
            if attr is None:
                continue
            label = f"{req.field} ({req.what})"
            if kind == "list":
                values[attr] = tuple(ask_list(None, req.flag, label, no_input))
            elif kind == "bool":
                values[attr] = typer.confirm(label)
            elif kind == "csv":
                raw = typer.prompt(f"{label}, comma-separated", default="", show_default=False)
                values[attr] = tuple(x.strip() for x in raw.split(",") if x.strip())
            else:
                values[attr] = typer.prompt(label)
    change = workflow.advance(rf.record, workflow.StageInput(**values), actor, reg.config)
    _report(actions.commit_change(reg, change, before=rf, take_hand_edits=True))


@app.command(rich_help_panel="The six steps")
def review(
    ctx: typer.Context,
    tool: Annotated[str | None, typer.Argument(metavar="[ID]", help="The tool to review; without it, the queue.", autocompletion=tool_ids)] = None,
    security: Annotated[bool, typer.Option("--security", help="A security and integration review (the CTO's).")] = False,
    approve: Annotated[bool, typer.Option("--approve", help="Approve: the tool moves to impact.")] = False,
    request_changes: Annotated[bool, typer.Option("--request-changes", help="Ask the owner for changes; the tool stays in security.")] = False,
    reject: Annotated[bool, typer.Option("--reject", help="Reject: the tool leaves the workflow.")] = False,
    note: Annotated[str | None, typer.Option("--note", help="Why.")] = None,
    condition: Annotated[list[str] | None, typer.Option("--condition", help="A condition of the approval (repeatable).")] = None,
    answer: Annotated[list[str] | None, typer.Option("--answer", metavar="ID=yes|no|n/a", help="An answer to a checklist question (repeatable).")] = None,
    sign: Annotated[bool, typer.Option("--sign", help="Sign the review with your SSH key (git's user.signingkey).")] = False,
    format: Annotated[str, typer.Option("--format", help="Queue format: table or json.")] = "table",
    no_input: NoInput = False,
) -> None:
    """Step 4: the security review queue, or one tool's review (roles.security only)."""
    from aireg import actions, workflow
    from aireg.render import text

    if not security:
        raise UsageError("pass --security: the security and integration review is the one "
                         "review aireg records.")
    reg = registry(ctx)
    if tool is None:
        from aireg import queries

        text.review_queue(queries.review_queue(reg), format)
        return
    cfg = reg.config
    actor = reg.git.identity().email
    rf = reg.read_tool(tool)
    workflow.check_may_review(rf.record, actor, cfg)
    chosen = [d for d, on in (("approved", approve), ("changes-requested", request_changes),
                              ("rejected", reject)) if on]
    if len(chosen) > 1:
        raise UsageError("pass only one of --approve, --request-changes, --reject.")
    if interactive(no_input):
        text.security_facts(rf.record, cfg)
    answers = parse_answers(answer or [])
    if interactive(no_input):
        for item in cfg.checklist_for(rf.record):
            if item.id not in answers:
                answers[item.id] = ask(None, f"--answer {item.id}=yes|no|n/a",
                                       f"{item.ask} [{item.id}]", no_input,
                                       choices=("yes", "no", "n/a"))
    decision = chosen[0] if chosen else ask(
        None, "--approve, --request-changes or --reject", "the decision", no_input,
        choices=("approved", "changes-requested", "rejected"))
    if interactive(no_input) and note is None and decision != "approved":
        note = typer.prompt("Note for the owner", default="", show_default=False) or None
    signer = None
    if sign or cfg.policy.require_signed_reviews:
        from aireg import signing

        key = signing.signing_key(reg.root)  # unset: exit 3 naming the git config to set
        signer = lambda payload: signing.sign(payload, key, reg.root)  # noqa: E731
    change = workflow.review(
        rf.record,
        workflow.ReviewInput(decision, answers, tuple(condition or ()), note),
        actor, cfg, _today(), sign=signer,
    )
    _report(actions.commit_change(reg, change, before=rf))


def _today() -> str:
    from aireg.repo import today

    return today().isoformat()


@app.command(rich_help_panel="The six steps")
def measure(
    ctx: typer.Context,
    tool: ToolId,
    metric: Annotated[str | None, typer.Option("--metric", help="What is measured, e.g. hours per summary.")] = None,
    baseline: Annotated[float | None, typer.Option("--baseline", help="The value before the tool.")] = None,
    current: Annotated[float | None, typer.Option("--current", help="The value now.")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="e.g. hours.")] = None,
    date: Annotated[str | None, typer.Option("--date", help="When measured (default today).")] = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
    no_input: NoInput = False,
) -> None:
    """Step 5: record an impact measurement."""
    from aireg import actions, workflow

    reg = registry(ctx)
    actor = reg.git.identity().email
    rf = reg.read_tool(tool)
    metric = ask(metric, "--metric", "the metric", no_input)
    base = ask(baseline, "--baseline", "the baseline value", no_input, kind=float)
    cur = ask(current, "--current", "the current value", no_input, kind=float)
    unit = ask(unit, "--unit", "the unit", no_input)
    change = workflow.measure(rf.record, metric, _num(base), _num(cur), unit, date or _today(),
                              actor, reg.config, note)
    _report(actions.commit_change(reg, change, before=rf))


def _num(value: float) -> float | int:
    return int(value) if float(value).is_integer() else float(value)


@app.command(rich_help_panel="The six steps")
def reassess(
    ctx: typer.Context,
    tool: ToolId,
    outcome: Annotated[str | None, typer.Option("--outcome", help="keep, replace or retire.")] = None,
    alternative: Annotated[list[str] | None, typer.Option("--alternative", help="An alternative considered (repeatable).")] = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
    replaced_by: Annotated[str | None, typer.Option("--replaced-by", help="The tool that replaces it.")] = None,
    no_input: NoInput = False,
) -> None:
    """Step 6: the periodic check for a better solution."""
    from aireg import workflow

    chosen = ask(outcome, "--outcome keep|replace|retire", "the outcome", no_input,
                 choices=("keep", "replace", "retire"))
    _change(ctx, tool, lambda rec, reg, actor: workflow.reassess(
        rec, chosen, alternative or [], note, replaced_by, _today(), actor, reg.config,
        reg.ids()))


@app.command(rich_help_panel="Exits")
def withdraw(
    ctx: typer.Context,
    tool: ToolId,
    reason: Annotated[str | None, typer.Option("--reason", help="Why it is withdrawn.")] = None,
    no_input: NoInput = False,
) -> None:
    """Withdraw a tool you own (it moves to rejected)."""
    from aireg import workflow

    why = ask(reason, "--reason", "the reason", no_input)
    _change(ctx, tool, lambda rec, reg, actor: workflow.withdraw(
        rec, why, _today(), actor, reg.config))


@app.command(rich_help_panel="Exits")
def retire(
    ctx: typer.Context,
    tool: ToolId,
    reason: Annotated[str | None, typer.Option("--reason", help="Why it is retired.")] = None,
    replaced_by: Annotated[str | None, typer.Option("--replaced-by", help="The tool that replaces it.")] = None,
    no_input: NoInput = False,
) -> None:
    """Retire a tool: discontinued, or replaced by another."""
    from aireg import workflow

    why = ask(reason, "--reason", "the reason", no_input)
    _change(ctx, tool, lambda rec, reg, actor: workflow.retire(
        rec, why, replaced_by, _today(), actor, reg.config, reg.ids()))
