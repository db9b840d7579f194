"""User administration (instance admins only)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasal.auth import service as auth
from kasal.auth.models import User
from kasal.auth.repository import RefreshTokenRepository, UserRepository
from kasal.auth.schemas import UserCreate, UserRead, UserUpdate
from kasal.core.config import Settings
from kasal.core.db import utcnow
from kasal.core.errors import Conflict, NotFound
from kasal.core.pagination import Page, PageParams


async def list_users(session: AsyncSession, params: PageParams) -> Page[UserRead]:
    repo = UserRepository(session)
    rows, cursor = await repo.page(repo.select(), params, User.created_at)
    return Page(items=[UserRead.model_validate(u) for u in rows], next_cursor=cursor)


async def create(session: AsyncSession, settings: Settings, body: UserCreate) -> UserRead:
    user = await auth.create_user(
        session,
        settings,
        email=body.email,
        name=body.name,
        password=body.password,
        is_admin=body.is_admin,
    )
    await session.commit()
    return UserRead.model_validate(user)


async def update(
    session: AsyncSession, actor: User, user_id: uuid.UUID, body: UserUpdate
) -> UserRead:
    user = await UserRepository(session).get(user_id)
    if user is None:
        raise NotFound("user_not_found", "No such user")
    losing_admin = (body.is_admin is False or body.is_active is False) and user.is_admin
    if losing_admin and await _active_admins(session) <= 1:
        raise Conflict("last_admin", "At least one active administrator must remain")
    if body.name is not None:
        user.name = body.name
    if body.is_admin is not None:
        user.is_admin = body.is_admin
    if body.is_active is not None:
        user.is_active = body.is_active
        if not body.is_active:
            await RefreshTokenRepository(session).revoke_user(user.id, utcnow())
    await session.commit()
    return UserRead.model_validate(user)


async def _active_admins(session: AsyncSession) -> int:
    stmt = select(func.count()).where(User.is_admin.is_(True), User.is_active.is_(True))
    return int(await session.scalar(stmt) or 0)
