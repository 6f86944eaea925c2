"""A record's and the config's shape, judged by the JSON Schemas the registry publishes.

The files in registry-template/schema/ are the one source of truth: editors read them through
each record's modeline, and aireg validates with the very same files. Valid data takes the
fast path (a fastjsonschema-compiled function); broken data is walked by jsonschema, which
lists every error with its path, and each error becomes a sentence with the fix.
"""

from __future__ import annotations

import copy
import difflib
import functools
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from aireg.problems import Problem

Kind = Literal["tool", "config"]


def template_dir() -> Path:
    """The registry template that ships with aireg (registry-template/ in the source tree)."""
    try:
        from importlib.resources import files

        # Through the regular package `aireg`: aireg._template has no __init__.py, and
        # files() of such a namespace package is a MultiplexedPath, whose str() is no path.
        path = Path(str(files("aireg").joinpath("_template")))
        if (path / "aireg.yaml").is_file():
            return path
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - a broken install
        pass
    return Path(__file__).resolve().parent.parent / "registry-template"


@functools.cache
def load_schema(kind: Kind) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (template_dir() / "schema" / f"{kind}.schema.json").read_text("utf-8")
    )
    return data


@functools.cache
def _fast(kind: Kind) -> Callable[[Any], Any]:
    import fastjsonschema

    # A copy: fastjsonschema rewrites the $refs of the schema it compiles in place, and the
    # cached schema is also what `aireg schema` prints. The copy has its local $refs written
    # out in place: fastjsonschema calls a function per $ref that formats the item's path
    # with format(**locals()) even for valid data, which made the check 4x slower.
    schema = copy.deepcopy(load_schema(kind))
    defs = schema.pop("$defs", None)
    return fastjsonschema.compile(
        _inline_refs(schema, defs) if isinstance(defs, dict) else load_schema(kind))


# Keywords that say nothing about validity: beside a $ref they can be dropped when inlining.
_ANNOTATIONS = frozenset({"title", "description", "$comment", "default", "examples"})


def _inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    """`node` with each "#/$defs/NAME" reference replaced by that definition (same meaning:
    the schemas have no recursive definitions)."""
    if isinstance(node, list):
        return [_inline_refs(v, defs) for v in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/") and ref[8:] in defs:
        target = _inline_refs(defs[ref[8:]], defs)
        rest = {k: _inline_refs(v, defs) for k, v in node.items()
                if k != "$ref" and k not in _ANNOTATIONS}
        return {"allOf": [target, rest]} if rest else target
    return {k: _inline_refs(v, defs) for k, v in node.items()}


@functools.cache
def _full(kind: Kind) -> Any:
    import jsonschema

    cls = jsonschema.validators.validator_for(load_schema(kind))
    return cls(load_schema(kind))


def is_valid(data: Any, kind: Kind) -> bool:
    import fastjsonschema

    try:
        _fast(kind)(data)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def field_name(path: Sequence[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping (key: value)",
    "null": "empty",
}


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f'the text "{value}"'
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "empty" if value is None else type(value).__name__


def _pattern_hint(name: str, schema: dict[str, Any]) -> str:
    pattern = str(schema.get("pattern", ""))
    desc = str(schema.get("description", ""))
    if "@" in pattern:
        return "an e-mail address such as ana@example.com"
    if r"\d{4}-\d{2}-\d{2}" in pattern or "[0-9]{4}-[0-9]{2}-[0-9]{2}" in pattern:
        return "a date written YYYY-MM-DD, such as 2026-11-20"
    if pattern.startswith("^sha256"):
        return ("the digest aireg writes (sha256: and 64 hex digits); record reviews with "
                "`aireg review`")
    if pattern.startswith("^https?"):
        return "a web address starting with https://"
    if "[a-z0-9]+(-[a-z0-9]+)*" in pattern:
        return "a lowercase slug of letters, digits and single hyphens, such as team-chat"
    if desc:  # a sentence of the schema, inside our sentence: no capital, no full stop
        return (desc[0].lower() + desc[1:]).rstrip(".")
    return f"text matching {pattern}"


def _message(err: Any) -> tuple[list[str | int], str, str]:
    """(field path, sentence, rule id) for one jsonschema error."""
    path: list[str | int] = list(err.absolute_path)
    name = field_name(path) or "the file"
    validator = err.validator
    if validator == "additionalProperties":
        allowed = sorted((err.schema.get("properties") or {}).keys())
        extra = [k for k in err.instance if k not in allowed]
        key = str(extra[0]) if extra else "?"
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        hint = f'did you mean "{close[0]}"? ' if close else ""
        where = f" in {name}" if path else ""
        return (
            [*path, key],
            f'unknown key "{key}"{where}; {hint}allowed keys are {", ".join(allowed)}.',
            "unknown-key",
        )
    if validator == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        where = f"{name} " if path else ""
        return (path, f'{where}is missing the required field "{missing}"; add it.',
                "missing-field")
    if validator in ("enum", "const"):
        allowed_values = err.validator_value if validator == "enum" else [err.validator_value]
        words = [str(v) for v in allowed_values]
        close = difflib.get_close_matches(str(err.instance), words, n=1, cutoff=0.5)
        hint = f' Did you mean "{close[0]}"?' if close else ""
        return (
            path,
            f"{name} is {_describe(err.instance)}, which is not allowed; write one of: "
            f"{', '.join(words)}.{hint}",
            "bad-value",
        )
    if validator == "type":
        want = err.validator_value
        wants = want if isinstance(want, list) else [want]
        kinds = " or ".join(_TYPE_WORDS.get(str(w), str(w)) for w in wants)
        fix = ""
        if "string" in wants and isinstance(err.instance, int | float | bool):
            fix = " Put it in quotes so it is read as the text you wrote."
        return (path, f"{name} must be {kinds}, not {_describe(err.instance)}.{fix}",
                "wrong-type")
    if validator == "pattern":
        return (path, f"{name} is {_describe(err.instance)}; write "
                f"{_pattern_hint(str(path[-1]) if path else '', err.schema)}.", "bad-format")
    if validator in ("minItems", "minLength"):
        return (path, f"{name} is empty; fill it in or remove it.", "empty")
    if validator == "maxLength":
        return (path, f"{name} is longer than {err.validator_value} characters; shorten it.",
                "too-long")
    if validator == "minimum":
        return (path, f"{name} must be at least {err.validator_value}, not {err.instance}.",
                "bad-value")
    if validator == "propertyNames":
        return (path, f"{name} has a key that is not allowed: {err.message}.", "bad-key")
    return (path, f"{name}: {err.message}.", validator or "schema")


def shape_problems(data: Any, kind: Kind, file: str, text: str) -> list[Problem]:
    """Every shape problem of `data` (a parsed record or config), with its position."""
    if is_valid(data, kind):
        return []
    from aireg import yamlio

    found: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    errors = sorted(_full(kind).iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    for err in errors:
        if err.validator in ("anyOf", "oneOf", "allOf", "if", "then"):
            # The specific sub-errors say more; report the best one.
            import jsonschema

            best = jsonschema.exceptions.best_match([err])
            err = best if best is not None else err
        path, message, rule = _message(err)
        key = (field_name(path), message)
        if key in seen:
            continue
        seen.add(key)
        pos = yamlio.locate(text, path) if text else None
        line, col = pos if pos else (None, None)
        found.append(Problem(file, field_name(path), message, rule, line, col))
    return found
