"""`aireg advance`: every stage flag declared once (STAGE_FLAGS), parsed into a StageInput,
and the prompts that ask, on a terminal, for what the current step still needs."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer

from aireg.cli import prompts
from aireg.cli.commands_workflow import STEPS, _colleague_form, _report
from aireg.cli.common import NoInput, ToolId, registry, term
from aireg.cli.main import app
from aireg.errors import AiregError

if TYPE_CHECKING:
    from aireg.config import Config
    from aireg.render.console import Terminal
    from aireg.workflow import StageInput


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
