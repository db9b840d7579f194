"""The messages the pool and its workers exchange, and how they are framed on the socket.

Each message is one JSON document behind a 4-byte big-endian length: no size limit to tune
(a crew's final answer can be large) and no newline escaping to trust. Commands go from the
pool to a worker, reports from a worker to the pool.
"""

from __future__ import annotations

import struct
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, SecretStr, TypeAdapter

from kasal.engine.spec import EngineEvent, FlowRunRequest, RunRequest, RunResult

HEADER = struct.Struct(">I")
# What a worker runs: a crew, or a flow (whose crew steps the engine runs as crews).
Request = RunRequest | FlowRunRequest


def _reveal(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, dict):
        return {key: _reveal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_reveal(item) for item in value]
    return value


def _dump_with_secrets(request: Request) -> Any:
    """The worker needs the real API keys; everywhere else (repr, logs) they stay masked."""
    return _reveal(request.model_dump())


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Run(_Message):
    kind: Literal["run"] = "run"
    request: Annotated[Request, PlainSerializer(_dump_with_secrets, when_used="json")]
    runner: str  # "module:function", resolved in the worker


class Cancel(_Message):
    kind: Literal["cancel"] = "cancel"
    execution_id: str


class Shutdown(_Message):
    kind: Literal["shutdown"] = "shutdown"


class Ready(_Message):
    kind: Literal["ready"] = "ready"


class Heartbeat(_Message):
    kind: Literal["heartbeat"] = "heartbeat"


class Event(_Message):
    kind: Literal["event"] = "event"
    execution_id: str
    event: EngineEvent


class Finished(_Message):
    kind: Literal["finished"] = "finished"
    execution_id: str
    result: RunResult


Command = Annotated[Run | Cancel | Shutdown, Field(discriminator="kind")]
Report = Annotated[Ready | Heartbeat | Event | Finished, Field(discriminator="kind")]

_commands: TypeAdapter[Command] = TypeAdapter(Command)
_reports: TypeAdapter[Report] = TypeAdapter(Report)


def frame(message: _Message) -> bytes:
    body = message.model_dump_json().encode()
    return HEADER.pack(len(body)) + body


def parse_command(body: bytes) -> Command:
    return _commands.validate_json(body)


def parse_report(body: bytes) -> Report:
    return _reports.validate_json(body)
