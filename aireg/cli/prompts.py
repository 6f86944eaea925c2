"""Prompts that check each answer as it is typed: the expected form is shown, a wrong answer
is re-asked at once (with a did-you-mean where one exists), and nothing answered is lost."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from aireg.render.console import Terminal


@dataclass(frozen=True)
class Form:
    """What an answer must look like: the hint shown, and a parser that raises ValueError
    with a sentence saying what is wrong."""

    hint: str
    parse: Callable[[str], Any]


def _text(raw: str) -> str:
    return raw


TEXT = Form("text", _text)


def date_form(
    *, not_after: date | None = None, not_before: str | None = None, what: str = "date"
) -> Form:
    def parse(raw: str) -> str:
        from aireg.records import DATE_RE, is_valid_date

        if not DATE_RE.match(raw) or not is_valid_date(raw):
            raise ValueError(f"{raw} is not a date; write it as YYYY-MM-DD, e.g. 2026-11-03.")
        if not_after is not None and date.fromisoformat(raw) > not_after:
            raise ValueError(
                f"{raw} is in the future; the {what} is a day that has been, "
                f"{not_after.isoformat()} or earlier."
            )
        if not_before and raw < not_before:
            raise ValueError(f"{raw} is before {not_before}; the {what} comes on or after it.")
        return raw

    return Form("YYYY-MM-DD", parse)


def email_form(*, not_: Collection[str] = (), why_not: str = "") -> Form:
    def parse(raw: str) -> str:
        from aireg.records import EMAIL_RE

        value = raw.strip().lower()
        if not EMAIL_RE.match(value):
            raise ValueError(f"{raw} is not an e-mail address; write one such as ana@acme.example.")
        if value in not_:
            raise ValueError(why_not or f"{value} is already given; name someone else.")
        return value

    return Form("an e-mail", parse)


def count_form() -> Form:
    def parse(raw: str) -> int:
        try:
            n = int(raw)
        except ValueError:
            raise ValueError(
                f"{raw} is not a whole number; write how many people, e.g. 6."
            ) from None
        if n < 1:
            raise ValueError(f"{n} people is not a group; write a number of 1 or more.")
        return n

    return Form("a number, 1 or more", parse)


def number_form() -> Form:
    def parse(raw: str) -> float | int:
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"{raw} is not a number; write one such as 3 or 0.5.") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"{raw} is not a number; write one such as 3 or 0.5.")
        return int(value) if value.is_integer() else value

    return Form("a number", parse)


def choice_form(
    choices: Sequence[str],
    *,
    what: str = "an answer",
    refuse: Callable[[str], str | None] | None = None,
) -> Form:
    """One of `choices`, with a did-you-mean; `refuse(value)` may refuse a valid one."""

    def parse(raw: str) -> str:
        value = raw.strip()
        if value not in choices:
            lowered = value.lower()
            if lowered in choices:
                value = lowered
            else:
                close = difflib.get_close_matches(lowered, list(choices), n=1, cutoff=0.5)
                hint = f' Did you mean "{close[0]}"?' if close else ""
                raise ValueError(f'"{raw}" is not {what}; write one of {", ".join(choices)}.{hint}')
        if refuse is not None:
            why = refuse(value)
            if why:
                raise ValueError(why)
        return value

    return Form(
        "one of " + "/".join(choices) if len(choices) <= 4 else "one of " + ", ".join(choices),
        parse,
    )


def yes_no_form() -> Form:
    """Yes or no, with no default: a risky fact is never accepted by a blind Enter."""

    def parse(raw: str) -> bool:
        value = raw.strip().lower()
        if value in ("y", "yes"):
            return True
        if value in ("n", "no"):
            return False
        raise ValueError(f'"{raw}" is not yes or no; write yes or no.')

    return Form("yes/no", parse)


def ask(
    term: Terminal,
    label: str,
    form: Form = TEXT,
    *,
    optional: bool = False,
    default: str | None = None,
) -> Any:
    """Ask until the answer has the form; empty is None when optional, else re-asked."""
    shown = f" (default {default})" if default else ""
    prompt = f"{label} [{form.hint}]{shown}: " if form is not TEXT else f"{label}{shown}: "
    if form is TEXT and optional:
        prompt = f"{label} (optional, Enter to skip): "
    while True:
        raw = term.ask_line(prompt).strip()
        if not raw and default is not None:
            raw = default
        if not raw:
            if optional:
                return None
            term.note(f"  An answer is needed ({form.hint}).")
            continue
        try:
            return form.parse(raw)
        except ValueError as exc:
            term.note(f"  {exc}")


def ask_list(
    term: Terminal, label: str, form: Form = TEXT, *, at_least: int = 1, unique: bool = True
) -> list[Any]:
    """Items one per line, an empty line to finish; each item checked as it is typed."""
    items: list[Any] = []
    hint = "" if form is TEXT else f" [{form.hint}]"
    term.note(f"{label}{hint}: one per line, an empty line to finish.")
    while True:
        raw = term.ask_line(f"  {len(items) + 1}: ").strip()
        if not raw:
            if len(items) >= at_least:
                return items
            term.note(f"  At least {at_least} is needed.")
            continue
        try:
            value = form.parse(raw)
        except ValueError as exc:
            term.note(f"  {exc}")
            continue
        if unique and value in items:
            term.note(f"  {raw} is already in the list.")
            continue
        items.append(value)
