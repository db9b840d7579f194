"""The MLflow side of an export: a finished run as mlflow-tracing entities, sent synchronously
through an explicit client, so that a failure is an exception here and not a log line.

The spans come from the run's event log as the timeline nests them (`trace_spans`): the
crew is the root, then task > agent > LLM call | tool call, each with its start and end
time from the events, a preview of what went in and out, token counts on LLM calls (and
the run's total on the root), and status ERROR with the reason where something failed.
The event log already holds tool arguments redacted; nothing else (no key, no token) is
put into a span.

mlflow's own exporter reads the tracking URI and its credentials from process-wide state
(`mlflow.set_tracking_uri`, `MLFLOW_TRACKING_TOKEN`), which several groups and threads would
share. For an http(s) server this module builds its own store and artifact repository with
the credentials given; for `databricks` it uses mlflow's Databricks resolution (the
databricks-sdk's default credentials: in a Databricks App, the app's service principal).

Importing mlflow takes seconds: this module is imported only in the export thread, the
first time a group's run is exported, never at start-up.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Before mlflow is imported. No telemetry; a failed request fails the attempt at once, as
# the exporter retries with its own backoff, and a hung server costs 30 s, not 2 min.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")

from mlflow.entities import (
    Span,
    SpanStatus,
    SpanStatusCode,
    SpanType,
    Trace,
    TraceData,
    TraceInfo,
    TraceLocation,
    TraceState,
)
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import RESOURCE_ALREADY_EXISTS, ErrorCode
from mlflow.store.artifact.mlflow_artifacts_repo import MlflowArtifactsRepository
from mlflow.store.tracking.rest_store import RestStore
from mlflow.tracing.client import TracingClient
from mlflow.tracing.constant import (
    TRACE_SCHEMA_VERSION,
    TRACE_SCHEMA_VERSION_KEY,
    SpanAttributeKey,
    TraceMetadataKey,
    TraceTagKey,
)
from mlflow.tracing.utils import (
    build_otel_context,
    dump_span_attribute_value,
    generate_mlflow_trace_id_from_otel_trace_id,
)
from mlflow.tracing.utils.artifact_utils import get_artifact_uri_for_trace
from mlflow.utils.rest_utils import MlflowHostCreds
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan

from kasal.executions.models import Execution, Status
from kasal.executions.trace import TracedSpan

PREVIEW_CHARS = 1000  # of the trace's request and response previews
ROOT_SPAN = 1

_SPAN_TYPES = {
    "flow": SpanType.CHAIN,
    "step": SpanType.CHAIN,
    "task": SpanType.CHAIN,
    "agent": SpanType.AGENT,
    "llm": SpanType.LLM,
}
_UNFINISHED = "The span did not end: the run stopped first"


@dataclass(frozen=True)
class Destination:
    tracking_uri: str
    token: str | None = None  # for an http(s) server; never logged


def send(
    destination: Destination, experiment_name: str, run: Execution, spans: list[TracedSpan]
) -> str:
    """Export one run; its MLflow trace id. Raises whatever the tracking server answers."""
    client = _client(destination)
    experiment_id = _experiment_id(client, experiment_name)
    trace = build(run, spans, experiment_id)
    info = client.start_trace(trace.info)
    client._upload_trace_data(info, trace.data)
    return str(info.trace_id)


def build(run: Execution, spans: list[TracedSpan], experiment_id: str) -> Trace:
    """The trace of `run`. Its id derives from the run's, so that a retry after a partial
    export writes the same trace again rather than a second one."""
    otel_trace_id = run.id.int
    trace_id = generate_mlflow_trace_id_from_otel_trace_id(otel_trace_id)
    start = run.started_at or run.created_at
    end = run.finished_at or start
    ok = run.status == Status.succeeded
    root = _span(
        trace_id,
        otel_trace_id,
        ROOT_SPAN,
        None,
        name=run.crew_name,
        span_type=SpanType.CHAIN,
        start=start,
        end=end,
        inputs=run.inputs,
        outputs=run.result,
        attributes={"kasal.kind": "crew", "kasal.execution_id": str(run.id)}
        | _usage_attribute(run.usage),
        error=None if ok else run.error or f"The run ended {run.status.value}",
    )
    entities = [root]
    otel_ids: dict[str, int] = {}
    for number, traced in enumerate(spans, start=ROOT_SPAN + 1):
        if traced.span.kind == "crew":  # the run's root stands for the crew
            otel_ids[traced.span.id] = ROOT_SPAN
            continue
        otel_ids[traced.span.id] = number
        parent = otel_ids.get(traced.span.parent_id or "", ROOT_SPAN)
        entities.append(_child(trace_id, otel_trace_id, number, parent, traced, end))
    info = TraceInfo(
        trace_id=trace_id,
        trace_location=TraceLocation.from_experiment_id(experiment_id),
        request_time=_ms(start),
        state=TraceState.OK if ok else TraceState.ERROR,
        request_preview=_preview(run.inputs),
        response_preview=_preview(run.result if ok else run.error),
        client_request_id=str(run.id),
        execution_duration=_ms(end) - _ms(start),
        trace_metadata={
            TRACE_SCHEMA_VERSION_KEY: str(TRACE_SCHEMA_VERSION),
            TraceMetadataKey.TOKEN_USAGE: json.dumps(_token_usage(run.usage)),
            "kasal.execution_id": str(run.id),
        },
        tags={TraceTagKey.TRACE_NAME: run.crew_name, "kasal.status": run.status.value},
    )
    return Trace(info=info, data=TraceData(spans=entities))


def _child(
    trace_id: str,
    otel_trace_id: int,
    number: int,
    parent: int,
    traced: TracedSpan,
    run_end: datetime,
) -> Span:
    span, started, ended = traced.span, traced.started, traced.ended
    data = ended.data if ended is not None else {}
    attributes: dict[str, Any] = {"kasal.kind": span.kind}
    if started.task_key:
        attributes["kasal.task_key"] = started.task_key
    if started.agent_key:
        attributes["kasal.agent_key"] = started.agent_key
    if span.kind == "llm":
        attributes[SpanAttributeKey.MODEL] = started.data.get("model")
        if "prompt_tokens" in data:
            attributes |= _usage_attribute(data)
    inputs: Any = {"model": started.data.get("model")} if span.kind == "llm" else None
    if span.kind == "tool":
        attributes["kasal.tool_id"] = started.data.get("tool_id")
        inputs = started.data.get("args")
    elif span.kind in ("task", "agent"):
        inputs = {key: started.data[key] for key in ("name", "role") if key in started.data}
    if ended is None:
        error: str | None = _UNFINISHED
    else:
        error = str(data.get("error") or "failed") if span.status == "failed" else None
    return _span(
        trace_id,
        otel_trace_id,
        number,
        parent,
        name=span.name,
        span_type=_SPAN_TYPES.get(span.kind, SpanType.TOOL),
        start=span.start,
        end=span.end or run_end,
        inputs=inputs,
        outputs=data.get("output"),
        attributes=attributes,
        error=error,
    )


def _span(
    trace_id: str,
    otel_trace_id: int,
    span_id: int,
    parent_id: int | None,
    *,
    name: str,
    span_type: str,
    start: datetime,
    end: datetime,
    inputs: Any,
    outputs: Any,
    attributes: dict[str, Any],
    error: str | None,
) -> Span:
    values = {
        SpanAttributeKey.REQUEST_ID: trace_id,
        SpanAttributeKey.SPAN_TYPE: span_type,
        SpanAttributeKey.INPUTS: inputs,
        SpanAttributeKey.OUTPUTS: outputs,
        **attributes,
    }
    status = (
        SpanStatus(SpanStatusCode.OK) if error is None else SpanStatus(SpanStatusCode.ERROR, error)
    )
    otel = ReadableSpan(
        name=name,
        context=build_otel_context(otel_trace_id, span_id),
        parent=build_otel_context(otel_trace_id, parent_id) if parent_id is not None else None,
        start_time=_ns(start),
        end_time=max(_ns(end), _ns(start)),
        attributes={k: dump_span_attribute_value(v) for k, v in values.items() if v is not None},
        status=status.to_otel_status(),
        resource=Resource.get_empty(),
    )
    return Span(otel)


def _token_usage(usage: dict[str, Any]) -> dict[str, int]:
    prompt = int(usage.get("prompt_tokens") or 0)
    completion = int(usage.get("completion_tokens") or 0)
    return {
        "input_tokens": prompt,
        "output_tokens": completion,
        "total_tokens": int(usage.get("total_tokens") or prompt + completion),
    }


def _usage_attribute(usage: dict[str, Any]) -> dict[str, Any]:
    return {SpanAttributeKey.CHAT_USAGE: _token_usage(usage)} if usage else {}


def _preview(value: Any) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text[:PREVIEW_CHARS]


def _ns(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000) * 1000


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _experiment_id(client: TracingClient, name: str) -> str:
    store = client.store
    experiment = store.get_experiment_by_name(name)
    if experiment is not None:
        return str(experiment.experiment_id)
    try:
        return str(store.create_experiment(name))
    except MlflowException as exc:  # another process created it meanwhile
        if exc.error_code != ErrorCode.Name(RESOURCE_ALREADY_EXISTS):
            raise
        found = store.get_experiment_by_name(name)
        if found is None:
            raise
        return str(found.experiment_id)


def _client(destination: Destination) -> TracingClient:
    if destination.tracking_uri.startswith(("http://", "https://")):
        return _HttpClient(destination.tracking_uri, destination.token)
    return TracingClient(destination.tracking_uri)


class _HttpClient(TracingClient):
    """A client of one http(s) tracking server with the credentials it is given."""

    def __init__(self, tracking_uri: str, token: str | None) -> None:
        self._token = token
        self._store = RestStore(lambda: _creds(tracking_uri, token))  # type: ignore[no-untyped-call]
        super().__init__(tracking_uri)

    @property
    def store(self) -> RestStore:
        return self._store

    def _get_artifact_repo_for_trace(self, trace_info: TraceInfo) -> Any:
        uri = get_artifact_uri_for_trace(trace_info)
        if uri.startswith("mlflow-artifacts:"):
            return _ProxiedArtifacts(uri, self.tracking_uri, self._token)
        return super()._get_artifact_repo_for_trace(trace_info)


class _ProxiedArtifacts(MlflowArtifactsRepository):
    """The tracking server's artifact proxy, with the same credentials as its store."""

    def __init__(self, artifact_uri: str, tracking_uri: str, token: str | None) -> None:
        super().__init__(artifact_uri, tracking_uri=tracking_uri)
        self._token = token

    @property
    def _host_creds(self) -> MlflowHostCreds:
        return _creds(self.artifact_uri, self._token)


def _creds(host: str, token: str | None) -> MlflowHostCreds:
    return MlflowHostCreds(host, token=token)  # type: ignore[no-untyped-call]
