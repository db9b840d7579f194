"""Running a crew on a Kasal server: save it there, start an execution, follow its events.

The crew is saved under its name: created the first time, updated when the script
changed it (a new version; the canvas keeps the positions its nodes were given there),
left alone when nothing changed, so running a script twice does not pile up versions.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from kasal.client.aio import AsyncKasal
from kasal.client.config import current_login
from kasal.client.errors import ConflictError, KasalAPIError, NotFoundError
from kasal.client.models import Crew as SavedCrew
from kasal.client.models import CrewDocument, Execution, Model
from kasal.client.progress import RunProgress, console
from kasal.client.sync import Kasal, deferred_interrupts
from kasal.sdk.output import CrewOutput, TokenUsage, task_outputs

if TYPE_CHECKING:
    from kasal.sdk.objects import Crew


def configured_client() -> Kasal | None:
    """A client of the configured server, or None when none is configured at all."""
    login = current_login()
    if not login.url and not login.token:
        return None
    return Kasal(login.url, login.token)  # raises KasalConfigError when half-configured


def required_client() -> Kasal:
    """A client of the configured server; KasalConfigError when there is none."""
    return Kasal()


def configured_async_client() -> AsyncKasal | None:
    login = current_login()
    if not login.url and not login.token:
        return None
    return AsyncKasal(login.url, login.token)


async def save(crew: Crew, client: AsyncKasal) -> SavedCrew:
    existing = await _existing(crew, client)
    if existing is not None and crew._layout is None:
        crew._layout = existing.layout  # positions arranged on the canvas are kept
    document = await _with_model_keys(crew.to_document(), client)
    if existing is None:
        try:
            saved = await client.crews.create(document)
        except ConflictError as exc:
            if exc.code != "crew_name_taken":
                raise
            existing = await client.crews.find(document["name"])  # saved meanwhile
    if existing is not None:
        if _same(existing.document(), document):
            saved = existing
        else:
            saved = await client.crews.update(existing.id, document, version=existing.version)
    crew._crew_id = str(saved.id)
    return saved


async def _existing(crew: Crew, client: AsyncKasal) -> SavedCrew | None:
    with contextlib.suppress(NotFoundError):
        if crew.id is not None:
            return await client.crews.get(crew.id)
    with contextlib.suppress(NotFoundError):
        return await client.crews.find(crew.to_document()["name"])
    return None


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return CrewDocument.model_validate(a).document() == CrewDocument.model_validate(b).document()


async def _with_model_keys(document: dict[str, Any], client: AsyncKasal) -> dict[str, Any]:
    """`openai/gpt-4o` or `gpt-4o` → the key the group's catalog gives that model."""
    try:
        models = await client.models.list()
    except KasalAPIError:
        return document  # validation on the server will name an unknown model
    resolve = _resolver(models)
    for agent in document["agents"]:
        agent["llm"] = resolve(agent["llm"])
    document["manager_llm"] = resolve(document["manager_llm"])
    document["embedder"] = resolve(document["embedder"])
    return document


def _resolver(models: list[Model]) -> Any:
    keys = {m.key for m in models}
    aliases: dict[str, str] = {}
    for m in models:
        aliases.setdefault(f"{m.provider}/{m.model}".lower(), m.key)
    for m in models:
        aliases.setdefault(m.model.lower(), m.key)

    def resolve(value: str | None) -> str | None:
        if value is None or value in keys:
            return value
        return aliases.get(value.strip().lower(), value)

    return resolve


async def akickoff(
    crew: Crew, inputs: dict[str, str], client: AsyncKasal, show: bool
) -> CrewOutput:
    saved = await save(crew, client)
    # Shielded: cancelled mid-request, the run may exist anyway, and must then be cancelled.
    starting = asyncio.ensure_future(client.executions.start(saved.id, inputs))
    try:
        execution = await asyncio.shield(starting)
        with _progress(saved, show) as progress:
            async for event in client.executions.stream(execution.id):
                if progress is not None:
                    progress.update(event)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await asyncio.shield(_cancel(client, await starting))
        raise
    return _output(await client.executions.get(execution.id), saved)


def kickoff(
    crew: Crew, inputs: dict[str, str], client: Kasal, show: bool, *, owned: bool
) -> CrewOutput:
    try:
        saved = client._run(save(crew, client.aio))
        execution: Execution | None = None
        try:
            with deferred_interrupts():  # a Ctrl-C now still lets us learn what to cancel
                execution = client.executions.start(saved.id, inputs)
            with _progress(saved, show) as progress:
                for event in client.executions.stream(execution.id):
                    if progress is not None:
                        progress.update(event)
        except KeyboardInterrupt:
            if execution is not None:
                client._run(_cancel(client.aio, execution))
            raise
        return _output(client.executions.get(execution.id), saved)
    finally:
        if owned:
            client.close()


async def _cancel(client: AsyncKasal, execution: Execution) -> None:
    with contextlib.suppress(ConflictError):  # it ended meanwhile
        await client.executions.cancel(execution.id)


@contextlib.contextmanager
def _progress(crew: SavedCrew, show: bool) -> Iterator[RunProgress | None]:
    if not show or not sys.stderr.isatty():
        yield None
        return
    with RunProgress(
        console(),
        "live",
        title=crew.name,
        tasks=[(t.key, t.name or t.description or t.key, t.agent) for t in crew.tasks],
        agents={a.key: a.role for a in crew.agents},
    ) as progress:
        yield progress


def _output(execution: Execution, crew: SavedCrew) -> CrewOutput:
    usage = execution.usage
    return CrewOutput(
        status=execution.status,
        raw=execution.result or "",
        tasks_output=task_outputs(crew.document(), execution.task_outputs),
        token_usage=TokenUsage(
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            total_tokens=usage.total_tokens,
            cost=execution.cost,
        ),
        error=execution.error,
        execution_id=str(execution.id),
        crew_id=str(crew.id),
    )
