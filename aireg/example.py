"""`aireg init --example`: sample tools in every stage, walked there commit by commit.

The sample history is made with the same workflow code the commands use, by the people who
would make each step (owners propose and advance, the CTO reviews), on dates spread over the
past months, so `aireg log`, `aireg audit` and `aireg report` have a real history to show.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from aireg import actions, workflow
from aireg.gitrepo import Identity
from aireg.records import Stage
from aireg.repo import Registry, today

YES = "yes"
DOMAIN = "example.com"  # the sample people's addresses, whoever runs `aireg init --example`


def populate(root: Path, admin: Identity) -> list[str]:
    """Add the sample tools to a fresh registry; returns their ids."""
    reg = Registry(root)
    domain = DOMAIN
    now = today()

    def who(name: str) -> Identity:
        return Identity(name.capitalize(), f"{name}@{domain}")

    def day(ago: int) -> str:
        return (now - timedelta(days=ago)).isoformat()

    def when(ago: int) -> str:
        return f"{day(ago)}T10:00:00+00:00"

    cto = who("cto")
    answers = {item.id: YES for item in reg.config.checklist}
    made: list[str] = []

    def commit(person: Identity, ago: int, change: workflow.Change,
               new_record: dict[str, Any] | None = None) -> None:
        before = None if new_record is not None else reg.read_tool(change.tool)
        actions.commit_change(reg, change, before=before, new_record=new_record,
                              actor=person, when=when(ago), take_hand_edits=True)

    def propose(person: Identity, ago: int, tool: str, name: str, vendor: str, url: str,
                dept: str, problem: str, goal: str, criterion: str, colleague: str) -> None:
        rec = workflow.propose(
            workflow.Proposal(tool, name, dept, vendor, url, problem, goal, (criterion,),
                              (f"{colleague}@{domain}",)),
            person.email, reg.config, reg.ids(), day(ago))
        commit(person, ago, workflow.Change(tool, "propose", name, (), None, Stage.PURPOSE), rec)
        made.append(tool)

    def step(person: Identity, ago: int, tool: str,
             make: Callable[[dict[str, Any]], workflow.Change]) -> None:
        rec = reg.read_tool(tool).record
        commit(person, ago, make(rec))

    def adv(person: Identity, ago: int, tool: str, **inp: Any) -> None:
        step(person, ago, tool, lambda r: workflow.advance(
            r, workflow.StageInput(**inp), person.email, reg.config))

    def users(person: Identity, ago: int, tool: str, group: str, count: int,
              needs: tuple[str, ...]) -> None:
        adv(person, ago, tool, group=group, count=count, needs=needs)

    def pilot(person: Identity, ago: int, tool: str, start: int, end: int,
              participant: str, findings: str, data: tuple[str, ...], retention: str,
              integrations: tuple[str, ...], trains: bool = False) -> None:
        adv(person, ago, tool, start=day(start), end=day(end),
            participants=(f"{participant}@{domain}",), pilot_data=("public", "synthetic"),
            result="passed", findings=findings, security_data=data, trains_on_our_data=trains,
            retention=retention, residency="EU", sso=True, integrations=integrations)

    def review(ago: int, tool: str, decision: str, note: str | None = None,
               conditions: tuple[str, ...] = ()) -> None:
        step(cto, ago, tool, lambda r: workflow.review(
            # confirmed: the sample decisions are deliberate, doubts included.
            r, workflow.ReviewInput(decision, answers, conditions, note, confirmed=True),
            cto.email, reg.config, day(ago)))

    def measure(person: Identity, ago: int, tool: str, metric: str, base: float, cur: float,
                unit: str) -> None:
        step(person, ago, tool, lambda r: workflow.measure(
            r, metric, base, cur, unit, day(ago), person.email, reg.config))

    les, ana, sam, eve, raj, dana, mo = map(
        who, ("les", "ana", "sam", "eve", "raj", "dana", "mo"))

    # 6 active: interview summaries, measured and kept at its reassessment.
    t = "interview-summaries"
    propose(les, 220, t, "Otter.ai", "Otter.ai, Inc.", "https://otter.ai", "marketing",
            "Writing an interview summary takes three hours.",
            "A draft summary the writer edits, not writes.",
            "A draft within ten minutes of the interview", "ana")
    adv(les, 215, t)
    users(les, 214, t, "content writers", 6, ("speaker labels", "export to Google Docs"))
    pilot(les, 200, t, 213, 202, "ana", "Speaker labels wrong in 1 of 12 interviews.",
          ("internal", "customer-personal"), "30 days", ("google-drive",))
    review(190, t, "approved", conditions=("Company workspace only",))
    measure(les, 150, t, "hours per summary", 3, 0.5, "hours")
    adv(les, 149, t)
    step(les, 20, t, lambda r: workflow.reassess(
        r, "keep", ["Fireflies.ai"], "Still the best fit; Fireflies lacks Docs export.", None,
        day(20), les.email, reg.config, reg.ids()))

    # 5 impact: approved, its first measurement due soon.
    t = "marketing-assistant"
    propose(ana, 120, t, "Microsoft 365 Copilot", "Microsoft", "https://www.microsoft.com/microsoft-365/copilot",
            "marketing", "Campaign briefs and first drafts take a day each.",
            "First drafts of briefs in an hour.", "Briefs drafted within one hour", "les")
    adv(ana, 118, t)
    users(ana, 117, t, "campaign managers", 4, ("drafts in our tone", "works in Word"))
    pilot(ana, 100, t, 116, 104, "les",
          "Drafts needed light edits; tone was right after a template.",
          ("internal", "confidential"), "per Microsoft 365 tenant policy", ("sharepoint",))
    review(75, t, "approved")

    # 4 security: waiting for the CTO.
    t = "code-assistant"
    propose(eve, 60, t, "GitHub Copilot", "GitHub, Inc.", "https://github.com/features/copilot",
            "engineering", "Boilerplate and tests take a third of review time.",
            "Less time on boilerplate, same review quality.",
            "Pull requests merged 20% faster", "mo")
    adv(eve, 58, t)
    users(eve, 57, t, "backend engineers", 14, ("IDE support", "no code retention"))
    pilot(eve, 30, t, 56, 32, "mo", "Helpful for tests; suggestions need review.",
          ("internal", "confidential"), "none (business plan)", ("github",))

    # 3 pilot: being tested, in another department, with the same product family as 5.
    t = "sales-copilot"
    propose(sam, 40, t, "Microsoft Copilot", "Microsoft", "https://copilot.microsoft.com",
            "sales", "Preparing for a customer call takes an hour of reading.",
            "A one-page account brief before each call.", "Brief ready in five minutes",
            "raj")
    adv(sam, 38, t)
    users(sam, 36, t, "account executives", 9, ("CRM notes summarised", "mobile"))

    # 2 users: purpose agreed, users being identified.
    t = "onboarding-chatbot"
    propose(dana, 25, t, "ChatGPT Enterprise", "OpenAI", "https://openai.com/chatgpt/enterprise",
            "people", "New hires ask the same fifty questions in their first month.",
            "Answers from our handbook, any hour.", "Half of the questions answered without HR",
            "mo")
    adv(dana, 22, t)

    # 1 purpose: just proposed.
    propose(mo, 5, "support-replies", "Zendesk AI", "Zendesk", "https://www.zendesk.com",
            "support", "Replies to common tickets are typed from scratch.",
            "Suggested replies agents approve.", "First reply time under one hour", "dana")

    # rejected: the security review found the vendor trains on customer data.
    t = "call-transcripts"
    propose(raj, 90, t, "Fireflies.ai", "Fireflies.ai Corp.", "https://fireflies.ai", "finance",
            "Board-call minutes take a day to write.", "Minutes drafted automatically.",
            "Minutes within one hour of the call", "sam")
    adv(raj, 88, t)
    users(raj, 87, t, "finance analysts", 3, ("accurate numbers",))
    pilot(raj, 70, t, 86, 72, "sam", "Accurate, but the default plan trains on recordings.",
          ("confidential", "regulated"), "indefinite", (), trains=True)
    review(65, t, "rejected",
           note="The vendor trains on our recordings; regulated data may not leave.")

    # retired: replaced by the marketing assistant.
    t = "copy-drafts"
    propose(ana, 300, t, "Jasper", "Jasper AI, Inc.", "https://www.jasper.ai", "marketing",
            "Ad copy variants take hours.", "Ten variants in minutes.",
            "Ten usable variants per brief", "les")
    adv(ana, 298, t)
    users(ana, 297, t, "copywriters", 2, ("brand voice",))
    pilot(ana, 280, t, 296, 284, "les", "Good variants; weak on long copy.", ("internal",),
          "90 days", ())
    review(270, t, "approved")
    measure(ana, 240, t, "minutes per variant set", 120, 15, "minutes")
    adv(ana, 239, t)
    step(ana, 10, t, lambda r: workflow.reassess(
        r, "replace", ["Microsoft 365 Copilot"], "Replaced by the marketing assistant.",
        "marketing-assistant", day(10), ana.email, reg.config, reg.ids()))
    return made
