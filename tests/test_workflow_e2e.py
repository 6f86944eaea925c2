"""One tool walks all six steps through the real CLI in a real git repository."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Reg

LES, ANA, CTO = "les@acme.example", "ana@acme.example", "cto@acme.example"
REL = "tools/interview-summaries.yaml"


def trailers(reg: Reg) -> dict[str, str]:
    out = {}
    for line in reg.head_message().splitlines():
        if line.startswith("Aireg-"):
            key, _, value = line.partition(": ")
            out[key] = value
    return out


def changed_files(reg: Reg) -> list[str]:
    return reg.git("show", "--name-only", "--format=", "HEAD").split()


def test_six_steps_end_to_end(reg: Reg) -> None:
    # A tool goes from proposal to reassessment; each step is one commit, by the right
    # person, touching only the record, with the SPEC's subject and trailers.
    start = reg.commit_count()
    reg.ok("propose", "--name", "Otter.ai", "--id", "interview-summaries",
           "--vendor", "Otter.ai, Inc.", "--url", "https://otter.ai",
           "--department", "marketing", "--problem", "Summaries take three hours.",
           "--goal", "A draft the writer edits.", "--criterion", "Draft within ten minutes",
           "--with", ANA, as_=LES)
    rec = reg.load(REL)
    assert rec["owner"] == LES and rec["stage"] == "purpose"
    assert rec["purpose"]["defined_with"] == [ANA]
    assert reg.head_message().startswith("aireg: propose interview-summaries: Otter.ai")
    assert trailers(reg) == {"Aireg-Action": "propose", "Aireg-Tool": "interview-summaries"}
    assert reg.git("log", "-1", "--format=%ae").strip() == LES
    assert changed_files(reg) == [REL]

    reg.ok("advance", "interview-summaries", as_=LES)
    assert reg.load(REL)["stage"] == "users"
    assert trailers(reg)["Aireg-Stage"] == "purpose -> users"

    reg.ok("advance", "interview-summaries", "--group", "content writers", "--count", "6",
           "--need", "speaker labels", "--need", "export to Google Docs", as_=LES)
    rec = reg.load(REL)
    assert rec["stage"] == "pilot"
    assert rec["users"] == [{"group": "content writers", "count": 6,
                             "needs": ["speaker labels", "export to Google Docs"]}]

    reg.ok("advance", "interview-summaries", "--start", "2026-11-03", "--end", "2026-11-14",
           "--participant", ANA, "--data", "public", "--result", "passed",
           "--findings", "Speaker labels wrong in 1 of 12.", "--security-data", "internal",
           "--security-data", "customer-personal", "--no-trains-on-our-data",
           "--retention", "30 days", "--sso", "--integration", "google-drive", as_=LES)
    rec = reg.load(REL)
    assert rec["stage"] == "security"
    assert rec["security"]["integrations"] == ["google-drive"]
    assert trailers(reg)["Aireg-Stage"] == "pilot -> security"

    # The queue shows it to the CTO.
    queue = reg.ok("review", "--security", "--format", "json", as_=CTO)
    assert [t["id"] for t in json.loads(queue.stdout)] == ["interview-summaries"]

    before = reg.read(REL)
    reg.ok("review", "--security", "interview-summaries", "--approve",
           "--answer", "data-classes=yes", "--answer", "training=yes",
           "--condition", "Company workspace only", as_=CTO)
    after = reg.read(REL)
    rec = reg.load(REL)
    assert rec["stage"] == "impact"
    review = rec["security"]["review"]
    assert review["decision"] == "approved" and review["by"] == CTO
    assert review["answers"] == {"data-classes": "yes", "training": "yes"}
    assert review["digest"].startswith("sha256:")
    assert trailers(reg) == {"Aireg-Action": "review", "Aireg-Tool": "interview-summaries",
                             "Aireg-Stage": "security -> impact",
                             "Aireg-Decision": "approved"}
    assert reg.git("log", "-1", "--format=%ae").strip() == CTO
    # The review commit's diff adds the review and changes the stage line, nothing else.
    removed = [ln for ln in before.splitlines() if ln not in after.splitlines()]
    assert removed == ["stage: security"]

    reg.ok("measure", "interview-summaries", "--metric", "hours per summary",
           "--baseline", "3", "--current", "0.5", "--unit", "hours", "--date", "2026-11-20",
           as_=LES)
    rec = reg.load(REL)
    assert rec["impact"] == [{"metric": "hours per summary", "baseline": 3, "current": 0.5,
                              "unit": "hours", "measured": "2026-11-20"}]
    assert "Aireg-Stage" not in trailers(reg)

    reg.ok("advance", "interview-summaries", as_=LES)
    assert reg.load(REL)["stage"] == "active"
    assert trailers(reg)["Aireg-Stage"] == "impact -> active"

    reg.ok("reassess", "interview-summaries", "--outcome", "keep", "--alternative",
           "Fireflies.ai", "--note", "Still the best fit.", as_=LES)
    rec = reg.load(REL)
    assert rec["stage"] == "active"
    assert rec["reassessments"][0]["outcome"] == "keep"
    assert rec["reassessments"][0]["by"] == LES

    # Eight commits, each authored by the acting person; the registry validates clean.
    assert reg.commit_count() == start + 8
    authors = reg.git("log", f"-{8}", "--format=%ae").split()
    assert authors == [LES, LES, LES, CTO, LES, LES, LES, LES]
    result = reg.ok("validate")
    assert "0 error(s)" in result.output


def test_advance_refuses_with_every_missing_field(reg: Reg) -> None:
    # advance lists everything the stage still needs, with the flag for each, and writes
    # nothing (no commit, file unchanged).
    reg.ok("propose", "--name", "Otter.ai", "--department", "marketing", "--no-input", as_=LES)
    before = reg.read("tools/otter-ai.yaml")
    count = reg.commit_count()
    result = reg.aireg("advance", "otter-ai", "--no-input", as_=LES)
    assert result.exit_code == 1, result.output
    for needed in ("purpose.problem", "purpose.goal", "purpose.success_criteria",
                   "purpose.defined_with", "--problem", "--with"):
        assert needed in result.stderr
    assert reg.read("tools/otter-ai.yaml") == before
    assert reg.commit_count() == count


def test_advance_takes_hand_edits_and_keeps_comments(reg: Reg) -> None:
    # The owner fills the purpose by editing the YAML (with a comment); advance commits the
    # edit together with the stage change and keeps the comment.
    reg.ok("propose", "--name", "Otter.ai", "--department", "marketing", as_=LES)
    path = reg.root / "tools/otter-ai.yaml"
    path.write_text(path.read_text() + (
        "purpose:\n"
        "  # agreed with Ana on Monday\n"
        "  problem: Summaries take three hours.\n"
        "  goal: A draft the writer edits.\n"
        "  success_criteria: [Draft within ten minutes]\n"
        f"  defined_with: [{ANA}]\n"
    ))
    reg.ok("advance", "otter-ai", as_=LES)
    text = reg.read("tools/otter-ai.yaml")
    assert "# agreed with Ana on Monday" in text
    assert "stage: users" in text
    assert reg.git("status", "--porcelain") == ""


def test_commands_never_commit_unrelated_work(reg: Reg) -> None:
    # A staged and an unstaged change of the user's own stay out of aireg's commit and are
    # still there, staged and unstaged, afterwards.
    (reg.root / "notes.txt").write_text("mine\n")
    reg.git("add", "notes.txt")
    (reg.root / "README.md").write_text("changed by me\n")
    reg.ok("propose", "--name", "Otter.ai", "--department", "marketing", as_=LES)
    assert changed_files(reg) == ["tools/otter-ai.yaml"]
    status = reg.git("status", "--porcelain")
    assert "A  notes.txt" in status and " M README.md" in status


def test_refuses_record_with_uncommitted_edits(reg: Reg) -> None:
    # withdraw refuses a record that has uncommitted edits of its own (advance would take them).
    reg.ok("propose", "--name", "Otter.ai", "--department", "marketing", as_=LES)
    path = reg.root / "tools/otter-ai.yaml"
    path.write_text(path.read_text().replace("Otter.ai", "Otter"))
    result = reg.aireg("withdraw", "otter-ai", "--reason", "no", as_=LES)
    assert result.exit_code == 1
    assert "uncommitted edits" in result.stderr


def test_only_security_reviewers_and_never_the_owner(reg: Reg) -> None:
    # A non-reviewer is refused, and so is a reviewer who owns the tool; exit 1 either way.
    _to_impact_unreviewed(reg, owner=CTO)
    answers = ["--answer", "data-classes=yes", "--answer", "training=yes"]
    result = reg.aireg("review", "--security", "tool", "--approve", *answers, as_=LES)
    assert result.exit_code == 1 and "not in roles.security" in result.stderr
    result = reg.aireg("review", "--security", "tool", "--approve", *answers, as_=CTO)
    assert result.exit_code == 1 and "owns tool" in result.stderr
    assert reg.load("tools/tool.yaml")["stage"] == "security"


def test_pilot_data_must_be_within_policy(reg: Reg) -> None:
    # A pilot may touch only policy.pilot_data before the security review.
    reg.ok("propose", "--name", "Tool", "--department", "engineering", "--problem", "p",
           "--goal", "g", "--criterion", "c", "--with", ANA, as_=LES)
    reg.ok("advance", "tool", as_=LES)
    reg.ok("advance", "tool", "--group", "devs", "--count", "2", "--need", "n", as_=LES)
    result = reg.aireg("advance", "tool", "--start", "2026-11-01", "--end", "2026-11-02",
                       "--participant", ANA, "--data", "confidential", "--result", "passed",
                       "--findings", "ok", "--security-data", "internal",
                       "--no-trains-on-our-data", "--retention", "none", "--sso",
                       "--no-integrations", as_=LES)
    assert result.exit_code == 1, result.output
    assert "policy.pilot_data" in result.stderr
    assert reg.load("tools/tool.yaml")["stage"] == "pilot"


def test_withdraw_and_retire(reg: Reg) -> None:
    # withdraw moves a tool to rejected with the reason; retire needs an existing replacement.
    reg.ok("propose", "--name", "A", "--department", "sales", as_=LES)
    reg.ok("propose", "--name", "B", "--department", "sales", as_=LES)
    reg.ok("withdraw", "a", "--reason", "Found a better option.", as_=LES)
    rec = reg.load("tools/a.yaml")
    assert rec["stage"] == "rejected" and rec["rejected"]["reason"] == "Found a better option."
    result = reg.aireg("retire", "b", "--reason", "x", "--replaced-by", "nope", as_=LES)
    assert result.exit_code == 2 and "nope" in result.stderr
    reg.ok("retire", "b", "--reason", "Replaced.", "--replaced-by", "a", as_=LES)
    assert reg.load("tools/b.yaml")["retired"]["replaced_by"] == "a"


def _to_impact(reg: Reg) -> None:
    _to_impact_unreviewed(reg)
    reg.ok("review", "--security", "tool", "--approve", "--answer", "data-classes=yes",
           "--answer", "training=yes", as_=CTO)


def test_changed_facts_send_a_deployed_tool_back_to_review(reg: Reg) -> None:
    # Widening the data a deployed tool sees makes its approval stale: validate names the
    # changed fact, the tool is back in the review queue, and a re-review clears it while
    # the tool stays in impact.
    _to_impact(reg)
    path = reg.root / "tools/tool.yaml"
    text = path.read_text()
    assert "data: [internal]" in text
    path.write_text(text.replace("data: [internal]", "data: [internal, regulated]"))
    reg.commit_all("widen data", as_=LES)
    result = reg.aireg("validate")
    assert result.exit_code == 1
    assert "security.data changed" in result.output
    queue = json.loads(reg.ok("review", "--security", "--format", "json", as_=CTO).stdout)
    assert [t["id"] for t in queue] == ["tool"]
    reg.ok("review", "--security", "tool", "--approve", "--answer", "data-classes=yes",
           "--answer", "training=yes", as_=CTO)
    assert reg.load("tools/tool.yaml")["stage"] == "impact"
    assert "Aireg-Stage" not in trailers(reg)
    reg.ok("validate")


def test_signed_review_through_the_cli(reg: Reg, tmp_path: Path) -> None:
    # With require_signed_reviews, `review --sign` signs with the reviewer's own key (git's
    # user.signingkey); validate accepts it, and rejects it once the key is not allowed.
    import subprocess

    key = tmp_path / "cto_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", CTO, "-f", str(key)],
                   check=True)
    pub = (tmp_path / "cto_key.pub").read_text().strip()
    (reg.root / ".aireg").mkdir(exist_ok=True)
    (reg.root / ".aireg/allowed_signers").write_text(f'{CTO} namespaces="aireg-review" {pub}\n')
    cfg = reg.root / "aireg.yaml"
    cfg.write_text(cfg.read_text().replace("require_signed_reviews: false",
                                           "require_signed_reviews: true"))
    reg.commit_all("require signed reviews")
    _to_impact_unreviewed(reg)
    answers = ["--answer", "data-classes=yes", "--answer", "training=yes"]
    # No key configured: exit 3 naming the setting.
    result = reg.aireg("review", "--security", "tool", "--approve", *answers, as_=CTO)
    assert result.exit_code == 3, result.output
    assert "user.signingkey" in result.stderr
    reg.git("config", "user.signingkey", str(key))
    reg.ok("review", "--security", "tool", "--approve", "--sign", *answers, as_=CTO)
    review = reg.load("tools/tool.yaml")["security"]["review"]
    assert review["signature"].startswith("-----BEGIN SSH SIGNATURE-----")
    reg.ok("validate")
    # The same review no longer verifies once the allowed signers drop the key.
    (reg.root / ".aireg/allowed_signers").write_text("")
    result = reg.aireg("validate")
    assert result.exit_code == 1
    assert "signature" in result.output


def _to_impact_unreviewed(reg: Reg, owner: str = LES) -> None:
    # propose, then advance through purpose, users and pilot: the tool waits in security.
    reg.ok("propose", "--name", "Tool", "--department", "engineering", "--problem", "p",
           "--goal", "g", "--criterion", "c", "--with", ANA, as_=owner)
    reg.ok("advance", "tool", as_=owner)
    reg.ok("advance", "tool", "--group", "devs", "--count", "2", "--need", "n", as_=owner)
    reg.ok("advance", "tool", "--start", "2026-11-01", "--end", "2026-11-02",
           "--participant", ANA, "--data", "public", "--result", "passed", "--findings", "ok",
           "--security-data", "internal", "--no-trains-on-our-data", "--retention", "none",
           "--sso", "--no-integrations", as_=owner)
