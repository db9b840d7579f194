"""Tracing to MLflow: a group's opt-in, and what became of its runs' exports.

The tracking server is the operator's choice (`KASAL_MLFLOW_TRACKING_URI`, or the workspace
when running as a Databricks App); a group chooses whether its runs go there and into which
experiment. Runs that finished before tracing was turned on are not exported.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from kasal.core.config import Settings
from kasal.core.context import GroupContext
from kasal.core.db import committed_unless_taken, utcnow
from kasal.core.errors import Conflict, InvalidInput
from kasal.executions import service as executions
from kasal.tracing.models import TracingSetting
from kasal.tracing.repository import TraceExportRepository, TracingSettingRepository
from kasal.tracing.schemas import RunTraceRead, TraceExportRead, TracingRead, TracingUpdate

RECENT = 20


async def get(session: AsyncSession, ctx: GroupContext, settings: Settings) -> TracingRead:
    setting = await TracingSettingRepository(session, ctx.group_id).current()
    recent = await TraceExportRepository(session, ctx.group_id).recent(RECENT)
    return TracingRead(
        available=settings.tracking_uri is not None,
        destination=destination_label(settings.tracking_uri),
        enabled=setting is not None and setting.enabled,
        experiment_name=setting.experiment_name if setting is not None else None,
        recent=[TraceExportRead.model_validate(row) for row in recent],
    )


async def update(
    session: AsyncSession, ctx: GroupContext, settings: Settings, body: TracingUpdate
) -> TracingRead:
    if body.enabled and settings.tracking_uri is None:
        raise InvalidInput(
            "tracing_unavailable",
            "This server has no MLflow tracking server to send traces to: the operator sets "
            "KASAL_MLFLOW_TRACKING_URI (in a Databricks App it is the workspace by default)",
        )
    repo = TracingSettingRepository(session, ctx.group_id)
    setting = await repo.current()
    async with committed_unless_taken(session, _changed_meanwhile()):
        if setting is None:
            setting = await repo.add(TracingSetting(enabled=False, experiment_name=""))
        if body.enabled and not setting.enabled:
            setting.enabled_at = utcnow()
        setting.enabled = body.enabled
        setting.experiment_name = body.experiment_name
    return await get(session, ctx, settings)


async def export_of(
    session: AsyncSession, ctx: GroupContext, execution_id: uuid.UUID
) -> RunTraceRead:
    await executions.get(session, ctx, execution_id)  # another group's run: 404
    row = await TraceExportRepository(session, ctx.group_id).of_execution(execution_id)
    export = TraceExportRead.model_validate(row) if row is not None else None
    return RunTraceRead(execution_id=execution_id, export=export)


def destination_label(tracking_uri: str | None) -> str | None:
    """The tracking URI without what must not be shown (credentials, path, query)."""
    if tracking_uri is None:
        return None
    parts = urlsplit(tracking_uri)
    if parts.scheme in ("http", "https"):
        return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return parts.scheme or tracking_uri


def _changed_meanwhile() -> Conflict:
    return Conflict("tracing_changed", "The tracing setting changed meanwhile: try again")
