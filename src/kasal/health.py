"""Liveness, readiness and build facts, for load balancers and humans."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from kasal import __version__
from kasal.core import migrate
from kasal.core.deps import SettingsDep
from kasal.core.errors import error_body
from kasal.executions.dispatcher import Dispatcher

router = APIRouter(tags=["system"])

# A probe must answer within its caller's own timeout, even when the database host is gone.
READY_TIMEOUT_S = 3.0


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready"] = "ready"
    migration: str | None


class Info(BaseModel):
    version: str
    database: str
    auth_mode: str


@router.get("/health")
async def health() -> Health:
    return Health()


@router.get(
    "/health/ready", response_model=Readiness, responses={503: {"description": "Not ready"}}
)
async def ready(request: Request) -> Readiness | JSONResponse:
    """Ready once the database is reachable and migrated and, in a process that runs
    workers, one of them is warm (`workers_warming` until then: `/health` answers from the
    start, and runs posted meanwhile wait queued)."""
    try:
        async with asyncio.timeout(READY_TIMEOUT_S), request.app.state.sessionmaker() as session:
            current = await migrate.current_revision(session)
    except TimeoutError:
        return _unreachable(f"no answer within {READY_TIMEOUT_S:g} s")
    except (SQLAlchemyError, OSError) as exc:
        return _unreachable(type(getattr(exc, "orig", None) or exc).__name__)
    head = migrate.head_revision()
    if current != head:
        return _not_ready("migrations_pending", f"Database at {current}, code expects {head}")
    dispatcher = getattr(request.app.state, "dispatcher", None)  # None: started without lifespan
    warming = dispatcher.warming() if isinstance(dispatcher, Dispatcher) else None
    if warming is not None:
        return _not_ready("workers_warming", warming)
    return Readiness(migration=current)


def _unreachable(why: str) -> JSONResponse:
    """The cause's kind only: this answers anyone, and a driver's message names hosts."""
    return _not_ready("database_unreachable", f"The database is not reachable ({why})")


def _not_ready(code: str, message: str) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=503)


@router.get("/info")
async def info(request: Request, settings: SettingsDep) -> Info:
    return Info(
        version=__version__,
        database=request.app.state.engine.dialect.name,
        auth_mode=settings.auth_mode,
    )
