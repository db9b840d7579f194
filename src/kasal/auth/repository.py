"""SQL for users, groups, memberships and tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select, func, select, update

from kasal.auth.models import Group, Membership, PersonalAccessToken, RefreshToken, User
from kasal.core.context import Role
from kasal.core.repository import GroupScopedRepository, Repository


class UserRepository(Repository[User]):
    model = User

    async def by_email(self, email: str) -> User | None:
        return await self.first(self.select().where(User.email == email.lower()))

    async def count(self) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(User)) or 0)


class GroupRepository(Repository[Group]):
    model = Group

    def of_user(self, user_id: uuid.UUID) -> Select[Group, Role]:
        """The groups a user belongs to, each with the user's role in it."""
        return (
            select(Group, Membership.role)
            .join(Membership, Membership.group_id == Group.id)
            .where(Membership.user_id == user_id)
        )

    async def role_of(self, group_id: uuid.UUID, user_id: uuid.UUID) -> Role | None:
        stmt = select(Membership.role).where(
            Membership.group_id == group_id, Membership.user_id == user_id
        )
        return await self.session.scalar(stmt)


class MembershipRepository(GroupScopedRepository[Membership]):
    model = Membership

    def with_users(self) -> Select[Membership, User]:
        return (
            select(Membership, User)
            .join(User, User.id == Membership.user_id)
            .where(Membership.group_id == self.group_id)
        )

    async def of_user(self, user_id: uuid.UUID) -> Membership | None:
        return await self.first(self.select().where(Membership.user_id == user_id))

    async def count_admins(self) -> int:
        stmt = select(func.count()).where(
            Membership.group_id == self.group_id, Membership.role == Role.admin
        )
        return int(await self.session.scalar(stmt) or 0)


class RefreshTokenRepository(Repository[RefreshToken]):
    model = RefreshToken

    async def by_hash(self, token_hash: str) -> RefreshToken | None:
        return await self.first(self.select().where(RefreshToken.token_hash == token_hash))

    async def revoke_family(self, family_id: uuid.UUID, now: datetime) -> None:
        await self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def revoke_user(self, user_id: uuid.UUID, now: datetime) -> None:
        await self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )


class AccessTokenRepository(Repository[PersonalAccessToken]):
    model = PersonalAccessToken

    def of_user(self, user_id: uuid.UUID) -> Select[PersonalAccessToken]:
        return self.select().where(PersonalAccessToken.user_id == user_id)

    async def by_hash(self, token_hash: str) -> PersonalAccessToken | None:
        stmt = self.select().where(PersonalAccessToken.token_hash == token_hash)
        return await self.first(stmt)
