"""The one YAML module: strict, fast loading with positions; round-trip edits keeping comments."""

from __future__ import annotations

import codecs
import datetime
import difflib
import functools
import itertools
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from aireg.errors import RuleError

if TYPE_CHECKING:
    from yaml.error import Mark

try:
    from yaml import CSafeLoader as _FastLoader
except ImportError:  # PyYAML built without libyaml: same rules, slower
    from yaml import SafeLoader as _FastLoader  # type: ignore[assignment]

__all__ = ["YamlError", "dump", "edit", "load", "load_mapping", "locate"]


class YamlError(RuleError):
    """A file that cannot be read as a record/config.

    `file`, `line` and `column` (1-based, either may be None) say where; `reason` is one sentence
    with the fix and without the location. str(e) is "file:line:column: reason", missing parts
    left out.
    """

    def __init__(
        self, file: str, reason: str, line: int | None = None, column: int | None = None
    ) -> None:
        self.file = file
        self.reason = reason
        self.line = line
        self.column = column if line is not None else None
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [self.file] if self.file else []
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ": ".join([":".join(parts), self.reason]) if parts else self.reason

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.file, self.reason, self.line, self.column))


# --- tags ------------------------------------------------------------------------------------

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_MERGE = "tag:yaml.org,2002:merge"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
# A plain scalar YAML 1.1 reads as a boolean (yes, no, on, off...): an error, never a value.
_AMBIGUOUS = "tag:aireg,2026:ambiguous-bool"
# Text that is safe for our reader but that YAML 1.1 tools would read as something else.
_UNSAFE_PLAIN = "tag:aireg,2026:unsafe-plain"

_AMBIGUOUS_TRUE = frozenset({"y", "Y", "yes", "Yes", "YES", "on", "On", "ON"})
_TRUE = frozenset({"true", "True", "TRUE"})

# Deeper than this is an error. Records nest about five levels; the limit keeps construction
# well inside Python's recursion limit.
_MAX_DEPTH = 100
# libyaml's composer (Cython) recurses on the C stack and crashes the process near 50,000 levels;
# a text that could nest deeper than this is first checked with the (iterative) event parser.
_SAFE_COMPOSE_DEPTH = 2000

# Where YAML allows node properties (&anchor, *alias, !tag) to start: at the start of the text
# or after whitespace or an indicator. A cheap over-approximation; a match buys an event scan.
_PROPERTY_RE = re.compile(r"(?<![^\s\[\]{},:?\-\ufeff])(?:[&*][\w-]|!)")


class _StrictLoader(_FastLoader):
    """libyaml's parser with the aireg schema: YAML 1.2 core scalars, dates and versions as text."""

    # Fresh tables: nothing inherited from yaml.resolver (no timestamps, sexagesimals, 1.1 bools,
    # hex/octal, '=' values) and no inherited constructors (so no tag can reach Python objects).
    yaml_implicit_resolvers: dict[Any, list[tuple[str, re.Pattern[str]]]] = {}  # noqa: RUF012
    yaml_constructors: ClassVar[dict[Any, Any]] = {}
    yaml_multi_constructors: ClassVar[dict[Any, Any]] = {}

    _file: str = ""
    _depth: int = 0
    _containers: set[int]

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        # Called by the C composer for every node: kept small on purpose.
        if kind is ScalarNode:
            if implicit[0]:
                for tag, regexp in self.yaml_implicit_resolvers.get(value[:1], ()):
                    if regexp.match(value):
                        return tag
            return _STR
        return _SEQ if kind is SequenceNode else _MAP

    def construct_document(self, node: Node) -> Any:
        self._depth = 0
        self._containers = set()
        return self.build(node)

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        return self.build(node)

    def build(self, node: Node) -> Any:
        try:
            constructor = self.yaml_constructors[node.tag]
        except KeyError:
            self.fail(node.start_mark, f'tags are not allowed; remove "{node.tag}"')
        return constructor(self, node)

    def fail(self, mark: Mark | None, reason: str) -> NoReturn:
        if mark is None:
            raise YamlError(self._file, reason)
        raise YamlError(self._file, reason, mark.line + 1, mark.column + 1)

    def enter(self, node: Node) -> None:
        self._depth += 1
        if self._depth > _MAX_DEPTH:
            self.fail(node.start_mark, _too_deep())
        # The event scan refuses aliases; a node met twice here means one slipped through, and
        # building it again could explode (billion laughs): refuse it all the same.
        key = id(node)
        if key in self._containers:
            self.fail(node.start_mark, "aliases are not allowed; write the value out in full")
        self._containers.add(key)


def _construct_mapping(loader: _StrictLoader, node: MappingNode) -> dict[str, Any]:
    loader.enter(node)
    mapping: dict[str, Any] = {}
    build = loader.build
    for key_node, value_node in node.value:
        if key_node.tag != _STR or key_node.__class__ is not ScalarNode:
            _bad_key(loader, key_node)
        key = key_node.value
        if key in mapping:
            _duplicate_key(loader, node, key_node)
        if value_node.tag == _STR:
            mapping[key] = value_node.value
        else:
            mapping[key] = build(value_node)
    loader._depth -= 1
    return mapping


def _bad_key(loader: _StrictLoader, key_node: Node) -> NoReturn:
    if not isinstance(key_node, ScalarNode):
        loader.fail(
            key_node.start_mark, "keys must be text, not a list or a mapping; use a plain key"
        )
    value = key_node.value
    if key_node.tag == _MERGE:
        loader.fail(
            key_node.start_mark, 'merge keys ("<<") are not allowed; write the fields out in full'
        )
    if value == "":
        loader.fail(key_node.start_mark, "keys must be text; write a key before the colon")
    loader.fail(
        key_node.start_mark, f'keys must be text; quote the key ("{value}") if you mean the text'
    )


def _duplicate_key(loader: _StrictLoader, node: MappingNode, key_node: Node) -> NoReturn:
    key = key_node.value
    first = next(k for k, _ in node.value if k.tag == _STR and k.value == key)
    loader.fail(
        key_node.start_mark,
        f'"{key}" appears twice in this mapping (first on line {first.start_mark.line + 1}); '
        "keep one",
    )


def _construct_sequence(loader: _StrictLoader, node: SequenceNode) -> list[Any]:
    loader.enter(node)
    build = loader.build
    items = [n.value if n.tag == _STR else build(n) for n in node.value]
    loader._depth -= 1
    return items


def _construct_str(loader: _StrictLoader, node: ScalarNode) -> str:
    return node.value  # type: ignore[no-any-return]


def _construct_int(loader: _StrictLoader, node: ScalarNode) -> int:
    try:
        return int(node.value)
    except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
        loader.fail(node.start_mark, "is a number too long to read; quote it if it is text")


def _construct_float(loader: _StrictLoader, node: ScalarNode) -> float:
    return float(node.value)


def _construct_bool(loader: _StrictLoader, node: ScalarNode) -> bool:
    return node.value in _TRUE


def _construct_null(loader: _StrictLoader, node: ScalarNode) -> None:
    return None


def _construct_merge(loader: _StrictLoader, node: ScalarNode) -> str:
    return node.value  # type: ignore[no-any-return]  # "<<" as a value is just text


def _construct_ambiguous(loader: _StrictLoader, node: ScalarNode) -> NoReturn:
    value = node.value
    write = "true (or false)" if value in _AMBIGUOUS_TRUE else "false (or true)"
    loader.fail(
        node.start_mark,
        f'"{value}" is ambiguous: write {write}, or quote it ("{value}") if you mean the text',
    )


def _add_resolver(tag: str, pattern: str, first: str | list[str]) -> None:
    _StrictLoader.add_implicit_resolver(tag, re.compile(pattern), list(first))


_add_resolver(_BOOL, r"(?:true|True|TRUE|false|False|FALSE)\Z", "tTfF")
_add_resolver(_AMBIGUOUS, r"(?:[yYnN]|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF)\Z", "yYnNoO")
_add_resolver(_INT, r"[-+]?[0-9]+\Z", "-+0123456789")
_add_resolver(
    _FLOAT,
    r"(?:[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]?[0-9]+[eE][-+]?[0-9]+)\Z",
    "-+0123456789.",
)
_add_resolver(_NULL, r"(?:~|null|Null|NULL|)\Z", ["~", "n", "N", ""])
_add_resolver(_MERGE, r"<<\Z", "<")

for _tag, _constructor in (
    (_MAP, _construct_mapping),
    (_SEQ, _construct_sequence),
    (_STR, _construct_str),
    (_INT, _construct_int),
    (_FLOAT, _construct_float),
    (_BOOL, _construct_bool),
    (_NULL, _construct_null),
    (_MERGE, _construct_merge),
    (_AMBIGUOUS, _construct_ambiguous),
):
    _StrictLoader.add_constructor(_tag, _constructor)


# --- load ------------------------------------------------------------------------------------


def load(text: str | bytes, file: str) -> Any:
    """One YAML document, read strictly, as plain dict/list/str/int/float/bool/None.

    Raises YamlError (with line and column where known) for anything the SPEC's reading rules
    refuse, and for text that is not YAML at all; no other exception escapes.
    """
    text = _decode(text, file)
    loader: _StrictLoader | None = None
    try:
        if _needs_scan(text):
            _scan_events(text, file)
        loader = _StrictLoader(text)
        loader._file = file
        node = loader.get_single_node()
        if node is None or _is_empty_root(node):
            raise YamlError(file, "is empty; write its fields as key: value lines")
        return loader.construct_document(node)
    except YamlError:
        raise
    except yaml.YAMLError as e:
        raise _from_yaml_error(e, text, file) from None
    except RecursionError:
        raise YamlError(file, _too_deep()) from None
    except UnicodeEncodeError as e:  # lone surrogates in a str
        raise _not_unicode(text, e.start, file) from None
    except Exception as e:  # a reader must report, never crash: see the fuzz test
        raise YamlError(file, f"could not be read as YAML ({type(e).__name__}: {e})") from e
    finally:
        if loader is not None:
            loader.dispose()


def load_mapping(text: str | bytes, file: str) -> dict[str, Any]:
    """Like load(), and the top level must be a mapping of fields."""
    data = load(text, file)
    if isinstance(data, dict):
        return data
    kind = _kind(data)
    position = locate(_decode(text, file), ())
    line, column = position if position else (None, None)
    raise YamlError(file, f"must be a mapping of fields (key: value), not {kind}", line, column)


def _kind(data: Any) -> str:
    if isinstance(data, list):
        return "a list"
    if data is None:
        return "null"
    if isinstance(data, bool):
        return "a boolean"
    if isinstance(data, int | float):
        return "a number"
    return "text"


def _decode(text: str | bytes, file: str) -> str:
    if isinstance(text, str):
        if "\x00" in text:
            raise YamlError(file, "is a binary file, not YAML; only text YAML files belong here")
        return text[1:] if text.startswith("\ufeff") else text
    data = bytes(text)
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise YamlError(file, "is saved as UTF-32; save the file as UTF-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise YamlError(file, "is saved as UTF-16; save the file as UTF-8")
    if b"\x00" in data:
        raise YamlError(file, "is a binary file, not YAML; only text YAML files belong here")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        before = data[: e.start]
        line = before.count(b"\n") + 1
        column = len(before.rpartition(b"\n")[2].decode("utf-8", "replace")) + 1
        raise YamlError(
            file,
            f"is not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start}); "
            "save the file as UTF-8",
            line,
            column,
        ) from None


def _not_unicode(text: str, index: int, file: str) -> YamlError:
    line, column = _line_col(text, index)
    return YamlError(
        file, "contains text that is not valid Unicode; save the file as UTF-8", line, column
    )


def _is_empty_root(node: Node) -> bool:
    # "---" alone, or only comments after it, is as empty as a file with nothing in it.
    return isinstance(node, ScalarNode) and node.value == "" and node.tag == _NULL


def _needs_scan(text: str) -> bool:
    if ("&" in text or "*" in text or "!" in text) and _PROPERTY_RE.search(text):
        return True
    return len(text) * 2 + 2 > _SAFE_COMPOSE_DEPTH and _nesting_bound(text) > _SAFE_COMPOSE_DEPTH


def _nesting_bound(text: str) -> int:
    """An upper bound of how deep `text` can nest: each level needs a bracket, a "- " or "? "
    (which can open a mapping too), or a new line."""
    breaks = text.count("\n") + text.count("\r")
    if not text.isascii():
        breaks += text.count("\x85") + text.count("\u2028") + text.count("\u2029")
    return text.count("[") + text.count("{") + 2 * (text.count("-") + text.count("?")) + breaks + 2


def _scan_events(text: str, file: str) -> None:
    """Refuse anchors, aliases and tags, and nesting too deep to compose, from parse events.

    libyaml's parser is iterative, so this is safe on any input; it stops at the first problem,
    which makes alias and merge-key bombs cost microseconds.
    """
    depth = 0
    for event in yaml.parse(text, Loader=_StrictLoader):
        mark = event.start_mark
        if isinstance(event, yaml.AliasEvent):
            _fail_at(
                file,
                mark,
                f'"*{event.anchor}" is an alias, and aliases are not allowed; '
                "write the value out in full",
            )
        if isinstance(event, yaml.NodeEvent):
            written = _written_at(text, mark)
            tag = getattr(event, "tag", None)
            if tag is not None and (event.anchor is None or written.startswith("!")):
                shown = written if written.startswith("!") else _shown_tag(tag)
                _fail_at(file, mark, f'tags are not allowed; remove "{shown}"')
            if event.anchor is not None:
                _fail_at(
                    file,
                    mark,
                    f'"&{event.anchor}" is an anchor, and anchors are not '
                    "allowed; remove it and write repeated values out in full",
                )
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > _MAX_DEPTH:
                    _fail_at(file, mark, _too_deep())
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _fail_at(file: str, mark: Any, reason: str) -> NoReturn:
    raise YamlError(file, reason, mark.line + 1, mark.column + 1)


def _too_deep() -> str:
    return f"is nested too deeply (more than {_MAX_DEPTH} levels); flatten the structure"


def _written_at(text: str, mark: Any) -> str:
    """The token the user wrote at a mark (the tag or anchor), for messages."""
    match = re.match(r"!<[^>\s]*>?|[^\s,\[\]{}]*", text[mark.index :])
    return match.group(0)[:60] if match else ""


def _shown_tag(tag: str) -> str:
    prefix = "tag:yaml.org,2002:"
    return "!!" + tag[len(prefix) :] if tag.startswith(prefix) else tag


# libyaml's problem -> the advice that fixes it.
_HINTS: tuple[tuple[str, str], ...] = (
    (
        "mapping values are not allowed",
        'check the indentation, or quote the value if it contains ": "',
    ),
    ("could not find expected ':'", "write a key as key: value, with a space after the colon"),
    ("did not find expected key", "check the indentation of this line"),
    (
        "did not find expected '-' indicator",
        'check the indentation: items of a list start with "- " at the same column',
    ),
    (
        "did not find expected ',' or ']'",
        'close the list with "]", or quote items that contain commas',
    ),
    (
        "did not find expected ',' or '}'",
        'close the mapping with "}", or quote values that contain commas',
    ),
    ("found unexpected end of stream", "close the quote or bracket opened before this point"),
    (
        "found unknown escape character",
        "in double quotes write \\\\ for a backslash, or use single quotes",
    ),
    ("expected a single document", 'keep one document per file: remove the extra "---"'),
    ("found character that cannot start any token", "quote the value"),
    ("found undefined alias", "aliases are not allowed; write the value out in full"),
)


def _from_yaml_error(e: yaml.YAMLError, text: str, file: str) -> YamlError:
    if isinstance(e, yaml.reader.ReaderError):
        # libyaml reports a byte offset into the UTF-8 encoding of the text.
        prefix = text.encode("utf-8", "surrogatepass")[: e.position].decode("utf-8", "replace")
        row, col = _line_col(prefix, len(prefix))
        character = e.character if isinstance(e.character, int) else None
        shown = f" (#x{character:04x})" if character is not None else ""
        return YamlError(
            file, f"contains a character YAML does not allow{shown}; remove it", row, col
        )
    if not isinstance(e, yaml.MarkedYAMLError):
        return YamlError(file, f"could not parse YAML: {e}; check the indentation and quoting")
    mark = e.problem_mark or e.context_mark
    line = mark.line + 1 if mark else None
    column = mark.column + 1 if mark else None
    problem = (e.problem or e.context or "unknown problem").strip()
    if isinstance(e, yaml.composer.ComposerError) and "single document" in (e.context or ""):
        return YamlError(
            file,
            "holds more than one YAML document; "
            'keep one document per file (remove the extra "---")',
            line,
            column,
        )
    if mark is not None and ("tab" in problem or _char_at(text, mark) == "\t"):
        return YamlError(
            file, "tabs are not allowed for indentation; indent with spaces", line, column
        )
    hint = next((h for p, h in _HINTS if p in problem or p in (e.context or "")), None)
    return YamlError(
        file,
        f"could not parse YAML: {problem}; {hint or 'check the indentation and quoting here'}",
        line,
        column,
    )


def _char_at(text: str, mark: Any) -> str:
    index = mark.index
    return text[index] if 0 <= index < len(text) else ""


def _line_col(text: str, index: int) -> tuple[int, int]:
    before = text[:index]
    line = len(_BREAK_RE.findall(before)) + 1
    last = _BREAK_RE.split(before)[-1]
    return line, len(last) + 1


_BREAK_RE = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


# --- locate ----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _composed(text: str) -> Node | None:
    # A broken record has several problems, each located in the same text: compose it once.
    loader = _StrictLoader(text)
    try:
        node: Node | None = loader.get_single_node()
    finally:
        loader.dispose()
    return node


def locate(text: str, field_path: Sequence[str | int]) -> tuple[int, int] | None:
    """1-based (line, column) of a field: a mapping key's position, or a list item's.

    When the full path does not exist, the position of its deepest existing prefix (the document
    itself for an empty prefix); None when the text does not parse. For reporting problems only.
    """
    try:
        text = text[1:] if text.startswith("\ufeff") else text
        if "\x00" in text or (
            len(text) * 2 + 2 > _SAFE_COMPOSE_DEPTH
            and _nesting_bound(text) > _SAFE_COMPOSE_DEPTH
            and not _depth_ok(text)
        ):
            return None
        node = _composed(text)
        if node is None:
            return None
        mark = node.start_mark
        for part in field_path:
            if isinstance(node, MappingNode) and isinstance(part, str):
                found = next(
                    (
                        (k, v)
                        for k, v in node.value
                        if isinstance(k, ScalarNode) and k.value == part
                    ),
                    None,
                )
                if found is None:
                    break
                mark, node = found[0].start_mark, found[1]
            elif (
                isinstance(node, SequenceNode)
                and isinstance(part, int)
                and -len(node.value) <= part < len(node.value)
            ):
                node = node.value[part]
                mark = node.start_mark
            else:
                break
        return (mark.line + 1, mark.column + 1)
    except Exception:  # only used to point at problems: unknown is an answer
        return None


def _depth_ok(text: str) -> bool:
    try:
        depth = 0
        for event in yaml.parse(text, Loader=_StrictLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > _SAFE_COMPOSE_DEPTH:
                    return False
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return False
    return True


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


def add_to_mapping(text: str, key: str, entries: Mapping[str, Any], *, file: str = "") -> str:
    """`text` with `entries` added at the end of the top-level block mapping `key`, as one
    line each (``name: {}``), comments and layout untouched; checked by reading it back, and
    done by :func:`edit` when the block is not plain enough to extend line by line. Cheaper
    than edit() for the import, which adds many departments to aireg.yaml."""
    before = load(text, file)
    want = dict(before)
    block = dict(want.get(key) or {})
    block.update(entries)
    want[key] = block

    def by_edit() -> str:
        def mutate(root: Any) -> None:
            for k, v in entries.items():
                root[key][k] = v

        return edit(text, mutate, file=file)

    lines = text.splitlines(keepends=True)
    start = next((i for i, ln in enumerate(lines) if ln.rstrip() == f"{key}:"), None)
    if start is None or not all(type(v) is dict and not v for v in entries.values()):
        return by_edit()
    last, indent = start, ""
    for i in range(start + 1, len(lines)):
        ln = lines[i]
        if not ln.strip() or ln.lstrip().startswith("#"):
            continue
        if not ln[:1].isspace():
            break
        if not indent:
            indent = ln[: len(ln) - len(ln.lstrip())]
        last = i
    if not indent:
        return by_edit()
    added = "".join(f"{indent}{_fast_key(k)}: {{}}\n" for k in entries)
    tail = lines[last] if lines[last].endswith("\n") else lines[last] + "\n"
    out = "".join([*lines[:last], tail, added, *lines[last + 1 :]])
    try:
        if load(out, file) == want:
            return out
    except YamlError:
        pass
    return by_edit()


# --- edit (ruamel.yaml, round trip) ----------------------------------------------------------


def edit(text: str, mutate: Callable[[Any], None], *, file: str = "") -> str:
    """Round-trip edit: parse `text`, let mutate() change the root mapping in place, write back.

    Comments, key order, quoting and formatting outside the changed fields are kept byte for
    byte; plain dicts and lists set by mutate() are written in block style (short scalar lists
    in flow style) with the file's own indentation; new strings are quoted where needed so that
    load() reads them back unchanged. `file` only names the text in a YamlError.
    """
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    body = text[len(bom) :]
    rt = _round_trip(body)
    root = _rt_load(rt, body, file)
    if not _is_commented_map(root):
        raise YamlError(file, "must be a mapping of fields (key: value)", 1, 1)
    try:
        before = _rt_dump(rt, root)
    except ValueError:  # _check_float: a .inf or .nan the user wrote (load() reads them)
        raise YamlError(file, "holds .inf or .nan as a number, which aireg cannot write back; "
                        "write a finite number there and run the command again") from None
    read = load(body, file)  # what aireg reads: the edit must change only what mutate() does
    odd = re.search("[\x85\u2028\u2029]", body)
    if odd and root != read:
        # A line break to load() (libyaml, YAML 1.1) and text to ruamel (YAML 1.2): writing
        # it back would silently restructure fields nobody asked to change.
        raise YamlError(file, f"cannot be edited without changing other fields: it holds a "
                        f"U+{ord(odd.group()):04X} line separator (pasted text?), which YAML "
                        "readers take differently; replace it with a newline or a space, then "
                        "run the command again", *_line_col(body, odd.start()))
    snapshot = _tail_snapshot(root)
    mutate(root)
    _normalize_new_values(root)
    _move_tails(snapshot)
    try:
        after = _rt_dump(rt, root)
    except ValueError as e:  # _check_float: a new value that is not a finite number
        raise YamlError(file, f"cannot be changed as asked: {e}") from None
    if after == before:
        return text
    merged = _three_way(body, before, after)
    if merged != after and not _same_meaning(merged, after):
        merged = after  # our splice changed the meaning somewhere: trust ruamel's whole output
    _check_only_asked(body, merged, read, mutate, file)
    return bom + merged


def _check_only_asked(body: str, merged: str, read: Any, mutate: Callable[[Any], None],
                      file: str) -> None:
    """load() of the result must be load() of the original with mutate() applied: ruamel
    (YAML 1.2) and load() (libyaml, YAML 1.1) type some scalars differently (1e999, .inf),
    and a value ruamel writes back in its own form would silently change for aireg."""
    import copy

    want = copy.deepcopy(read)
    try:
        mutate(want)
    except Exception:  # a mutate() written for ruamel containers only: nothing to compare
        return
    want = _as_written(want)
    got = load(merged, file)
    if got == want:
        return
    path = _first_difference(want, got)
    shown = ".".join(str(p) for p in path) or "the file"
    pos = locate(body, path) if path else None
    raise YamlError(
        file, f"cannot be edited without also changing {shown}, which YAML readers take "
        "differently (an overflowing number such as 1e999, or .inf/.nan); write it plainly "
        "by hand, then run the command again", *(pos or (None, None)))


def _as_written(value: Any) -> Any:
    """What load() gives back for a value edit() writes (tuples as lists, dates as text)."""
    if isinstance(value, Mapping):
        return {k: _as_written(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_as_written(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _first_difference(a: Any, b: Any, path: tuple[Any, ...] = ()) -> list[Any]:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for key in [*a, *(k for k in b if k not in a)]:
            if a.get(key) != b.get(key):
                return _first_difference(a.get(key), b.get(key), (*path, key))
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _first_difference(x, y, (*path, i))
    return list(path)


@functools.cache
def _rt_classes() -> tuple[Any, Any]:
    """ruamel's resolver and representer, adapted to aireg's reading rules (built once)."""
    from ruamel.yaml.representer import RoundTripRepresenter
    from ruamel.yaml.resolver import VersionedResolver

    class TextDatesResolver(VersionedResolver):
        """Dates are text in aireg, as in load(); new date strings then stay unquoted."""

        def add_version_implicit_resolver(
            self, version: Any, tag: Any, regexp: Any, first: Any
        ) -> None:
            if tag != _TIMESTAMP:
                super().add_version_implicit_resolver(version, tag, regexp, first)

    class Representer(RoundTripRepresenter):
        pass

    def represent_str(rep: Any, data: str) -> Any:
        if _literal_ok(data):
            style: str | None = "|"
        elif _plain_ok(data):
            style = None
        else:
            style = '"'
        return rep.represent_scalar(_STR, data, style=style)

    def represent_float(rep: Any, data: float) -> Any:
        _check_float(data)
        return RoundTripRepresenter.represent_float(rep, data)

    Representer.add_representer(str, represent_str)
    Representer.add_representer(float, represent_float)
    return TextDatesResolver, Representer


def _round_trip(text: str) -> Any:
    from ruamel.yaml import YAML

    rt: Any = YAML(typ="rt")
    rt.Resolver, rt.Representer = _rt_classes()
    rt.preserve_quotes = True
    rt.width = _WIDTH
    rt.allow_unicode = True
    mapping, sequence, offset = _detect_indent(text)
    rt.indent(mapping=mapping, sequence=sequence, offset=offset)
    if text.partition("\n")[0].endswith("\r"):
        rt.line_break = "\r\n"
    first = next(
        (ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")), ""
    )
    if first.rstrip() == "---" or first.startswith("--- "):
        rt.explicit_start = True
    return rt


def _rt_load(rt: Any, text: str, file: str) -> Any:
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        return rt.load(text)
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        problem = e.problem or e.context or "unknown problem"
        if mark is None:
            raise YamlError(file, f"could not parse YAML: {problem}") from None
        raise YamlError(
            file,
            f"could not parse YAML: {problem}; check the indentation and quoting here",
            mark.line + 1,
            mark.column + 1,
        ) from None
    except (YAMLError, RecursionError) as e:
        raise YamlError(file, f"could not parse YAML: {e}") from None
    except Exception as e:  # ruamel failing on odd input is still a parse error
        raise YamlError(file, f"could not parse YAML ({type(e).__name__}: {e})") from e


def _rt_dump(rt: Any, root: Any) -> str:
    import io

    out = io.StringIO()
    rt.dump(root, out)
    return out.getvalue()


def _is_commented_map(value: Any) -> bool:
    from ruamel.yaml.comments import CommentedMap

    return isinstance(value, CommentedMap)


_KEY_LINE_RE = re.compile(r"^( *)((?:- +)*)[^\s#-][^#]*?:[ \t]*(?:#.*)?$")
_ITEM_RE = re.compile(r"^( *)(-)( +|$)")


def _detect_indent(text: str) -> tuple[int, int, int]:
    """The file's (mapping, sequence, offset) indents in ruamel's terms; default the SPEC's 2, 4, 2.

    Looks at each line that opens a block ("key:" with nothing after it) and the line below it.
    """
    mappings: Counter[int] = Counter()
    sequences: Counter[tuple[int, int]] = Counter()
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    for above, below in itertools.pairwise(lines):
        opened = _KEY_LINE_RE.match(above)
        if not opened:
            continue
        key_column = len(opened.group(1)) + len(opened.group(2))
        indent = len(below) - len(below.lstrip(" "))
        item = _ITEM_RE.match(below)
        if item:
            offset = indent - key_column
            content = indent + 1 + len(item.group(3) or " ")
            if offset >= 0:
                sequences[(content - key_column, offset)] += 1
        elif indent > key_column:
            mappings[indent - key_column] += 1
    mapping = mappings.most_common(1)[0][0] if mappings else 2
    sequence, offset = sequences.most_common(1)[0][0] if sequences else (mapping + 2, mapping)
    return mapping, max(sequence, offset + 2), offset


def _normalize_new_values(root: Any) -> None:
    """Turn plain dicts and lists that mutate() put in into ruamel containers with our styles."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    def convert(value: Any) -> Any:
        if isinstance(value, CommentedMap | CommentedSeq):
            if not value:
                value.fa.set_flow_style()  # {} and []: a block-style empty one breaks the output
            walk(value)
            return value
        if isinstance(value, Mapping):
            new_map = CommentedMap(value.items())
            if new_map:
                new_map.fa.set_block_style()
            else:
                new_map.fa.set_flow_style()
            walk(new_map)
            return new_map
        if isinstance(value, list | tuple):
            new_seq = CommentedSeq(value)
            if _short_scalars(value):
                new_seq.fa.set_flow_style()
            else:
                new_seq.fa.set_block_style()
            walk(new_seq)
            return new_seq
        if isinstance(value, datetime.date):
            return value.isoformat()
        return value

    def walk(container: Any) -> None:
        keys = container.keys() if isinstance(container, CommentedMap) else range(len(container))
        flow = bool(container.fa.flow_style())
        if (
            flow
            and isinstance(container, CommentedMap)
            and any(type(k) is str and not _flow_plain_ok(k, key=True) for k in container)
        ):
            container.fa.set_block_style()  # a key that needs quotes: write it as a block
            flow = False
        for key in list(keys):
            value = container[key]
            new = convert(value)
            if flow and type(new) is str and not _flow_plain_ok(new):
                # ruamel writes YAML 1.2 flow scalars libyaml cannot read back, like [:0]
                new = DoubleQuotedScalarString(new)
            if new is not value:
                container[key] = new

    walk(root)


# A blank line or comment block that follows the last entry of a block belongs after the block,
# but ruamel keeps it on that entry: append an entry and the blank line lands above it. Before
# mutate() we note each block's last entry; afterwards we move the trailing part of its comment
# to the block's new last entry.


def _blocks(node: Any) -> Iterator[Any]:
    """Every block-style container under node, deepest first."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(node, CommentedMap | CommentedSeq):
        for value in node.values() if isinstance(node, CommentedMap) else node:
            yield from _blocks(value)
        if len(node) and not node.fa.flow_style():
            yield node


def _last(container: Any) -> tuple[Any, Any]:
    from ruamel.yaml.comments import CommentedMap

    key = next(reversed(container)) if isinstance(container, CommentedMap) else len(container) - 1
    return key, container[key]


def _tail_snapshot(root: Any) -> list[tuple[Any, Any, Any, frozenset[Any] | None]]:
    """Each block's last entry, and a mapping's keys, before mutate()."""
    from ruamel.yaml.comments import CommentedMap

    return [
        (block, *_last(block), frozenset(block) if isinstance(block, CommentedMap) else None)
        for block in _blocks(root)
    ]


def _tail_slot(container: Any, key: Any) -> tuple[Any, Any, int, Any]:
    """(holder, key, index in holder.ca.items[key], value) of the comment that ends an entry."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    while True:
        value = container[key]
        if (
            isinstance(value, CommentedMap | CommentedSeq)
            and len(value)
            and not value.fa.flow_style()
        ):
            container = value
            key = _last(value)[0]
            continue
        return container, key, 2 if isinstance(container, CommentedMap) else 0, value


def _is_block_scalar(value: Any) -> bool:
    from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

    # A new multi-line str is written as a literal block too (see represent_str).
    return isinstance(value, LiteralScalarString | FoldedScalarString) or (
        type(value) is str and _literal_ok(value)
    )


def _move_tails(snapshot: list[tuple[Any, Any, Any, frozenset[Any] | None]]) -> None:
    from ruamel.yaml.comments import CommentedMap

    for block, old_key, old_value, old_keys in snapshot:
        if not len(block):
            continue
        if old_keys is not None:
            # Keys inserted between two old ones (a section put in SPEC order): the blank line
            # or comment that separated the old neighbours now follows the inserted run.
            keys = list(block)
            i = 1
            while i < len(keys):
                if keys[i] in old_keys or keys[i - 1] not in old_keys:
                    i += 1
                    continue
                j = i
                while j + 1 < len(keys) and keys[j + 1] not in old_keys:
                    j += 1
                if j + 1 < len(keys):
                    section = any(_is_block_container(block[k]) for k in keys[i : j + 1])
                    _move_tail(block, keys[i - 1], keys[j], keep_blank=section)
                i = j + 1
        new_key, new_value = _last(block)
        if new_key == old_key and new_value is old_value:
            continue
        if isinstance(block, CommentedMap):
            if old_key not in block:
                continue
        elif not (0 <= old_key < len(block) and block[old_key] is old_value):
            continue
        _move_tail(block, old_key, new_key, keep_blank=False)


def _is_block_container(value: Any) -> bool:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    return (
        isinstance(value, CommentedMap | CommentedSeq) and bool(value) and not value.fa.flow_style()
    )


def _move_tail(block: Any, from_key: Any, to_key: Any, *, keep_blank: bool) -> None:
    """Move what follows entry `from_key` of `block` (blank lines, comment lines; not its
    end-of-line comment) to the end of entry `to_key`; with keep_blank, leading blank lines are
    left where they were as well, so the new entry is set off like its neighbours."""
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    holder, key, index, value = _tail_slot(block, from_key)
    entry = holder.ca.items.get(key)
    token = entry[index] if entry and len(entry) > index else None
    if token is None:
        return
    if _is_block_scalar(value):
        keep, tail = "", token.value
    else:
        keep, newline, tail = token.value.partition("\n")
        keep += newline
    if not tail:
        return
    new_holder, new_key, new_index, new_value = _tail_slot(block, to_key)
    if new_holder is holder and new_key == key:
        return
    if keep_blank:
        keep += tail[: len(tail) - len(tail.lstrip("\n"))]
    if keep in ("", "\n"):
        entry[index] = None
    else:
        token.value = keep
    new_entry = new_holder.ca.items.setdefault(new_key, [None, None, None, None])
    existing = new_entry[new_index]
    if existing is not None:
        existing.value = existing.value + tail
    else:
        lead = "" if _is_block_scalar(new_value) else "\n"
        new_entry[new_index] = CommentToken(lead + tail, CommentMark(0), None)


def _split_lines(text: str) -> list[str]:
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _three_way(original: str, before: str, after: str) -> str:
    """original + (after - before): ruamel's output where the edit changed something, the
    original's own bytes everywhere else (its spacing, quoting and comment columns included)."""
    o_lines, b_lines, a_lines = _split_lines(original), _split_lines(before), _split_lines(after)
    # Units of `before` and the original lines they stand for: one line for one line where the
    # two align (equal, or reformatted line by line), a whole block where they do not.
    units: list[tuple[int, int, list[str]]] = []
    matcher = difflib.SequenceMatcher(None, o_lines, b_lines, autojunk=False)
    for tag, o1, o2, b1, b2 in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and o2 - o1 == b2 - b1):
            units.extend((b1 + k, b1 + k + 1, [o_lines[o1 + k]]) for k in range(b2 - b1))
        else:
            units.append((b1, b2, o_lines[o1:o2]))
    # Where each line of `before` went in `after`, for lines the edit left alone.
    kept: dict[int, int] = {}
    matcher = difflib.SequenceMatcher(None, b_lines, a_lines, autojunk=False)
    for tag, b1, b2, a1, _a2 in matcher.get_opcodes():
        if tag == "equal":
            kept.update((b1 + k, a1 + k) for k in range(b2 - b1))
    from_unit: dict[int, list[str]] = {}  # index in `after` -> the original lines to write there
    covered: set[int] = set()
    trailing: list[str] = []
    for start, end, lines in units:
        if start == end:  # original lines ruamel dropped: keep them with the line that follows
            if start == len(b_lines):
                trailing.extend(lines)
            elif start in kept:
                from_unit.setdefault(kept[start], []).extend(lines)
            continue
        targets = [kept.get(i) for i in range(start, end)]
        first = targets[0]
        if first is not None and targets == list(range(first, first + len(targets))):
            from_unit.setdefault(first, []).extend(lines)
            covered.update(range(first, first + len(targets)))
    out: list[str] = []
    for index, line in enumerate(a_lines):
        if index in from_unit:
            out.extend(from_unit[index])
        if index not in covered:
            out.append(line)
    out.extend(trailing)
    newline = "\r\n" if original.partition("\n")[0].endswith("\r") else "\n"
    for i, line in enumerate(out[:-1]):
        if not line.endswith("\n"):
            out[i] = line + newline
    return "".join(out)


def _same_meaning(a: str, b: str) -> bool:
    try:
        return bool(load(a, "") == load(b, ""))
    except YamlError:
        pass
    try:
        return bool(yaml.load(a, Loader=_FastLoader) == yaml.load(b, Loader=_FastLoader))
    except Exception:  # unknown means "not proven the same"
        return False
