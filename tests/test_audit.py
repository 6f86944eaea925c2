"""Tests of aireg.audit: every decision ever recorded, verified, exportable."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from helpers_git import ANA, CTO, LES, Registry, make_key, run_git, signer_line

from aireg import audit
from aireg.errors import EnvError


def test_audit_lists_every_decision_with_its_verdict(tmp_path: Path) -> None:
    # A good review, a changes-requested then approved review, and a non-reviewer's approval:
    # all three tools' decisions listed, each verified or not, with the rule that failed.
    reg = Registry.create(tmp_path / "r")
    reg.to_security("a")
    reg.review("a")
    reg.to_security("b")
    reg.review("b", decision="changes-requested")
    reg.review("b")
    reg.to_security("c")
    reg.review("c", who=ANA)
    result = audit.audit(reg.root)
    assert [(d.tool, d.decision, d.by, d.verified, d.problems) for d in result.decisions] == [
        ("a", "approved", CTO, True, ()),
        ("b", "changes-requested", CTO, True, ()),
        ("b", "approved", CTO, True, ()),
        ("c", "approved", ANA, False, ("not-a-reviewer",)),
    ]
    assert not result.ok and result.commits == 1 + 3 * 4 + 4


def test_audit_exports_csv_and_json(tmp_path: Path) -> None:
    # as_rows() feeds csv.DictWriter with fixed columns; as_dict() is plain JSON.
    reg = Registry.create(tmp_path / "r")
    reg.to_security()
    reg.review(who=LES)
    result = audit.audit(reg.root)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=audit.COLUMNS)
    writer.writeheader()
    writer.writerows(result.as_rows())
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows[0]["tool"] == "notes" and rows[0]["verified"] == "no"
    # The owner, who proposed the tool, also breaks separation of duties.
    assert set(rows[0]["problems"].split()) == {"not-a-reviewer", "self-review",
                                                "separation-of-duties"}
    data = json.loads(json.dumps(result.as_dict()))
    assert data["ok"] is False and data["decisions"][0]["by"] == LES
    assert {p["rule"] for p in data["problems"]} == {"not-a-reviewer", "self-review",
                                                    "separation-of-duties"}
    assert all(p["commit"] and p["author"] == LES for p in data["problems"])


def test_audit_names_reviews_whose_authorship_a_squash_erased(tmp_path: Path) -> None:
    # An unsigned review squash-merged by its owner: named as squashed; a signed one is not.
    keys = tmp_path / "keys"
    key = make_key(keys, "cto")
    reg = Registry.create(tmp_path / "r", signed=False, signers=signer_line(CTO, key))
    for tool, signed in (("plain", False), ("signed", True)):
        reg.propose(tool)
        reg.git("switch", "-q", "-c", f"pr-{tool}")
        reg.to_security(tool)
        reg.review(tool, key=key if signed else None)
        reg.git("switch", "-q", "main")
        run_git(reg.root, "merge", "-q", "--squash", f"pr-{tool}")
        reg.commit(LES, {}, f"{tool} (#1)", body=f"* aireg: advance {tool}\n\nAireg-Action: "
                   f"advance\n\n* aireg: review {tool}\n\nAireg-Action: review")
    result = audit.audit(reg.root)
    assert [(d.tool, d.signature) for d in result.squashed] == [("plain", "unsigned")]
    signed = next(d for d in result.decisions if d.tool == "signed")
    assert (signed.signature, signed.verified, signed.author) == ("good", True, LES)


def test_audit_of_a_repository_without_commits_is_an_environment_error(tmp_path: Path) -> None:
    # Nothing to audit yet: exit 3 with what to do.
    root = tmp_path / "empty"
    root.mkdir()
    run_git(root, "init", "-q")
    with pytest.raises(EnvError, match="no commits"):
        audit.audit(root)
