"""REST API of the rules engine: ``/api/v1/rules/...`` (thin; logic in service.py).

Routes with fixed words (``templates``, ``evaluations``, ``evaluate/batch``) come before the
``{key}`` routes, and those words can never be rule keys.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from vextrus.kit.db import SessionDep
from vextrus.kit.errors import invalid_field, problem_response
from vextrus.kit.pagination import Page, PageRequest, page_request
from vextrus.kit.security import require
from vextrus.kit.tenancy import Principal
from vextrus.services.rules import evaluation, service
from vextrus.services.rules.engine import RulesRuntime, rules_runtime
from vextrus.services.rules.models import KEY_LENGTH, REFERENCE_LENGTH, TEST_NAME_LENGTH
from vextrus.services.rules.repository import EvaluationFilter
from vextrus.services.rules.schemas import (
    RULE_KEY_PATTERN,
    BatchOut,
    BatchRequest,
    DraftUpdate,
    EvaluateOut,
    EvaluateRequest,
    EvaluationOut,
    Outcome,
    PublishRequest,
    RuleCreate,
    RuleDetail,
    RuleOut,
    RulePatch,
    RuleVersionOut,
    RuleVersionSummary,
    TemplateInstall,
    TemplateInstallOut,
    TemplateList,
    TestCaseIn,
    TestCaseList,
    TestCaseOut,
    TestCaseUpdate,
    TestRunOut,
    TestRunRequest,
    VersionCreate,
)

PREFIX = "/api/v1/rules"
router = APIRouter(prefix=PREFIX, tags=["rules"])

PERMISSIONS = {
    "rules.rule.read": "Read rules, their versions (decision models) and test cases, and the templates",
    "rules.rule.write": "Create rules, edit drafts and test cases, delete unpublished rules",
    "rules.rule.test": "Run a rule's test cases against a version",
    "rules.rule.publish": "Publish a draft version (its test cases must pass)",
    "rules.rule.evaluate": "Evaluate rules (one or a batch)",
    "rules.evaluation.read": "Read the evaluation history",
    "rules.template.install": "Install the rules shipped with Vextrus (VAT, TDS, approvals) for the tenant",
}

KeyPath = Annotated[str, Path(min_length=1, max_length=KEY_LENGTH, pattern=RULE_KEY_PATTERN)]
VersionPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
TestNamePath = Annotated[str, Path(min_length=1, max_length=TEST_NAME_LENGTH)]
IfMatch = Annotated[str | None, Header(max_length=64, description='Expected revision as an entity tag, e.g. "3"')]

_ENTITY_TAG = re.compile(r'^(?:W/)?"?(\d{1,10})"?$')


def _rules(request: Request) -> RulesRuntime:
    return rules_runtime(request.app.state.runtime)


def _expected(if_match: str | None, body_revision: int | None) -> int | None:
    """The revision the client expects, from ``If-Match`` and/or the body (they must agree)."""
    if if_match is None or if_match.strip() == "*":
        return body_revision
    match = _ENTITY_TAG.match(if_match.strip())
    if match is None:
        raise invalid_field(
            "header.if-match", 'must be a revision entity tag such as "3"', '"3"-এর মতো একটি রিভিশন ট্যাগ হতে হবে'
        )
    revision = int(match.group(1))
    if body_revision is not None and body_revision != revision:
        raise invalid_field(
            "header.if-match", "disagrees with body.expected_revision", "body.expected_revision-এর সাথে মেলে না"
        )
    return revision


def _etag(response: Response, revision: int) -> None:
    response.headers["ETag"] = f'"{revision}"'


# --- fixed paths ---------------------------------------------------------------------------------


@router.get("/templates", response_model=TemplateList, summary="Rules shipped with Vextrus and whether installed")
async def list_templates(session: SessionDep, principal: Principal = require("rules.rule.read")) -> TemplateList:
    return TemplateList(items=await service.list_templates(session))


@router.post(
    "/templates/install",
    response_model=TemplateInstallOut,
    summary="Install templates for the tenant (idempotent: existing rules are left as they are)",
)
async def install_templates(
    request: Request,
    session: SessionDep,
    body: TemplateInstall | None = None,
    principal: Principal = require("rules.template.install"),
) -> TemplateInstallOut:
    keys = body.keys if body is not None else None
    items = await service.install_templates(session, _rules(request), keys, actor=principal.subject)
    return TemplateInstallOut(items=items)


@router.get("/evaluations", response_model=Page[EvaluationOut], summary="Evaluation history, newest first")
async def evaluation_history(
    session: SessionDep,
    page: Annotated[PageRequest, Depends(page_request)],
    key: Annotated[str | None, Query(max_length=KEY_LENGTH, pattern=RULE_KEY_PATTERN)] = None,
    version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    outcome: Outcome | None = None,
    reference: Annotated[str | None, Query(min_length=1, max_length=REFERENCE_LENGTH)] = None,
    since: Annotated[dt.datetime | None, Query(description="Evaluated at or after (ISO 8601 with offset)")] = None,
    until: Annotated[dt.datetime | None, Query(description="Evaluated before (ISO 8601 with offset)")] = None,
    principal: Principal = require("rules.evaluation.read"),
) -> Page[EvaluationOut]:
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise invalid_field(f"query.{name}", "must include a UTC offset", "UTC অফসেটসহ হতে হবে")
    where = EvaluationFilter(key=key, version=version, outcome=outcome, reference=reference, since=since, until=until)
    return await evaluation.history(session, page, where)


@router.get("/evaluations/{evaluation_id}", response_model=EvaluationOut, summary="One evaluation")
async def get_evaluation(
    evaluation_id: uuid.UUID, session: SessionDep, principal: Principal = require("rules.evaluation.read")
) -> EvaluationOut:
    return await evaluation.get_evaluation(session, evaluation_id)


@router.post("/evaluate/batch", response_model=BatchOut, summary="Evaluate many decisions at once")
async def evaluate_batch(
    body: BatchRequest, request: Request, session: SessionDep, principal: Principal = require("rules.rule.evaluate")
) -> Response:
    out = await evaluation.evaluate_batch(session, _rules(request), body.items, body.at, actor=principal.subject)
    # Serialised once here: FastAPI would validate the built models again against the response model.
    return JSONResponse(out.model_dump(mode="json"))


# --- rules -------------------------------------------------------------------------------------------


@router.get("", response_model=Page[RuleOut], summary="Rules of the tenant by key")
async def list_rules(
    session: SessionDep,
    page: Annotated[PageRequest, Depends(page_request)],
    prefix: Annotated[str | None, Query(max_length=KEY_LENGTH, description="Only keys starting with this")] = None,
    principal: Principal = require("rules.rule.read"),
) -> Page[RuleOut]:
    return await service.list_rules(session, page, prefix)


@router.post("", response_model=RuleDetail, status_code=201, summary="Create a rule with its first (draft) version")
async def create_rule(
    body: RuleCreate,
    request: Request,
    session: SessionDep,
    response: Response,
    principal: Principal = require("rules.rule.write"),
) -> RuleDetail:
    rule = await service.create_rule(session, _rules(request), body, actor=principal.subject)
    response.headers["Location"] = f"{PREFIX}/{rule.key}"
    _etag(response, rule.revision)
    return await service.rule_detail(session, rule)


@router.get("/{key}", response_model=RuleDetail, summary="A rule with its versions")
async def get_rule(
    key: KeyPath, session: SessionDep, response: Response, principal: Principal = require("rules.rule.read")
) -> RuleDetail:
    rule = await service.get_rule(session, key)
    _etag(response, rule.revision)
    return rule


@router.patch("/{key}", response_model=RuleDetail, summary="Rename or describe a rule")
async def patch_rule(
    key: KeyPath,
    body: RulePatch,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
    principal: Principal = require("rules.rule.write"),
) -> RuleDetail:
    body = body.model_copy(update={"expected_revision": _expected(if_match, body.expected_revision)})
    rule = await service.patch_rule(session, key, body, actor=principal.subject)
    _etag(response, rule.revision)
    return rule


@router.delete("/{key}", status_code=204, summary="Delete a rule that was never published")
async def delete_rule(
    key: KeyPath, session: SessionDep, principal: Principal = require("rules.rule.write")
) -> Response:
    await service.delete_rule(session, key, actor=principal.subject)
    return Response(status_code=204)


@router.post("/{key}/evaluate", response_model=EvaluateOut, summary="Evaluate a rule: context in, result out")
async def evaluate(
    key: KeyPath,
    body: EvaluateRequest,
    request: Request,
    session: SessionDep,
    principal: Principal = require("rules.rule.evaluate"),
) -> Response:
    evaluated = await evaluation.evaluate(session, _rules(request), key, body, actor=principal.subject)
    if evaluated.error is not None:
        # Answered, not raised: the failed evaluation is recorded and committed like any other.
        error = evaluated.error
        return problem_response(
            request, error.status, error.code, error.detail, error.detail_bn, error.errors, error.headers, error.extra
        )
    assert evaluated.out is not None
    return JSONResponse(evaluated.out.model_dump(mode="json", exclude_none=False))


# --- versions ----------------------------------------------------------------------------------------


@router.get("/{key}/versions", response_model=list[RuleVersionSummary], summary="Versions of a rule")
async def list_versions(
    key: KeyPath, session: SessionDep, principal: Principal = require("rules.rule.read")
) -> list[RuleVersionSummary]:
    return await service.list_versions(session, key)


@router.post("/{key}/versions", response_model=RuleVersionOut, status_code=201, summary="Create a draft version")
async def create_version(
    key: KeyPath,
    body: VersionCreate,
    request: Request,
    session: SessionDep,
    response: Response,
    principal: Principal = require("rules.rule.write"),
) -> RuleVersionOut:
    version = await service.create_version(session, _rules(request), key, body, actor=principal.subject)
    response.headers["Location"] = f"{PREFIX}/{key}/versions/{version.version}"
    _etag(response, version.revision)
    return version


@router.get("/{key}/versions/{version}", response_model=RuleVersionOut, summary="A version with its decision model")
async def get_version(
    key: KeyPath,
    version: VersionPath,
    session: SessionDep,
    response: Response,
    principal: Principal = require("rules.rule.read"),
) -> RuleVersionOut:
    found = await service.get_version(session, key, version)
    _etag(response, found.revision)
    return found


@router.put("/{key}/versions/{version}", response_model=RuleVersionOut, summary="Change a draft version")
async def update_draft(
    key: KeyPath,
    version: VersionPath,
    body: DraftUpdate,
    request: Request,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
    principal: Principal = require("rules.rule.write"),
) -> RuleVersionOut:
    body = body.model_copy(update={"expected_revision": _expected(if_match, body.expected_revision)})
    updated = await service.update_draft(session, _rules(request), key, version, body, actor=principal.subject)
    _etag(response, updated.revision)
    return updated


@router.delete("/{key}/versions/{version}", status_code=204, summary="Delete a draft version")
async def delete_draft(
    key: KeyPath, version: VersionPath, session: SessionDep, principal: Principal = require("rules.rule.write")
) -> Response:
    await service.delete_draft(session, key, version, actor=principal.subject)
    return Response(status_code=204)


@router.post(
    "/{key}/versions/{version}/publish",
    response_model=RuleVersionOut,
    summary="Publish a draft (every test case must pass; 422 tests_failed names the failing ones)",
)
async def publish(
    key: KeyPath,
    version: VersionPath,
    request: Request,
    session: SessionDep,
    response: Response,
    body: PublishRequest | None = None,
    if_match: IfMatch = None,
    principal: Principal = require("rules.rule.publish"),
) -> RuleVersionOut:
    body = body or PublishRequest()
    body = body.model_copy(update={"expected_revision": _expected(if_match, body.expected_revision)})
    published = await service.publish(session, _rules(request), key, version, body, actor=principal.subject)
    _etag(response, published.revision)
    return published


# --- test cases -------------------------------------------------------------------------------------


@router.get("/{key}/tests", response_model=TestCaseList, summary="The rule's test cases")
async def list_tests(
    key: KeyPath, session: SessionDep, principal: Principal = require("rules.rule.read")
) -> TestCaseList:
    return TestCaseList(items=await service.list_tests(session, key))


@router.post("/{key}/tests", response_model=TestCaseOut, status_code=201, summary="Add a test case")
async def add_test(
    key: KeyPath, body: TestCaseIn, session: SessionDep, principal: Principal = require("rules.rule.write")
) -> TestCaseOut:
    return await service.add_test(session, key, body, actor=principal.subject)


@router.put("/{key}/tests/{name}", response_model=TestCaseOut, summary="Change a test case")
async def update_test(
    key: KeyPath,
    name: TestNamePath,
    body: TestCaseUpdate,
    session: SessionDep,
    if_match: IfMatch = None,
    principal: Principal = require("rules.rule.write"),
) -> TestCaseOut:
    body = body.model_copy(update={"expected_revision": _expected(if_match, body.expected_revision)})
    return await service.update_test(session, key, name, body, actor=principal.subject)


@router.delete("/{key}/tests/{name}", status_code=204, summary="Delete a test case")
async def delete_test(
    key: KeyPath, name: TestNamePath, session: SessionDep, principal: Principal = require("rules.rule.write")
) -> Response:
    await service.delete_test(session, key, name, actor=principal.subject)
    return Response(status_code=204)


@router.post("/{key}/test", response_model=TestRunOut, summary="Run the test cases against a version")
async def run_tests(
    key: KeyPath,
    request: Request,
    session: SessionDep,
    body: TestRunRequest | None = None,
    principal: Principal = require("rules.rule.test"),
) -> TestRunOut:
    return await service.run_tests(session, _rules(request), key, body.version if body else None)
