"""Helpers of the notification tests: a real SMTP server (aiosmtpd) and a local HTTP server that
speaks the BulkSMSBD API, both on free loopback ports, and the app under test. No fixtures here."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import httpx
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import FastAPI
from sqlalchemy import select

from vextrus.kit.events.models import OutboxEvent
from vextrus.kit.runtime import Runtime
from vextrus.kit.tenancy import Principal

BASE = "/api/v1/notifications"
AUTH = "/api/v1/auth"


# --- SMTP -------------------------------------------------------------------------------------------


@dataclass
class Mailbox:
    """Every message the SMTP server accepted; addresses in ``refuse`` are refused (550)."""

    messages: list[EmailMessage] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    # answer the next N DATA commands with 451 (a temporary failure)
    temporary_failures: int = 0

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.temporary_failures > 0:
            self.temporary_failures -= 1
            return "451 4.3.0 try again later"
        content = envelope.original_content or b""
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages if address in str(message["To"])]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpServer:
    def __init__(self) -> None:
        self.mailbox = Mailbox()
        self.port = free_port()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


# --- the BulkSMSBD API, locally ----------------------------------------------------------------------


@dataclass
class SmsGateway:
    """A local server speaking BulkSMSBD's "Single SMS API" (https://bulksmsbd.com/bulksms-api-bangladesh.php):
    ``POST/GET /api/smsapi`` with api_key, type, number, senderid, message; JSON answers with
    ``response_code`` 202 or a documented error code. ``script`` queues answers for the next
    requests: an int is a response_code, ``"http500"`` an HTTP 500."""

    api_key: str
    sender_id: str
    received: list[dict[str, str]] = field(default_factory=list)
    script: list[int | str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, fields: dict[str, str]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.received.append(fields)
            scripted = self.script.pop(0) if self.script else None
        if scripted == "http500":
            return 500, {"error": "internal"}
        if isinstance(scripted, int):
            return 200, _failure(scripted)
        required = ("api_key", "number", "senderid", "message")
        if any(not fields.get(name) for name in required):
            return 200, _failure(1003)
        if fields["api_key"] != self.api_key:
            return 200, _failure(1011)
        if fields["senderid"] != self.sender_id:
            return 200, _failure(1002)
        numbers = fields["number"].split(",")
        if any(not (number.startswith("8801") and len(number) == 13 and number.isdigit()) for number in numbers):
            return 200, _failure(1001)
        if fields.get("type", "text") == "text" and not fields["message"].isascii():
            return 200, _failure(1003)
        return 200, {
            "response_code": 202,
            "message_id": f"bsb-{len(self.received)}",
            "success_message": "SMS Submitted Successfully",
            "error_message": "",
        }

    def to(self, number: str) -> list[dict[str, str]]:
        return [item for item in self.received if number in item.get("number", "").split(",")]


ERRORS = {
    1001: "Invalid Number",
    1002: "sender id not correct/sender id is disabled",
    1003: "Please Required all fields/Contact Your System Administrator",
    1005: "Internal Error",
    1007: "Balance Insufficient",
    1011: "User Id not found",
}


def _failure(code: int) -> dict[str, Any]:
    return {"response_code": code, "success_message": "", "error_message": ERRORS.get(code, "Error")}


class SmsServer:
    def __init__(self, gateway: SmsGateway) -> None:
        self.gateway = gateway

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, fields: dict[str, str]) -> None:
                if self.path.split("?", 1)[0] != "/api/smsapi":
                    self.send_response(404)
                    self.end_headers()
                    return
                status, body = gateway.answer(fields)
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
                self._reply({key: values[0] for key, values in form.items()})

            def do_GET(self) -> None:
                query = parse_qs(self.path.partition("?")[2], keep_blank_values=True)
                self._reply({key: values[0] for key, values in query.items()})

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/smsapi"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- the app under test --------------------------------------------------------------------------


@dataclass
class Notify:
    backend: str
    app: FastAPI
    client: httpx.AsyncClient
    smtp: SmtpServer
    sms: SmsGateway

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    @property
    def mailbox(self) -> Mailbox:
        return self.smtp.mailbox

    def headers(
        self,
        tenant: uuid.UUID,
        permissions: tuple[str, ...] = ("*",),
        *,
        subject: uuid.UUID | None = None,
        roles: tuple[str, ...] = (),
    ) -> dict[str, str]:
        assert self.runtime.issuer is not None
        principal = Principal(
            subject=subject or uuid.uuid4(), tenant_id=tenant, permissions=frozenset(permissions), roles=roles
        )
        return {"Authorization": f"Bearer {self.runtime.issuer.issue(principal)}"}

    async def signup(self, slug: str, email_address: str, **user: Any) -> tuple[uuid.UUID, uuid.UUID]:
        """A tenant with its first user (the administrator): (tenant id, user id)."""
        response = await self.client.post(
            f"{AUTH}/signup",
            json={
                "organization": {"name": f"{slug.title()} Ltd", "slug": slug},
                "user": {"email": email_address, "password": "Correct-Horse-9", "full_name": "Farhana Rahman", **user},
            },
        )
        assert response.status_code == 201, response.text
        body = response.json()
        return uuid.UUID(body["tenant"]["id"]), uuid.UUID(body["user"]["id"])

    async def invite(self, tenant: uuid.UUID, email_address: str, full_name: str, **extra: Any) -> uuid.UUID:
        response = await self.client.post(
            f"{AUTH}/users/invite",
            json={"email": email_address, "full_name": full_name, **extra},
            headers=self.headers(tenant),
        )
        assert response.status_code == 201, response.text
        return uuid.UUID(response.json()["id"])

    async def member(
        self, tenant: uuid.UUID, email_address: str, full_name: str, *roles: str, **extra: Any
    ) -> uuid.UUID:
        """An active user holding ``roles``: invited, then the invitation accepted with the token
        the auth service put in its ``auth.user.invited`` event."""
        user_id = await self.invite(tenant, email_address, full_name, roles=list(roles), **extra)
        async with self.runtime.database.transaction() as session:
            rows = (
                await session.execute(select(OutboxEvent).where(OutboxEvent.topic == "auth.user.invited"))
            ).scalars()
            envelopes = [json.loads(row.envelope) for row in rows]
        [invited] = [item for item in envelopes if item["data"].get("user_id") == str(user_id)]
        accepted = await self.client.post(
            f"{AUTH}/invitations/accept",
            json={"token": invited["data"]["invitation_token"], "password": "Correct-Horse-9"},
        )
        assert accepted.status_code == 204, accepted.text
        return user_id

    async def send(self, tenant: uuid.UUID, body: dict[str, Any], **headers: str) -> httpx.Response:
        return await self.client.post(
            BASE, json=body, headers={**self.headers(tenant, ("notification.notification.send",)), **headers}
        )

    async def notification(self, tenant: uuid.UUID, notification_id: str) -> dict[str, Any]:
        response = await self.client.get(
            f"{BASE}/{notification_id}", headers=self.headers(tenant, ("notification.notification.read",))
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def settle(
        self,
        tenant: uuid.UUID,
        notification_id: str,
        done: Callable[[dict[str, Any]], bool] | None = None,
        seconds: float = 10.0,
    ) -> dict[str, Any]:
        """The notification once ``done`` holds (default: every delivery sent or failed)."""
        finished = ("sent", "failed", "expanded")
        check = done or (lambda body: all(item["status"] in finished for item in body["deliveries"]))
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            body = await self.notification(tenant, notification_id)
            if check(body) or asyncio.get_running_loop().time() > deadline:
                return body
            await asyncio.sleep(0.05)

    async def notifications_of(self, tenant: uuid.UUID, event: str, seconds: float = 10.0) -> list[dict[str, Any]]:
        """The tenant's notifications of ``event`` (waits until there is one)."""
        deadline = asyncio.get_running_loop().time() + seconds
        headers = self.headers(tenant, ("notification.notification.read",))
        while True:
            response = await self.client.get(BASE, params={"event": event}, headers=headers)
            assert response.status_code == 200, response.text
            items: list[dict[str, Any]] = response.json()["items"]
            if items or asyncio.get_running_loop().time() > deadline:
                return items
            await asyncio.sleep(0.05)
