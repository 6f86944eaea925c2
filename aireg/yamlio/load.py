"""Strict, fast loading of one YAML document (libyaml), and YamlError: the SPEC's reading rules."""

from __future__ import annotations

import codecs
import re
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
    from aireg.yamlio.locate import locate

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
            tag = getattr(event, "tag", None)
            # Only a node with a tag or an anchor needs the text at its mark.
            written = _written_at(text, mark) if tag is not None or event.anchor else ""
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


_WRITTEN_RE = re.compile(r"!<[^>\s]*>?|[^\s,\[\]{}]*")


def _written_at(text: str, mark: Any) -> str:
    """The token the user wrote at a mark (the tag or anchor), for messages."""
    match = _WRITTEN_RE.match(text, mark.index)  # at the mark: no copy of the rest
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
