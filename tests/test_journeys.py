"""Each person's first hour at a real pseudo-terminal: the marketer proposing and advancing
with her mistakes and a Ctrl-C, the CTO reviewing, the CAIO reporting, the auditor auditing.

Every child runs with a fixed terminal size, TERM and NO_COLOR, and every wait has a short
timeout that names what was awaited, so a hang fails in seconds and says where.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Reg

pexpect = pytest.importorskip("pexpect")

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal"),
    pytest.mark.timeout(120),
    pytest.mark.slow,  # several aireg processes each, at a terminal
]

AIREG = Path(sys.executable).parent / "aireg"
LES = "les@acme.example"
ANA = "ana@acme.example"
CTO = "cto@acme.example"
WAIT = 20  # seconds for one answer to come back, on a loaded machine


class Person:
    """One aireg process at a pseudo-terminal, driven as a person types."""

    def __init__(self, reg: Reg, args: list[str], as_: str) -> None:
        env = {k: v for k, v in os.environ.items()
               if k not in ("FORCE_COLOR", "CLICOLOR_FORCE", "PY_COLORS")}
        env.update(
            TERM="xterm", NO_COLOR="1", COLUMNS="120", LINES="40",
            AIREG_REGISTRY=str(reg.root), GIT_CONFIG_COUNT="2",
            GIT_CONFIG_KEY_0="user.email", GIT_CONFIG_VALUE_0=as_,
            GIT_CONFIG_KEY_1="user.name", GIT_CONFIG_VALUE_1=as_.split("@")[0].title(),
        )
        self.args = args
        self.child = pexpect.spawn(str(AIREG), args, cwd=str(reg.root), env=env,
                                   encoding="utf-8", timeout=WAIT, dimensions=(40, 120))
        self.seen = ""

    def expect(self, text: str) -> str:
        """Wait for `text` on the screen; on a timeout or exit, say what was awaited."""
        try:
            self.child.expect_exact(text)
        except (pexpect.TIMEOUT, pexpect.EOF) as exc:
            screen = (self.seen + str(self.child.before))[-1500:]
            raise AssertionError(f"aireg {' '.join(self.args)}: waited for {text!r} "
                                 f"({type(exc).__name__}); the screen shows:\n{screen}"
                                 ) from None
        self.seen += str(self.child.before) + str(self.child.after)
        return str(self.child.before)

    def answer(self, prompt: str, text: str) -> str:
        before = self.expect(prompt)
        self.child.sendline(text)
        return before

    def finish(self) -> int:
        """Wait for the process to end; its exit status."""
        try:
            self.child.expect(pexpect.EOF)
        except pexpect.TIMEOUT:
            self.child.terminate(force=True)
            raise AssertionError(f"aireg {' '.join(self.args)} did not end; the screen shows:"
                                 f"\n{(self.seen + str(self.child.before))[-1500:]}") from None
        self.seen += str(self.child.before)
        self.child.close()
        status = self.child.exitstatus
        return int(status if status is not None else 128 + (self.child.signalstatus or 0))


@pytest.fixture
def people() -> Iterator[list[Person]]:
    """Every child is ended, whatever the test did."""
    made: list[Person] = []
    yield made
    for p in made:
        if p.child.isalive():
            p.child.terminate(force=True)


def run(people: list[Person], reg: Reg, *args: str, as_: str = LES) -> Person:
    p = Person(reg, list(args), as_)
    people.append(p)
    return p


def to_pilot(reg: Reg) -> None:
    reg.ok("propose", "--name", "Otter.ai", "--vendor", "Otter.ai, Inc.", "--url",
           "https://otter.ai", "--department", "marketing", "--problem", "Summaries take "
           "three hours.", "--goal", "A draft to edit.", "--criterion", "Draft in ten minutes",
           "--with", ANA, "--no-input", as_=LES)
    reg.ok("advance", "otter-ai", "--no-input", as_=LES)
    reg.ok("advance", "otter-ai", "--group", "writers", "--count", "6", "--need", "labels",
           "--no-input", as_=LES)


def to_security(reg: Reg, *pilot: str) -> None:
    to_pilot(reg)
    reg.ok("advance", "otter-ai", "--start", "2026-11-03", "--end", "2026-11-14",
           "--participant", ANA, "--data", "public", "--result", "passed", "--findings",
           "Fine.", "--security-data", "internal", "--retention", "30 days",
           "--no-integrations", *(pilot or ("--no-trains-on-our-data", "--sso")), "--no-input",
           as_=LES)


def committed(reg: Reg, rel: str = "tools/otter-ai.yaml") -> Any:
    from aireg import yamlio

    return yamlio.load(reg.git("show", f"HEAD:{rel}"), rel)


# -- the marketer ---------------------------------------------------------------------------


def test_marketer_proposes_and_every_mistake_is_re_asked(reg: Reg, people: list[Person]
                                                         ) -> None:
    # `propose` at a terminal asks for what the CTO will need later (vendor, url, criteria,
    # colleagues), shows each expected form, re-asks a wrong answer at once with a
    # did-you-mean, refuses the owner as their own colleague, and prints the next step.
    les = run(people, reg, "propose")
    les.answer("The tool's name", "Otter.ai")
    les.answer("Your department", "marketting")
    les.expect('Did you mean "marketing"?')
    les.child.sendline("marketing")
    les.answer("vendor", "Otter.ai, Inc.")
    les.answer("web address [https://", "otter.ai")
    les.expect("is not a web address")
    les.child.sendline("https://otter.ai")
    les.answer("The problem it solves", "Summaries take three hours.")
    les.answer("The goal", "A draft the writer edits.")
    les.answer("  1: ", "Draft within ten minutes")
    les.answer("  2: ", "")
    les.expect("Colleagues who defined the goal with you [an e-mail]")
    les.answer("  1: ", LES)
    les.expect("is you, the owner")
    les.answer("  1: ", "ana")
    les.expect("ana is not an e-mail address")
    les.answer("  1: ", ANA)
    les.answer("  2: ", "")
    les.expect("tools/otter-ai.yaml: propose")
    les.expect("next: aireg advance otter-ai")
    assert les.finish() == 0, les.seen
    rec = committed(reg)
    assert rec["vendor"] == "Otter.ai, Inc." and rec["url"] == "https://otter.ai"
    assert rec["department"] == "marketing"
    assert rec["purpose"]["success_criteria"] == ["Draft within ten minutes"]
    assert rec["purpose"]["defined_with"] == [ANA]


def test_marketer_advances_with_mistakes_and_a_ctrl_c_keeps_her_answers(
        reg: Reg, people: list[Person]) -> None:
    # In the users and pilot steps each answer is checked as typed (a count of 0, a date
    # as 03/11/2026, an end before the start, a name for an e-mail, data outside
    # policy.pilot_data, a misspelt data class, "yes" as a result, a blind Enter for a risky
    # fact); Ctrl-C after a dozen answers writes nothing to the registry but keeps them, and
    # the next advance uses them, asks only for what is left and commits the move.
    to_pilot(reg)
    reg.git("reset", "-q", "--hard", "HEAD~1")  # back to users, to answer that step too
    les = run(people, reg, "advance", "otter-ai")
    les.answer("A group of daily users", "content writers")
    les.answer("How many people are in it [a number, 1 or more]", "0")
    les.expect("not a group")
    les.child.sendline("six")
    les.expect("not a whole number")
    les.child.sendline("6")
    les.answer("  1: ", "speaker labels")
    les.answer("  2: ", "")
    les.expect("advance users -> pilot")
    assert les.finish() == 0, les.seen

    les = run(people, reg, "advance", "otter-ai")
    les.answer("The pilot's first day [YYYY-MM-DD]", "03/11/2026")
    les.expect("write it as YYYY-MM-DD")
    les.child.sendline("2026-11-03")
    les.answer("The pilot's last day [YYYY-MM-DD]", "2026-11-01")
    les.expect("is before 2026-11-03")
    les.child.sendline("2026-11-14")
    les.answer("  1: ", "ana")
    les.expect("not an e-mail address")
    les.answer("  1: ", ANA)
    les.answer("  2: ", "")
    les.answer("  1: ", "confidential")
    les.expect("not allowed in a pilot")
    les.answer("  1: ", "publc")
    les.expect('Did you mean "public"?')
    les.answer("  1: ", "public")
    les.answer("  2: ", "")
    les.answer("The pilot's result", "yes")
    les.expect("is not a result")
    les.child.sendline("passed")
    les.answer("What the pilot found", "Labels wrong in 1 of 12.")
    les.answer("  1: ", "internal")
    les.answer("  2: ", "")
    les.answer("train its models on our data [yes/no]", "")
    les.expect("An answer is needed")
    les.child.sendline("no")
    les.answer("How long the vendor keeps our data", "30 days")
    les.expect("single sign-on [yes/no]")
    before = reg.read("tools/otter-ai.yaml")
    les.child.sendintr()  # Ctrl-C: she has to go
    les.expect("Your answers are kept")
    les.expect("interrupted; nothing was written")
    assert les.finish() == 130, les.seen
    assert reg.read("tools/otter-ai.yaml") == before  # nothing written to the registry
    assert reg.git("status", "--porcelain", "--untracked-files=all") == ""
    assert committed(reg)["stage"] == "pilot"

    les = run(people, reg, "advance", "otter-ai")
    les.expect("Using the answers you gave before")
    screen = les.answer("single sign-on [yes/no]", "yes")
    assert "first day" not in screen  # what was answered is not asked again
    les.answer("  1: ", "")  # no integrations
    les.expect("advance pilot -> security")
    les.expect("next: a security reviewer runs `aireg review --security otter-ai`")
    assert les.finish() == 0, les.seen
    rec = committed(reg)
    assert rec["stage"] == "security"
    assert rec["security"]["sso"] is True and rec["security"]["integrations"] == []


def test_a_stage_moved_by_hand_is_refused(reg: Reg, people: list[Person]) -> None:
    # A record hand-edited from purpose to pilot is not advanced (neither at a terminal nor
    # with --no-input): one sentence names the file, the field and the fix; nothing is
    # committed and nothing is asked.
    reg.ok("propose", "--name", "Otter.ai", "--department", "marketing", "--no-input", as_=LES)
    path = reg.root / "tools/otter-ai.yaml"
    path.write_text(path.read_text().replace("stage: purpose", "stage: pilot"))
    count = reg.commit_count()
    result = reg.aireg("advance", "otter-ai", "--no-input", as_=LES)
    assert result.exit_code == 1
    assert "tools/otter-ai.yaml: stage was changed by hand from purpose to pilot" in \
        result.stderr
    assert "put `stage: purpose` back" in result.stderr
    les = run(people, reg, "advance", "otter-ai")
    les.expect("stage was changed by hand")
    assert les.finish() == 1
    assert "first day" not in les.seen
    assert reg.commit_count() == count


# -- the CTO --------------------------------------------------------------------------------


def test_cto_reviews_at_a_terminal_and_the_owner_reads_the_decision(
        reg: Reg, people: list[Person]) -> None:
    # The CTO sees the facts in words (no True/False), answers the checklist (a wrong answer
    # re-asked), requests changes with a note she must give; the owner then reads the note
    # in `show`, in `log` and in the refusal of `advance`.
    to_security(reg)
    cto = run(people, reg, "review", "--security", "otter-ai", as_=CTO)
    facts = cto.expect("[data-classes]")
    assert "trains on our data: no" in facts and "SSO: yes" in facts
    assert "True" not in facts and "False" not in facts
    cto.child.sendline("maybe")
    cto.expect("is not an answer; write one of yes, no, n/a")
    cto.child.sendline("yes")
    cto.answer("[training]", "yes")
    cto.answer("The decision", "changes-requested")
    cto.answer("Note for the owner", "")
    cto.expect("An answer is needed")
    cto.child.sendline("Sign the DPA first.")
    cto.expect("changes-requested; committed")
    cto.expect("next: the owner makes the changes")
    assert cto.finish() == 0, cto.seen

    shown = reg.ok("show", "otter-ai", as_=LES).stdout
    assert "changes-requested by cto@acme.example" in shown
    assert "note: Sign the DPA first." in shown
    assert "Sign the DPA first." in reg.ok("log", "otter-ai", as_=LES).stdout
    refused = reg.aireg("advance", "otter-ai", "--no-input", as_=LES)
    assert refused.exit_code == 1
    assert "Sign the DPA first" in refused.stderr and "aireg edit otter-ai" in refused.stderr
    assert ".." not in refused.stderr


def test_cto_is_shown_contradictions_before_the_decision_is_committed(
        reg: Reg, people: list[Person]) -> None:
    # Approving while an answer is "no" asks for a condition; an answer against the owner's
    # facts (training=yes while the vendor trains on our data) is pointed out, and the
    # review is recorded only when the CTO confirms it.
    to_security(reg, "--trains-on-our-data", "--sso")
    count = reg.commit_count()
    cto = run(people, reg, "review", "--security", "otter-ai", as_=CTO)
    cto.answer("[data-classes]", "no")
    cto.answer("[training]", "yes")
    cto.answer("The decision", "approved")
    cto.expect("You approve while data-classes=no")
    cto.answer("A condition that makes it acceptable", "Public data only")
    cto.expect("training=yes contradicts security.trains_on_our_data: true")
    cto.answer("Record the decision as it stands [yes/no]", "no")
    cto.expect("was not recorded")
    assert cto.finish() == 1
    assert reg.commit_count() == count

    # Without a terminal the same doubts refuse, until --confirm (or a condition) says so.
    args = ["review", "--security", "otter-ai", "--approve", "--answer", "data-classes=no",
            "--answer", "training=yes", "--no-input"]
    result = reg.aireg(*args, as_=CTO)
    assert result.exit_code == 1
    assert "data-classes=no" in result.stderr and "--confirm" in result.stderr
    reg.ok(*args, "--condition", "Public data only", "--confirm", as_=CTO)
    assert committed(reg)["security"]["review"]["conditions"] == ["Public data only"]


# -- the CAIO and the auditor ---------------------------------------------------------------


def test_caio_reports_and_lists(reg: Reg, people: list[Person]) -> None:
    # The CAIO's report takes its format from -o's extension and refuses a contradicting
    # --format; an unknown department is a usage error with a did-you-mean.
    to_security(reg)
    caio = run(people, reg, "report", "-o", "report.html", as_="caio@acme.example")
    caio.expect("Wrote report.html (html)")
    assert caio.finish() == 0
    assert reg.read("report.html").lstrip().lower().startswith("<!doctype html")
    caio = run(people, reg, "report", "-o", "out.html", "--format", "md",
               as_="caio@acme.example")
    caio.expect("does not match -o out.html")
    assert caio.finish() == 2
    assert not (reg.root / "out.html").exists()
    caio = run(people, reg, "list", "--department", "marketting", as_="caio@acme.example")
    caio.expect('Did you mean "marketing"?')
    assert caio.finish() == 2


def test_auditor_audits_in_text_and_csv(reg: Reg, people: list[Person]) -> None:
    # `audit --format text` is the documented default; csv is for spreadsheets; a format
    # that is no format is exit 2 naming the ones there are.
    to_security(reg)
    reg.ok("review", "--security", "otter-ai", "--approve", "--answer", "data-classes=yes",
           "--answer", "training=yes", as_=CTO)
    auditor = run(people, reg, "audit", "--format", "text", as_="audit@acme.example")
    auditor.expect("Security decisions")
    auditor.expect("otter-ai")
    assert auditor.finish() == 0
    rows = reg.ok("audit", "--format", "csv").stdout.splitlines()
    assert rows[0].startswith("date,") or "tool" in rows[0]
    assert any("otter-ai" in r for r in rows[1:])
    bad = reg.aireg("audit", "--format", "xml")
    assert bad.exit_code == 2 and "text, json or csv" in bad.stderr


def test_json_of_a_review_queue_and_formats_everywhere(reg: Reg) -> None:
    # Every --format is checked against its command's reporters: review and import refuse
    # an unknown one (exit 2), and list speaks the one vocabulary (text, json, csv).
    to_security(reg)
    assert json.loads(reg.ok("review", "--security", "--format", "json").stdout)[0]["id"] \
        == "otter-ai"
    for args in (("review", "--security", "--format", "yaml"),
                 ("import", "x.csv", "--map", "m.yaml", "--format", "yaml"),
                 ("list", "--format", "table2"), ("show", "otter-ai", "--format", "csv")):
        result = reg.aireg(*args)
        assert result.exit_code == 2, (args, result.output)
        assert "is not a format of this command" in result.stderr
    assert "otter-ai" in reg.ok("list", "--format", "text").stdout


def test_cto_ctrl_c_mid_checklist_records_nothing(reg: Reg, people: list[Person]) -> None:
    # Ctrl-C while the CTO answers the checklist stops the review: exit 130, one sentence,
    # no commit, and the tool still waits in security.
    to_security(reg)
    count = reg.commit_count()
    cto = run(people, reg, "review", "--security", "otter-ai", as_=CTO)
    cto.answer("[data-classes]", "yes")
    cto.expect("[training]")
    cto.child.sendintr()
    cto.expect("interrupted; nothing was written")
    assert cto.finish() == 130
    assert "Traceback" not in cto.seen
    assert reg.commit_count() == count
    assert committed(reg)["stage"] == "security"
