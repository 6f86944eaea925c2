"""The one user-facing error type; each subclass carries the exit code SPEC section 3 gives it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

# The exit of an error nobody foresaw (a bug), reported with the version and where to report
# it (aireg.crash). Not 1 (a rule broken) nor 3 (the environment is wrong: CI would tell the
# user to fix their machine); 70 is EX_SOFTWARE of sysexits.h, "an internal software error".
UNEXPECTED_EXIT = 70


class Outcome(Protocol):
    """What a command returns: the exit code its result asks for (SPEC section 3). The CLI
    turns it into the exit, in one place (aireg.cli.main)."""

    @property
    def exit_code(self) -> int: ...


@dataclass(frozen=True)
class Status:
    """An Outcome with nothing else to say: 0 done, 1 a check found something."""

    exit_code: int = 0


class AiregError(Exception):
    """An error a user should read: one sentence naming the file, the field and the fix."""

    exit_code = 1


class RuleError(AiregError):
    """The registry breaks a rule, or a rule refuses the action (exit 1)."""

    exit_code = 1


class UsageError(AiregError):
    """A bad flag, a bad value or an unknown tool id (exit 2)."""

    exit_code = 2


class EnvError(AiregError):
    """The environment is wrong: not a registry, git missing or unconfigured, base ref absent,
    history too shallow, a locked index, a read-only file system (exit 3)."""

    exit_code = 3


class MissingInput(UsageError):
    """A value that would be prompted for is missing and prompting is not possible."""

    def __init__(self, flag: str, what: str) -> None:
        super().__init__(f"{what} is missing: pass {flag} (prompts appear only on a terminal).")
        self.flag = flag
