"""Cursor pagination with a stable order: (sort column, id), cursors opaque to clients."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession

from kasal.core.errors import InvalidInput

T = TypeVar("T")
M = TypeVar("M")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


@dataclass(frozen=True)
class PageParams:
    limit: int = 50
    cursor: str | None = None


async def _page_params(
    limit: Annotated[int, Query(ge=1, le=200, description="Items per page")] = 50,
    cursor: Annotated[str | None, Query(description="Opaque cursor from next_cursor")] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


PageQuery = Annotated[PageParams, Depends(_page_params)]


@dataclass(frozen=True)
class Sort:
    """Order by `column` (then by `id` to break ties), ascending unless `descending`."""

    column: Any
    id_column: Any
    descending: bool = False


async def paginate(
    session: AsyncSession, stmt: Select[M], sort: Sort, params: PageParams
) -> tuple[list[M], str | None]:
    if params.cursor is not None:
        stmt = stmt.where(_after(sort, *_decode(params.cursor, sort)))
    order = (
        (sort.column.desc(), sort.id_column.desc())
        if sort.descending
        else (
            sort.column.asc(),
            sort.id_column.asc(),
        )
    )
    rows = list((await session.scalars(stmt.order_by(*order).limit(params.limit + 1))).all())
    if len(rows) <= params.limit:
        return rows, None
    rows = rows[: params.limit]
    last = rows[-1]
    return rows, _encode(getattr(last, sort.column.key), getattr(last, sort.id_column.key))


def _after(sort: Sort, value: Any, last_id: uuid.UUID) -> ColumnElement[bool]:
    if sort.descending:
        return or_(sort.column < value, and_(sort.column == value, sort.id_column < last_id))
    return or_(sort.column > value, and_(sort.column == value, sort.id_column > last_id))


def _encode(value: Any, last_id: uuid.UUID) -> str:
    if isinstance(value, datetime):
        payload = ["dt", value.isoformat(), str(last_id)]
    else:
        payload = ["v", value, str(last_id)]
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def _decode(cursor: str, sort: Sort) -> tuple[Any, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        kind, value, last_id = json.loads(raw)
        if kind == "dt":
            value = datetime.fromisoformat(value)
        return value, uuid.UUID(last_id)
    except (ValueError, TypeError) as exc:
        raise InvalidInput("invalid_cursor", "The pagination cursor is not valid") from exc
