"""Passwords, access tokens (JWT) and opaque tokens (refresh, personal access)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import sys
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from jose import ExpiredSignatureError, JWTError, jwt

from kasal.core.errors import Unauthorized

JWT_ALGORITHM = "HS256"
JWT_ISSUER = "kasal"
PAT_PREFIX = "kasal_pat_"
T = TypeVar("T")
# Claims every access token must carry: a token without `exp` would be valid forever.
_REQUIRED_CLAIMS = {f"require_{claim}": True for claim in ("exp", "iat", "iss", "sub")}


def _yield_to_requests() -> None:
    """On Linux a thread has its own nice value, inherited by the lane threads argon2 starts:
    hashing then takes only the CPU that answering requests leaves over."""
    if sys.platform == "linux":
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


# argon2 takes tens of milliseconds of CPU (on several lanes) and `memory_cost` of RAM per
# call. It runs in this pool, never on the event loop (which would stall every request for as
# long), and the pool's size bounds both: a flood of logins queues here instead of taking all
# memory and cores.
_HASHING = ThreadPoolExecutor(
    max_workers=max(1, (os.cpu_count() or 1) // 2),
    thread_name_prefix="kasal-argon2",
    initializer=_yield_to_requests,
)


async def _off_loop(work: Callable[[], T]) -> T:
    return await asyncio.get_running_loop().run_in_executor(_HASHING, work)


class Passwords:
    """argon2id hashing; the memory cost is a setting so small machines can tune it."""

    def __init__(self, memory_kib: int) -> None:
        self._hasher = PasswordHasher(memory_cost=memory_kib)
        # Hashed once, in the pool, while nothing waits for it yet.
        self._decoy = _HASHING.submit(self._hasher.hash, secrets.token_urlsafe(16))

    async def hash(self, password: str) -> str:
        return await _off_loop(partial(self._hasher.hash, password))

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """False for a missing hash too (unknown account, passwordless user), but only after
        verifying against a decoy, so the answer's timing does not reveal which case it was."""
        if password_hash is None:
            decoy = await asyncio.wrap_future(self._decoy)
            await _off_loop(partial(self._verify_now, decoy, password))
            return False
        return await _off_loop(partial(self._verify_now, password_hash, password))

    def _verify_now(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def create_access_token(user_id: uuid.UUID, key: str, ttl_s: int) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "iss": JWT_ISSUER,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl_s)).timestamp()),
        "typ": "access",
    }
    return str(jwt.encode(claims, key, algorithm=JWT_ALGORITHM))


def decode_access_token(token: str, key: str) -> uuid.UUID:
    try:
        claims = jwt.decode(
            token, key, algorithms=[JWT_ALGORITHM], issuer=JWT_ISSUER, options=_REQUIRED_CLAIMS
        )
    except ExpiredSignatureError as exc:
        raise Unauthorized("token_expired", "The access token has expired") from exc
    except JWTError as exc:
        raise Unauthorized("invalid_token", "The access token is not valid") from exc
    try:
        if claims.get("typ") != "access":
            raise ValueError("not an access token")
        return uuid.UUID(str(claims["sub"]))
    except (KeyError, ValueError) as exc:
        raise Unauthorized("invalid_token", "The access token is not valid") from exc


def new_opaque_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Opaque tokens carry 256 bits of entropy, so a fast hash is the right one here."""
    return hashlib.sha256(token.encode()).hexdigest()
