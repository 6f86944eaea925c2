"""Round-trip edits with ruamel.yaml: apply updates, keep comments and formatting byte for byte."""

from __future__ import annotations

import copy
import datetime
import difflib
import functools
import itertools
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from aireg.yamlio.dump import (
    _WIDTH,
    _check_float,
    _fast_key,
    _flow_plain_ok,
    _literal_ok,
    _plain_ok,
    _short_scalars,
)
from aireg.yamlio.load import _STR, _TIMESTAMP, YamlError, _line_col, load
from aireg.yamlio.locate import locate

try:
    from yaml import CSafeLoader as _FastLoader
except ImportError:  # PyYAML built without libyaml: same rules, slower
    from yaml import SafeLoader as _FastLoader  # type: ignore[assignment]

FieldPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Update:
    """Set `path` to `value`, or append `value` to the list at `path`."""

    path: FieldPath
    value: Any
    append: bool = False


def apply(root: Any, updates: Sequence[Update], key_order: Sequence[str] = ()) -> None:
    """Apply updates in place to a plain dict or a ruamel CommentedMap.

    Missing containers on the way are created; a new top-level key of a ruamel mapping goes
    where `key_order` puts it (after it, for a key `key_order` does not name).
    """
    for up in updates:
        target = root
        for i, part in enumerate(up.path[:-1]):
            nxt = target[part] if isinstance(part, int) else target.get(part)
            if not isinstance(nxt, dict | list):
                nxt = [] if isinstance(up.path[i + 1], int) else {}
                _set(target, part, nxt, key_order)
                nxt = target[part]
            target = nxt
        last = up.path[-1]
        if up.append:
            existing = target.get(last) if isinstance(target, dict) else None
            if not isinstance(existing, list):
                _set(target, last, [], key_order)
            target[last].append(up.value)
        else:
            _set(target, last, up.value, key_order)


def _set(target: Any, key: str | int, value: Any, order: Sequence[str]) -> None:
    if isinstance(target, list) or key in target or not hasattr(target, "insert"):
        target[key] = value
        return
    # A ruamel mapping: put a new section where `order` says it goes.
    if key in order:
        rank = order.index(key)
        pos = len(target)
        for i, existing in enumerate(target):
            if existing in order and order.index(existing) > rank:
                pos = i
                break
        target.insert(pos, key, value)
    else:
        target[key] = value


def _copied(updates: Sequence[Update]) -> list[Update]:
    # Each tree gets values of its own: ruamel's tree converts the containers it is given.
    return [Update(u.path, copy.deepcopy(u.value), u.append) for u in updates]


# --- edit (ruamel.yaml, round trip) ----------------------------------------------------------


def edit(
    text: str, updates: Sequence[Update], *, file: str = "", key_order: Sequence[str] = ()
) -> str:
    """Round-trip edit: parse `text`, apply `updates` to its root mapping, write it back.

    Comments, key order, quoting and formatting outside the changed fields are kept byte for
    byte; new top-level keys go where `key_order` puts them; plain dicts and lists set by the
    updates are written in block style (short scalar lists
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
    read = load(body, file)  # what aireg reads: the edit must change only what is asked
    odd = re.search("[\x85\u2028\u2029]", body)
    if odd and root != read:
        # A line break to load() (libyaml, YAML 1.1) and text to ruamel (YAML 1.2): writing
        # it back would silently restructure fields nobody asked to change.
        raise YamlError(file, f"cannot be edited without changing other fields: it holds a "
                        f"U+{ord(odd.group()):04X} line separator (pasted text?), which YAML "
                        "readers take differently; replace it with a newline or a space, then "
                        "run the command again", *_line_col(body, odd.start()))
    snapshot = _tail_snapshot(root)
    apply(root, _copied(updates), key_order)
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
    _check_only_asked(body, merged, read, updates, file)
    return bom + merged


def _check_only_asked(body: str, merged: str, read: Any, updates: Sequence[Update],
                      file: str) -> None:
    """load() of the result must be load() of the original with the updates applied: ruamel
    (YAML 1.2) and load() (libyaml, YAML 1.1) type some scalars differently (1e999, .inf),
    and a value ruamel writes back in its own form would silently change for aireg."""
    want = copy.deepcopy(read)
    apply(want, _copied(updates))
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
    """Turn plain dicts and lists that the updates put in into ruamel containers with our styles."""
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
# the updates we note each block's last entry; afterwards we move the trailing part of its comment
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
    """Each block's last entry, and a mapping's keys, before the updates."""
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
        return edit(text, [Update((key, k), v) for k, v in entries.items()], file=file)

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
