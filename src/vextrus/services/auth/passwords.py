"""Passwords: argon2id hashing (off the event loop) and the password policy (pure).

Policy: at least ``password_min_length`` characters (10 by default), not the e-mail address or
its local part, and not in the common-password list shipped with the package
(``data/common_passwords.json``). Every violation names the field, in English and Bengali.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from vextrus.kit.errors import AppError, FieldError
from vextrus.services.auth.settings import AuthSettings

MAX_PASSWORD_LENGTH = 256


@cache
def common_passwords() -> frozenset[str]:
    text = files("vextrus.services.auth").joinpath("data/common_passwords.json").read_text(encoding="utf-8")
    return frozenset(item.casefold() for item in json.loads(text))


@dataclass(frozen=True)
class PolicyViolation:
    code: str
    reason: str
    reason_bn: str


def password_problems(password: str, email: str | None, min_length: int = 10) -> list[PolicyViolation]:
    """Every rule ``password`` breaks (empty when it is acceptable)."""
    problems: list[PolicyViolation] = []
    if len(password) < min_length:
        problems.append(
            PolicyViolation(
                "too_short",
                f"must be at least {min_length} characters long",
                f"কমপক্ষে {min_length} অক্ষরের হতে হবে",
            )
        )
    candidate = password.strip().casefold()
    if email:
        address = email.strip().casefold()
        if candidate in (address, address.split("@", 1)[0]):
            problems.append(
                PolicyViolation(
                    "same_as_email",
                    "must not be your e-mail address or its first part",
                    "আপনার ই-মেইল ঠিকানা বা তার প্রথম অংশ পাসওয়ার্ড হতে পারে না",
                )
            )
    if candidate in common_passwords():
        problems.append(
            PolicyViolation(
                "common_password",
                "is too common and easy to guess; choose another",
                "পাসওয়ার্ডটি খুব প্রচলিত ও সহজে অনুমানযোগ্য; অন্য একটি বেছে নিন",
            )
        )
    return problems


def check_password_policy(password: str, email: str | None, min_length: int, field: str) -> None:
    """Raise a 422 naming ``field`` with every broken rule."""
    problems = password_problems(password, email, min_length)
    if not problems:
        return
    reasons = "; ".join(item.reason for item in problems)
    reasons_bn = "; ".join(item.reason_bn for item in problems)
    raise AppError(
        422,
        "validation_failed",
        f"{field}: {reasons}",
        f"{field}: {reasons_bn}",
        errors=[FieldError(field, item.code, item.reason, item.reason_bn) for item in problems],
    )


class Passwords:
    """argon2id with the configured cost; hashing and verification run in worker threads."""

    def __init__(self, time_cost: int, memory_kib: int, parallelism: int) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
        )
        self._dummy: str | None = None

    @classmethod
    def for_settings(cls, settings: AuthSettings) -> Passwords:
        return _passwords(settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism)

    def hash_sync(self, password: str) -> str:
        return self._hasher.hash(password)

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    def _verify_sync(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """True when ``password`` matches; with no hash, spend the same time and answer False."""
        if password_hash is None:
            await self.verify_dummy(password)
            return False
        return await asyncio.to_thread(self._verify_sync, password_hash, password)

    async def verify_dummy(self, password: str) -> None:
        """Cost as much as a real verification (unknown e-mail, invited user): no timing oracle."""
        if self._dummy is None:
            self._dummy = await self.hash("vextrus-dummy-password-for-timing")
        await asyncio.to_thread(self._verify_sync, self._dummy, password)

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True


@cache
def _passwords(time_cost: int, memory_kib: int, parallelism: int) -> Passwords:
    return Passwords(time_cost, memory_kib, parallelism)
