"""Random small registry histories for the differential test of the two history judges:
a seeded generator of commit DAGs with explicit trees (valid workflow steps, hand edits,
forged reviews, mode changes, renames, deletions, merges of every kind, attacker-chosen
messages and dates), written many at a time with one `git fast-import`, judged by the fast
judge (aireg.history) and by the reference (refjudge), and shrunk when they disagree."""

from __future__ import annotations

import copy
import os
import random
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import refjudge
import yaml

from aireg import records, signing

# -- the cast --------------------------------------------------------------------------------

LES = "les@acme.example"      # marketing member, owner
ANA = "ana@acme.example"      # marketing member
BOB = "bob@acme.example"      # engineering (no member list), owner of his tools
CTO = "cto@acme.example"      # roles.security (sometimes also a marketing member)
SEC = "sec@acme.example"      # roles.security, second reviewer
ADMIN = "admin@acme.example"  # roles.admins
MAL = "mal@acme.example"      # nobody
PEOPLE = (LES, ANA, BOB, CTO, SEC, ADMIN, MAL)
LOOKALIKES = ("Les@ACME.example", "cto\u200b@acme.example", "\uff43\uff54\uff4f@acme.example",
              "cto@acme.example\u200d", "ADMIN@acme.example")
GITLINK_TARGET = "0123456789abcdef0123456789abcdef01234567"
T0 = 1_793_000_000  # 2026-10-27
DAY = 86_400
STAGES = [s.value for s in records.Stage]


def config_text(signed: bool, cto_member: bool, mal_admin: bool = False) -> str:
    members = "les@acme.example, ana@acme.example" + (", cto@acme.example" if cto_member else "")
    admins = "admin@acme.example" + (", mal@acme.example" if mal_admin else "")
    return f"""\
schema: aireg/v1
organization: Acme
departments:
  marketing: {{members: [{members}]}}
  engineering: {{}}
roles:
  security: [cto@acme.example, sec@acme.example]
  caio: [caio@acme.example]
  admins: [{admins}]
data_classes: [public, synthetic, internal, confidential, customer-personal, regulated]
policy:
  pilot_data: [public, synthetic]
  measure_within_days: 90
  reassess_every_days: 180
  require_signed_reviews: {"true" if signed else "false"}
  allowed_signers: .aireg/allowed_signers
security_checklist:
  - id: data-classes
    ask: Is every data class the tool will see allowed to leave for this vendor?
  - id: training
    ask: Is the vendor barred from training on our data?
"""


_PARSED: dict[bytes, dict[str, Any] | None] = {}
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def dump(rec: dict[str, Any]) -> bytes:
    return (records.SCHEMA_MODELINE
            + yaml.dump(rec, Dumper=_DUMPER, sort_keys=False, allow_unicode=True)).encode("utf-8")


# -- keys (real ssh-keygen, made once per process) -----------------------------------------

class Keys:
    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.dir = directory
        self.paths: dict[str, Path] = {}
        self.cache: dict[tuple[str, bytes], str] = {}
        for who in ("cto", "sec", "mal"):
            path = directory / who
            if not path.exists():
                subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", who, "-f",
                                str(path)], check=True, capture_output=True)
            self.paths[who] = path

    def allowed(self) -> str:
        out = ""
        for email, who in ((CTO, "cto"), (SEC, "sec")):
            kind, blob = Path(f"{self.paths[who]}.pub").read_text().split()[:2]
            out += f"{email} {kind} {blob}\n"
        return out

    def sign(self, who: str, payload: bytes) -> str:
        key = (who, payload)
        if key not in self.cache:
            self.cache[key] = signing.sign(payload, str(self.paths[who]), self.dir)
        return self.cache[key]


# -- histories -----------------------------------------------------------------------------

Tree = dict[str, tuple[str, bytes]]  # path -> (mode, content; a gitlink's content is its id)


@dataclass
class Node:
    id: int
    parents: list[int]
    tree: Tree
    author: str
    committer: str
    when: int
    tz: str
    message: str


@dataclass
class History:
    """A commit DAG with explicit trees; `base` and `head` name nodes."""

    seed: int
    nodes: dict[int, Node] = field(default_factory=dict)
    base: int = 0
    head: int = 0
    note: list[str] = field(default_factory=list)

    def ancestors(self, n: int) -> set[int]:
        seen: set[int] = set()
        todo = [n]
        while todo:
            x = todo.pop()
            if x not in seen:
                seen.add(x)
                todo.extend(self.nodes[x].parents)
        return seen

    def range_ids(self) -> list[int]:
        out = self.ancestors(self.head) - self.ancestors(self.base)
        return sorted(out)

    def order(self) -> list[int]:
        return sorted(self.ancestors(self.head) | self.ancestors(self.base))

    def without(self, drop: int) -> History | None:
        """The history with node `drop` cut out (its children take its first parent)."""
        if drop in (self.base, self.head) or drop not in self.nodes:
            return None
        node = self.nodes[drop]
        h = History(self.seed, {}, self.base, self.head, list(self.note))
        for n in self.nodes.values():
            if n.id == drop:
                continue
            parents: list[int] = []
            for p in n.parents:
                for q in ([p] if p != drop else node.parents[:1]):
                    if q not in parents:
                        parents.append(q)
            h.nodes[n.id] = Node(n.id, parents, n.tree, n.author, n.committer, n.when, n.tz,
                                 n.message)
        return h


def fast_import_stream(histories: list[tuple[str, History]]) -> tuple[bytes, dict[str, dict[int,
                                                                                          int]]]:
    """One stream for many histories; returns it and, per history, node -> mark."""
    out: list[bytes] = []
    blobs: dict[bytes, int] = {}
    mark = 0
    marks: dict[str, dict[int, int]] = {}

    def data(raw: bytes) -> None:
        out.append(b"data %d\n" % len(raw))
        out.append(raw)
        out.append(b"\n")

    for name, h in histories:
        mine: dict[int, int] = {}
        marks[name] = mine
        for nid in h.order():
            n = h.nodes[nid]
            for mode, content in n.tree.values():
                if mode != "160000" and content not in blobs:
                    mark += 1
                    blobs[content] = mark
                    out.append(b"blob\nmark :%d\n" % mark)
                    data(content)
            mark += 1
            mine[nid] = mark
            ref = f"refs/heads/{name}".encode()
            if not n.parents:
                out.append(b"reset " + ref + b"\n")
            out.append(b"commit " + ref + b"\nmark :%d\n" % mark)
            out.append(f"author {n.author.split('@')[0] or 'x'} <{n.author}> {n.when} {n.tz}\n"
                       .encode())
            out.append(f"committer {n.committer.split('@')[0] or 'x'} <{n.committer}> {n.when} "
                       f"{n.tz}\n".encode())
            data(n.message.encode("utf-8"))
            for i, p in enumerate(n.parents):
                out.append(b"%s :%d\n" % (b"from" if i == 0 else b"merge", mine[p]))
            out.append(b"deleteall\n")
            for path, (mode, content) in sorted(n.tree.items()):
                if mode == "160000":
                    out.append(f"M 160000 {content.decode()} {path}\n".encode())
                else:
                    out.append(f"M {mode} :{blobs[content]} ".encode() + path.encode("utf-8")
                               + b"\n")
            out.append(b"\n")
        out.append(f"reset refs/heads/{name}\nfrom :{mine[h.head]}\n\n".encode())
        out.append(f"reset refs/tags/{name}-base\nfrom :{mine[h.base]}\n\n".encode())
    return b"".join(out), marks


# -- the generator -------------------------------------------------------------------------

def review_payload(tool: str, review: dict[str, Any]) -> bytes:
    return signing.review_payload(tool, review)


class Gen:
    """Builds one random history from a seed."""

    def __init__(self, seed: int, keys: Keys) -> None:
        self.rng = random.Random(seed)
        self.keys = keys
        self.h = History(seed)
        self.next_id = 0
        self.clock = T0 + self.rng.randrange(0, 30) * DAY
        self.signed = self.rng.random() < 0.3
        self.cto_member = self.rng.random() < 0.3
        self.tools_made = 0

    # commits --------------------------------------------------------------------------

    def commit(self, parents: list[int], tree: Tree, author: str, message: str,
               when: int | None = None, committer: str | None = None) -> int:
        self.clock += self.rng.choice((60, 3600, 3 * 3600, DAY))
        n = Node(self.next_id, parents, dict(tree), author, committer or author,
                 self.clock if when is None else when,
                 self.rng.choice(("+0000", "+0000", "-0800", "+1300")), message)
        self.h.nodes[n.id] = n
        self.next_id += 1
        return n.id

    def day(self, offset_days: int = 0) -> str:
        from datetime import UTC, datetime

        return datetime.fromtimestamp(self.clock + offset_days * DAY, UTC).date().isoformat()

    def tree(self, nid: int) -> Tree:
        return dict(self.h.nodes[nid].tree)

    @staticmethod
    def record(tree: Tree, path: str) -> dict[str, Any] | None:
        """The record at `path` (shared: copy before changing it)."""
        entry = tree.get(path)
        if entry is None or entry[0] not in ("100644", "100755"):
            return None
        if entry[1] in _PARSED:
            return _PARSED[entry[1]]
        try:
            rec = yaml.load(entry[1].decode("utf-8"), Loader=_LOADER)
        except Exception:
            rec = None
        if len(_PARSED) > 50_000:
            _PARSED.clear()
        _PARSED[entry[1]] = rec if isinstance(rec, dict) else None
        return _PARSED[entry[1]]

    def tools(self, tree: Tree) -> list[str]:
        return sorted(p for p in tree if refjudge.RECORD_RE.match(p)
                      and self.record(tree, p) is not None)

    def msg(self, action: str, tool: str, stage: str | None = None,
            decision: str | None = None, subject: str | None = None) -> str:
        lines = [f"Aireg-Action: {action}", f"Aireg-Tool: {tool}"]
        if stage:
            lines.append(f"Aireg-Stage: {stage}")
        if decision:
            lines.append(f"Aireg-Decision: {decision}")
        return (subject or f"aireg: {action} {tool}: done") + "\n\n" + "\n".join(lines) + "\n"

    # records through valid steps --------------------------------------------------------

    def new_record(self, owner: str, dept: str) -> tuple[str, dict[str, Any]]:
        self.tools_made += 1
        tool = ("notes", "chat", "draw", "code", "scan")[self.tools_made % 5] + (
            str(self.tools_made) if self.tools_made > 5 else "")
        rec = {
            "schema": "aireg/v1", "id": tool, "name": tool.title(), "vendor": "Vendor Inc.",
            "url": f"https://{tool}.example", "department": dept, "owner": owner,
            "stage": "purpose", "created": self.day(),
            "purpose": {"problem": "Slow.", "goal": "Fast.", "success_criteria": ["fast"],
                        "defined_with": [ANA if owner != ANA else LES]},
        }
        return tool, rec

    def advanced(self, rec: dict[str, Any]) -> dict[str, Any] | None:
        rec = copy.deepcopy(rec)
        stage = rec.get("stage")
        if stage == "purpose":
            rec["users"] = [{"group": "writers", "count": 3, "needs": ["speed"]}]
            rec["stage"] = "users"
        elif stage == "users":
            rec["pilot"] = {"start": "2026-11-03", "end": "2026-11-10", "participants": [ANA],
                            "data": ["public"], "result": "passed", "findings": "Works."}
            rec["stage"] = "pilot"
        elif stage == "pilot":
            sec = rec.setdefault("security", {})
            sec.update({"data": ["internal"], "trains_on_our_data": False,
                        "retention": "30 days", "sso": True, "integrations": []})
            rec["stage"] = "security"
        elif stage == "impact":
            rec["impact"] = [{"metric": "hours", "baseline": 3, "current": 1, "unit": "hours",
                              "measured": self.day()}]
            rec["stage"] = "active"
        else:
            return None
        return rec

    def reviewed(self, rec: dict[str, Any], by: str, decision: str, day: str,
                 sign_as: str | None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        rec = copy.deepcopy(rec)
        review: dict[str, Any] = {"decision": decision, "by": by, "date": day,
                                  "answers": {"data-classes": "yes", "training": "yes"},
                                  "digest": records.digest(rec)}
        if self.rng.random() < 0.3:
            review["conditions"] = ["Company workspace only"]
        review.update(extra or {})
        if sign_as:
            review["signature"] = self.keys.sign(sign_as, review_payload(rec["id"], review))
        rec.setdefault("security", {})["review"] = review
        if rec.get("stage") == "security":
            rec["stage"] = {"approved": "impact", "rejected": "rejected"}.get(decision,
                                                                              "security")
        return rec

    def aireg_review(self, rec: dict[str, Any], by: str, decision: str, day: str,
                     sign_as: str | None) -> dict[str, Any] | None:
        """The review as aireg's own workflow records it (None where it refuses)."""
        from aireg import config as config_mod
        from aireg import workflow

        try:
            cfg = config_mod.build(yaml.load(config_text(self.signed, self.cto_member),
                                             Loader=_LOADER))
            inp = workflow.ReviewInput(decision, {"data-classes": "yes", "training": "yes"},
                                       ("Company workspace only",)
                                       if self.rng.random() < 0.3 else ())
            key = sign_as
            sign = (lambda payload: self.keys.sign(key, payload)) if key else None
            change = workflow.review(rec, inp, by, cfg, day, sign)
        except Exception:  # refused (a rule, or an API this generator does not know)
            return None
        out = copy.deepcopy(rec)
        for up in change.updates:
            node: Any = out
            for part in up.path[:-1]:
                node = node.setdefault(part, {})
            if up.append:
                node.setdefault(up.path[-1], []).append(up.value)
            else:
                node[up.path[-1]] = up.value
        return out

    def key_of(self, who: str) -> str | None:
        return {"cto@acme.example": "cto", "sec@acme.example": "sec",
                "mal@acme.example": "mal"}.get(who)

    def owner_of(self, rec: dict[str, Any]) -> str:
        return str(rec.get("owner", LES))

    # steps on a branch: each takes (tip) and returns the new tip ------------------------

    def step_valid(self, tip: int) -> int:
        tree = self.tree(tip)
        tools = self.tools(tree)
        r = self.rng.random()
        if not tools or r < 0.2:
            owner, dept = self.rng.choice(((LES, "marketing"), (ANA, "marketing"),
                                           (BOB, "engineering"), (CTO, "engineering")))
            tool, rec = self.new_record(owner, dept)
            tree[f"tools/{tool}.yaml"] = ("100644", dump(rec))
            return self.commit([tip], tree, owner, self.msg("propose", tool))
        path = self.rng.choice(tools)
        rec = self.record(tree, path)
        assert rec is not None
        tool = str(rec.get("id"))
        stage = rec.get("stage")
        owner = self.owner_of(rec)
        if stage == "security":
            return self.step_review(tip, path, valid=True)
        if r < 0.3 and stage in ("purpose", "users", "pilot", "security"):
            rec = copy.deepcopy(rec)
            rec["stage"] = "rejected"
            rec["rejected"] = {"date": self.day(), "reason": "withdrawn"}
            tree[path] = ("100644", dump(rec))
            return self.commit([tip], tree, owner,
                               self.msg("withdraw", tool, f"{stage} -> rejected"))
        if r < 0.35 and stage in ("impact", "active"):
            rec = copy.deepcopy(rec)
            rec["stage"] = "retired"
            rec["retired"] = {"date": self.day(), "reason": "replaced"}
            tree[path] = ("100644", dump(rec))
            return self.commit([tip], tree, owner, self.msg("retire", tool, f"{stage} -> retired"))
        nxt = self.advanced(rec)
        if nxt is None:
            return self.step_edit(tip, who=owner)
        tree[path] = ("100644", dump(nxt))
        return self.commit([tip], tree, owner,
                           self.msg("advance", tool, f"{stage} -> {nxt['stage']}"))

    def step_review(self, tip: int, path: str | None = None, valid: bool = False) -> int:
        tree = self.tree(tip)
        tools = self.tools(tree)
        if not tools:
            return self.step_valid(tip)
        path = path or self.rng.choice(tools)
        rec = self.record(tree, path)
        assert rec is not None
        tool = str(rec.get("id"))
        owner = self.owner_of(rec)
        reviewers = [p for p in (CTO, SEC) if p != owner] or [SEC]
        by = self.rng.choice(reviewers)
        decision = self.rng.choice(("approved", "approved", "changes-requested", "rejected"))
        author = by
        day = self.day()
        sign_as = self.key_of(by) if (self.signed or self.rng.random() < 0.2) else None
        subject = None
        trailers = True
        extra: dict[str, Any] = {}
        when = None
        if not valid:
            kind = self.rng.randrange(10)
            if kind == 0:
                author = self.rng.choice((owner, MAL, ANA, by))  # someone else commits it
            elif kind == 1:
                trailers = False
            elif kind == 2:
                day = self.day(self.rng.choice((-30, -2, 2, 30)))
            elif kind == 3:
                sign_as = self.rng.choice(("cto", "sec", "mal"))
            elif kind == 4:
                by = self.rng.choice((*LOOKALIKES, owner, MAL))
            elif kind == 5:
                subject = self.rng.choice((f"{tool} (#12)", "Merge pull request #3 from x/y",
                                           "Squashed commit of the following:", "wip"))
            elif kind == 6:
                author = self.rng.choice(LOOKALIKES)
            elif kind == 7:
                extra = {"note": "ok", "conditions": ["none"]}
            elif kind == 8:
                when = self.clock - self.rng.choice((3, 30)) * DAY
            else:
                return self.step_replay(tip)
        new = None
        if valid or (author == by and not extra and day == self.day()):
            new = self.aireg_review(rec, by, decision, day, sign_as)
        if new is None:
            new = self.reviewed(rec, by, decision, day, sign_as, extra)
        tree[path] = ("100644", dump(new))
        stage = f"{rec.get('stage')} -> {new.get('stage')}" if rec.get("stage") != new.get(
            "stage") else None
        if trailers:
            message = self.msg("review", tool, stage, decision, subject)
            if self.rng.random() < 0.1:
                message += "Aireg-Action: review\n"
        else:
            message = (subject or f"aireg: review {tool}: {decision}") + "\n"
        return self.commit([tip], tree, author, message, when=when)

    def step_replay(self, tip: int) -> int:
        """Put back an earlier version of a record's review (and maybe facts) from history."""
        tree = self.tree(tip)
        olds: list[tuple[str, dict[str, Any], int]] = []
        for nid in self.h.ancestors(tip):
            for path in self.tools(self.h.nodes[nid].tree):
                rec = self.record(self.h.nodes[nid].tree, path)
                if rec and refjudge.review_of(rec) is not None:
                    olds.append((path, rec, self.h.nodes[nid].when))
        if not olds:
            return self.step_edit(tip)
        olds.sort(key=lambda x: (x[0], x[2]))
        path, old, when = self.rng.choice(olds)
        cur = self.record(tree, path)
        if cur is None or self.rng.random() < 0.5:
            new = old
        else:
            new = copy.deepcopy(cur)
            new.setdefault("security", {})["review"] = refjudge.review_of(old)
        tree[path] = ("100644", dump(new))
        tool = str(new.get("id"))
        author = self.rng.choice((self.owner_of(new), CTO, MAL))
        return self.commit([tip], tree, author,
                           self.msg("review", tool, None,
                                    str((refjudge.review_of(new) or {}).get("decision", ""))),
                           when=when + self.rng.choice((0, 3600)))

    def step_edit(self, tip: int, who: str | None = None) -> int:
        tree = self.tree(tip)
        tools = self.tools(tree)
        if not tools:
            return self.step_valid(tip)
        path = self.rng.choice(tools)
        rec = copy.deepcopy(self.record(tree, path))
        assert rec is not None
        who = who or self.rng.choice(PEOPLE + (self.owner_of(rec),) * 3)
        what = self.rng.randrange(9)
        sec = rec.setdefault("security", {}) if isinstance(rec.get("security"), dict) or \
            "security" not in rec else {}
        if what == 0:
            rec["vendor"] = self.rng.choice(("Other Inc.", "Vendor Inc."))
        elif what == 1 and isinstance(sec, dict):
            sec["retention"] = self.rng.choice(("forever", "7 days", "30 days"))
        elif what == 2:
            rec["owner"] = self.rng.choice(PEOPLE + LOOKALIKES[:3])
        elif what == 3:
            rec["department"] = self.rng.choice(("marketing", "engineering"))
        elif what == 4:
            rec["stage"] = self.rng.choice([*STAGES, "shipped"])
        elif what == 5 and isinstance(sec, dict) and isinstance(sec.get("review"), dict):
            field_ = self.rng.choice(("conditions", "answers", "note", "date", "decision", "by"))
            sec["review"][field_] = {"conditions": ["Any"], "answers": {"data-classes": "no"},
                                     "note": "fine", "date": self.day(-5),
                                     "decision": "approved", "by": CTO}[field_]
        elif what == 6:
            rec["name"] = rec.get("name", "") + " 2"
        elif what == 7 and isinstance(sec, dict):
            sec.pop("review", None)
        else:
            rec["notes"] = "hand edit"
        tree[path] = ("100644", dump(rec))
        subject = self.rng.choice(("edit", f"aireg: edit {rec.get('id')}: x", "fix"))
        message = subject + "\n"
        if self.rng.random() < 0.3:
            message = self.msg(self.rng.choice(("edit", "advance", "review", "import")),
                               str(rec.get("id")))
        return self.commit([tip], tree, who, message)

    def step_files(self, tip: int) -> int:
        tree = self.tree(tip)
        tools = self.tools(tree)
        who = self.rng.choice(PEOPLE + (ADMIN,) * 2)
        kind = self.rng.randrange(16)
        path = self.rng.choice(tools) if tools else "tools/ghost.yaml"
        entry = tree.get(path)
        if kind == 0:
            tree[path] = ("160000", GITLINK_TARGET.encode())
        elif kind == 1:
            tree[path] = ("120000", b"../aireg.yaml")
        elif kind == 2 and entry is not None:
            tree.pop(path)
            tree[f"{path}/inner"] = entry
        elif kind == 3 and entry is not None:
            tree.pop(path)
            tree[path.replace(".yaml", "-2.yaml")] = entry
        elif kind == 4:
            tree.pop(path, None)
        elif kind == 5:
            tree["aireg.yaml"] = ("100644", config_text(self.signed, self.cto_member,
                                                        mal_admin=True).encode())
        elif kind == 6:
            tree[".gitattributes"] = ("100644", b"tools/*.yaml working-tree-encoding=UTF-16\n")
        elif kind == 7:
            tree[".gitmodules"] = ("100644", b'[submodule "x"]\n\tpath = x\n\turl = ../x\n')
        elif kind == 8:
            mode, content = tree.get("aireg.yaml", ("100644", b""))
            tree["aireg.yaml"] = ("100755" if mode == "100644" else "100644", content)
        elif kind == 9:
            _, rec = self.new_record(LES, "marketing")
            tree[f"tools/archive/{rec['id']}.yaml"] = ("100644", dump(rec))
            who = LES
        elif kind == 10 and entry is not None and entry[0] == "100644":
            text = entry[1].decode("utf-8", "replace")
            ch = self.rng.choice(("\u2028", "\u2029", "\u0085", "\r", ": : bad"))
            tree[path] = ("100644", (text + f"# note{ch}stage: impact\n").encode("utf-8"))
            rec = self.record(tree, path)
            who = self.owner_of(rec) if rec else LES
        elif kind == 12:
            # The admin (or not) widens roles in the range: the base's config still rules.
            text = config_text(self.signed, self.cto_member).replace(
                "security: [cto@acme.example, sec@acme.example]",
                "security: [cto@acme.example, sec@acme.example, mal@acme.example, "
                "les@acme.example]")
            tree["aireg.yaml"] = ("100644", text.encode())
            who = self.rng.choice((ADMIN, ADMIN, MAL))
        elif kind == 13:
            tree[self.rng.choice((".github/CODEOWNERS", "docs/CODEOWNERS", "CODEOWNERS"))] = (
                "100644", b"* @mal\n")
        elif kind == 14:
            _, rec = self.new_record(LES, "marketing")
            name = self.rng.choice(("Bad_Name", "x" * 70, "README", ".hidden"))
            tree[f"tools/{name}.yaml" if name != "README" else "tools/README.md"] = (
                "100644", dump(rec))
            who = LES
        elif kind == 15 and entry is not None and entry[0] == "100644" and \
                self.rng.random() < 0.1:
            pad = b"# " + b"x" * 98 + b"\n"
            tree[path] = ("100644", entry[1] + pad * (1024 * 1024 // len(pad) + 1))
            rec = self.record(tree, path)
            who = self.owner_of(rec) if rec else LES
        else:
            tree[".aireg/allowed_signers"] = ("100644", self.keys.allowed().encode()
                                              + b"mal@acme.example ssh-ed25519 AAAA\n")
        return self.commit([tip], tree, who, "chore\n")

    def step_restore(self, tip: int) -> int:
        """Put an earlier version of some path back (the way back from a mode change)."""
        tree = self.tree(tip)
        olds = [(p, e) for nid in self.h.ancestors(tip) for p, e in self.h.nodes[nid].tree.items()
                if p.startswith("tools/") or p == "aireg.yaml"]
        if not olds:
            return self.step_valid(tip)
        path, entry = self.rng.choice(sorted(olds))
        for p in list(tree):
            if p.startswith(path + "/"):
                tree.pop(p)
        tree[path] = entry
        rec = self.record(tree, path)
        who = self.owner_of(rec) if rec and self.rng.random() < 0.7 else self.rng.choice(PEOPLE)
        return self.commit([tip], tree, who, "restore\n")

    def three_way(self, ours: int, theirs: int) -> Tree:
        common = self.h.ancestors(ours) & self.h.ancestors(theirs)
        bases = [c for c in common if not any(c != o and c in self.h.ancestors(o)
                                              for o in common)]
        base = self.h.nodes[max(bases)].tree if bases else {}
        o, t = self.h.nodes[ours].tree, self.h.nodes[theirs].tree
        out: Tree = {}
        for p in sorted(set(o) | set(t) | set(base)):
            a, b, m = o.get(p), t.get(p), base.get(p)
            if a == b:
                pick = a
            elif m == a:
                pick = b
            elif m == b:
                pick = a
            else:
                pick = self.rng.choice((a, b))  # a conflict, resolved by the merger
            if pick is not None:
                out[p] = pick
        return out

    def step_merge(self, tip: int, in_range: list[int]) -> int:
        kind = self.rng.randrange(7)
        everyone = sorted(self.h.ancestors(tip))
        who = self.rng.choice((*PEOPLE, LES, ADMIN))
        if kind <= 2:
            # A side branch from an earlier commit with steps of its own, then a merge.
            fork = self.rng.choice(everyone)
            side = fork
            for _ in range(self.rng.randrange(1, 3)):
                side = self.branch_step(side, [])
            tree = self.three_way(tip, side)
            if kind == 2:  # the forge's "update branch": the side is the first parent
                return self.commit([side, tip], self.three_way(side, tip), who,
                                   "Merge branch 'main' into pr\n")
            return self.commit([tip, side], tree, who, "Merge pull request #1 from x/pr\n")
        if kind == 3:
            # With an old commit (the root, an ancestor of the base): the attacker's tree.
            old = self.rng.choice(everyone)
            tree = self.tree(tip)
            for p, e in self.h.nodes[old].tree.items():
                if self.rng.random() < 0.5:
                    tree[p] = e
            for p in list(tree):
                if p not in self.h.nodes[old].tree and self.rng.random() < 0.2:
                    tree.pop(p)
            return self.commit([tip, old], tree, who, "Merge\n")
        if kind == 4:
            # An octopus of two side branches.
            sides = []
            for _ in range(2):
                side = self.rng.choice(everyone)
                sides.append(self.branch_step(side, []))
            tree = self.three_way(tip, sides[0])
            for p, e in self.three_way(tip, sides[1]).items():
                if e != self.h.nodes[tip].tree.get(p):
                    tree[p] = e
            return self.commit([tip, *sides], tree, who, "Merge branches 'a' and 'b'\n")
        if kind == 5:
            # A foreign parent: its own root, carrying a record of its own.
            owner = self.rng.choice((LES, BOB))
            _, rec = self.new_record(owner, "marketing" if owner == LES else "engineering")
            if self.rng.random() < 0.5:
                rec["stage"] = "impact"
            root = self.commit([], {f"tools/{rec['id']}.yaml": ("100644", dump(rec))}, owner,
                               "alien\n")
            tree = self.tree(tip)
            tree.update(self.h.nodes[root].tree)
            return self.commit([tip, root], tree, who, "Merge\n")
        # A merge with an earlier range commit, taking the three-way result.
        other = self.rng.choice(in_range or everyone)
        return self.commit([tip, other], self.three_way(tip, other), who, "Merge\n")

    def branch_step(self, tip: int, in_range: list[int], merges: bool = False) -> int:
        r = self.rng.random()
        if r < 0.30:
            return self.step_valid(tip)
        if r < 0.45:
            return self.step_review(tip)
        if r < 0.60:
            return self.step_edit(tip)
        if r < 0.72:
            return self.step_files(tip)
        if r < 0.80:
            return self.step_restore(tip)
        if merges:
            return self.step_merge(tip, in_range)
        return self.step_valid(tip)

    # the whole history -------------------------------------------------------------------

    def build(self, range_steps: int | None = None) -> History:
        allowed = self.keys.allowed()
        root_tree: Tree = {
            "aireg.yaml": ("100644", config_text(self.signed, self.cto_member).encode()),
            "CODEOWNERS": ("100644", b"/aireg.yaml @acme/admins\n"),
            ".aireg/allowed_signers": ("100644", allowed.encode()),
        }
        tip = self.commit([], root_tree, ADMIN, "aireg: init Acme\n\nAireg-Action: init\n")
        for _ in range(self.rng.randrange(0, 9)):
            tip = self.step_valid(tip)
        self.h.base = tip
        in_range: list[int] = []
        for _ in range(range_steps if range_steps is not None else self.rng.randrange(1, 7)):
            tip = self.branch_step(tip, in_range, merges=True)
            in_range.append(tip)
        self.h.head = tip
        return self.h


# -- judging a batch -----------------------------------------------------------------------

@dataclass
class Outcome:
    name: str
    history: History
    base: str
    head: str
    fast: set[Any]
    ref: set[Any]
    shas: dict[int, str]

    @property
    def agree(self) -> bool:
        return self.fast == self.ref

    @property
    def kinds(self) -> frozenset[str]:
        """What the disagreement is: which judge alone names which rule class."""
        return frozenset({f"ref:{x[2]}" for x in self.ref - self.fast}
                         | {f"fast:{x[2]}" for x in self.fast - self.ref})


def git(root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    return subprocess.run(["git", "-C", str(root), *args], input=stdin, capture_output=True,
                          check=True).stdout


def new_repo(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q")


def write(root: Path, histories: list[tuple[str, History]]) -> dict[str, dict[int, str]]:
    """Import the histories; per history, node -> commit id."""
    stream, marks = fast_import_stream(histories)
    with tempfile.NamedTemporaryFile(delete=False) as fh:
        marks_file = fh.name
    try:
        git(root, "fast-import", "--quiet", "--force", f"--export-marks={marks_file}",
            stdin=stream)
        shas = {}
        for line in Path(marks_file).read_text().splitlines():
            m, sha = line.split()
            shas[int(m[1:])] = sha
    finally:
        os.unlink(marks_file)
    return {name: {nid: shas[mk] for nid, mk in mine.items()} for name, mine in marks.items()}


def fast_judge(root: Path, base: str, head: str) -> set[Any]:
    """The fast judge (aireg.history.check_history) on base..head, in comparable terms."""
    from aireg import history
    from aireg.errors import AiregError

    (root / ".git" / "HEAD").write_text(head + "\n")
    try:
        result = history.check_history(root, base)
    except AiregError as exc:
        code = getattr(exc, "exit_code", 1)
        return refjudge.comparable(refjudge.fast_verdict(
            root, base, head, None, "range" if code == 1 else f"exit-{code}"))
    return refjudge.comparable(refjudge.fast_verdict(root, base, head, result.problems))


def judge_all(root: Path, histories: list[tuple[str, History]],
              obj: refjudge.Objects | None = None) -> list[Outcome]:
    shas = write(root, histories)
    own = obj is None
    objects = obj or refjudge.Objects(root)
    out = []
    try:
        for name, h in histories:
            mine = shas[name]
            base, head = mine[h.base], mine[h.head]
            ref = refjudge.comparable(refjudge.judge(root, base, head, objects))
            fast = fast_judge(root, base, head)
            out.append(Outcome(name, h, base, head, fast, ref, mine))
    finally:
        if own:
            objects.close()
    return out


def shrink(h: History, still: Callable[[History], bool], budget: int = 60) -> History:
    """Cut commits out of the history while `still` holds (greedy, bounded)."""
    changed = True
    while changed and budget > 0:
        changed = False
        for nid in sorted(h.nodes, reverse=True):
            cand = h.without(nid)
            if cand is None:
                continue
            budget -= 1
            if still(cand):
                h = cand
                changed = True
                break
            if budget <= 0:
                break
    return h


def describe(o: Outcome) -> str:
    """A readable account of a disagreement: each commit, then what each judge said."""
    h = o.history
    inside = set(h.range_ids())
    lines = [f"seed {h.seed}: base {o.base[:12]}, head {o.head[:12]}"]
    for nid in h.order():
        n = h.nodes[nid]
        sha = o.shas.get(nid, "?")[:12]
        parents = ",".join(o.shas.get(p, "?")[:12] for p in n.parents) or "-"
        lines.append(f"  {'*' if nid in inside else ' '} {sha} <- {parents} by {n.author!r} "
                     f"day {n.when // DAY - T0 // DAY}: {n.message!r}")
        first = h.nodes[n.parents[0]].tree if n.parents else {}
        for p in sorted(set(first) | set(n.tree)):
            a, b = first.get(p), n.tree.get(p)
            if a != b:
                lines.append(f"        {p}: {_delta(p, a, b)}")
    only_ref = sorted(o.ref - o.fast, key=str)
    only_fast = sorted(o.fast - o.ref, key=str)
    lines.append(f"  reference only: {only_ref}")
    lines.append(f"  fast judge only: {only_fast}")
    return "\n".join(lines)


def _delta(path: str, a: tuple[str, bytes] | None, b: tuple[str, bytes] | None) -> str:
    """What changed at a path, briefly: modes, and for records the fields that changed."""
    if a is None or b is None or a[0] != b[0]:
        return f"{a[0] if a else 'absent'} -> {b[0] if b else 'absent'}" + (
            f" {Gen.record(dict([(path, b)]), path) or b[1][:60]!r}" if b and a is None else "")
    ra, rb = Gen.record({path: a}, path), Gen.record({path: b}, path)
    if ra is None or rb is None:
        return f"content {b[1][-80:]!r}"
    keys = sorted(set(ra) | set(rb))
    out = []
    for k in keys:
        if ra.get(k) != rb.get(k):
            if k == "security" and isinstance(ra.get(k), dict) and isinstance(rb.get(k), dict):
                for kk in sorted(set(ra[k]) | set(rb[k])):
                    if ra[k].get(kk) != rb[k].get(kk):
                        out.append(f"security.{kk}: {ra[k].get(kk)!r} -> {rb[k].get(kk)!r}")
            else:
                out.append(f"{k}: {ra.get(k)!r} -> {rb.get(k)!r}")
    return "; ".join(out)[:600]


def save_case(o: Outcome, directory: Path) -> Path:
    """The disagreement as a fast-import stream plus a script that replays it."""
    directory.mkdir(parents=True, exist_ok=True)
    stream, _ = fast_import_stream([("case", o.history)])
    path = directory / f"seed-{o.history.seed}"
    path.with_suffix(".fi").write_bytes(stream)
    path.with_suffix(".txt").write_text(
        describe(o) + "\n\nreplay (both judges): python fuzz/judges.py --replay "
        f"{path.with_suffix('.fi')}\nor by hand: git init -q case && cd case && git "
        f"fast-import < {path.with_suffix('.fi').name} && git checkout -q -f case && "
        "aireg validate --base case-base --format json\n")
    return path


def replay(stream: Path, scratch: Path) -> tuple[set[Any], set[Any], str, str]:
    """Both judges' verdicts on a saved case: (fast, reference, base, head)."""
    root = scratch / "replay"
    if root.exists():
        subprocess.run(["rm", "-rf", str(root)], check=True)
    new_repo(root)
    git(root, "fast-import", "--quiet", stdin=stream.read_bytes())
    base = git(root, "rev-parse", "refs/tags/case-base").decode().strip()
    head = git(root, "rev-parse", "refs/heads/case").decode().strip()
    ref = refjudge.comparable(refjudge.judge(root, base, head))
    return fast_judge(root, base, head), ref, base, head


def batches(start: int, count: int, size: int, keys: Keys) -> Iterator[list[tuple[str, History]]]:
    seed = start
    while seed < start + count:
        batch = []
        for s in range(seed, min(seed + size, start + count)):
            batch.append((f"h{s}", Gen(s, keys).build()))
        seed += size
        yield batch


def run(scratch: Path, start: int, count: int, size: int = 50, shrink: int = 10,
        on_batch: Callable[[list[Outcome]], bool] | None = None) -> list[Outcome]:
    """Judge `count` histories from seed `start`; returns the disagreements, the first
    `shrink` of them shrunk. `on_batch` sees each batch's outcomes; False stops the run."""
    keys = Keys(scratch / "keys")
    bad: list[Outcome] = []
    for i, batch in enumerate(batches(start, count, size, keys)):
        root = scratch / f"batch-{i % 2}"
        if root.exists():
            subprocess.run(["rm", "-rf", str(root)], check=True)
        new_repo(root)
        outcomes = judge_all(root, batch)
        for o in outcomes:
            if not o.agree:
                bad.append(minimal(scratch, o) if len(bad) < shrink else o)
        if on_batch is not None and not on_batch(outcomes):
            break
    return bad


def minimal(scratch: Path, o: Outcome) -> Outcome:
    """The disagreement shrunk to the fewest commits that still disagree."""
    counter = [0]
    last: list[Outcome] = [o]
    kinds = o.kinds

    def still(h: History) -> bool:
        counter[0] += 1
        root = scratch / f"shrink-{counter[0] % 2}"
        if root.exists():
            subprocess.run(["rm", "-rf", str(root)], check=True)
        new_repo(root)
        got = judge_all(root, [("case", h)])[0]
        if got.kinds == kinds:  # the same disagreement, not another one
            last[0] = got
            return True
        return False

    shrink(o.history, still)
    return last[0]
