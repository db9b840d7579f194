"""SQL for knowledge bases and their files.

The group-scoped repositories serve requests. `IngestionRepository` serves the ingestion
loop, which works for every group: it claims files by a conditional UPDATE (of several API
processes, exactly one wins a file) and hands each one to the group-scoped code after.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from kasal.core.repository import GroupScopedRepository, Repository
from kasal.knowledge.models import FileStatus, KnowledgeBase, KnowledgeFile


class KnowledgeBaseRepository(GroupScopedRepository[KnowledgeBase]):
    model = KnowledgeBase

    async def named(self, name: str) -> KnowledgeBase | None:
        stmt = self.select().where(func.lower(KnowledgeBase.name) == name.lower())
        return await self.first(stmt)

    async def ids(self) -> list[uuid.UUID]:
        stmt = select(KnowledgeBase.id).where(KnowledgeBase.group_id == self.group_id)
        return list((await self.session.scalars(stmt)).all())

    async def of_ids(self, ids: list[uuid.UUID]) -> list[KnowledgeBase]:
        return await self.all(self.select().where(KnowledgeBase.id.in_(ids)))

    async def file_counts(self, base_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, int]]:
        """Per base: how many files are in each status."""
        stmt = (
            select(KnowledgeFile.base_id, KnowledgeFile.status, func.count())
            .where(KnowledgeFile.group_id == self.group_id, KnowledgeFile.base_id.in_(base_ids))
            .group_by(KnowledgeFile.base_id, KnowledgeFile.status)
        )
        counts: dict[uuid.UUID, dict[str, int]] = {}
        for base_id, status, count in (await self.session.execute(stmt)).all():
            counts.setdefault(base_id, {})[str(status)] = count
        return counts


class KnowledgeFileRepository(GroupScopedRepository[KnowledgeFile]):
    model = KnowledgeFile

    async def in_base(self, base_id: uuid.UUID, file_id: uuid.UUID) -> KnowledgeFile | None:
        stmt = self.select().where(KnowledgeFile.base_id == base_id, KnowledgeFile.id == file_id)
        return await self.first(stmt)


class IngestionRepository(Repository[KnowledgeFile]):
    model = KnowledgeFile

    async def oldest_queued(self) -> uuid.UUID | None:
        stmt = (
            select(KnowledgeFile.id)
            .where(KnowledgeFile.status == FileStatus.queued)
            .order_by(KnowledgeFile.created_at, KnowledgeFile.id)
            .limit(1)
        )
        return (await self.session.scalars(stmt)).first()

    async def claim(self, file_id: uuid.UUID, lease_until: datetime) -> bool:
        return await self._move(
            file_id,
            FileStatus.queued,
            status=FileStatus.processing,
            lease_expires_at=lease_until,
            chunks_done=0,
            chunks_total=None,
            error=None,
        )

    async def renew(self, file_id: uuid.UUID, lease_until: datetime, **values: Any) -> bool:
        """Progress of a file this process is processing; False when it is gone (deleted)."""
        return await self._move(
            file_id, FileStatus.processing, lease_expires_at=lease_until, **values
        )

    async def finish(self, file_id: uuid.UUID, status: FileStatus, **values: Any) -> bool:
        return await self._move(
            file_id, FileStatus.processing, status=status, lease_expires_at=None, **values
        )

    async def requeue_expired(self, now: datetime) -> int:
        """Files whose processing process died: queued again, from the start."""
        result = await self.session.execute(
            update(KnowledgeFile)
            .where(
                KnowledgeFile.status == FileStatus.processing,
                KnowledgeFile.lease_expires_at < now,
            )
            .values(status=FileStatus.queued, lease_expires_at=None)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def _move(self, file_id: uuid.UUID, from_: FileStatus, **values: Any) -> bool:
        result = await self.session.execute(
            update(KnowledgeFile)
            .where(KnowledgeFile.id == file_id, KnowledgeFile.status == from_)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))
