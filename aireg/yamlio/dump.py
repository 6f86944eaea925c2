"""A new YAML file's text: block style, key order kept, quoted wherever a reader could misread."""

from __future__ import annotations

import datetime
import functools
import math
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
