"""The six steps and the exits: propose, advance, edit, review, measure, reassess, withdraw,
retire."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
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
    from aireg.workflow import StageInput

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


# -- advance: every stage flag once, parsed into a StageInput ----------------------------------


@dataclass(frozen=True)
class Flag:
    """One `advance` option: its parameter, its flag, what it is, and where it goes."""

    param: str  # the parameter typer passes; also the StageInput field unless `attr` says
    decl: str
    metavar: str | None
    help: str
    panel: str
    kind: type | str  # str, int, bool, "list"
    attr: str = ""

    @property
    def field(self) -> str:
        return self.attr or self.param

    def annotation(self) -> Any:
        opt: dict[str, Any] = {
            "help": self.help,
            "rich_help_panel": self.panel,
            "show_default": False,
        }
        if self.metavar:
            opt["metavar"] = self.metavar
        if self.kind == "list":
            return Annotated[list[str] | None, typer.Option(self.decl, **opt)]
        if self.kind is bool:
            return Annotated[bool | None, typer.Option(self.decl, **opt)]
        if self.kind is int:
            return Annotated[int | None, typer.Option(self.decl, **opt)]
        return Annotated[str | None, typer.Option(self.decl, **opt)]


STAGE_FLAGS: tuple[Flag, ...] = (
    Flag("problem", "--problem", "TEXT", "The problem the tool solves.", "1 purpose", str),
    Flag("goal", "--goal", "TEXT", "What good looks like.", "1 purpose", str),
    Flag(
        "criterion",
        "--criterion",
        "TEXT",
        "A success criterion (repeatable).",
        "1 purpose",
        "list",
        "criteria",
    ),
    Flag(
        "with_",
        "--with",
        "EMAIL",
        "A colleague who defined the purpose with you (repeatable).",
        "1 purpose",
        "list",
        "defined_with",
    ),
    Flag(
        "group", "--group", "TEXT", "A group of daily users, e.g. content writers.", "2 users", str
    ),
    Flag("count", "--count", "N", "How many people are in the group (1 or more).", "2 users", int),
    Flag("need", "--need", "TEXT", "A need of the group (repeatable).", "2 users", "list", "needs"),
    Flag("start", "--start", "DATE", "The pilot's first day, YYYY-MM-DD.", "3 pilot", str),
    Flag("end", "--end", "DATE", "The pilot's last day, YYYY-MM-DD.", "3 pilot", str),
    Flag(
        "participant",
        "--participant",
        "EMAIL",
        "A person in the pilot (repeatable).",
        "3 pilot",
        "list",
        "participants",
    ),
    Flag(
        "data",
        "--data",
        "CLASS",
        "A data class the pilot touched (repeatable; within policy.pilot_data).",
        "3 pilot",
        "list",
        "pilot_data",
    ),
    Flag(
        "result",
        "--result",
        "passed",
        "The pilot's result: passed (a failed pilot is withdrawn).",
        "3 pilot",
        str,
    ),
    Flag("findings", "--findings", "TEXT", "What the pilot found.", "3 pilot", str),
    Flag(
        "security_data",
        "--security-data",
        "CLASS",
        "A data class the tool will see in use (repeatable).",
        "3 pilot: security facts",
        "list",
    ),
    Flag(
        "trains_on_our_data",
        "--trains-on-our-data/--no-trains-on-our-data",
        None,
        "Whether the vendor trains its models on our data.",
        "3 pilot: security facts",
        bool,
    ),
    Flag(
        "retention",
        "--retention",
        "TEXT",
        "How long the vendor keeps our data, e.g. 30 days.",
        "3 pilot: security facts",
        str,
    ),
    Flag(
        "residency",
        "--residency",
        "TEXT",
        "Where our data is kept, e.g. EU.",
        "3 pilot: security facts",
        str,
    ),
    Flag(
        "sso",
        "--sso/--no-sso",
        None,
        "Whether people sign in through our single sign-on.",
        "3 pilot: security facts",
        bool,
    ),
    Flag(
        "integration",
        "--integration",
        "SYSTEM",
        "A system it connects to (repeatable).",
        "3 pilot: security facts",
        "list",
        "integrations",
    ),
    Flag(
        "no_integrations",
        "--no-integrations",
        None,
        "It connects to nothing.",
        "3 pilot: security facts",
        "flag",
    ),
)


def stage_input(params: dict[str, Any]) -> StageInput:
    """The advance flags as one StageInput (lists as tuples; --no-integrations as ())."""
    from aireg.workflow import StageInput

    values: dict[str, Any] = {}
    for f in STAGE_FLAGS:
        v = params.get(f.param)
        if f.kind == "flag":
            continue
        if f.kind == "list":
            if f.field == "integrations":
                values[f.field] = tuple(v) if v else None
            else:
                values[f.field] = tuple(v or ())
        else:
            values[f.field] = v
    if params.get("no_integrations"):
        values["integrations"] = ()
    return StageInput(**values)


def _ask_stage(
    t: Terminal, req: Any, inp: StageInput, record: dict[str, Any], cfg: Config
) -> StageInput:
    """Ask for one unmet requirement; the StageInput with the answer in it."""
    import dataclasses

    owner = str(record.get("owner") or "")
    classes = list(cfg.data_classes)
    pilot_data = list(cfg.policy.pilot_data)

    def only_pilot(value: str) -> str | None:
        if value in pilot_data:
            return None
        return (
            f"{value} is not allowed in a pilot, which comes before the security review "
            f"(policy.pilot_data: {', '.join(pilot_data)}); name one of those."
        )

    def passed_only(value: str) -> str | None:
        if value == "passed":
            return None
        return (
            f"a failed pilot does not move on: press Ctrl-C and run `aireg withdraw "
            f"{record.get('id')} --reason TEXT`, or answer passed."
        )

    put = functools_put(inp)
    field = req.field
    if field == "users":
        t.note("Who will use it daily?")
        return put(
            group=prompts.ask(t, "A group of daily users (e.g. content writers)"),
            count=prompts.ask(t, "How many people are in it", prompts.count_form()),
            needs=tuple(prompts.ask_list(t, "Their needs")),
        )
    label = f"{req.what[0].upper()}{req.what[1:]}"
    if field == "purpose.problem":
        return put(problem=prompts.ask(t, label))
    if field == "purpose.goal":
        return put(goal=prompts.ask(t, label))
    if field == "purpose.success_criteria":
        return put(criteria=tuple(prompts.ask_list(t, "Success criteria")))
    if field == "purpose.defined_with":
        return put(
            defined_with=tuple(
                prompts.ask_list(
                    t, "Colleagues who defined the goal with you", _colleague_form(owner)
                )
            )
        )
    if field == "pilot.start":
        return put(start=prompts.ask(t, "The pilot's first day", prompts.date_form()))
    if field == "pilot.end":
        start = inp.start or _get(record, "pilot", "start")
        return put(
            end=prompts.ask(
                t,
                "The pilot's last day",
                prompts.date_form(
                    not_before=start if isinstance(start, str) else None, what="pilot's end"
                ),
            )
        )
    if field == "pilot.participants":
        return put(
            participants=tuple(prompts.ask_list(t, "People in the pilot", prompts.email_form()))
        )
    if field == "pilot.data":
        return put(
            pilot_data=tuple(
                prompts.ask_list(
                    t,
                    "Data classes the pilot touched",
                    prompts.choice_form(classes, what="a data class", refuse=only_pilot),
                )
            )
        )
    if field == "pilot.result":
        return put(
            result=prompts.ask(
                t,
                "The pilot's result",
                prompts.choice_form(["passed", "failed"], what="a result", refuse=passed_only),
            )
        )
    if field == "pilot.findings":
        return put(findings=prompts.ask(t, "What the pilot found"))
    if field == "security.data":
        return put(
            security_data=tuple(
                prompts.ask_list(
                    t,
                    "Data classes the tool will see in use",
                    prompts.choice_form(classes, what="a data class"),
                )
            )
        )
    if field == "security.trains_on_our_data":
        return put(
            trains_on_our_data=prompts.ask(
                t, "Does the vendor train its models on our data", prompts.yes_no_form()
            )
        )
    if field == "security.retention":
        return put(retention=prompts.ask(t, "How long the vendor keeps our data (e.g. 30 days)"))
    if field == "security.sso":
        return put(
            sso=prompts.ask(
                t, "Do people sign in through our single sign-on", prompts.yes_no_form()
            )
        )
    if field == "security.integrations":
        t.note("Systems it connects to (none: an empty line at once).")
        return put(integrations=tuple(prompts.ask_list(t, "Integrations", at_least=0)))
    return dataclasses.replace(inp)


def functools_put(inp: StageInput) -> Callable[..., StageInput]:
    import dataclasses

    def put(**values: Any) -> StageInput:
        return dataclasses.replace(inp, **values)

    return put


def _get(record: dict[str, Any], *path: str) -> Any:
    v: Any = record
    for p in path:
        v = v.get(p) if isinstance(v, dict) else None
    return v


def advance(ctx: typer.Context, tool: str, no_input: bool = False, **flags: Any) -> None:
    """Steps 1-3, 5: complete the current step; move one step on.

    Takes the record as it stands in the working tree (your hand edits included), asks on
    a terminal for what the step still needs, checking each answer as it is typed, and
    commits. A refused or interrupted advance writes nothing, but keeps your answers for
    the next `aireg advance` at a terminal. `security` is left only by a review.
    """
    from aireg import actions, records, workflow

    t = term(ctx, no_input)
    reg = registry(ctx)
    actor = reg.git.identity().email
    rf = reg.read_tool(tool)
    inp = stage_input(flags)
    committed = _committed(reg, rf.rel)
    stage = records.parse_stage(rf.record.get("stage"))
    answered: dict[str, Any] = {}
    if t.interactive and stage is not None and not stage.is_exit:
        workflow.check_stage_unmoved(rf.record, committed)
        inp, answered = _earlier_answers(t, reg, tool, str(stage), inp)
        seen: set[str] = set()
        try:
            while stage not in (records.Stage.SECURITY, records.Stage.IMPACT):
                after = workflow.applied(rf.record, workflow.stage_updates(stage, inp))
                unmet = [
                    r for r in workflow.to_leave(after, stage) if not r.met and r.field not in seen
                ]
                if not unmet:
                    break  # what is still wrong, advance names with its flag
                seen.add(unmet[0].field)
                before = inp
                inp = _ask_stage(t, unmet[0], inp, rf.record, reg.config)
                answered.update(_changed(before, inp))
        except KeyboardInterrupt:
            _keep(t, reg, tool, str(stage), answered)
            raise
    try:
        change = workflow.advance(rf.record, inp, actor, reg.config, committed)
        done = actions.commit_change(reg, change, before=rf, take_hand_edits=True)
    except AiregError:
        _keep(t, reg, tool, str(stage), answered)
        raise
    if answered:
        actions.drop_answers(reg, tool)
    _report(t, done)


def _changed(before: StageInput, after: StageInput) -> dict[str, Any]:
    import dataclasses

    old, new = dataclasses.asdict(before), dataclasses.asdict(after)
    return {k: v for k, v in new.items() if k != "extra" and v != old[k]}


def _earlier_answers(
    t: Terminal, reg: Any, tool: str, stage: str, inp: StageInput
) -> tuple[StageInput, dict[str, Any]]:
    """The answers kept when an earlier advance of this step stopped, under the flags."""
    import dataclasses

    from aireg import actions

    kept = actions.load_answers(reg, tool)
    if kept.get("stage") != stage:
        return inp, {}
    fields = {f.name for f in dataclasses.fields(inp)} - {"extra"}
    given = dataclasses.asdict(inp)
    use: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v
        for k, v in kept.items()
        if k in fields and given.get(k) in (None, ())
    }
    if not use:
        return inp, {}
    t.note(f"Using the answers you gave before: {', '.join(sorted(use))}.")
    return dataclasses.replace(inp, **use), use


def _keep(t: Terminal, reg: Any, tool: str, stage: str, answered: dict[str, Any]) -> None:
    """Answers typed at prompts are never thrown away: they are kept beside the registry
    (in the git directory, never in the record), and the next `aireg advance` uses them."""
    from aireg import actions

    if not answered:
        return
    actions.save_answers(reg, tool, {"stage": stage, **answered})
    t.note(f"Your answers are kept; run `aireg advance {tool}` at a terminal to go on.")


def _committed(reg: Any, rel: str) -> dict[str, Any] | None:
    """The record as last committed (None when it never was, or cannot be read)."""
    from aireg import yamlio

    blob = reg.git.show_file("HEAD", rel)
    if blob is None:
        return None
    try:
        data = yamlio.load(blob, rel)
    except yamlio.YamlError:
        return None
    return data if isinstance(data, dict) else None


def _advance_signature() -> None:
    p = inspect.Parameter
    params = [
        p("ctx", p.POSITIONAL_OR_KEYWORD, annotation=typer.Context),
        p("tool", p.POSITIONAL_OR_KEYWORD, annotation=ToolId),
        *(
            p(
                f.param,
                p.KEYWORD_ONLY,
                default=False if f.kind == "flag" else None,
                annotation=Annotated[
                    bool, typer.Option(f.decl, help=f.help, rich_help_panel=f.panel)
                ]
                if f.kind == "flag"
                else f.annotation(),
            )
            for f in STAGE_FLAGS
        ),
        p("no_input", p.KEYWORD_ONLY, default=False, annotation=NoInput),
    ]
    advance.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    advance.__annotations__ = {q.name: q.annotation for q in params} | {"return": None}


_advance_signature()
app.command(
    "advance",
    rich_help_panel=STEPS,
    epilog=(
        'Example: aireg advance otter-ai --group "content writers" --count 6 --need "speaker '
        'labels"  (on a terminal, `aireg advance otter-ai` asks for what is missing)'
    ),
)(advance)


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
        for item in cfg.checklist:
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
