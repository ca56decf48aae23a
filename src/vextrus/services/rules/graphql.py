"""GraphQL part of the rules engine (Strawberry, Federation v2).

``Rule`` is a federation entity (key ``id``, shareable, with ``resolve_reference``): other
services import it to reference a rule. Resolvers call the same service functions as REST;
every field checks its permission and runs in one transaction.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any, TypeVar

import strawberry
from pydantic import BaseModel, ValidationError
from strawberry.scalars import JSON
from strawberry.types import Info

from vextrus.kit.errors import AppError, not_found, validation_field_errors
from vextrus.kit.graphql import GraphQLContext
from vextrus.kit.pagination import MAX_LIMIT, PageRequest
from vextrus.services.rules import evaluation, service
from vextrus.services.rules.engine import rules_runtime
from vextrus.services.rules.repository import EvaluationFilter
from vextrus.services.rules.schemas import (
    RULE_KEY_PATTERN,
    EvaluateRequest,
    EvaluationOut,
    PublishRequest,
    RuleDetail,
    RuleVersionSummary,
)

ContextInfo = Info[GraphQLContext, None]
InputModel = TypeVar("InputModel", bound=BaseModel)
_RULE_KEY = re.compile(RULE_KEY_PATTERN)


def _key(key: str) -> str:
    if len(key) > 100 or not _RULE_KEY.match(key):
        raise not_found("Rule", key, "নিয়ম")
    return key


@strawberry.type(description="One version of a rule's decision model")
class RuleVersionInfo:
    version: int
    status: str = strawberry.field(description="draft, published or superseded")
    content_hash: str
    comment: str | None
    effective_from: dt.datetime | None
    effective_to: dt.datetime | None
    published_at: dt.datetime | None
    revision: int

    @classmethod
    def from_summary(cls, item: RuleVersionSummary) -> RuleVersionInfo:
        return cls(
            version=item.version,
            status=item.status,
            content_hash=item.content_hash,
            comment=item.comment,
            effective_from=item.effective_from,
            effective_to=item.effective_to,
            published_at=item.published_at,
            revision=item.revision,
        )


@strawberry.federation.type(keys=["id"], shareable=True, description="A tenant's decision rule (GoRules JDM)")
class Rule:
    id: strawberry.ID
    key: str
    name: str
    description: str | None
    source: str = strawberry.field(description="custom, or template when installed from Vextrus")
    latest_version: int
    published_version: int | None
    revision: int
    updated_at: dt.datetime
    versions: list[RuleVersionInfo]
    test_count: int

    @classmethod
    def from_detail(cls, item: RuleDetail) -> Rule:
        return cls(
            id=strawberry.ID(str(item.id)),
            key=item.key,
            name=item.name,
            description=item.description,
            source=item.source,
            latest_version=item.latest_version,
            published_version=item.published_version,
            revision=item.revision,
            updated_at=item.updated_at,
            versions=[RuleVersionInfo.from_summary(version) for version in item.versions],
            test_count=item.test_count,
        )

    @classmethod
    async def resolve_reference(cls, info: ContextInfo, id: strawberry.ID) -> Rule:
        info.context.require("rules.rule.read")
        try:
            rule_id = uuid.UUID(str(id))
        except ValueError:
            raise not_found("Rule", id, "নিয়ম") from None
        async with info.context.transaction() as session:
            rule = await service.get_rule_by_id(session, rule_id)
            if rule is None:
                raise not_found("Rule", id, "নিয়ম")
            return cls.from_detail(await service.rule_detail(session, rule))


@strawberry.type
class RulePage:
    items: list[Rule]
    next_cursor: str | None


@strawberry.type(description="A recorded evaluation of a rule")
class RuleEvaluation:
    id: strawberry.ID
    key: str
    version: int
    outcome: str = strawberry.field(description="ok or error")
    input: JSON
    output: JSON | None
    error: str | None
    duration_ms: float
    reference: str | None
    evaluated_at: dt.datetime

    @classmethod
    def from_out(cls, item: EvaluationOut) -> RuleEvaluation:
        return cls(
            id=strawberry.ID(str(item.id)),
            key=item.key,
            version=item.version,
            outcome=item.outcome,
            input=item.input,
            output=item.output,
            error=item.error,
            duration_ms=item.duration_ms,
            reference=item.reference,
            evaluated_at=item.evaluated_at,
        )


@strawberry.type
class RuleEvaluationPage:
    items: list[RuleEvaluation]
    next_cursor: str | None


@strawberry.type(description="The result of evaluating a rule")
class RuleEvaluationResult:
    evaluation_id: strawberry.ID
    key: str
    version: int
    result: JSON
    duration_ms: float
    evaluated_at: dt.datetime


@strawberry.type
class RuleTemplateInstallResult:
    key: str
    status: str = strawberry.field(description="installed, or exists when the tenant already has the rule")
    version: int | None


def _validated(model: type[InputModel], data: dict[str, Any]) -> InputModel:
    """Arguments checked by the REST input model; problems answer like REST's 422."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        errors = validation_field_errors(error.errors())
        fields = ", ".join(dict.fromkeys(item.field for item in errors))
        raise AppError(422, "validation_failed", f"Invalid fields: {fields}", f"অবৈধ ঘর: {fields}", errors) from None


def _page(limit: int, cursor: str | None) -> PageRequest:
    return PageRequest(max(1, min(limit, MAX_LIMIT)), cursor)


# --- resolvers -----------------------------------------------------------------------------------


async def rule(info: ContextInfo, key: str) -> Rule:
    info.context.require("rules.rule.read")
    async with info.context.transaction() as session:
        return Rule.from_detail(await service.get_rule(session, _key(key)))


async def rules(info: ContextInfo, prefix: str | None = None, limit: int = 50, cursor: str | None = None) -> RulePage:
    info.context.require("rules.rule.read")
    async with info.context.transaction() as session:
        details, next_cursor = await service.list_rule_details(session, _page(limit, cursor), prefix)
    return RulePage(items=[Rule.from_detail(item) for item in details], next_cursor=next_cursor)


async def rule_evaluations(
    info: ContextInfo,
    key: str | None = None,
    outcome: str | None = None,
    reference: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> RuleEvaluationPage:
    info.context.require("rules.evaluation.read")
    where = EvaluationFilter(key=key, outcome=outcome, reference=reference)
    async with info.context.transaction() as session:
        page = await evaluation.history(session, _page(limit, cursor), where)
    return RuleEvaluationPage(
        items=[RuleEvaluation.from_out(item) for item in page.items], next_cursor=page.next_cursor
    )


async def evaluate_rule(
    info: ContextInfo, key: str, context: JSON, version: int | None = None, reference: str | None = None
) -> RuleEvaluationResult:
    principal = info.context.require("rules.rule.evaluate")
    request = _validated(EvaluateRequest, {"context": context, "version": version, "reference": reference})
    state = rules_runtime(info.context.runtime)
    async with info.context.transaction() as session:
        evaluated = await evaluation.evaluate(session, state, _key(key), request, actor=principal.subject)
    if evaluated.error is not None:  # raised after the commit: the failed evaluation stays recorded
        raise evaluated.error
    assert evaluated.out is not None
    return RuleEvaluationResult(
        evaluation_id=strawberry.ID(str(evaluated.out.evaluation_id)),
        key=evaluated.out.key,
        version=evaluated.out.version,
        result=evaluated.out.result,
        duration_ms=evaluated.out.duration_ms,
        evaluated_at=evaluated.out.evaluated_at,
    )


async def publish_rule_version(
    info: ContextInfo, key: str, version: int, effective_from: dt.datetime | None = None
) -> Rule:
    principal = info.context.require("rules.rule.publish")
    request = _validated(PublishRequest, {"effective_from": effective_from})
    state = rules_runtime(info.context.runtime)
    async with info.context.transaction() as session:
        await service.publish(session, state, _key(key), version, request, actor=principal.subject)
        return Rule.from_detail(await service.get_rule(session, key))


async def install_rule_templates(info: ContextInfo, keys: list[str] | None = None) -> list[RuleTemplateInstallResult]:
    principal = info.context.require("rules.template.install")
    state = rules_runtime(info.context.runtime)
    async with info.context.transaction() as session:
        results = await service.install_templates(session, state, keys, actor=principal.subject)
    return [RuleTemplateInstallResult(key=item.key, status=item.status, version=item.version) for item in results]


@strawberry.type
class Query:
    rule: Rule = strawberry.field(resolver=rule, description="A rule by key (needs rules.rule.read)")
    rules: RulePage = strawberry.field(resolver=rules, description="Rules by key, paged (needs rules.rule.read)")
    rule_evaluations: RuleEvaluationPage = strawberry.field(
        resolver=rule_evaluations, description="Evaluation history, newest first (needs rules.evaluation.read)"
    )


@strawberry.type
class Mutation:
    evaluate_rule: RuleEvaluationResult = strawberry.mutation(
        resolver=evaluate_rule, description="Evaluate a rule with a context (needs rules.rule.evaluate)"
    )
    publish_rule_version: Rule = strawberry.mutation(
        resolver=publish_rule_version,
        description="Publish a draft version; its test cases must pass (needs rules.rule.publish)",
    )
    install_rule_templates: list[RuleTemplateInstallResult] = strawberry.mutation(
        resolver=install_rule_templates,
        description="Install the rules shipped with Vextrus, idempotently (needs rules.template.install)",
    )
