"""The delivery channels: e-mail over SMTP (aiosmtplib) and SMS through a provider interface with
an HTTP adapter for BulkSMSBD. In-app notifications need no channel: the worker writes them to the
inbox table.

A failed send raises :class:`DeliveryFailed` with a short ``reason`` (the metric label) and whether
trying again may help (``transient``): a refused connection or a provider's internal error is
retried with backoff, an invalid number or a rejected recipient is not.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Protocol

import aiosmtplib
import httpx

from vextrus.services.notification.settings import NotificationSettings


class DeliveryFailed(Exception):
    def __init__(self, reason: str, detail: str, *, transient: bool) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.transient = transient


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)
    reference: str | None = None  # our delivery id, as a header for tracing


# --- e-mail -------------------------------------------------------------------------------------------


class SmtpSender:
    """Sends one message per call through the configured SMTP server (UTF-8 headers and bodies)."""

    def __init__(self, settings: NotificationSettings) -> None:
        self.settings = settings

    def build(self, email: Email) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.settings.smtp_from
        message["To"] = email.to
        message["Subject"] = email.subject
        domain = self.settings.smtp_from.rsplit("@", 1)[-1].strip(" >") or "vextrus.local"
        message["Message-ID"] = make_msgid(domain=domain)
        if email.reference:
            message["X-Vextrus-Delivery"] = email.reference
        message.set_content(email.body)
        for attachment in email.attachments:
            maintype, _, subtype = attachment.content_type.partition("/")
            message.add_attachment(
                attachment.content,
                maintype=maintype or "application",
                subtype=subtype or "octet-stream",
                filename=attachment.name,
            )
        return message

    async def send(self, email: Email) -> str:
        """Send ``email``; the Message-ID on success."""
        settings = self.settings
        message = self.build(email)
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        try:
            await aiosmtplib.send(
                message,
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_username,
                password=password,
                use_tls=settings.smtp_tls == "tls",
                start_tls=settings.smtp_tls == "starttls",
                timeout=settings.smtp_timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            raise DeliveryFailed("recipient_refused", _smtp_detail(error), transient=False) from None
        except aiosmtplib.SMTPAuthenticationError as error:
            raise DeliveryFailed("smtp_auth", f"authentication failed ({error.code})", transient=True) from None
        except aiosmtplib.SMTPResponseException as error:
            # 4xx: try again later (greylisting, full mailbox); 5xx: the server refuses the message
            raise DeliveryFailed(
                "smtp_rejected", f"{error.code} {error.message}"[:500], transient=400 <= error.code < 500
            ) from None
        except (aiosmtplib.SMTPException, OSError, ssl.SSLError, TimeoutError) as error:
            raise DeliveryFailed("smtp_unavailable", f"{type(error).__name__}: {error}"[:500], transient=True) from None
        return str(message["Message-ID"])


def _smtp_detail(error: aiosmtplib.SMTPRecipientsRefused) -> str:
    return "; ".join(f"{item.recipient}: {item.code} {item.message}" for item in error.recipients)[:500]


# --- SMS ----------------------------------------------------------------------------------------------


class SmsProvider(Protocol):
    name: str

    async def send(self, number: str, text: str, reference: str) -> str:
        """Submit one SMS to ``number`` (8801XXXXXXXXX); the provider's message id. Raises DeliveryFailed."""
        ...


class DisabledSms:
    name = "none"

    async def send(self, number: str, text: str, reference: str) -> str:
        raise DeliveryFailed("channel_disabled", "no SMS provider is configured", transient=False)


# BulkSMSBD's documented response codes: 202 is "SMS Submitted Successfully"; the rest are failures.
BULKSMSBD_CODES: dict[int, tuple[str, bool]] = {
    1001: ("invalid_number", False),
    1002: ("sender_id_invalid", False),
    1003: ("missing_fields", False),
    1005: ("provider_error", True),
    1006: ("balance_validity", True),
    1007: ("balance_insufficient", True),
    1011: ("provider_account", False),
    1012: ("masking_language", False),
    1013: ("sender_id_invalid", False),
    1014: ("sender_id_invalid", False),
    1015: ("sender_id_invalid", False),
    1016: ("provider_account", False),
    1017: ("provider_account", False),
    1018: ("provider_account", False),
    1019: ("provider_account", False),
    1020: ("provider_account", False),
    1021: ("provider_account", False),
    1031: ("provider_account", False),
    1032: ("ip_not_whitelisted", False),
}


class BulkSmsBd:
    """The BulkSMSBD HTTP API (https://bulksmsbd.com/bulksms-api-bangladesh.php, "Single SMS API").

    Request: ``GET or POST https://bulksmsbd.net/api/smsapi`` with the form fields ``api_key``,
    ``type`` (``text``, or ``unicode`` for Bengali), ``number`` (``8801XXXXXXXXX``; several joined
    by commas), ``senderid`` (the approved masking name or non-masking number) and ``message``.
    We POST the fields form-encoded (the key stays out of URLs and access logs).

    Response: JSON ``{"response_code": 202, "message_id": …, "success_message": "SMS Submitted
    Successfully", "error_message": ""}``; any other ``response_code`` is a documented failure
    (1001 invalid number, 1002 sender id not correct or disabled, 1003 required fields missing,
    1005 internal error, 1006 balance validity not available, 1007 balance insufficient, 1011 user
    id not found, 1012 masking SMS must be sent in Bengali, 1013–1021 sender id / price / account
    problems, 1031 account not verified, 1032 IP not whitelisted). The provider has no idempotency
    key, so a retried request after a lost answer may send twice: we retry only failures the
    provider reported as its own (1005–1007), HTTP 5xx and connection failures before a response.
    """

    name = "bulksmsbd"

    def __init__(self, settings: NotificationSettings, client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self._client = client

    async def send(self, number: str, text: str, reference: str) -> str:
        settings = self.settings
        key = settings.sms_api_key.get_secret_value() if settings.sms_api_key else ""
        if not key or not settings.sms_sender_id:
            raise DeliveryFailed("channel_disabled", "BulkSMSBD needs an API key and a sender id", transient=False)
        form = {
            "api_key": key,
            "type": "text" if text.isascii() else "unicode",
            "number": number.lstrip("+"),
            "senderid": settings.sms_sender_id,
            "message": text,
        }
        client = self._client or httpx.AsyncClient(timeout=settings.sms_timeout_seconds)
        try:
            response = await client.post(settings.sms_url, data=form)
        except httpx.TimeoutException:
            # the request may have reached the provider: report, and retry (a rare duplicate SMS
            # is better than a lost approval request)
            raise DeliveryFailed("provider_timeout", "BulkSMSBD did not answer in time", transient=True) from None
        except httpx.TransportError as error:
            raise DeliveryFailed("provider_unavailable", type(error).__name__, transient=True) from None
        finally:
            if self._client is None:
                await client.aclose()
        if response.status_code >= 500:
            raise DeliveryFailed("provider_unavailable", f"HTTP {response.status_code}", transient=True)
        try:
            body = response.json()
            code = int(body.get("response_code"))
        except (ValueError, TypeError, AttributeError):
            raise DeliveryFailed(
                "provider_protocol", f"HTTP {response.status_code}: not a BulkSMSBD answer", transient=True
            ) from None
        if code == 202:
            return str(body.get("message_id") or body.get("success_message") or "submitted")
        reason, transient = BULKSMSBD_CODES.get(code, ("provider_rejected", False))
        detail = f"{code} {body.get('error_message') or ''}".strip()
        raise DeliveryFailed(reason, detail[:500], transient=transient)


def sms_provider(settings: NotificationSettings) -> SmsProvider:
    if settings.sms_provider == "bulksmsbd":
        return BulkSmsBd(settings)
    return DisabledSms()
