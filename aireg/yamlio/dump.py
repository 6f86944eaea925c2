"""A new YAML file's text: block style, key order kept, quoted wherever a reader could misread."""

from __future__ import annotations

import datetime
import functools
import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

if TYPE_CHECKING:
    pass


from aireg.yamlio.load import (
    _AMBIGUOUS,
    _MAP,
    _MERGE,
    _SEQ,
    _STR,
    _TIMESTAMP,
    _UNSAFE_PLAIN,
    YamlError,
    _StrictLoader,
    load,
)

# --- writing: what may be plain --------------------------------------------------------------

_YAML11 = yaml.resolver.Resolver()


def _plain_tag(value: str) -> str:
    """The tag a plain scalar `value` gets from our reader, or _UNSAFE_PLAIN when our reader takes
    it as text but YAML 1.1 tools would not (0x1F, 1_000, 1:20, .inf, =, <<): those are quoted too,
    so editors and other tools see the same text. Dates stay plain: we read them as text."""
    for tag, regexp in _StrictLoader.yaml_implicit_resolvers.get(value[:1], ()):
        if regexp.match(value):
            return _UNSAFE_PLAIN if tag in (_MERGE, _AMBIGUOUS) else tag
    if _YAML11.resolve(ScalarNode, value, (True, False)) not in (_STR, _TIMESTAMP):  # type: ignore[no-untyped-call]
        return _UNSAFE_PLAIN
    return _STR


def _plain_is_text(value: str) -> bool:
    return _plain_tag(value) == _STR


def _short_scalars(items: Sequence[Any]) -> bool:
    """Whether a list reads best in flow style: a few short one-line scalars, like [a, b]."""
    if not items:
        return True
    total = 0
    for item in items:
        if isinstance(item, str):
            if "\n" in item or "\r" in item:
                return False
            total += len(item) + 2
        elif item is None or isinstance(item, bool | int | float):
            total += 6
        else:
            return False
    return total <= 60


@functools.cache
def _analyzer() -> yaml.emitter.Emitter:
    import io

    return yaml.emitter.Emitter(io.StringIO(), allow_unicode=True)


def _plain_ok(value: str) -> bool:
    """Whether ruamel may write `value` unquoted in block context: PyYAML's rules (YAML 1.1,
    which libyaml reads), stricter than ruamel's YAML 1.2 ones, and our reader must read it back
    as that text. Flow context is checked where flow collections are (_quote_for_flow)."""
    if not value or not value.isprintable() or not _plain_is_text(value):
        return False
    if value[0] in "?:":  # libyaml may take these for indicators where ruamel does not
        return False
    analysis = _analyzer().analyze_scalar(value)
    return bool(analysis.allow_block_plain and not analysis.multiline)


def _flow_plain_ok(value: str, *, key: bool = False) -> bool:
    if not _plain_ok(value):
        return False
    try:
        if key:
            return bool(load(f"{{{value}: 0}}", "") == {value: 0})
        return bool(load(f"[{value}]", "") == [value])
    except YamlError:
        return False


def _literal_ok(value: str) -> bool:
    """Whether a multi-line str reads best, and safely, as a literal block (like a signature)."""
    return (
        "\n" in value
        and value.replace("\n", "").isprintable()
        and not value.startswith(" ")
        and " \n" not in value
        and not value.endswith((" ", "\n\n"))  # "|+" ends a document: "..." would follow
        and not value.startswith("\n")
    )


def _check_float(value: float) -> None:
    if not math.isfinite(value):
        raise ValueError(f"{value} cannot be written to YAML that aireg reads back; use a number")


# --- dump ------------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Block style with indented lists (the SPEC's layout), double quotes when quoting."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is ScalarNode:
            return _plain_tag(value) if implicit[0] else _STR
        return _SEQ if kind is SequenceNode else _MAP

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def choose_scalar_style(self) -> str:
        style: str = super().choose_scalar_style()
        return '"' if style == "'" else style


def _represent_str(dumper: _Dumper, data: str) -> ScalarNode:
    style = "|" if _literal_ok(data) else None
    return dumper.represent_scalar(_STR, data, style=style)


def _represent_list(dumper: _Dumper, data: Sequence[Any]) -> SequenceNode:
    return dumper.represent_sequence(_SEQ, data, flow_style=_short_scalars(data))


def _represent_mapping(dumper: _Dumper, data: Mapping[Any, Any]) -> MappingNode:
    return dumper.represent_mapping(_MAP, data, flow_style=False)


def _represent_float(dumper: _Dumper, data: float) -> ScalarNode:
    _check_float(data)
    return dumper.represent_float(data)


def _represent_date(dumper: _Dumper, data: datetime.date) -> ScalarNode:
    return _represent_str(dumper, data.isoformat())


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(tuple, _represent_list)
_Dumper.add_representer(dict, _represent_mapping)
_Dumper.add_multi_representer(Mapping, _represent_mapping)  # type: ignore[type-abstract]
_Dumper.add_representer(float, _represent_float)
_Dumper.add_representer(datetime.date, _represent_date)
_Dumper.add_representer(datetime.datetime, _represent_date)


def _is_section(value: Any) -> bool:
    if isinstance(value, Mapping):
        return bool(value)
    return isinstance(value, list | tuple) and not _short_scalars(value)


_WIDTH = 1 << 16  # never fold long text over several lines: diffs stay one line per field


def dump(data: Mapping[str, Any], header: str = "") -> str:
    """A new file's text: block style, key order kept, header comment lines first.

    Anything that would read back as something else is quoted, so load(dump(x)) == x.
    Raises ValueError for values YAML cannot carry back (inf, nan) and header lines that are
    not comments.
    """
    if header and not all(line.startswith("#") or not line.strip() for line in header.splitlines()):
        raise ValueError("every header line must be a comment starting with '#'")
    # One top-level field at a time, so a blank line can set off each section (a mapping or a
    # block list), as in the SPEC's records.
    chunks: list[str] = []
    for key, value in data.items():
        if chunks and _is_section(value):
            chunks.append("\n")
        chunks.append(
            yaml.dump(
                {key: value},
                Dumper=_Dumper,
                sort_keys=False,
                allow_unicode=True,
                default_flow_style=False,
                indent=2,
                width=_WIDTH,
            )
        )
    body = "".join(chunks) or "{}\n"
    return (header.rstrip("\n") + "\n" if header else "") + body


# The first characters of a plain scalar that any resolver may take for other than text.
_RESOLVED_FIRST = frozenset(_StrictLoader.yaml_implicit_resolvers) | frozenset(
    _YAML11.yaml_implicit_resolvers)
# Text that surely reads back as itself when written plain in block context: no indicator
# first, no ": " or " #", no control, line-separator or BOM characters, no trailing blank or
# colon. dump_many writes anything else double-quoted.
_SURELY_PLAIN = re.compile(
    r"[^\s\-?:,\[\]{}#&*!|>'\"%@`][^\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff]*"
    r"(?<![\s:])")
_FLOW_INDICATORS = re.compile(r"[,\[\]{}]")
# What JSON leaves raw but a YAML double-quoted scalar may not hold.
_UNSAFE_RAW = re.compile(r"[\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff]")
_MAX_PLAIN_KEY = 1000  # libyaml reads a plain key of at most 1024 characters


def _fast_plain(value: str, flow: bool = False) -> bool:
    return bool(
        _SURELY_PLAIN.fullmatch(value) and ": " not in value and " #" not in value
        and not (flow and _FLOW_INDICATORS.search(value))
        and (value[0] not in _RESOLVED_FIRST or _plain_tag(value) == _STR))


def _quoted(value: str) -> str:
    """A YAML double-quoted scalar: JSON's escapes (YAML's are a superset), plus \\uXXXX for
    the characters YAML does not allow raw."""
    text = json.dumps(value, ensure_ascii=False)
    return _UNSAFE_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _fast_scalar(value: Any, flow: bool = False) -> str:
    if type(value) is str:
        return value if _fast_plain(value, flow) else _quoted(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        _check_float(value)
        text = repr(value)
        return text if ("." in text or "e" in text) else text + ".0"
    if isinstance(value, str):
        return value if _fast_plain(value, flow) else _quoted(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise ValueError(f"{type(value).__name__} cannot be written to a record")


class _LongKey(Exception):
    """A key past libyaml's simple-key limit: dump() writes it with "? key" syntax."""


def _fast_key(key: Any) -> str:
    if type(key) is str:
        if len(key) > _MAX_PLAIN_KEY:
            raise _LongKey
        return key if _fast_plain(key) else _quoted(key)
    return _fast_scalar(key)


def _fast_value(value: Any, indent: str, out: list[str]) -> None:
    """`value` after "key:" (the caller wrote the key), then its lines, at `indent`."""
    kind = type(value)
    if kind is str:
        if "\n" in value and _literal_ok(value):
            _fast_literal(value, indent + "  ", out)
        else:
            out.append(" " + (value if _fast_plain(value) else _quoted(value)) + "\n")
    elif kind is dict or (kind is not list and kind is not tuple and isinstance(value, Mapping)):
        if not value:
            out.append(" {}\n")
            return
        out.append("\n")
        _fast_mapping(value, indent + "  ", out)
    elif kind is list or kind is tuple:
        if _short_scalars(value):
            out.append(" [" + ", ".join(_fast_scalar(v, True) for v in value) + "]\n")
            return
        out.append("\n")
        for item in value:
            if isinstance(item, Mapping) and item:
                out.append(f"{indent}  -")
                first = True
                for k, v in item.items():
                    out.append(f" {_fast_key(k)}:" if first else f"{indent}    {_fast_key(k)}:")
                    first = False
                    _fast_value(v, indent + "    ", out)
            elif isinstance(item, Mapping | list | tuple):
                raise ValueError("a list inside a list cannot be written to a record")
            else:
                out.append(f"{indent}  -")
                _fast_value(item, indent + "  ", out)
    else:
        out.append(" " + _fast_scalar(value) + "\n")


def _fast_literal(value: str, indent: str, out: list[str]) -> None:
    chomp = "" if value.endswith("\n") else "-"
    lines = value[:-1] if value.endswith("\n") else value
    out.append(f" |{chomp}\n")
    out.extend(f"{indent}{line}\n" if line else "\n" for line in lines.split("\n"))


def _fast_mapping(data: Mapping[Any, Any], indent: str, out: list[str]) -> None:
    for key, value in data.items():
        out.append(f"{indent}{_fast_key(key)}:")
        _fast_value(value, indent, out)


def dump_many(data: Mapping[str, Any], header: str = "") -> str:
    """A new file's text exactly as :func:`dump` lays it out, written by a small emitter for
    the shapes records have (mappings, lists, scalars), about five times as fast as PyYAML's:
    for writing thousands of records at once (`aireg import`). Text is plain where it surely
    reads back the same, a literal block when multi-line, else double-quoted, so
    ``load(dump_many(x)) == x`` (tests/test_yamlio.py checks it on generated text)."""
    out: list[str] = [header.rstrip("\n") + "\n"] if header else []
    try:
        for n, (key, value) in enumerate(data.items()):
            if n and _is_section(value):
                out.append("\n")
            out.append(f"{_fast_key(key)}:")
            _fast_value(value, "", out)
    except _LongKey:
        return dump(data, header)
    return "".join(out) if data else (out[0] if out else "") + "{}\n"
