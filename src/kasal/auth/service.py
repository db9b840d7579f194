"""Signing in and out, token rotation, personal access tokens, and who a request is."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from kasal.auth.cache import AuthCache, TokenEntry
from kasal.auth.models import Group, Membership, PersonalAccessToken, RefreshToken, User
from kasal.auth.ratelimit import LoginLimiter
from kasal.auth.repository import (
    AccessTokenRepository,
    RefreshTokenRepository,
    UserRepository,
)
from kasal.auth.schemas import (
    AccessTokenCreate,
    AccessTokenCreated,
    AccessTokenRead,
    LoginRequest,
    TokenPair,
)
from kasal.core.config import Settings
from kasal.core.context import Role
from kasal.core.db import utcnow
from kasal.core.errors import Conflict, NotFound, Unauthorized
from kasal.core.pagination import Page, PageParams
from kasal.core.security import (
    PAT_PREFIX,
    Passwords,
    create_access_token,
    decode_access_token,
    hash_token,
    new_opaque_token,
)

_PAT_TOUCH_INTERVAL = timedelta(minutes=1)


@lru_cache
def passwords(memory_kib: int) -> Passwords:
    return Passwords(memory_kib)


async def create_user(
    session: AsyncSession,
    settings: Settings,
    *,
    email: str,
    name: str,
    password: str | None,
    is_admin: bool = False,
) -> User:
    """A user always comes with a personal group it administers. Flushes; caller commits."""
    users = UserRepository(session)
    if await users.by_email(email) is not None:
        raise Conflict("email_taken", f"A user with email {email!r} already exists")
    group = Group(name=f"{name or email} (personal)", is_personal=True)
    session.add(group)
    await session.flush()
    hasher = passwords(settings.argon2_memory_kib)
    password_hash = await hasher.hash(password) if password else None
    user = await users.add(
        User(
            email=email.lower(),
            name=name,
            password_hash=password_hash,
            is_admin=is_admin,
            personal_group_id=group.id,
        )
    )
    session.add(Membership(group_id=group.id, user_id=user.id, role=Role.admin))
    await session.flush()
    return user


async def ensure_admin(session: AsyncSession, settings: Settings) -> str | None:
    """On first start, create the admin. Returns a generated password to show once."""
    if await UserRepository(session).count() > 0:
        return None
    given = settings.admin_password.get_secret_value() if settings.admin_password else None
    password = given or secrets.token_urlsafe(12)
    await create_user(
        session,
        settings,
        email=settings.admin_email,
        name="Administrator",
        password=password,
        is_admin=True,
    )
    await session.commit()
    return None if given else password


async def login(
    session: AsyncSession, settings: Settings, limiter: LoginLimiter, body: LoginRequest, ip: str
) -> TokenPair:
    limiter.check(ip, body.username)
    user = await UserRepository(session).by_email(body.username)
    hasher = passwords(settings.argon2_memory_kib)
    matches = await hasher.verify(user.password_hash if user else None, body.password)
    if not matches or user is None:
        limiter.record_failure(ip, body.username)
        raise Unauthorized("invalid_credentials", "Wrong email or password")
    if not user.is_active:
        raise Unauthorized("user_inactive", "This account has been deactivated")
    limiter.record_success(body.username)
    pair = await _issue(session, settings, user.id, family_id=uuid.uuid4())
    await session.commit()
    return pair


async def refresh(session: AsyncSession, settings: Settings, token: str | None) -> TokenPair:
    if not token:
        raise Unauthorized("refresh_token_missing", "No refresh token was presented")
    tokens = RefreshTokenRepository(session)
    current = await tokens.by_hash(hash_token(token))
    now = utcnow()
    if current is None or current.revoked_at is not None:
        raise Unauthorized("invalid_refresh_token", "The refresh token is not valid")
    if current.used_at is not None or not await _mark_used(session, current, now):
        # A rotated token came back: someone holds a copy. End the whole family.
        await tokens.revoke_family(current.family_id, now)
        await session.commit()
        raise Unauthorized(
            "refresh_token_reused", "This refresh token was already used; sign in again"
        )
    if current.expires_at <= now:
        raise Unauthorized("refresh_token_expired", "The session has expired; sign in again")
    user = await UserRepository(session).get(current.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("user_inactive", "This account has been deactivated")
    pair = await _issue(session, settings, user.id, family_id=current.family_id)
    await session.commit()
    return pair


async def _mark_used(session: AsyncSession, token: RefreshToken, now: datetime) -> bool:
    """Compare-and-set, so two concurrent refreshes with one token cannot both succeed."""
    result = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == token.id, RefreshToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


async def logout(session: AsyncSession, token: str | None) -> None:
    if not token:
        return
    tokens = RefreshTokenRepository(session)
    current = await tokens.by_hash(hash_token(token))
    if current is not None:
        await tokens.revoke_family(current.family_id, utcnow())
        await session.commit()


async def _issue(
    session: AsyncSession, settings: Settings, user_id: uuid.UUID, family_id: uuid.UUID
) -> TokenPair:
    refresh_token = new_opaque_token()
    await RefreshTokenRepository(session).add(
        RefreshToken(
            user_id=user_id,
            family_id=family_id,
            token_hash=hash_token(refresh_token),
            expires_at=utcnow() + timedelta(seconds=settings.refresh_token_ttl_s),
        )
    )
    access = create_access_token(user_id, settings.jwt_key, settings.access_token_ttl_s)
    return TokenPair(
        access_token=access, refresh_token=refresh_token, expires_in=settings.access_token_ttl_s
    )


async def authenticate(session: AsyncSession, settings: Settings, bearer: str) -> User:
    """A bearer credential is either a personal access token or a JWT access token.

    In an API process the user and the token's owner come from the auth cache while
    nothing about them changed (see `auth.cache`)."""
    cache = AuthCache.of(session)
    since = cache.generation if cache else 0
    if bearer.startswith(PAT_PREFIX):
        user_id = await _user_of_personal_token(session, bearer, cache)
    else:
        user_id = decode_access_token(bearer, settings.jwt_key)
    user = cache.user(session, user_id) if cache else None
    if user is None:
        user = await UserRepository(session).get(user_id)
        if user is None:
            raise Unauthorized("invalid_token", "The access token is not valid")
        if cache:
            cache.put_user(user, since)
    if not user.is_active:
        raise Unauthorized("user_inactive", "This account has been deactivated")
    return user


async def _user_of_personal_token(
    session: AsyncSession, token: str, cache: AuthCache | None
) -> uuid.UUID:
    token_hash = hash_token(token)
    now = utcnow()
    known = cache.token(token_hash) if cache else None
    if known is not None and now - known.touched_at <= _PAT_TOUCH_INTERVAL:
        _refuse_expired(known.expires_at, now)
        return known.user_id
    since = cache.generation if cache else 0
    pat = await AccessTokenRepository(session).by_hash(token_hash)
    if pat is None:
        raise Unauthorized("invalid_token", "The access token is not valid")
    _refuse_expired(pat.expires_at, now)
    if pat.last_used_at is None or now - pat.last_used_at > _PAT_TOUCH_INTERVAL:
        pat.last_used_at = now
        await session.commit()
        since = cache.generation if cache else 0  # the commit itself forgot this token
    if cache:
        entry = TokenEntry(pat.user_id, pat.expires_at, pat.last_used_at or now)
        cache.put_token(token_hash, entry, since)
    return pat.user_id


def _refuse_expired(expires_at: datetime | None, now: datetime) -> None:
    if expires_at is not None and expires_at <= now:
        raise Unauthorized("token_expired", "The access token has expired")


async def provision_forwarded_user(session: AsyncSession, settings: Settings, email: str) -> User:
    """Databricks Apps mode: the platform vouches for the email; create the user on first sight."""
    user = await UserRepository(session).by_email(email)
    if user is None:
        admins = {e.lower() for e in settings.admin_emails}
        user = await create_user(
            session,
            settings,
            email=email,
            name=email.split("@")[0],
            password=None,
            is_admin=email.lower() in admins,
        )
        await session.commit()
    if not user.is_active:
        raise Unauthorized("user_inactive", "This account has been deactivated")
    return user


async def create_personal_token(
    session: AsyncSession, user: User, body: AccessTokenCreate
) -> AccessTokenCreated:
    token = new_opaque_token(PAT_PREFIX)
    pat = await AccessTokenRepository(session).add(
        PersonalAccessToken(
            user_id=user.id,
            name=body.name,
            token_hash=hash_token(token),
            expires_at=body.expires_at,
        )
    )
    await session.commit()
    return AccessTokenCreated(token=token, **AccessTokenRead.model_validate(pat).model_dump())


async def list_personal_tokens(
    session: AsyncSession, user: User, params: PageParams
) -> Page[AccessTokenRead]:
    repo = AccessTokenRepository(session)
    rows, cursor = await repo.page(
        repo.of_user(user.id), params, PersonalAccessToken.created_at, descending=True
    )
    return Page(items=[AccessTokenRead.model_validate(r) for r in rows], next_cursor=cursor)


async def delete_personal_token(session: AsyncSession, user: User, token_id: uuid.UUID) -> None:
    repo = AccessTokenRepository(session)
    pat = await repo.first(repo.of_user(user.id).where(PersonalAccessToken.id == token_id))
    if pat is None:
        raise NotFound("token_not_found", "No such access token")
    await repo.delete(pat)
    await session.commit()
