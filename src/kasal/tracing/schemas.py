"""Request and response bodies of the tracing endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from kasal.tracing.models import ExportStatus

ExperimentName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)
]


class TracingUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool
    experiment_name: ExperimentName = Field(
        description="The MLflow experiment the group's runs go to, created if missing "
        "(on Databricks a workspace path such as /Shared/kasal)"
    )


class TraceExportRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    execution_id: uuid.UUID
    status: ExportStatus
    attempts: int
    experiment_name: str
    trace_id: str | None = Field(description="The MLflow trace id, once exported")
    error: str | None = Field(description="Why the last attempt failed")
    next_attempt_at: datetime | None = Field(description="When a failed export is tried again")
    created_at: datetime
    exported_at: datetime | None


class RunTraceRead(BaseModel):
    execution_id: uuid.UUID
    export: TraceExportRead | None = Field(
        description="The run's export; null: never queued (tracing was off when it finished)"
    )


class TracingRead(BaseModel):
    available: bool = Field(
        description="Whether this server can trace at all (KASAL_MLFLOW_TRACKING_URI)"
    )
    destination: str | None = Field(
        description="Where traces go: databricks, or the tracking server's scheme and host"
    )
    enabled: bool
    experiment_name: str | None
    recent: list[TraceExportRead] = Field(description="The group's latest exports, newest first")
