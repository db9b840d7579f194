"""Passwords, access tokens (JWT) and opaque tokens (refresh, personal access)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from jose import ExpiredSignatureError, JWTError, jwt

from kasal.core.errors import Unauthorized

JWT_ALGORITHM = "HS256"
JWT_ISSUER = "kasal"
PAT_PREFIX = "kasal_pat_"


class Passwords:
    """argon2id hashing; the memory cost is a setting so small machines can tune it."""

    def __init__(self, memory_kib: int) -> None:
        self._hasher = PasswordHasher(memory_cost=memory_kib)

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        if password_hash is None:
            return False
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
        claims = jwt.decode(token, key, algorithms=[JWT_ALGORITHM], issuer=JWT_ISSUER)
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
