"""What kind of GraphQL operation a request carries, read cheaply from the request (for metrics:
the gateway does not parse or validate GraphQL; the federation gateway and the services do)."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs

OPERATION_TYPES = ("query", "mutation", "subscription")
UNKNOWN = "unknown"
BATCH = "batch"

# Block strings, strings, comments, braces, parentheses, names: enough to find the top-level
# definitions (a default value such as ``($x: In = {a: 1})`` sits inside parentheses).
_TOKENS = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""|"(?:[^"\\\n]|\\.)*"|#[^\n\r]*|[{}()]|[_A-Za-z][_0-9A-Za-z]*')


def operations(document: str) -> list[tuple[str, str | None]]:
    """The operations of ``document`` as (type, name or None), in order; fragments are skipped."""
    found: list[tuple[str, str | None]] = []
    depth = parentheses = 0
    kind: str | None = None
    name: str | None = None
    in_fragment = False
    for match in _TOKENS.finditer(document):
        part = match.group()
        if part[0] in '"#':
            continue
        if part == "(":
            parentheses += 1
        elif part == ")":
            parentheses = max(0, parentheses - 1)
        elif parentheses:
            continue
        elif part == "{":
            if depth == 0 and not in_fragment:
                found.append((kind or "query", name))
                kind = name = None
            depth += 1
        elif part == "}":
            depth = max(0, depth - 1)
            if depth == 0:
                in_fragment = False
        elif depth or in_fragment:
            continue
        elif kind is None and part == "fragment":
            in_fragment = True
        elif kind is None and part in OPERATION_TYPES:
            kind = part
        elif kind is not None and name is None:
            name = part
    return found


def operation_type(document: str | None, operation_name: str | None = None) -> str:
    """``query``, ``mutation`` or ``subscription`` for the operation the request will run, else
    ``unknown`` (no document, or several operations and no matching name)."""
    if not document:
        return UNKNOWN
    found = operations(document)
    if operation_name:
        for kind, name in found:
            if name == operation_name:
                return kind
        return UNKNOWN
    return found[0][0] if len(found) == 1 else UNKNOWN


def from_body(body: bytes) -> str:
    """The operation type of a POST body (JSON ``{"query", "operationName"}``; a list is a batch)."""
    try:
        payload: Any = json.loads(body)
    except ValueError:
        return UNKNOWN
    if isinstance(payload, list):
        return BATCH
    if not isinstance(payload, dict):
        return UNKNOWN
    query, name = payload.get("query"), payload.get("operationName")
    return operation_type(query if isinstance(query, str) else None, name if isinstance(name, str) else None)


def from_query_string(query_string: bytes) -> str:
    """The operation type of a GET request (``?query=...&operationName=...``)."""
    params = parse_qs(query_string.decode("latin-1"))
    query = params.get("query", [None])[0]
    name = params.get("operationName", [None])[0]
    return operation_type(query, name)
