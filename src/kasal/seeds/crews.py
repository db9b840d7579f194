"""Seeds the example crews (data/crews/*.yaml) into the bootstrap admin's personal group.

The files use the crew export format, so they read like any exported crew and go
through the same importer. A crew is matched by name: one already there (edited or
not) is left alone, so seeding twice changes nothing. Without an admin there is no
group to seed into, and nothing happens.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kasal.auth.models import User
from kasal.core.config import Settings
from kasal.core.context import GroupContext, Role
from kasal.crews import porting
from kasal.crews import service as crews
from kasal.crews.schemas import CrewBody


@cache
def example_crews() -> tuple[CrewBody, ...]:
    folder = resources.files("kasal.seeds").joinpath("data/crews")
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".yaml")), key=lambda f: f.name)
    return tuple(porting.import_file(f.name, f.read_bytes(), str).body for f in files)


async def seed(session: AsyncSession, settings: Settings) -> None:
    admin = await _bootstrap_admin(session, settings)
    if admin is None:
        return
    ctx = GroupContext(user_id=admin.id, group_id=admin.personal_group_id, role=Role.admin)
    for body in example_crews():
        await crews.ensure_named(session, ctx, body)
    await session.flush()


async def _bootstrap_admin(session: AsyncSession, settings: Settings) -> User | None:
    """The admin created on first start, else the oldest active admin."""
    admins = (
        select(User)
        .where(User.is_admin.is_(True), User.is_active.is_(True))
        .order_by((User.email == settings.admin_email.lower()).desc(), User.created_at, User.id)
        .limit(1)
    )
    return (await session.scalars(admins)).first()
