"""GraphQL part of the configuration service (Strawberry). Resolvers call the same service
functions as REST; every field checks its permission and runs in one transaction."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from vextrus.kit.errors import not_found
from vextrus.kit.graphql import GraphQLContext
from vextrus.kit.pagination import MAX_LIMIT, PageRequest
from vextrus.services.configuration import service
from vextrus.services.configuration.schemas import FLAG_KEY_PATTERN, FlagEvaluationOut, FlagOut

ContextInfo = Info[GraphQLContext, None]
_FLAG_KEY = re.compile(FLAG_KEY_PATTERN)


@strawberry.type(description="A tenant setting: the tenant's value over the catalogue default")
class ConfigSetting:
    key: str
    value: JSON
    default_value: JSON
    source: str = strawberry.field(description="`tenant` or `default`")
    version: int
    updated_at: dt.datetime | None
    updated_by: uuid.UUID | None

    @classmethod
    def from_json(cls, item: service.SettingJson) -> ConfigSetting:
        return cls(
            key=item["key"],
            value=item["value"],
            default_value=item["default"],
            source=item["source"],
            version=item["version"],
            updated_at=dt.datetime.fromisoformat(item["updated_at"]) if item["updated_at"] else None,
            updated_by=uuid.UUID(item["updated_by"]) if item["updated_by"] else None,
        )


@strawberry.type(description="One entry of the settings catalogue")
class ConfigSettingDefinition:
    key: str
    group: str
    type: str
    default_value: JSON
    choices: list[str] | None
    label_en: str
    label_bn: str
    description_en: str
    description_bn: str


@strawberry.type(description="A feature flag's state for the current tenant (or one user in it)")
class FlagEvaluation:
    key: str
    enabled: bool
    reason: str = strawberry.field(description="override, disabled, rollout or not_in_rollout")
    bucket: int | None
    subject: str | None

    @classmethod
    def from_out(cls, item: FlagEvaluationOut) -> FlagEvaluation:
        return cls(key=item.key, enabled=item.enabled, reason=item.reason, bucket=item.bucket, subject=item.subject)


@strawberry.type(description="A platform-wide feature flag with this tenant's override and state")
class FeatureFlag:
    key: str
    description: str
    description_bn: str | None
    enabled: bool
    rollout_percentage: int
    version: int
    updated_at: dt.datetime
    override: bool | None
    evaluation: FlagEvaluation

    @classmethod
    def from_out(cls, item: FlagOut) -> FeatureFlag:
        return cls(
            key=item.key,
            description=item.description,
            description_bn=item.description_bn,
            enabled=item.enabled,
            rollout_percentage=item.rollout_percentage,
            version=item.version,
            updated_at=item.updated_at,
            override=item.override,
            evaluation=FlagEvaluation.from_out(item.evaluation),
        )


@strawberry.type
class FeatureFlagPage:
    items: list[FeatureFlag]
    next_cursor: str | None


def _flag_key(key: str) -> str:
    if len(key) > 100 or not _FLAG_KEY.match(key):
        raise not_found("Feature flag", key, "ফিচার ফ্ল্যাগ")
    return key


# --- resolvers (module functions, bound to fields below) ---------------------------------------


async def configuration_settings(info: ContextInfo) -> list[ConfigSetting]:
    info.context.require("configuration.setting.read")
    settings = await service.effective_settings(info.context.runtime.cache, info.context.transaction)
    return [ConfigSetting.from_json(item) for item in settings.values()]


async def configuration_setting(info: ContextInfo, key: str) -> ConfigSetting:
    info.context.require("configuration.setting.read")
    item = await service.effective_setting(info.context.runtime.cache, info.context.transaction, key)
    return ConfigSetting.from_json(item)


def configuration_schema(info: ContextInfo) -> list[ConfigSettingDefinition]:
    info.context.require("configuration.setting.read")
    return [
        ConfigSettingDefinition(
            key=item.key,
            group=item.group,
            type=item.type,
            default_value=item.default,
            choices=item.choices,
            label_en=item.label.en,
            label_bn=item.label.bn,
            description_en=item.description.en,
            description_bn=item.description.bn,
        )
        for item in service.setting_schema()
    ]


async def feature_flags(info: ContextInfo, limit: int = 50, cursor: str | None = None) -> FeatureFlagPage:
    info.context.require("configuration.flag.read")
    page = PageRequest(max(1, min(limit, MAX_LIMIT)), cursor)
    async with info.context.transaction() as session:
        flags = await service.list_flags(session, page)
    return FeatureFlagPage(items=[FeatureFlag.from_out(item) for item in flags.items], next_cursor=flags.next_cursor)


async def feature_flag(info: ContextInfo, key: str) -> FeatureFlag:
    info.context.require("configuration.flag.read")
    async with info.context.transaction() as session:
        return FeatureFlag.from_out(await service.get_flag(session, _flag_key(key)))


async def evaluate_feature_flag(info: ContextInfo, key: str, subject: str | None = None) -> FlagEvaluation:
    info.context.require("configuration.flag.read")
    async with info.context.transaction() as session:
        return FlagEvaluation.from_out(await service.evaluate(session, _flag_key(key), subject))


async def update_configuration_setting(
    info: ContextInfo, key: str, value: JSON, expected_version: int | None = None
) -> ConfigSetting:
    principal = info.context.require("configuration.setting.write")
    async with info.context.transaction() as session:
        item = await service.update_setting(
            session,
            info.context.runtime.cache,
            key,
            value,
            expected_version=expected_version,
            actor=principal.subject,
            field="value",
        )
    return ConfigSetting.from_json(item)


async def reset_configuration_setting(
    info: ContextInfo, key: str, expected_version: int | None = None
) -> ConfigSetting:
    principal = info.context.require("configuration.setting.write")
    async with info.context.transaction() as session:
        item = await service.reset_setting(
            session, info.context.runtime.cache, key, expected_version=expected_version, actor=principal.subject
        )
    return ConfigSetting.from_json(item)


async def set_feature_flag_override(info: ContextInfo, key: str, enabled: bool) -> FeatureFlag:
    principal = info.context.require("configuration.flag.override")
    async with info.context.transaction() as session:
        await service.set_override(session, _flag_key(key), enabled, actor=principal.subject)
        return FeatureFlag.from_out(await service.get_flag(session, key))


async def remove_feature_flag_override(info: ContextInfo, key: str) -> FeatureFlag:
    principal = info.context.require("configuration.flag.override")
    async with info.context.transaction() as session:
        await service.remove_override(session, _flag_key(key), actor=principal.subject)
        return FeatureFlag.from_out(await service.get_flag(session, key))


@strawberry.type
class Query:
    configuration_settings: list[ConfigSetting] = strawberry.field(
        resolver=configuration_settings,
        description="Effective settings of the tenant (needs configuration.setting.read)",
    )
    configuration_setting: ConfigSetting = strawberry.field(
        resolver=configuration_setting, description="One effective setting (needs configuration.setting.read)"
    )
    configuration_schema: list[ConfigSettingDefinition] = strawberry.field(
        resolver=configuration_schema, description="The settings catalogue (needs configuration.setting.read)"
    )
    feature_flags: FeatureFlagPage = strawberry.field(
        resolver=feature_flags, description="Feature flags by key, paged (needs configuration.flag.read)"
    )
    feature_flag: FeatureFlag = strawberry.field(
        resolver=feature_flag, description="One feature flag (needs configuration.flag.read)"
    )
    evaluate_feature_flag: FlagEvaluation = strawberry.field(
        resolver=evaluate_feature_flag,
        description="Evaluate a flag for the tenant or one user in it (needs configuration.flag.read)",
    )


@strawberry.type
class Mutation:
    update_configuration_setting: ConfigSetting = strawberry.mutation(
        resolver=update_configuration_setting,
        description="Set a tenant setting (needs configuration.setting.write)",
    )
    reset_configuration_setting: ConfigSetting = strawberry.mutation(
        resolver=reset_configuration_setting,
        description="Reset a tenant setting to its default (needs configuration.setting.write)",
    )
    set_feature_flag_override: FeatureFlag = strawberry.mutation(
        resolver=set_feature_flag_override,
        description="Turn a flag on or off for the tenant (needs configuration.flag.override)",
    )
    remove_feature_flag_override: FeatureFlag = strawberry.mutation(
        resolver=remove_feature_flag_override,
        description="Remove the tenant's override of a flag (needs configuration.flag.override)",
    )
