"""GoRules JDM (JSON Decision Model) documents: validation on save and zen-engine error messages.

:func:`validate_model` walks a document and names every problem with its JSON path: structure,
node types, edges that reference missing nodes or switch branches, decision-table columns and
cells, and every expression, compiled with zen-engine's own compiler (never Python ``eval``).
Finally the engine itself loads the graph, which catches whatever the walk does not (cycles).

Supported node types: input, output, decision table, expression and switch. Function nodes
(JavaScript) and sub-decision nodes are refused: models stay data, readable in a table.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import zen

INPUT_NODE = "inputNode"
OUTPUT_NODE = "outputNode"
TABLE_NODE = "decisionTableNode"
EXPRESSION_NODE = "expressionNode"
SWITCH_NODE = "switchNode"
SUPPORTED_NODES = (INPUT_NODE, OUTPUT_NODE, TABLE_NODE, EXPRESSION_NODE, SWITCH_NODE)
REFUSED_NODES = {
    "functionNode": "function nodes run JavaScript; use expression nodes or decision tables",
    "decisionNode": "sub-decision nodes are not supported; evaluate the other rule separately",
    "customNode": "custom nodes are not supported",
}
HIT_POLICIES = ("first", "collect")
EXECUTION_MODES = ("single", "loop")

MAX_NODES = 200
MAX_EDGES = 1000
MAX_ROWS = 10_000
MAX_COLUMNS = 100
MAX_EXPRESSIONS = 500
MAX_ID = 100
MAX_EXPRESSION = 5000

_BACKTRACE = re.compile(r"\n\s*Stack backtrace:.*", re.DOTALL)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Problem:
    """One problem of a document: where (a JSON path below the document) and why."""

    path: str
    code: str
    reason: str


def engine_message(error: BaseException) -> str:
    """zen-engine's message for ``error`` as one readable line (no Rust backtrace)."""
    text = _BACKTRACE.sub("", str(error)).strip()
    try:
        parsed = json.loads(text)
    except ValueError:
        return _SPACES.sub(" ", text.replace("Caused by:", ":")).replace(" :", ":").strip()
    if not isinstance(parsed, dict):
        return text
    kind = str(parsed.get("type") or "error")
    source = parsed.get("source")
    node = parsed.get("nodeId")
    parts = [kind]
    if node:
        parts.append(f"node {node}")
    message = ", ".join(parts)
    if source:
        message += f": {engine_message(Exception(str(source))) if isinstance(source, str) else source}"
    extra = {key: value for key, value in parsed.items() if key not in ("type", "source", "nodeId")}
    if extra:
        message += " (" + ", ".join(f"{key}={value}" for key, value in extra.items()) + ")"
    return message


def compile_problem(expression: str, *, unary: bool) -> str | None:
    """Why ``expression`` does not compile in zen's expression language (None when it does).

    zen 2.1's ``validate_unary_expression`` rejects valid cells such as ``> 100``, so this
    compiles instead, which is what evaluation does.
    """
    try:
        if unary:
            zen.compile_unary_expression(expression)
        else:
            zen.compile_expression(expression)
    except Exception as error:  # the binding raises RuntimeError with the parser's message
        return engine_message(error)
    return None


class _Walker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, code: str, reason: str) -> None:
        self.problems.append(Problem(path, code, reason))

    # --- small checks --------------------------------------------------------------------------

    def object(self, value: Any, path: str) -> Mapping[str, Any] | None:
        if not isinstance(value, Mapping):
            self.add(path, "type", "must be a JSON object")
            return None
        return value

    def array(self, value: Any, path: str, *, limit: int, required: bool = True) -> list[Any]:
        if value is None and not required:
            return []
        if not isinstance(value, list):
            self.add(path, "type", "must be an array")
            return []
        if len(value) > limit:
            self.add(path, "too_long", f"must have at most {limit} items")
            return []
        return value

    def identifier(self, value: Any, path: str) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.add(path, "required", "must be a non-empty string")
            return None
        if len(value) > MAX_ID:
            self.add(path, "too_long", f"must be at most {MAX_ID} characters")
            return None
        return value

    def optional_string(self, container: Mapping[str, Any], name: str, path: str) -> str | None:
        value = container.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            self.add(f"{path}.{name}", "type", "must be a string")
            return None
        return value

    def choice(
        self, container: Mapping[str, Any], name: str, path: str, choices: tuple[str, ...], *, default: str | None
    ) -> None:
        value = container.get(name, default)
        if value not in choices:
            self.add(f"{path}.{name}", "invalid_choice", f"must be one of {', '.join(choices)} (got {value!r})")

    def flag(self, container: Mapping[str, Any], name: str, path: str) -> None:
        if name in container and not isinstance(container[name], bool):
            self.add(f"{path}.{name}", "type", "must be true or false")

    def expression(self, value: Any, path: str, *, unary: bool, allow_empty: bool) -> None:
        if not isinstance(value, str):
            self.add(path, "type", "must be a string holding an expression")
            return
        if not value.strip():
            if not allow_empty:
                self.add(path, "required", "must not be empty")
            return
        if len(value) > MAX_EXPRESSION:
            self.add(path, "too_long", f"must be at most {MAX_EXPRESSION} characters")
            return
        problem = compile_problem(value, unary=unary)
        if problem is not None:
            self.add(path, "invalid_expression", f"{value!r}: {problem}")

    def transform_options(self, content: Mapping[str, Any], path: str) -> None:
        """Options zen accepts on tables and expression nodes (pass-through, paths, loop mode)."""
        self.flag(content, "passThrough", path)
        for name in ("inputField", "outputPath"):
            self.optional_string(content, name, path)
        if "executionMode" in content:
            self.choice(content, "executionMode", path, EXECUTION_MODES, default=None)

    # --- nodes -----------------------------------------------------------------------------------

    def table(self, content: Mapping[str, Any], path: str) -> None:
        self.choice(content, "hitPolicy", path, HIT_POLICIES, default=None)
        self.transform_options(content, path)
        columns: dict[str, bool | None] = {}  # column id -> unary (input with a field) / None for outputs
        inputs = self.array(content.get("inputs"), f"{path}.inputs", limit=MAX_COLUMNS)
        for index, raw in enumerate(inputs):
            column_path = f"{path}.inputs[{index}]"
            column = self.object(raw, column_path)
            if column is None:
                continue
            ident = self.identifier(column.get("id"), f"{column_path}.id")
            field = self.optional_string(column, "field", column_path)
            if ident is not None:
                if ident in columns:
                    self.add(f"{column_path}.id", "duplicate", f"column id {ident!r} is used twice")
                columns[ident] = bool(field and field.strip())
            if field and field.strip():
                self.expression(field, f"{column_path}.field", unary=False, allow_empty=False)
        outputs = self.array(content.get("outputs"), f"{path}.outputs", limit=MAX_COLUMNS)
        if isinstance(content.get("outputs"), list) and not outputs:
            self.add(f"{path}.outputs", "required", "a decision table needs at least one output column")
        for index, raw in enumerate(outputs):
            column_path = f"{path}.outputs[{index}]"
            column = self.object(raw, column_path)
            if column is None:
                continue
            ident = self.identifier(column.get("id"), f"{column_path}.id")
            field = column.get("field")
            if not isinstance(field, str) or not field.strip():
                self.add(f"{column_path}.field", "required", "an output column needs the field it writes")
            if ident is not None:
                if ident in columns:
                    self.add(f"{column_path}.id", "duplicate", f"column id {ident!r} is used twice")
                columns[ident] = None
        rules = self.array(content.get("rules"), f"{path}.rules", limit=MAX_ROWS)
        for index, raw in enumerate(rules):
            row_path = f"{path}.rules[{index}]"
            row = self.object(raw, row_path)
            if row is None:
                continue
            for cell, value in row.items():
                cell_path = f"{row_path}.{cell}"
                if cell.startswith("_"):
                    if not isinstance(value, str):
                        self.add(cell_path, "type", "must be a string")
                    continue
                if cell not in columns:
                    self.add(cell_path, "unknown_column", f"{cell!r} is not the id of an input or output column")
                    continue
                unary = columns[cell]
                if unary is None:
                    self.expression(value, cell_path, unary=False, allow_empty=True)
                else:
                    self.expression(value, cell_path, unary=unary, allow_empty=True)

    def expressions(self, content: Mapping[str, Any], path: str) -> None:
        self.transform_options(content, path)
        items = self.array(content.get("expressions"), f"{path}.expressions", limit=MAX_EXPRESSIONS)
        if isinstance(content.get("expressions"), list) and not items:
            self.add(f"{path}.expressions", "required", "an expression node needs at least one expression")
        seen: set[str] = set()
        for index, raw in enumerate(items):
            item_path = f"{path}.expressions[{index}]"
            item = self.object(raw, item_path)
            if item is None:
                continue
            ident = self.identifier(item.get("id"), f"{item_path}.id")
            if ident is not None and ident in seen:
                self.add(f"{item_path}.id", "duplicate", f"expression id {ident!r} is used twice")
            seen.add(ident or "")
            if self.identifier(item.get("key"), f"{item_path}.key") is not None:
                self.expression(item.get("value"), f"{item_path}.value", unary=False, allow_empty=False)

    def switch(self, content: Mapping[str, Any], path: str) -> set[str]:
        self.choice(content, "hitPolicy", path, HIT_POLICIES, default="first")
        statements = self.array(content.get("statements"), f"{path}.statements", limit=MAX_COLUMNS)
        if isinstance(content.get("statements"), list) and not statements:
            self.add(f"{path}.statements", "required", "a switch node needs at least one statement")
        handles: set[str] = set()
        for index, raw in enumerate(statements):
            item_path = f"{path}.statements[{index}]"
            item = self.object(raw, item_path)
            if item is None:
                continue
            ident = self.identifier(item.get("id"), f"{item_path}.id")
            if ident is not None:
                if ident in handles:
                    self.add(f"{item_path}.id", "duplicate", f"statement id {ident!r} is used twice")
                handles.add(ident)
            self.expression(item.get("condition", ""), f"{item_path}.condition", unary=False, allow_empty=True)
        return handles

    # --- the graph -------------------------------------------------------------------------------

    def document(self, document: Any) -> None:
        root = self.object(document, "")
        if root is None:
            return
        nodes = self.array(root.get("nodes"), "nodes", limit=MAX_NODES)
        edges = self.array(root.get("edges"), "edges", limit=MAX_EDGES)
        kinds: dict[str, str] = {}
        handles: dict[str, set[str]] = {}
        for index, raw in enumerate(nodes):
            path = f"nodes[{index}]"
            node = self.object(raw, path)
            if node is None:
                continue
            ident = self.identifier(node.get("id"), f"{path}.id")
            if not isinstance(node.get("name"), str):
                self.add(f"{path}.name", "required", "every node needs a name (a string)")
            kind = node.get("type")
            if kind in REFUSED_NODES:
                self.add(f"{path}.type", "unsupported_node", f"{kind}: {REFUSED_NODES[kind]}")
            elif kind not in SUPPORTED_NODES:
                self.add(f"{path}.type", "unknown_node", f"must be one of {', '.join(SUPPORTED_NODES)} (got {kind!r})")
            if ident is not None and isinstance(kind, str):
                if ident in kinds:
                    self.add(f"{path}.id", "duplicate", f"node id {ident!r} is used twice")
                kinds[ident] = kind
            if kind in (TABLE_NODE, EXPRESSION_NODE, SWITCH_NODE):
                content = self.object(node.get("content"), f"{path}.content")
                if content is None:
                    continue
                if kind == TABLE_NODE:
                    self.table(content, f"{path}.content")
                elif kind == EXPRESSION_NODE:
                    self.expressions(content, f"{path}.content")
                elif ident is not None:
                    handles[ident] = self.switch(content, f"{path}.content")
        inputs = [ident for ident, kind in kinds.items() if kind == INPUT_NODE]
        if isinstance(root.get("nodes"), list):
            if len(inputs) != 1:
                self.add("nodes", "input_count", f"a model needs exactly one inputNode (found {len(inputs)})")
            if OUTPUT_NODE not in kinds.values():
                self.add("nodes", "output_missing", "a model needs an outputNode")
        self.graph(edges, kinds, handles, inputs[0] if len(inputs) == 1 else None)

    def graph(self, edges: list[Any], kinds: dict[str, str], handles: dict[str, set[str]], start: str | None) -> None:
        targets: dict[str, list[str]] = {ident: [] for ident in kinds}
        incoming: set[str] = set()
        for index, raw in enumerate(edges):
            path = f"edges[{index}]"
            edge = self.object(raw, path)
            if edge is None:
                continue
            self.identifier(edge.get("id"), f"{path}.id")
            source = self.identifier(edge.get("sourceId"), f"{path}.sourceId")
            target = self.identifier(edge.get("targetId"), f"{path}.targetId")
            for name, ident in (("sourceId", source), ("targetId", target)):
                if ident is not None and ident not in kinds:
                    self.add(f"{path}.{name}", "unknown_node", f"no node has the id {ident!r}")
            if source is None or target is None or source not in kinds or target not in kinds:
                continue
            if source == target:
                self.add(path, "self_loop", f"node {source!r} is connected to itself")
                continue
            if kinds[target] == INPUT_NODE:
                self.add(f"{path}.targetId", "into_input", "no edge may lead into the inputNode")
            if kinds[source] == OUTPUT_NODE:
                self.add(f"{path}.sourceId", "out_of_output", "no edge may leave an outputNode")
            if kinds[source] == SWITCH_NODE:
                handle = edge.get("sourceHandle")
                if not isinstance(handle, str) or handle not in handles.get(source, set()):
                    self.add(
                        f"{path}.sourceHandle",
                        "unknown_statement",
                        f"an edge leaving switch {source!r} must name one of its statement ids (got {handle!r})",
                    )
            targets[source].append(target)
            incoming.add(target)
        for ident, kind in kinds.items():
            if kind != INPUT_NODE and ident not in incoming:
                self.add("edges", "unconnected", f"node {ident!r} has no incoming edge")
        cycle = _find_cycle(targets)
        if cycle is not None:
            self.add("edges", "cycle", "the graph has a cycle: " + " -> ".join(cycle))
        if start is not None and not cycle:
            reached = set(_reachable(targets, start))
            for ident, kind in kinds.items():
                if kind == OUTPUT_NODE and ident not in reached:
                    self.add("edges", "unreachable_output", f"output node {ident!r} cannot be reached from the input")


def _reachable(targets: Mapping[str, list[str]], start: str) -> Iterator[str]:
    seen: set[str] = set()
    stack = [start]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        yield node
        stack.extend(targets.get(node, ()))


def _find_cycle(targets: Mapping[str, list[str]]) -> list[str] | None:
    """One cycle of the directed graph as a list of node ids (first id repeated last), if any."""
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(targets, white)
    for root in targets:
        if colour[root] != white:
            continue
        path: list[str] = []
        stack: list[tuple[str, Iterator[str]]] = [(root, iter(targets[root]))]
        colour[root] = grey
        path.append(root)
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                colour[node] = black
                stack.pop()
                path.pop()
                continue
            if colour.get(child) == grey:
                return [*path[path.index(child) :], child]
            if colour.get(child) == white:
                colour[child] = grey
                path.append(child)
                stack.append((child, iter(targets.get(child, ()))))
    return None


def validate_model(document: Any) -> list[Problem]:
    """Every problem of a JDM document (empty when zen-engine can load and run it)."""
    walker = _Walker()
    walker.document(document)
    if walker.problems:
        return walker.problems
    try:
        decision = zen.ZenEngine().create_decision(json.dumps(document))
        decision.validate()
    except Exception as error:  # whatever the walk missed, in the engine's own words
        return [Problem("", "engine_rejected", engine_message(error))]
    return []


def canonical_json(value: Any) -> str:
    """Stable JSON text (sorted keys, no spaces): what is stored and hashed."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
