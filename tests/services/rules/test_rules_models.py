"""Decision models (GoRules JDM) are validated on save: each problem is named with its JSON path and
answered as problem+json 422, never a 500. Also the pure parts behind it: the validator, zen's error
messages and the matching of expected test outputs."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from rules_support import ALL, BANDS, BASE, q, table_model, unique_key

from vextrus.services.rules.jdm import engine_message, validate_model
from vextrus.services.rules.matching import mismatches

SWITCH = {
    "nodes": [
        {"id": "in", "type": "inputNode", "name": "Request"},
        {
            "id": "sw",
            "type": "switchNode",
            "name": "Export?",
            "content": {
                "hitPolicy": "first",
                "statements": [{"id": "yes", "condition": "export == true"}, {"id": "no", "condition": ""}],
            },
        },
        {
            "id": "zero",
            "type": "expressionNode",
            "name": "Zero",
            "content": {"expressions": [{"id": "a", "key": "rate", "value": "0"}]},
        },
        {
            "id": "std",
            "type": "expressionNode",
            "name": "Std",
            "content": {"expressions": [{"id": "a", "key": "rate", "value": "0.15"}]},
        },
        {"id": "out", "type": "outputNode", "name": "Response"},
    ],
    "edges": [
        {"id": "1", "sourceId": "in", "targetId": "sw"},
        {"id": "2", "sourceId": "sw", "targetId": "zero", "sourceHandle": "yes"},
        {"id": "3", "sourceId": "sw", "targetId": "std", "sourceHandle": "no"},
        {"id": "4", "sourceId": "zero", "targetId": "out"},
        {"id": "5", "sourceId": "std", "targetId": "out"},
    ],
}


def changed(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``document`` with the value at a dotted path (``nodes.1.content.hitPolicy``) replaced."""
    result = copy.deepcopy(document)
    target: Any = result
    *parents, last = path.split(".")
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if isinstance(target, list):
        target[int(last)] = value
    elif value is _DELETE:
        del target[last]
    else:
        target[last] = value
    return result


_DELETE = object()

BAD_MODELS = [
    ("not an object", [1, 2], "", "type"),
    ("no nodes", {"edges": []}, "nodes", "type"),
    ("no edges", {"nodes": BANDS["nodes"]}, "edges", "type"),
    ("unknown node type", changed(BANDS, "nodes.1.type", "tableNode"), "nodes[1].type", "unknown_node"),
    ("function node", changed(BANDS, "nodes.1.type", "functionNode"), "nodes[1].type", "unsupported_node"),
    ("sub-decision node", changed(BANDS, "nodes.1.type", "decisionNode"), "nodes[1].type", "unsupported_node"),
    ("node without name", changed(BANDS, "nodes.1.name", _DELETE), "nodes[1].name", "required"),
    ("empty node id", changed(BANDS, "nodes.1.id", ""), "nodes[1].id", "required"),
    ("duplicate node id", changed(BANDS, "nodes.2.id", "table"), "nodes[2].id", "duplicate"),
    ("two inputs", changed(BANDS, "nodes.2.type", "inputNode"), "nodes", "input_count"),
    ("no output", changed(BANDS, "nodes.2.type", "expressionNode"), "nodes[2].content", "type"),
    ("edge to a missing node", changed(BANDS, "edges.1.targetId", "nowhere"), "edges[1].targetId", "unknown_node"),
    ("edge from a missing node", changed(BANDS, "edges.0.sourceId", "ghost"), "edges[0].sourceId", "unknown_node"),
    ("edge without id", changed(BANDS, "edges.0.id", _DELETE), "edges[0].id", "required"),
    ("self loop", changed(BANDS, "edges.1.targetId", "table"), "edges[1]", "self_loop"),
    ("edge into the input", changed(BANDS, "edges.1.targetId", "in"), "edges[1].targetId", "into_input"),
    ("unconnected output", changed(BANDS, "edges", [BANDS["edges"][0]]), "edges", "unconnected"),
    (
        "bad hit policy",
        changed(BANDS, "nodes.1.content.hitPolicy", "unique"),
        "nodes[1].content.hitPolicy",
        "invalid_choice",
    ),
    ("table without content", changed(BANDS, "nodes.1.content", _DELETE), "nodes[1].content", "type"),
    ("table without outputs", changed(BANDS, "nodes.1.content.outputs", []), "nodes[1].content.outputs", "required"),
    (
        "output without field",
        changed(BANDS, "nodes.1.content.outputs.0", {"id": "o", "name": "x"}),
        "nodes[1].content.outputs[0].field",
        "required",
    ),
    (
        "duplicate column id",
        changed(BANDS, "nodes.1.content.outputs.0", {"id": "i", "field": "x"}),
        "nodes[1].content.outputs[0].id",
        "duplicate",
    ),
    (
        "input cell that does not parse",
        changed(BANDS, "nodes.1.content.rules.0.i", "> > 5"),
        "nodes[1].content.rules[0].i",
        "invalid_expression",
    ),
    (
        "output cell that does not parse",
        changed(BANDS, "nodes.1.content.rules.1.o", "'medium"),
        "nodes[1].content.rules[1].o",
        "invalid_expression",
    ),
    ("cell that is a number", changed(BANDS, "nodes.1.content.rules.0.i", 5), "nodes[1].content.rules[0].i", "type"),
    (
        "cell of an unknown column",
        changed(BANDS, "nodes.1.content.rules.0.zz", "1"),
        "nodes[1].content.rules[0].zz",
        "unknown_column",
    ),
    (
        "input field that does not parse",
        changed(BANDS, "nodes.1.content.inputs.0.field", "amount +"),
        "nodes[1].content.inputs[0].field",
        "invalid_expression",
    ),
    ("rules not a list", changed(BANDS, "nodes.1.content.rules", {}), "nodes[1].content.rules", "type"),
    (
        "expression that does not parse",
        changed(SWITCH, "nodes.2.content.expressions.0.value", "0 +"),
        "nodes[2].content.expressions[0].value",
        "invalid_expression",
    ),
    (
        "expression without key",
        changed(SWITCH, "nodes.2.content.expressions.0.key", ""),
        "nodes[2].content.expressions[0].key",
        "required",
    ),
    (
        "empty expression node",
        changed(SWITCH, "nodes.2.content.expressions", []),
        "nodes[2].content.expressions",
        "required",
    ),
    (
        "switch condition that does not parse",
        changed(SWITCH, "nodes.1.content.statements.0.condition", "export =="),
        "nodes[1].content.statements[0].condition",
        "invalid_expression",
    ),
    (
        "switch edge without statement",
        changed(SWITCH, "edges.1.sourceHandle", _DELETE),
        "edges[1].sourceHandle",
        "unknown_statement",
    ),
    (
        "switch edge to an unknown statement",
        changed(SWITCH, "edges.2.sourceHandle", "maybe"),
        "edges[2].sourceHandle",
        "unknown_statement",
    ),
    (
        "cycle",
        changed(SWITCH, "edges", [*SWITCH["edges"], {"id": "6", "sourceId": "std", "targetId": "sw"}]),
        "edges",
        "cycle",
    ),
    (
        "pass-through not a boolean",
        changed(BANDS, "nodes.1.content.passThrough", "yes"),
        "nodes[1].content.passThrough",
        "type",
    ),
    (
        "execution mode",
        changed(BANDS, "nodes.1.content.executionMode", "parallel"),
        "nodes[1].content.executionMode",
        "invalid_choice",
    ),
]


@pytest.mark.parametrize(
    ("document", "path", "code"), [case[1:] for case in BAD_MODELS], ids=[case[0] for case in BAD_MODELS]
)
def test_validator_names_the_problem(document, path, code) -> None:
    problems = validate_model(document)
    assert (path, code) in {(item.path, item.code) for item in problems}, problems


@pytest.mark.parametrize(
    "document", [BANDS, SWITCH, table_model([("", q("x"))], hit="collect")], ids=["table", "switch", "collect"]
)
def test_valid_models_have_no_problems(document) -> None:
    assert validate_model(document) == []


@pytest.mark.parametrize(
    ("name", "document", "path", "code"),
    [
        case
        for case in BAD_MODELS
        if case[0]
        in (
            "not an object",
            "function node",
            "input cell that does not parse",
            "switch edge without statement",
            "cycle",
            "edge to a missing node",
            "bad hit policy",
        )
    ],
)
async def test_bad_models_are_422_naming_the_problem(platform, client, tenant, name, document, path, code) -> None:
    headers = platform.headers(tenant, ALL)
    response = await client.post(BASE, json={"key": unique_key(), "name": name, "content": document}, headers=headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    expected_field = f"body.content.{path}" if path else "body.content"
    if name == "not an object":  # refused by the request model before the validator
        assert body["code"] == "validation_failed"
        assert body["errors"][0]["field"] == "body.content"
        return
    assert body["code"] == "invalid_model"
    assert (expected_field, code) in {(item["field"], item["code"]) for item in body["errors"]}
    assert expected_field in body["detail"]


async def test_bad_draft_changes_nothing(platform, client, tenant) -> None:
    headers = platform.headers(tenant, ALL)
    key = unique_key()
    created = await client.post(BASE, json={"key": key, "name": "x", "content": BANDS}, headers=headers)
    assert created.status_code == 201
    bad = changed(BANDS, "nodes.1.content.rules.0.i", "> > 5")
    response = await client.put(f"{BASE}/{key}/versions/1", json={"content": bad}, headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.content.nodes[1].content.rules[0].i"
    bengali = await client.put(
        f"{BASE}/{key}/versions/1", json={"content": bad}, headers={**headers, "Accept-Language": "bn"}
    )
    assert bengali.json()["title"] == "সিদ্ধান্ত মডেলটি সঠিক নয়"
    stored = (await client.get(f"{BASE}/{key}/versions/1", headers=headers)).json()
    assert (stored["content"], stored["revision"]) == (BANDS, 1)
    new_version = await client.post(f"{BASE}/{key}/versions", json={"content": bad}, headers=headers)
    assert new_version.status_code == 422
    assert (await client.get(f"{BASE}/{key}", headers=headers)).json()["latest_version"] == 1


@pytest.mark.parametrize(
    ("expected", "actual", "found"),
    [
        ({"rate": 0.15}, {"rate": 0.15, "code": "VAT-STD-15"}, []),
        ({"rate": 0.15}, {"rate": 0.150}, []),
        ({"days": 7}, {"days": 7.0}, []),
        ({"rate": 0.15}, {"rate": 0.1}, ["$.rate: expected 0.15, got 0.1"]),
        ({"rate": 0.15}, {}, ["$.rate: missing (expected 0.15)"]),
        ({"ok": True}, {"ok": 1}, ["$.ok: expected True, got 1"]),
        ({"n": 1}, {"n": True}, ["$.n: expected 1, got True"]),
        ({"code": "A"}, {"code": "a"}, ["$.code: expected 'A', got 'a'"]),
        ({"x": None}, {"x": None}, []),
        ({"steps": []}, {"steps": []}, []),
        ({"steps": [{"role": "cfo"}]}, {"steps": [{"role": "cfo", "sla_days": 5}]}, []),
        ({"steps": [{"role": "cfo"}]}, {"steps": []}, ["$.steps: expected 1 items, got 0"]),
        (
            {"steps": [{"role": "cfo"}, {"role": "ceo"}]},
            {"steps": [{"role": "ceo"}, {"role": "cfo"}]},
            ["$.steps[0].role: expected 'cfo', got 'ceo'", "$.steps[1].role: expected 'ceo', got 'cfo'"],
        ),
        ({"a": {"b": 1}}, {"a": "b"}, ["$.a: expected an object, got 'b'"]),
        ([1, 2], [1, 2], []),
        ({}, {"anything": 1}, []),
    ],
)
def test_expected_outputs_match_as_subsets(expected, actual, found) -> None:
    assert mismatches(expected, actual) == found


def test_engine_messages_are_one_line_without_backtrace() -> None:
    error = RuntimeError(
        '{"type":"NodeError","source":"Failed to evaluate expression","nodeId":"x"}\n\nStack backtrace:\n  0: foo'
    )
    assert engine_message(error) == "NodeError, node x: Failed to evaluate expression"
    nested = RuntimeError("Invalid JSON\n\nCaused by:\n    nodes[0]: missing field `name`\n\nStack backtrace:\n 0: x")
    assert engine_message(nested) == "Invalid JSON: nodes[0]: missing field `name`"
