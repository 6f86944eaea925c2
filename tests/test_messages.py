"""What the CLI says and refuses, as sentences for people: exits that make sense, dates,
did-you-means, global options after the command, CI annotations with lines, the path
from an edit of a deployed tool to its re-review, and `show` never ticking a gap."""

from __future__ import annotations

import json
import re
import shlex
import sys
from pathlib import Path

from conftest import Reg
from test_journeys import CTO, LES, committed, to_security

from aireg.cli.main import app


def to_impact(reg: Reg) -> None:
    to_security(reg)
    reg.ok("review", "--security", "otter-ai", "--approve", "--answer", "data-classes=yes",
           "--answer", "training=yes", as_=CTO)


def sentences_ok(text: str) -> None:
    """No Python reprs, no doubled full stop, no broken grammar, no traceback."""
    assert "True" not in text and "False" not in text, text
    assert ".." not in text.replace("...", ""), text
    assert "may withdrawn" not in text and "Traceback" not in text, text


def test_global_options_after_the_command(reg: Reg, tmp_path: Path) -> None:
    # --registry and -q/--quiet work after the command, as git and cargo users type them.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "user.email",
           "GIT_CONFIG_VALUE_0": LES}
    result = reg.runner.invoke(app, ["propose", "--name", "Otter.ai", "--department",
                                     "marketing", "--no-input", "--registry", str(reg.root),
                                     "-q"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output == ""
    result = reg.runner.invoke(app, ["list", "--format", "json", f"--registry={reg.root}"])
    assert result.exit_code == 0, result.output
    assert [r["id"] for r in json.loads(result.stdout)] == ["otter-ai"]
    result = reg.runner.invoke(app, ["show", "otter-ai", "--quiet", "--registry",
                                     str(reg.root)])
    assert result.exit_code == 0 and "Otter.ai" in result.stdout


def test_withdraw_of_a_deployed_tool_names_retire(reg: Reg) -> None:
    # A deployed tool (impact, active) is retired, never withdrawn to rejected.
    to_impact(reg)
    result = reg.aireg("withdraw", "otter-ai", "--reason", "Not needed.", as_=LES)
    assert result.exit_code == 1
    assert "aireg retire otter-ai" in result.stderr
    assert committed(reg)["stage"] == "impact"
    sentences_ok(result.stderr)


def test_dates_in_the_future_are_refused(reg: Reg) -> None:
    # A measurement dated after today is refused with today's date in the sentence.
    to_impact(reg)
    result = reg.aireg("measure", "otter-ai", "--metric", "hours", "--baseline", "3",
                       "--current", "1", "--unit", "hours", "--date", "2999-01-01", as_=LES,
                       env={"AIREG_TODAY": "2026-12-01"})
    assert result.exit_code == 2
    assert "--date 2999-01-01 is in the future" in result.stderr
    assert "today is 2026-12-01" in result.stderr


def test_a_review_decision_that_sends_back_needs_a_note(reg: Reg) -> None:
    # --request-changes and --reject without --note are refused: the owner must be told.
    to_security(reg)
    for flag in ("--request-changes", "--reject"):
        result = reg.aireg("review", "--security", "otter-ai", flag, "--answer",
                           "data-classes=yes", "--answer", "training=yes", as_=CTO)
        assert result.exit_code == 2, result.output
        assert f"{flag} needs --note" in result.stderr
    reg.ok("review", "--security", "otter-ai", "--request-changes", "--note",
           "Turn on SSO.", "--condition", "SSO before rollout", "--answer",
           "data-classes=yes", "--answer", "training=no", as_=CTO)
    refused = reg.aireg("advance", "otter-ai", as_=LES)
    assert "Turn on SSO" in refused.stderr and "SSO before rollout" in refused.stderr
    sentences_ok(refused.stderr)


def test_did_you_mean_for_ids_answers_departments_and_stages(reg: Reg) -> None:
    # Misspelt --replaced-by ids, --answer checklist ids, department and stage filters are
    # each answered with the likely word; unknown filters are usage errors (exit 2).
    to_security(reg)
    r = reg.aireg("review", "--security", "otter-ai", "--approve", "--answer",
                  "trainig=yes", "--answer", "data-classes=yes", as_=CTO)
    assert r.exit_code == 2 and 'Did you mean "training"?' in r.stderr
    reg.ok("review", "--security", "otter-ai", "--approve", "--answer", "data-classes=yes",
           "--answer", "training=yes", as_=CTO)
    r = reg.aireg("retire", "otter-ai", "--reason", "Replaced.", "--replaced-by", "otter-a",
                  as_=LES)
    assert r.exit_code == 2 and 'Did you mean "otter-ai"?' in r.stderr
    r = reg.aireg("list", "--department", "marketting")
    assert r.exit_code == 2 and 'Did you mean "marketing"?' in r.stderr
    r = reg.aireg("list", "--stage", "pilt")
    assert r.exit_code == 2 and 'Did you mean "pilot"?' in r.stderr
    r = reg.aireg("propose", "--name", "X", "--department", "salse", "--no-input", as_=LES)
    assert r.exit_code == 2 and 'Did you mean "sales"?' in r.stderr


def test_the_owner_is_not_their_own_colleague(reg: Reg) -> None:
    # --with naming the owner, or not an e-mail, is refused before anything is written.
    for who, words in ((LES, "names you, the owner"), ("ana", "is not an e-mail address")):
        r = reg.aireg("propose", "--name", "Otter.ai", "--department", "marketing", "--with",
                      who, "--no-input", as_=LES)
        assert r.exit_code == 2 and words in r.stderr, r.output
    assert not (reg.root / "tools/otter-ai.yaml").exists()


def test_list_says_when_it_skipped_an_unreadable_record(reg: Reg) -> None:
    # A record that does not parse is named on stderr, never silently left out.
    to_security(reg)
    (reg.root / "tools/broken.yaml").write_text("name: [unclosed\n")
    r = reg.aireg("list")
    assert r.exit_code == 0
    assert "otter-ai" in r.stdout
    assert "tools/broken.yaml could not be read" in r.stderr


def test_show_gives_values_and_never_ticks_a_step_with_gaps(reg: Reg) -> None:
    # `show` prints each step's values (problem, users, pilot findings, the review with its
    # note and conditions, measurements); a done step whose items are missing is not ticked.
    to_impact(reg)
    reg.ok("measure", "otter-ai", "--metric", "hours per summary", "--baseline", "3",
           "--current", "0.5", "--unit", "hours", "--date", "2026-11-20", as_=LES)
    out = reg.ok("show", "otter-ai").stdout
    for value in ("problem: Summaries take three hours.", "writers (6 people)",
                  "findings: Fine.", "approved by cto@acme.example",
                  "hours per summary: 3 -> 0.5 hours on 2026-11-20", "trains on our data: no"):
        assert value in out, (value, out)
    sentences_ok(out)
    path = reg.root / "tools/otter-ai.yaml"
    path.write_text(path.read_text().replace("  goal: A draft to edit.\n", ""))
    out = reg.ok("show", "otter-ai").stdout
    assert "[x] 1 purpose" not in out
    assert "[!] 1 purpose (incomplete)" in out and "missing purpose.goal" in out


def test_github_annotations_of_history_problems_point_at_lines(reg: Reg) -> None:
    # A stage moved by a plain git commit is a history problem; in --format github it
    # carries the line of the field it names, so the annotation lands on that line.
    reg.ok("propose", "--name", "Otter.ai", "--department", "marketing", "--no-input", as_=LES)
    path = reg.root / "tools/otter-ai.yaml"
    path.write_text(path.read_text().replace("stage: purpose", "stage: pilot"))
    reg.commit_all("skip ahead", as_=LES)
    out = reg.aireg("validate", "--base", "HEAD~1", "--format", "github").stdout
    annotations = [ln for ln in out.splitlines() if ln.startswith("::error")]
    assert annotations, out
    for ln in annotations:
        assert re.search(r"file=tools/otter-ai\.yaml,line=\d+", ln), ln
    stage_line = path.read_text().splitlines().index("stage: pilot") + 1
    assert any(f"line={stage_line}," in ln for ln in annotations), out


def test_a_deployed_tools_facts_change_by_edit_then_re_review(reg: Reg, tmp_path: Path
                                                              ) -> None:
    # The path edit -> commit -> re-review works: the edit is committed with a message
    # naming the re-review, the tool is back in the queue, and the review clears it.
    to_impact(reg)
    script = tmp_path / "widen.py"
    script.write_text("import sys\np = sys.argv[1]\ns = open(p).read()\n"
                      "open(p, 'w').write(s.replace('data: [internal]', "
                      "'data: [internal, confidential]'))\n")
    editor = f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"
    r = reg.aireg("edit", "otter-ai", as_=LES, env={"EDITOR": editor})
    assert r.exit_code == 0, r.output
    assert "aireg review --security otter-ai" in r.output
    assert committed(reg)["security"]["data"] == ["internal", "confidential"]
    queue = json.loads(reg.ok("review", "--security", "--format", "json", as_=CTO).stdout)
    assert [t["id"] for t in queue] == ["otter-ai"]
    assert "security.data" in reg.ok("show", "otter-ai").stdout
    reg.ok("review", "--security", "otter-ai", "--approve", "--answer", "data-classes=yes",
           "--answer", "training=yes", as_=CTO)
    reg.ok("validate")


def test_review_of_uncommitted_edits_names_the_way_on(reg: Reg) -> None:
    # A review judges committed facts: uncommitted edits are refused naming `aireg edit`.
    to_security(reg)
    path = reg.root / "tools/otter-ai.yaml"
    path.write_text(path.read_text().replace("retention: 30 days", "retention: 7 days"))
    r = reg.aireg("review", "--security", "otter-ai", "--approve", "--answer",
                  "data-classes=yes", "--answer", "training=yes", as_=CTO)
    assert r.exit_code == 1
    assert "aireg edit otter-ai" in r.stderr
    sentences_ok(r.stderr)


def test_refusals_read_as_sentences(reg: Reg) -> None:
    # A sample of refusals: no True/False, no doubled full stop, no field named twice.
    to_security(reg)
    outputs = [
        reg.aireg("advance", "otter-ai", as_=LES).stderr,
        reg.aireg("withdraw", "otter-ai", "--reason", "x", as_="sam@acme.example").stderr,
        reg.aireg("measure", "otter-ai", "--metric", "m", "--baseline", "1", "--current",
                  "2", "--unit", "h", as_=LES).stderr,
        reg.aireg("review", "--security", "otter-ai", "--approve", as_=CTO).stderr,
    ]
    for text in outputs:
        assert text.strip()
        sentences_ok(text)
        for field in re.findall(r"\b([a-z_]+\.[a-z_]+):", text):
            assert text.count(f"{field}:") + text.count(f"{field} ") <= 2, text


def test_stage_flags_are_checked_like_answers(reg: Reg) -> None:
    # Without a terminal, each advance flag is checked for its form as a prompt would check
    # it: exit 2, naming the flag and the form, and nothing committed.
    from test_journeys import to_pilot

    to_pilot(reg)
    count = reg.commit_count()
    base = ["advance", "otter-ai", "--no-input"]
    for args, words in (
        (["--start", "03/11/2026"], "--start 03/11/2026 is not a date; write it as YYYY-MM-DD"),
        (["--start", "2026-11-03", "--end", "2026-11-01"], "is before the pilot's start"),
        (["--participant", "ana"], "--participant ana is not an e-mail address"),
        (["--result", "yes"], "--result yes: write passed"),
        (["--data", "publc"], 'Did you mean "public"?'),
    ):
        r = reg.aireg(*base, *args, as_=LES)
        assert r.exit_code == 2, (args, r.output)
        assert words in r.stderr, (args, r.stderr)
    assert reg.commit_count() == count
    r = reg.aireg("list", "--format", "table")  # the older name of text
    assert r.exit_code == 0 and "otter-ai" in r.stdout


def test_an_answer_against_the_owners_facts_is_pointed_out(reg: Reg) -> None:
    # sso=yes while the record says sso: false is named before anything is committed, and
    # recorded only with --confirm.
    from conftest import ACME_CONFIG

    (reg.root / "aireg.yaml").write_text(ACME_CONFIG + "  - id: sso\n    ask: Is SSO on?\n")
    reg.commit_all("add the SSO question")
    to_security(reg, "--no-trains-on-our-data", "--no-sso")
    count = reg.commit_count()
    args = ["review", "--security", "otter-ai", "--approve", "--answer", "data-classes=yes",
            "--answer", "training=yes", "--answer", "sso=yes"]
    r = reg.aireg(*args, as_=CTO)
    assert r.exit_code == 1
    assert "sso=yes contradicts security.sso: false" in r.stderr
    assert reg.commit_count() == count
    reg.ok(*args, "--confirm", as_=CTO)
