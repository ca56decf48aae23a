"""Message templates: the built-in wording of every event, per channel and language, and the
sandboxed Jinja2 environment that renders them (and a tenant's own wording, see ``ntf_templates``).

Templates see only the notification's data (plain JSON values) and a few filters; the sandbox
refuses attribute tricks (``__class__`` …) and anything unsafe. Rendering errors are the template
author's: they surface as ``template_error`` (422 on save, a permanent failure on delivery).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from vextrus.bd.clock import to_dhaka
from vextrus.bd.numerals import format_amount, to_bengali_digits

Channel = Literal["email", "sms", "in_app"]
Language = Literal["en", "bn"]
CHANNELS: tuple[Channel, ...] = ("email", "sms", "in_app")
LANGUAGES: tuple[Language, ...] = ("en", "bn")


class TemplateProblem(ValueError):
    """A template that does not compile or render (the author's mistake, never retried)."""


@dataclass(frozen=True)
class Wording:
    subject: str | None  # e-mail subject / in-app title; None for SMS
    body: str


@dataclass(frozen=True)
class EventSpec:
    """A notifiable event: its default channels, priority and wording."""

    event: str
    description: str
    channels: tuple[Channel, ...]
    priority: Literal["normal", "urgent"]
    wording: Mapping[tuple[Channel, Language], Wording]
    link: str | None = None  # in-app link template


def _money(value: Any) -> str:
    """``1234567.5`` → ``12,34,567.50`` (lakh grouping, as amounts are written in Bangladesh)."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    return format_amount(amount)


def _bn_digits(value: Any) -> str:
    return to_bengali_digits(str(value))


def _dhaka(value: Any) -> str:
    """An ISO timestamp shown in Asia/Dhaka time (``2026-11-25 16:30``)."""
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return to_dhaka(moment).strftime("%Y-%m-%d %H:%M")


_ENV = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False, trim_blocks=True)
_ENV.filters.update(money=_money, bn_digits=_bn_digits, dhaka=_dhaka)


def check(source: str) -> None:
    """Compile ``source``; a syntax error raises :class:`TemplateProblem` with the line."""
    try:
        _ENV.from_string(source)
    except TemplateError as error:
        line = getattr(error, "lineno", None)
        raise TemplateProblem(f"line {line}: {error}" if line else str(error)) from None


def render(source: str, data: Mapping[str, Any]) -> str:
    try:
        return _ENV.from_string(source).render(**data).strip()
    except TemplateError as error:
        raise TemplateProblem(str(error)) from None
    except (TypeError, ValueError, ArithmeticError) as error:
        raise TemplateProblem(f"{type(error).__name__}: {error}") from None


def _w(subject: str | None, body: str) -> Wording:
    return Wording(subject, body)


TASK_ASSIGNED = EventSpec(
    "workflow.task.assigned",
    "A workflow task waits for the recipient's decision",
    ("in_app", "email"),
    "normal",
    {
        ("email", "en"): _w(
            "Action needed: {{ document_type }} {{ business_key }}",
            "Dear {{ recipient_name }},\n\n{{ document_type }} {{ business_key }} waits for your decision at "
            'step "{{ step }}".{% if due_at %}\nPlease act before {{ due_at | dhaka }} (Dhaka time).{% endif %}'
            "\n\nVextrus",
        ),
        ("email", "bn"): _w(
            "আপনার সিদ্ধান্ত প্রয়োজন: {{ document_type }} {{ business_key }}",
            'প্রিয় {{ recipient_name }},\n\n{{ document_type }} {{ business_key }} "{{ step }}" ধাপে আপনার '
            "সিদ্ধান্তের অপেক্ষায় আছে।{% if due_at %}\nঅনুগ্রহ করে {{ due_at | dhaka | bn_digits }} (ঢাকা সময়)-এর "
            "মধ্যে ব্যবস্থা নিন।{% endif %}\n\nভেক্সট্রাস",
        ),
        ("sms", "en"): _w(None, "Vextrus: {{ document_type }} {{ business_key }} waits for your approval."),
        ("sms", "bn"): _w(None, "ভেক্সট্রাস: {{ document_type }} {{ business_key }} আপনার অনুমোদনের অপেক্ষায়।"),
        ("in_app", "en"): _w(
            "Approval needed: {{ business_key }}", "{{ document_type }} {{ business_key }} waits at step {{ step }}."
        ),
        ("in_app", "bn"): _w(
            "অনুমোদন প্রয়োজন: {{ business_key }}",
            '{{ document_type }} {{ business_key }} "{{ step }}" ধাপে অপেক্ষমাণ।',
        ),
    },
    link="/workflows/tasks/{{ task_id }}",
)

SLA_BREACHED = EventSpec(
    "workflow.sla.breached",
    "A task assigned to the recipient passed its deadline",
    ("in_app", "email", "sms"),
    "normal",
    {
        ("email", "en"): _w(
            "Overdue: {{ business_key }} ({{ step }})",
            'Dear {{ recipient_name }},\n\nThe task "{{ step }}" of {{ business_key }} was due at '
            "{{ due_at | dhaka }} (Dhaka time) and is overdue. The process will {{ on_timeout }}.\n\nVextrus",
        ),
        ("email", "bn"): _w(
            "সময় পেরিয়ে গেছে: {{ business_key }} ({{ step }})",
            'প্রিয় {{ recipient_name }},\n\n{{ business_key }}-এর "{{ step }}" কাজটির সময়সীমা ছিল '
            "{{ due_at | dhaka | bn_digits }} (ঢাকা সময়); সময় পেরিয়ে গেছে।\n\nভেক্সট্রাস",
        ),
        ("sms", "en"): _w(None, "Vextrus: task {{ step }} of {{ business_key }} is overdue."),
        ("sms", "bn"): _w(None, "ভেক্সট্রাস: {{ business_key }}-এর {{ step }} কাজের সময় পেরিয়ে গেছে।"),
        ("in_app", "en"): _w("Overdue: {{ business_key }}", "Step {{ step }} passed its deadline."),
        ("in_app", "bn"): _w("সময় পেরিয়েছে: {{ business_key }}", "{{ step }} ধাপের সময়সীমা পেরিয়ে গেছে।"),
    },
    link="/workflows/tasks/{{ task_id }}",
)

PASSWORD_RESET = EventSpec(
    "auth.password.reset_requested",
    "The recipient asked to reset their password (always e-mail, never deferred)",
    ("email",),
    "urgent",
    {
        ("email", "en"): _w(
            "Reset your Vextrus password",
            "Dear {{ full_name }},\n\nSomeone (hopefully you) asked to reset your Vextrus password. Use this "
            "code on the reset page: {{ reset_token }}\n\nIt expires at {{ expires_at | dhaka }} (Dhaka time). "
            "If you did not ask, ignore this e-mail: your password stays as it is.\n\nVextrus",
        ),
        ("email", "bn"): _w(
            "আপনার ভেক্সট্রাস পাসওয়ার্ড রিসেট করুন",
            "প্রিয় {{ full_name }},\n\nআপনার ভেক্সট্রাস পাসওয়ার্ড রিসেট করার অনুরোধ এসেছে। রিসেট পাতায় এই কোডটি "
            "ব্যবহার করুন: {{ reset_token }}\n\nমেয়াদ শেষ হবে {{ expires_at | dhaka | bn_digits }} (ঢাকা সময়)। "
            "আপনি অনুরোধ না করে থাকলে এই ই-মেইলটি উপেক্ষা করুন।\n\nভেক্সট্রাস",
        ),
    },
)

INVOICE_POSTED = EventSpec(
    "finance.invoice.posted",
    "A tax invoice was posted: the customer receives it with the Mushak-6.3 PDF attached",
    ("email",),
    "normal",
    {
        ("email", "en"): _w(
            "Tax invoice {{ number }} ({{ currency }} {{ total | money }})",
            "Dear {{ customer.name }},\n\nPlease find attached tax invoice {{ number }} (Mushak-6.3) dated "
            "{{ date }} for {{ currency }} {{ total | money }}, including VAT {{ vat | money }}, due on "
            "{{ due_date }}.\n\nThank you for your business.",
        ),
        ("email", "bn"): _w(
            "কর চালানপত্র {{ number }} ({{ currency }} {{ total | money | bn_digits }})",
            "প্রিয় {{ customer.name }},\n\n{{ date | bn_digits }} তারিখের কর চালানপত্র {{ number }} (মূসক-৬.৩) "
            "সংযুক্ত করা হলো। মোট {{ currency }} {{ total | money | bn_digits }} (ভ্যাট "
            "{{ vat | money | bn_digits }}), পরিশোধের শেষ তারিখ {{ due_date | bn_digits }}।\n\nধন্যবাদ।",
        ),
    },
)

MESSAGE = EventSpec(
    "notification.message",
    "A message another service (or an administrator) sends directly: data.subject and data.body",
    ("in_app", "email"),
    "normal",
    {
        (channel, language): _w(None if channel == "sms" else "{{ subject }}", "{{ body }}")
        for channel in CHANNELS
        for language in LANGUAGES
    },
)

DIGEST = EventSpec(
    "notification.digest",
    "The daily digest of a user who chose one: the day's messages in one e-mail",
    ("email",),
    "normal",
    {
        ("email", "en"): _w(
            "Your Vextrus digest: {{ items | length }} notifications",
            "{% for item in items %}{{ loop.index }}. {{ item.subject }}\n{{ item.body }}\n\n{% endfor %}",
        ),
        ("email", "bn"): _w(
            "আপনার ভেক্সট্রাস সারসংক্ষেপ: {{ items | length | bn_digits }}টি বার্তা",
            "{% for item in items %}{{ loop.index | bn_digits }}. {{ item.subject }}\n{{ item.body }}\n\n{% endfor %}",
        ),
    },
)

EVENTS: dict[str, EventSpec] = {
    spec.event: spec for spec in (TASK_ASSIGNED, SLA_BREACHED, PASSWORD_RESET, INVOICE_POSTED, MESSAGE, DIGEST)
}


def builtin(event: str, channel: Channel, language: Language) -> Wording | None:
    spec = EVENTS.get(event)
    if spec is None:
        return None
    return spec.wording.get((channel, language)) or spec.wording.get((channel, "en"))
