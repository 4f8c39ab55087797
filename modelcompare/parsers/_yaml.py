"""YAML written by others, read with the guards a hostile file needs.

PyYAML's ``SafeLoader`` builds no Python object from a tag (``!!python/object`` is an error), but
on its own it still:

- accepts anchors and aliases that describe a graph whose expansion is exponential ("billion
  laughs"). The loader shares nodes, so loading is cheap, but anything that later walks the
  result (``json.dumps``, ``repr``, a loop over nested lists) expands it;
- recurses once per nesting level while composing (a ``RecursionError``), and scans deeply
  nested ``[[[[`` in quadratic time;
- keeps the last of two equal keys without a word, so which price the author meant is lost;
- raises ``ValueError``, not ``YAMLError``, for a date that does not exist (``2025-02-30``) or an
  integer of more than 4300 digits, which would fail the whole response.

``load`` refuses the first two with ``YamlRefused``, returns duplicate keys with their line so
the parser can flag the record that holds them, and reads an impossible date or a huge integer
as its text so that only the one field becomes a ``ParseIssue``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

MAX_DEPTH = 64  # real files nest four or five levels
MAX_NODES = 1_000_000  # nodes after expanding aliases; the largest genai-prices file has ~60k


class YamlRefused(ValueError):
    """The text is YAML we will not build: too deep, too large once expanded, or recursive."""


class GuardedLoader(yaml.SafeLoader):
    """``SafeLoader`` that keeps the exact text of non-integer numbers (as ``Decimal``) and
    turns scalars Python cannot build (2025-02-30, a 5000-digit integer) into their text."""


def _decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal | str:
    text = loader.construct_scalar(node)
    try:
        return Decimal(text.replace("_", ""))
    except InvalidOperation:
        return text  # .inf / .nan: left as text, so the field becomes a parse issue


def _timestamp_or_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:  # a date that does not exist
        return loader.construct_scalar(node)


def _int_or_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return SafeConstructor.construct_yaml_int(loader, node)
    except ValueError:  # more digits than Python turns into an int
        return loader.construct_scalar(node)


GuardedLoader.add_constructor("tag:yaml.org,2002:float", _decimal)
GuardedLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)
GuardedLoader.add_constructor("tag:yaml.org,2002:int", _int_or_text)


@dataclass
class Document:
    data: Any
    node: yaml.Node | None
    duplicates: list[tuple[int, str]] = field(default_factory=list)  # (line, 1-based; key)


def flow_depth(text: str) -> int:
    """An upper bound of the ``[``/``{`` nesting of a YAML text (brackets in strings count)."""
    depth = deepest = 0
    for char in text:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}" and depth:
            depth -= 1
    return deepest


def load(
    text: str,
    *,
    allow_aliases: bool = True,
    max_depth: int = MAX_DEPTH,
    max_nodes: int = MAX_NODES,
) -> Document:
    """One YAML document, checked before any Python object is built from it.

    Raises ``YamlRefused`` (a ``ValueError``) or ``yaml.YAMLError``; nothing else from the text.
    """
    depth = flow_depth(text)
    if depth > max_depth:  # refuse before the scanner's quadratic pass over the brackets
        raise YamlRefused(f"nested {depth} deep (limit {max_depth})")
    loader = GuardedLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError as exc:
            raise YamlRefused("nested too deeply to read") from exc
        if node is None:
            return Document(None, None)
        duplicates = _check_graph(node, allow_aliases, max_depth, max_nodes)
        try:
            data = loader.construct_document(node)
        except RecursionError as exc:  # pragma: no cover - depth is bounded above
            raise YamlRefused("nested too deeply to build") from exc
    finally:
        loader.dispose()
    return Document(data, node, duplicates)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _duplicate_keys(node: yaml.MappingNode) -> list[tuple[int, str]]:
    seen: set[tuple[str, str]] = set()
    found = []
    for key, _ in node.value:
        if not isinstance(key, yaml.ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
            continue
        if (key.tag, key.value) in seen:
            found.append((key.start_mark.line + 1, key.value))
        seen.add((key.tag, key.value))
    return found


def _check_graph(
    root: yaml.Node, allow_aliases: bool, max_depth: int, max_nodes: int
) -> list[tuple[int, str]]:
    """Walk the composed graph once (each shared node once), without recursion.

    The size of a node counts its subtree as if every alias were copied in, which is what a
    walk over the built objects will visit; a node reached from inside itself is recursive.
    """
    size: dict[int, int] = {}
    on_path: set[int] = set()
    duplicates: list[tuple[int, str]] = []
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            size[key] = 1 + sum(size[id(child)] for child in _children(node))
            if size[key] > max_nodes:
                raise YamlRefused(
                    f"aliases expand to more than {max_nodes:,} nodes (at line "
                    f"{node.start_mark.line + 1})"
                )
            continue
        if key in size:  # reached a second time: an alias
            if not allow_aliases:
                raise YamlRefused(f"YAML aliases refused (line {node.start_mark.line + 1})")
            continue
        if key in on_path:
            raise YamlRefused(
                f"recursive alias: a node contains itself (line {node.start_mark.line + 1})"
            )
        if depth > max_depth:
            raise YamlRefused(f"nested more than {max_depth} deep")
        on_path.add(key)
        stack.append((node, depth, True))
        if isinstance(node, yaml.MappingNode):
            duplicates.extend(_duplicate_keys(node))
        for child in _children(node):
            if id(child) in on_path:
                raise YamlRefused(
                    f"recursive alias: a node contains itself (line {child.start_mark.line + 1})"
                )
            stack.append((child, depth + 1, False))
    return duplicates


def item_lines(root: yaml.Node | None, key: str) -> list[tuple[int, int]]:
    """(first line, last line), 1-based, of each item of the sequence under ``key`` at the top."""
    if not isinstance(root, yaml.MappingNode):
        return []
    for key_node, value in root.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            if isinstance(value, yaml.SequenceNode):
                return [(i.start_mark.line + 1, i.end_mark.line + 1) for i in value.value]
    return []
