"""The six steps and the exits: propose, advance, edit, review, measure, reassess, withdraw,
retire."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from aireg.cli import prompts
from aireg.cli.common import (
    NoInput,
    ToolId,
    format_option,
    need,
    parse_answers,
    registry,
    term,
    tool_ids,
)
from aireg.cli.main import app
from aireg.errors import AiregError, UsageError

if TYPE_CHECKING:
    from aireg.config import Config
    from aireg.render.console import Terminal

STEPS = "The six steps"


def _report(t: Terminal, done: Any, hint: str | None = None) -> None:
    from aireg.render import text

    text.done(t, done, hint)


def _today() -> str:
    from aireg.repo import today

    return today().isoformat()


def _change(ctx: typer.Context, tool: str, build: Callable[[Any, Any, str], Any]) -> None:
    """Read the tool, let `build(record, registry, actor)` make the Change, commit it."""
    from aireg import actions

    reg = registry(ctx)
    actor = reg.git.identity().email
    rf = reg.read_tool(tool)
    _report(term(ctx), actions.commit_change(reg, build(rf.record, reg, actor), before=rf))


def _url_form() -> prompts.Form:
    def parse(raw: str) -> str:
        if not raw.startswith(("https://", "http://")) or " " in raw:
            raise ValueError(
                f"{raw} is not a web address; write it whole, such as https://otter.ai."
            )
        return raw

    return prompts.Form("https://…", parse)


def _department_form(cfg: Config, actor: str) -> prompts.Form:
    def members_only(dept: str) -> str | None:
        members = cfg.departments.get(dept)
        if not members or actor in members:
            return None
        return (f"{actor} is not a member of {dept} in aireg.yaml, and no department chooses "
                "another's tools; name your own department.")

    return prompts.choice_form(list(cfg.departments), what="a department of aireg.yaml",
                               refuse=members_only)


def _colleague_form(owner: str) -> prompts.Form:
    return prompts.email_form(
        not_=(owner.lower(),),
        why_not=(f"{owner} is you, the owner; name a colleague who defined the purpose with you."),
    )


@app.command(
    rich_help_panel=STEPS,
    epilog=(
        'Example: aireg propose --name Otter.ai --vendor "Otter.ai, Inc." --url https://otter.ai '
        '--department marketing --problem "Summaries take three hours." --goal "A draft to '
        'edit." --criterion "Draft within ten minutes" --with ana@acme.example'
    ),
)
def propose(
    ctx: typer.Context,
    id: Annotated[
        str | None, typer.Option("--id", metavar="ID", help="The tool id (default: from the name).")
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", metavar="TEXT", help="The tool's name, e.g. Otter.ai.")
    ] = None,
    vendor: Annotated[
        str | None,
        typer.Option("--vendor", metavar="TEXT", help="Who sells it, e.g. Otter.ai, Inc."),
    ] = None,
    url: Annotated[
        str | None, typer.Option("--url", metavar="URL", help="Its web address.")
    ] = None,
    department: Annotated[
        str | None,
        typer.Option("--department", metavar="NAME", help="Your department (one of aireg.yaml's)."),
    ] = None,
    problem: Annotated[
        str | None, typer.Option("--problem", metavar="TEXT", help="The problem it solves.")
    ] = None,
    goal: Annotated[
        str | None, typer.Option("--goal", metavar="TEXT", help="What good looks like.")
    ] = None,
    criterion: Annotated[
        list[str] | None,
        typer.Option("--criterion", metavar="TEXT", help="A success criterion (repeatable)."),
    ] = None,
    with_: Annotated[
        list[str] | None,
        typer.Option(
            "--with",
            metavar="EMAIL",
            help="A colleague who defined the purpose with you (repeatable).",
        ),
    ] = None,
    no_input: NoInput = False,
) -> None:
    """Step 1: propose a tool you want to use; you become its owner."""
    from aireg import actions, workflow
    from aireg.names import slugify
    from aireg.records import Stage

    t = term(ctx, no_input)
    reg = registry(ctx)
    actor = reg.git.identity().email
    cfg = reg.config
    name = need(t, name, "--name", "the tool's name")
    # Refuse a taken or invalid id before asking for more (no answer typed in vain).
    workflow.check_new_id(id or slugify(name), reg.ids())
    department = need(t, department, "--department", "your department",
                      _department_form(cfg, actor))
    criteria = list(criterion or ())
    colleagues = list(with_ or ())
    if t.interactive:
        # What the CTO will need later is asked now, while the proposer knows it.
        vendor = vendor or prompts.ask(t, "Who sells it (the vendor)", optional=True)
        url = url or prompts.ask(t, "Its web address", _url_form(), optional=True)
        problem = problem or prompts.ask(t, "The problem it solves")
        goal = goal or prompts.ask(t, "The goal: what good looks like")
        criteria = criteria or prompts.ask_list(t, "Success criteria")
        colleagues = colleagues or prompts.ask_list(
            t, "Colleagues who defined the goal with you", _colleague_form(actor)
        )
    tool_id = id or slugify(name)
    record = workflow.propose(
        workflow.Proposal(
            id=tool_id,
            name=name.strip(),
            department=department.strip(),
            vendor=vendor,
            url=url,
            problem=problem,
            goal=goal,
            criteria=tuple(criteria),
            defined_with=tuple(colleagues),
        ),
        actor,
        cfg,
        reg.ids(),
        _today(),
    )
    change = workflow.Change(tool_id, "propose", name, (), None, Stage.PURPOSE)
    _report(t, actions.commit_change(reg, change, before=None, new_record=record))


# -- edit ----------------------------------------------------------------------------------


@app.command(
    rich_help_panel=STEPS,
    epilog=(
        "Example: EDITOR=nano aireg edit otter-ai  (then, for a deployed tool whose facts "
        "changed, a security reviewer runs aireg review --security otter-ai)"
    ),
)
def edit(ctx: typer.Context, tool: ToolId) -> None:
    """Edit a record in your editor; validate and commit it."""
    from aireg import editing
    from aireg.cli.editor import run_editor

    t = term(ctx)
    reg = registry(ctx)
    actor = reg.git.identity().email
    opened = editing.open_record(reg, tool, actor)
    run_editor(reg.root / opened.rel, t.interactive or t.stdin.isatty())
    if editing.unchanged(reg, opened):
        t.info(f"{opened.rel}: no change; nothing committed.")
        return
    done = editing.commit(reg, opened, editing.judge(reg, opened))
    hint = (
        f"a security reviewer runs `aireg review --security {tool}`: the approval no "
        "longer covers the changed facts"
        if editing.needs_re_review(done)
        else None
    )
    _report(t, done, hint)


# -- review --------------------------------------------------------------------------------


@app.command(
    rich_help_panel=STEPS,
    epilog=(
        "Example: aireg review --security otter-ai  (shows the facts, then asks each checklist "
        "question and the decision; or pass --approve with one --answer ID=yes|no|n/a per "
        "checklist id of aireg.yaml)"
    ),
)
def review(
    ctx: typer.Context,
    tool: Annotated[
        str | None,
        typer.Argument(
            metavar="[ID]",
            help="The tool to review; without it, the queue.",
            autocompletion=tool_ids,
            show_default=False,
        ),
    ] = None,
    security: Annotated[
        bool, typer.Option("--security", help="A security and integration review (the CTO's).")
    ] = False,
    approve: Annotated[
        bool, typer.Option("--approve", help="Approve: the tool moves to impact.")
    ] = False,
    request_changes: Annotated[
        bool,
        typer.Option(
            "--request-changes",
            help="Ask the owner for changes (needs --note); the tool stays in security.",
        ),
    ] = False,
    reject: Annotated[
        bool, typer.Option("--reject", help="Reject (needs --note): the tool leaves the workflow.")
    ] = False,
    note: Annotated[
        str | None,
        typer.Option("--note", metavar="TEXT", help="What the owner must change, or why."),
    ] = None,
    condition: Annotated[
        list[str] | None,
        typer.Option(
            "--condition", metavar="TEXT", help="A condition of the approval (repeatable)."
        ),
    ] = None,
    answer: Annotated[
        list[str] | None,
        typer.Option(
            "--answer",
            metavar="ID=yes|no|n/a",
            help="An answer to a checklist question (repeatable).",
        ),
    ] = None,
    confirm: Annotated[
        bool,
        typer.Option(
            "--confirm",
            help="Record the decision although an answer is no or contradicts the owner's facts.",
        ),
    ] = False,
    sign: Annotated[
        bool,
        typer.Option("--sign", help="Sign the review with your SSH key (git's user.signingkey)."),
    ] = False,
    format: Annotated[str, format_option("queue")] = "text",
    no_input: NoInput = False,
) -> None:
    """Step 4: the security review queue, or one tool's review."""
    from aireg import actions, workflow
    from aireg.render import formats, text

    t = term(ctx, no_input)
    if not security:
        raise UsageError(
            "pass --security: the security and integration review is the one review aireg records."
        )
    reg = registry(ctx)
    if tool is None:
        from aireg import queries

        formats.reporter("queue", format)(t, queries.review_queue(reg))
        return
    cfg = reg.config
    actor = reg.git.identity().email
    rf = reg.read_tool(tool)
    workflow.check_may_review(rf.record, actor, cfg)
    if rf.rel in reg.git.changed_paths([rf.rel]):
        raise AiregError(
            f"{rf.rel} has uncommitted edits, and a review judges committed facts;"
            f" the owner commits them with `aireg edit {tool}` (or `git commit`), "
            f"then review again."
        )
    chosen = [
        d
        for d, on in (
            ("approved", approve),
            ("changes-requested", request_changes),
            ("rejected", reject),
        )
        if on
    ]
    if len(chosen) > 1:
        raise UsageError("pass only one of --approve, --request-changes, --reject.")
    answers = parse_answers(answer or [])
    conditions = list(condition or ())
    if t.interactive:
        text.security_facts(t, rf.record)
        yes_no = prompts.choice_form(["yes", "no", "n/a"], what="an answer")
        for item in cfg.checklist_for(rf.record):
            if item.id not in answers:
                answers[item.id] = prompts.ask(t, f"{item.ask} [{item.id}]", yes_no)
    decision = (
        chosen[0]
        if chosen
        else need(
            t,
            None,
            "--approve, --request-changes or --reject",
            "the decision",
            prompts.choice_form(list(workflow.DECISIONS), what="a decision"),
        )
    )
    if t.interactive and not (note or "").strip() and decision != "approved":
        note = prompts.ask(t, "Note for the owner: what must change, or why")
    inp = workflow.ReviewInput(decision, answers, tuple(conditions), note, confirm)
    if t.interactive and not confirm:
        inp = _settle_doubts(t, rf.record, inp)
    signer = None
    if workflow.must_sign(cfg, sign):
        from aireg import signing

        key = signing.signing_key(reg.root)  # unset: exit 3 naming the git config to set
        signer = lambda payload: signing.sign(payload, key, reg.root)  # noqa: E731
    change = workflow.review(rf.record, inp, actor, cfg, _today(), sign=signer)
    _report(t, actions.commit_change(reg, change, before=rf))


def _settle_doubts(t: Terminal, record: dict[str, Any], inp: Any) -> Any:
    """Point out each contradiction before the decision is committed; ask for a condition
    when approving over a "no", and for confirmation of what remains."""
    import dataclasses

    from aireg import workflow

    noes = [k for k, v in inp.answers.items() if v == "no"]
    if inp.decision == "approved" and noes and not inp.conditions:
        t.note(f"You approve while {', '.join(f'{k}=no' for k in noes)}.")
        cond = prompts.ask(
            t, "A condition that makes it acceptable (Enter for none)", optional=True
        )
        if cond:
            inp = dataclasses.replace(inp, conditions=(*inp.conditions, cond))
    found = workflow.doubts(record, inp)
    if not found:
        return inp
    for d in found:
        t.note(f"Note: {d}.")
    if prompts.ask(t, "Record the decision as it stands", prompts.yes_no_form()):
        return dataclasses.replace(inp, confirmed=True)
    raise AiregError(
        f"the review of {record.get('id')} was not recorded; run `aireg review "
        f"--security {record.get('id')}` again when you have decided."
    )


# -- measure, reassess ---------------------------------------------------------------------


@app.command(
    rich_help_panel=STEPS,
    epilog=(
        'Example: aireg measure otter-ai --metric "hours per summary" --baseline 3 --current 0.5 '
        "--unit hours"
    ),
)
def measure(
    ctx: typer.Context,
    tool: ToolId,
    metric: Annotated[
        str | None,
        typer.Option("--metric", metavar="TEXT", help="What is measured, e.g. hours per summary."),
    ] = None,
    baseline: Annotated[
        float | None, typer.Option("--baseline", metavar="N", help="The value before the tool.")
    ] = None,
    current: Annotated[
        float | None, typer.Option("--current", metavar="N", help="The value now.")
    ] = None,
    unit: Annotated[
        str | None, typer.Option("--unit", metavar="TEXT", help="The unit, e.g. hours.")
    ] = None,
    date: Annotated[
        str | None,
        typer.Option(
            "--date",
            metavar="DATE",
            help="When it was measured, YYYY-MM-DD (default today; never in the future).",
        ),
    ] = None,
    note: Annotated[
        str | None, typer.Option("--note", metavar="TEXT", help="A remark on the measurement.")
    ] = None,
    no_input: NoInput = False,
) -> None:
    """Step 5: record an impact measurement."""
    from aireg import actions, workflow

    t = term(ctx, no_input)
    reg = registry(ctx)
    actor = reg.git.identity().email
    rf = reg.read_tool(tool)
    metric = need(t, metric, "--metric", "the metric (e.g. hours per summary)")
    base = need(t, baseline, "--baseline", "the value before the tool", prompts.number_form())
    cur = need(t, current, "--current", "the value now", prompts.number_form())
    unit = need(t, unit, "--unit", "the unit (e.g. hours)")
    today = _today()
    change = workflow.measure(
        rf.record,
        metric,
        _num(base),
        _num(cur),
        unit,
        date or today,
        actor,
        reg.config,
        note,
        today=today,
    )
    _report(t, actions.commit_change(reg, change, before=rf))


def _num(value: float) -> float | int:
    return int(value) if float(value).is_integer() else float(value)


@app.command(
    rich_help_panel=STEPS,
    epilog=(
        "Example: aireg reassess otter-ai --outcome keep --alternative Fireflies.ai --note "
        '"Still the best fit."'
    ),
)
def reassess(
    ctx: typer.Context,
    tool: ToolId,
    outcome: Annotated[
        str | None,
        typer.Option(
            "--outcome",
            metavar="keep|replace|retire",
            help="Keep it, replace it (with --replaced-by) or retire it.",
        ),
    ] = None,
    alternative: Annotated[
        list[str] | None,
        typer.Option(
            "--alternative", metavar="TEXT", help="An alternative considered (repeatable)."
        ),
    ] = None,
    note: Annotated[
        str | None, typer.Option("--note", metavar="TEXT", help="Why this outcome.")
    ] = None,
    replaced_by: Annotated[
        str | None, typer.Option("--replaced-by", metavar="ID", help="The tool that replaces it.")
    ] = None,
    no_input: NoInput = False,
) -> None:
    """Step 6: the periodic check for a better solution."""
    from aireg import workflow

    t = term(ctx, no_input)
    chosen = need(
        t,
        outcome,
        "--outcome keep|replace|retire",
        "the outcome",
        prompts.choice_form(["keep", "replace", "retire"], what="an outcome"),
    )
    _change(
        ctx,
        tool,
        lambda rec, reg, actor: workflow.reassess(
            rec,
            chosen,
            alternative or [],
            note,
            replaced_by,
            _today(),
            actor,
            reg.config,
            reg.ids(),
        ),
    )


@app.command(
    rich_help_panel="Exits",
    epilog=('Example: aireg withdraw otter-ai --reason "The pilot failed: no Docs export."'),
)
def withdraw(
    ctx: typer.Context,
    tool: ToolId,
    reason: Annotated[
        str | None, typer.Option("--reason", metavar="TEXT", help="Why it is withdrawn.")
    ] = None,
    no_input: NoInput = False,
) -> None:
    """Withdraw a tool you own before it is deployed."""
    from aireg import workflow

    why = need(term(ctx, no_input), reason, "--reason", "the reason")
    _change(
        ctx, tool, lambda rec, reg, actor: workflow.withdraw(rec, why, _today(), actor, reg.config)
    )


@app.command(
    rich_help_panel="Exits",
    epilog=(
        'Example: aireg retire otter-ai --reason "Replaced by the suite\'s notes." --replaced-by '
        "meeting-notes"
    ),
)
def retire(
    ctx: typer.Context,
    tool: ToolId,
    reason: Annotated[
        str | None, typer.Option("--reason", metavar="TEXT", help="Why it is retired.")
    ] = None,
    replaced_by: Annotated[
        str | None, typer.Option("--replaced-by", metavar="ID", help="The tool that replaces it.")
    ] = None,
    no_input: NoInput = False,
) -> None:
    """Retire a deployed tool: discontinued, or replaced."""
    from aireg import workflow

    why = need(term(ctx, no_input), reason, "--reason", "the reason")
    _change(
        ctx,
        tool,
        lambda rec, reg, actor: workflow.retire(
            rec, why, replaced_by, _today(), actor, reg.config, reg.ids()
        ),
    )
