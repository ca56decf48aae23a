"""GraphQL: each service's Strawberry parts become a Federation v2 subgraph, and the parts of all
served services merge into one schema at ``/graphql`` (embedded mode).

Resolvers get a :class:`GraphQLContext`: ``ctx.require("perm")`` checks a permission and
``async with ctx.transaction() as session`` runs one atomic unit (one per mutation field).
``AppError`` reaches clients with its code and status in ``extensions``; any other exception is
masked. Depth, token and alias limits always apply; introspection is off in production.
Sensitive fields (cost price, salary) are declared ``field: T | None = sensitive("perm")``: null
for a caller without that permission, whoever may read the rest of the object.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import strawberry
from fastapi import Request
from graphql.error import GraphQLError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)
from strawberry.fastapi import BaseContext, GraphQLRouter
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.tools import merge_types

from vextrus.kit.errors import AppError, Language, negotiate_language
from vextrus.kit.runtime import Runtime
from vextrus.kit.security import authenticate, credentials
from vextrus.kit.service import GraphQLParts
from vextrus.kit.settings import Settings
from vextrus.kit.tenancy import Principal, bind_principal

FEDERATION_VERSION = "2.11"


class HasPermission(BasePermission):
    """Field level: the caller holds one of ``permissions`` (see :func:`sensitive`)."""

    message = "Permission denied"

    def __init__(self, *permissions: str) -> None:
        self.permissions = permissions

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        principal = getattr(info.context, "principal", None)
        return isinstance(principal, Principal) and any(principal.has(item) for item in self.permissions)


def sensitive(*permissions: str) -> Any:
    """A nullable field only callers holding one of ``permissions`` see; for the others it is null
    (no error, so a list of objects still loads). No schema directive: subgraphs must compose."""
    return strawberry.field(
        extensions=[PermissionExtension([HasPermission(*permissions)], use_directives=False, fail_silently=True)]
    )


class GraphQLContext(BaseContext):
    def __init__(self, runtime: Runtime, principal: Principal | None) -> None:
        super().__init__()
        self.runtime = runtime
        self.principal = principal

    def require(self, permission: str) -> Principal:
        if self.principal is None:
            raise AppError(401, "unauthorized", "An access token is required", "একটি অ্যাক্সেস টোকেন প্রয়োজন")
        if not self.principal.has(permission):
            raise AppError(
                403,
                "forbidden",
                f"This action needs the permission '{permission}'",
                f"এই কাজের জন্য '{permission}' অনুমতি প্রয়োজন",
            )
        bind_principal(self.principal)
        return self.principal

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with self.runtime.database.transaction() as session:
            yield session


class ProblemErrors(MaskErrors):
    """AppError keeps its message plus ``extensions.code``/``status``; anything else is masked."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=self._is_internal, error_message="Internal server error")

    @staticmethod
    def _is_internal(error: GraphQLError) -> bool:
        original = error.original_error
        if original is None:
            return False  # syntax and validation errors are the client's and safe to show
        return not isinstance(original, AppError)

    def _language(self) -> Language:
        request = getattr(self.execution_context.context, "request", None)
        headers = getattr(request, "headers", None)
        return negotiate_language(headers.get("accept-language") if headers is not None else None)

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = super()._process_errors(errors)
        language = self._language()
        for error in processed:
            original = error.original_error
            if isinstance(original, AppError):
                detail = original.detail_bn if language == "bn" and original.detail_bn else original.detail
                error.message = detail or original.code
                extensions = dict(error.extensions or {})
                extensions.update({"code": original.code, "status": original.status})
                if original.errors:
                    extensions["errors"] = [item.as_dict(language) for item in original.errors]
                error.extensions = extensions
        return processed


def _extensions(settings: Settings) -> list[Any]:
    """Factories, so each operation gets fresh extension instances."""
    max_depth, max_tokens, max_aliases = (
        settings.graphql_max_depth,
        settings.graphql_max_tokens,
        settings.graphql_max_aliases,
    )
    extensions: list[Any] = [
        lambda: QueryDepthLimiter(max_depth=max_depth),
        lambda: MaxTokensLimiter(max_token_count=max_tokens),
        lambda: MaxAliasesLimiter(max_alias_count=max_aliases),
        ProblemErrors,
    ]
    if settings.is_production:
        extensions.append(DisableIntrospection)
    return extensions


def _merge(name: str, types: Sequence[type]) -> type | None:
    if not types:
        return None
    if len(types) == 1:
        return types[0]
    merged: type = merge_types(name, tuple(types))
    return merged


def build_schema(parts: Sequence[GraphQLParts], settings: Settings) -> strawberry.federation.Schema | None:
    """One federation schema from the parts of the given services (None when none has GraphQL)."""
    query = _merge("Query", [part.query for part in parts if part.query is not None])
    if query is None:
        return None
    mutation = _merge("Mutation", [part.mutation for part in parts if part.mutation is not None])
    types = [item for part in parts for item in part.types]
    return strawberry.federation.Schema(
        query=query,
        mutation=mutation,
        types=types,
        extensions=_extensions(settings),
        federation_version=FEDERATION_VERSION,  # type: ignore[arg-type]
    )


async def _context(request: Request) -> GraphQLContext:
    principal = await authenticate(request) if credentials(request) else None
    return GraphQLContext(request.app.state.runtime, principal)


def graphql_router(schema: strawberry.federation.Schema, settings: Settings) -> GraphQLRouter[Any, Any]:
    return GraphQLRouter(
        schema,
        path="/graphql",
        context_getter=_context,
        graphql_ide=None if settings.is_production else "graphiql",
    )
