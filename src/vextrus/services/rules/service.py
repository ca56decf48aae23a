"""Business logic of the rules engine: rules, versions, test cases, publishing, templates.
(Evaluation and its history are in evaluation.py.)

No HTTP and no SQL here. REST (api.py), GraphQL (graphql.py) and the demo seed call these
functions with a session in one transaction; they flush, the caller's boundary commits. Every
change writes an outbox event in that transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from vextrus.kit.db import after_commit
from vextrus.kit.errors import AppError, FieldError, invalid_field, not_found, register_error_titles
from vextrus.kit.events import record_event
from vextrus.kit.models import utcnow
from vextrus.kit.pagination import Page, PageRequest
from vextrus.services.rules import metrics
from vextrus.services.rules.engine import DecisionEngine, ModelLoadError, RulesRuntime, cache_key
from vextrus.services.rules.events import (
    RULE_CREATED,
    RULE_PUBLISHED,
    RULE_UPDATED,
    RuleCreated,
    RulePublished,
    RuleUpdated,
)
from vextrus.services.rules.jdm import canonical_json, validate_model
from vextrus.services.rules.matching import mismatches
from vextrus.services.rules.models import (
    STATUS_DRAFT,
    STATUS_PUBLISHED,
    STATUS_SUPERSEDED,
    Rule,
    RuleTestCase,
    RuleVersion,
)
from vextrus.services.rules.repository import (
    RuleRepository,
    TestCaseRepository,
    VersionRef,
    VersionRepository,
)
from vextrus.services.rules.schemas import (
    DraftUpdate,
    PublishRequest,
    RuleCreate,
    RuleDetail,
    RuleOut,
    RulePatch,
    RuleVersionOut,
    RuleVersionSummary,
    TemplateInstallResult,
    TemplateOut,
    TestCaseIn,
    TestCaseOut,
    TestCaseResult,
    TestCaseUpdate,
    TestRunOut,
    VersionCreate,
)
from vextrus.services.rules.settings import RulesSettings
from vextrus.services.rules.templates import Template, templates

if TYPE_CHECKING:
    pass

log = structlog.get_logger("vextrus.rules")

register_error_titles(
    {
        "rule_exists": {"en": "The rule already exists", "bn": "নিয়মটি আগে থেকেই আছে"},
        "invalid_model": {"en": "The decision model is not valid", "bn": "সিদ্ধান্ত মডেলটি সঠিক নয়"},
        "version_not_draft": {"en": "Only a draft version can change", "bn": "শুধু খসড়া সংস্করণ পরিবর্তন করা যায়"},
        "no_effective_version": {
            "en": "The rule has no version in effect",
            "bn": "নিয়মটির কোনো কার্যকর সংস্করণ নেই",
        },
        "tests_failed": {"en": "Test cases failed", "bn": "পরীক্ষার কেস ব্যর্থ হয়েছে"},
        "no_test_cases": {"en": "The rule has no test cases", "bn": "নিয়মটির কোনো পরীক্ষার কেস নেই"},
        "rule_published": {"en": "The rule has been published", "bn": "নিয়মটি প্রকাশিত হয়েছে"},
        "evaluation_failed": {"en": "The decision could not be evaluated", "bn": "সিদ্ধান্তটি মূল্যায়ন করা যায়নি"},
        "test_exists": {"en": "The test case already exists", "bn": "পরীক্ষার কেসটি আগে থেকেই আছে"},
    }
)

# --- helpers ------------------------------------------------------------------------------------


def dump_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def load_json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _rule_not_found(key: str) -> AppError:
    return not_found("Rule", key, "নিয়ম")


def version_not_found(key: str, number: int) -> AppError:
    return AppError(404, "not_found", f"Rule {key} has no version {number}", f"নিয়ম {key}-এর সংস্করণ {number} পাওয়া যায়নি")


def _conflict(what: str, current: int) -> AppError:
    return AppError(
        409,
        "version_conflict",
        f"{what} is at revision {current}; reload it and apply your change again",
        f"{what} এখন রিভিশন {current}-এ আছে; আবার লোড করে পরিবর্তনটি করুন",
        extra={"current_revision": current},
    )


def _check_revision(what: str, expected: int | None, current: int) -> None:
    if expected is not None and expected != current:
        raise _conflict(what, current)


async def _flush(session: AsyncSession, what: str, current: int) -> None:
    """Flush; a concurrent writer that got there first (stale revision, duplicate) is a 409."""
    try:
        await session.flush()
    except (StaleDataError, IntegrityError):
        raise _conflict(what, current) from None


def _json_size(value: Any) -> int:
    return len(dump_json(value).encode())


def checked_model(content: Any, settings: RulesSettings, field: str = "body.content") -> tuple[str, str]:
    """The stored text and hash of a valid JDM document; 422 ``invalid_model`` naming each problem."""
    text = canonical_json(content)
    if len(text.encode()) > settings.max_model_bytes:
        raise invalid_field(
            field,
            f"the decision model is larger than {settings.max_model_bytes} bytes",
            f"সিদ্ধান্ত মডেলটি {settings.max_model_bytes} বাইটের চেয়ে বড়",
            code="too_large",
        )
    problems = validate_model(content)
    if problems:
        errors = [
            FieldError(
                f"{field}.{item.path}" if item.path else field,
                item.code,
                item.reason,
                f"মডেলে সমস্যা: {item.reason}",
            )
            for item in problems
        ]
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise AppError(
            422,
            "invalid_model",
            f"{first.field}: {first.reason}{more}",
            f"{first.field}: {first.reason_bn}{more}",
            errors=errors,
        )
    return text, hashlib.sha256(text.encode()).hexdigest()


def _summary(version: RuleVersion) -> RuleVersionSummary:
    return RuleVersionSummary(
        version=version.number,
        status=version.status,
        content_hash=version.content_hash,
        comment=version.comment,
        effective_from=version.effective_from,
        effective_to=version.effective_to,
        published_at=version.published_at,
        published_by=version.published_by,
        revision=version.revision,
        created_at=version.created_at,
        updated_at=version.updated_at,
    )


def _version_out(rule: Rule, version: RuleVersion) -> RuleVersionOut:
    return RuleVersionOut(key=rule.key, content=json.loads(version.content), **_summary(version).model_dump())


def rule_out(rule: Rule) -> RuleOut:
    return RuleOut(
        id=rule.id,
        key=rule.key,
        name=rule.name,
        description=rule.description,
        source=rule.source,
        latest_version=rule.latest_version,
        published_version=rule.published_version,
        revision=rule.revision,
        created_at=rule.created_at,
        updated_at=rule.updated_at,
    )


async def rule_or_404(session: AsyncSession, key: str, *, for_update: bool = False) -> Rule:
    rule = await RuleRepository(session).by_key(key, for_update=for_update)
    if rule is None:
        raise _rule_not_found(key)
    return rule


async def _version_or_404(session: AsyncSession, rule: Rule, number: int) -> RuleVersion:
    version = await VersionRepository(session).number(rule.id, number)
    if version is None:
        raise version_not_found(rule.key, number)
    return version


def _updated_event(
    session: AsyncSession,
    rule: Rule,
    change: str,
    actor: uuid.UUID | None,
    *,
    version: int | None = None,
    test: str | None = None,
) -> None:
    record_event(
        session,
        RULE_UPDATED,
        RuleUpdated(
            tenant_id=rule.tenant_id,
            rule_id=rule.id,
            key=rule.key,
            change=change,
            version=version,
            test=test,
            actor=actor,
        ),
        subject=rule.id,
        actor=str(actor) if actor else None,
    )


# --- rules ----------------------------------------------------------------------------------------


async def rule_details(session: AsyncSession, rules: Sequence[Rule]) -> list[RuleDetail]:
    """Rules with their versions and test counts (two queries, whatever the number of rules)."""
    ids = [rule.id for rule in rules]
    versions = await VersionRepository(session).of_rules(ids)
    tests = await TestCaseRepository(session).counts(ids)
    return [
        RuleDetail(
            **rule_out(rule).model_dump(),
            versions=[_summary(item) for item in versions[rule.id]],
            test_count=tests[rule.id],
        )
        for rule in rules
    ]


async def rule_detail(session: AsyncSession, rule: Rule) -> RuleDetail:
    return (await rule_details(session, [rule]))[0]


async def list_rule_details(
    session: AsyncSession, page: PageRequest, prefix: str | None = None
) -> tuple[list[RuleDetail], str | None]:
    rules = await RuleRepository(session).page(page, prefix=prefix)
    return await rule_details(session, rules.items), rules.next_cursor


async def list_rules(session: AsyncSession, page: PageRequest, prefix: str | None = None) -> Page[RuleOut]:
    rules = await RuleRepository(session).page(page, prefix=prefix)
    return Page[RuleOut](items=[rule_out(rule) for rule in rules.items], next_cursor=rules.next_cursor)


async def get_rule(session: AsyncSession, key: str) -> RuleDetail:
    return await rule_detail(session, await rule_or_404(session, key))


async def get_rule_by_id(session: AsyncSession, rule_id: uuid.UUID) -> Rule | None:
    return await RuleRepository(session).get(rule_id)


def _rule_exists(key: str) -> AppError:
    return AppError(
        409,
        "rule_exists",
        f"A rule with key {key} already exists",
        f"{key} কী-এর একটি নিয়ম আগে থেকেই আছে",
        errors=[FieldError("body.key", "duplicate", "already exists", "আগে থেকেই আছে")],
    )


async def create_rule(
    session: AsyncSession,
    rules: RulesRuntime,
    data: RuleCreate,
    *,
    actor: uuid.UUID | None = None,
    source: str = "custom",
) -> Rule:
    """A new rule with its first version as a draft (and its test cases)."""
    text, digest = checked_model(data.content, rules.settings)
    _check_unique_test_names(data.tests)
    repository = RuleRepository(session)
    if await repository.by_key(data.key) is not None:
        raise _rule_exists(data.key)
    rule = repository.add(
        Rule(
            key=data.key,
            name=data.name,
            description=data.description,
            source=source,
            latest_version=1,
            created_by=actor,
            updated_by=actor,
        )
    )
    try:
        await session.flush()
    except IntegrityError:
        raise _rule_exists(data.key) from None
    VersionRepository(session).add(
        RuleVersion(
            rule_id=rule.id,
            number=1,
            status=STATUS_DRAFT,
            content=text,
            content_hash=digest,
            comment=data.comment,
            created_by=actor,
            updated_by=actor,
        )
    )
    tests = TestCaseRepository(session)
    for case in data.tests:
        tests.add(_test_row(rule, case, actor))
    await session.flush()
    record_event(
        session,
        RULE_CREATED,
        RuleCreated(
            tenant_id=rule.tenant_id,
            rule_id=rule.id,
            key=rule.key,
            name=rule.name,
            source=source,
            version=1,
            actor=actor,
        ),
        subject=rule.id,
        actor=str(actor) if actor else None,
    )
    return rule


async def patch_rule(
    session: AsyncSession, key: str, patch: RulePatch, *, actor: uuid.UUID | None = None
) -> RuleDetail:
    given = patch.model_fields_set - {"expected_revision"}
    if "name" in given and patch.name is None:
        raise invalid_field("body.name", "must not be null", "ফাঁকা (null) হতে পারে না")
    rule = await rule_or_404(session, key)
    _check_revision(f"Rule {key}", patch.expected_revision, rule.revision)
    changed = False
    for name in ("name", "description"):
        if name in given and getattr(rule, name) != getattr(patch, name):
            setattr(rule, name, getattr(patch, name))
            changed = True
    if changed:
        current = rule.revision
        rule.updated_by = actor
        await _flush(session, f"Rule {key}", current)
        _updated_event(session, rule, "metadata", actor)
    return await rule_detail(session, rule)


async def delete_rule(session: AsyncSession, key: str, *, actor: uuid.UUID | None = None) -> None:
    """Delete a rule that was never published (its evaluation history, if any, stays)."""
    rule = await rule_or_404(session, key, for_update=True)
    if await VersionRepository(session).ever_published(rule.id):
        raise AppError(
            409,
            "rule_published",
            f"Rule {key} has been published and other documents may rely on it; it cannot be deleted",
            f"নিয়ম {key} প্রকাশিত হয়েছে এবং অন্য নথি এর উপর নির্ভর করতে পারে; এটি মোছা যাবে না",
        )
    _updated_event(session, rule, "deleted", actor)
    await RuleRepository(session).delete(rule)
    await session.flush()


# --- versions ------------------------------------------------------------------------------------


async def list_versions(session: AsyncSession, key: str) -> list[RuleVersionSummary]:
    rule = await rule_or_404(session, key)
    return [_summary(item) for item in await VersionRepository(session).of_rule(rule.id)]


async def get_version(session: AsyncSession, key: str, number: int) -> RuleVersionOut:
    rule = await rule_or_404(session, key)
    return _version_out(rule, await _version_or_404(session, rule, number))


async def create_version(
    session: AsyncSession, rules: RulesRuntime, key: str, data: VersionCreate, *, actor: uuid.UUID | None = None
) -> RuleVersionOut:
    """A new draft: the given document, or a copy of ``from_version`` (default: the latest)."""
    rule = await rule_or_404(session, key, for_update=True)
    versions = VersionRepository(session)
    if data.content is not None:
        if data.from_version is not None:
            raise invalid_field(
                "body.from_version", "give either content or from_version", "content অথবা from_version দিন"
            )
        text, digest = checked_model(data.content, rules.settings)
    else:
        source = (
            await _version_or_404(session, rule, data.from_version)
            if data.from_version is not None
            else await versions.latest(rule.id)
        )
        if source is None:  # pragma: no cover - a rule always has its first version
            raise version_not_found(key, 1)
        text, digest = source.content, source.content_hash
    current = rule.revision
    rule.latest_version += 1
    rule.updated_by = actor
    await _flush(session, f"Rule {key}", current)
    version = versions.add(
        RuleVersion(
            rule_id=rule.id,
            number=rule.latest_version,
            status=STATUS_DRAFT,
            content=text,
            content_hash=digest,
            comment=data.comment,
            created_by=actor,
            updated_by=actor,
        )
    )
    await _flush(session, f"Rule {key}", current)
    _updated_event(session, rule, "version_created", actor, version=version.number)
    return _version_out(rule, version)


def _not_draft(key: str, version: RuleVersion) -> AppError:
    return AppError(
        409,
        "version_not_draft",
        f"Version {version.number} of {key} is {version.status}; create a new version to change it",
        f"{key}-এর সংস্করণ {version.number} এখন {version.status}; পরিবর্তনের জন্য নতুন সংস্করণ তৈরি করুন",
        extra={"status": version.status},
    )


async def update_draft(
    session: AsyncSession,
    rules: RulesRuntime,
    key: str,
    number: int,
    data: DraftUpdate,
    *,
    actor: uuid.UUID | None = None,
) -> RuleVersionOut:
    rule = await rule_or_404(session, key)
    version = await _version_or_404(session, rule, number)
    if version.status != STATUS_DRAFT:
        raise _not_draft(key, version)
    _check_revision(f"Version {number} of {key}", data.expected_revision, version.revision)
    text, digest = checked_model(data.content, rules.settings)
    changed = digest != version.content_hash or ("comment" in data.model_fields_set and data.comment != version.comment)
    if changed:
        current = version.revision
        version.content, version.content_hash = text, digest
        if "comment" in data.model_fields_set:
            version.comment = data.comment
        version.updated_by = actor
        await _flush(session, f"Version {number} of {key}", current)
        _updated_event(session, rule, "draft_updated", actor, version=number)
    return _version_out(rule, version)


async def delete_draft(session: AsyncSession, key: str, number: int, *, actor: uuid.UUID | None = None) -> None:
    rule = await rule_or_404(session, key)
    versions = VersionRepository(session)
    version = await _version_or_404(session, rule, number)
    if version.status != STATUS_DRAFT:
        raise _not_draft(key, version)
    if len(await versions.of_rule(rule.id)) == 1:
        raise AppError(
            409,
            "conflict",
            f"Version {number} is the only version of {key}; delete the rule instead",
            f"সংস্করণ {number} হলো {key}-এর একমাত্র সংস্করণ; পরিবর্তে নিয়মটি মুছুন",
        )
    await versions.delete(version)
    await session.flush()
    _updated_event(session, rule, "draft_deleted", actor, version=number)


# --- publishing -----------------------------------------------------------------------------------


async def publish(
    session: AsyncSession,
    rules: RulesRuntime,
    key: str,
    number: int,
    data: PublishRequest,
    *,
    actor: uuid.UUID | None = None,
    now: dt.datetime | None = None,
) -> RuleVersionOut:
    """Publish a draft once every stored test case passes against it.

    The version becomes effective at ``effective_from`` (default now); the previously published
    version is superseded and stays effective until then, so "one published version at a time"
    holds while evaluations as of a past date still find the version in effect then.
    """
    rule = await rule_or_404(session, key, for_update=True)
    now = now or utcnow()  # read after the rule is locked: concurrent publishers stay in order
    versions = VersionRepository(session)
    version = await _version_or_404(session, rule, number)
    if version.status != STATUS_DRAFT:
        raise _not_draft(key, version)
    _check_revision(f"Version {number} of {key}", data.expected_revision, version.revision)
    effective_from = data.effective_from.astimezone(dt.UTC) if data.effective_from else now
    effective_to = data.effective_to.astimezone(dt.UTC) if data.effective_to else None
    if effective_to is not None and effective_to <= effective_from:
        raise invalid_field(
            "body.effective_to", "must be after effective_from", "effective_from-এর পরে হতে হবে", code="window"
        )
    current = await versions.published(rule.id)
    if current is not None and current.effective_from is not None and effective_from < current.effective_from:
        raise invalid_field(
            "body.effective_from",
            f"must not be before {current.effective_from.isoformat()}, when published version "
            f"{current.number} took effect",
            f"প্রকাশিত সংস্করণ {current.number} কার্যকর হওয়ার সময় {current.effective_from.isoformat()}-এর আগে হতে পারে না",
            code="before_published",
        )
    run = await _run_tests(session, rules, rule, version)
    if run.total == 0:
        metrics.PUBLICATIONS.labels("tests_failed").inc()
        raise AppError(
            422,
            "no_test_cases",
            f"Rule {key} has no test cases; add at least one (POST .../tests) before publishing",
            f"নিয়ম {key}-এর কোনো পরীক্ষার কেস নেই; প্রকাশের আগে অন্তত একটি যোগ করুন",
        )
    if not run.passed:
        metrics.PUBLICATIONS.labels("tests_failed").inc()
        failing = [item.name for item in run.results if not item.passed]
        raise AppError(
            422,
            "tests_failed",
            f"Version {number} of {key} fails {len(failing)} of {run.total} test cases: {', '.join(failing)}",
            f"{key}-এর সংস্করণ {number} {run.total}টির মধ্যে {len(failing)}টি পরীক্ষায় ব্যর্থ: {', '.join(failing)}",
            errors=[
                FieldError(f"tests.{item.name}", "failed", _failure(item), f"ব্যর্থ: {_failure(item)}")
                for item in run.results
                if not item.passed
            ],
            extra={"failed_cases": failing, "results": [item.model_dump(mode="json") for item in run.results]},
        )
    previous = current.number if current is not None else None
    if current is not None:
        current.status = STATUS_SUPERSEDED
        if current.effective_to is None or current.effective_to > effective_from:
            current.effective_to = effective_from
        await _flush(session, f"Rule {key}", rule.revision)
    version.status = STATUS_PUBLISHED
    version.effective_from = effective_from
    version.effective_to = effective_to
    version.published_at = now
    version.published_by = actor
    version.updated_by = actor
    rule.published_version = number
    rule.updated_by = actor
    await _flush(session, f"Rule {key}", rule.revision)
    record_event(
        session,
        RULE_PUBLISHED,
        RulePublished(
            tenant_id=rule.tenant_id,
            rule_id=rule.id,
            key=key,
            version=number,
            previous_version=previous,
            effective_from=effective_from,
            effective_to=effective_to,
            content_hash=version.content_hash,
            actor=actor,
        ),
        subject=rule.id,
        actor=str(actor) if actor else None,
    )
    after_commit(session, metrics.PUBLICATIONS.labels("published").inc)
    return _version_out(rule, version)


def _failure(result: TestCaseResult) -> str:
    if result.error:
        return result.error
    return "; ".join(result.mismatches[:5]) + (" ..." if len(result.mismatches) > 5 else "")


# --- test cases ------------------------------------------------------------------------------------


def _check_unique_test_names(cases: Sequence[TestCaseIn]) -> None:
    seen: set[str] = set()
    for index, case in enumerate(cases):
        if case.name in seen:
            raise invalid_field(f"body.tests.{index}.name", "is used twice", "দুইবার ব্যবহৃত হয়েছে", code="duplicate")
        seen.add(case.name)


def _test_row(rule: Rule, case: TestCaseIn, actor: uuid.UUID | None) -> RuleTestCase:
    return RuleTestCase(
        rule_id=rule.id,
        name=case.name,
        description=case.description,
        input=dump_json(case.input),
        expected=dump_json(case.expected),
        updated_by=actor,
    )


def _test_out(row: RuleTestCase) -> TestCaseOut:
    return TestCaseOut(
        name=row.name,
        description=row.description,
        input=json.loads(row.input),
        expected=json.loads(row.expected),
        revision=row.revision,
        updated_at=row.updated_at,
    )


async def list_tests(session: AsyncSession, key: str) -> list[TestCaseOut]:
    rule = await rule_or_404(session, key)
    return [_test_out(row) for row in await TestCaseRepository(session).of_rule(rule.id)]


def _test_not_found(key: str, name: str) -> AppError:
    return AppError(
        404, "not_found", f"Rule {key} has no test case {name!r}", f"নিয়ম {key}-এর পরীক্ষার কেস {name!r} পাওয়া যায়নি"
    )


async def add_test(session: AsyncSession, key: str, case: TestCaseIn, *, actor: uuid.UUID | None = None) -> TestCaseOut:
    rule = await rule_or_404(session, key)
    tests = TestCaseRepository(session)
    exists = AppError(
        409,
        "test_exists",
        f"Rule {key} already has a test case {case.name!r}",
        f"নিয়ম {key}-এর {case.name!r} পরীক্ষার কেস আগে থেকেই আছে",
    )
    if await tests.by_name(rule.id, case.name) is not None:
        raise exists
    row = tests.add(_test_row(rule, case, actor))
    try:
        await session.flush()
    except IntegrityError:
        raise exists from None
    _updated_event(session, rule, "test_added", actor, test=case.name)
    return _test_out(row)


async def update_test(
    session: AsyncSession, key: str, name: str, data: TestCaseUpdate, *, actor: uuid.UUID | None = None
) -> TestCaseOut:
    rule = await rule_or_404(session, key)
    row = await TestCaseRepository(session).by_name(rule.id, name)
    if row is None:
        raise _test_not_found(key, name)
    _check_revision(f"Test case {name}", data.expected_revision, row.revision)
    current = row.revision
    wanted = {"description": data.description, "input": dump_json(data.input), "expected": dump_json(data.expected)}
    if any(getattr(row, field) != value for field, value in wanted.items()):
        for field, value in wanted.items():
            setattr(row, field, value)
        row.updated_by = actor
        await _flush(session, f"Test case {name}", current)
        _updated_event(session, rule, "test_updated", actor, test=name)
    return _test_out(row)


async def delete_test(session: AsyncSession, key: str, name: str, *, actor: uuid.UUID | None = None) -> None:
    rule = await rule_or_404(session, key)
    tests = TestCaseRepository(session)
    row = await tests.by_name(rule.id, name)
    if row is None:
        raise _test_not_found(key, name)
    await tests.delete(row)
    await session.flush()
    _updated_event(session, rule, "test_deleted", actor, test=name)


async def ensure_loaded(session: AsyncSession, engine: DecisionEngine, tenant: uuid.UUID, ref: VersionRef) -> str:
    """The engine key of a version, compiling it from the database when not in memory."""
    key = cache_key(tenant, ref.key, ref.number, ref.content_hash)
    if not engine.has(key):
        content = await VersionRepository(session).content(ref.id)
        if content is None:  # pragma: no cover - the row was read a moment ago in this transaction
            raise version_not_found(ref.key, ref.number)
        try:
            engine.put(key, content)
        except ModelLoadError as error:
            raise AppError(
                422,
                "evaluation_failed",
                f"Rule {ref.key} version {ref.number} cannot be loaded by the engine: {error}",
                f"নিয়ম {ref.key} সংস্করণ {ref.number} ইঞ্জিনে লোড করা যায়নি: {error}",
            ) from None
    return key


async def _run_tests(session: AsyncSession, rules: RulesRuntime, rule: Rule, version: RuleVersion) -> TestRunOut:
    ref = VersionRef(version.id, rule.id, rule.key, version.number, version.content_hash)
    engine_key = await ensure_loaded(session, rules.engine, rule.tenant_id, ref)
    cases = await TestCaseRepository(session).of_rule(rule.id)
    decisions = await rules.engine.evaluate_many(
        [(engine_key, json.loads(case.input)) for case in cases], rules.settings.batch_concurrency
    )
    results = []
    for case, decision in zip(cases, decisions, strict=True):
        expected = json.loads(case.expected)
        if not decision.ok:
            results.append(TestCaseResult(name=case.name, passed=False, expected=expected, error=decision.error))
            continue
        found = mismatches(expected, decision.output)
        results.append(
            TestCaseResult(
                name=case.name, passed=not found, expected=expected, actual=decision.output, mismatches=found
            )
        )
    failed = sum(1 for item in results if not item.passed)
    return TestRunOut(
        key=rule.key, version=version.number, passed=failed == 0, total=len(results), failed=failed, results=results
    )


async def run_tests(session: AsyncSession, rules: RulesRuntime, key: str, number: int | None = None) -> TestRunOut:
    """Run the rule's stored test cases against a version (default: the latest)."""
    rule = await rule_or_404(session, key)
    version = await _version_or_404(session, rule, number if number is not None else rule.latest_version)
    return await _run_tests(session, rules, rule, version)


# --- templates ------------------------------------------------------------------------------------


async def list_templates(session: AsyncSession) -> list[TemplateOut]:
    available = templates()
    installed = await RuleRepository(session).keys(list(available))
    return [
        TemplateOut(
            key=item.key,
            name=item.name,
            name_bn=item.name_bn,
            description=item.description,
            test_count=len(item.tests),
            installed=item.key in installed,
        )
        for item in available.values()
    ]


async def install_template(
    session: AsyncSession, rules: RulesRuntime, template: Template, *, actor: uuid.UUID | None = None
) -> TemplateInstallResult:
    """Install one template for the current tenant: created, tested and published; or left alone."""
    existing = await RuleRepository(session).by_key(template.key)
    if existing is not None:
        return TemplateInstallResult(key=template.key, status="exists", version=existing.published_version)
    data = RuleCreate(
        key=template.key,
        name=template.name,
        description=template.description,
        content=template.content,
        comment="Installed from the Vextrus template",
        tests=[
            TestCaseIn(name=case.name, description=case.description, input=case.input, expected=case.expected)
            for case in template.tests
        ],
    )
    await create_rule(session, rules, data, actor=actor, source="template")
    version = await publish(
        session, rules, template.key, 1, PublishRequest(effective_from=template.effective_from), actor=actor
    )
    return TemplateInstallResult(key=template.key, status="installed", version=version.version)


async def install_templates(
    session: AsyncSession, rules: RulesRuntime, keys: Sequence[str] | None = None, *, actor: uuid.UUID | None = None
) -> list[TemplateInstallResult]:
    available = templates()
    wanted = list(dict.fromkeys(keys)) if keys is not None else list(available)
    for index, key in enumerate(wanted):
        if key not in available:
            raise invalid_field(
                f"body.keys.{index}",
                f"no template {key!r}; known: {', '.join(available)}",
                f"{key!r} নামে কোনো টেমপ্লেট নেই",
                code="unknown_template",
            )
    return [await install_template(session, rules, available[key], actor=actor) for key in wanted]
