"""Where a field is written in a YAML text: 1-based line and column, for reporting problems."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

if TYPE_CHECKING:
    pass


from aireg.yamlio.load import _SAFE_COMPOSE_DEPTH, _nesting_bound, _StrictLoader

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
