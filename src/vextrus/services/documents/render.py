"""From template and data to bytes: Jinja2 → HTML/CSS → PDF (WeasyPrint), or XLSX (openpyxl).

- Built-in templates load from the package with autoescaping and ``StrictUndefined``.
- Templates registered through the API run in Jinja's sandbox (no attribute tricks, no Python
  access) and may extend the built-in letterhead layout (``{% extends "base.html" %}``).
- WeasyPrint may fetch nothing but ``data:`` URLs (a logo is inlined as one): a template can
  neither read local files nor make the server call out.
- Text is shaped by Pango with HarfBuzz; Bengali uses Noto Sans Bengali (Debian ``fonts-noto-core``).
- Pages are A4 (``@page { size: A4 }``); the PDF's page count is reported.

Rendering is CPU-bound and synchronous: callers run it in a worker thread.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, Template, TemplateError, select_autoescape
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from vextrus.services.documents import formatting as fmt
from vextrus.services.documents.formatting import Language
from vextrus.services.documents.labels import LABELS, METHODS

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Brand:
    """A tenant's (or company's) letterhead: names, contact lines, logo, colours."""

    name: str = ""
    name_bn: str | None = None
    address: str | None = None
    address_bn: str | None = None
    bin: str | None = None
    tin: str | None = None
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    letterhead_note: str | None = None
    footer_text: str | None = None
    primary_colour: str = "#1F4E79"
    accent_colour: str = "#DCE6F1"
    logo: str | None = None  # a data: URI

    def as_context(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Rendered:
    content: bytes
    content_type: str
    extension: str
    pages: int | None


class TemplateFailure(ValueError):
    """A template could not be rendered with the data given (undefined variable, syntax, ...)."""


def _amount(value: Any) -> Any:
    """Numbers as registered templates get them from JSON: a float becomes its exact decimal text."""
    if isinstance(value, float):
        return repr(value)
    return value


def _day(value: Any) -> dt.date | dt.datetime:
    if isinstance(value, str):
        text = value.strip()
        return dt.datetime.fromisoformat(text) if "T" in text else dt.date.fromisoformat(text)
    if isinstance(value, (dt.date, dt.datetime)):
        return value
    raise TypeError(f"not a date: {value!r}")


def _moment(value: Any) -> dt.datetime:
    moment = _day(value)
    if not isinstance(moment, dt.datetime):
        raise TypeError(f"not a date and time: {value!r}")
    return moment


def _helpers(language: Language) -> dict[str, Callable[..., Any]]:
    def label(key: str) -> Markup:
        english, bengali = LABELS[key]
        if language == "en":
            return Markup('<span class="en">{}</span>').format(english)
        if language == "bn":
            return Markup('<span class="bn">{}</span>').format(bengali)
        return Markup('<span class="bn">{}</span> <span class="en">{}</span>').format(bengali, english)

    def text(key: str) -> str:
        return fmt.label(LABELS[key], language)

    def pick(english: str | None, bengali: str | None = None) -> Markup:
        """A value given in both languages: Bengali first on bilingual documents."""
        if language == "en" or not bengali:
            return Markup("{}").format(english or bengali or "")
        if language == "bn" or not english:
            return Markup('<span class="bn">{}</span>').format(bengali)
        return Markup('<span class="bn">{}</span><br><span class="en">{}</span>').format(bengali, english)

    def method(key: str) -> str:
        return fmt.label(METHODS[key], language)

    def css_text(value: object) -> Markup:
        """Text for a CSS string in a <style> element: quotes, backslashes, '<' and newlines escaped."""
        text = "" if value is None else str(value)
        escaped = "".join(f"\\{ord(char):x} " if char in '"\\<>\n\r' else char for char in text)
        return Markup(escaped)  # noqa: S704 - every character that could end the string or the element is escaped

    return {
        "css_text": css_text,
        "L": label,
        "T": text,
        "pick": pick,
        "method": method,
        "money": lambda value: fmt.money(_amount(value), language),
        "taka": lambda value: fmt.money(_amount(value), language, symbol=True),
        "signed": lambda value: fmt.signed_money(Decimal(_amount(value)), language),
        "qty": lambda value: fmt.quantity(Decimal(_amount(value)), language),
        "pct": lambda value: fmt.rate(Decimal(_amount(value)), language),
        "num": lambda value: fmt.digits(value, language),
        "date": lambda value: fmt.date(_day(value), language),
        "datetime": lambda value: fmt.date_time(_moment(value), language),
        "time": lambda value: fmt.digits(fmt.date_time(_moment(value), "en").split(", ")[-1], language),
        "words": lambda value: fmt.words(_amount(value), language),
    }


@lru_cache(maxsize=1)
def builtin_environment() -> Environment:
    return Environment(
        loader=PackageLoader("vextrus.services.documents", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@lru_cache(maxsize=1)
def sandbox_environment() -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(
        loader=PackageLoader("vextrus.services.documents", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@lru_cache(maxsize=256)
def compile_registered(source: str) -> Template:
    """A registered template's source, compiled in the sandbox (cached by source)."""
    try:
        return sandbox_environment().from_string(source)
    except TemplateError as error:
        raise TemplateFailure(f"template syntax: {error}") from None


def check_registered(source: str) -> None:
    """Refuse a template that does not compile (at registration, not at render time)."""
    compile_registered(source)


def context_for(language: Language, brand: Brand, title: tuple[str, str], **values: Any) -> dict[str, Any]:
    return {
        **_helpers(language),
        "lang": language,
        "brand": brand.as_context(),
        "title": fmt.label(title, language),
        "title_pair": title,
        "generated_at": dt.datetime.now(dt.UTC),
        **values,
    }


def html_for(template: Template, context: Mapping[str, Any], *, registered: bool = True) -> str:
    """Render; whatever a registered template raises is its author's error (a 422), never a 500."""
    try:
        return template.render(**context)
    except TemplateError as error:
        raise TemplateFailure(str(error)) from None
    except Exception as error:
        if not registered:
            raise
        raise TemplateFailure(f"{type(error).__name__}: {error}") from None


def builtin_html(name: str, context: Mapping[str, Any]) -> str:
    return html_for(builtin_environment().get_template(name), context, registered=False)


def pdf_from_html(html: str) -> Rendered:
    """HTML → PDF with WeasyPrint; only ``data:`` resources may load."""
    import weasyprint

    fetcher = weasyprint.URLFetcher(allowed_protocols=("data",), timeout=5)
    document = weasyprint.HTML(string=html, url_fetcher=fetcher).render()
    return Rendered(document.write_pdf(), PDF, ".pdf", len(document.pages))


def logo_data_uri(content: bytes, content_type: str) -> str | None:
    import base64

    if content_type.split(";")[0] not in ("image/png", "image/jpeg", "image/gif", "image/webp"):
        return None
    return f"data:{content_type.split(';')[0]};base64,{base64.b64encode(content).decode()}"


# --- XLSX -----------------------------------------------------------------------------------------

_LAKH_FORMAT = "[>=10000000]##\\,##\\,##\\,##0.00;[>=100000]##\\,##\\,##0.00;##,##0.00"


def statement_xlsx(context: Mapping[str, Any], language: Language, brand: Brand) -> Rendered:
    """A customer statement as a workbook: heading rows, then one row per entry with a running balance
    (numbers as numbers, formatted in lakh/crore)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill

    data = context["data"]
    totals = context["totals"]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="Statement")
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor=brand.accent_colour.lstrip("#"))

    def cell(value: Any, *, strong: bool = False, number: bool = False, shaded: bool = False) -> WriteOnlyCell:
        item = WriteOnlyCell(sheet, value=value)  # Decimal is written exactly, never as a float
        if strong:
            item.font = bold
        if number:
            item.number_format = _LAKH_FORMAT
        if shaded:
            item.fill = fill
        return item

    for width, letter in zip((12, 18, 40, 16, 16, 18), "ABCDEF", strict=True):
        sheet.column_dimensions[letter].width = width
    title = fmt.label(LABELS["customer_statement"], language)
    sheet.append([cell(brand.name or data.company.name, strong=True)])
    sheet.append([cell(title, strong=True)])
    sheet.append([fmt.label(LABELS["customer"], language), data.customer.name, data.customer_code or ""])
    sheet.append([fmt.label(LABELS["period"], language), data.period_from.isoformat(), data.period_to.isoformat()])
    sheet.append([])
    headers = ("date", "reference", "narration", "debit", "credit", "balance")
    sheet.append([cell(fmt.label(LABELS[key], language), strong=True, shaded=True) for key in headers])
    sheet.append(["", "", fmt.label(LABELS["opening_balance"], language), "", "", cell(totals["opening"], number=True)])
    for row in context["rows"]:
        entry = row["entry"]
        sheet.append(
            [
                entry.date,
                entry.reference,
                entry.description or "",
                cell(entry.debit, number=True),
                cell(entry.credit, number=True),
                cell(row["balance"], number=True),
            ]
        )
    sheet.append(
        [
            "",
            "",
            cell(fmt.label(LABELS["closing_balance"], language), strong=True),
            cell(totals["debit"], number=True, strong=True),
            cell(totals["credit"], number=True, strong=True),
            cell(totals["closing"], number=True, strong=True),
        ]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return Rendered(buffer.getvalue(), XLSX, ".xlsx", None)
