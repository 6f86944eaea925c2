"""Test helpers for history tests: a registry in a real git repository, committed with plain
git commands as given people, with given trailers and dates, and real SSH keys."""

from __future__ import annotations

import copy
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from harness import _ACME, ADMIN, ANA, BOB, CTO, LES, MAL, acme_config, git

from aireg import records, signing

__all__ = ["ACME", "ADMIN", "ANA", "BOB", "CTO", "LES", "MAL", "run_git"]

# Acme's aireg.yaml with a "%(signed)s" slot, for the tests that write it commit by commit.
ACME = _ACME

run_git = git  # the harness's one git runner, under the name these tests use

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def dump(record: dict[str, Any]) -> str:
    # libyaml's emitter when there is one: a 3 MB record takes a second, not minutes.
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return records.SCHEMA_MODELINE + yaml.dump(record, Dumper=dumper, sort_keys=False,
                                               allow_unicode=True)


def person_env(email: str, when: datetime, committer: str | None = None) -> dict[str, str]:
    stamp = when.isoformat()
    who = committer or email
    return {
        "GIT_AUTHOR_NAME": email.split("@")[0].title(), "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": who.split("@")[0].title(), "GIT_COMMITTER_EMAIL": who,
        "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp,
    }


def make_key(directory: Path, name: str) -> Path:
    """A real ed25519 key pair without passphrase; returns the private key's path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(path)],
                   check=True, capture_output=True)
    return path


def signer_line(email: str, key: Path) -> str:
    kind, blob = Path(f"{key}.pub").read_text().split()[:2]
    return f"{email} {kind} {blob}\n"


def message(subject: str, trailers: dict[str, str] | None = None, body: str = "") -> str:
    text = subject + "\n"
    if body:
        text += "\n" + body.rstrip("\n") + "\n"
    if trailers:
        text += "\n" + "".join(f"{k}: {v}\n" for k, v in trailers.items())
    return text


def aireg_trailers(action: str, tool: str, stage: str | None = None,
                   decision: str | None = None) -> dict[str, str]:
    out = {"Aireg-Action": action, "Aireg-Tool": tool}
    if stage:
        out["Aireg-Stage"] = stage
    if decision:
        out["Aireg-Decision"] = decision
    return out


# -- records through their stages ---------------------------------------------------------------

def proposed(tool: str = "notes", owner: str = LES,
             department: str = "marketing") -> dict[str, Any]:
    return {
        "schema": "aireg/v1", "id": tool, "name": tool.title(), "vendor": "Vendor Inc.",
        "url": f"https://{tool}.example", "department": department, "owner": owner,
        "stage": "purpose", "created": "2026-11-02",
        "purpose": {"problem": "Notes take long.", "goal": "Faster notes.",
                    "success_criteria": ["ten minutes"], "defined_with": [ANA]},
    }


def fill(record: dict[str, Any], stage: str) -> dict[str, Any]:
    """The record with the fields that leaving `stage` needs."""
    rec = copy.deepcopy(record)
    if stage == "users":
        rec["users"] = [{"group": "writers", "count": 3, "needs": ["speed"]}]
    elif stage == "pilot":
        rec["pilot"] = {"start": "2026-11-03", "end": "2026-11-10", "participants": [ANA],
                        "data": ["public"], "result": "passed", "findings": "Works."}
        rec["security"] = {"data": ["internal"], "trains_on_our_data": False,
                           "retention": "30 days", "sso": True, "integrations": []}
    return rec


def with_review(record: dict[str, Any], by: str = CTO, decision: str = "approved",
                day: str = "2026-11-02", key: Path | None = None, root: Path | None = None,
                sign_as: dict[str, str] | None = None) -> dict[str, Any]:
    """The record with a security review bound to its facts (signed with `key` if given);
    `sign_as` overrides payload fields to make a signature over something else."""
    rec = copy.deepcopy(record)
    dig = records.digest(rec)
    review: dict[str, Any] = {"decision": decision, "by": by, "date": day,
                              "answers": {"data-classes": "yes", "training": "yes"},
                              "digest": dig}
    if key is not None:
        fields = {**review, **(sign_as or {})}
        payload = records.signed_payload(rec["id"], fields)
        review["signature"] = signing.sign(payload, str(key), root or Path.cwd())
    rec.setdefault("security", {})["review"] = review
    if rec.get("stage") == "security":
        rec["stage"] = {"approved": "impact", "rejected": "rejected"}.get(decision, "security")
    return rec


# -- the registry ---------------------------------------------------------------------------

@dataclass
class Registry:
    """A registry in a real temporary git repository; every commit made with plain git."""

    root: Path
    clock: datetime = START
    keys: dict[str, Path] = field(default_factory=dict)

    @classmethod
    def create(cls, root: Path, signed: bool = False, signers: str = "") -> Registry:
        root.mkdir(parents=True, exist_ok=True)
        run_git(root, "init", "-q", "-b", "main")
        reg = cls(root)
        files: dict[str, str | None] = {"aireg.yaml": acme_config(signed),
                                        "CODEOWNERS": "/aireg.yaml @acme/admins\n"}
        if signers:
            files[".aireg/allowed_signers"] = signers
        reg.commit(ADMIN, files, "aireg: init Acme")
        return reg

    def tick(self, hours: float = 1) -> datetime:
        self.clock += timedelta(hours=hours)
        return self.clock

    @property
    def today(self) -> str:
        return self.clock.date().isoformat()

    def git(self, *args: str, env: dict[str, str] | None = None) -> str:
        return run_git(self.root, *args, env=env)

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").strip()

    def commit(self, who: str, files: dict[str, str | dict[str, Any] | None], subject: str,
               trailers: dict[str, str] | None = None, body: str = "",
               when: datetime | None = None, raw_message: str | None = None,
               committer: str | None = None) -> str:
        """Write (text or a record dict) or delete (None) files, commit them as `who`."""
        for rel, content in files.items():
            path = self.root / rel
            if content is None:
                self.git("rm", "-q", "--", rel)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(dump(content) if isinstance(content, dict) else content)
            self.git("add", "--", rel)
        when = when or self.tick()
        msg = raw_message if raw_message is not None else message(subject, trailers, body)
        run_git(self.root, "commit", "-q", "--allow-empty", "--cleanup=verbatim", "-F", "-",
                env=person_env(who, when, committer), stdin=msg)
        return self.head()

    def read(self, tool: str) -> dict[str, Any]:
        data: dict[str, Any] = yaml.safe_load((self.root / f"tools/{tool}.yaml").read_text())
        return data

    # -- the steps, as aireg would commit them --------------------------------------------

    def propose(self, tool: str = "notes", who: str = LES, department: str = "marketing") -> str:
        return self.commit(who, {f"tools/{tool}.yaml": proposed(tool, who, department)},
                           f"aireg: propose {tool}: proposed", aireg_trailers("propose", tool))

    def advance(self, tool: str = "notes", who: str = LES) -> str:
        rec = self.read(tool)
        stage = records.Stage(rec["stage"])
        rec = fill(rec, stage.value)
        nxt = stage.next
        assert nxt is not None
        rec["stage"] = nxt.value
        return self.commit(who, {f"tools/{tool}.yaml": rec}, f"aireg: advance {tool}: done",
                           aireg_trailers("advance", tool, f"{stage} -> {nxt}"))

    def to_security(self, tool: str = "notes", who: str = LES,
                    department: str | None = None) -> None:
        if not (self.root / f"tools/{tool}.yaml").exists():
            self.propose(tool, who, department or ("marketing" if who in (LES, ANA)
                                                   else "engineering"))
        while self.read(tool)["stage"] != "security":
            self.advance(tool, who)

    def review(self, tool: str = "notes", who: str = CTO, decision: str = "approved",
               by: str | None = None, key: Path | None = None, day: str | None = None,
               trailers: dict[str, str] | None = None, subject: str | None = None,
               sign_as: dict[str, str] | None = None, when: datetime | None = None) -> str:
        when = when or self.tick()
        rec = with_review(self.read(tool), by or who, decision, day or when.date().isoformat(),
                          key, self.root, sign_as)
        if trailers is None:
            trailers = aireg_trailers("review", tool, "security -> " + rec["stage"], decision)
        return self.commit(who, {f"tools/{tool}.yaml": rec},
                           subject or f"aireg: review {tool}: {decision}", trailers, when=when)

    def edit(self, tool: str, who: str, change: Callable[[dict[str, Any]], None],
             subject: str = "edit", trailers: dict[str, str] | None = None) -> str:
        rec = self.read(tool)
        change(rec)
        return self.commit(who, {f"tools/{tool}.yaml": rec}, subject, trailers)

    def measure(self, tool: str = "notes", who: str = LES, value: float = 1.0) -> str:
        def add(rec: dict[str, Any]) -> None:
            rec.setdefault("impact", []).append(
                {"metric": "hours", "baseline": 3, "current": value, "unit": "hours",
                 "measured": self.clock.date().isoformat()})

        return self.edit(tool, who, add, f"aireg: measure {tool}: hours",
                         aireg_trailers("measure", tool))
