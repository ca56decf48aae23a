"""Errors as problem+json (RFC 9457), in English or Bengali by ``Accept-Language``.

Business code raises :class:`AppError` (or a subclass); the handlers installed by
:func:`install_error_handlers` turn it, FastAPI/Starlette HTTP errors and request validation errors
into ``application/problem+json`` with a stable ``code``. Unexpected exceptions become a 500 whose
body carries no internals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

Language = Literal["en", "bn"]
PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://errors.vextrus.com.bd/"

log = structlog.get_logger("vextrus.errors")

# Stable error codes -> titles. Services add their own codes with `register_error_titles`.
_TITLES: dict[str, dict[Language, str]] = {
    "bad_request": {"en": "Bad request", "bn": "অনুরোধটি সঠিক নয়"},
    "validation_failed": {"en": "Validation failed", "bn": "তথ্য যাচাই ব্যর্থ হয়েছে"},
    "unauthorized": {"en": "Authentication required", "bn": "প্রমাণীকরণ প্রয়োজন"},
    "forbidden": {"en": "Permission denied", "bn": "অনুমতি নেই"},
    "company_required": {"en": "Company required", "bn": "কোম্পানি উল্লেখ করা প্রয়োজন"},
    "company_forbidden": {"en": "Not a member of the company", "bn": "কোম্পানির সদস্য নন"},
    "tenant_isolation": {"en": "Access across tenants refused", "bn": "অন্য প্রতিষ্ঠানের তথ্যে প্রবেশ নিষেধ"},
    "not_found": {"en": "Not found", "bn": "পাওয়া যায়নি"},
    "method_not_allowed": {"en": "Method not allowed", "bn": "এই পদ্ধতি অনুমোদিত নয়"},
    "not_acceptable": {"en": "Not acceptable", "bn": "গ্রহণযোগ্য নয়"},
    "conflict": {"en": "Conflict", "bn": "দ্বন্দ্ব"},
    "version_conflict": {
        "en": "The record was changed by someone else",
        "bn": "রেকর্ডটি অন্য কেউ পরিবর্তন করেছেন",
    },
    "payload_too_large": {"en": "Request body too large", "bn": "অনুরোধের আকার অনেক বড়"},
    "unsupported_media_type": {"en": "Unsupported media type", "bn": "অসমর্থিত মিডিয়া টাইপ"},
    "rate_limited": {"en": "Too many requests", "bn": "অনেক বেশি অনুরোধ"},
    "internal_error": {"en": "Internal server error", "bn": "সার্ভারের অভ্যন্তরীণ ত্রুটি"},
    "service_unavailable": {"en": "Service unavailable", "bn": "সেবাটি এখন পাওয়া যাচ্ছে না"},
    "upstream_timeout": {"en": "Upstream timeout", "bn": "সংশ্লিষ্ট সেবা সময়মতো সাড়া দেয়নি"},
}

_STATUS_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}

# Bengali reasons for pydantic's error types; the English text comes from pydantic itself.
_BN_REASONS: dict[str, str] = {
    "missing": "এই ঘরটি আবশ্যক",
    "extra_forbidden": "এই ঘরটি অনুমোদিত নয়",
    "string_type": "একটি লেখা (string) হতে হবে",
    "string_too_short": "লেখাটি খুব ছোট",
    "string_too_long": "লেখাটি খুব বড়",
    "string_pattern_mismatch": "লেখাটির ধরন সঠিক নয়",
    "int_type": "একটি পূর্ণসংখ্যা হতে হবে",
    "int_parsing": "একটি পূর্ণসংখ্যা হতে হবে",
    "float_type": "একটি সংখ্যা হতে হবে",
    "float_parsing": "একটি সংখ্যা হতে হবে",
    "decimal_parsing": "একটি দশমিক সংখ্যা হতে হবে",
    "decimal_type": "একটি দশমিক সংখ্যা হতে হবে",
    "bool_type": "সত্য/মিথ্যা (true/false) হতে হবে",
    "bool_parsing": "সত্য/মিথ্যা (true/false) হতে হবে",
    "greater_than": "মানটি খুব ছোট",
    "greater_than_equal": "মানটি খুব ছোট",
    "less_than": "মানটি খুব বড়",
    "less_than_equal": "মানটি খুব বড়",
    "literal_error": "অনুমোদিত মানগুলোর একটি হতে হবে",
    "enum": "অনুমোদিত মানগুলোর একটি হতে হবে",
    "uuid_parsing": "একটি বৈধ UUID হতে হবে",
    "uuid_type": "একটি বৈধ UUID হতে হবে",
    "date_parsing": "একটি বৈধ তারিখ হতে হবে",
    "date_from_datetime_parsing": "একটি বৈধ তারিখ হতে হবে",
    "datetime_parsing": "একটি বৈধ তারিখ-সময় হতে হবে",
    "datetime_from_date_parsing": "একটি বৈধ তারিখ-সময় হতে হবে",
    "json_invalid": "JSON সঠিক নয়",
    "model_attributes_type": "একটি অবজেক্ট হতে হবে",
    "dict_type": "একটি অবজেক্ট হতে হবে",
    "list_type": "একটি তালিকা হতে হবে",
    "value_error": "মানটি সঠিক নয়",
    "too_short": "তালিকাটি খুব ছোট",
    "too_long": "তালিকাটি খুব বড়",
}
_BN_FALLBACK_REASON = "মানটি সঠিক নয়"


def register_error_titles(titles: Mapping[str, Mapping[Language, str]]) -> None:
    """Let a service add its own stable error codes with English and Bengali titles."""
    for code, texts in titles.items():
        _TITLES[code] = dict(texts)


def title_for(code: str, language: Language) -> str:
    texts = _TITLES.get(code)
    if texts is None:
        return code.replace("_", " ").capitalize()
    return texts.get(language) or texts["en"]


@dataclass(frozen=True)
class FieldError:
    """One invalid field: its dotted path, a machine code and a reason in each language."""

    field: str
    code: str
    reason: str
    reason_bn: str | None = None

    def as_dict(self, language: Language) -> dict[str, str]:
        reason = self.reason_bn if language == "bn" and self.reason_bn else self.reason
        return {"field": self.field, "code": self.code, "reason": reason}


@dataclass
class AppError(Exception):
    """A failure the client can act on. ``detail``/``detail_bn`` explain this occurrence."""

    status: int
    code: str
    detail: str | None = None
    detail_bn: str | None = None
    errors: Sequence[FieldError] = field(default_factory=tuple)
    headers: Mapping[str, str] | None = None
    extra: Mapping[str, Any] | None = None

    def __str__(self) -> str:
        return f"{self.code}: {self.detail or ''}"


def not_found(what: str, ident: object, what_bn: str | None = None) -> AppError:
    return AppError(
        404,
        "not_found",
        f"{what} {ident} was not found",
        f"{what_bn or what} {ident} পাওয়া যায়নি",
    )


def invalid_field(field_path: str, reason: str, reason_bn: str, code: str = "invalid") -> AppError:
    """A 422 for one field, with the reason in both languages."""
    return AppError(
        422,
        "validation_failed",
        f"{field_path}: {reason}",
        f"{field_path}: {reason_bn}",
        errors=(FieldError(field_path, code, reason, reason_bn),),
    )


def negotiate_language(accept_language: str | None) -> Language:
    """Pick ``bn`` when the client prefers Bengali over English, else ``en`` (RFC 9110 q-values)."""
    if not accept_language:
        return "en"
    best: tuple[float, Language] = (-1.0, "en")
    for position, item in enumerate(accept_language.split(",")):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in ("bn", "en", "*"):
            continue
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                continue
        language: Language = "bn" if primary == "bn" else "en"
        # Earlier entries win ties, as clients list their preference first.
        score = quality - position * 1e-6
        if score > best[0]:
            best = (score, language)
    return best[1]


def problem_response(
    request: Request,
    status: int,
    code: str,
    detail: str | None = None,
    detail_bn: str | None = None,
    errors: Sequence[FieldError] = (),
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> JSONResponse:
    language = negotiate_language(request.headers.get("accept-language"))
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code.replace("_", "-"),
        "title": title_for(code, language),
        "status": status,
        "code": code,
        "instance": request.url.path,
    }
    chosen_detail = detail_bn if language == "bn" and detail_bn else detail
    if chosen_detail:
        body["detail"] = chosen_detail
    if errors:
        body["errors"] = [item.as_dict(language) for item in errors]
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    if extra:
        body.update(extra)
    response_headers = dict(headers or {})
    response_headers["Content-Language"] = language
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=response_headers)


def _field_path(location: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in location)


def validation_field_errors(raw_errors: Sequence[Mapping[str, Any]]) -> list[FieldError]:
    result = []
    for item in raw_errors:
        error_type = str(item.get("type", "value_error"))
        reason = str(item.get("msg", "Invalid value")).removeprefix("Value error, ")
        context = item.get("ctx") or {}
        reason_bn = context.get("reason_bn") if isinstance(context, Mapping) else None
        result.append(
            FieldError(
                field=_field_path(item.get("loc", ())),
                code=error_type,
                reason=reason,
                reason_bn=str(reason_bn) if reason_bn else _BN_REASONS.get(error_type, _BN_FALLBACK_REASON),
            )
        )
    return result


async def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return problem_response(
        request, exc.status, exc.code, exc.detail, exc.detail_bn, exc.errors, exc.headers, exc.extra
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = validation_field_errors(exc.errors())
    # An unparsable JSON body is a 400 (the request is malformed), everything else a 422.
    if any(item.code == "json_invalid" for item in errors):
        return problem_response(
            request,
            400,
            "bad_request",
            "The request body is not valid JSON",
            "অনুরোধের JSON সঠিক নয়",
            errors,
        )
    fields = ", ".join(dict.fromkeys(item.field for item in errors))
    return problem_response(
        request,
        422,
        "validation_failed",
        f"Invalid fields: {fields}",
        f"অবৈধ ঘর: {fields}",
        errors,
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _STATUS_CODES.get(exc.status_code, "bad_request" if exc.status_code < 500 else "internal_error")
    default_phrase = HTTPStatus(exc.status_code).phrase if exc.status_code in HTTPStatus._value2member_map_ else ""
    detail = str(exc.detail) if exc.detail and exc.detail != default_phrase else None
    return problem_response(request, exc.status_code, code, detail, headers=exc.headers)


async def _integrity_error(request: Request, exc: Exception) -> JSONResponse:
    # A constraint the request violated (usually a concurrent duplicate): the client can retry.
    log.info("integrity_conflict", path=request.url.path, error=str(getattr(exc, "orig", exc))[:300])
    return problem_response(
        request, 409, "conflict", "The change conflicts with existing data", "পরিবর্তনটি বিদ্যমান তথ্যের সাথে সাংঘর্ষিক"
    )


async def _stale_data(request: Request, exc: Exception) -> JSONResponse:
    return problem_response(
        request,
        409,
        "version_conflict",
        "The record was changed by someone else; reload and retry",
        "রেকর্ডটি অন্য কেউ পরিবর্তন করেছেন; আবার লোড করে চেষ্টা করুন",
    )


def is_row_security_violation(exc: BaseException) -> bool:
    """PostgreSQL refused a row by a row-level security policy (SQLSTATE 42501 on a policy)."""
    for error in (getattr(exc, "orig", None), getattr(getattr(exc, "orig", None), "__cause__", None)):
        if getattr(error, "sqlstate", None) == "42501" and "row-level security" in str(error):
            return True
    return False


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    if not is_row_security_violation(exc):
        return await _unexpected_error(request, exc)
    # The database's tenant isolation stopped a write into another tenant: the request is refused
    # and nothing changed, but the code that tried it is a defect, so it is counted and alerted on.
    from vextrus.kit.metrics import TENANT_ISOLATION_VIOLATIONS

    service = getattr(getattr(request.app.state, "runtime", None), "name", "unknown")
    TENANT_ISOLATION_VIOLATIONS.labels(service=service, kind="row_security").inc()
    log.error("tenant_isolation_violation", path=request.url.path, error=str(getattr(exc, "orig", exc))[:300])
    return problem_response(
        request,
        403,
        "tenant_isolation",
        "The change touches data of another tenant",
        "পরিবর্তনটি অন্য প্রতিষ্ঠানের তথ্য স্পর্শ করে",
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled_error", path=request.url.path, error_type=type(exc).__name__)
    return problem_response(request, 500, "internal_error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(StaleDataError, _stale_data)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(Exception, _unexpected_error)
