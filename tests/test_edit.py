"""`aireg edit ID`: a real editor process changes the record; aireg validates and commits it."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import Reg

LES = "les@acme.example"  # a marketing member, owner of the tool below
ANA = "ana@acme.example"  # another marketing member
SAM = "sam@acme.example"  # not in marketing
CTO = "cto@acme.example"
REL = "tools/otter.yaml"

# A stand-in for vi: a real program that opens the file it is given, records what it saw,
# applies the (old, new) replacements in $EDITS, and exits with $EDITOR_EXIT.
EDITOR_SCRIPT = """\
import json, os, sys
path = sys.argv[-1]
text = open(path, encoding="utf-8").read()
with open(os.environ["SEEN"], "a", encoding="utf-8") as fh:
    fh.write(json.dumps({"argv": sys.argv[1:], "text": text}) + "\\n")
for old, new in json.loads(os.environ.get("EDITS", "[]")):
    assert old in text, (old, text)
    text = text.replace(old, new, 1)
open(path, "w", encoding="utf-8").write(text)
sys.exit(int(os.environ.get("EDITOR_EXIT", "0")))
"""


class Editor:
    """Runs `aireg edit` with $EDITOR pointing at the script, and remembers what it saw."""

    def __init__(self, reg: Reg, tmp: Path) -> None:
        self.reg = reg
        self.script = tmp / "fake_editor.py"
        self.script.write_text(EDITOR_SCRIPT)
        self.seen_file = tmp / "seen.jsonl"

    def run(self, *edits: tuple[str, str], as_: str = LES, exit: int = 0,
            var: str = "EDITOR", tool: str = "otter") -> Any:
        env = {
            var: f"{shlex.quote(sys.executable)} {shlex.quote(str(self.script))} --wait",
            "EDITS": json.dumps(edits), "SEEN": str(self.seen_file),
            "EDITOR_EXIT": str(exit),
        }
        return self.reg.aireg("edit", tool, as_=as_, env=env)

    @property
    def seen(self) -> list[dict[str, Any]]:
        if not self.seen_file.exists():
            return []
        return [json.loads(ln) for ln in self.seen_file.read_text().splitlines()]


@pytest.fixture
def editor(reg: Reg, tmp_path: Path) -> Editor:
    reg.ok("propose", "--id", "otter", "--name", "Otter.ai", "--department", "marketing",
           "--problem", "Summaries take three hours.", "--goal", "A draft to edit.",
           "--criterion", "A draft within ten minutes", "--with", ANA, "--no-input", as_=LES)
    return Editor(reg, tmp_path)


def test_edit_commits_the_edited_text_as_is(reg: Reg, editor: Editor) -> None:
    # The owner's edit, comment included, is committed byte for byte as the editor left it,
    # alone (other uncommitted work untouched), authored by the owner, with the edit trailers.
    (reg.root / "scratch.txt").write_text("not mine to commit\n")
    count = reg.commit_count()
    result = editor.run(("goal: A draft to edit.", "goal: A short draft.  # agreed with Ana"),
                        ("stage: purpose", "stage: purpose\ntags: [writing]"))
    assert result.exit_code == 0, result.output
    assert editor.seen[0]["argv"] == ["--wait", str(reg.root / REL)]
    edited = reg.read(REL)
    assert "# agreed with Ana" in edited
    assert reg.git("show", f"HEAD:{REL}") == edited
    assert reg.commit_count() == count + 1
    assert reg.git("show", "--name-only", "--format=", "HEAD").split() == [REL]
    message = reg.head_message()
    assert message.splitlines()[0] == "aireg: edit otter: edited tags, purpose.goal"
    assert "Aireg-Action: edit\nAireg-Tool: otter" in message
    assert "Aireg-Stage" not in message
    assert reg.git("log", "-1", "--format=%ae").strip() == LES
    assert reg.git("status", "--porcelain").splitlines() == ["?? scratch.txt"]
    assert "committed" in result.output
    # The history rules accept the edit commit: the owner changed their own record.
    result = reg.aireg("validate", "--base", "HEAD~1", "--format", "json")
    assert [p for p in json.loads(result.stdout)["problems"] if p["commit"]] == []


def test_department_member_may_edit(reg: Reg, editor: Editor) -> None:
    # A member of the tool's department may edit it, as the owner may.
    result = editor.run(("goal: A draft to edit.", "goal: A draft we edit."), as_=ANA)
    assert result.exit_code == 0, result.output
    assert reg.git("log", "-1", "--format=%ae").strip() == ANA


@pytest.mark.parametrize("who", [SAM, CTO])
def test_others_may_not_edit_and_the_editor_never_opens(reg: Reg, editor: Editor,
                                                        who: str) -> None:
    # Someone outside the department (even the CTO) is refused before the editor opens.
    count = reg.commit_count()
    result = editor.run(("goal: A draft to edit.", "goal: Mine now."), as_=who)
    assert result.exit_code == 1, result.output
    assert "only its owner (les@acme.example) or a member of marketing" in result.stderr
    assert editor.seen == []
    assert reg.commit_count() == count


def test_owner_is_judged_by_the_committed_record(reg: Reg, editor: Editor) -> None:
    # Writing yourself in as owner in the working tree does not let you edit the tool.
    reg.write(REL, reg.read(REL).replace(f"owner: {LES}", f"owner: {SAM}"))
    result = editor.run(as_=SAM)
    assert result.exit_code == 1, result.output
    assert editor.seen == []


def test_a_broken_edit_is_kept_explained_and_reopened(reg: Reg, editor: Editor) -> None:
    # An edit that breaks a rule is not committed: the file keeps the edit, the error names
    # the field and the fix; the next `aireg edit` opens the kept edit and commits the fix.
    count = reg.commit_count()
    result = editor.run(("stage: purpose", "stage: purpose\ncolour: blue"))
    assert result.exit_code == 1, result.output
    err = " ".join(result.stderr.split())
    assert 'unknown key "colour"' in err
    assert "aireg edit otter" in err and "kept" in err
    assert "colour: blue" in reg.read(REL)
    assert reg.commit_count() == count
    result = editor.run(("colour: blue", "tags: [blue]"))
    assert result.exit_code == 0, result.output
    assert "colour: blue" in editor.seen[-1]["text"]
    assert reg.commit_count() == count + 1
    assert "tags: [blue]" in reg.git("show", f"HEAD:{REL}")


def test_a_yaml_syntax_error_is_kept_and_reopened(reg: Reg, editor: Editor) -> None:
    # Even a file that no longer parses is kept, explained with its line, and reopened.
    result = editor.run(("goal: A draft to edit.", "goal: [unclosed"))
    assert result.exit_code == 1, result.output
    assert f"{REL}:" in result.stderr and "aireg edit otter" in result.stderr
    result = editor.run(("goal: [unclosed", "goal: closed"))
    assert result.exit_code == 0, result.output
    assert "goal: [unclosed" in editor.seen[-1]["text"]


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (("stage: purpose", "stage: users"), ["stage changed from purpose to users",
                                              "aireg advance", "put stage back to purpose"]),
        (("stage: purpose", "stage: retired"), ["aireg retire"]),
        (("stage: purpose", "stage: purpose\nsecurity:\n  review: {decision: approved}"),
         ["security.review", "aireg review --security otter"]),
    ],
    ids=["advance", "exit", "review"],
)
def test_stage_and_review_move_only_by_their_commands(reg: Reg, editor: Editor,
                                                      edit: tuple[str, str],
                                                      words: list[str]) -> None:
    # An edit may not move the stage or write a review: refused with the command to use.
    count = reg.commit_count()
    result = editor.run(edit)
    assert result.exit_code == 1, result.output
    err = " ".join(result.stderr.split())
    for w in words:
        assert w in err, err
    assert reg.commit_count() == count


def test_no_change_commits_nothing(reg: Reg, editor: Editor) -> None:
    # Closing the editor without a change is fine and makes no commit.
    count = reg.commit_count()
    result = editor.run()
    assert result.exit_code == 0, result.output
    assert "no change" in result.output
    assert reg.commit_count() == count


def test_a_failing_editor_commits_nothing(reg: Reg, editor: Editor) -> None:
    # An editor that exits non-zero (vim's :cq) aborts: exit 1, nothing committed, the
    # saved text kept for the next `aireg edit`.
    count = reg.commit_count()
    result = editor.run(("goal: A draft to edit.", "goal: Half done."), exit=3)
    assert result.exit_code == 1, result.output
    assert "exited with status 3" in result.stderr
    assert reg.commit_count() == count
    assert "Half done." in reg.read(REL)


def test_visual_wins_over_editor(reg: Reg, editor: Editor) -> None:
    # $VISUAL is preferred to $EDITOR, as git and most Unix tools do.
    result = editor.run(("goal: A draft to edit.", "goal: Visual."), var="VISUAL")
    assert result.exit_code == 0, result.output
    assert len(editor.seen) == 1


def test_missing_editor_and_unknown_tool(reg: Reg, editor: Editor) -> None:
    # An editor that is not installed is exit 3 naming EDITOR; no editor at all off a
    # terminal is exit 3 too; an unknown id is exit 2 with a did-you-mean.
    result = reg.aireg("edit", "otter", as_=LES, env={"EDITOR": "no-such-editor-here"})
    assert result.exit_code == 3, result.output
    assert "EDITOR" in result.stderr
    result = reg.aireg("edit", "otter", as_=LES)
    assert result.exit_code == 3, result.output
    assert "EDITOR" in result.stderr
    result = editor.run(tool="oter")
    assert result.exit_code == 2, result.output
    assert 'Did you mean "otter"' in result.stderr
