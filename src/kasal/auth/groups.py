"""Groups and their members. Membership decides what a user may see and do."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasal.auth.cache import AuthCache
from kasal.auth.models import Group, Membership, User
from kasal.auth.repository import GroupRepository, MembershipRepository, UserRepository
from kasal.auth.schemas import (
    GroupCreate,
    GroupRead,
    GroupUpdate,
    MemberAdd,
    MemberRead,
    MemberUpdate,
)
from kasal.core.context import GroupContext, Role
from kasal.core.errors import Conflict, Forbidden, NotFound
from kasal.core.pagination import Page, PageParams


async def context_for(
    session: AsyncSession, user: User, group_id: uuid.UUID | None
) -> GroupContext:
    """The caller's role in a group; a group they are not in does not exist for them."""
    gid = group_id or user.personal_group_id
    cache = AuthCache.of(session)
    role = cache.role(gid, user.id) if cache else None
    if role is None:
        since = cache.generation if cache else 0
        role = await GroupRepository(session).role_of(gid, user.id)
        if role is not None and cache:
            cache.put_role(gid, user.id, role, since)
    if role is None:
        raise NotFound("group_not_found", "No such group")
    return GroupContext(user_id=user.id, group_id=gid, role=role)


async def acting_as(
    session: AsyncSession, user_id: uuid.UUID | None, group_id: uuid.UUID, needed: Role
) -> GroupContext | str:
    """The context of a user acting in a group without a request (a schedule's or a
    trigger's owner), with their role as it is now; or why they may not act any more."""
    user = await UserRepository(session).get(user_id) if user_id is not None else None
    if user is None or not user.is_active:
        return "its owner's account no longer exists or is deactivated"
    role = await GroupRepository(session).role_of(group_id, user.id)
    if role is None:
        return f"its owner ({user.email}) is no longer a member of the group"
    if not role.allows(needed):
        return f"its owner ({user.email}) is now a {role.value}; starting runs needs {needed.value}"
    return GroupContext(user_id=user.id, group_id=group_id, role=role)


def require(ctx: GroupContext, needed: Role) -> GroupContext:
    if not ctx.role.allows(needed):
        raise Forbidden(
            "insufficient_role",
            f"This needs the {needed.value} role in the group (you: {ctx.role})",
        )
    return ctx


async def list_groups(session: AsyncSession, user: User, params: PageParams) -> Page[GroupRead]:
    repo = GroupRepository(session)
    stmt = repo.select().join(Membership).where(Membership.user_id == user.id)
    rows, cursor = await repo.page(stmt, params, Group.created_at)
    role_rows = await session.execute(
        select(Membership.group_id, Membership.role).where(
            Membership.user_id == user.id, Membership.group_id.in_([g.id for g in rows])
        )
    )
    roles = {row.group_id: row.role for row in role_rows}
    return Page(items=[_read(g, roles[g.id]) for g in rows], next_cursor=cursor)


async def create(session: AsyncSession, user: User, body: GroupCreate) -> GroupRead:
    group = await GroupRepository(session).add(Group(name=body.name))
    await MembershipRepository(session, group.id).add(Membership(user_id=user.id, role=Role.admin))
    await session.commit()
    return _read(group, Role.admin)


async def current(session: AsyncSession, ctx: GroupContext) -> GroupRead:
    return _read(await _group(session, ctx.group_id), ctx.role)


async def get(session: AsyncSession, user: User, group_id: uuid.UUID) -> GroupRead:
    ctx = await context_for(session, user, group_id)
    return _read(await _group(session, group_id), ctx.role)


async def update(
    session: AsyncSession, user: User, group_id: uuid.UUID, body: GroupUpdate
) -> GroupRead:
    ctx = require(await context_for(session, user, group_id), Role.admin)
    group = await _group(session, group_id)
    group.name = body.name
    await session.commit()
    return _read(group, ctx.role)


async def delete(session: AsyncSession, user: User, group_id: uuid.UUID) -> None:
    require(await context_for(session, user, group_id), Role.admin)
    group = await _group(session, group_id)
    if group.is_personal:
        raise Conflict("personal_group", "A personal group cannot be deleted")
    await GroupRepository(session).delete(group)
    await session.commit()


async def list_members(
    session: AsyncSession, user: User, group_id: uuid.UUID, params: PageParams
) -> Page[MemberRead]:
    await context_for(session, user, group_id)
    repo = MembershipRepository(session, group_id)
    rows, cursor = await repo.page(repo.select(), params, Membership.created_at)
    users = {
        u.id: u
        for u in await UserRepository(session).all(
            select(User).where(User.id.in_([m.user_id for m in rows]))
        )
    }
    return Page(items=[_member(m, users[m.user_id]) for m in rows], next_cursor=cursor)


async def add_member(
    session: AsyncSession, user: User, group_id: uuid.UUID, body: MemberAdd
) -> MemberRead:
    require(await context_for(session, user, group_id), Role.admin)
    if (await _group(session, group_id)).is_personal:
        raise Conflict("personal_group", "A personal group has no other members")
    member = await UserRepository(session).by_email(body.email)
    if member is None:
        raise NotFound("user_not_found", f"No user with email {body.email!r}")
    repo = MembershipRepository(session, group_id)
    if await repo.of_user(member.id) is not None:
        raise Conflict("already_member", f"{body.email} is already a member")
    membership = await repo.add(Membership(user_id=member.id, role=body.role))
    await session.commit()
    return _member(membership, member)


async def update_member(
    session: AsyncSession, user: User, group_id: uuid.UUID, user_id: uuid.UUID, body: MemberUpdate
) -> MemberRead:
    require(await context_for(session, user, group_id), Role.admin)
    repo = MembershipRepository(session, group_id)
    membership = await _membership(repo, user_id)
    if membership.role == Role.admin and body.role != Role.admin:
        await _keep_an_admin(repo)
    membership.role = body.role
    await session.commit()
    member = await UserRepository(session).get(user_id)
    assert member is not None  # noqa: S101 (the membership's foreign key guarantees it)
    return _member(membership, member)


async def remove_member(
    session: AsyncSession, user: User, group_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    ctx = await context_for(session, user, group_id)
    if user_id != user.id:  # anyone may leave; only admins remove others
        require(ctx, Role.admin)
    if (await _group(session, group_id)).is_personal:
        raise Conflict("personal_group", "Nobody can leave their personal group")
    repo = MembershipRepository(session, group_id)
    membership = await _membership(repo, user_id)
    if membership.role == Role.admin:
        await _keep_an_admin(repo)
    await repo.delete(membership)
    await session.commit()


async def _group(session: AsyncSession, group_id: uuid.UUID) -> Group:
    group = await GroupRepository(session).get(group_id)
    if group is None:
        raise NotFound("group_not_found", "No such group")
    return group


async def _membership(repo: MembershipRepository, user_id: uuid.UUID) -> Membership:
    membership = await repo.of_user(user_id)
    if membership is None:
        raise NotFound("member_not_found", "That user is not a member of this group")
    return membership


async def _keep_an_admin(repo: MembershipRepository) -> None:
    if await repo.count_admins() <= 1:
        raise Conflict("last_admin", "A group must keep at least one admin")


def _read(group: Group, role: Role) -> GroupRead:
    return GroupRead(
        id=group.id,
        name=group.name,
        is_personal=group.is_personal,
        role=role,
        created_at=group.created_at,
    )


def _member(membership: Membership, user: User) -> MemberRead:
    return MemberRead(user_id=user.id, email=user.email, name=user.name, role=membership.role)
