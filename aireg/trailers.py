"""The commit vocabulary: Aireg-* trailer keys, actions and decisions; messages written and read.

Every writer of an aireg commit (workflow, import, codeowners, init) formats its message here,
and every reader (the history judge, the timeline, the report) parses it here, so what aireg
writes is exactly what aireg reads back. Pure: no I/O.

A message is ``aireg: <action> <what>: <summary>``, an optional body paragraph, then one
trailer block, e.g.::

    aireg: advance notes: purpose -> users

    Aireg-Action: advance
    Aireg-Tool: notes
    Aireg-Stage: purpose -> users

Trailers are read strictly (`parse`): only when every line of the message's last paragraph is
a ``Key: value`` trailer, only known Aireg-* keys, each once, values free of control
characters. Nothing a trailer says ever relaxes a history rule; the judge reads trailers only
to ask more of a commit (a review commit must carry the review trailers).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

ACTION = "Aireg-Action"
TOOL = "Aireg-Tool"
STAGE = "Aireg-Stage"
DECISION = "Aireg-Decision"
KEYS = (ACTION, TOOL, STAGE, DECISION)

# The actions of the workflow, then the registry-wide ones (no Aireg-Tool).
TOOL_ACTIONS = ("propose", "advance", "review", "measure", "reassess", "withdraw", "retire",
                "edit")
ACTIONS = (*TOOL_ACTIONS, "import", "init", "codeowners")
DECISIONS = ("approved", "changes-requested", "rejected")

# Control characters (C0, DEL, C1), zero-width and bidirectional controls: never in a trailer
# value, and escaped wherever commit text is shown.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e"
                     "\u2066-\u2069\ufeff]")
_CONTROL_OR_TAB = re.compile("[\t" + CONTROL.pattern[1:])
_TRAILER_LINE = re.compile(r"([A-Za-z0-9][A-Za-z0-9-]*): ?(.*)")
_ACTION_LINE = re.compile(r"^[ \t]*(?:[*-][ \t]+)?Aireg-Action:[ \t]*(\S*)", re.M)
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")  # records.ID_RE (kept here: this module is pure)


def shown(text: str) -> str:
    """Commit text made safe to print: control and bidi characters escaped."""
    return CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


# -- writing ------------------------------------------------------------------------------------

def one_line(text: str, limit: int = 72) -> str:
    """`text` as one printable line of at most `limit` characters: a summary written into a
    subject can never forge a trailer or a commit."""
    flat = "".join(c if c.isprintable() else " " for c in text)
    return " ".join(flat.split())[:limit]


def tool_trailers(action: str, tool: str, stage_from: str | None = None,
                  stage_to: str | None = None,
                  decision: str | None = None) -> list[tuple[str, str]]:
    """The trailers of a commit that changes one tool, in the order aireg writes them."""
    out = [(ACTION, action), (TOOL, tool)]
    if stage_from is not None and stage_to not in (None, stage_from):
        out.append((STAGE, f"{stage_from} -> {stage_to}"))
    if decision:
        out.append((DECISION, decision))
    return out


def message(subject: str, trailers: Sequence[tuple[str, str]], body: str = "") -> str:
    """A commit message: subject, optional body paragraph, one trailer block."""
    text = subject + "\n\n"
    if body:
        text += body.rstrip("\n") + "\n\n"
    return text + "".join(f"{k}: {v}\n" for k, v in trailers)


def tool_message(action: str, tool: str, summary: str, stage_from: str | None = None,
                 stage_to: str | None = None, decision: str | None = None) -> str:
    """The message of a workflow command's commit on one tool."""
    subject = f"aireg: {action} {tool}: {one_line(summary) or action}"
    return message(subject, tool_trailers(action, tool, stage_from, stage_to, decision))


def registry_message(action: str, what: str, body: str = "") -> str:
    """The message of a registry-wide commit (import, init, codeowners)."""
    return message(f"aireg: {action} {what}", [(ACTION, action)], body)


# -- reading ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Parsed:
    """What a message says in aireg's vocabulary: the trailers taken (empty when the block
    is not valid, `error` then says why) and every Aireg-Action line anywhere in it."""

    trailers: Mapping[str, str]
    error: str | None
    actions: tuple[str, ...]

    @property
    def action(self) -> str | None:
        return self.trailers.get(ACTION)

    @property
    def tool(self) -> str | None:
        return self.trailers.get(TOOL)

    @property
    def decision(self) -> str | None:
        return self.trailers.get(DECISION)

    @property
    def stage_move(self) -> tuple[str, str] | None:
        """(from, to) of the Aireg-Stage trailer, or None."""
        move = self.trailers.get(STAGE)
        if not move or "->" not in move:
            return None
        frm, _, to = (p.strip() for p in move.partition("->"))
        return frm, to

    def looks_squashed(self, subject: str) -> bool:
        """A message that carries a review commit's trailer without being one (wording only:
        the judge's verdicts never depend on it)."""
        return "review" in self.actions and (
            len(self.actions) > 1 or not subject.startswith("aireg: review"))


def parse(message_text: str) -> Parsed:
    """The Aireg-* trailers of the message's final trailer block, why none were taken, and
    the Aireg-Action lines anywhere in it (a squash message repeats them)."""
    found, error = parse_trailers(message_text)
    actions = tuple(m.group(1) for m in _ACTION_LINE.finditer(message_text))
    return Parsed(found, error, actions)


def parse_trailers(message_text: str) -> tuple[dict[str, str], str | None]:
    """The Aireg-* trailers of `message_text`'s final trailer block, and why none were taken."""
    body = message_text.replace("\r\n", "\n\r")  # a CR makes any line it ends invalid below
    paragraphs = [p for p in re.split(r"\n[ \t]*\n", body.strip("\n")) if p.strip()]
    if len(paragraphs) < 2:
        return {}, None
    block = paragraphs[-1].split("\n")
    matches = [_TRAILER_LINE.fullmatch(line) for line in block]
    if not all(matches):
        if "Aireg-" in paragraphs[-1]:
            bad = next(line for line, m in zip(block, matches, strict=True) if m is None)
            return {}, (f"the final paragraph mixes Aireg trailers with other text "
                        f"({shown(bad)!r}), so it is not a trailer block")
        return {}, None  # not a trailer block: the message has no trailers
    found: dict[str, str] = {}
    for m in matches:
        assert m is not None
        key, value = m.group(1), m.group(2)
        if not key.lower().startswith("aireg-"):
            continue  # Signed-off-by, Co-authored-by...: not ours
        if key not in KEYS:
            return {}, f"{shown(key)} is not an aireg trailer (known: {', '.join(KEYS)})"
        if _CONTROL_OR_TAB.search(value) or value != value.strip():
            return {}, f"the {key} trailer's value contains control characters or stray spaces"
        if key in found:
            return {}, f"the {key} trailer appears twice"
        found[key] = value
    action = found.get(ACTION)
    if action is not None and action not in ACTIONS:
        return {}, f"{ACTION} {action!r} is not one of {', '.join(ACTIONS)}"
    tool = found.get(TOOL)
    if tool is not None and not _ID.match(tool):
        return {}, f"{TOOL} {tool!r} is not a tool id"
    decision = found.get(DECISION)
    if decision is not None and decision not in DECISIONS:
        return {}, f"{DECISION} {decision!r} is not one of {', '.join(DECISIONS)}"
    return found, None
