"""Helpers shared by the rules tests: small JDM documents and HTTP shortcuts (no fixtures here)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx

BASE = "/api/v1/rules"
ALL = ("rules.*",)


def q(text: str) -> str:
    """A string literal in zen's expression language."""
    return json.dumps(text)


def table_model(
    rows: list[tuple[str, str]], *, field: str = "amount", output: str = "band", hit: str = "first"
) -> dict[str, Any]:
    """input -> one decision table (one input column, one output column) -> output."""
    return {
        "contentType": "application/vnd.gorules.decision",
        "nodes": [
            {"id": "in", "type": "inputNode", "name": "Request", "position": {"x": 0, "y": 0}},
            {
                "id": "table",
                "type": "decisionTableNode",
                "name": "Table",
                "position": {"x": 200, "y": 0},
                "content": {
                    "hitPolicy": hit,
                    "inputs": [{"id": "i", "name": field, "field": field}],
                    "outputs": [{"id": "o", "name": output, "field": output}],
                    "rules": [{"_id": f"r{index}", "i": cell, "o": value} for index, (cell, value) in enumerate(rows)],
                },
            },
            {"id": "out", "type": "outputNode", "name": "Response", "position": {"x": 400, "y": 0}},
        ],
        "edges": [
            {"id": "e1", "sourceId": "in", "targetId": "table", "type": "edge"},
            {"id": "e2", "sourceId": "table", "targetId": "out", "type": "edge"},
        ],
    }


def expression_model(expressions: dict[str, str]) -> dict[str, Any]:
    """input -> one expression node -> output."""
    return {
        "nodes": [
            {"id": "in", "type": "inputNode", "name": "Request"},
            {
                "id": "calc",
                "type": "expressionNode",
                "name": "Calculate",
                "content": {
                    "expressions": [
                        {"id": f"x{index}", "key": key, "value": value}
                        for index, (key, value) in enumerate(expressions.items())
                    ]
                },
            },
            {"id": "out", "type": "outputNode", "name": "Response"},
        ],
        "edges": [
            {"id": "e1", "sourceId": "in", "targetId": "calc"},
            {"id": "e2", "sourceId": "calc", "targetId": "out"},
        ],
    }


# Bands of an amount: the model most tests publish.
BANDS = table_model([("< 1000", q("small")), ("[1000..100000]", q("medium")), ("> 100000", q("large"))])
BANDS_TESTS = [
    {"name": "small", "input": {"amount": 10}, "expected": {"band": "small"}},
    {"name": "large", "input": {"amount": 250000}, "expected": {"band": "large"}},
]


def unique_key(prefix: str = "test") -> str:
    return f"{prefix}.r{uuid.uuid4().hex[:10]}"


async def create_rule(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    key: str,
    content: dict[str, Any] | None = None,
    tests: list[dict[str, Any]] | None = None,
    name: str = "Test rule",
) -> dict[str, Any]:
    response = await client.post(
        BASE,
        json={"key": key, "name": name, "content": content or BANDS, "tests": BANDS_TESTS if tests is None else tests},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def publish(
    client: httpx.AsyncClient, headers: dict[str, str], key: str, version: int, **body: Any
) -> httpx.Response:
    return await client.post(f"{BASE}/{key}/versions/{version}/publish", json=body, headers=headers)


async def published_rule(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    key: str,
    content: dict[str, Any] | None = None,
    tests: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    await create_rule(client, headers, key, content, tests)
    response = await publish(client, headers, key, 1)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def evaluate(
    client: httpx.AsyncClient, headers: dict[str, str], key: str, context: dict[str, Any], **extra: Any
) -> httpx.Response:
    return await client.post(f"{BASE}/{key}/evaluate", json={"context": context, **extra}, headers=headers)
