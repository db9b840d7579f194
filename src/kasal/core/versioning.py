"""Versioned documents (crews, flows): a head row holding the current document plus an
immutable row per saved version.

Every save writes a version row holding the whole document. A save names the version it
started from; the write is a compare-and-set on the head's version column, so of two saves
based on the same version exactly one wins and the other gets `version_conflict` (409).
Names are unique per group, ignoring case (`name_key`). The domains keep their own tables
and schemas; the rules of saving live here once.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Generic, Protocol, TypeVar, cast

from sqlalchemy import CursorResult, Select, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kasal.core.context import GroupContext
from kasal.core.db import Base, utcnow
from kasal.core.errors import Conflict, NotFound
from kasal.core.pagination import PageParams
from kasal.core.repository import GroupScopedRepository

NAME_LIMIT = 200


class _Head(Protocol):
    id: uuid.UUID
    name: str
    name_key: str
    description: str
    version: int
    content: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class _Version(Protocol):
    version: int
    content: dict[str, Any]
    author_email: str | None
    created_at: datetime


H = TypeVar("H", bound=Base)
V = TypeVar("V", bound=Base)


def name_key(name: str) -> str:
    return name.strip().casefold()


class HeadRepository(GroupScopedRepository[H]):
    """The heads of one kind of document: looked up by name, saved by compare-and-set."""

    async def named(self, name: str) -> H | None:
        return await self.first(self.select().where(self._table.c.name_key == name_key(name)))

    async def names_starting(self, prefix: str) -> set[str]:
        """The (lower-cased) names in use that start with `prefix`, to pick a free one."""
        column = self._table.c.name_key
        stmt = (
            self.select()
            .with_only_columns(column)
            .where(column.startswith(name_key(prefix), autoescape=True))
        )
        return set((await self.session.scalars(stmt)).all())

    async def save_if_version(
        self, head_id: uuid.UUID, expected: int, values: dict[str, Any], now: datetime
    ) -> bool:
        """Compare-and-set: write only if nobody saved since `expected`. Race-safe on
        every backend, because the check and the write are one UPDATE statement."""
        table = self._table
        stmt = (
            update(self.model)
            .where(
                table.c.id == head_id,
                table.c.group_id == self.group_id,
                table.c.version == expected,
            )
            .values(**values, version=expected + 1, updated_at=now)
        )
        result = cast(CursorResult[Any], await self.session.execute(stmt))
        return result.rowcount == 1


class VersionRepository(GroupScopedRepository[V]):
    """The saved versions of one kind of document; `parent` names the column of the head."""

    parent: ClassVar[str]

    def of(self, head_id: uuid.UUID) -> Select[V]:
        return self.select().where(self._table.c[self.parent] == head_id)

    async def number(self, head_id: uuid.UUID, version: int) -> V | None:
        return await self.first(self.of(head_id).where(self._table.c.version == version))

    async def latest(self, head_id: uuid.UUID) -> V | None:
        return await self.first(self.of(head_id).order_by(self._table.c.version.desc()))

    async def history(self, head_id: uuid.UUID, params: PageParams) -> tuple[list[V], str | None]:
        return await self.page(self.of(head_id), params, self._table.c.version, descending=True)

    async def author_email(self, user_id: uuid.UUID) -> str | None:
        """Kept with the version as written: the author may later change it or be deleted."""
        users = Base.metadata.tables["users"]
        email = await self.session.scalar(select(users.c.email).where(users.c.id == user_id))
        return str(email) if email is not None else None


@dataclass(frozen=True)
class Saved:
    """What one save writes: the head's name and description, and the whole document."""

    name: str
    description: str
    content: dict[str, Any]


class Versions(Generic[H, V]):
    """Saving documents of one kind (`noun`: "crew", "flow") for the caller's group.

    Flushes only; the domain's service commits (and rolls back where it says so)."""

    def __init__(
        self,
        session: AsyncSession,
        ctx: GroupContext,
        heads: type[HeadRepository[H]],
        versions: type[VersionRepository[V]],
        noun: str,
    ) -> None:
        self.session = session
        self.ctx = ctx
        self.heads = heads(session, ctx.group_id)
        self.versions = versions(session, ctx.group_id)
        self.noun = noun

    async def head(self, head_id: uuid.UUID) -> H:
        found = await self.heads.get(head_id)
        if found is None:
            raise NotFound(f"{self.noun}_not_found", f"No such {self.noun}")
        return found

    async def version(self, head_id: uuid.UUID, number: int) -> V:
        row = await self.versions.number(head_id, number)
        if row is None:
            raise NotFound(
                f"{self.noun}_version_not_found", f"This {self.noun} has no version {number}"
            )
        return row

    async def insert(self, doc: Saved) -> H:
        if await self.heads.named(doc.name) is not None:
            raise self.name_taken(doc.name)
        now = utcnow()
        head = self.heads.model(
            name=doc.name,
            name_key=name_key(doc.name),
            description=doc.description,
            version=1,
            content=doc.content,
            created_by=self.ctx.user_id,
            created_at=now,
            updated_at=now,
        )
        try:
            await self.heads.add(head)
        except IntegrityError:  # a concurrent save took the name between check and insert
            await self.session.rollback()
            raise self.name_taken(doc.name) from None
        await self._record(cast(_Head, head).id, 1, doc.content, now)
        return cast(H, head)

    async def save(self, head: H, doc: Saved, based_on: int) -> None:
        """Write `doc` as the next version of `head` if `based_on` is still its version."""
        current = cast(_Head, head)
        if based_on != current.version:
            raise await self.conflict(current.id, based_on)
        holder = await self.heads.named(doc.name)
        if holder is not None and cast(_Head, holder).id != current.id:
            raise self.name_taken(doc.name)
        now = utcnow()
        values = {
            "name": doc.name,
            "name_key": name_key(doc.name),
            "description": doc.description,
            "content": doc.content,
        }
        try:
            saved = await self.heads.save_if_version(current.id, based_on, values, now)
        except IntegrityError:
            await self.session.rollback()
            raise self.name_taken(doc.name) from None
        if not saved:
            conflict = await self.conflict(current.id, based_on)
            await self.session.rollback()
            raise conflict
        await self._record(current.id, based_on + 1, doc.content, now)

    async def _record(
        self, head_id: uuid.UUID, number: int, content: dict[str, Any], now: datetime
    ) -> None:
        row = self.versions.model(
            **{self.versions.parent: head_id},
            version=number,
            content=content,
            author_id=self.ctx.user_id,
            author_email=await self.versions.author_email(self.ctx.user_id),
            created_at=now,
        )
        await self.versions.add(row)

    async def conflict(self, head_id: uuid.UUID, based_on: int) -> Conflict:
        latest = cast(_Version | None, await self.versions.latest(head_id))
        if latest is None:  # unreachable: every document has version 1
            return Conflict("version_conflict", f"This {self.noun} changed since you loaded it.")
        who = latest.author_email or "a deleted user"
        when = latest.created_at.isoformat(timespec="seconds").replace("+00:00", "Z")
        return Conflict(
            "version_conflict",
            f"Your edit is based on version {based_on}, but {who} saved version "
            f"{latest.version} at {when}. Reload the {self.noun} and apply your change again.",
            [
                {
                    "based_on": based_on,
                    "current_version": latest.version,
                    "saved_by": latest.author_email,
                    "saved_at": latest.created_at.isoformat(),
                }
            ],
        )

    async def free_name(self, stem: str, label: str = "") -> str:
        """`stem` if free, else `stem (2)`, `stem (3)`...; copies: `stem (copy)`, `(copy 2)`..."""
        taken = await self.heads.names_starting(stem[: NAME_LIMIT // 2])
        for number in itertools.count(1):
            if number == 1:
                suffix = f" ({label})" if label else ""
            else:
                suffix = f" ({label} {number})" if label else f" ({number})"
            candidate = stem[: NAME_LIMIT - len(suffix)].rstrip() + suffix
            if name_key(candidate) not in taken:
                return candidate
        raise AssertionError("unreachable")  # pragma: no cover (count() never ends)

    def name_taken(self, name: str) -> Conflict:
        return Conflict(
            f"{self.noun}_name_taken", f"A {self.noun} named {name!r} already exists in this group"
        )
